/**
 * The ServiceProxy end to end on real nftables: the real REST core (in memory, service CIDR
 * 10.206.0.0/16) feeds the proxy's informers; "pods" are network namespaces on a test bridge
 * running busybox httpd. Traffic to VIPs from the host and from another netns, spread over two
 * endpoints, the fallback to draining (serving terminating) endpoints, hairpin, fast rejection
 * without endpoints, NodePort on 127.0.0.1 (route_localnet set
 * and restored), ClientIP affinity, and endpoint changes. Run as root.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/object.js';
import { Resources } from '../../client/resources.js';
import { startTestApi, type TestApi } from '../../testing/test-api.js';
import { ServiceProxy } from './service-proxy.js';
import { NetnsFixture, setSysctl, type NetnsPod } from './netns-fixture.js';
import { tableExists, deleteTable } from './nft-test-util.js';
import { createTestService, httpGet, setTestEndpoints, waitProgrammed, type TestEndpoint } from './service-proxy-testkit.js';

const isRoot = process.getuid?.() === 0;
const table = `pp_svc_${process.pid}`;
let api: TestApi;
let net: NetnsFixture;
let proxy: ServiceProxy;
let a: NetnsPod, b: NetnsPod, client: NetnsPod;
const restores: (() => void)[] = [];

before(async () => {
  if (!isRoot) return;
  api = await startTestApi({ serviceCIDR: '10.206.0.0/16', nodePortRange: [31900, 31999] });
  await api.client.create(Resources.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } }).catch(() => undefined);
  net = await NetnsFixture.create();
  restores.push(setSysctl('net.ipv4.ip_forward', '1'));
  a = await net.addPod('a', 2);
  b = await net.addPod('b', 3);
  client = await net.addPod('c', 4);
  await net.serve(a, 8080, 'pod-a');
  await net.serve(b, 8080, 'pod-b');
  proxy = new ServiceProxy({ client: api.client, table, serviceCidr: '10.206.0.0/16', podCidr: net.subnet, podInterface: net.bridge, batchMs: 5 });
  await proxy.start();
});

after(async () => {
  await proxy?.stop().catch(() => undefined);
  if (isRoot && await tableExists(table)) await deleteTable(table);
  for (const r of restores.reverse()) r();
  await net?.remove();
  await api?.close();
});

/** A selectorless Service plus an EndpointSlice we control (the controllers are not running here). */
const service = (name: string, spec: Record<string, unknown>, endpoints: TestEndpoint[] | undefined): Promise<KubeObject> => createTestService(api.client, name, spec, endpoints);
const setEndpoints = (name: string, endpoints: TestEndpoint[]): Promise<void> => setTestEndpoints(api.client, name, endpoints);

/** Waits (bounded) until the proxy has programmed `name` with exactly these endpoint IPs. */
const programmed = (name: string, ips: string[]): Promise<void> =>
  waitProgrammed(proxy, name, (p) => JSON.stringify(p.endpoints.map((e) => e.ip).sort()) === JSON.stringify([...ips].sort()), `with ${ips.join(',')}`);

const clusterIP = (svc: KubeObject) => (svc.spec as { clusterIP: string }).clusterIP;
const nodePort = (svc: KubeObject) => (svc.spec as { ports: { nodePort: number }[] }).ports[0].nodePort;

test('a ClusterIP answers from the host and from another netns, spread over both endpoints', { skip: !isRoot }, async () => {
  const svc = await service('web', {}, [{ ip: a.ip }, { ip: b.ip }]);
  await programmed('web', [a.ip, b.ip]);
  const seen = new Set<string>();
  for (let i = 0; i < 24; i++) {
    const r = await httpGet(clusterIP(svc), 80);
    assert.ok(r.body, `request ${i} from the host failed: ${r.code}`);
    seen.add(r.body);
  }
  assert.deepEqual([...seen].sort(), ['pod-a', 'pod-b']);
  const fromPod = new Set<string>();
  for (let i = 0; i < 16; i++) {
    const r = await net.wget(client, `http://${clusterIP(svc)}/`);
    assert.equal(r.code, 0, r.stderr);
    fromPod.add(r.stdout);
  }
  assert.deepEqual([...fromPod].sort(), ['pod-a', 'pod-b']);
});

test('draining: while no endpoint is ready, the terminating ones that still serve take the traffic', { skip: !isRoot }, async () => {
  const draining = (ip: string, serving = true) => ({ ip, ready: false, serving, terminating: true });
  // a rolling update: the old pod drains, the new one is ready and alone takes the traffic
  const svc = await service('drain', {}, [{ ip: a.ip }, draining(b.ip)]);
  await programmed('drain', [a.ip]);
  for (let i = 0; i < 8; i++) assert.equal((await httpGet(clusterIP(svc), 80)).body, 'pod-a');
  // scaled to zero: nothing is ready; the draining pod that still serves answers (one that stopped serving does not)
  await setEndpoints('drain', [draining(a.ip, false), draining(b.ip)]);
  await programmed('drain', [b.ip]);
  for (let i = 0; i < 8; i++) assert.equal((await httpGet(clusterIP(svc), 80)).body, 'pod-b');
  // it stopped serving too: refused at once
  await setEndpoints('drain', [draining(b.ip, false)]);
  await programmed('drain', []);
  const r = await httpGet(clusterIP(svc), 80);
  assert.equal(r.code, 'ECONNREFUSED');
  await api.client.delete(Resources.services, 'default', 'drain');
  await api.client.delete(Resources.endpointslices, 'default', 'drain-test');
});

