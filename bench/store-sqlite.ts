/**
 * SqliteStore against raw better-sqlite3, in the same run on the same machine.
 *
 *   node dist/bench/store-sqlite.js [--keys N]     (default 100000 keys; ~30 s here)
 *
 * Both sides use a file database with the same pragmas (WAL, synchronous=NORMAL, cache, mmap)
 * and ~1.6 KB pod JSON values.
 * The raw side is the least an application could do: one table (key PRIMARY KEY, value, rev)
 * with prepared INSERT / UPDATE ... WHERE rev = ? / SELECT, no revision history and no watch.
 * The store side pays for the revision log, CAS checks, the watch fan-out (one watcher on the
 * prefix is attached, as the API server's watch cache would be) and the async Store API.
 *
 * Phases: creates (N keys), updates (N/2 CAS updates), gets (N random), lists (pages of 500
 * through the whole prefix at a fixed revision, as the API server pages with `continue`),
 * count of the prefix, a watch replay of the whole history (the raw side, having no
 * history, scans as many rows by rowid), and a compaction of the whole history (store only).
 * Prints a table and writes bench/results/store-sqlite.json.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { SqliteStore } from '../src/storage/sqlite/sqlite-store.js';
import { podValue } from '../src/storage/sample-values.js';
import { prefixEnd } from '../src/storage/key-range.js';
import { exclusivePragma, pragmas } from '../src/storage/sqlite/dialect.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const argN = process.argv.indexOf('--keys');
const N = argN > 0 ? Number(process.argv[argN + 1]) : 100_000;
if (!Number.isInteger(N) || N < 1000) throw new Error(`--keys must be an integer >= 1000, got ${process.argv[argN + 1]}`);
const PAGE = 500;
const PREFIX = '/registry/pods/';

interface Phase { ops: number; seconds: number; opsPerSec: number; p50us: number; p99us: number }

function summarize(lat: Float64Array, seconds: number): Phase {
  const sorted = Float64Array.from(lat).sort();
  const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
  return { ops: lat.length, seconds: +seconds.toFixed(3), opsPerSec: Math.round(lat.length / seconds), p50us: +q(0.5).toFixed(1), p99us: +q(0.99).toFixed(1) };
}

/** Time `count` calls of `fn(i)`, each one individually. */
async function measure(count: number, fn: (i: number) => unknown): Promise<Phase> {
  const lat = new Float64Array(count);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < count; i++) {
    const s = process.hrtime.bigint();
    const r = fn(i);
    if (r instanceof Promise) await r;
    lat[i] = Number(process.hrtime.bigint() - s) / 1000;
  }
  return summarize(lat, Number(process.hrtime.bigint() - t0) / 1e9);
}

/** Deterministic pseudo-random order (so both sides do the same work). */
function order(n: number, seed: number): Uint32Array {
  const a = new Uint32Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) { x = (Math.imul(x, 1103515245) + 12345) >>> 0; a[i] = x % n; }
  return a;
}

const keyOf = (i: number) => `${PREFIX}ns-${i % 20}/pod-${String(i).padStart(7, '0')}`;
const nameOf = (i: number) => `pod-${String(i).padStart(7, '0')}`;

