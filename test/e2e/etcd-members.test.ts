/**
 * `peapod server --etcd-endpoints A,B,C` on a 3-member etcd cluster: a member goes down and comes
 * back while kubectl writes and watches; the server moves to another member and the kubectl watch
 * (through the API server's watch cache, fed by the resumed etcd watch) misses nothing.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { startServer, kubectlBinary, type TestServer } from './harness.js';
import { startTestEtcdCluster, type TestEtcdCluster } from '../../src/storage/etcd/test-etcd.js';

let cluster: TestEtcdCluster | undefined;
let server: TestServer | undefined;
after(async () => {
  await server?.stop();
  await cluster?.stop();
});

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('a server on a 3-member etcd keeps serving and watching while members restart', { timeout: 180_000 }, async () => {
  cluster = await startTestEtcdCluster(3);
  server = await startServer({ args: ['--store', 'etcd', '--etcd-endpoints', cluster.endpoints.join(',')] });
  const s = server;
  const watch = spawn(kubectlBinary()!, ['get', 'configmaps', '-w', '-o', 'name'], { env: { ...process.env, KUBECONFIG: s.kubeconfig, HOME: s.dataDir } });
  let out = '';
  watch.stdout.on('data', (c: Buffer) => { out += c.toString(); });
  try {
    let r = await s.kubectl(['create', 'configmap', 'm-start']);
    assert.equal(r.code, 0, r.stderr);
    await until('the watch to show m-start', async () => (out.includes('configmap/m-start') ? true : undefined), 30_000);
    for (const [i, m] of cluster.members.entries()) {
      await m.kill();
      // writes go on through the other members (a write in flight when the member died may fail once)
      await until(`a write with member ${i} down`, async () => ((await s.kubectl(['create', 'configmap', `m-down-${i}`])).code === 0 || (await s.kubectl(['get', 'configmap', `m-down-${i}`])).code === 0 ? true : undefined), 30_000);
      await m.start();
      r = await s.kubectl(['create', 'configmap', `m-back-${i}`]);
      assert.equal(r.code, 0, r.stderr);
    }
    const names = ['m-start', ...[0, 1, 2].flatMap((i) => [`m-down-${i}`, `m-back-${i}`])];
    await until('the watch to show every configmap', async () => (names.every((n) => out.includes(`configmap/${n}\n`)) ? true : undefined), 30_000);
    const seen = out.trim().split('\n').filter((l) => l.startsWith('configmap/m-'));
    assert.deepEqual(seen, names.map((n) => `configmap/${n}`), 'each once, in order');
  } finally {
    watch.kill('SIGKILL');
  }
});
