/**
 * Node services without an agent: startNodeServices on a test bridge (10.205.N.0/24, service CIDR
 * 10.206.0.0/16, kube-dns at 10.206.0.10) over the real REST core; a netns "pod" whose
 * /etc/resolv.conf (ip netns exec's /etc/netns/NS/resolv.conf) is what the agent writes for
 * ClusterFirst pods resolves and reaches a service by name through kube-dns → the node's DNS
 * server → the proxy. Run as root.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { Resources } from '../client/resources.js';
import { startTestApi, type TestApi } from '../testing/test-api.js';
import { startNodeServices, type NodeServices } from './node-services.js';
import { ensureKubeDns } from './node-services-kube-dns.js';
import { NetnsFixture, setSysctl, type NetnsPod } from './proxy/netns-fixture.js';
import { deleteTable, tableExists } from './proxy/nft-test-util.js';

const isRoot = process.getuid?.() === 0;
let api: TestApi;
let net: NetnsFixture;
let ns: NodeServices | undefined;
let web: NetnsPod, client: NetnsPod;
let table = '';
let etcNetnsMade = false;
const restores: (() => void)[] = [];

before(async () => {
  if (!isRoot) return;
  api = await startTestApi({ serviceCIDR: '10.206.0.0/16' });
  await api.client.create(Resources.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } }).catch(() => undefined);
  net = await NetnsFixture.create();
  table = `pp_ns_${process.pid}`;
  restores.push(setSysctl('net.ipv4.ip_forward', '1'));
  web = await net.addPod('w', 2);
  client = await net.addPod('c', 3);
  await net.serve(web, 8080, 'web-pod');
  etcNetnsMade = !existsSync('/etc/netns');
  mkdirSync(`/etc/netns/${client.ns}`, { recursive: true });
  writeFileSync(`/etc/netns/${client.ns}/resolv.conf`, 'search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.206.0.10\noptions ndots:5\n');
});

after(async () => {
  await ns?.stop().catch(() => undefined);
  if (isRoot && table && await tableExists(table)) await deleteTable(table);
  if (client) rmSync(`/etc/netns/${client.ns}`, { recursive: true, force: true });
  if (etcNetnsMade && existsSync('/etc/netns') && readdirSync('/etc/netns').length === 0) rmSync('/etc/netns', { recursive: true });
  for (const r of restores.reverse()) r();
  await net?.remove();
  await api?.close();
});

test('a pod resolves and reaches a service by name through kube-dns and the node DNS server', { skip: !isRoot }, async () => {
  ns = await startNodeServices({ client: api.client, podCidr: net.subnet, bridge: net.bridge, serviceCidr: '10.206.0.0/16', table, dnsUpstream: [] });
  assert.deepEqual(ns.dnsAddress, { ip: net.gateway, port: 53 });
  assert.equal(readFileSync(`/proc/sys/net/ipv4/conf/${net.bridge}/route_localnet`, 'utf8').trim(), '1');
  await ensureKubeDns(api.client, { clusterIP: '10.206.0.10', dnsIp: ns.dnsAddress.ip });
  const svc = await api.client.create(Resources.services, 'default', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { ports: [{ name: 'http', port: 80 }] } });
  await api.client.create(Resources.endpointslices, 'default', {
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 'web-x', labels: { 'kubernetes.io/service-name': 'web' } },
    addressType: 'IPv4', ports: [{ name: 'http', port: 8080, protocol: 'TCP' }], endpoints: [{ addresses: [web.ip], conditions: { ready: true } }],
  });
  const until = Date.now() + 10_000;
  while (!['kube-system/kube-dns:dns:UDP', 'default/web:http:TCP'].every((id) => ns!.proxy.programmedPorts().some((p) => p.id === id && p.endpoints.length))) {
    assert.ok(Date.now() < until, 'kube-dns and web not programmed');
    await new Promise((r) => setTimeout(r, 20));
  }
  // kube-dns goes to this node's DNS server whatever its endpoints say
  assert.deepEqual(ns.proxy.programmedPorts().find((p) => p.id === 'kube-system/kube-dns:dns:UDP')!.endpoints, [{ ip: net.gateway, port: 53, local: true }]);
  const look = await net.exec(client, ['busybox', 'nslookup', 'web.default.svc.cluster.local'], false);
  assert.equal(look.code, 0, look.stderr + look.stdout);
  assert.match(look.stdout, new RegExp(`Address:?\\s+${(svc.spec as { clusterIP: string }).clusterIP.replace(/\./g, '\\.')}`));
  for (const url of ['http://web', 'http://web.default', 'http://web.default.svc.cluster.local']) {
    const r = await net.wget(client, url);
    assert.equal(r.code, 0, `${url}: ${r.stderr}`);
    assert.equal(r.stdout, 'web-pod');
  }
  const missing = await net.exec(client, ['busybox', 'nslookup', 'nothing.default.svc.cluster.local'], false);
  assert.match(missing.stdout + missing.stderr, /NXDOMAIN|can't find/i);
  await ns.stop();
  ns = undefined;
  assert.equal(await tableExists(table), false);
});
