/**
 * A bounded scale test: `peapod server` + `peapod sim-agent --nodes 100`, a Deployment of 500
 * replicas with a zone spread constraint: every replica is scheduled and Running, no node holds
 * more than its pod capacity, the zones stay within maxSkew, and every node stays Ready (the
 * 100 leases are renewed on time).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { startServer, cliMain, type TestServer } from './harness.js';

let server: TestServer | undefined;
let agent: ChildProcess | undefined;
after(async () => {
  if (agent && agent.exitCode === null && agent.signalCode === null) { agent.kill('SIGKILL'); await new Promise((r) => agent!.once('exit', r)); }
  await server?.stop();
});

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try { const v = await fn(); if (v) return v; } catch (e) { last = e; }
    if (Date.now() > deadline) throw new Error(`timed out: ${what}${last ? ` (${String(last)})` : ''}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

test('500 replicas over 100 simulated nodes', { timeout: 300_000 }, async () => {
  server = await startServer();
  const s = server;
  agent = spawn(process.execPath, [cliMain, 'sim-agent', '--server', s.url, '--token-file', join(s.dataDir, 'node-token'), '--nodes', '100', '--zones', '4', '--pods', '8', '--cpu', '4'], { stdio: 'ignore' });
  const k = async (args: string[]) => { const r = await s.kubectl(args, { timeoutMs: 60_000 }); if (r.code !== 0) throw new Error(r.stderr); return r.stdout; };
  await until('100 Ready nodes', async () => (await k(['get', 'nodes', '--no-headers'])).split('\n').filter((l) => / Ready /.test(l)).length === 100, 120_000);
  await until('default service account', async () => (await s.kubectl(['get', 'sa', 'default'])).code === 0, 30_000);
  const dep = `apiVersion: apps/v1
kind: Deployment
metadata: {name: big}
spec:
  replicas: 500
  selector: {matchLabels: {app: big}}
  template:
    metadata: {labels: {app: big}}
    spec:
      topologySpreadConstraints:
      - {maxSkew: 2, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: DoNotSchedule, labelSelector: {matchLabels: {app: big}}}
      containers: [{name: c, image: registry.k8s.io/pause:3.9, resources: {requests: {cpu: 100m}}}]
`;
  const r = await s.kubectl(['apply', '-f', '-'], { input: dep });
  assert.equal(r.code, 0, r.stderr);
  const started = Date.now();
  await until('500 ready replicas', async () => (await k(['get', 'deploy', 'big', '-o', 'jsonpath={.status.readyReplicas}'])) === '500', 240_000);
  const seconds = (Date.now() - started) / 1000;
  const rows = (await k(['get', 'pods', '-l', 'app=big', '-o', 'jsonpath={range .items[*]}{.spec.nodeName} {.status.phase}{"\\n"}{end}'])).trim().split('\n');
  assert.equal(rows.length, 500);
  const perNode = new Map<string, number>();
  for (const row of rows) {
    const [node, phase] = row.split(' ');
    assert.equal(phase, 'Running');
    perNode.set(node, (perNode.get(node) ?? 0) + 1);
  }
  assert.ok(Math.max(...perNode.values()) <= 8, 'pods per node within capacity');
  const perZone = [0, 0, 0, 0];
  for (const [node, n] of perNode) perZone[Number(node.replace('sim-node-', '')) % 4] += n;
  assert.ok(Math.max(...perZone) - Math.min(...perZone) <= 2, `zones within maxSkew: ${perZone}`);
  const notReady = (await k(['get', 'nodes', '--no-headers'])).split('\n').filter((l) => l && !/ Ready /.test(l));
  assert.deepEqual(notReady, []);
  process.stderr.write(`500 replicas Running on 100 simulated nodes in ${seconds.toFixed(1)} s\n`);
});
