/** Node route controller: which Nodes get a route, and the routes themselves in a network namespace made for the test. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import type { KubeObject } from '../api/object.js';
import type { KubeClient } from '../client/types.js';
import { Resources } from '../client/resources.js';
import { startTestApi } from '../testing/test-api.js';
import { NodeRoutes, routeFor, ROUTE_PROTO, type NodeRoute } from './routes.js';

const self = { nodeName: 'me', nodeIp: '10.207.0.2', podCidr: '10.42.1.0/24' };

function nodeObj(name: string, podCIDR: string | undefined, ip: string | undefined, ready = true): KubeObject {
  return {
    apiVersion: 'v1', kind: 'Node', metadata: { name },
    spec: podCIDR ? { podCIDR, podCIDRs: [podCIDR] } : {},
    status: {
      addresses: ip ? [{ type: 'InternalIP', address: ip }, { type: 'Hostname', address: name }] : [],
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
    },
  };
}

test('routeFor: other nodes with a podCIDR and an InternalIP; never self, loopback, our own IP or an overlapping subnet', () => {
  assert.deepEqual(routeFor(nodeObj('c', '10.42.2.0/24', '10.207.0.3'), self), { dst: '10.42.2.0/24', via: '10.207.0.3', node: 'c' });
  assert.equal(routeFor(nodeObj('me', '10.42.1.0/24', '10.207.0.2'), self), undefined);
  assert.equal(routeFor(nodeObj('x', undefined, '10.207.0.3'), self), undefined);
  assert.equal(routeFor(nodeObj('x', '10.42.2.0/24', undefined), self), undefined);
  assert.equal(routeFor(nodeObj('x', '10.42.2.0/24', '127.0.0.1'), self), undefined);
  assert.equal(routeFor(nodeObj('x', '10.42.2.0/24', '10.207.0.2'), self), undefined, 'same host');
  assert.equal(routeFor(nodeObj('x', '10.42.0.0/16', '10.207.0.4'), self), undefined, 'overlaps our subnet');
  assert.equal(routeFor(nodeObj('x', '10.42.1.128/25', '10.207.0.4'), self), undefined, 'inside our subnet');
});

async function putNode(c: KubeClient, n: KubeObject): Promise<void> {
  let cur: KubeObject;
  try { cur = await c.get(Resources.nodes, undefined, String(n.metadata.name)); } catch {
    cur = await c.create(Resources.nodes, undefined, { ...n, status: undefined });
  }
  await c.update(Resources.nodes, undefined, { ...cur, status: n.status }, { subresource: 'status' });
}

test('NodeRoutes: ip route via each Ready node in the namespace, kept while NotReady, removed on delete, stale routes of a previous run removed', async (t) => {
  const ns = `pprt${process.pid % 100000}`;
  const ipn = (...args: string[]) => execFileSync('ip', ['-n', ns, ...args], { encoding: 'utf8' });
  execFileSync('ip', ['netns', 'add', ns]);
  const api = await startTestApi();
  let routes: NodeRoutes | undefined;
  t.after(async () => {
    await routes?.stop();
    await api.close();
    execFileSync('ip', ['netns', 'del', ns]);
  });
  // a "host" with a link to its neighbours (a veth whose peer stays in the namespace) and its own bridge subnet
  ipn('link', 'add', 'h0', 'type', 'veth', 'peer', 'name', 'h1');
  ipn('link', 'set', 'h0', 'up');
  ipn('link', 'set', 'h1', 'up');
  ipn('addr', 'add', '10.207.0.2/24', 'dev', 'h0');
  ipn('link', 'add', 'br0', 'type', 'bridge');
  ipn('link', 'set', 'br0', 'up');
  ipn('addr', 'add', '10.42.9.1/24', 'dev', 'br0'); // a connected route not ours
  ipn('route', 'add', '10.42.7.0/24', 'via', '10.207.0.9', 'proto', ROUTE_PROTO); // left by an "earlier run"
  const table = () => ipn('-4', 'route', 'show', 'proto', ROUTE_PROTO).trim().split('\n').filter((l) => l && !l.startsWith('unreachable')).map((l) => l.replace(/\s+$/, '')).sort();

  const c = api.client;
  await putNode(c, nodeObj('me', '10.42.1.0/24', '10.207.0.2'));
  await putNode(c, nodeObj('b', '10.42.2.0/24', '10.207.0.3'));
  await putNode(c, nodeObj('notready', '10.42.3.0/24', '10.207.0.4', false));
  await putNode(c, nodeObj('clash', '10.42.9.0/24', '10.207.0.5'));
  const syncs: NodeRoute[][] = [];
  const waiters: Array<() => void> = [];
  const synced = (pred: (r: NodeRoute[]) => boolean, what: string) => new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; routes: ${table().join(' | ')}`)), 10_000);
    const check = () => { if (syncs.length && pred(syncs[syncs.length - 1])) { clearTimeout(timer); resolve(); return true; } return false; };
    if (!check()) waiters.push(() => { if (check()) waiters.splice(0); });
  });
  routes = new NodeRoutes({ client: c, ...self, netns: ns, clusterCidr: '10.42.0.0/16', onSync: (r) => { syncs.push(r); for (const w of [...waiters]) w(); } });
  await routes.start();
  await synced((r) => r.length === 1, 'first sync');
  assert.deepEqual(table(), ['10.42.2.0/24 via 10.207.0.3 dev h0'], 'b routed; stale 10.42.7.0/24 gone; NotReady and clashing nodes not routed');
  assert.match(ipn('-4', 'route', 'show', 'exact', '10.42.9.0/24'), /proto kernel/, 'the connected route is untouched');
  assert.match(ipn('-4', 'route', 'show', 'exact', '10.42.0.0/16'), /^unreachable 10\.42\.0\.0\/16/, 'the rest of the cluster CIDR is unreachable here');

  await putNode(c, nodeObj('notready', '10.42.3.0/24', '10.207.0.4', true));
  await synced((r) => r.length === 2, 'node became Ready');
  await putNode(c, nodeObj('notready', '10.42.3.0/24', '10.207.0.4', false));
  await putNode(c, nodeObj('b', '10.42.2.0/24', '10.207.0.6'));
  await synced((r) => r.some((x) => x.via === '10.207.0.6'), 'address change');
  assert.deepEqual(table(), ['10.42.2.0/24 via 10.207.0.6 dev h0', '10.42.3.0/24 via 10.207.0.4 dev h0'], 'kept while NotReady; replaced on address change');

  await c.delete(Resources.nodes, undefined, 'b');
  await synced((r) => r.length === 1, 'b deleted');
  assert.deepEqual(table(), ['10.42.3.0/24 via 10.207.0.4 dev h0']);
});
