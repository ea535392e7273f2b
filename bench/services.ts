/**
 * Services and cluster DNS: how fast the service proxy and the DNS server are.
 *
 *   node dist/bench/services.js [--ready-runs N] [--services 1000] [--endpoints 10] [--updates 20] [--dns-seconds S]
 *
 * 1. ready → traffic: a netns "pod" running busybox httpd on a test bridge (10.205.N.0/24), a Pod
 *    object with its IP, a Service selecting it, the real EndpointSlice controller and the
 *    ServiceProxy over the real REST core (in memory, service CIDR 10.206.0.0/16). Clock starts when
 *    the pod's Ready condition is written; stops when an HTTP GET to the ClusterIP from the host
 *    answers (the VIP is refused locally until its rule is in, so polling it is safe). p50/max.
 * 2. programming: services with E ready endpoints each are created through the API while a proxy
 *    runs; at 10%, 25%, 50% and 100% of them, U single-endpoint updates are timed (slice write →
 *    programmed, and the nft transaction alone). The per-update cost must not grow with the table
 *    (incremental transactions). Then a fresh proxy is started over all S services: the time to
 *    program them all (informer sync + one transaction).
 * 3. DNS: the cluster DNS server on 127.0.0.1 over a zone of S services; 64 queries in flight over
 *    UDP for a bounded time (load generator in a worker thread): queries/s, p50 and p99.
 * Prints a table and writes bench/results/services.json. Run as root (nftables, netns).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'node:http';
import { createSocket } from 'node:dgram';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import * as dnsPacket from 'dns-packet';
import type { KubeObject } from '../src/api/object.js';
import { Resources } from '../src/client/resources.js';
import { SharedInformers } from '../src/client/shared-informers.js';
import { startTestApi, type TestApi } from '../src/testing/test-api.js';
import { startEndpointSliceController } from '../src/controllers/endpointslice.js';
import { ensureServiceAccount, runPod } from '../src/controllers/replicaset-testkit.js';
import { ServiceProxy, type SyncInfo } from '../src/network/proxy/service-proxy.js';
import { NetnsFixture } from '../src/network/proxy/netns-fixture.js';
import { deleteTable, tableExists } from '../src/network/proxy/nft-test-util.js';
import { startDnsServer } from '../src/network/dns/dns-server.js';
import type { ZoneView } from '../src/network/dns/cluster-zone.js';
import { setLogLevel } from '../src/util/log.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const arg = (name: string, dflt: string) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1] : dflt; };
const READY_RUNS = Number(arg('ready-runs', '10'));
const SERVICES = Number(arg('services', '1000'));
const ENDPOINTS = Number(arg('endpoints', '10'));
const UPDATES = Number(arg('updates', '20'));
const DNS_SECONDS = Number(arg('dns-seconds', '5'));
const SERVICE_CIDR = '10.206.0.0/16';

const pct = (xs: number[], p: number) => { const s = [...xs].sort((a, b) => a - b); return s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] : NaN; };
const r1 = (x: number) => Math.round(x * 10) / 10;

function httpGet(host: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = request({ host, port, path: '/', agent: false, timeout: 2000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end();
  });
}

async function withApi<T>(fn: (api: TestApi) => Promise<T>): Promise<T> {
  const api = await startTestApi({ serviceCIDR: SERVICE_CIDR });
  try {
    await api.client.create(Resources.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } }).catch(() => undefined);
    return await fn(api);
  } finally { await api.close(); }
}

/** 1. pod Ready written → first answer through its ClusterIP. */
async function readyToTraffic(): Promise<{ runs: number; p50Ms: number; maxMs: number; samplesMs: number[] }> {
  const net = await NetnsFixture.create();
  const table = `pp_bench_ready_${process.pid}`;
  const samples: number[] = [];
  try {
    const pod = await net.addPod('a', 2);
    await net.serve(pod, 8080, 'ready');
    await withApi(async (api) => {
      const c = api.client;
      await ensureServiceAccount(c, 'default');
      const informers = new SharedInformers(c);
      const slicer = startEndpointSliceController({ client: c, informers });
      const proxy = new ServiceProxy({ informers, table, serviceCidr: SERVICE_CIDR, podCidr: net.subnet, podInterface: net.bridge });
      try {
        await informers.start();
        await proxy.start();
        for (let i = 0; i < READY_RUNS; i++) {
          const name = `ready-${i}`;
          const p: KubeObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', labels: { run: name } }, spec: { containers: [{ name: 'c', image: 'busybox:1.36' }] } };
          await c.create(Resources.pods, 'default', p);
          await runPod(c, p, { ready: false });
          await c.patch(Resources.pods, 'default', name, 'merge', { status: { podIP: pod.ip, podIPs: [{ ip: pod.ip }] } }, { subresource: 'status' });
          const svc = await c.create(Resources.services, 'default', { apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { selector: { run: name }, ports: [{ port: 80, targetPort: 8080 }] } });
          const ip = (svc.spec as { clusterIP: string }).clusterIP;
          // let the not-ready slice settle, then make the pod Ready and time the first answer
          await proxy.synced();
          const t0 = performance.now();
          await runPod(c, { ...p, spec: { nodeName: 'node-1' } }, { ready: true });
          const deadline = Date.now() + 30_000;
          for (;;) {
            if ((await httpGet(ip, 80)) === 'ready') break;
            if (Date.now() > deadline) throw new Error(`service ${name} never answered`);
            await new Promise((r) => setTimeout(r, 2));
          }
          samples.push(performance.now() - t0);
          await c.delete(Resources.services, 'default', name);
          await c.delete(Resources.pods, 'default', name, { gracePeriodSeconds: 0 });
        }
      } finally {
        await proxy.stop();
        await slicer.stop();
        informers.stop();
      }
    });
  } finally {
    if (await tableExists(table)) await deleteTable(table);
    await net.remove();
  }
  return { runs: samples.length, p50Ms: r1(pct(samples, 50)), maxMs: r1(Math.max(...samples)), samplesMs: samples.map(r1) };
}

