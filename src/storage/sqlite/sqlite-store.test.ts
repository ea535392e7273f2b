import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { runStoreContract } from '../store-contract.js';
import { SqliteStore } from './sqlite-store.js';
import { CompactedError } from '../store.js';
import { checkCompactionDuringReplay } from '../replay-compaction.js';

const root = mkdtempSync(join(tmpdir(), 'peapod-sqlite-test-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const newPath = () => join(root, `db-${n++}.sqlite`);
const removeDb = (p: string) => { for (const f of [p, `${p}-wal`, `${p}-shm`]) rmSync(f, { force: true }); };

runStoreContract('sqlite', async () => new SqliteStore({ path: newPath() }), async (s) => removeDb((s as SqliteStore).path));
runStoreContract('sqlite (replay page 7, compaction batch 3)',
  async () => new SqliteStore({ path: newPath(), watchPageSize: 7, compactBatch: 3 }),
  async (s) => removeDb((s as SqliteStore).path));

/** Rows in the log table, read through a second connection. */
function logRows(path: string): Array<{ id: number; name: string; deleted: number }> {
  const db = new Database(path, { readonly: true });
  try { return db.prepare('SELECT id, name, deleted FROM kv_log ORDER BY id').all() as Array<{ id: number; name: string; deleted: number }>; } finally { db.close(); }
}

describe('SqliteStore', () => {
  it('keeps data, the revision counter and the compact revision across reopen', async (t) => {
    const path = newPath();
    t.after(() => removeDb(path));
    const s1 = new SqliteStore({ path });
    const a = await s1.create('/registry/pods/ns/a', 'a1');
    const a2 = await s1.update('/registry/pods/ns/a', 'a2', a.modRevision);
    await s1.create('/registry/pods/ns/b', 'b1');
    const d = await s1.delete('/registry/pods/ns/b'); // the newest row is a tombstone...
    await s1.compact(d.modRevision); // ...and compaction removes it
    await s1.close();
    const s2 = new SqliteStore({ path });
    t.after(() => s2.close());
    assert.equal(await s2.currentRevision(), d.modRevision);
    assert.equal(await s2.compactRevision(), d.modRevision);
    assert.deepEqual((await s2.list('/registry/pods/')).kvs, [a2]);
    const next = await s2.create('/registry/pods/ns/c', 'c');
    assert.equal(next.modRevision, d.modRevision + 1, 'revisions are never reused');
    await assert.rejects(s2.get('/registry/pods/ns/a', { revision: a.modRevision }), CompactedError);
  });

  it('compaction deletes superseded rows and tombstones, and keeps the newest row of each live key', async (t) => {
    const path = newPath();
    t.after(() => removeDb(path));
    const s = new SqliteStore({ path, compactBatch: 2, exclusive: false }); // logRows reads beside it
    t.after(() => s.close());
    const a = await s.create('/k/a', '1');
    const a2 = await s.update('/k/a', '2', a.modRevision);
    const b = await s.create('/k/b', '1');
    await s.delete('/k/b');
    const a3 = await s.update('/k/a', '3', a2.modRevision); // superseded only above the compaction point
    const c = await s.create('/k/c', '1');
    await s.compact(a3.modRevision - 1);
    assert.deepEqual(logRows(path).map((r) => r.id), [a2.modRevision, a3.modRevision, c.modRevision]);
    await s.compact(c.modRevision);
    assert.deepEqual(logRows(path).map((r) => r.id), [a3.modRevision, c.modRevision]);
    assert.ok(b.modRevision < a3.modRevision);
  });

  it('serves reads and writes between compaction batches', async (t) => {
    const path = newPath();
    t.after(() => removeDb(path));
    const s = new SqliteStore({ path, compactBatch: 50, exclusive: false }); // logRows reads beside it
    t.after(() => s.close());
    let kv = await s.create('/k/a', '0');
    for (let i = 1; i < 1000; i++) kv = await s.update('/k/a', String(i), kv.modRevision);
    const target = kv.modRevision;
    const seen: number[] = [];
    let done = false;
    const compaction = s.compact(target).then(() => { done = true; });
    while (!done) {
      seen.push(await s.compactRevision());
      kv = await s.update('/k/a', 'w', kv.modRevision); // writes proceed meanwhile
      await new Promise<void>((r) => setImmediate(r));
    }
    await compaction;
    assert.ok(seen.length >= 5, `compaction yielded between batches (${seen.length} turns)`);
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i]! >= seen[i - 1]!);
    assert.equal(await s.compactRevision(), target);
    assert.deepEqual(logRows(path).filter((r) => r.id <= target).map((r) => r.id), [target], 'only the state at the target is left at or below it');
    assert.equal((await s.get('/k/a')).kv?.modRevision, kv.modRevision);
  });

  it('owns its file: a second store on it fails at open, and opens once the first is closed', async (t) => {
    const path = newPath();
    t.after(() => removeDb(path));
    const first = new SqliteStore({ path });
    t.after(() => first.close());
    await first.create('/k/a', '1');
    assert.throws(() => new SqliteStore({ path, lockTimeoutMs: 20 }), /is in use by another process or store/);
    const other = new Database(path, { timeout: 20 });
    try { assert.throws(() => other.prepare('SELECT COUNT(*) FROM kv_log').get(), /database is locked/); } finally { other.close(); }
    assert.equal((await first.get('/k/a')).kv?.value, '1', 'the owner is unaffected');
    await first.close();
    const second = new SqliteStore({ path, lockTimeoutMs: 20 });
    t.after(() => second.close());
    assert.equal((await second.get('/k/a')).kv?.value, '1');
  });

  it('says which file it could not open', () => {
    assert.throws(() => new SqliteStore({ path: join(root, 'no-such-dir', 'x.db') }), /cannot open .*no-such-dir\/x\.db/);
  });

  it('close is idempotent and waits for the file to be closed', async (t) => {
    const path = newPath();
    t.after(() => removeDb(path));
    const s = new SqliteStore({ path });
    await s.create('/k/a', '1');
    const [a, b] = [s.close(), s.close()];
    await b; // the second call resolves only once the file is closed: reopening works at once
    const again = new SqliteStore({ path, lockTimeoutMs: 0 });
    await again.close();
    await a;
  });

  it('refuses a database with another schema version', async (t) => {
    const path = newPath();
    t.after(() => removeDb(path));
    await new SqliteStore({ path }).close();
    const db = new Database(path);
    db.prepare(`UPDATE kv_meta SET value = 99 WHERE name = 'schema_version'`).run();
    db.close();
    assert.throws(() => new SqliteStore({ path }), /schema version 99/);
  });
});

describe('SqliteStore watch', () => {
  it('a compaction that overtakes a running replay ends the watch with CompactedError', async (t) => {
    const path = newPath();
    t.after(() => removeDb(path));
    const s = new SqliteStore({ path, watchPageSize: 7 });
    t.after(() => s.close());
    await checkCompactionDuringReplay(s, 7);
  });
});
