/**
 * Workload controllers at scale: a Deployment of N replicas (default 1,000) on M simulated nodes
 * (default 100), against a real `peapod server --no-agent` (controllers + scheduler in the server)
 * with `peapod sim-agent --nodes M` playing the nodes (a pod turns Running+Ready 1–1.5 s after it is
 * bound; a deleted pod goes after min(grace, 1 s): those delays are part of every number below).
 *
 *   node dist/bench/controllers.js [--replicas N] [--nodes M] [--attach DATA_DIR]
 *
 * --attach uses a `peapod server` already running on DATA_DIR (e.g. started with `node --cpu-prof`
 * to profile it) instead of starting one; it is left running.
 *
 *   node dist/bench/controllers.js [--job-completions C] [--job-parallelism P] [--job-pod-seconds S] [--only deployment|job]
 *
 * Phases: create → all pods created, → all Ready (status availableReplicas = N); a rolling update
 * (new image, default maxSurge/maxUnavailable 25%) → rolled out; a Job of C completions (default
 * 10,000), parallelism P (default 1,000), whose pods succeed S s (default 0) after they run (the sim
 * agent's sim.peapod.io/complete-after annotation) → condition Complete. "pods/s" is the
 * controllers' creation rate: pods created in the phase / time from the first to the last creation
 * seen; for the Job also pods seen Succeeded / time from the first to the last.
 * For every phase: the API's request latency (p50/p99 per verb, p99 over all) from the delta of the
 * server's apiserver_request_duration_seconds histogram between the phase's start and end, and the
 * server's RSS at the end and its CPU use over the phase (watches and other long-running requests
 * are not in the histogram; the controllers' in-process requests are). For the Job also where a
 * pod's time went (created → bound → Running → Succeeded, p50/p99 as this benchmark's watch saw it).
 * BENCH_DEBUG=1 prints a time line (pods by stage, Job status, the server's requests/s, event-loop
 * lag and CPU each second).
 * Anchor: ClusterLoader2's density test expects pod startup throughput of at least 100 pods/s and
 * API call latency p99 ≤ 1 s.
 * Prints a table and writes bench/results/controllers.json.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cliMain, startServer, type TestServer } from '../test/e2e/harness.js';
import { HttpClient } from '../src/client/http-client.js';
import { Informer } from '../src/client/informer.js';
import { Resources } from '../src/client/resources.js';
import { isAlreadyExists, isNotFound } from '../src/client/errors.js';
import type { KubeObject } from '../src/api/object.js';
import { latencyReport, mergeVerbs, parseMetrics, type LatencyReport, type Scrape } from './api-latency.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  const v = i > 0 ? Number(process.argv[i + 1]) : dflt;
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name} must be a positive integer`);
  return v;
}
const N = arg('--replicas', 1000);
const NODES = arg('--nodes', 100);
const JOB_COMPLETIONS = arg('--job-completions', 10_000);
const JOB_PARALLELISM = arg('--job-parallelism', 1000);
const JOB_POD_SECONDS = (() => { const i = process.argv.indexOf('--job-pod-seconds'); const v = i > 0 ? Number(process.argv[i + 1]) : 0; if (!(v >= 0)) throw new Error('--job-pod-seconds must be ≥ 0'); return v; })();
const ONLY = (() => { const i = process.argv.indexOf('--only'); const v = i > 0 ? process.argv[i + 1] : undefined; if (v !== undefined && v !== 'deployment' && v !== 'job') throw new Error('--only deployment|job'); return v; })();
const PHASE_TIMEOUT_MS = 10 * 60_000;
const NS = 'bench';
const JOB_NS = 'bench-job';

async function until<T>(fn: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeoutMs = PHASE_TIMEOUT_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function startSimAgent(s: TestServer, nodes: number): Promise<ChildProcess> {
  const proc = spawn(process.execPath, [cliMain, 'sim-agent', '--server', s.url, '--token-file', join(s.dataDir, 'node-token'), '--nodes', String(nodes)], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => reject(new Error(`sim-agent not running after 60 s:\n${log}`)), 60_000);
    proc.stderr!.on('data', (c: Buffer) => { log += c.toString(); if (log.includes('sim-agent running')) { clearTimeout(timer); resolve(proc); } });
    proc.stdout!.resume();
    proc.once('exit', (code) => { clearTimeout(timer); reject(new Error(`sim-agent exited (${code}):\n${log}`)); });
  });
}

interface Phase { seconds: number; podsCreated: number; podsPerSec: number; allCreatedSeconds?: number; api?: LatencyReport; serverRssMiB?: number; serverCpuPercent?: number }
interface JobPhase extends Phase {
  podsSucceeded: number; succeededPerSec: number;
  /** where a pod's time went, as the benchmark's watch saw it: created → bound (scheduler), → Running, → Succeeded (sim agent) */
  podStages?: Record<string, { p50: number; p99: number } | undefined>;
}