interface GrowthPoint { services: number; updates: number; p50Ms: number; p99Ms: number; nftP50Ms: number; commandsPerUpdate: number }

/** 2. per-update cost as the table grows, and programming all services at once. */
async function programming(): Promise<{ growth: GrowthPoint[]; fullProgramMs: number; fullNftMs: number; fullCommands: number; createPerSecond: number }> {
  const tableA = `pp_bench_grow_${process.pid}`;
  const tableB = `pp_bench_full_${process.pid}`;
  try {
    return await withApi(async (api) => {
      const c = api.client;
      const syncs: SyncInfo[] = [];
      const waiters = new Map<string, () => void>();
      const proxy = new ServiceProxy({
        client: c, table: tableA, serviceCidr: SERVICE_CIDR, podCidr: '10.205.0.0/16',
        onSync: (s) => { syncs.push(s); for (const k of s.services) { waiters.get(k)?.(); waiters.delete(k); } },
      });
      const growth: GrowthPoint[] = [];
      let created = 0;
      let createMs = 0;
      // rules only, never traffic: addresses nothing here owns are fine as DNAT targets
      const epIp = (svc: number, ep: number, gen = 0) => {
        if (gen) return `10.209.${(gen >> 8) & 255}.${gen & 255}`; // a new address for every update
        const n = svc * ENDPOINTS + ep;
        return `10.210.${(n >> 8) & 255}.${n & 255}`;
      };
      let gen = 0;
      const slice = (i: number, gen = 0, rv?: string) => ({
        apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
        metadata: { name: `svc-${i}-x`, labels: { 'kubernetes.io/service-name': `svc-${i}` }, ...(rv ? { resourceVersion: rv } : {}) },
        addressType: 'IPv4', ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
        endpoints: Array.from({ length: ENDPOINTS }, (_, e) => ({ addresses: [epIp(i, e, e === 0 ? gen : 0)], conditions: { ready: true } })),
      });
      try {
        await proxy.start();
        for (const frac of [0.1, 0.25, 0.5, 1]) {
          const target = Math.round(SERVICES * frac);
          const t0 = performance.now();
          const todo = Array.from({ length: target - created }, (_, k) => created + k);
          for (let j = 0; j < todo.length; j += 16) {
            await Promise.all(todo.slice(j, j + 16).map(async (i) => {
              await c.create(Resources.services, 'default', { apiVersion: 'v1', kind: 'Service', metadata: { name: `svc-${i}` }, spec: { ports: [{ name: 'http', port: 80, targetPort: 8080 }] } });
              await c.create(Resources.endpointslices, 'default', slice(i));
            }));
          }
          createMs += performance.now() - t0;
          created = target;
          await proxy.synced();
          // wait until the proxy has every created service programmed
          const deadline = Date.now() + 120_000;
          while (proxy.programmedPorts().filter((p) => p.endpoints.length === ENDPOINTS).length < created) {
            if (Date.now() > deadline) throw new Error('services were not all programmed');
            await new Promise((r) => setTimeout(r, 20));
            await proxy.synced();
          }
          const lat: number[] = [];
          const nft: number[] = [];
          const cmds: number[] = [];
          for (let u = 0; u < UPDATES; u++) {
            const i = Math.floor(Math.random() * created);
            const cur = await c.get(Resources.endpointslices, 'default', `svc-${i}-x`);
            const key = `default/svc-${i}`;
            const done = new Promise<void>((resolve, reject) => {
              const t = setTimeout(() => reject(new Error(`update of ${key} not programmed within 30 s`)), 30_000);
              waiters.set(key, () => { clearTimeout(t); resolve(); });
            });
            const before = syncs.length;
            const t = performance.now();
            await c.update(Resources.endpointslices, 'default', slice(i, ++gen, cur.metadata.resourceVersion) as KubeObject);
            await done;
            lat.push(performance.now() - t);
            const s = syncs.slice(before).find((x) => x.services.includes(key))!;
            nft.push(s.nftMs);
            cmds.push(s.commands);
          }
          growth.push({ services: created, updates: UPDATES, p50Ms: r1(pct(lat, 50)), p99Ms: r1(pct(lat, 99)), nftP50Ms: r1(pct(nft, 50)), commandsPerUpdate: pct(cmds, 50) });
          process.stderr.write(`  ${JSON.stringify(growth[growth.length - 1])}\n`);
        }
      } finally {
        await proxy.stop();
      }
      // a fresh proxy over all services: informer sync + one transaction
      let full: SyncInfo | undefined;
      const fresh = new ServiceProxy({ client: c, table: tableB, serviceCidr: SERVICE_CIDR, podCidr: '10.205.0.0/16', onSync: (s) => { full ??= s; } });
      const t0 = performance.now();
      await fresh.start();
      const fullProgramMs = performance.now() - t0;
      const programmedPorts = fresh.programmedPorts().length;
      await fresh.stop();
      if (programmedPorts !== SERVICES) throw new Error(`fresh proxy programmed ${programmedPorts} of ${SERVICES} services`);
      return { growth, fullProgramMs: r1(fullProgramMs), fullNftMs: r1(full?.nftMs ?? NaN), fullCommands: full?.commands ?? 0, createPerSecond: Math.round(created / (createMs / 1000)) };
    });
  } finally {
    for (const t of [tableA, tableB]) if (await tableExists(t)) await deleteTable(t);
  }
}

