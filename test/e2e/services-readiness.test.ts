/**
 * A pod that fails readiness stops receiving Service traffic, and gets it again once ready: a real
 * `peapod server` with its embedded agent (real containers), driven with the real kubectl. Three
 * busybox httpd pods each answer with their own hostname and are ready while /tmp/ready exists
 * (exec readiness probe). Through the ClusterIP, from a client pod, every pod answers; after
 * `kubectl exec VICTIM -- rm /tmp/ready` its endpoint turns not ready in the EndpointSlice, the
 * proxy drops it from its rules, and N requests through the ClusterIP never reach it (while it still
 * answers on its pod IP); after `touch /tmp/ready` it is back in the slice, the rules and the answers.
 * And a Service's only pod, deleted but still draining (it ignores SIGTERM), keeps answering through
 * the ClusterIP: serving and terminating in the slice, the proxy falls back to it (KEP-1669).
 * Run as root.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod, Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { Resources } from '../../src/client/resources.js';
import { startAgentServer, waitFor, type AgentServer } from './agent-helpers.js';
import { proxyTable, stopServicesServer } from './service-helpers.js';
import { kubectlOk } from './harness.js';
import { runCommand } from '../../src/runtime/oci/run-command.js';

const isRoot = process.getuid?.() === 0;
let s: AgentServer;
before(async () => {
  if (!isRoot) return;
  s = await startAgentServer();
});
after(async () => {
  if (!s) return;
  await stopServicesServer(s, [
    ['delete', 'deployment', 'ready-web', '--ignore-not-found', '--wait=false'],
    ['delete', 'pod', 'client', '--ignore-not-found', '--grace-period=1', '--wait=false'],
    ['delete', 'pod', 'drain-web', '--ignore-not-found', '--grace-period=0', '--force', '--wait=false'],
    ['delete', 'service', 'drain-web', '--ignore-not-found', '--wait=false'],
  ]);
});

const k = (args: string[], input?: string) => kubectlOk(s.server, args, { input, timeoutMs: 60_000 });

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ready-web
spec:
  replicas: 3
  selector:
    matchLabels: { app: ready-web }
  template:
    metadata:
      labels: { app: ready-web }
    spec:
      containers:
      - name: httpd
        image: busybox:1.36
        command: [sh, -c, 'mkdir -p /www && hostname > /www/index.html && touch /tmp/ready && exec httpd -f -p 8080 -h /www']
        readinessProbe:
          exec: { command: [cat, /tmp/ready] }
          periodSeconds: 1
          failureThreshold: 1
          successThreshold: 1
`;

/** `kubectl exec POD -- ARGV`. */
async function podExec(pod: string, argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const r = await s.server.kubectl(['exec', pod, '--', ...argv], { timeoutMs: 20_000 });
  return { code: r.code, out: r.stdout.trim(), err: r.stderr };
}

/** One GET through the ClusterIP from the client pod: the answering pod's hostname. */
async function viaService(url: string): Promise<string> {
  const r = await podExec('client', ['busybox', 'timeout', '5', 'wget', '-qO-', url]);
  assert.equal(r.code, 0, `wget ${url}: ${r.err}`);
  return r.out;
}

/** The `ready` condition of each endpoint of the service's slices, by pod name. */
async function endpointReadiness(): Promise<Map<string, boolean>> {
  const l = await s.client.list(Resources.endpointslices, 'default', { labelSelector: 'kubernetes.io/service-name=ready-web' });
  const out = new Map<string, boolean>();
  for (const sl of l.items as unknown as EndpointSlice[]) {
    for (const ep of sl.endpoints ?? []) if (ep.targetRef?.name) out.set(ep.targetRef.name, ep.conditions?.ready !== false);
  }
  return out;
}

/** Whether the node's proxy rules name this address (a DNAT target of the service). */
async function inProxyRules(ip: string): Promise<boolean> {
  const r = await runCommand('nft', ['list', 'table', 'ip', proxyTable(s)]);
  return new RegExp(`${ip.replace(/\./g, '\\.')}(?![0-9])`).test(r.stdout);
}