async function attach(dataDir: string): Promise<TestServer> {
  const kubeconfig = join(dataDir, 'kubeconfig.yaml');
  const url = /server: (\S+)/.exec(readFileSync(kubeconfig, 'utf8'))?.[1];
  if (!url) throw new Error(`no server URL in ${kubeconfig}`);
  return { dataDir, kubeconfig, url, stop: async () => undefined } as unknown as TestServer;
}

async function ensureNamespace(client: HttpClient, ns: string): Promise<void> {
  try { await client.create(Resources.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }); } catch (err) { if (!isAlreadyExists(err)) throw err; }
  await until(async () => { try { return !!(await client.get(Resources.serviceaccounts, ns, 'default')); } catch { return false; } }, `default ServiceAccount in ${ns}`);
}

async function scrape(client: HttpClient): Promise<Scrape & { at: number }> {
  return { ...parseMetrics(await client.request<string>('GET', '/metrics')), at: performance.now() };
}

/** Latency of the API between `before` and now, the server's RSS now and its CPU use (% of one core) since `before`. */
async function apiSince(client: HttpClient, before: Scrape & { at?: number }): Promise<{ api: LatencyReport; serverRssMiB?: number; serverCpuPercent?: number }> {
  const after = await scrape(client);
  const seconds = before.at !== undefined ? (performance.now() - before.at) / 1000 : undefined;
  return {
    api: latencyReport(before, after),
    serverRssMiB: after.rssBytes !== undefined ? Math.round(after.rssBytes / 2 ** 20) : undefined,
    serverCpuPercent: seconds && after.cpuSeconds !== undefined && before.cpuSeconds !== undefined ? Math.round((after.cpuSeconds - before.cpuSeconds) / seconds * 100) : undefined,
  };
}

/** Creation times of pods (by uid) in a namespace, and when each was first seen bound, Running and Succeeded. */
function podWatcher(client: HttpClient, ns: string): { informer: Informer; created: Map<string, number>; bound: Map<string, number>; running: Map<string, number>; succeeded: Map<string, number>; owners: Map<string, string> } {
  const created = new Map<string, number>(), bound = new Map<string, number>(), running = new Map<string, number>(), succeeded = new Map<string, number>(), owners = new Map<string, string>();
  const informer = new Informer(client, Resources.pods, { namespace: ns });
  const seen = (p: KubeObject) => {
    const uid = String(p.metadata.uid), now = performance.now();
    if (!created.has(uid)) { created.set(uid, now); owners.set(uid, String(p.metadata.ownerReferences?.[0]?.name)); }
    if ((p.spec as { nodeName?: string } | undefined)?.nodeName && !bound.has(uid)) bound.set(uid, now);
    const phase = (p.status as { phase?: string } | undefined)?.phase;
    if (phase === 'Running' && !running.has(uid)) running.set(uid, now);
    if (phase === 'Succeeded' && !succeeded.has(uid)) succeeded.set(uid, now);
  };
  informer.addEventHandler({ onAdd: seen, onUpdate: (_o, p) => seen(p) });
  return { informer, created, bound, running, succeeded, owners };
}

