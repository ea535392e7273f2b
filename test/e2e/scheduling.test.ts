/**
 * Scheduling and node operations with the real kubectl against `peapod server` and 3 simulated nodes
 * (`peapod sim-agent`): label + nodeSelector, taint, cordon (with the FailedScheduling wording),
 * uncordon, drain with a PodDisruptionBudget (evictions wait for replacements), and a killed agent
 * whose node turns Unknown and gets the unreachable taints, then Ready again when it returns.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { startServer, cliMain, type TestServer } from './harness.js';

let server: TestServer;
let agent: ChildProcess | undefined;
const agents: ChildProcess[] = [];

function startSimAgent(args: string[]): ChildProcess {
  const p = spawn(process.execPath, [cliMain, 'sim-agent', '--server', server.url, '--token-file', join(server.dataDir, 'node-token'), ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  p.stderr?.on('data', (c: Buffer) => { err += c.toString(); if (err.length > 20_000) err = err.slice(-10_000); });
  p.on('exit', (code) => { if (code && code !== 0 && code !== 143) process.stderr.write(`sim-agent exited ${code}: ${err.slice(-2000)}\n`); });
  agents.push(p);
  return p;
}

async function k(args: string[], timeoutMs?: number): Promise<string> {
  const r = await server.kubectl(args, { timeoutMs });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} → ${r.code}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try { const v = await fn(); if (v) return v; } catch (e) { last = e; }
    if (Date.now() > deadline) throw new Error(`timed out: ${what}${last ? ` (${String(last)})` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const nodeOf = (pod: string) => k(['get', 'pod', pod, '-o', 'jsonpath={.spec.nodeName}']);
const podYaml = (name: string, extra: string) => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
${extra}
  containers:
  - name: c
    image: registry.k8s.io/pause:3.9
    resources:
      requests:
        cpu: 100m
`;

describe('scheduling with kubectl and simulated nodes', { timeout: 240_000 }, () => {
  before(async () => {
    server = await startServer({ args: ['--node-monitor-grace-period', '6s'] });
    agent = startSimAgent(['--nodes', '3', '--cpu', '2', '--memory', '4Gi']);
    await until('3 Ready nodes', async () => {
      const out = await k(['get', 'nodes', '--no-headers']);
      return out.trim().split('\n').filter((l) => / Ready /.test(l)).length === 3;
    });
    await until('default service account', async () => (await server.kubectl(['get', 'sa', 'default'])).code === 0);
  });
  after(async () => {
    for (const a of agents) if (a.exitCode === null && a.signalCode === null) { a.kill('SIGKILL'); await new Promise((r) => a.once('exit', r)); }
    await server?.stop();
  });

  test('label + nodeSelector, taint, cordon/uncordon with the FailedScheduling message', async () => {
    await k(['label', 'node', 'sim-node-1', 'disk=ssd']);
    const r1 = await server.kubectl(['apply', '-f', '-'], { input: podYaml('on-ssd', '  nodeSelector:\n    disk: ssd') });
    assert.equal(r1.code, 0, r1.stderr);
    assert.equal(await until('on-ssd bound', () => nodeOf('on-ssd')), 'sim-node-1');
    await until('on-ssd Running', async () => (await k(['get', 'pod', 'on-ssd', '-o', 'jsonpath={.status.phase}'])) === 'Running');

    await k(['taint', 'node', 'sim-node-0', 'dedicated=x:NoSchedule']);
    await k(['cordon', 'sim-node-2']);
    const spec = (await k(['get', 'node', 'sim-node-2', '-o', 'jsonpath={.spec.unschedulable}']));
    assert.equal(spec, 'true');
    // the node lifecycle controller adds the unschedulable taint, as Kubernetes does
    await until('unschedulable taint', async () => (await k(['get', 'node', 'sim-node-2', '-o', 'jsonpath={.spec.taints[*].key}'])).includes('node.kubernetes.io/unschedulable'));
    const r2 = await server.kubectl(['apply', '-f', '-'], { input: podYaml('want-2', '  nodeSelector:\n    kubernetes.io/hostname: sim-node-2') });
    assert.equal(r2.code, 0, r2.stderr);
    const msg = await until('FailedScheduling event', async () => {
      const out = await k(['get', 'events', '--field-selector', 'involvedObject.name=want-2', '-o', 'jsonpath={range .items[?(@.reason=="FailedScheduling")]}{.message}{"\\n"}{end}']);
      return out.trim().split('\n').filter(Boolean)[0];
    });
    assert.equal(msg, "0/3 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 1 node(s) had untolerated taint {dedicated: x}, 1 node(s) were unschedulable. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.");
    const describe = await k(['describe', 'pod', 'want-2']);
    assert.match(describe, /FailedScheduling/);
    assert.equal(await k(['get', 'pod', 'want-2', '-o', 'jsonpath={.status.phase}']), 'Pending');
    await k(['uncordon', 'sim-node-2']);
    assert.equal(await until('want-2 bound after uncordon', () => nodeOf('want-2')), 'sim-node-2');
    await k(['taint', 'node', 'sim-node-0', 'dedicated-']);
    await k(['delete', 'pod', 'on-ssd', 'want-2', '--wait=true'], 60_000);
  });

  test('drain evicts through the eviction API and respects a PodDisruptionBudget', async () => {
    await k(['create', 'deployment', 'web', '--image=registry.k8s.io/pause:3.9', '--replicas=3']);
    await until('3 ready replicas', async () => (await k(['get', 'deploy', 'web', '-o', 'jsonpath={.status.readyReplicas}'])) === '3', 60_000);
    await k(['create', 'pdb', 'web', '--selector=app=web', '--min-available=2']);
    await until('pdb allows 1', async () => (await k(['get', 'pdb', 'web', '-o', 'jsonpath={.status.disruptionsAllowed}'])) === '1');
    // put all replicas' eggs in view: find a node with web pods and drain it
    const pods = (await k(['get', 'pods', '-l', 'app=web', '-o', 'jsonpath={range .items[*]}{.spec.nodeName}{"\\n"}{end}'])).trim().split('\n');
    const target = pods.sort((a, b) => pods.filter((x) => x === b).length - pods.filter((x) => x === a).length)[0];
    const r = await server.kubectl(['drain', target, '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=120s'], { timeoutMs: 150_000 });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, new RegExp(`node/${target} (cordoned|already cordoned)`));
    assert.match(r.stdout, /evicted/);
    assert.match(r.stdout, new RegExp(`node/${target} drained`));
    const after = (await k(['get', 'pods', '-l', 'app=web', '-o', 'jsonpath={range .items[*]}{.spec.nodeName}{"\\n"}{end}'])).trim().split('\n');
    assert.ok(!after.includes(target), `no web pod left on ${target}: ${after}`);
    await until('3 ready replicas again', async () => (await k(['get', 'deploy', 'web', '-o', 'jsonpath={.status.readyReplicas}'])) === '3', 60_000);
    await k(['uncordon', target]);
  });

  for (const version of ['1.27', '1.33']) {
    test(`kubectl ${version}: drain refuses a bare pod without --force, evicts it with --force; taint and untaint`, async () => {
      const kv = async (args: string[], timeoutMs?: number) => server.kubectl(args, { version, timeoutMs });
      const name = `bare-${version.replace('.', '-')}`;
      const r = await server.kubectl(['apply', '-f', '-'], { version, input: podYaml(name, '  nodeSelector:\n    kubernetes.io/hostname: sim-node-0') });
      assert.equal(r.code, 0, r.stderr);
      await until(`${name} Running`, async () => (await k(['get', 'pod', name, '-o', 'jsonpath={.status.phase}'])) === 'Running');
      const refused = await kv(['drain', 'sim-node-0', '--ignore-daemonsets', '--timeout=30s'], 60_000);
      assert.notEqual(refused.code, 0);
      assert.match(refused.stderr, /cannot delete Pods (that )?declare no controller/);
      const forced = await kv(['drain', 'sim-node-0', '--ignore-daemonsets', '--force', '--grace-period=1', '--timeout=60s'], 90_000);
      assert.equal(forced.code, 0, forced.stderr + forced.stdout);
      assert.match(forced.stdout, new RegExp(`pod/${name} evicted`));
      assert.notEqual((await server.kubectl(['get', 'pod', name])).code, 0, 'the bare pod is gone and not recreated');
      assert.equal((await kv(['uncordon', 'sim-node-0'])).code, 0);
      assert.equal((await kv(['taint', 'node', 'sim-node-0', 'team=blue:PreferNoSchedule'])).code, 0);
      assert.match(await k(['get', 'node', 'sim-node-0', '-o', 'jsonpath={.spec.taints[*].key}']), /team/);
      assert.equal((await kv(['taint', 'node', 'sim-node-0', 'team-'])).code, 0);
      assert.doesNotMatch(await k(['get', 'node', 'sim-node-0', '-o', 'jsonpath={.spec.taints[*].key}']), /team/);
    });
  }

  test('a killed agent: node Unknown and tainted unreachable, workload pods replaced elsewhere, bare pod not; back again: Ready', async () => {
    // a fourth node in its own agent process, so the other nodes keep running
    const lone = startSimAgent(['--nodes', '1', '--first-index', '7']);
    await until('sim-node-7 Ready', async () => / Ready /.test(await k(['get', 'node', 'sim-node-7', '--no-headers'])));
    // put a Deployment's pods and a bare pod on sim-node-7 (the others cordoned meanwhile)
    for (const n of ['sim-node-0', 'sim-node-1', 'sim-node-2']) await k(['cordon', n]);
    const tol = '      tolerations:\n      - {key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 2}\n';
    const dep = `apiVersion: apps/v1
kind: Deployment
metadata: {name: mover}
spec:
  replicas: 2
  selector: {matchLabels: {app: mover}}
  template:
    metadata: {labels: {app: mover}}
    spec:
${tol}      containers: [{name: c, image: registry.k8s.io/pause:3.9}]
`;
    const r = await server.kubectl(['apply', '-f', '-'], { input: dep });
    assert.equal(r.code, 0, r.stderr);
    const bare = podYaml('bare', tol.replace(/^ {4}/gm, ''));
    const r2 = await server.kubectl(['apply', '-f', '-'], { input: bare });
    assert.equal(r2.code, 0, r2.stderr);
    const podsOn = async () => (await k(['get', 'pods', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.spec.nodeName}={.metadata.deletionTimestamp}{"\\n"}{end}'])).trim().split('\n').filter(Boolean).map((l) => l.split('='));
    await until('mover and bare on sim-node-7 and Running', async () => {
      const ps = (await podsOn()).filter(([n]) => n.startsWith('mover') || n === 'bare');
      const phases = await k(['get', 'pods', '-l', 'app=mover', '-o', 'jsonpath={.items[*].status.phase}']);
      return ps.length === 3 && ps.every(([, node]) => node === 'sim-node-7') && phases === 'Running Running';
    }, 60_000);
    for (const n of ['sim-node-0', 'sim-node-1', 'sim-node-2']) await k(['uncordon', n]);

    lone.kill('SIGKILL');
    await new Promise((r) => lone.once('exit', r));
    const ready = await until('sim-node-7 Unknown', async () => {
      const s = await k(['get', 'node', 'sim-node-7', '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}/{.status.conditions[?(@.type=="Ready")].reason}']);
      return s.startsWith('Unknown') ? s : undefined;
    }, 60_000);
    assert.equal(ready, 'Unknown/NodeStatusUnknown');
    assert.match(await k(['get', 'node', 'sim-node-7', '--no-headers']), /NotReady/);
    const taints = await until('unreachable taints', async () => {
      const t = await k(['get', 'node', 'sim-node-7', '-o', 'jsonpath={range .spec.taints[*]}{.key}:{.effect}{"\\n"}{end}']);
      return t.includes('unreachable:NoExecute') && t.includes('unreachable:NoSchedule') ? t : undefined;
    });
    assert.match(taints, /node.kubernetes.io\/unreachable:NoExecute/);
    // after tolerationSeconds the pods are evicted: the Deployment's come back on healthy nodes, the bare pod does not
    await until('2 mover pods Running on healthy nodes', async () => {
      const ps = (await podsOn()).filter(([n, node, del]) => n.startsWith('mover') && node !== 'sim-node-7' && !del);
      const running = await k(['get', 'pods', '-l', 'app=mover', '--field-selector', 'status.phase=Running', '-o', 'jsonpath={range .items[*]}{.spec.nodeName}{"\\n"}{end}']);
      return ps.length === 2 && running.trim().split('\n').filter((n) => n && n !== 'sim-node-7').length >= 2;
    }, 60_000);
    const all = await podsOn();
    const bareRow = all.find(([n]) => n === 'bare');
    assert.ok(bareRow && bareRow[1] === 'sim-node-7' && bareRow[2], `bare pod is terminating on its node, not recreated: ${JSON.stringify(all)}`);
    assert.equal(all.filter(([n]) => n === 'bare' || n.startsWith('bare')).length, 1);

    startSimAgent(['--nodes', '1', '--first-index', '7']);
    await until('sim-node-7 Ready again', async () => / Ready /.test(await k(['get', 'node', 'sim-node-7', '--no-headers'])), 60_000);
    await until('taints gone', async () => (await k(['get', 'node', 'sim-node-7', '-o', 'jsonpath={.spec.taints}'])).trim() === '');
    // the returning agent finishes the evicted pods' termination
    await until('bare pod gone', async () => (await server.kubectl(['get', 'pod', 'bare'])).code !== 0, 30_000);
  });
});
