/**
 * Test fixture for crash.test.ts: writes to a SqliteStore in a loop and prints one line per
 * acknowledged (committed) write: `ack <revision> <PUT|DELETE> <key> <generation>`.
 * Runs until killed. Usage: node crash-writer.js <db path> <round>
 */
import { writeSync } from 'node:fs';
import { podValue } from '../sample-values.js';
import { SqliteStore } from './sqlite-store.js';

const [path, roundArg] = process.argv.slice(2);
if (!path || !roundArg) {
  process.stderr.write('usage: crash-writer <db path> <round>\n');
  process.exit(2);
}
const round = Number(roundArg);
const store = new SqliteStore({ path });
const live = new Map<string, { rev: number; gen: number }>();
// Each ack goes straight to fd 1 with a blocking write(2), before the next write starts. Not
// process.stdout: to a child's stdio socket it writes asynchronously, so acks would queue in
// this process (and be lost at the kill, or never flushed by a loop that never yields).
const out = (line: string) => { writeSync(1, line + '\n'); };

for (let i = 0; ; i++) {
  const op = i % 10;
  const keys = [...live.keys()];
  if (op < 5 || keys.length < 10) {
    const name = `r${round}-p${i}`;
    const key = `/registry/pods/crash/${name}`;
    const kv = await store.create(key, podValue('crash', name, 1));
    live.set(key, { rev: kv.modRevision, gen: 1 });
    out(`ack ${kv.modRevision} PUT ${key} 1`);
  } else if (op < 9) {
    const key = keys[(i * 7919) % keys.length]!;
    const cur = live.get(key)!;
    const gen = cur.gen + 1;
    const kv = await store.update(key, podValue('crash', key.split('/').pop()!, gen), cur.rev);
    live.set(key, { rev: kv.modRevision, gen });
    out(`ack ${kv.modRevision} PUT ${key} ${gen}`);
  } else {
    const key = keys[(i * 104729) % keys.length]!;
    const kv = await store.delete(key, live.get(key)!.rev);
    live.delete(key);
    out(`ack ${kv.modRevision} DELETE ${key} 0`);
  }
}
