/**
 * The ServiceProxy's traffic policies and externalIPs on real nftables, with real traffic: the
 * real REST core (in memory, service CIDR 10.206.0.0/16) feeds the proxy of node "here"; "pods" are
 * network namespaces on a test bridge running busybox httpd (pod a's EndpointSlice entry says node
 * "here", pod b's says node "there" — both are reachable, so only the rules decide), client c is a
 * pod of this node and `out` is a client outside the pod network (its own veth to the host, like a
 * remote machine). Each pod answers `/cgi-bin/who` with its name and the client address it sees.
 * Run as root.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/object.js';
import { Resources } from '../../client/resources.js';
import { startTestApi, type TestApi } from '../../testing/test-api.js';
import { runCommand } from '../../runtime/oci/run-command.js';
import { ServiceProxy } from './service-proxy.js';
import { NetnsFixture, setSysctl, type NetnsPod } from './netns-fixture.js';
import { tableExists, deleteTable } from './nft-test-util.js';
import { createTestService, httpGet, setTestEndpoints, waitProgrammed, type ProgrammedPort, type TestEndpoint } from './service-proxy-testkit.js';

const isRoot = process.getuid?.() === 0;
const table = `pp_pol_${process.pid}`;
let api: TestApi;
let net: NetnsFixture;
let proxy: ServiceProxy;
let a: NetnsPod, b: NetnsPod, client: NetnsPod, out: NetnsPod;
/** An address of this node that is no pod's and no node IP: the externalIP of the tests. */
let externalIP = '';
const restores: (() => void)[] = [];

before(async () => {
  if (!isRoot) return;
  api = await startTestApi({ serviceCIDR: '10.206.0.0/16', nodePortRange: [31800, 31899] });
  await api.client.create(Resources.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } }).catch(() => undefined);
  net = await NetnsFixture.create();
  restores.push(setSysctl('net.ipv4.ip_forward', '1'));
  a = await net.addPod('a', 2);
  b = await net.addPod('b', 3);
  client = await net.addPod('c', 4);
  out = await net.addOutsideClient('o');
  // on the outside client's veth (goes with it); 10.205.250.N is in no fixture's subnet
  externalIP = `10.205.250.${net.n}`;
  await runCommand('ip', ['addr', 'add', `${externalIP}/32`, 'dev', out.veth]);
  await net.serve(a, 8080, 'pod-a');
  await net.serve(b, 8080, 'pod-b');
  proxy = new ServiceProxy({ client: api.client, table, serviceCidr: '10.206.0.0/16', podCidr: net.subnet, podInterface: net.bridge, nodeName: 'here', batchMs: 5 });
  await proxy.start();
});

after(async () => {
  await proxy?.stop().catch(() => undefined);
  if (isRoot && await tableExists(table)) await deleteTable(table);
  for (const r of restores.reverse()) r();
  await net?.remove();
  await api?.close();
});

type Ep = TestEndpoint & { node: string };
const service = (name: string, spec: Record<string, unknown>, endpoints: Ep[]): Promise<KubeObject> => createTestService(api.client, name, spec, endpoints);
const setEndpoints = (name: string, endpoints: Ep[]): Promise<void> => setTestEndpoints(api.client, name, endpoints);

async function updateSpec(name: string, change: (spec: Record<string, unknown>) => void): Promise<void> {
  const cur = await api.client.get(Resources.services, 'default', name);
  change(cur.spec as Record<string, unknown>);
  await api.client.update(Resources.services, 'default', cur);
}

/** Waits (bounded) until the proxy's model of `name` satisfies `ok`. */
const programmed = (name: string, ok: (p: ProgrammedPort) => boolean): Promise<void> => waitProgrammed(proxy, name, ok);
const endpointsAre = (ips: string[]) => (p: { endpoints: { ip: string; local?: boolean }[] }) =>
  JSON.stringify(p.endpoints.map((e) => `${e.ip}${e.local ? '@here' : ''}`).sort()) === JSON.stringify([...ips].sort());

