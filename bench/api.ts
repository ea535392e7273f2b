/**
 * bench/api — the API server's throughput and latency at 1k, 10k and 100k stored pods, beside raw
 * better-sqlite3 doing the same writes in the same run (the ratio is the figure).
 *
 *   node dist/bench/api.js [--sizes 1000,10000,100000] [--concurrency 32]
 *
 * Measures, per size: creates/s (while filling), gets/s, updates/s (PUT), namespace list and
 * cluster list latency, watch deliveries/s (10 watchers), server RSS. Prints a table and writes
 * bench/results/api.json.
 */
import { readFileSync, writeFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { startServer } from '../test/e2e/harness.js';
import { HttpClient } from '../src/client/http-client.js';
import { Resources } from '../src/client/resources.js';
import type { KubeObject } from '../src/api/object.js';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i].replace(/^--/, ''), process.argv[i + 1]);
const sizes = (args.get('sizes') ?? '1000,10000,100000').split(',').map(Number);
const concurrency = Number(args.get('concurrency') ?? 32);
const NAMESPACES = 10;

function pod(i: number): KubeObject {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: `bench-${i}`, namespace: `ns-${i % NAMESPACES}`, labels: { app: `app-${i % 100}`, tier: 'bench', 'pod-template-hash': '7d4b9c8f6' }, annotations: { 'bench/index': String(i) } },
    spec: {
      // unscheduled, for a scheduler that does not run: nothing in the server acts on these pods
      // (bound to nodes that do not exist, the pod GC deleted them mid-run after its quarantine)
      schedulerName: 'bench-unscheduled',
      containers: [{
        name: 'web', image: 'busybox:1.36', command: ['httpd', '-f', '-p', '8080'],
        ports: [{ containerPort: 8080, name: 'http' }],
        env: [{ name: 'A', value: 'x'.repeat(64) }, { name: 'B', value: 'y'.repeat(64) }],
        resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { memory: '128Mi' } },
        readinessProbe: { httpGet: { path: '/', port: 8080 }, periodSeconds: 5 },
      }],
      tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }],
    },
  };
}

interface Stat { ops: number; seconds: number; perSecond: number; p50ms: number; p99ms: number }

function stat(lat: number[], seconds: number): Stat {
  const s = [...lat].sort((a, b) => a - b);
  const q = (p: number) => s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))] : 0;
  return { ops: s.length, seconds: +seconds.toFixed(3), perSecond: +(s.length / seconds).toFixed(1), p50ms: +q(0.5).toFixed(3), p99ms: +q(0.99).toFixed(3) };
}

async function run(count: number, op: (i: number) => Promise<unknown>): Promise<Stat> {
  const lat: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    for (let i = next++; i < count; i = next++) {
      const s = performance.now();
      await op(i);
      lat.push(performance.now() - s);
    }
  }));
  return stat(lat, (performance.now() - t0) / 1000);
}

/** The server process's CPU time (user + system) in ms, from /proc: a per-operation cost that load from others on the machine does not distort as much as wall-clock rates. */
function cpuMs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(rest[11]) + Number(rest[12])) * 10; // utime, stime in 1/100 s
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : 0;
}

