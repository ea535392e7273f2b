/**
 * Scheduler throughput and latency: 10k pods onto 100, 1000 and 5000 simulated nodes, plain and with
 * required pod anti-affinity (hostname, in groups) or topology spread (zone, DoNotSchedule).
 *
 *   node dist/bench/scheduler.js [--pods N] [--nodes 100,1000,5000] [--scenarios plain,anti-affinity,spread] [--max-seconds S]
 *                                [--rate R] [--out FILE] [--store sqlite|memory]
 *
 * --rate R paces the creator at R pods/s (default: as fast as 64 concurrent creates go), so the
 * latency shows the scheduler's own delay rather than a queue that the creator outruns.
 *
 * Each run: a fresh REST core over a SQLite store in a temp folder (startTestApi), N simulated nodes
 * registered through the API by the sim agent (Node objects only: no leases, no pod stages, so the
 * API serves the scheduler and the pod creator alone), the scheduler (informers, queue, framework,
 * bindings through POST pods/binding, Scheduled events) and a creator posting the pods 64 at a time.
 * Throughput = pods bound / (first create → last binding). Latency = first enqueue → binding
 * written, per pod (p50/p99; includes the wait in the queue while the creator outruns the
 * scheduler); attempt p99 = the scheduling algorithm alone (filter + score), per attempt. Anchor: Kubernetes' scheduler_perf requires ≥ 270 pods/s for 10k
 * pods on 5000 nodes. Prints a table and writes bench/results/scheduler.json.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestApi } from '../src/testing/test-api.js';
import { SqliteStore } from '../src/storage/sqlite/sqlite-store.js';
import { MemoryStore } from '../src/storage/memory/memory-store.js';
import { Resources } from '../src/client/resources.js';
import type { KubeObject } from '../src/api/object.js';
import { SimAgent } from '../src/agent/sim/sim-agent.js';
import { startScheduler } from '../src/scheduler/scheduler.js';
import { setLogLevel } from '../src/util/log.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const arg = (name: string, dflt: string) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1] : dflt; };
const PODS = Number(arg('pods', '10000'));
const NODES = arg('nodes', '100,1000,5000').split(',').map(Number);
const SCENARIOS = arg('scenarios', 'plain,anti-affinity,spread').split(',') as Scenario[];
const MAX_SECONDS = Number(arg('max-seconds', '240'));
const RATE = Number(arg('rate', '0'));
const OUT = arg('out', 'scheduler.json');
const STORE = arg('store', 'sqlite');
const ZONES = 10;
setLogLevel('warn');

type Scenario = 'plain' | 'anti-affinity' | 'spread';

interface Result {
  scenario: Scenario; nodes: number; pods: number; rate: number; scheduled: number; seconds: number; podsPerSecond: number;
  p50Ms: number; p99Ms: number; attemptP99Ms: number; createPerSecond: number; failedAttempts: number; timedOut: boolean;
}

function podFor(s: Scenario, i: number, nodes: number): KubeObject {
  const labels: Record<string, string> = { app: 'bench' };
  const spec: Record<string, unknown> = {
    containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.9', resources: { requests: { cpu: '100m', memory: '100Mi' } } }],
    automountServiceAccountToken: false,
  };
  if (s === 'anti-affinity') {
    // groups small enough that each fits one per node (as scheduler_perf's SchedulingPodAntiAffinity)
    const groups = Math.max(1, Math.ceil(PODS / Math.floor(nodes * 0.9)));
    labels.group = `g${i % groups}`;
    spec.affinity = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { group: labels.group } }, topologyKey: 'kubernetes.io/hostname' }] } };
  } else if (s === 'spread') {
    spec.topologySpreadConstraints = [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'bench' } } }];
  }
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: `p-${i}`, labels }, spec };
}

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function run(s: Scenario, nodes: number): Promise<Result> {
  const dir = mkdtempSync(join(tmpdir(), 'peapod-bench-sched-'));
  const api = await startTestApi({ store: STORE === 'memory' ? new MemoryStore() : new SqliteStore({ path: join(dir, 'state.db') }) });
  let agent: SimAgent | undefined;
  let sched: Awaited<ReturnType<typeof startScheduler>> | undefined;
  try {
    await api.client.create(Resources.serviceaccounts, 'default', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default' } });
    agent = new SimAgent({ client: api.client, nodes, zones: ZONES, renewLeases: false, simulatePods: false, capacity: { cpu: '64', memory: '256Gi', pods: '110' } });
    await agent.start();
    sched = await startScheduler({ client: api.client });
    const t0 = performance.now();
    let created = 0;
    let createdAt = 0;
    const creator = (async () => {
      let next = 0;
      await Promise.all(Array.from({ length: 64 }, async () => {
        for (let i = next++; i < PODS; i = next++) {
          if (RATE > 0) { const due = t0 + (i * 1000) / RATE; const wait = due - performance.now(); if (wait > 0) await new Promise((r) => setTimeout(r, wait)); }
          await api.client.create(Resources.pods, 'default', podFor(s, i, nodes));
          created++;
        }
      }));
      createdAt = performance.now();
    })();
    const deadline = t0 + MAX_SECONDS * 1000;
    while (sched.stats.scheduled < PODS && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const end = performance.now();
    await creator.catch(() => undefined);
    const lat = [...sched.stats.latenciesMs].sort((a, b) => a - b);
    const att = [...sched.stats.attemptMs].sort((a, b) => a - b);
    const seconds = (end - t0) / 1000;
    return {
      scenario: s, nodes, pods: PODS, rate: RATE, scheduled: sched.stats.scheduled, seconds: Math.round(seconds * 100) / 100,
      podsPerSecond: Math.round(sched.stats.scheduled / seconds), p50Ms: Math.round(pct(lat, 50)), p99Ms: Math.round(pct(lat, 99)), attemptP99Ms: Math.round(pct(att, 99) * 100) / 100,
      createPerSecond: Math.round(created / (((createdAt || end) - t0) / 1000)), failedAttempts: sched.stats.failedAttempts,
      timedOut: sched.stats.scheduled < PODS,
    };
  } finally {
    await sched?.stop();
    await agent?.stop();
    await api.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const results: Result[] = [];
  for (const nodes of NODES) {
    for (const s of SCENARIOS) {
      process.stderr.write(`running ${s} on ${nodes} nodes (${PODS} pods)…\n`);
      const r = await run(s, nodes);
      results.push(r);
      process.stderr.write(`  ${JSON.stringify(r)}\n`);
    }
  }
  const header = ['scenario', 'nodes', 'pods', 'rate', 'scheduled', 'seconds', 'pods/s', 'p50 ms', 'p99 ms', 'attempt p99 ms', 'creates/s', 'failed attempts'];
  const rows = results.map((r) => [r.scenario, r.nodes, r.pods, r.rate || 'max', r.scheduled + (r.timedOut ? ' (timeout)' : ''), r.seconds, r.podsPerSecond, r.p50Ms, r.p99Ms, r.attemptP99Ms, r.createPerSecond, r.failedAttempts].map(String));
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i])).join('  ');
  process.stdout.write(`${line(header)}\n${rows.map(line).join('\n')}\n`);
  process.stdout.write('anchor: Kubernetes scheduler_perf requires >= 270 pods/s for 10k pods on 5000 nodes\n');
  mkdirSync(join(repoRoot, 'bench', 'results'), { recursive: true });
  writeFileSync(OUT.startsWith('/') ? OUT : join(repoRoot, 'bench', 'results', OUT), JSON.stringify({
    date: new Date().toISOString(), cpus: cpus().length, cpuModel: cpus()[0]?.model, node: process.version,
    anchor: { source: 'kubernetes scheduler_perf SchedulingBasic 5000Nodes_10000Pods', minPodsPerSecond: 270 },
    results,
  }, null, 2) + '\n');
}

main().catch((e) => { process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`); process.exitCode = 1; });