/** `wget` from a netns with a deadline of `seconds`: the body, or why it failed. */
async function wget(from: NetnsPod, url: string, seconds = 5): Promise<{ ok: boolean; out: string; err: string }> {
  const r = await net.exec(from, ['busybox', 'timeout', String(seconds), 'wget', '-qO-', url], false);
  return { ok: r.code === 0, out: r.stdout.trim(), err: r.stderr.trim() };
}

/** The answers of `n` requests (each must succeed). */
async function answers(n: number, get: () => Promise<{ ok: boolean; out: string; err: string }>): Promise<Set<string>> {
  const seen = new Set<string>();
  for (let i = 0; i < n; i++) {
    const r = await get();
    assert.ok(r.ok, `request ${i} failed: ${r.err}`);
    seen.add(r.out);
  }
  return seen;
}

const clusterIP = (svc: KubeObject) => (svc.spec as { clusterIP: string }).clusterIP;
const nodePort = (svc: KubeObject) => (svc.spec as { ports: { nodePort: number }[] }).ports[0].nodePort;

test('internalTrafficPolicy Local: ClusterIP traffic only to this node\'s endpoints; none here → dropped', { skip: !isRoot }, async () => {
  const svc = await service('itp', { internalTrafficPolicy: 'Local' }, [{ ip: a.ip, node: 'here' }, { ip: b.ip, node: 'there' }]);
  await programmed('itp', endpointsAre([`${a.ip}@here`, b.ip]));
  const url = `http://${clusterIP(svc)}/`;
  // 16 requests from this node's pod and 8 from the node: pod b (another node's) never answers
  assert.deepEqual([...await answers(16, () => wget(client, url))], ['pod-a']);
  const fromHost = new Set<string>();
  for (let i = 0; i < 8; i++) fromHost.add((await httpGet(clusterIP(svc), 80)).body ?? 'failed');
  assert.deepEqual([...fromHost], ['pod-a']);
  // only an endpoint on another node: dropped (kube-proxy's "has no local endpoints"), not refused
  await setEndpoints('itp', [{ ip: a.ip, node: 'there' }, { ip: b.ip, node: 'there' }]);
  await programmed('itp', endpointsAre([a.ip, b.ip]));
  const dropped = await httpGet(clusterIP(svc), 80, '/', 1500);
  assert.equal(dropped.code, 'TIMEOUT', `expected a drop, got ${JSON.stringify(dropped)}`);
  const fromPod = await wget(client, url, 2);
  assert.equal(fromPod.ok, false, `answered ${fromPod.out}`);
  assert.doesNotMatch(fromPod.err, /refused/i, 'dropped for the pod too, not refused');
  // with Cluster policy the same endpoints serve again
  await updateSpec('itp', (s) => { s.internalTrafficPolicy = 'Cluster'; });
  await programmed('itp', (p) => !p.internalLocal);
  assert.deepEqual([...await answers(16, () => wget(client, url))].sort(), ['pod-a', 'pod-b']);
});

