/** Node IPAM: subnets of the cluster CIDR handed to Nodes, never twice (also across a restart), released on delete. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApi } from '../testing/test-api.js';
import { Resources } from '../client/resources.js';
import { SharedInformers } from '../client/shared-informers.js';
import type { KubeClient } from '../client/types.js';
import { FakeClock } from '../util/clock.js';
import { CidrSet, nodePodCidr, startNodeIpamController } from './node-ipam.js';
import { waitFor } from './replicaset-testkit.js';

test('CidrSet: lowest free subnet first, exact subnets only, release frees', () => {
  const s = new CidrSet('10.42.0.0/16', 24);
  assert.equal(s.size, 256);
  assert.equal(s.indexOf('10.42.7.0/24'), 7);
  assert.equal(s.indexOf('10.42.7.0/25'), undefined);
  assert.equal(s.indexOf('10.43.0.0/24'), undefined);
  assert.equal(s.indexOf('10.88.0.0/16'), undefined);
  assert.equal(s.indexOf('not a cidr'), undefined);
  assert.ok(s.occupy('10.42.0.0/24', 'a'));
  assert.ok(!s.occupy('10.42.0.0/24', 'b'), 'held by a');
  assert.equal(s.allocate('b'), '10.42.1.0/24');
  assert.equal(s.allocate('b'), '10.42.1.0/24', 'the same node keeps its subnet');
  assert.equal(s.allocate('c'), '10.42.2.0/24');
  assert.equal(s.release('b'), '10.42.1.0/24');
  assert.equal(s.allocate('d'), '10.42.1.0/24');
  const tiny = new CidrSet('10.9.0.0/29', 30);
  assert.equal(tiny.allocate('x'), '10.9.0.0/30');
  assert.equal(tiny.allocate('y'), '10.9.0.4/30');
  assert.equal(tiny.allocate('z'), undefined, 'exhausted');
  assert.throws(() => new CidrSet('10.42.0.0/16', 8));
});

async function node(client: KubeClient, name: string, podCIDR?: string): Promise<void> {
  await client.create(Resources.nodes, undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name }, spec: podCIDR ? { podCIDR, podCIDRs: [podCIDR] } : {} });
}

async function cidrOf(client: KubeClient, name: string): Promise<string> {
  return waitFor(async () => nodePodCidr(await client.get(Resources.nodes, undefined, name)), `${name} has a podCIDR`);
}

test('node IPAM controller over the API: distinct subnets, rebuilt from existing Nodes at start, released on delete', async (t) => {
  const clock = new FakeClock(Date.UTC(2026, 0, 1, 12));
  const api = await startTestApi({ clock });
  const c = api.client;
  const running: Array<{ stop(): Promise<void> }> = [];
  const informerSets: SharedInformers[] = [];
  t.after(async () => {
    for (const i of informerSets) i.stop();
    await Promise.all(running.map((r) => r.stop()));
    await api.close();
  });
  const start = async () => {
    const informers = new SharedInformers(c, clock);
    const ctl = startNodeIpamController({ client: c, informers, clock, clusterCidr: '10.42.0.0/16' });
    informerSets.push(informers);
    running.push(ctl);
    await informers.start();
    return { informers, ctl };
  };

  // existing before the controller starts: one inside the cluster CIDR (not the lowest subnet), one outside
  await node(c, 'pre-set', '10.42.0.0/24');
  await node(c, 'embedded', '10.88.0.0/16');
  await node(c, 'n1');
  const first = await start();
  assert.equal(await cidrOf(c, 'n1'), '10.42.1.0/24', 'the subnet of an existing Node is not handed out again');
  const n1 = await c.get(Resources.nodes, undefined, 'n1');
  assert.deepEqual((n1.spec as { podCIDRs?: string[] }).podCIDRs, ['10.42.1.0/24']);
  await node(c, 'n2');
  await node(c, 'n3');
  const got = [await cidrOf(c, 'n2'), await cidrOf(c, 'n3')].sort();
  assert.deepEqual(got, ['10.42.2.0/24', '10.42.3.0/24']);
  assert.equal(nodePodCidr(await c.get(Resources.nodes, undefined, 'embedded')), '10.88.0.0/16', 'a podCIDR outside the cluster CIDR is left alone');
  assert.equal(nodePodCidr(await c.get(Resources.nodes, undefined, 'pre-set')), '10.42.0.0/24');

  // delete releases: the next Node reuses the lowest freed subnet
  const n2cidr = nodePodCidr(await c.get(Resources.nodes, undefined, 'n2'));
  await c.delete(Resources.nodes, undefined, 'n2');
  await waitFor(() => first.ctl.cidrs.heldBy('n2') === undefined, 'n2 released');
  await node(c, 'n4');
  assert.equal(await cidrOf(c, 'n4'), n2cidr);

  // a restarted controller (e.g. a new leader) rebuilds its table from the Nodes and never repeats a subnet
  first.informers.stop();
  await first.ctl.stop();
  await node(c, 'n5');
  await start();
  const n5 = await cidrOf(c, 'n5');
  const all = (await c.list(Resources.nodes, undefined)).items.map((n) => nodePodCidr(n)).filter((x): x is string => !!x);
  assert.equal(new Set(all).size, all.length, `distinct: ${all.join(' ')}`);
  assert.equal(n5, '10.42.4.0/24');
});
