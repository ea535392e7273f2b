/**
 * Test fixture for crash.test.ts: writes to a SqliteStore in a loop and prints one line per
 * acknowledged (committed) write: `ack <revision> <PUT|DELETE> <key> <generation>`.
 * Runs until killed. Usage: node crash-writer.js <db path> <round> [compact]
 * With `compact`, it also compacts in small batches while writing (to be killed mid-compaction),
 * and prints `compact <revision>` when it asks for one.
 */
import { writeSync } from 'node:fs';
import { podValue } from '../sample-values.js';
import { SqliteStore } from './sqlite-store.js';

const [path, roundArg, mode] = process.argv.slice(2);
if (!path || !roundArg) {
  process.stderr.write('usage: crash-writer <db path> <round> [compact]\n');
  process.exit(2);
}
const round = Number(roundArg);
const compacting = mode === 'compact';
const store = new SqliteStore({ path, compactBatch: 4 }); // small batches: compaction trails the writes, so the kill lands inside one
const live = new Map<string, { rev: number; gen: number }>();
// Each ack goes straight to fd 1 with a blocking write(2), before the next write starts. Not
// process.stdout: to a child's stdio socket it writes asynchronously, so acks would queue in
// this process (and be lost at the kill, or never flushed by a loop that never yields).
const out = (line: string) => { writeSync(1, line + '\n'); };
let target = await store.compactRevision();

for (let i = 0; ; i++) {
  const op = i % 10;
  const keys = [...live.keys()];
  let rev: number;
  if (op < 5 || keys.length < 10) {
    const name = `r${round}-p${i}`;
    const key = `/registry/pods/crash/${name}`;
    const kv = await store.create(key, podValue('crash', name, 1));
    live.set(key, { rev: kv.modRevision, gen: 1 });
    out(`ack ${kv.modRevision} PUT ${key} 1`);
    rev = kv.modRevision;
  } else if (op < 9) {
    const key = keys[(i * 7919) % keys.length]!;
    const cur = live.get(key)!;
    const gen = cur.gen + 1;
    const kv = await store.update(key, podValue('crash', key.split('/').pop()!, gen), cur.rev);
    live.set(key, { rev: kv.modRevision, gen });
    out(`ack ${kv.modRevision} PUT ${key} ${gen}`);
    rev = kv.modRevision;
  } else {
    const key = keys[(i * 104729) % keys.length]!;
    const kv = await store.delete(key, live.get(key)!.rev);
    live.delete(key);
    out(`ack ${kv.modRevision} DELETE ${key} 0`);
    rev = kv.modRevision;
  }
  if (compacting) {
    if (i % 300 === 299 && rev - 200 > target) {
      target = rev - 200;
      out(`compact ${target}`);
      store.compact(target).catch((err: unknown) => { process.stderr.write(`compact ${target}: ${String(err)}\n`); process.exit(1); });
    }
    // let the compaction's batches run between writes
    if (i % 5 === 0) await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