function rawSqlite(count: number): Stat {
  const dir = mkdtempSync(join(tmpdir(), 'peapod-bench-raw-'));
  try {
    const db = new Database(join(dir, 'raw.db'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec('CREATE TABLE kv (id INTEGER PRIMARY KEY, name TEXT NOT NULL, created INTEGER, deleted INTEGER, create_revision INTEGER, prev_revision INTEGER, value BLOB)');
    db.exec('CREATE INDEX kv_name_id ON kv (name, id)');
    const ins = db.prepare('INSERT INTO kv (name, created, deleted, create_revision, prev_revision, value) VALUES (?, 1, 0, 0, 0, ?)');
    const lat: number[] = [];
    const t0 = performance.now();
    for (let i = 0; i < count; i++) {
      const s = performance.now();
      const p = pod(i);
      ins.run(`/registry/pods/${p.metadata.namespace}/${p.metadata.name}`, JSON.stringify(p));
      lat.push(performance.now() - s);
    }
    const st = stat(lat, (performance.now() - t0) / 1000);
    db.close();
    return st;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const server = await startServer({ readyTimeoutMs: 60_000 });
  const client = HttpClient.fromKubeconfig(server.kubeconfig);
  const results: Record<string, unknown>[] = [];
  try {
    for (let n = 0; n < NAMESPACES; n++) await client.create(Resources.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: `ns-${n}` } });
    let stored = 0;
    for (const size of sizes) {
      const pid = server.process.pid!;
      const cpu: Record<string, number> = {};
      const measured = async <T>(name: string, ops: number, f: () => Promise<T>): Promise<T> => {
        const c0 = cpuMs(pid);
        const r = await f();
        cpu[name] = +((cpuMs(pid) - c0) / Math.max(1, ops)).toFixed(3);
        return r;
      };
      const create = await measured('create', size - stored, () => run(size - stored, (i) => client.create(Resources.pods, pod(stored + i).metadata.namespace, pod(stored + i))));
      stored = size;
      const sample = Math.min(2000, size);
      const get = await measured('get', sample, () => run(sample, (i) => { const p = pod(Math.floor((i * 7919) % size)); return client.get(Resources.pods, p.metadata.namespace, String(p.metadata.name)); }));
      const update = await measured('update', Math.min(1000, size), () => run(Math.min(1000, size), async (i) => {
        const p = pod(Math.floor((i * 104729) % size));
        return client.patch(Resources.pods, p.metadata.namespace, String(p.metadata.name), 'merge', { metadata: { labels: { bench: `${size}-u${i}` } } });
      }));
      const lists = async (ns: string | undefined, times: number) => {
        const lat: number[] = [];
        const t0 = performance.now();
        for (let i = 0; i < times; i++) {
          const s = performance.now();
          let cont: string | undefined;
          do { const page = await client.list(Resources.pods, ns, { limit: 500, continue: cont }); cont = page.metadata.continue || undefined; } while (cont);
          lat.push(performance.now() - s);
        }
        return stat(lat, (performance.now() - t0) / 1000);
      };
      const listNs = await lists('ns-0', 5);
      const listTimes = size >= 100_000 ? 2 : 5;
      const listAll = await measured('listCluster', listTimes, () => lists(undefined, listTimes));
      // watch fan-out: 10 watchers on all pods, then 500 updates; deliveries = events received
      let delivered = 0;
      const otherEvents = new Map<string, number>();
      const expect = 10 * 500;
      let doneWatch!: () => void;
      const allDelivered = new Promise<void>((r) => { doneWatch = r; });
      const rv = (await client.list(Resources.pods, 'ns-1', { limit: 1 })).metadata.resourceVersion;
      const watches = Array.from({ length: 10 }, () => client.watch(Resources.pods, undefined, { resourceVersion: rv }, (ev) => {
        if (ev.type !== 'MODIFIED') otherEvents.set(ev.type, (otherEvents.get(ev.type) ?? 0) + 1);
        if (ev.type === 'MODIFIED' && ++delivered === expect) doneWatch();
      }));
      const tw = performance.now();
      await run(500, (i) => { const p = pod(i % size); return client.patch(Resources.pods, p.metadata.namespace, String(p.metadata.name), 'merge', { metadata: { labels: { w: `${size}-${i}` } } }); });
      await Promise.race([allDelivered, new Promise((r) => setTimeout(r, 60_000))]);
      const watchSeconds = (performance.now() - tw) / 1000;
      for (const w of watches) w.stop();
      if (otherEvents.size || delivered < expect) console.error('watch: delivered', delivered, 'of', expect, 'other events', Object.fromEntries(otherEvents), watches.map((w) => w.error?.message).filter(Boolean));
      const raw = rawSqlite(Math.min(size, 20_000));
      results.push({
        storedPods: size,
        create, get, update, listNamespace: listNs, listCluster: listAll,
        watch: { watchers: 10, deliveries: delivered, perSecond: +(delivered / watchSeconds).toFixed(1) },
        rawSqliteInsert: raw,
        createRatioToRawSqlite: +(create.perSecond / raw.perSecond).toFixed(3),
        serverRssMb: rssMb(server.process.pid!),
        serverCpuMsPerOp: cpu,
      });
    }
  } finally {
    client.close();
    await server.stop();
  }
  const row = (r: Record<string, unknown>) => {
    const g = (k: string) => r[k] as Stat;
    return `| ${r.storedPods} | ${g('create').perSecond} (p99 ${g('create').p99ms} ms) | ${g('rawSqliteInsert').perSecond} | ${r.createRatioToRawSqlite} | ${g('get').perSecond} (p99 ${g('get').p99ms}) | ${g('update').perSecond} (p99 ${g('update').p99ms}) | ${g('listNamespace').p99ms} ms | ${g('listCluster').p99ms} ms | ${(r.watch as { perSecond: number }).perSecond} | ${r.serverRssMb} MB |`;
  };
  console.log('| pods stored | creates/s | raw sqlite inserts/s | ratio | gets/s | updates/s | ns list p99 | cluster list p99 | watch deliveries/s | server RSS |');
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const r of results) console.log(row(r));
  console.log('server CPU ms per operation:');
  for (const r of results) console.log(`  ${r.storedPods}: ${JSON.stringify(r.serverCpuMsPerOp)}`);
  const out = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'results');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'api.json'), JSON.stringify({ date: new Date().toISOString(), concurrency, results }, null, 2) + '\n');
}

main().catch((e) => { console.error(e); process.exitCode = 1; });
