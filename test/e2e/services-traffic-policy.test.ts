/**
 * Service traffic policies and externalIPs end to end on one node: a real `peapod server` with its
 * embedded agent (real containers), the real kubectl. Two busybox httpd pods (each answering its
 * hostname) and a client pod. `internalTrafficPolicy: Local` with the node's own pods answers; a
 * selectorless Service whose only endpoints claim another node drops the client's traffic until
 * the policy is Cluster again. A NodePort Service with `externalTrafficPolicy: Local` and an
 * externalIP (on a veth this test makes) answers from the client pod, from the node and
 * on 127.0.0.1:NodePort. The client-IP and other-node cases with an outside client are in
 * src/network/proxy/service-proxy-policy.test.ts. Run as root.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod, Service } from 'kubernetes-types/core/v1.js';
import { Resources } from '../../src/client/resources.js';
import { startAgentServer, waitFor, type AgentServer } from './agent-helpers.js';
import { httpGetBody, proxyTable, stopServicesServer } from './service-helpers.js';
import { kubectlOk } from './harness.js';
import { runCommand } from '../../src/runtime/oci/run-command.js';

const isRoot = process.getuid?.() === 0;
let s: AgentServer;
let dummy = '';
let externalIP = '';

before(async () => {
  if (!isRoot) return;
  s = await startAgentServer();
  // the externalIP: an address of this node on an interface of our own (198.18.0.0/15 is the benchmarking range)
  const n = Number(s.subnet.split('.')[2]);
  dummy = `ppeip${n}`;
  externalIP = `198.18.${n}.1`;
  // (no dummy driver on this kernel: one end of a veth pair; deleting it removes both)
  await runCommand('ip', ['link', 'add', dummy, 'type', 'veth', 'peer', 'name', `${dummy}p`]);
  await runCommand('ip', ['addr', 'add', `${externalIP}/32`, 'dev', dummy]);
  await runCommand('ip', ['link', 'set', dummy, 'up']);
});
after(async () => {
  if (dummy) await runCommand('ip', ['link', 'del', dummy], { check: false });
  if (!s) return;
  await stopServicesServer(s, [
    ['delete', 'deployment', 'tp-web', '--ignore-not-found', '--wait=false'],
    ['delete', 'pod', 'client', '--ignore-not-found', '--grace-period=1', '--wait=false'],
  ]);
});

const k = (args: string[], input?: string) => kubectlOk(s.server, args, { input, timeoutMs: 60_000 });

/** `busybox timeout SECONDS wget -qO- URL` in the client pod. */
async function wget(url: string, seconds = 5): Promise<{ code: number; out: string; err: string }> {
  const r = await s.server.kubectl(['exec', 'client', '--', 'busybox', 'timeout', String(seconds), 'wget', '-qO-', url], { timeoutMs: 30_000 });
  return { code: r.code, out: r.stdout.trim(), err: r.stderr };
}

/** Whether the node's proxy table holds this text (a map element, a chain). */
const inRules = async (text: string) => (await runCommand('nft', ['list', 'table', 'ip', proxyTable(s)])).stdout.includes(text);

