/**
 * Several `peapod server`s on one etcd (started by the test on free loopback ports):
 * kubectl create/get/watch through a server on etcd; a second server joins with the first one's
 * token file only (CA, keys and token come from the store) and serves the same objects to the
 * same kubeconfig (a third server too); a (simulated) node joins through the follower with the same token and the
 * leader's scheduler places a pod on it; when the leader is killed the other takes the Lease over
 * within leaseDuration (12 s) of the leader's last renewal, and the scheduler and controllers run there.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, kubectlBinary, cliMain, type TestServer } from './harness.js';
import { startTestEtcd, type TestEtcd } from '../../src/storage/etcd/test-etcd.js';

let etcd: TestEtcd | undefined;
const servers: TestServer[] = [];
let stopSim = async (): Promise<void> => {};
after(async () => {
  await stopSim();
  for (const s of servers) await s.stop().catch(() => undefined);
  await etcd?.stop();
});

const etcdArgs = () => ['--store', 'etcd', '--etcd-endpoints', etcd!.endpoint];

/** Poll `fn` until it returns a value (bounded). */
async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

interface LeaseView { holder: string; transitions: number; port: number }
async function lease(s: TestServer): Promise<LeaseView | undefined> {
  const r = await s.kubectl(['get', 'lease', '-n', 'kube-system', 'peapod-controllers', '-o', 'json']);
  if (r.code !== 0) return undefined;
  const spec = JSON.parse(r.stdout).spec ?? {};
  const holder = String(spec.holderIdentity ?? '');
  if (!holder) return undefined;
  return { holder, transitions: Number(spec.leaseTransitions ?? 0), port: Number(holder.split('_').at(-2)) };
}