test('hairpin: a pod reaches itself through its service', { skip: !isRoot }, async () => {
  const svc = await service('solo', {}, [{ ip: a.ip }]);
  await programmed('solo', [a.ip]);
  const r = await net.wget(a, `http://${clusterIP(svc)}/`);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'pod-a');
});

test('a ClusterIP without a ready endpoint is refused at once (host and pod), and served once one is ready', { skip: !isRoot }, async () => {
  const svc = await service('empty', {}, [{ ip: a.ip, ready: false }]);
  await proxy.synced();
  const r = await httpGet(clusterIP(svc), 80);
  assert.equal(r.code, 'ECONNREFUSED');
  assert.ok(r.ms < 1000, `refused after ${r.ms} ms`);
  const t0 = Date.now();
  const w = await net.wget(client, `http://${clusterIP(svc)}/`);
  assert.notEqual(w.code, 0);
  assert.match(w.stderr, /refused/i);
  assert.ok(Date.now() - t0 < 2000, 'the pod is refused, not left to time out');
  // an address in the service CIDR that no service has is refused the same way
  assert.equal((await httpGet('10.206.255.254', 80)).code, 'ECONNREFUSED');
  await setEndpoints('empty', [{ ip: a.ip, ready: true }]);
  await programmed('empty', [a.ip]);
  assert.equal((await httpGet(clusterIP(svc), 80)).body, 'pod-a');
  // and refused again when it stops being ready
  await setEndpoints('empty', [{ ip: a.ip, ready: false }]);
  await programmed('empty', []);
  assert.equal((await httpGet(clusterIP(svc), 80)).code, 'ECONNREFUSED');
});

test('NodePort on 127.0.0.1 (route_localnet) and refused without endpoints', { skip: !isRoot }, async () => {
  restores.push(setSysctl(`net.ipv4.conf.${net.bridge}.route_localnet`, '1')); // per bridge: the outgoing device's setting is what counts
  const svc = await service('np', { type: 'NodePort' }, [{ ip: a.ip }, { ip: b.ip }]);
  await programmed('np', [a.ip, b.ip]);
  const seen = new Set<string>();
  for (let i = 0; i < 24; i++) {
    const r = await httpGet('127.0.0.1', nodePort(svc));
    assert.ok(r.body, `request ${i} to 127.0.0.1:${nodePort(svc)} failed: ${r.code}`);
    seen.add(r.body);
  }
  assert.deepEqual([...seen].sort(), ['pod-a', 'pod-b']);
  // from a pod, through the gateway (a local address of this node)
  const w = await net.wget(client, `http://${net.gateway}:${nodePort(svc)}/`);
  assert.equal(w.code, 0, w.stderr);
  assert.match(w.stdout, /^pod-[ab]$/);
  await setEndpoints('np', []);
  await programmed('np', []);
  const r = await httpGet('127.0.0.1', nodePort(svc));
  assert.equal(r.code, 'ECONNREFUSED');
});

test('sessionAffinity ClientIP keeps each client on one endpoint', { skip: !isRoot }, async () => {
  const svc = await service('sticky', { sessionAffinity: 'ClientIP' }, [{ ip: a.ip }, { ip: b.ip }]);
  await programmed('sticky', [a.ip, b.ip]);
  const fromPod = new Set<string>();
  for (let i = 0; i < 12; i++) {
    const r = await net.wget(client, `http://${clusterIP(svc)}/`);
    assert.equal(r.code, 0, r.stderr);
    fromPod.add(r.stdout);
  }
  assert.equal(fromPod.size, 1, `one endpoint for one client, got ${[...fromPod]}`);
  const fromHost = new Set<string>();
  for (let i = 0; i < 12; i++) fromHost.add((await httpGet(clusterIP(svc), 80)).body ?? 'failed');
  assert.equal(fromHost.size, 1, `one endpoint for one client, got ${[...fromHost]}`);
});

test('endpoint changes move traffic; a deleted service is refused', { skip: !isRoot }, async () => {
  const svc = await service('moving', {}, [{ ip: a.ip }, { ip: b.ip }]);
  await programmed('moving', [a.ip, b.ip]);
  await setEndpoints('moving', [{ ip: a.ip, ready: false }, { ip: b.ip }]);
  await programmed('moving', [b.ip]);
  for (let i = 0; i < 10; i++) assert.equal((await httpGet(clusterIP(svc), 80)).body, 'pod-b');
  await api.client.delete(Resources.services, 'default', 'moving');
  const until = Date.now() + 10_000;
  while (proxy.programmedPorts().some((p) => p.id.startsWith('default/moving:'))) {
    assert.ok(Date.now() < until, 'the deleted service was never unprogrammed');
    await new Promise((r) => setTimeout(r, 20));
  }
  await proxy.synced();
  assert.equal((await httpGet(clusterIP(svc), 80)).code, 'ECONNREFUSED');
});

test('stop() removes the table', { skip: !isRoot }, async () => {
  assert.equal(await tableExists(table), true);
  await proxy.stop();
  assert.equal(await tableExists(table), false);
});
