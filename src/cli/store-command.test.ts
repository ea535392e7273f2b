import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../storage/sqlite/sqlite-store.js';
import { EtcdStore } from '../storage/etcd/etcd-store.js';
import { startTestEtcd } from '../storage/etcd/test-etcd.js';
import { run } from './store-command.js';

describe('peapod store migrate', () => {
  it('copies every live key from sqlite to etcd, new resourceVersions in the old order', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'peapod-migrate-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const etcd = await startTestEtcd();
    t.after(() => etcd.stop());
    const path = join(dir, 'state.db');
    const src = new SqliteStore({ path });
    // key order differs from revision order; updates and deletes in between
    const z = await src.create('/registry/configmaps/default/z', '{"v":"z1"}');
    const a = await src.create('/registry/configmaps/default/a', '{"v":"a1"}');
    await src.create('/registry/configmaps/default/gone', '{}');
    await src.update(z.key, '{"v":"z2"}', z.modRevision);
    await src.delete('/registry/configmaps/default/gone');
    for (let i = 0; i < 1200; i++) await src.create(`/registry/pods/ns/p${String(i).padStart(4, '0')}`, JSON.stringify({ i, s: 'é' }));
    await src.update(a.key, '{"v":"a2"}', a.modRevision);
    const before = (await src.list('')).kvs;
    await src.close();

    const code = await run(['migrate', '--from', `sqlite:${path}`, '--to', `etcd:${etcd.endpoint}`, '--page', '100']);
    assert.equal(code, 0);

    const dst = new EtcdStore({ endpoints: [etcd.endpoint] });
    t.after(() => dst.close());
    const after = (await dst.list('')).kvs;
    assert.deepEqual(after.map((kv) => [kv.key, kv.value]), before.map((kv) => [kv.key, kv.value]));
    const order = (kvs: typeof before) => [...kvs].sort((x, y) => x.modRevision - y.modRevision).map((kv) => kv.key);
    assert.deepEqual(order(after), order(before), 'resourceVersion order kept');
    assert.deepEqual(after.map((kv) => kv.modRevision).sort((x, y) => x - y), Array.from({ length: before.length }, (_, i) => 2 + i), 'a fresh etcd: revisions 2..n+1');
    // into a non-empty target: refused, nothing written
    const rev = await dst.currentRevision();
    await assert.rejects(run(['migrate', '--from', `sqlite:${path}`, '--to', `etcd:${etcd.endpoint}`]), /not empty/);
    assert.equal(await dst.currentRevision(), rev);
  });

  it('rejects bad arguments with a message', async () => {
    assert.equal(await run(['migrate', '--from', 'sqlite:/x']), 2);
    await assert.rejects(run(['migrate', '--from', 'mysql://x', '--to', 'etcd:http://127.0.0.1:1']), /must be sqlite:PATH or etcd:URL/);
  });
});