test('traffic policies and externalIPs on one node (real containers)', { skip: !isRoot, timeout: 300_000 }, async () => {
  await k(['create', 'deployment', 'tp-web', '--image=busybox:1.36', '--replicas=2', '--',
    'sh', '-c', 'mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 8080 -h /www']);
  await k(['run', 'client', '--image=busybox:1.36', '--restart=Never', '--', 'sleep', '3600']);
  const pods = await waitFor(async () => {
    const l = (await s.client.list(Resources.pods, 'default', { labelSelector: 'app=tp-web' })).items as unknown as Pod[];
    return l.length === 2 && l.every((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') && p.status.podIP) ? l : undefined;
  }, 'two ready tp-web pods', 120_000);
  const names = pods.map((p) => p.metadata!.name!).sort();
  assert.ok(pods.every((p) => p.spec!.nodeName === s.nodeName));
  await waitFor(async () => ((await s.client.get(Resources.pods, 'default', 'client')) as unknown as Pod).status?.phase === 'Running', 'client Running', 120_000);

  // internalTrafficPolicy Local, every endpoint on this node: all of them answer
  await k(['apply', '-f', '-'], JSON.stringify({
    apiVersion: 'v1', kind: 'Service', metadata: { name: 'tp-local' },
    spec: { selector: { app: 'tp-web' }, internalTrafficPolicy: 'Local', ports: [{ port: 80, targetPort: 8080 }] },
  }));
  const local = (await s.client.get(Resources.services, 'default', 'tp-local')) as unknown as Service;
  await waitFor(async () => (await wget(`http://${local.spec!.clusterIP}/`)).code === 0, 'tp-local answering', 60_000, 250);
  const seen = new Set<string>();
  for (let i = 0; i < 24 && seen.size < 2; i++) seen.add((await wget(`http://${local.spec!.clusterIP}/`)).out);
  assert.deepEqual([...seen].sort(), names);

  // internalTrafficPolicy Local, the endpoints on another node only: dropped; Cluster: served
  await k(['apply', '-f', '-'], JSON.stringify({
    apiVersion: 'v1', kind: 'List', items: [
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'tp-elsewhere' }, spec: { internalTrafficPolicy: 'Local', ports: [{ name: 'http', port: 80 }] } },
      { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 'tp-elsewhere-1', labels: { 'kubernetes.io/service-name': 'tp-elsewhere' } },
        addressType: 'IPv4', ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
        endpoints: [{ addresses: [pods[0].status!.podIP!], nodeName: 'another-node', conditions: { ready: true } }] },
    ],
  }));
  const elsewhere = ((await s.client.get(Resources.services, 'default', 'tp-elsewhere')) as unknown as Service).spec!.clusterIP!;
  // programmed as "no local endpoint" before anything is sent to it
  await waitFor(() => inRules(`${elsewhere} . tcp . 80 : drop`), 'the drop element for tp-elsewhere', 30_000, 100);
  const dropped = await wget(`http://${elsewhere}/`, 2);
  assert.notEqual(dropped.code, 0, `answered: ${dropped.out}`);
  assert.doesNotMatch(dropped.err, /refused/i, 'dropped, not refused');
  await k(['patch', 'service', 'tp-elsewhere', '-p', '{"spec":{"internalTrafficPolicy":"Cluster"}}']);
  const served = await waitFor(async () => { const r = await wget(`http://${elsewhere}/`); return r.code === 0 ? r.out : undefined; }, 'tp-elsewhere with Cluster policy', 30_000, 250);
  assert.equal(served, pods[0].metadata!.name);

  // NodePort + externalIP with externalTrafficPolicy Local
  await k(['apply', '-f', '-'], JSON.stringify({
    apiVersion: 'v1', kind: 'Service', metadata: { name: 'tp-ext' },
    spec: { type: 'NodePort', externalTrafficPolicy: 'Local', externalIPs: [externalIP], selector: { app: 'tp-web' }, ports: [{ port: 80, targetPort: 8080 }] },
  }));
  const ext = (await s.client.get(Resources.services, 'default', 'tp-ext')) as unknown as Service;
  assert.equal(ext.spec!.externalTrafficPolicy, 'Local');
  await waitFor(() => inRules(`${externalIP} . tcp . 80 : goto ext-`), 'the externalIP in the proxy rules', 60_000, 100);
  const fromPod = new Set<string>();
  for (let i = 0; i < 24 && fromPod.size < 2; i++) {
    const r = await wget(`http://${externalIP}/`);
    assert.equal(r.code, 0, r.err);
    fromPod.add(r.out);
  }
  assert.deepEqual([...fromPod].sort(), names);
  const fromNode = new Set<string>();
  for (let i = 0; i < 24 && fromNode.size < 2; i++) fromNode.add(await httpGetBody(externalIP, 80));
  assert.deepEqual([...fromNode].sort(), names);
  assert.ok(names.includes(await httpGetBody('127.0.0.1', ext.spec!.ports![0].nodePort!)));

  await k(['delete', 'service', 'tp-local', 'tp-elsewhere', 'tp-ext']);
  await k(['delete', 'endpointslice', 'tp-elsewhere-1']);
  await k(['delete', 'deployment', 'tp-web']);
  await k(['delete', 'pod', 'client', '--grace-period=1']);
  // the externalIP is the service's no more: nothing of it stays in the rules
  await waitFor(async () => !(await inRules(externalIP)), 'the externalIP out of the proxy rules', 30_000, 100);
});