/** p50/p99 (s) of the time from one stage to the next, over the pods seen in both. */
function stageSeconds(from: Map<string, number>, to: Map<string, number>): { p50: number; p99: number } | undefined {
  const d: number[] = [];
  for (const [uid, t] of to) { const f = from.get(uid); if (f !== undefined) d.push(t - f); }
  if (!d.length) return undefined;
  d.sort((a, b) => a - b);
  const q = (x: number) => +(d[Math.min(d.length - 1, Math.floor(x * d.length))]! / 1000).toFixed(2);
  return { p50: q(0.5), p99: q(0.99) };
}

const rate = (times: number[]) => (times.length ? +(times.length / Math.max(0.001, (Math.max(...times) - Math.min(...times)) / 1000)).toFixed(1) : 0);

async function deploymentPhases(client: HttpClient, informers: Informer[]): Promise<{ create: Phase; rollingUpdate: Phase }> {
  await ensureNamespace(client, NS);
  // observe pod creations and the Deployment's status
  const { informer: pods, created, owners } = podWatcher(client, NS);
  const deploys = new Informer(client, Resources.deployments, { namespace: NS });
  informers.push(pods, deploys);
  await Promise.all([pods.start(), deploys.start()]);
  let wantGeneration = 1;
  const rolledOut = (): boolean => {
    const d = deploys.get(`${NS}/web`);
    if (!d) return false;
    const s = (d.status ?? {}) as { observedGeneration?: number; replicas?: number; updatedReplicas?: number; availableReplicas?: number };
    return (s.observedGeneration ?? 0) >= wantGeneration && (s.observedGeneration ?? 0) >= (d.metadata.generation ?? 0) && s.replicas === N && s.updatedReplicas === N && s.availableReplicas === N;
  };
  const phase = async (start: number, since: Set<string>, metricsBefore: Scrape): Promise<Phase> => {
    let allCreatedAt: number | undefined;
    await until(() => {
      const fresh = [...created.entries()].filter(([uid]) => !since.has(uid));
      if (allCreatedAt === undefined && fresh.length >= N) allCreatedAt = Math.max(...fresh.map(([, t]) => t));
      return rolledOut();
    }, 'rollout');
    const end = performance.now();
    const fresh = [...created.entries()].filter(([uid]) => !since.has(uid)).map(([, t]) => t);
    return {
      seconds: +((end - start) / 1000).toFixed(2),
      podsCreated: fresh.length,
      podsPerSec: rate(fresh),
      allCreatedSeconds: allCreatedAt !== undefined ? +((allCreatedAt - start) / 1000).toFixed(2) : undefined,
      ...(await apiSince(client, metricsBefore)),
    };
  };

  const deployment: KubeObject = {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: NS },
    spec: {
      replicas: N, selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'busybox:1.36', command: ['httpd', '-f', '-p', '8080'], resources: { requests: { cpu: '10m', memory: '16Mi' } } }] } },
    },
  };
  // BENCH_DEBUG: a time line of the rollout (ReplicaSets spec/ready/available, unscheduled pods)
  let ticker: NodeJS.Timeout | undefined;
  if (process.env.BENCH_DEBUG) {
    const rss = new Informer(client, Resources.replicasets, { namespace: NS });
    informers.push(rss);
    await rss.start();
    const t = performance.now();
    ticker = setInterval(() => {
      const line = rss.list().map((rs) => {
        const sp = rs.spec as { replicas?: number }, st = (rs.status ?? {}) as { replicas?: number; readyReplicas?: number; availableReplicas?: number };
        return `${String(rs.metadata.name).slice(-4)} ${sp.replicas ?? 0}/${st.replicas ?? 0}/${st.readyReplicas ?? 0}/${st.availableReplicas ?? 0}`;
      }).join('  ');
      const unscheduled = pods.list().filter((p) => !(p.spec as { nodeName?: string }).nodeName).length;
      process.stderr.write(`${((performance.now() - t) / 1000).toFixed(1)}s ${line}  unscheduled ${unscheduled}\n`);
    }, 500);
  }
  const m0 = await scrape(client);
  const t0 = performance.now();
  await client.create(Resources.deployments, NS, deployment);
  const create = await phase(t0, new Set(), m0);
  process.stderr.write(`create: ${JSON.stringify(create)}\n`);

  const before = new Set(created.keys());
  const m1 = await scrape(client);
  const t1 = performance.now();
  const patched = await client.patch(Resources.deployments, NS, 'web', 'strategic', { spec: { template: { spec: { containers: [{ name: 'web', image: 'busybox:1.37' }] } } } });
  wantGeneration = patched.metadata.generation ?? 2;
  const rollingUpdate = await phase(t1, before, m1);
  process.stderr.write(`rolling update: ${JSON.stringify(rollingUpdate)}\n`);
  if (ticker) clearInterval(ticker);
  if (process.env.BENCH_DEBUG) {
    const by = new Map<string, number>();
    for (const [uid, o] of owners) if (!before.has(uid)) by.set(o, (by.get(o) ?? 0) + 1);
    process.stderr.write(`fresh pods by owner: ${JSON.stringify([...by])}\n`);
    const evs = (await client.list(Resources.events, NS)).items as unknown as { reason: string; message: string; count?: number; involvedObject: { name: string } }[];
    for (const e of evs) if (e.reason === 'ScalingReplicaSet' || e.reason.startsWith('Failed')) process.stderr.write(`${e.reason} ${e.involvedObject.name}: ${e.message} x${e.count}\n`);
  }
  return { create, rollingUpdate };
}

