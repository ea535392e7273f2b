/**
 * peapod on etcd against raw etcd, in the same run, from the same client library (etcd3 over
 * gRPC), on one etcd member started here (/usr/bin/etcd, free loopback ports, data in /dev/shm):
 *
 *   node dist/bench/store-etcd.js [--ops 2000] [--concurrency 16] [--failovers 1]
 *
 * Layers, each with writes (creates of new keys) and reads (gets of random existing keys), ~1.6 KB
 * values, `concurrency` operations in flight:
 *   raw etcd   etcd3 put / get of plain keys
 *   EtcdStore  Store.create (txn createRevision == 0 → put) / Store.get (range)
 *   API        a real `peapod server --store etcd` process: HTTPS POST / GET of ConfigMaps with
 *              kubectl's admin credential (HttpClient), through authn/authz/admission/REST/codec
 * The figure is the ratio to raw etcd (ops/s ÷ raw ops/s), each layer measured in 5 chunks that
 * alternate with chunks of raw etcd, so both see the same machine. Then the failover time: two servers on
 * the etcd, the Lease holder is SIGKILLed, time until the other holds kube-system/peapod-controllers
 * (the Lease is 12 s; a follower takes over 12 s after it last saw a renewal); and an etcd member
 * failover: a server on 3 members, the member in use is SIGKILLed, time until an API write succeeds
 * and until a watch opened before delivers it.
 * Prints a table and writes bench/results/store-etcd.json.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EtcdStore } from '../src/storage/etcd/etcd-store.js';
import { startTestEtcd, startTestEtcdCluster, type TestEtcd, type TestEtcdCluster } from '../src/storage/etcd/test-etcd.js';
import { podValue } from '../src/storage/sample-values.js';
import { HttpClient } from '../src/client/http-client.js';
import { Resources } from '../src/client/resources.js';
import { startServer, type TestServer } from '../test/e2e/harness.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const arg = (name: string, dflt: string) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1]! : dflt; };
const OPS = Number(arg('ops', '2000'));
const CONC = Number(arg('concurrency', '16'));
const FAILOVERS = Number(arg('failovers', '1'));
const ROUNDS = 5;
if (!Number.isInteger(OPS) || OPS < 100) throw new Error('--ops: an integer >= 100');
if (!Number.isInteger(CONC) || CONC < 1) throw new Error('--concurrency: a positive integer');

interface Phase { ops: number; seconds: number; opsPerSec: number; p50ms: number; p99ms: number }

/** Operations [from, to) with `conc` in flight: the latency of each into `lat`; returns seconds. */
async function runChunk(from: number, to: number, conc: number, lat: Float64Array, fn: (i: number) => Promise<unknown>): Promise<number> {
  let next = from;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: Math.min(conc, to - from) }, async () => {
    for (let i = next++; i < to; i = next++) {
      const s = performance.now();
      await fn(i);
      lat[i] = performance.now() - s;
    }
  }));
  return (performance.now() - t0) / 1000;
}

function phase(lat: Float64Array, seconds: number): Phase {
  const sorted = Float64Array.from(lat).sort();
  const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
  return { ops: lat.length, seconds: +seconds.toFixed(3), opsPerSec: Math.round(lat.length / seconds), p50ms: +q(0.5).toFixed(2), p99ms: +q(0.99).toFixed(2) };
}

interface Side { name: string; fn: (i: number) => Promise<unknown>; serverPid?: number }

/**
 * Two sides measured in alternating chunks (A, B, A, B, …; ROUNDS each), so that both see the same
 * machine: this machine is shared and its load drifts. CPU per operation of the bench client, the
 * peapod server (when there is one) and etcd is noted for each side.
 */
async function paired(a: Side, b: Side, etcdPid: number | undefined, cpu: Record<string, number>): Promise<[Phase, Phase]> {
  const sides = [a, b].map((side) => ({ side, lat: new Float64Array(OPS), seconds: 0, client: 0, server: 0, etcd: 0 }));
  const chunk = Math.ceil(OPS / ROUNDS);
  for (let from = 0; from < OPS; from += chunk) {
    for (const x of sides) {
      const s0 = cpuSeconds(x.side.serverPid);
      const e0 = cpuSeconds(etcdPid);
      const c0 = process.cpuUsage();
      x.seconds += await runChunk(from, Math.min(OPS, from + chunk), CONC, x.lat, x.side.fn);
      const c = process.cpuUsage(c0);
      x.client += (c.user + c.system) / 1000;
      if (x.side.serverPid) x.server += (cpuSeconds(x.side.serverPid) - s0) * 1000;
      x.etcd += (cpuSeconds(etcdPid) - e0) * 1000;
    }
  }
  for (const x of sides) {
    cpu[`${x.side.name}: bench client`] = +(x.client / OPS).toFixed(3);
    if (x.side.serverPid) cpu[`${x.side.name}: peapod server`] = +(x.server / OPS).toFixed(3);
    cpu[`${x.side.name}: etcd`] = +(x.etcd / OPS).toFixed(3);
  }
  return [phase(sides[0]!.lat, sides[0]!.seconds), phase(sides[1]!.lat, sides[1]!.seconds)];
}