const dir = mkdtempSync(join(tmpdir(), 'peapod-bench-store-'));
const results: Record<string, { peapod: Phase; raw: Phase; ratio: number }> = {};
const dbBytes = { peapod: 0, raw: 0 };
let compactionResult: { revisions: number; seconds: number; revisionsPerSec: number; maxEventLoopPauseMs: number } | undefined;
let replay: { peapodEventsPerSec: number; rawRowsPerSec: number; peapod: { events: number; seconds: number }; raw: { events: number; seconds: number } } | undefined;
try {
  // Both databases are open side by side and each phase runs on one, then at once on the other,
  // so that both see the same machine (this machine is shared; its load drifts).
  const storePath = join(dir, 'store.db');
  const store = new SqliteStore({ path: storePath });
  let watched = 0;
  const watcher = store.watch(PREFIX, { fromRevision: 0, onEvent: () => { watched++; } });
  const rawPath = join(dir, 'raw.db');
  const db = new Database(rawPath);
  db.pragma(exclusivePragma);
  for (const p of pragmas) db.pragma(p); // the same settings as the store (exclusive, WAL, NORMAL, cache, mmap)
  db.exec('CREATE TABLE objects (key TEXT PRIMARY KEY, value TEXT NOT NULL, rev INTEGER NOT NULL)');
  const ins = db.prepare('INSERT INTO objects (key, value, rev) VALUES (?, ?, ?)');
  const upd = db.prepare('UPDATE objects SET value = ?, rev = ? WHERE key = ? AND rev = ?');
  const sel = db.prepare('SELECT value, rev FROM objects WHERE key = ?');
  const page = db.prepare('SELECT key, value, rev FROM objects WHERE key >= ? AND key < ? ORDER BY key LIMIT ?');
  const cnt = db.prepare('SELECT COUNT(*) AS n FROM objects WHERE key >= ? AND key < ?');
  const hi = prefixEnd(PREFIX)!;

  const values = Array.from({ length: N }, (_, i) => podValue(`ns-${i % 20}`, nameOf(i)));
  const updValues = Array.from({ length: N }, (_, i) => podValue(`ns-${i % 20}`, nameOf(i), 2));
  const updOrder = order(N, 7);
  const getOrder = order(N, 11);
  const add = (name: string, peapod: Phase, raw: Phase) => { results[name] = { peapod, raw, ratio: +(peapod.opsPerSec / raw.opsPerSec).toFixed(2) }; };

  // creates
  const revs = new Float64Array(N);
  const rawRevs = new Float64Array(N);
  let rev = 0;
  add('create',
    await measure(N, async (i) => { revs[i] = (await store.create(keyOf(i), values[i]!)).modRevision; }),
    await measure(N, (i) => { ins.run(keyOf(i), values[i]!, ++rev); rawRevs[i] = rev; }));

  // updates (compare-and-swap on the revision)
  add('update (CAS)',
    await measure(N / 2, async (j) => {
      const i = updOrder[j]!;
      revs[i] = (await store.update(keyOf(i), updValues[i]!, revs[i]!)).modRevision;
    }),
    await measure(N / 2, (j) => {
      const i = updOrder[j]!;
      if (upd.run(updValues[i]!, ++rev, keyOf(i), rawRevs[i]!).changes !== 1) throw new Error('raw CAS failed');
      rawRevs[i] = rev;
    }));

  // gets
  add('get',
    await measure(N, async (j) => { if (!(await store.get(keyOf(getOrder[j]!))).kv) throw new Error('missing'); }),
    await measure(N, (j) => { if (!sel.get(keyOf(getOrder[j]!))) throw new Error('missing'); }));

  // paging through the whole prefix (the store at one fixed revision, as `continue` does)
  let sListed = 0;
  const sListRev = await store.currentRevision();
  let sStart: string | undefined;
  let rListed = 0;
  let rStart = PREFIX;
  add(`list page of ${PAGE}`,
    await measure(Math.ceil(N / PAGE), async () => {
      const r = await store.list(PREFIX, { revision: sListRev, startKey: sStart, limit: PAGE });
      sListed += r.kvs.length;
      sStart = r.kvs.length ? r.kvs[r.kvs.length - 1]!.key + '\u0000' : undefined;
    }),
    await measure(Math.ceil(N / PAGE), () => {
      const rows = page.all(rStart, hi, PAGE) as Array<{ key: string }>;
      rListed += rows.length;
      if (rows.length) rStart = rows[rows.length - 1]!.key + '\u0000';
    }));
  if (sListed !== N) throw new Error(`store listed ${sListed} of ${N}`);
  if (rListed !== N) throw new Error(`raw listed ${rListed} of ${N}`);
  if (watched !== N + N / 2) throw new Error(`watch saw ${watched} of ${N + N / 2} events`);
  watcher.cancel();

  // count
  add(`count ${N}`,
    await measure(10, async () => { if ((await store.count(PREFIX)).count !== N) throw new Error('count'); }),
    await measure(10, () => { if ((cnt.get(PREFIX, hi) as { n: number }).n !== N) throw new Error('count'); }));

  // Watch replay of the whole history (a client re-watching from an old resourceVersion).
  const replayStart = process.hrtime.bigint();
  const replayed = await new Promise<number>((resolve, reject) => {
    let got = 0;
    const w = store.watch(PREFIX, {
      fromRevision: 1,
      onEvent: () => { if (++got === N + N / 2 - 1) { w.cancel(); resolve(got); } },
      onError: reject,
    });
  });
  const sReplay = { events: replayed, seconds: Number(process.hrtime.bigint() - replayStart) / 1e9 };
  // The raw table has no history to replay: scan as many rows in rowid order, in pages of 1000.
  const scan = db.prepare('SELECT rowid AS id, key, value, rev FROM objects WHERE rowid > ? ORDER BY rowid LIMIT 1000');
  const scanStart = process.hrtime.bigint();
  let scanned = 0;
  for (let after = 0; scanned < N + N / 2 - 1;) {
    const rows = scan.all(after) as Array<{ id: number }>;
    if (rows.length === 0) { after = 0; continue; } // wrap around: the table holds N rows, the log N + N/2
    scanned += rows.length;
    after = rows[rows.length - 1]!.id;
  }
  const rReplay = { events: scanned, seconds: Number(process.hrtime.bigint() - scanStart) / 1e9 };
  replay = { peapodEventsPerSec: Math.round(sReplay.events / sReplay.seconds), rawRowsPerSec: Math.round(rReplay.events / rReplay.seconds), peapod: sReplay, raw: rReplay };

  // Compaction of the whole history, while the event loop is watched for the longest pause
  // (compaction runs in transactions of 1000 revisions and yields between them).
  const compactTo = await store.currentRevision();
  const cStart = process.hrtime.bigint();
  let maxPauseMs = 0;
  let done = false;
  const compaction = store.compact(compactTo).then(() => { done = true; });
  for (let last = process.hrtime.bigint(); !done;) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    const now = process.hrtime.bigint();
    maxPauseMs = Math.max(maxPauseMs, Number(now - last) / 1e6);
    last = now;
  }
  await compaction;
  const cSeconds = Number(process.hrtime.bigint() - cStart) / 1e9;
  compactionResult = { revisions: compactTo, seconds: +cSeconds.toFixed(3), revisionsPerSec: Math.round(compactTo / cSeconds), maxEventLoopPauseMs: +maxPauseMs.toFixed(1) };
  if ((await store.count(PREFIX)).count !== N) throw new Error('count after compaction');

  await store.close();
  db.close();
  dbBytes.peapod = statSync(storePath).size;
  dbBytes.raw = statSync(rawPath).size;
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const pad = (s: string | number, n: number) => String(s).padStart(n);
console.log(`SqliteStore vs raw better-sqlite3 — ${N} keys, ~${podValue('ns-0', nameOf(0)).length} B values, WAL + synchronous=NORMAL, ${cpus().length} CPUs, node ${process.version}`);
console.log(`${'operation'.padEnd(18)}${pad('peapod ops/s', 14)}${pad('p50 µs', 9)}${pad('p99 µs', 9)}${pad('raw ops/s', 12)}${pad('p50 µs', 9)}${pad('p99 µs', 9)}${pad('ratio', 8)}`);
for (const [name, r] of Object.entries(results)) {
  console.log(`${name.padEnd(18)}${pad(r.peapod.opsPerSec, 14)}${pad(r.peapod.p50us, 9)}${pad(r.peapod.p99us, 9)}${pad(r.raw.opsPerSec, 12)}${pad(r.raw.p50us, 9)}${pad(r.raw.p99us, 9)}${pad(r.ratio, 8)}`);
}
const listAll = results[`list page of ${PAGE}`]!;
if (compactionResult) console.log(`compaction of ${compactionResult.revisions} revisions: ${compactionResult.seconds} s (${compactionResult.revisionsPerSec} revisions/s), longest event-loop pause ${compactionResult.maxEventLoopPauseMs} ms`);
if (replay) console.log(`watch replay of the whole history: ${replay.peapodEventsPerSec} events/s (raw rowid scan of as many rows: ${replay.rawRowsPerSec} rows/s)`);
console.log(`paging through all ${N} keys: peapod ${listAll.peapod.seconds} s, raw ${listAll.raw.seconds} s; database files: peapod ${(dbBytes.peapod / 1e6).toFixed(1)} MB (log with history), raw ${(dbBytes.raw / 1e6).toFixed(1)} MB`);

const out = join(repoRoot, 'bench', 'results', 'store-sqlite.json');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify({
  benchmark: 'store-sqlite', date: new Date().toISOString(), node: process.version, cpus: cpus().length,
  keys: N, valueBytes: podValue('ns-0', nameOf(0)).length, pageSize: PAGE, ratio: 'peapod ops/s ÷ raw ops/s',
  results, replay, compaction: compactionResult, dbBytes,
}, null, 2) + '\n');
console.log(`wrote ${out}`);
