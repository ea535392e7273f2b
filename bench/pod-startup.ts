/**
 * Pod start-up latency and node memory, peapod beside `podman kube play` (run as root):
 *
 *   node dist/bench/pod-startup.js [--counts 1,10,100] [--rounds 1] [--no-podman] [--agent-launch launcher|plain]
 *     [--trace FILE] [--agent-node-flags '--cpu-prof --cpu-prof-dir=DIR']
 *
 * --trace: per-pod stage timestamps in FILE (the bench's create/bound/Ready-seen and the agent's stages,
 * PEAPOD_POD_TRACE); summarise with `node dist/bench/pod-trace.js FILE`. Each round also prints the CPU
 * used meanwhile: the agent's, the machine's, and that of the bench's cgroup (run the bench in a cgroup of
 * its own to get the CPU-s per pod start of server + agent + conmon + runc alone).
 *
 * peapod: a `peapod server --no-agent` and a separate `peapod agent` process (with the node flags and
 * environment the `peapod` launcher gives the agent; `--agent-launch plain`: only --enable-source-maps, for
 * a before/after comparison; own bridge and 10.202.N.0/24). podman: Debian's podman (apt-installed when
 * missing) with private storage and its own 10.203.N.0/24 bridge network (pod-startup-podman.ts).
 * Both get the same manifests: N busybox pods (`sleep 3600`, no probe), created at once, image already
 * on the node; one unmeasured warm-up pod on each side first.
 *
 * Per pod, from the moment the batch is submitted:
 *   peapod  create → the pod's Ready condition True, as a watch client sees it (scheduling, sandbox,
 *           network, container start and the status write included);
 *   podman  `podman kube play` start → the container's State.StartedAt (podman has no readiness
 *           without probes; this is the earlier event, so the ratio does not favour peapod).
 * Reported: p50, p99 and the time until all pods are there, and their ratio peapod / podman.
 *
 * Memory, with the largest count running: the agent's VmRSS at all-Ready and 15 s later (and before the
 * pods: growth per pod),
 * RSS/PSS of each conmon and each pod-level process (peapod pins its pod namespaces in files and has
 * no pause process; podman runs an infra container, catatonit, with its own conmon).
 *
 * Everything is removed at the end (pods, processes, bridges, CNI state, data dirs). Prints a table and
 * writes bench/results/pod-startup.json.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { HttpClient } from '../src/client/http-client.js';
import { Resources } from '../src/client/resources.js';
import { ensureExampleImages } from '../src/images/index.js';
import { cliMain, startServer } from '../test/e2e/harness.js';
import { freeAgentNet, removeNode, waitFor } from '../test/e2e/agent-helpers.js';
import { PodmanPeer, ensurePodman } from './pod-startup-podman.js';
import { engineProcesses, otherProcesses, procMemory, summarize, type MemorySummary } from './pod-startup-memory.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const arg = (name: string, dflt: string) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1]! : dflt; };
const COUNTS = arg('counts', '1,10,100').split(',').map(Number);
const ROUNDS = Number(arg('rounds', '1'));
const WITH_PODMAN = !process.argv.includes('--no-podman');
/** The node flags and environment the `peapod` launcher gives `peapod agent` (read from the launcher). */
function launcherAgentSettings(): { flags: string[]; env: Record<string, string> } {
  const text = readFileSync(join(repoRoot, 'peapod'), 'utf8');
  const base = /^NODE_FLAGS=\(([^)]*)\)/m.exec(text)?.[1];
  const block = /^if \[ "\$\{1:-\}" = agent \]; then\n([\s\S]*?)^fi/m.exec(text)?.[1];
  if (base === undefined || block === undefined) throw new Error('bench: cannot read the agent settings from the peapod launcher');
  const flags = [base, ...[...block.matchAll(/NODE_FLAGS\+=\(([^)]*)\)/g)].map((m) => m[1]!)].join(' ').split(/\s+/).filter(Boolean);
  const env = Object.fromEntries([...block.matchAll(/export (\w+)="\$\{\w+:-([^}]*)\}"/g)].map((m) => [m[1]!, m[2]!]));
  return { flags, env };
}
/** --agent-launch plain: node --enable-source-maps and no environment (what the launcher did before). */
const AGENT = arg('agent-launch', 'launcher') === 'plain' ? { flags: ['--enable-source-maps'], env: {} as Record<string, string> } : launcherAgentSettings();
/** --agent-node-flags '--cpu-prof --cpu-prof-dir=/tmp/p': extra node flags for the agent only (profiling). */
const AGENT_NODE_FLAGS = [...AGENT.flags, ...arg('agent-node-flags', '').split(/\s+/).filter(Boolean)];
/** --trace FILE: per-pod stage timestamps (agent: PEAPOD_POD_TRACE; bench: create sent/returned, bound seen, Ready seen). */
const TRACE = arg('trace', '');
const trace = (pod: string, stage: string) => { if (TRACE) appendFileSync(TRACE, `${Date.now()} ${pod} ${stage}\n`); };
const IMAGE = 'docker.io/library/busybox:1.36';
/** With the most pods running: the agent's RSS at all-Ready and again this much later (after a resync). */
const SETTLE_MS = 15_000;
const NS = 'default';

