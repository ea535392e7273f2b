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
 * The figure is the ratio to raw etcd (ops/s ÷ raw ops/s). Then the failover time: two servers on
 * the etcd, the Lease holder is SIGKILLed, time until the other holds kube-system/peapod-controllers
 * (the Lease is 15 s; a follower takes over 15 s after it last saw a renewal).
 * Prints a table and writes bench/results/store-etcd.json.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EtcdStore } from '../src/storage/etcd/etcd-store.js';
import { startTestEtcd, type TestEtcd } from '../src/storage/etcd/test-etcd.js';
import { podValue } from '../src/storage/sample-values.js';
import { HttpClient } from '../src/client/http-client.js';
import { Resources } from '../src/client/resources.js';
import { startServer, type TestServer } from '../test/e2e/harness.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const arg = (name: string, dflt: string) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1]! : dflt; };
const OPS = Number(arg('ops', '2000'));
const CONC = Number(arg('concurrency', '16'));
const FAILOVERS = Number(arg('failovers', '1'));
if (!Number.isInteger(OPS) || OPS < 100) throw new Error('--ops: an integer >= 100');
if (!Number.isInteger(CONC) || CONC < 1) throw new Error('--concurrency: a positive integer');

interface Phase { ops: number; seconds: number; opsPerSec: number; p50ms: number; p99ms: number }

/** Run `count` operations with `conc` in flight; latency of each. */
async function measure(count: number, conc: number, fn: (i: number) => Promise<unknown>): Promise<Phase> {
  const lat = new Float64Array(count);
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: Math.min(conc, count) }, async () => {
    for (let i = next++; i < count; i = next++) {
      const s = performance.now();
      await fn(i);
      lat[i] = performance.now() - s;
    }
  }));
  const seconds = (performance.now() - t0) / 1000;
  const sorted = Float64Array.from(lat).sort();
  const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
  return { ops: count, seconds: +seconds.toFixed(3), opsPerSec: Math.round(count / seconds), p50ms: +q(0.5).toFixed(2), p99ms: +q(0.99).toFixed(2) };
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
  const results: Record<string, Record<string, Phase | number>> = {};
  const failovers: number[] = [];
  const cpuMsPerOp: Record<string, number> = {};
  /** Run a phase and note the CPU the server and etcd spent per operation. */
  const withCpu = async (name: string, serverPid: number | undefined, run: () => Promise<Phase>): Promise<Phase> => {
    const s0 = cpuSeconds(serverPid);
    const e0 = cpuSeconds(etcd!.pid);
    const c0 = process.cpuUsage();
    const p = await run();
    const c = process.cpuUsage(c0);
    cpuMsPerOp[`${name}: bench client`] = +(((c.user + c.system) / 1000) / p.ops).toFixed(3);
    if (serverPid) cpuMsPerOp[`${name}: peapod server`] = +((cpuSeconds(serverPid) - s0) * 1000 / p.ops).toFixed(3);
    cpuMsPerOp[`${name}: etcd`] = +((cpuSeconds(etcd!.pid) - e0) * 1000 / p.ops).toFixed(3);
    return p;
  };
  try {
    etcd = await startTestEtcd();
    store = new EtcdStore({ endpoints: [etcd.endpoint] });
    const raw = store.etcd;
    const value = (i: number) => podValue(`ns-${i % 20}`, `pod-${String(i).padStart(7, '0')}`);
    const reads = pick(OPS, 11);

    // Interleave the layers phase by phase (the machine is shared; its load drifts).
    const rawW = await withCpu('raw write', undefined, () => measure(OPS, CONC, (i) => raw.put(`/raw/pods/p${i}`).value(value(i)).exec()));
    const storeW = await withCpu('store write', undefined, () => measure(OPS, CONC, (i) => store!.create(`/registry/pods/ns-${i % 20}/p${i}`, value(i))));
    const rawR = await measure(OPS, CONC, async (j) => { if ((await raw.get(`/raw/pods/p${reads[j]}`).string()) === null) throw new Error('missing'); });
    const storeR = await measure(OPS, CONC, async (j) => { const i = reads[j]!; if (!(await store!.get(`/registry/pods/ns-${i % 20}/p${i}`)).kv) throw new Error('missing'); });

    const a = await startServer({ args: ['--store', 'etcd', '--etcd-endpoints', etcd.endpoint] });
    servers.push(a);
    const api = HttpClient.fromKubeconfig(a.kubeconfig);
    clients.push(api);
    const data = { v: 'x'.repeat(1500) };
    const apiW = await withCpu('api write', a.process.pid, () => measure(OPS, CONC, (i) => api.create(Resources.configmaps, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `c${i}` }, data })));
    const apiR = await withCpu('api read', a.process.pid, () => measure(OPS, CONC, (j) => api.get(Resources.configmaps, 'default', `c${reads[j]}`)));
    const rawW2 = await measure(OPS, CONC, (i) => raw.put(`/raw/pods/q${i}`).value(value(i)).exec());
    const rawR2 = await measure(OPS, CONC, async (j) => { if ((await raw.get(`/raw/pods/q${reads[j]}`).string()) === null) throw new Error('missing'); });

    const best = (x: Phase, y: Phase) => (x.opsPerSec >= y.opsPerSec ? x : y);
    const rawWrite = best(rawW, rawW2);
    const rawRead = best(rawR, rawR2);
    const ratio = (p: Phase, r: Phase) => +(p.opsPerSec / r.opsPerSec).toFixed(2);
    results.write = { raw: rawWrite, store: storeW, api: apiW, storeRatio: ratio(storeW, rawWrite), apiRatio: ratio(apiW, rawWrite) };
    results.read = { raw: rawRead, store: storeR, api: apiR, storeRatio: ratio(storeR, rawRead), apiRatio: ratio(apiR, rawRead) };

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
  } finally {
    for (const c of clients) c.close();
    for (const s of servers) await s.stop().catch(() => undefined);
    await store?.close();
    await etcd?.stop();
  }

  const rows: string[][] = [['op', 'layer', 'ops/s', 'p50 ms', 'p99 ms', '÷ raw']];
  for (const op of ['write', 'read'] as const) {
    const r = results[op]!;
    for (const layer of ['raw', 'store', 'api'] as const) {
      const p = r[layer] as Phase;
      const label = { raw: 'raw etcd (etcd3)', store: 'EtcdStore', api: 'API (peapod server, HTTPS)' }[layer];
      rows.push([op, label, String(p.opsPerSec), p.p50ms.toFixed(2), p.p99ms.toFixed(2), layer === 'raw' ? '1.00' : String(r[`${layer}Ratio`])]);
    }
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  for (const r of rows) console.log(r.map((cell, c) => (c < 2 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '));
  console.log(`CPU ms per operation: ${Object.entries(cpuMsPerOp).map(([k, v]) => `${k} ${v}`).join('; ')}`);
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
    ratio: 'ops/s ÷ raw etcd ops/s (same client library, same run)',
    results,
    cpuMsPerOp,
    failoverMs: failovers,
  };
  mkdirSync(join(repoRoot, 'bench', 'results'), { recursive: true });
  writeFileSync(join(repoRoot, 'bench', 'results', 'store-etcd.json'), JSON.stringify(out, null, 2) + '\n');
}

main().then(() => process.exit(0), (err) => { console.error(err); process.exit(1); });