test('a pod failing readiness stops receiving Service traffic and gets it back once ready', { skip: !isRoot, timeout: 300_000 }, async () => {
  await k(['apply', '-f', '-'], deployment);
  await k(['run', 'client', '--image=busybox:1.36', '--restart=Never', '--', 'sleep', '3600']);
  const pods = await waitFor(async () => {
    const l = (await s.client.list(Resources.pods, 'default', { labelSelector: 'app=ready-web' })).items as unknown as Pod[];
    return l.length === 3 && l.every((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') && p.status.podIP) ? l : undefined;
  }, 'three ready pods', 120_000);
  const names = pods.map((p) => p.metadata!.name!).sort();
  await waitFor(async () => ((await s.client.get(Resources.pods, 'default', 'client')) as unknown as Pod).status?.phase === 'Running', 'client Running', 120_000);
  await k(['expose', 'deployment', 'ready-web', '--port=80', '--target-port=8080']);
  const clusterIP = ((await s.client.get(Resources.services, 'default', 'ready-web')) as unknown as Service).spec!.clusterIP!;
  const url = `http://${clusterIP}/`;

  // every pod answers through the Service (random per connection; 60 tries miss one with p ≈ 3·(2/3)^60)
  await waitFor(async () => [...(await endpointReadiness()).values()].filter(Boolean).length === 3, 'three ready endpoints', 60_000);
  for (const p of pods) await waitFor(() => inProxyRules(p.status!.podIP!), `${p.metadata!.name} in the proxy rules`, 30_000, 100);
  const seen = new Set<string>();
  for (let i = 0; i < 60 && seen.size < 3; i++) seen.add(await viaService(url));
  assert.deepEqual([...seen].sort(), names);

  // the victim fails its probe: not ready in the slice, out of the rules, and no answer from it
  const victim = pods[1];
  const victimName = victim.metadata!.name!;
  const victimIP = victim.status!.podIP!;
  assert.equal((await podExec(victimName, ['rm', '/tmp/ready'])).code, 0);
  await waitFor(async () => (await endpointReadiness()).get(victimName) === false, `${victimName} not ready in the EndpointSlice`, 60_000);
  await waitFor(async () => !(await inProxyRules(victimIP)), `${victimName} out of the proxy rules`, 30_000, 100);
  const pod = (await s.client.get(Resources.pods, 'default', victimName)) as unknown as Pod;
  assert.equal(pod.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'False');
  const answers = new Set<string>();
  for (let i = 0; i < 30; i++) answers.add(await viaService(url));
  assert.ok(!answers.has(victimName), `the not-ready ${victimName} answered through the Service`);
  assert.deepEqual([...answers].sort(), names.filter((n) => n !== victimName), 'the two ready pods share the traffic');
  // it is still up: only readiness keeps it out
  const direct = await podExec('client', ['busybox', 'timeout', '5', 'wget', '-qO-', `http://${victimIP}:8080/`]);
  assert.equal(direct.out, victimName);

  // ready again: back in the slice, the rules and the answers
  assert.equal((await podExec(victimName, ['touch', '/tmp/ready'])).code, 0);
  await waitFor(async () => (await endpointReadiness()).get(victimName) === true, `${victimName} ready again in the EndpointSlice`, 60_000);
  await waitFor(() => inProxyRules(victimIP), `${victimName} back in the proxy rules`, 30_000, 100);
  let back = false;
  for (let i = 0; i < 60 && !back; i++) back = (await viaService(url)) === victimName;
  assert.ok(back, `${victimName} answered none of 60 requests after becoming ready again`);

  await k(['delete', 'service', 'ready-web']);
  await k(['delete', 'deployment', 'ready-web']);
  await k(['delete', 'pod', 'client', '--grace-period=1']);
});

/** The conditions of each endpoint of a service's slices, by pod name. */
async function endpointConditions(service: string): Promise<Map<string, string>> {
  const l = await s.client.list(Resources.endpointslices, 'default', { labelSelector: `kubernetes.io/service-name=${service}` });
  const out = new Map<string, string>();
  for (const sl of l.items as unknown as EndpointSlice[]) {
    for (const ep of sl.endpoints ?? []) if (ep.targetRef?.name) out.set(ep.targetRef.name, `ready=${ep.conditions?.ready} serving=${ep.conditions?.serving} terminating=${ep.conditions?.terminating}`);
  }
  return out;
}

test('a Service\'s only pod, deleted but still draining, keeps answering through the ClusterIP', { skip: !isRoot, timeout: 300_000 }, async () => {
  // httpd in the background; the shell (PID 1) ignores SIGTERM, so the pod drains for its whole grace period
  await k(['run', 'drain-web', '--image=busybox:1.36', '--labels=app=drain-web', '--restart=Never', '--', 'sh', '-c',
    'mkdir -p /www && hostname > /www/index.html && httpd -p 8080 -h /www && trap "" TERM && while true; do sleep 1; done']);
  await waitFor(async () => ((await s.client.get(Resources.pods, 'default', 'drain-web')) as unknown as Pod).status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'), 'drain-web ready', 120_000);
  if ((await s.server.kubectl(['get', 'pod', 'client'])).code !== 0) await k(['run', 'client', '--image=busybox:1.36', '--restart=Never', '--', 'sleep', '3600']);
  await waitFor(async () => ((await s.client.get(Resources.pods, 'default', 'client')) as unknown as Pod).status?.phase === 'Running', 'client Running', 120_000);
  await k(['expose', 'pod', 'drain-web', '--port=80', '--target-port=8080']);
  const clusterIP = ((await s.client.get(Resources.services, 'default', 'drain-web')) as unknown as Service).spec!.clusterIP!;
  const podIP = ((await s.client.get(Resources.pods, 'default', 'drain-web')) as unknown as Pod).status!.podIP!;
  await waitFor(() => inProxyRules(podIP), 'drain-web in the proxy rules', 30_000, 100);
  assert.equal(await viaService(`http://${clusterIP}/`), 'drain-web');

  await k(['delete', 'pod', 'drain-web', '--grace-period=120', '--wait=false']);
  await waitFor(async () => (await endpointConditions('drain-web')).get('drain-web') === 'ready=false serving=true terminating=true', 'drain-web serving and terminating in the EndpointSlice', 60_000);
  // no ready endpoint is left: the proxy keeps the draining one
  for (let i = 0; i < 5; i++) assert.equal(await viaService(`http://${clusterIP}/`), 'drain-web');
  assert.ok(await inProxyRules(podIP));

  await k(['delete', 'pod', 'drain-web', '--grace-period=0', '--force']);
  await waitFor(async () => !(await inProxyRules(podIP)), 'drain-web out of the proxy rules once gone', 30_000, 100);
  await k(['delete', 'service', 'drain-web']);
  await k(['delete', 'pod', 'client', '--grace-period=1']);
});
