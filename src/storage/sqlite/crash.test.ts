/**
 * Crash safety: a child process writes in a loop and prints every acknowledged revision; the
 * parent SIGKILLs it mid-load, reopens the database and checks that every acknowledged write is
 * there with its value, and that the revision sequence has no hole. Two rounds on one database,
 * so recovery after a crash is followed by more writes and another crash.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { podValue } from '../sample-values.js';
import { SqliteStore } from './sqlite-store.js';
import { CompactedError } from '../store.js';

const writer = join(dirname(fileURLToPath(import.meta.url)), 'crash-writer.js');

interface Ack { rev: number; op: 'PUT' | 'DELETE'; key: string; gen: number }

/** Run the writer until `killAfter` acks have been read, SIGKILL it, and return every complete ack line. */
function runAndKill(path: string, round: number, killAfter: number, compact: boolean, timeoutMs = 60_000): { child: ChildProcess; done: Promise<{ acks: Ack[]; compactions: number[] }> } {
  const child = spawn(process.execPath, [writer, path, String(round), ...(compact ? ['compact'] : [])], { stdio: ['ignore', 'pipe', 'pipe'] });
  const done = new Promise<{ acks: Ack[]; compactions: number[] }>((resolve, reject) => {
    const acks: Ack[] = [];
    const compactions: number[] = [];
    let pending = '';
    let stderr = '';
    let killed = false;
    let lastAckAt = Date.now();
    const timer = setTimeout(() => {
      // say where the writer was stuck before killing it
      let where = '';
      try {
        const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
        where = `round ${round}, state ${stat[0]}, cpu ${(Number(stat[11]) + Number(stat[12])) / 100} s, wchan ${readFileSync(`/proc/${child.pid}/wchan`, 'utf8')}, ` +
          `last ack ${Date.now() - lastAckAt} ms ago`;
      } catch { /* gone */ }
      child.kill('SIGKILL');
      reject(new Error(`writer gave ${acks.length} acks in ${timeoutMs} ms (${where}); stderr: ${stderr}`));
    }, timeoutMs);
    child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.stdout!.on('data', (d: Buffer) => {
      pending += d.toString();
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        const [tag, rev, op, key, gen] = line.split(' ');
        if (tag === 'compact') compactions.push(Number(rev));
        if (tag !== 'ack') continue;
        acks.push({ rev: Number(rev), op: op as Ack['op'], key: key!, gen: Number(gen) });
        lastAckAt = Date.now();
      }
      if (!killed && acks.length >= killAfter) { killed = true; child.kill('SIGKILL'); }
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (signal !== 'SIGKILL') reject(new Error(`writer ended with code ${code} signal ${signal}; stderr: ${stderr}`));
      else resolve({ acks, compactions }); // a partial last line (killed mid-print) is not an ack
    });
  });
  return { child, done };
}