/** 3. DNS queries per second and latency on loopback. */
interface DnsLoadResult { queries: number; seconds: number; qps: number; p50Ms: number; p99Ms: number; errors: number }

/** The load generator (runs in a worker thread, so it does not share the server's event loop). */
function dnsLoadGenerator(port: number, services: number, seconds: number, inFlight: number): Promise<DnsLoadResult> {
  const sock = createSocket('udp4');
  const inflight = new Map<number, number>();
  const lat: number[] = [];
  let errors = 0;
  let nextId = 1;
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  return new Promise<void>((resolve) => {
    const send = () => {
      if (performance.now() >= end) { if (inflight.size === 0) resolve(); return; }
      const id = nextId = (nextId % 65535) + 1;
      const name = `svc-${Math.floor(Math.random() * services)}.default.svc.cluster.local`;
      inflight.set(id, performance.now());
      sock.send(dnsPacket.encode({ type: 'query', id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: 'A', name }] }), port, '127.0.0.1');
    };
    sock.on('message', (msg) => {
      const r = dnsPacket.decode(msg);
      const start = inflight.get(r.id!);
      if (start === undefined) return;
      inflight.delete(r.id!);
      if ((r as { rcode?: string }).rcode !== 'NOERROR' || !r.answers?.length) errors++;
      lat.push(performance.now() - start);
      send();
    });
    // bounded: whatever is still in flight 2 s after the end counts as lost
    setTimeout(() => { errors += inflight.size; inflight.clear(); resolve(); }, seconds * 1000 + 2000).unref();
    for (let k = 0; k < inFlight; k++) send();
  }).then(() => {
    sock.close();
    const secs = (performance.now() - t0) / 1000;
    return { queries: lat.length, seconds: r1(secs), qps: Math.round(lat.length / secs), p50Ms: Math.round(pct(lat, 50) * 100) / 100, p99Ms: Math.round(pct(lat, 99) * 100) / 100, errors };
  });
}