interface Latency { p50: number; p99: number; all: number }
interface RoundResult {
  pods: number; round: number; load: number[];
  peapod: Latency; podman?: Latency & { playReturned: number };
}
interface MemoryResult {
  pods: number;
  agentRssMiBIdle: number; agentRssMiBAtReady: number; agentRssMiB: number; agentGrowthKiBPerPod: number;
  peapod: { conmon: MemorySummary; perPod: Record<string, MemorySummary> };
  podman?: { conmon: MemorySummary; perPod: Record<string, MemorySummary> };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
function latency(ms: number[]): Latency {
  const s = [...ms].sort((a, b) => a - b);
  return { p50: Math.round(percentile(s, 50)), p99: Math.round(percentile(s, 99)), all: Math.round(s[s.length - 1]!) };
}

function manifests(prefix: string, n: number): Pod[] {
  return Array.from({ length: n }, (_, i) => ({
    apiVersion: 'v1', kind: 'Pod', metadata: { name: `${prefix}-${i}` },
    spec: {
      terminationGracePeriodSeconds: 0, restartPolicy: 'Always',
      containers: [{ name: 'c', image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'] }],
    },
  }));
}

const isReady = (p: Pod) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;

/** CPU ticks (1/100 s): the agent's own and its reaped children's (/proc/PID/stat), the machine's busy and total (/proc/stat). */
function cpuTimes(pid: number): { agent: number; children: number; busy: number; total: number; cgroup: number } {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ').map(Number);
  const c = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = c.reduce((a, b) => a + b, 0);
  return { agent: f[11]! + f[12]!, children: f[13]! + f[14]!, busy: total - c[3]! - c[4]!, total, cgroup: cgroupCpu() };
}
/**
 * CPU-s used so far in this process's cgroup (v2): run the bench in a cgroup of its own and this counts the
 * server, the agent, conmon and runc (not the containers, which runc moves to their own cgroups) and nothing else.
 */
function cgroupCpu(): number {
  try {
    const lines = readFileSync('/proc/self/cgroup', 'utf8').trim().split('\n');
    const v1 = lines.map((l) => /^\d+:(?:[\w,]*,)?cpuacct(?:,[\w,]*)?:(.*)$/.exec(l)).find(Boolean);
    if (v1) return Number(readFileSync(`/sys/fs/cgroup/cpuacct${v1[1]}/cpuacct.usage`, 'utf8')) / 1e9;
    const cg = lines.find((l) => l.startsWith('0::'))!.slice(3);
    return Number(/usage_usec (\d+)/.exec(readFileSync(`/sys/fs/cgroup${cg}/cpu.stat`, 'utf8'))![1]) / 1e6;
  } catch { return NaN; }
}

class PeapodSide {
  private agent?: ChildProcess;
  readonly agentDir = mkdtempSync(join(tmpdir(), 'peapod-bench-agent-'));
  readonly net = freeAgentNet();
  readonly nodeName = 'bench-node';
  client!: HttpClient;
  private server!: Awaited<ReturnType<typeof startServer>>;

  async start(): Promise<void> {
    this.server = await startServer({ agent: false });
    this.client = HttpClient.fromKubeconfig(this.server.kubeconfig);
    // as the `peapod` launcher runs it
    this.agent = spawn(process.execPath, [...AGENT_NODE_FLAGS, cliMain, 'agent', '--server', this.server.url, '--token-file', join(this.server.dataDir, 'node-token'),
      '--node-name', this.nodeName, '--data-dir', this.agentDir, '--pod-cidr', this.net.subnet, '--bridge', this.net.bridge, '--example-images'],
    { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...AGENT.env, ...(TRACE ? { PEAPOD_POD_TRACE: TRACE } : {}) } });
    let log = '';
    this.agent.stderr!.on('data', (c: Buffer) => { log = (log + c.toString()).slice(-20_000); });
    await waitFor(() => log.includes('peapod agent ready'), 'the agent', 120_000);
    await waitFor(async () => {
      const n = await this.client.get(Resources.nodes, undefined, this.nodeName) as unknown as { status?: { conditions?: Array<{ type: string; status: string }> } };
      return n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    }, 'the node Ready', 60_000);
  }

  get agentPid(): number { return this.agent!.pid!; }

  /** Creates the pods at once; per pod, ms from the start until a watch saw it Ready. */
  async startPods(pods: Pod[]): Promise<Map<string, number>> {
    const names = new Set(pods.map((p) => p.metadata!.name!));
    const readyAt = new Map<string, number>();
    const rv = (await this.client.list(Resources.pods, NS)).metadata.resourceVersion;
    let t0 = 0;
    const bound = new Set<string>();
    let done!: () => void;
    const allReady = new Promise<void>((r) => { done = r; });
    const watch = this.client.watch(Resources.pods, NS, { resourceVersion: rv }, (ev) => {
      const p = ev.object as unknown as Pod;
      const name = p.metadata?.name;
      if (TRACE && name && names.has(name) && p.spec?.nodeName && !bound.has(name)) { bound.add(name); trace(name, 'bound-seen'); }
      if (!name || !names.has(name) || readyAt.has(name) || !isReady(p)) return;
      readyAt.set(name, performance.now() - t0);
      trace(name, 'ready-seen');
      if (readyAt.size === names.size) done();
    });
    try {
      t0 = performance.now();
      await Promise.all(pods.map((p) => { trace(p.metadata!.name!, 'create-sent'); return this.client.create(Resources.pods, NS, p as never).then(() => trace(p.metadata!.name!, 'created-api')); }));
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([allReady, new Promise((_, rej) => { timer = setTimeout(() => rej(new Error(`peapod: ${readyAt.size}/${names.size} pods Ready after 300 s`)), 300_000); })]);
      clearTimeout(timer);
    } finally {
      watch.stop();
    }
    return readyAt;
  }

  /** Deletes every pod and waits until they and their conmon processes are gone. */
  async deleteAll(): Promise<void> {
    const list = await this.client.list(Resources.pods, NS);
    await Promise.all(list.items.map((p) => this.client.delete(Resources.pods, NS, p.metadata.name!, { gracePeriodSeconds: 0 }).catch(() => undefined)));
    await waitFor(async () => (await this.client.list(Resources.pods, NS)).items.length === 0, 'peapod pods gone', 300_000, 100);
    await waitFor(() => engineProcesses(this.agentDir).conmon.length === 0, 'peapod conmons gone', 120_000, 100);
  }

  async stop(): Promise<void> {
    try { await this.deleteAll(); } catch (e) { console.error('peapod: deleting the pods failed:', e); }
    this.client?.close();
    if (this.agent && this.agent.exitCode === null) {
      const agent = this.agent;
      agent.kill('SIGTERM');
      const kill = setTimeout(() => agent.kill('SIGKILL'), 30_000); // removeNode below removes what it leaves
      await new Promise((r) => agent.once('exit', r));
      clearTimeout(kill);
    }
    await removeNode(this.agentDir, this.net.bridge, this.net.subnet);
    await this.server?.stop();
  }
}

function perPodProcesses(children: Map<string, ReturnType<typeof engineProcesses>['conmon']>): Record<string, MemorySummary> {
  return Object.fromEntries([...children].map(([comm, list]) => [comm, summarize(list)]));
}

/** What podman's CNI plugins or this bench could leave behind: CNI chains, podman/bench bridges. */
function netLeftovers(): string[] {
  const chains = execFileSync('nft', ['list', 'ruleset'], { encoding: 'utf8' }).split('\n').map((l) => /^\s*chain (CNI-\S+)/.exec(l)?.[1]).filter((c): c is string => !!c);
  const links = execFileSync('ip', ['-o', 'link'], { encoding: 'utf8' }).split('\n').map((l) => l.split(':')[1]?.trim().split('@')[0]).filter((l): l is string => !!l && /^(cni-podman|ppbench)/.test(l));
  return [...chains, ...links].sort();
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('run as root (real containers)');
  const podmanVersion = WITH_PODMAN ? ensurePodman() : undefined;
  const before = netLeftovers();
  const [busyboxArchive] = await ensureExampleImages();
  const peapod = new PeapodSide();
  let podman: PodmanPeer | undefined;
  const rounds: RoundResult[] = [];
  let memory: MemoryResult | undefined;
  const manifestDir = mkdtempSync(join(tmpdir(), 'peapod-bench-manifests-'));
  try {
    await peapod.start();
    if (WITH_PODMAN) podman = await PodmanPeer.create(busyboxArchive!, '1.36', IMAGE);
    const playFile = (name: string, pods: Pod[]) => {
      const f = join(manifestDir, `${name}.yaml`);
      writeFileSync(f, pods.map((p) => stringify(p)).join('---\n'));
      return f;
    };
    // warm-up (podman builds its pause image here; peapod's first pod warms the agent's code paths)
    const warm = manifests('warm', 1);
    await peapod.startPods(warm);
    await peapod.deleteAll();
    if (podman) { const f = playFile('warm', warm); await podman.play(f, [{ pod: 'warm-0', container: 'c' }]); await podman.down(f); }

    const maxCount = Math.max(...COUNTS);
    for (let round = 1; round <= ROUNDS; round++) {
      for (const n of COUNTS) {
        const pods = manifests(`bb${n}-r${round}`, n);
        const load0 = loadavg()[0]!;
        const rssIdle = procMemory(peapod.agentPid).rssKiB;
        const cpu0 = cpuTimes(peapod.agentPid);
        const ready = await peapod.startPods(pods);
        const cpu1 = cpuTimes(peapod.agentPid);
        console.log(`cpu during the ${n}-pod start: agent ${((cpu1.agent - cpu0.agent) / 100).toFixed(1)} s (+ reaped children ${((cpu1.children - cpu0.children) / 100).toFixed(1)} s), `
          + `machine busy ${((cpu1.busy - cpu0.busy) / 100).toFixed(1)} of ${((cpu1.total - cpu0.total) / 100).toFixed(1)} CPU-s (all processes, also others'); `
          + `bench cgroup ${(cpu1.cgroup - cpu0.cgroup).toFixed(1)} CPU-s = ${((cpu1.cgroup - cpu0.cgroup) * 1000 / n).toFixed(0)} ms per pod`);
        const r: RoundResult = { pods: n, round, load: [], peapod: latency([...ready.values()]) };
        const measureMemory = n === maxCount && round === ROUNDS;
        if (measureMemory) {
          const rssAtReady = procMemory(peapod.agentPid).rssKiB;
          await new Promise((r) => setTimeout(r, SETTLE_MS)); // the burst's status writes and events are done; a resync ran
          const rss = procMemory(peapod.agentPid).rssKiB;
          const eng = engineProcesses(peapod.agentDir);
          const others = otherProcesses(peapod.agentDir, [peapod.agentPid]);
          memory = {
            pods: n, agentRssMiBIdle: Math.round(rssIdle / 102.4) / 10, agentRssMiBAtReady: Math.round(rssAtReady / 102.4) / 10, agentRssMiB: Math.round(rss / 102.4) / 10,
            agentGrowthKiBPerPod: Math.round((rss - rssIdle) / n),
            peapod: { conmon: summarize(eng.conmon), perPod: { ...perPodProcesses(eng.children), ...perPodProcesses(others) } },
          };
        }
        await peapod.deleteAll();
        if (podman) {
          const f = playFile(`bb${n}-r${round}`, pods);
          const play = await podman.play(f, pods.map((p) => ({ pod: p.metadata!.name!, container: 'c' })));
          r.podman = { ...latency([...play.startedMs.values()]), playReturned: Math.round(play.returnedMs) };
          if (measureMemory && memory) {
            const eng = engineProcesses(podman.marker);
            memory.podman = { conmon: summarize(eng.conmon), perPod: perPodProcesses(eng.children) };
          }
          await podman.down(f);
        }
        r.load = [load0, loadavg()[0]!].map((l) => Math.round(l * 100) / 100);
        rounds.push(r);
        console.error(`done: ${n} pods, round ${round}`);
      }
    }
  } finally {
    await peapod.stop().catch((e) => console.error('peapod clean-up failed:', e));
    await podman?.cleanup().catch((e) => console.error(e instanceof Error ? e.message : e));
    execFileSync('rm', ['-rf', manifestDir]);
  }
  const left = netLeftovers().filter((x) => !before.includes(x));
  if (left.length) console.error(`left behind: ${left.join(' ')}`);
  report(rounds, memory, podmanVersion);
}

function report(rounds: RoundResult[], memory: MemoryResult | undefined, podmanVersion?: string): void {
  const pad = (s: string | number, w: number) => String(s).padStart(w);
  const ratio = (a: number, b?: number) => (b ? (a / b).toFixed(2) : '-');
  console.log(`agent: ${Object.entries(AGENT.env).map(([k, v]) => `${k}=${v} `).join('')}node ${AGENT_NODE_FLAGS.join(' ')}; ${podmanVersion ?? 'no podman'}`);
  console.log('peapod: create → Ready (watch); podman: kube play start → container StartedAt. ms; ratio = peapod / podman');
  console.log(`${pad('pods', 5)} ${pad('round', 5)} | ${pad('peapod p50', 10)} ${pad('p99', 6)} ${pad('all', 6)} | ${pad('podman p50', 10)} ${pad('p99', 6)} ${pad('all', 6)} ${pad('play ret', 8)} | ${pad('ratio p50', 9)} ${pad('p99', 5)} ${pad('all', 5)} | load1`);
  for (const r of rounds) {
    const q = r.podman;
    console.log(`${pad(r.pods, 5)} ${pad(r.round, 5)} | ${pad(r.peapod.p50, 10)} ${pad(r.peapod.p99, 6)} ${pad(r.peapod.all, 6)} | ${pad(q?.p50 ?? '-', 10)} ${pad(q?.p99 ?? '-', 6)} ${pad(q?.all ?? '-', 6)} ${pad(q?.playReturned ?? '-', 8)} | ${pad(ratio(r.peapod.p50, q?.p50), 9)} ${pad(ratio(r.peapod.p99, q?.p99), 5)} ${pad(ratio(r.peapod.all, q?.all), 5)} | ${r.load.join('→')}`);
  }
  if (memory) {
    const kib = (m: MemorySummary) => `${m.count} × RSS ${m.rssKiB} KiB, PSS ${m.pssKiB} KiB`;
    console.log(`\nwith ${memory.pods} pods running: agent VmRSS ${memory.agentRssMiB} MiB ${SETTLE_MS / 1000} s after all Ready (${memory.agentRssMiBAtReady} MiB at all Ready; before the pods ${memory.agentRssMiBIdle} MiB, +${memory.agentGrowthKiBPerPod} KiB per pod)`);
    console.log(`peapod conmon: ${kib(memory.peapod.conmon)}`);
    for (const [comm, m] of Object.entries(memory.peapod.perPod)) console.log(`peapod ${comm}: ${kib(m)}`);
    if (memory.podman) {
      console.log(`podman conmon: ${kib(memory.podman.conmon)}`);
      for (const [comm, m] of Object.entries(memory.podman.perPod)) console.log(`podman ${comm}: ${kib(m)}`);
    }
  }
  const dir = join(repoRoot, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'pod-startup.json'), JSON.stringify({ agentNodeFlags: AGENT_NODE_FLAGS, agentEnv: AGENT.env, podman: podmanVersion, event: { peapod: 'create → Ready (watch)', podman: 'kube play start → container State.StartedAt' }, rounds, memory }, null, 2) + '\n');
}

main().catch((e) => { console.error(e); process.exitCode = 1; });
