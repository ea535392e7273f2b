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
 * Phases: create → all pods created, → all Ready (status availableReplicas = N); a rolling update
 * (new image, default maxSurge/maxUnavailable 25%) → rolled out. "pods/s" is the controllers'
 * creation rate: pods created in the phase / time from the first to the last creation seen.
 * Anchor: ClusterLoader2's density test expects pod startup throughput of at least 100 pods/s.
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
import { isAlreadyExists } from '../src/client/errors.js';
import type { KubeObject } from '../src/api/object.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  const v = i > 0 ? Number(process.argv[i + 1]) : dflt;
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name} must be a positive integer`);
  return v;
}
const N = arg('--replicas', 1000);
const NODES = arg('--nodes', 100);
const PHASE_TIMEOUT_MS = 10 * 60_000;
const NS = 'bench';

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

interface Phase { seconds: number; podsCreated: number; podsPerSec: number; allCreatedSeconds?: number }

async function attach(dataDir: string): Promise<TestServer> {
  const kubeconfig = join(dataDir, 'kubeconfig.yaml');
  const url = /server: (\S+)/.exec(readFileSync(kubeconfig, 'utf8'))?.[1];
  if (!url) throw new Error(`no server URL in ${kubeconfig}`);
  return { dataDir, kubeconfig, url, stop: async () => undefined } as unknown as TestServer;
}

async function main(): Promise<void> {
  // the machine is shared: record how busy it was when the run started
  const loadAtStart = loadavg()[0]!;
  const ai = process.argv.indexOf('--attach');
  const server = ai > 0 ? await attach(process.argv[ai + 1]) : await startServer();
  let agent: ChildProcess | undefined;
  const client = HttpClient.fromKubeconfig(server.kubeconfig);
  const informers: Informer[] = [];
  try {
    agent = await startSimAgent(server, NODES);
    await until(async () => {
      const nodes = (await client.list(Resources.nodes, undefined)).items;
      return nodes.filter((n) => ((n.status as { conditions?: { type: string; status: string }[] }).conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True')).length === NODES;
    }, `${NODES} Ready nodes`);
    try { await client.create(Resources.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } }); } catch (err) { if (!isAlreadyExists(err)) throw err; }
    await until(async () => { try { return !!(await client.get(Resources.serviceaccounts, NS, 'default')); } catch { return false; } }, 'default ServiceAccount');

    // observe pod creations and the Deployment's status
    const created = new Map<string, number>();
    const pods = new Informer(client, Resources.pods, { namespace: NS });
    const owners = new Map<string, string>();
    pods.addEventHandler({ onAdd: (p) => { if (!created.has(String(p.metadata.uid))) { created.set(String(p.metadata.uid), performance.now()); owners.set(String(p.metadata.uid), String(p.metadata.ownerReferences?.[0]?.name)); } } });
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
    const phase = async (start: number, since: Set<string>): Promise<Phase> => {
      let allCreatedAt: number | undefined;
      await until(() => {
        const fresh = [...created.entries()].filter(([uid]) => !since.has(uid));
        if (allCreatedAt === undefined && fresh.length >= N) allCreatedAt = Math.max(...fresh.map(([, t]) => t));
        return rolledOut();
      }, 'rollout');
      const end = performance.now();
      const fresh = [...created.entries()].filter(([uid]) => !since.has(uid)).map(([, t]) => t);
      const first = Math.min(...fresh), last = Math.max(...fresh);
      return {
        seconds: +((end - start) / 1000).toFixed(2),
        podsCreated: fresh.length,
        podsPerSec: +(fresh.length / Math.max(0.001, (last - first) / 1000)).toFixed(1),
        allCreatedSeconds: allCreatedAt !== undefined ? +((allCreatedAt - start) / 1000).toFixed(2) : undefined,
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
    const t0 = performance.now();
    await client.create(Resources.deployments, NS, deployment);
    const create = await phase(t0, new Set());
    process.stderr.write(`create: ${JSON.stringify(create)}\n`);

    const before = new Set(created.keys());
    const t1 = performance.now();
    const patched = await client.patch(Resources.deployments, NS, 'web', 'strategic', { spec: { template: { spec: { containers: [{ name: 'web', image: 'busybox:1.37' }] } } } });
    wantGeneration = patched.metadata.generation ?? 2;
    const update = await phase(t1, before);
    process.stderr.write(`rolling update: ${JSON.stringify(update)}\n`);
    if (ticker) clearInterval(ticker);
    if (process.env.BENCH_DEBUG) { const by = new Map<string, number>(); for (const [uid, o] of owners) if (!before.has(uid)) by.set(o, (by.get(o) ?? 0) + 1); process.stderr.write(`fresh pods by owner: ${JSON.stringify([...by])}\n`);
      const evs = (await client.list(Resources.events, NS)).items as unknown as { reason: string; message: string; count?: number; involvedObject: { name: string } }[];
      for (const e of evs) if (e.reason === 'ScalingReplicaSet' || e.reason.startsWith('Failed')) process.stderr.write(`${e.reason} ${e.involvedObject.name}: ${e.message} x${e.count}\n`); }

    const pad = (v: unknown, n: number) => String(v ?? '-').padStart(n);
    console.log(`Deployment of ${N} replicas on ${NODES} simulated nodes (${cpus().length} cores, ${cpus()[0]?.model ?? ''}, load ${loadAtStart.toFixed(1)} at start)`);
    console.log(`${'phase'.padEnd(28)}${pad('all created s', 15)}${pad('all ready s', 13)}${pad('pods', 7)}${pad('pods/s', 9)}${pad('anchor', 9)}`);
    console.log(`${'create → all Ready'.padEnd(28)}${pad(create.allCreatedSeconds, 15)}${pad(create.seconds, 13)}${pad(create.podsCreated, 7)}${pad(create.podsPerSec, 9)}${pad('≥ 100', 9)}`);
    console.log(`${'rolling update → rolled out'.padEnd(28)}${pad(update.allCreatedSeconds, 15)}${pad(update.seconds, 13)}${pad(update.podsCreated, 7)}${pad(update.podsPerSec, 9)}${pad('≥ 100', 9)}`);
    const out = join(repoRoot, 'bench', 'results', 'controllers.json');
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, JSON.stringify({
      benchmark: 'controllers', date: new Date().toISOString(), replicas: N, nodes: NODES, cores: cpus().length, loadAverage1mAtStart: +loadAtStart.toFixed(2),
      agent: 'peapod sim-agent (pods Ready 1–1.5 s after binding; deletions after ≤ 1 s)',
      anchor: { name: 'ClusterLoader2 pod startup throughput', podsPerSecond: 100 },
      create, rollingUpdate: update,
    }, null, 2) + '\n');
    console.log(`wrote ${out}`);
  } finally {
    for (const i of informers) i.stop();
    client.close();
    if (agent && agent.exitCode === null) {
      const a = agent;
      await new Promise<void>((r) => { a.once('exit', () => r()); a.kill('SIGTERM'); setTimeout(() => a.kill('SIGKILL'), 5000).unref(); });
    }
    await server.stop();
  }
}

main().catch((err: unknown) => { console.error(err); process.exit(1); });