/** 3. DNS queries per second and latency on loopback: the server here, the load in a worker thread. */
async function dnsLoad(): Promise<DnsLoadResult> {
  const services = new Map<string, KubeObject>();
  for (let i = 0; i < SERVICES; i++) services.set(`default/svc-${i}`, { apiVersion: 'v1', kind: 'Service', metadata: { name: `svc-${i}`, namespace: 'default' }, spec: { clusterIP: `10.206.${i >> 8}.${i & 255}`, ports: [{ name: 'http', port: 80, protocol: 'TCP' }] } });
  const view: ZoneView = { service: (ns, n) => services.get(`${ns}/${n}`), slices: () => [], namespaceExists: (ns) => ns === 'default' };
  const server = await startDnsServer({ view, bind: '127.0.0.1', port: 0, upstream: [] });
  try {
    const worker = new Worker(new URL(import.meta.url), { workerData: { dnsPort: server.port, services: SERVICES, seconds: DNS_SECONDS, inFlight: 64 } });
    return await new Promise<DnsLoadResult>((resolve, reject) => {
      worker.once('message', (m: DnsLoadResult) => resolve(m));
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`DNS load worker exited (${code}) without a result`)));
    });
  } finally {
    await server.close();
  }
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('bench/services needs root (nftables, network namespaces)');
  setLogLevel('warn');
  process.stderr.write(`ready → traffic (${READY_RUNS} runs)…\n`);
  const ready = await readyToTraffic();
  process.stderr.write(`programming ${SERVICES} services × ${ENDPOINTS} endpoints…\n`);
  const prog = await programming();
  process.stderr.write(`DNS load (${DNS_SECONDS} s)…\n`);
  const dns = await dnsLoad();

  const rows: string[][] = [
    ['pod Ready → traffic through its ClusterIP', `p50 ${ready.p50Ms} ms, max ${ready.maxMs} ms (${ready.runs} runs)`],
    ...prog.growth.map((g) => [`one endpoint update with ${g.services} services`, `p50 ${g.p50Ms} ms, p99 ${g.p99Ms} ms (nft ${g.nftP50Ms} ms, ${g.commandsPerUpdate} commands)`]),
    [`program ${SERVICES} services × ${ENDPOINTS} endpoints (fresh proxy)`, `${prog.fullProgramMs} ms (nft ${prog.fullNftMs} ms, ${prog.fullCommands} commands)`],
    ['per-update growth 10% → 100% of services', `× ${r1(prog.growth[prog.growth.length - 1].p50Ms / prog.growth[0].p50Ms)} (p50), nft × ${r1(prog.growth[prog.growth.length - 1].nftP50Ms / prog.growth[0].nftP50Ms)}`],
    [`DNS A queries, ${SERVICES}-service zone, 64 in flight`, `${dns.qps} q/s, p50 ${dns.p50Ms} ms, p99 ${dns.p99Ms} ms, ${dns.errors} errors`],
  ];
  const w = Math.max(...rows.map((r) => r[0].length));
  process.stdout.write(rows.map((r) => `${r[0].padEnd(w)}  ${r[1]}`).join('\n') + '\n');
  mkdirSync(join(repoRoot, 'bench', 'results'), { recursive: true });
  writeFileSync(join(repoRoot, 'bench', 'results', 'services.json'), JSON.stringify({
    date: new Date().toISOString(), cpus: cpus().length, cpuModel: cpus()[0]?.model, node: process.version,
    params: { readyRuns: READY_RUNS, services: SERVICES, endpoints: ENDPOINTS, updates: UPDATES, dnsSeconds: DNS_SECONDS },
    readyToTraffic: ready, programming: prog, dns,
  }, null, 2) + '\n');
}

if (isMainThread) {
  main().catch((e) => { process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`); process.exitCode = 1; });
} else {
  const d = workerData as { dnsPort: number; services: number; seconds: number; inFlight: number };
  void dnsLoadGenerator(d.dnsPort, d.services, d.seconds, d.inFlight).then((r) => parentPort!.postMessage(r));
}