test('kubectl create, get and watch through a server on etcd; two more servers join by token; leader failover', { timeout: 240_000 }, async () => {
  etcd = await startTestEtcd();
  const a = await startServer({ args: etcdArgs() });
  servers.push(a);

  // create / get
  let r = await a.kubectl(['create', 'configmap', 'one', '--from-literal=k=v1']);
  assert.equal(r.code, 0, r.stderr);
  r = await a.kubectl(['get', 'configmap', 'one', '-o', 'jsonpath={.data.k} {.metadata.resourceVersion}']);
  assert.equal(r.code, 0, r.stderr);
  const [val, rv] = r.stdout.split(' ');
  assert.equal(val, 'v1');
  // the resourceVersion is etcd's revision of the key
  const raw = await fetchEtcdModRevision('/registry/configmaps/default/one');
  assert.equal(Number(rv), raw);

  // watch: kubectl get -w sees a configmap created afterwards
  const watch = spawn(kubectlBinary()!, ['get', 'configmaps', '-w', '-o', 'name'], { env: { ...process.env, KUBECONFIG: a.kubeconfig, HOME: a.dataDir } });
  let out = '';
  watch.stdout.on('data', (c: Buffer) => { out += c.toString(); });
  try {
    await until('the watch to list configmap/one', async () => (out.includes('configmap/one') ? true : undefined), 20_000);
    r = await a.kubectl(['create', 'configmap', 'two', '--from-literal=k=v2']);
    assert.equal(r.code, 0, r.stderr);
    await until('the watch to see configmap/two', async () => (out.includes('configmap/two') ? true : undefined), 20_000);
  } finally {
    watch.kill('SIGKILL');
  }

  // a second server with only the first one's token file
  const tokenFile = join(a.dataDir, 'node-token');
  const b = await startServer({ args: [...etcdArgs(), '--token-file', tokenFile] });
  servers.push(b);
  assert.equal(readFileSync(join(b.dataDir, 'pki', 'ca.crt'), 'utf8'), readFileSync(join(a.dataDir, 'pki', 'ca.crt'), 'utf8'));
  assert.equal(readFileSync(join(b.dataDir, 'node-token'), 'utf8'), readFileSync(tokenFile, 'utf8'));
  // A's kubeconfig works against B (same CA, same admin credential); B sees what A wrote
  r = await a.kubectl(['--server', b.url, 'get', 'configmap', 'one', 'two', '-o', 'name']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n'), ['configmap/one', 'configmap/two']);
  r = await b.kubectl(['--server', a.url, 'create', 'configmap', 'three']);
  assert.equal(r.code, 0, r.stderr);

  // a third one: all three serve the API
  const c = await startServer({ args: [...etcdArgs(), '--token-file', tokenFile] });
  servers.push(c);
  for (const s of [a, b, c]) {
    const g = await c.kubectl(['--server', s.url, 'get', 'configmaps', 'one', 'two', 'three', '-o', 'name']);
    assert.equal(g.code, 0, g.stderr);
    assert.equal(g.stdout.trim().split('\n').length, 3);
  }

  // one leader among the three
  const first = await until('a lease holder', () => lease(a));
  const all = [a, b, c];
  const portOf = (s: TestServer) => Number(new URL(s.url).port);
  const leader = all.find((s) => portOf(s) === first.port);
  assert.ok(leader, `holder ${first.holder} is one of the servers (${all.map(portOf)})`);
  const followers = all.filter((s) => s !== leader);
  const follower = followers[0]!;

  // a (simulated) node joins through the follower with the token; the leader's scheduler places a pod on it
  const simAgent = spawn(process.execPath, [cliMain, 'sim-agent', '--server', follower.url, '--token-file', tokenFile, '--nodes', '1', '--name-prefix', 'joined-'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let simLog = '';
  simAgent.stderr!.on('data', (c: Buffer) => { simLog += c.toString(); });
  const simExited = new Promise<void>((r) => simAgent.once('exit', () => r()));
  stopSim = async () => { if (simAgent.exitCode === null && simAgent.signalCode === null) { simAgent.kill('SIGTERM'); await simExited; } };
  await until('node joined-0 Ready', async () => {
    const g = await leader.kubectl(['get', 'node', 'joined-0', '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}']);
    return g.code === 0 && g.stdout === 'True' ? true : undefined;
  }, 60_000).catch((e) => { throw new Error(`${(e as Error).message}\n${simLog.slice(-2000)}`); });
  const runPod = async (via: TestServer, name: string) => {
    const c = await via.kubectl(['run', name, '--image=busybox:1.36', '--restart=Never', '--', 'sleep', '3600']);
    assert.equal(c.code, 0, c.stderr);
    return until(`pod ${name} Running on joined-0`, async () => {
      const g = await via.kubectl(['get', 'pod', name, '-o', 'jsonpath={.spec.nodeName} {.status.phase}']);
      return g.code === 0 && g.stdout === 'joined-0 Running' ? true : undefined;
    }, 60_000);
  };
  await runPod(follower, 'before-failover');

  // kill the leader: one of the followers takes the lease over within 15 s (the bound)
  const killedAt = Date.now();
  await leader.kill();
  const next = await until('a follower to hold the lease', async () => {
    const l = await lease(follower);
    return l && l.holder !== first.holder ? l : undefined;
  }, 40_000);
  const failoverMs = Date.now() - killedAt;
  assert.ok(followers.map(portOf).includes(next.port), `new holder ${next.holder} is a surviving server`);
  assert.equal(next.transitions, first.transitions + 1);
  // leaseDuration (12 s) after the leader's last renewal (≤ 2 s before the kill), plus kubectl's polling
  assert.ok(failoverMs <= 15_000, `failover took ${failoverMs} ms`);
  process.stderr.write(`# leader failover: ${failoverMs} ms\n`);

  // the scheduler now runs on the survivor
  await runPod(follower, 'after-failover');
  await stopSim();

  // the controllers now run on the survivor: a new namespace gets its default ServiceAccount
  r = await follower.kubectl(['create', 'namespace', 'after-failover']);
  assert.equal(r.code, 0, r.stderr);
  await until('the default ServiceAccount in the new namespace', async () => {
    const g = await follower.kubectl(['get', 'serviceaccount', 'default', '-n', 'after-failover', '-o', 'name']);
    return g.code === 0 ? true : undefined;
  }, 20_000);
});

/** The mod revision etcd holds for a key, read with etcdctl (a second, independent client). */
async function fetchEtcdModRevision(key: string): Promise<number> {
  const out = await new Promise<string>((resolve, reject) => {
    const p = spawn('etcdctl', ['--endpoints', etcd!.endpoint, 'get', key, '-w', 'json'], { env: { ...process.env, ETCDCTL_API: '3' } });
    let s = '';
    p.stdout.on('data', (c: Buffer) => { s += c.toString(); });
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve(s) : reject(new Error(`etcdctl exited ${code}`))));
  });
  return Number(JSON.parse(out).kvs[0].mod_revision);
}