describe('SqliteStore crash safety', () => {
  it('keeps every acknowledged write and an unbroken revision sequence after SIGKILL, also mid-compaction', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'peapod-crash-'));
    const path = join(dir, 'state.db');
    const children: ChildProcess[] = [];
    t.after(() => {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    });
    const all: Ack[] = [];
    let resumeAt = 2; // the revision the next round's first write must get (a new store is at 1)
    // Rounds 1 and 2 only write; round 3 also compacts in small batches while writing.
    for (const [round, killAfter, compact] of [[1, 3000, false], [2, 2000, false], [3, 4000, true]] as const) {
      const run = runAndKill(path, round, killAfter, compact);
      children.push(run.child);
      const { acks, compactions } = await run.done;
      assert.ok(acks.length >= killAfter, `${acks.length} acks in round ${round}`);
      assert.equal(acks[0]!.rev, resumeAt, `round ${round} starts right after the recovered revision`);
      for (let i = 1; i < acks.length; i++) assert.equal(acks[i]!.rev, acks[i - 1]!.rev + 1, 'acked revisions are consecutive');
      if (compact) assert.ok(compactions.length >= 5, `round ${round} asked for ${compactions.length} compactions`);
      all.push(...acks);
      const lastAck = all.at(-1)!.rev;

      // The raw log: sound, and no hole above the compaction point.
      let compacted: number;
      let inFlightKey: string | undefined;
      const raw = new Database(path);
      try {
        assert.equal(raw.pragma('integrity_check', { simple: true }), 'ok');
        compacted = (raw.prepare(`SELECT value FROM kv_meta WHERE name = 'compact_revision'`).get() as { value: number } | undefined)?.value ?? 0;
        if (compact) assert.ok(compacted > 0 && compacted <= compactions.at(-1)!, `compacted to ${compacted}, asked up to ${compactions.at(-1)}`);
        const { n, hi } = raw.prepare('SELECT COUNT(*) AS n, MAX(id) AS hi FROM kv_log WHERE id > ?').get(compacted) as { n: number; hi: number };
        // rows compacted+1 .. hi (a new store starts at revision 1, which has no row)
        assert.equal(n, hi - Math.max(1, compacted), 'no hole in the revision sequence above the compaction point');
        assert.ok(hi >= lastAck, `the log (${hi}) holds the last ack (${lastAck})`);
        assert.ok(hi <= lastAck + 1, 'at most the one write in flight at the kill is beyond the last ack');
        if (hi > lastAck) inFlightKey = (raw.prepare('SELECT name FROM kv_log WHERE id = ?').get(hi) as { name: string }).name;
        // at or below the compaction point: one row per key, never a tombstone
        const below = raw.prepare('SELECT COUNT(*) AS rows, COUNT(DISTINCT name) AS names, SUM(deleted) AS tombstones FROM kv_log WHERE id <= ?').get(compacted) as { rows: number; names: number; tombstones: number | null };
        assert.equal(below.rows, below.names, 'compaction left one version per key at or below its revision');
        assert.equal(below.tombstones ?? 0, 0, 'compaction removed the tombstones');
        t.diagnostic(`round ${round}: ${acks.length} acks (killed after ${killAfter}), last ack ${lastAck}, log max ${hi}, compacted ${compacted}${compact ? ` (asked up to ${compactions.at(-1)})` : ""}`);
      } finally { raw.close(); }

      // Through the store: every acknowledged write at its revision (or CompactedError below the
      // compaction point), and every key's newest acknowledged state now.
      const s = new SqliteStore({ path });
      try {
        const cur = await s.currentRevision();
        assert.ok(cur >= lastAck);
        assert.equal(await s.compactRevision(), compacted);
        const newest = new Map<string, Ack>();
        for (const a of all) {
          newest.set(a.key, a);
          if (a.rev < compacted) {
            await assert.rejects(s.get(a.key, { revision: a.rev }), CompactedError);
            continue;
          }
          const { kv } = await s.get(a.key, { revision: a.rev });
          if (a.op === 'DELETE') {
            assert.equal(kv, undefined, `${a.key} deleted at ${a.rev}`);
          } else {
            assert.ok(kv, `${a.key} present at ${a.rev}`);
            assert.equal(kv.modRevision, a.rev);
            assert.equal(kv.value, podValue('crash', a.key.split('/').pop()!, a.gen));
          }
        }
        for (const [key, a] of newest) {
          if (key === inFlightKey) continue;
          const { kv } = await s.get(key);
          if (a.op === 'DELETE') assert.equal(kv, undefined, `${key} deleted`);
          else assert.equal(kv?.modRevision, a.rev, `${key} at its newest acknowledged revision`);
        }
        const next = await s.create(`/registry/pods/crash/after-round-${round}`, 'x');
        assert.equal(next.modRevision, cur + 1, 'writing continues right after the recovered revision');
        resumeAt = next.modRevision + 1;
      } finally { await s.close(); }
    }
  });
});
