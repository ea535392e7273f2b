/**
 * Node agent start-up latency and footprint, with real containers (run as root):
 *
 *   node dist/bench/agent-pod-startup.js [--pods 10] [--rounds 3]
 *
 * A `peapod server --no-agent` and a separate `peapod agent` process (its own bridge and
 * 10.202.N.0/24 subnet). Measures, per round: create → status Running for 1 pod, then for N pods
 * created at once (time until the last is Running; busybox `sleep`, image already on the node),
 * and the agent process's RSS (VmRSS) with the N pods running. Everything is removed at the end.
 * Prints a table and writes bench/results/agent-pod-startup.json.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { HttpClient } from '../src/client/http-client.js';
import { Resources } from '../src/client/resources.js';
import { cliMain, startServer } from '../test/e2e/harness.js';
import { freeAgentNet, removeNode, waitFor } from '../test/e2e/agent-helpers.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const arg = (name: string, dflt: string) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1] : dflt; };
const N = Number(arg('pods', '10'));
const ROUNDS = Number(arg('rounds', '3'));

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 102.4) / 10 : NaN;
}

async function main(): Promise<void> {
  const server = await startServer({ agent: false });
  const net = freeAgentNet();
  const agentDir = mkdtempSync(join(tmpdir(), 'peapod-bench-agent-'));
  const nodeName = 'bench-node';
  let agent: ChildProcess | undefined;
  const client = HttpClient.fromKubeconfig(server.kubeconfig);
  const results: Array<{ round: number; onePodMs: number; nPodsMs: number; rssMiB: number }> = [];
  try {
    agent = spawn(process.execPath, [cliMain, 'agent', '--server', server.url, '--token-file', join(server.dataDir, 'node-token'), '--node-name', nodeName,
      '--data-dir', agentDir, '--pod-cidr', net.subnet, '--bridge', net.bridge, '--example-images'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    agent.stderr!.on('data', (c: Buffer) => { log += c.toString(); });
    await waitFor(() => log.includes('peapod agent ready'), 'the agent', 120_000);
    const create = (name: string) => client.create(Resources.pods, 'default', {
      apiVersion: 'v1', kind: 'Pod', metadata: { name },
      spec: { nodeName, terminationGracePeriodSeconds: 0, containers: [{ name: 'c', image: 'busybox:1.36', command: ['sleep', '3600'] }] },
    });
    const runningAt = (names: string[]) => waitFor(async () => {
      const list = await client.list(Resources.pods, 'default');
      const ok = list.items.filter((p) => names.includes(p.metadata.name!) && (p as unknown as Pod).status?.phase === 'Running');
      return ok.length === names.length ? performance.now() : undefined;
    }, 'pods Running', 180_000, 20);
    const deleteAll = async (names: string[]) => {
      for (const n of names) await client.delete(Resources.pods, 'default', n, { gracePeriodSeconds: 0 });
      await waitFor(async () => (await client.list(Resources.pods, 'default')).items.length === 0, 'pods gone', 120_000);
    };
    for (let round = 1; round <= ROUNDS; round++) {
      const one = [`one-${round}`];
      let t0 = performance.now();
      await create(one[0]);
      const onePodMs = (await runningAt(one)) - t0;
      await deleteAll(one);
      const many = Array.from({ length: N }, (_, i) => `many-${round}-${i}`);
      t0 = performance.now();
      await Promise.all(many.map(create));
      const nPodsMs = (await runningAt(many)) - t0;
      const rss = rssMiB(agent.pid!);
      await deleteAll(many);
      results.push({ round, onePodMs: Math.round(onePodMs), nPodsMs: Math.round(nPodsMs), rssMiB: rss });
    }
  } finally {
    client.close();
    if (agent && agent.exitCode === null) { agent.kill('SIGTERM'); await new Promise((r) => agent!.once('exit', r)); }
    await removeNode(agentDir, net.bridge, net.subnet);
    await server.stop();
  }
  console.log(`round  1 pod → Running (ms)  ${N} pods → all Running (ms)  agent RSS with ${N} pods (MiB)`);
  for (const r of results) console.log(`${String(r.round).padStart(5)}  ${String(r.onePodMs).padStart(24)}  ${String(r.nPodsMs).padStart(29)}  ${String(r.rssMiB).padStart(30)}`);
  const dir = join(repoRoot, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'agent-pod-startup.json'), JSON.stringify({ pods: N, results }, null, 2) + '\n');
}

main().catch((e) => { console.error(e); process.exitCode = 1; });