test('externalTrafficPolicy Local: only this node\'s endpoints and the client IP is kept; Cluster masquerades', { skip: !isRoot }, async () => {
  const svc = await service('etp', { type: 'NodePort', externalTrafficPolicy: 'Local' }, [{ ip: a.ip, node: 'here' }, { ip: b.ip, node: 'there' }]);
  await programmed('etp', endpointsAre([`${a.ip}@here`, b.ip]));
  const url = `http://${net.gateway}:${nodePort(svc)}/cgi-bin/who`;
  // from outside: pod a only, and it sees the outside client's own address
  assert.deepEqual([...await answers(12, () => wget(out, url))], [`pod-a ${out.ip}`]);
  // a pod of this node is not "external": it reaches every endpoint (kube-proxy's short-circuit), unmasqueraded
  assert.deepEqual([...await answers(16, () => wget(client, url))].sort(), [`pod-a ${client.ip}`, `pod-b ${client.ip}`]);
  // Cluster: every endpoint, and the pods see this node's address instead of the client's
  await updateSpec('etp', (s) => { s.externalTrafficPolicy = 'Cluster'; });
  await programmed('etp', (p) => !p.externalLocal);
  assert.deepEqual([...await answers(16, () => wget(out, url))].sort(), [`pod-a ${net.gateway}`, `pod-b ${net.gateway}`]);
  // Local with no endpoint on this node: outside traffic dropped, this node's pods still served
  await updateSpec('etp', (s) => { s.externalTrafficPolicy = 'Local'; });
  await setEndpoints('etp', [{ ip: b.ip, node: 'there' }]);
  await programmed('etp', (p) => !!p.externalLocal && endpointsAre([b.ip])(p));
  const dropped = await wget(out, url, 2);
  assert.equal(dropped.ok, false, `answered ${dropped.out}`);
  assert.doesNotMatch(dropped.err, /refused/i, 'dropped, not refused');
  assert.deepEqual([...await answers(4, () => wget(client, url))], [`pod-b ${client.ip}`]);
});

test('externalIPs: IP:port on this node reaches the endpoints from outside, from pods and from the node; refused without endpoints', { skip: !isRoot }, async () => {
  const svc = await service('eip', { externalIPs: [externalIP] }, [{ ip: a.ip, node: 'here' }, { ip: b.ip, node: 'there' }]);
  await programmed('eip', (p) => p.externalIPs?.[0] === externalIP && endpointsAre([`${a.ip}@here`, b.ip])(p));
  const url = `http://${externalIP}/cgi-bin/who`;
  // externalTrafficPolicy Cluster (the default): every endpoint, masqueraded
  assert.deepEqual([...await answers(16, () => wget(out, url))].sort(), [`pod-a ${net.gateway}`, `pod-b ${net.gateway}`]);
  assert.deepEqual([...await answers(16, () => wget(client, url))].map((x) => x.split(' ')[0]).sort(), ['pod-a', 'pod-b']);
  const fromHost = new Set<string>();
  for (let i = 0; i < 16; i++) fromHost.add((await httpGet(externalIP, 80)).body ?? 'failed');
  assert.deepEqual([...fromHost].sort(), ['pod-a', 'pod-b']);
  // the ClusterIP still works, and another port of the external IP is not taken
  assert.match((await wget(client, `http://${clusterIP(svc)}/`)).out, /^pod-[ab]$/);
  assert.equal((await httpGet(externalIP, 81, '/', 1500)).code, 'ECONNREFUSED');
  // Local: pod a only, client address kept
  await updateSpec('eip', (s) => { s.externalTrafficPolicy = 'Local'; });
  await programmed('eip', (p) => !!p.externalLocal);
  assert.deepEqual([...await answers(12, () => wget(out, url))], [`pod-a ${out.ip}`]);
  // no endpoint: refused at once from outside and from the node
  await setEndpoints('eip', []);
  await programmed('eip', endpointsAre([]));
  const t0 = Date.now();
  const r = await wget(out, url, 5);
  assert.equal(r.ok, false);
  assert.match(r.err, /refused/i);
  assert.ok(Date.now() - t0 < 2500, 'refused, not left to time out');
  assert.equal((await httpGet(externalIP, 80)).code, 'ECONNREFUSED');
  // a removed externalIP is no longer the service's
  await setEndpoints('eip', [{ ip: a.ip, node: 'here' }]);
  await updateSpec('eip', (s) => { s.externalIPs = undefined; s.externalTrafficPolicy = undefined; });
  await programmed('eip', (p) => !p.externalIPs && endpointsAre([`${a.ip}@here`])(p));
  assert.equal((await httpGet(externalIP, 80, '/', 1500)).code, 'ECONNREFUSED', 'nothing listens on the bare address');
});