function pick(n: number, seed: number): Uint32Array {
  const a = new Uint32Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) { x = (Math.imul(x, 1103515245) + 12345) >>> 0; a[i] = x % n; }
  return a;
}

/** CPU seconds (user + system) a process has used so far. */
function cpuSeconds(pid: number | undefined): number {
  if (!pid) return NaN;
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function leaseHolder(c: HttpClient): Promise<string | undefined> {
  const l = await c.get<{ spec?: { holderIdentity?: string } } & import('../src/api/object.js').KubeObject>(Resources.leases, 'kube-system', 'peapod-controllers');
  return l.spec?.holderIdentity || undefined;
}

async function main(): Promise<void> {
  let etcd: TestEtcd | undefined;
  const servers: TestServer[] = [];
  const clients: HttpClient[] = [];
  let store: EtcdStore | undefined;
  let cluster: TestEtcdCluster | undefined;
  let memberFailover: { writeMs: number; watchMs: number } | undefined;
  const results: Record<string, Record<string, Phase | number>> = {};
  const failovers: number[] = [];
  const cpuMsPerOp: Record<string, number> = {};
  try {
    etcd = await startTestEtcd();
    store = new EtcdStore({ endpoints: [etcd.endpoint] });
    const raw = store.etcd;
    const value = (i: number) => podValue(`ns-${i % 20}`, `pod-${String(i).padStart(7, '0')}`);
    const reads = pick(OPS, 11);

    const rawPut = (tag: string): Side => ({ name: `raw write (beside ${tag})`, fn: (i) => raw.put(`/raw/${tag}/p${i}`).value(value(i)).exec() });
    const rawGet = (tag: string): Side => ({ name: `raw read (beside ${tag})`, fn: async (j) => { if ((await raw.get(`/raw/${tag}/p${reads[j]}`).string()) === null) throw new Error('missing'); } });
    const [rawW, storeW] = await paired(rawPut('store'), { name: 'store write', fn: (i) => store!.create(`/registry/pods/ns-${i % 20}/p${i}`, value(i)) }, etcd.pid, cpuMsPerOp);
    const [rawR, storeR] = await paired(rawGet('store'), { name: 'store read', fn: async (j) => { const i = reads[j]!; if (!(await store!.get(`/registry/pods/ns-${i % 20}/p${i}`)).kv) throw new Error('missing'); } }, etcd.pid, cpuMsPerOp);

    const a = await startServer({ args: ['--store', 'etcd', '--etcd-endpoints', etcd.endpoint] });
    servers.push(a);
    const api = HttpClient.fromKubeconfig(a.kubeconfig);
    clients.push(api);
    const data = { v: 'x'.repeat(1500) };
    const pid = a.process.pid;
    const [rawW2, apiW] = await paired(rawPut('api'), { name: 'api write', serverPid: pid, fn: (i) => api.create(Resources.configmaps, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `c${i}` }, data }) }, etcd.pid, cpuMsPerOp);
    const [rawR2, apiR] = await paired(rawGet('api'), { name: 'api read', serverPid: pid, fn: (j) => api.get(Resources.configmaps, 'default', `c${reads[j]}`) }, etcd.pid, cpuMsPerOp);

    const ratio = (p: Phase, r: Phase) => +(p.opsPerSec / r.opsPerSec).toFixed(2);
    results.write = { raw: rawW, store: storeW, storeRatio: ratio(storeW, rawW), rawBesideApi: rawW2, api: apiW, apiRatio: ratio(apiW, rawW2) };
    results.read = { raw: rawR, store: storeR, storeRatio: ratio(storeR, rawR), rawBesideApi: rawR2, api: apiR, apiRatio: ratio(apiR, rawR2) };

    // Failover: a second server (by token), kill the holder, time until the other holds the Lease.
    const b = await startServer({ args: ['--store', 'etcd', '--etcd-endpoints', etcd.endpoint, '--token-file', join(a.dataDir, 'node-token')] });
    servers.push(b);
    for (let f = 0; f < FAILOVERS; f++) {
      const live = servers.filter((s) => s.process.exitCode === null && s.process.signalCode === null);
      const cs = live.map((s) => { const c = HttpClient.fromKubeconfig(s.kubeconfig); clients.push(c); return c; });
      const holder = await until('a lease holder', () => leaseHolder(cs[0]!), 60_000);
      const port = Number(holder.split('_').at(-2));
      const leader = live.find((s) => Number(new URL(s.url).port) === port)!;
      const follower = live.find((s) => s !== leader)!;
      const fc = cs[live.indexOf(follower)]!;
      const t0 = performance.now();
      await leader.kill();
      await until('the follower to take the lease', async () => { const h = await leaseHolder(fc); return h && h !== holder ? h : undefined; }, 60_000);
      failovers.push(Math.round(performance.now() - t0));
      if (f + 1 < FAILOVERS) await leader.restart(); // back as a follower for the next round
    }

    // etcd member failover: a server on a 3-member cluster; the member it talks to (gRPC pick-first:
    // the first endpoint) is SIGKILLed; time until an API write succeeds again, and until a watch
    // opened before the kill delivers that write.
    for (const s of servers) await s.stop();
    servers.length = 0;
    await etcd.stop();
    cluster = await startTestEtcdCluster(3);
    const m = await startServer({ args: ['--store', 'etcd', '--etcd-endpoints', cluster.endpoints.join(',')] });
    servers.push(m);
    const mc = HttpClient.fromKubeconfig(m.kubeconfig);
    clients.push(mc);
    await mc.create(Resources.configmaps, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'before' } });
    let watchedAt = 0;
    const w = mc.watch(Resources.configmaps, 'default', {}, (ev) => { if (ev.object.metadata.name === 'after-member-kill' && !watchedAt) watchedAt = performance.now(); });
    try {
      await until('the watch to be open', async () => { await mc.create(Resources.configmaps, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'probe' } }); return true; }, 10_000);
      const t0 = performance.now();
      await cluster.members[0]!.kill();
      let wroteAt = 0;
      await until('an API write after the member died', async () => {
        try {
          await mc.create(Resources.configmaps, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'after-member-kill' } });
        } catch (e) {
          if (!/already exists/i.test(String(e))) throw e; // an earlier attempt did get through
        }
        wroteAt = performance.now();
        return true;
      }, 60_000);
      await until('the watch to deliver it', async () => (watchedAt ? true : undefined), 60_000);
      memberFailover = { writeMs: Math.round(wroteAt - t0), watchMs: Math.round(watchedAt - t0) };
    } finally {
      w.stop();
    }
  } finally {
    for (const c of clients) c.close();
    for (const s of servers) await s.stop().catch(() => undefined);
    await store?.close();
    await etcd?.stop();
    await cluster?.stop();
  }

  const rows: string[][] = [['op', 'layer', 'ops/s', 'p50 ms', 'p99 ms', '÷ raw']];
  for (const op of ['write', 'read'] as const) {
    const r = results[op]!;
    for (const layer of ['raw', 'store', 'rawBesideApi', 'api'] as const) {
      const p = r[layer] as Phase;
      const label = { raw: 'raw etcd (etcd3), beside the store', store: 'EtcdStore', rawBesideApi: 'raw etcd (etcd3), beside the API', api: 'API (peapod server, HTTPS)' }[layer];
      const ratioText = layer === 'store' || layer === 'api' ? String(r[`${layer}Ratio`]) : '1.00';
      rows.push([op, label, String(p.opsPerSec), p.p50ms.toFixed(2), p.p99ms.toFixed(2), ratioText]);
    }
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  for (const r of rows) console.log(r.map((cell, c) => (c < 2 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '));
  console.log(`CPU ms per operation: ${Object.entries(cpuMsPerOp).map(([k, v]) => `${k} ${v}`).join('; ')}`);
  if (memberFailover) console.log(`etcd member failover (SIGKILL of the member in use, 3 members): API write after ${memberFailover.writeMs} ms, watch delivered it after ${memberFailover.watchMs} ms`);
  console.log(`leader failover (kill → the other server holds the Lease): ${failovers.map((ms) => `${(ms / 1000).toFixed(1)} s`).join(', ')}`);

  const out = {
    benchmark: 'store-etcd',
    date: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    etcd: '3.4.23 (Debian), one member, data in /dev/shm',
    ops: OPS,
    concurrency: CONC,
    valueBytes: podValue('ns-0', 'pod-0000000').length,
    ratio: 'ops/s ÷ raw etcd ops/s measured in alternating chunks with it (same client library, same run)',
    rounds: ROUNDS,
    results,
    cpuMsPerOp,
    failoverMs: failovers,
    etcdMemberFailoverMs: memberFailover,
  };
  mkdirSync(join(repoRoot, 'bench', 'results'), { recursive: true });
  writeFileSync(join(repoRoot, 'bench', 'results', 'store-etcd.json'), JSON.stringify(out, null, 2) + '\n');
}

main().then(() => process.exit(0), (err) => { console.error(err); process.exit(1); });