async function jobPhase(client: HttpClient, informers: Informer[]): Promise<JobPhase> {
  await ensureNamespace(client, JOB_NS);
  const { informer: pods, created, bound, running, succeeded } = podWatcher(client, JOB_NS);
  const jobs = new Informer(client, Resources.jobs, { namespace: JOB_NS });
  informers.push(pods, jobs);
  await Promise.all([pods.start(), jobs.start()]);
  const job: KubeObject = {
    apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'batch', namespace: JOB_NS },
    spec: {
      completions: JOB_COMPLETIONS, parallelism: JOB_PARALLELISM, backoffLimit: 10,
      template: {
        metadata: { annotations: { 'sim.peapod.io/complete-after': String(JOB_POD_SECONDS) } },
        spec: { restartPolicy: 'Never', containers: [{ name: 'work', image: 'busybox:1.36', command: ['sleep', String(JOB_POD_SECONDS)], resources: { requests: { cpu: '1m', memory: '1Mi' } } }] },
      },
    },
  };
  let ticker: NodeJS.Timeout | undefined;
  const t0 = performance.now();
  let serverLine = '', scraping = false, lastTotal = 0;
  if (process.env.BENCH_DEBUG) {
    ticker = setInterval(() => {
      const st = (jobs.get(`${JOB_NS}/batch`)?.status ?? {}) as { active?: number; succeeded?: number; uncountedTerminatedPods?: { succeeded?: string[] } };
      let unscheduled = 0, pending = 0, nRunning = 0;
      for (const p of pods.list()) {
        const phase = (p.status as { phase?: string } | undefined)?.phase;
        if (!(p.spec as { nodeName?: string }).nodeName) unscheduled++;
        else if (phase === 'Pending' || !phase) pending++;
        else if (phase === 'Running') nRunning++;
      }
      process.stderr.write(`${((performance.now() - t0) / 1000).toFixed(1)}s created ${created.size} unscheduled ${unscheduled} bound-pending ${pending} running ${nRunning} succeeded(seen) ${succeeded.size} status active ${st.active ?? 0} succeeded ${st.succeeded ?? 0} uncounted ${st.uncountedTerminatedPods?.succeeded?.length ?? 0} | server: ${serverLine}\n`);
      // how the server is doing: requests answered in the last second, its event-loop lag, how long /metrics took
      if (!scraping) {
        scraping = true;
        const at = performance.now();
        void client.request<string>('GET', '/metrics').then((text) => {
          const m = parseMetrics(text);
          const total = mergeVerbs(m.histograms).get(Infinity) ?? 0;
          const lag = /^nodejs_eventloop_lag_p99_seconds (\S+)/m.exec(text)?.[1];
          serverLine = `${total - lastTotal} req, loop lag p99 ${lag ? (Number(lag) * 1000).toFixed(0) : '-'} ms, /metrics in ${(performance.now() - at).toFixed(0)} ms, cpu ${m.cpuSeconds?.toFixed(1)} s, rss ${Math.round((m.rssBytes ?? 0) / 2 ** 20)} MiB`;
          lastTotal = total;
        }, (err: unknown) => { serverLine = `scrape failed: ${String(err)}`; }).finally(() => { scraping = false; });
      }
    }, 1000);
  }
  const m0 = await scrape(client);
  const start = performance.now();
  await client.create(Resources.jobs, JOB_NS, job);
  let allCreatedAt: number | undefined;
  const done = await until(() => {
    if (allCreatedAt === undefined && created.size >= JOB_COMPLETIONS) allCreatedAt = performance.now();
    const conds = ((jobs.get(`${JOB_NS}/batch`)?.status ?? {}) as { conditions?: { type: string; status: string }[] }).conditions ?? [];
    return conds.find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
  }, 'Job Complete');
  const end = performance.now();
  if (ticker) clearInterval(ticker);
  if (done.type !== 'Complete') throw new Error(`the Job failed: ${JSON.stringify(done)}`);
  const r: JobPhase = {
    seconds: +((end - start) / 1000).toFixed(2),
    podsCreated: created.size,
    podsPerSec: rate([...created.values()]),
    allCreatedSeconds: allCreatedAt !== undefined ? +((allCreatedAt - start) / 1000).toFixed(2) : undefined,
    podsSucceeded: succeeded.size,
    succeededPerSec: rate([...succeeded.values()]),
    podStages: { createdToBound: stageSeconds(created, bound), boundToRunning: stageSeconds(bound, running), runningToSucceeded: stageSeconds(running, succeeded) },
    ...(await apiSince(client, m0)),
  };
  process.stderr.write(`job: ${JSON.stringify(r)}\n`);
  return r;
}

/** After a run on an --attach'ed server: remove the benchmark's namespaces (and wait, bounded) so the next run starts clean. */
async function cleanUp(client: HttpClient): Promise<void> {
  for (const ns of [NS, JOB_NS]) {
    try { await client.delete(Resources.namespaces, undefined, ns); } catch (err) { if (!isNotFound(err)) throw err; }
  }
  await until(async () => {
    for (const ns of [NS, JOB_NS]) { try { await client.get(Resources.namespaces, undefined, ns); return false; } catch (err) { if (!isNotFound(err)) throw err; } }
    return true;
  }, 'benchmark namespaces gone', 5 * 60_000);
}

function printApi(name: string, p: Phase | undefined): void {
  if (!p?.api) return;
  const verbs = Object.entries(p.api.byVerb).map(([v, s]) => `${v} ${s.requests} p99 ${s.p99 !== undefined ? (s.p99 * 1000).toFixed(0) : '-'} ms`).join(', ');
  console.log(`  ${name}: API p99 ${p.api.p99 !== undefined ? (p.api.p99 * 1000).toFixed(0) : '-'} ms over ${p.api.requests} requests (${verbs}); server RSS ${p.serverRssMiB ?? '-'} MiB`);
}

async function main(): Promise<void> {
  // the machine is shared: record how busy it was when the run started
  const loadAtStart = loadavg()[0]!;
  const ai = process.argv.indexOf('--attach');
  const attached = ai > 0;
  const server = attached ? await attach(process.argv[ai + 1]) : await startServer();
  let agent: ChildProcess | undefined;
  const client = HttpClient.fromKubeconfig(server.kubeconfig);
  const informers: Informer[] = [];
  try {
    agent = await startSimAgent(server, NODES);
    await until(async () => {
      const nodes = (await client.list(Resources.nodes, undefined)).items;
      return nodes.filter((n) => ((n.status as { conditions?: { type: string; status: string }[] }).conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True')).length === NODES;
    }, `${NODES} Ready nodes`);

    const dep = ONLY === 'job' ? undefined : await deploymentPhases(client, informers);
    const job = ONLY === 'deployment' ? undefined : await jobPhase(client, informers);

    const pad = (v: unknown, n: number) => String(v ?? '-').padStart(n);
    console.log(`${N}-replica Deployment and a ${JOB_COMPLETIONS}-completion Job (parallelism ${JOB_PARALLELISM}) on ${NODES} simulated nodes (${cpus().length} cores, ${cpus()[0]?.model ?? ''}, load ${loadAtStart.toFixed(1)} at start)`);
    console.log(`${'phase'.padEnd(28)}${pad('all created s', 15)}${pad('done s', 9)}${pad('pods', 7)}${pad('pods/s', 9)}${pad('done/s', 9)}${pad('API p99 ms', 12)}${pad('RSS MiB', 9)}${pad('srv CPU%', 10)}`);
    const row = (name: string, p: Phase | undefined, doneRate?: number) => {
      if (p) console.log(`${name.padEnd(28)}${pad(p.allCreatedSeconds, 15)}${pad(p.seconds, 9)}${pad(p.podsCreated, 7)}${pad(p.podsPerSec, 9)}${pad(doneRate, 9)}${pad(p.api?.p99 !== undefined ? (p.api.p99 * 1000).toFixed(0) : undefined, 12)}${pad(p.serverRssMiB, 9)}${pad(p.serverCpuPercent, 10)}`);
    };
    row('create → all Ready', dep?.create);
    row('rolling update → rolled out', dep?.rollingUpdate);
    row('Job → Complete', job, job?.succeededPerSec);
    console.log('anchors: ≥ 100 pods/s (ClusterLoader2), aim ≥ 1000 pods/s; API p99 < 1000 ms');
    printApi('create', dep?.create);
    printApi('rolling update', dep?.rollingUpdate);
    printApi('job', job);
    if (job?.podStages) console.log(`  job pod stages (p50/p99 s): ${Object.entries(job.podStages).map(([k, v]) => `${k} ${v ? `${v.p50}/${v.p99}` : '-'}`).join(', ')}`);
    const out = join(repoRoot, 'bench', 'results', 'controllers.json');
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, JSON.stringify({
      benchmark: 'controllers', date: new Date().toISOString(), replicas: N, nodes: NODES, cores: cpus().length, loadAverage1mAtStart: +loadAtStart.toFixed(2),
      agent: 'peapod sim-agent (pods Ready 1–1.5 s after binding; Job pods Succeeded --job-pod-seconds after Running; deletions after ≤ 1 s)',
      anchor: { name: 'ClusterLoader2 pod startup throughput and API call latency', podsPerSecond: 100, apiP99Seconds: 1 },
      job: { completions: JOB_COMPLETIONS, parallelism: JOB_PARALLELISM, podSeconds: JOB_POD_SECONDS },
      ...(dep ?? {}), ...(job ? { jobRun: job } : {}),
    }, null, 2) + '\n');
    console.log(`wrote ${out}`);
  } finally {
    for (const i of informers) i.stop();
    if (attached) await cleanUp(client).catch((err: unknown) => console.error(`clean-up: ${String(err)}`));
    client.close();
    if (agent && agent.exitCode === null) {
      const a = agent;
      await new Promise<void>((r) => { a.once('exit', () => r()); a.kill('SIGTERM'); setTimeout(() => a.kill('SIGKILL'), 5000).unref(); });
    }
    await server.stop();
  }
}

main().catch((err: unknown) => { console.error(err); process.exit(1); });
