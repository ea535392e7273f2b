/**
 * Node failure with a FakeClock: a simulated node stops renewing its Lease → after the grace period
 * its conditions are Unknown (Kubernetes' reason and message), it gets the unreachable NoSchedule and
 * NoExecute taints, pods are evicted at once / after their tolerationSeconds / never, bare pods are not
 * recreated, and the node is Ready and untainted again when it comes back. Also: per-zone rate limits.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { startTestApi, type TestApi } from '../testing/test-api.js';
import { Resources } from '../client/resources.js';
import { SharedInformers } from '../client/shared-informers.js';
import type { KubeObject } from '../api/object.js';
import { FakeClock } from '../util/clock.js';
import { SimAgent } from '../agent/sim/sim-agent.js';
import { NodeLifecycleController, TaintNodeUnreachable } from './node-lifecycle.js';
import { waitFor } from '../scheduler/testing/fixtures.js';

interface Env { api: TestApi; clock: FakeClock; agent: SimAgent; informers: SharedInformers; nlc: NodeLifecycleController; close(): Promise<void> }

async function env(nodes: number, o: { zones?: number } = {}): Promise<Env> {
  const clock = new FakeClock(Date.UTC(2026, 0, 1));
  const api = await startTestApi({ clock });
  await api.client.create(Resources.serviceaccounts, 'default', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default' } });
  const agent = new SimAgent({ client: api.client, clock, nodes, zones: o.zones });
  await agent.start();
  const informers = new SharedInformers(api.client, clock);
  // the periodic pass is driven by the test (monitorNodeHealth) so each step is awaited
  const nlc = new NodeLifecycleController({ client: api.client, informers, clock, nodeMonitorPeriodMs: 1e12 });
  await informers.start();
  nlc.start();
  return {
    api, clock, agent, informers, nlc,
    async close() { await nlc.stop(); await agent.stop(); informers.stop(); await api.close(); },
  };
}

/** Advance fake time, let the agent's writes land and the informers see the leases, then run one health pass. */
async function step(e: Env, ms: number): Promise<void> {
  await e.clock.advance(ms);
  await e.agent.settled();
  const leases = e.informers.for<KubeObject>(Resources.leases);
  await waitFor('lease informer to catch up', () => e.agent.nodeNames.every((n) => {
    const want = e.agent.lastRenew(n);
    const l = leases.get(`kube-node-lease/${n}`) as { spec?: { renewTime?: string } } | undefined;
    return !want || (l?.spec?.renewTime ?? '') >= want || !alive(e, n);
  }));
  await e.nlc.monitorNodeHealth();
}
const dead = new Set<string>();
const alive = (_e: Env, n: string) => !dead.has(n);

const node = async (e: Env, name: string) => await e.api.client.get(Resources.nodes, undefined, name) as Node;
const pod = async (e: Env, name: string) => await e.api.client.get(Resources.pods, 'default', name) as Pod;

describe('node lifecycle', () => {
  test('a dead node goes Unknown, gets tainted, its pods are evicted by tolerationSeconds, and it recovers', async (t) => {
    const e = await env(2);
    t.after(() => e.close());
    const mk = (name: string, tolerations?: object[]) => e.api.client.create(Resources.pods, 'default', {
      apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { nodeName: 'sim-node-0', containers: [{ name: 'c', image: 'x' }], tolerations },
    } as KubeObject);
    await mk('p-now', [{ key: TaintNodeUnreachable, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 0 }]);
    await mk('p-short', [{ key: TaintNodeUnreachable, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 60 }]);
    await mk('p-default');
    await mk('p-forever', [{ key: TaintNodeUnreachable, operator: 'Exists', effect: 'NoExecute' }]);
    assert.deepEqual((await pod(e, 'p-default')).spec?.tolerations?.map((x) => [x.key, x.tolerationSeconds]),
      [['node.kubernetes.io/not-ready', 300], ['node.kubernetes.io/unreachable', 300]]);
    await step(e, 2000);
    await waitFor('pods running', async () => (await pod(e, 'p-default')).status?.phase === 'Running');

    dead.add('sim-node-0');
    e.agent.setNodeAlive('sim-node-0', false);
    const killedAt = e.clock.now();
    let unknownAt = 0;
    for (let i = 0; i < 12 && !unknownAt; i++) {
      await step(e, 5000);
      if ((await node(e, 'sim-node-0')).status?.conditions?.find((c) => c.type === 'Ready')?.status === 'Unknown') unknownAt = e.clock.now();
    }
    assert.ok(unknownAt - killedAt >= 40_000 && unknownAt - killedAt <= 50_000, `Unknown after ${unknownAt - killedAt} ms`);
    const n0 = await node(e, 'sim-node-0');
    const ready = n0.status!.conditions!.find((c) => c.type === 'Ready')!;
    assert.equal(ready.reason, 'NodeStatusUnknown');
    assert.equal(ready.message, 'Kubelet stopped posting node status.');
    assert.equal(n0.status!.conditions!.find((c) => c.type === 'MemoryPressure')!.status, 'Unknown');
    const n1 = await node(e, 'sim-node-1');
    assert.equal(n1.status!.conditions!.find((c) => c.type === 'Ready')!.status, 'True');
    assert.equal(n1.spec?.taints, undefined);
    const taints = await waitFor('both unreachable taints', async () => {
      const ts = (await node(e, 'sim-node-0')).spec?.taints ?? [];
      return ts.length === 2 ? ts : undefined;
    });
    assert.deepEqual(taints.map((x) => `${x.key}:${x.effect}`).sort(), ['node.kubernetes.io/unreachable:NoExecute', 'node.kubernetes.io/unreachable:NoSchedule']);
    // the node's pods are no longer Ready
    assert.equal((await pod(e, 'p-forever')).status?.conditions?.find((c) => c.type === 'Ready')?.status, 'False');
    await e.nlc.recorder.flush();
    const evs = (await e.api.client.list(Resources.events, 'default')).items as unknown as { reason: string; message: string; involvedObject: { kind: string; name: string } }[];
    assert.ok(evs.some((x) => x.involvedObject.kind === 'Node' && x.involvedObject.name === 'sim-node-0' && x.reason === 'NodeNotReady' && x.message === 'Node sim-node-0 status is now: NodeNotReady'), JSON.stringify(evs.map((x) => x.reason)));
    assert.ok(evs.some((x) => x.involvedObject.kind === 'Pod' && x.reason === 'NodeNotReady' && x.message === 'Node is not ready'));

    const deleting = async (name: string) => !!(await pod(e, name)).metadata?.deletionTimestamp;
    await waitFor('p-now evicted at once', async () => { await e.clock.advance(0); return deleting('p-now'); });
    assert.equal(await deleting('p-short'), false);
    await e.clock.advance(59_000);
    assert.equal(await deleting('p-short'), false);
    await e.clock.advance(1000);
    await waitFor('p-short evicted after 60 s', async () => { await e.clock.advance(0); return deleting('p-short'); });
    assert.equal(await deleting('p-default'), false);
    await e.clock.advance(240_000);
    await waitFor('p-default evicted after 300 s', async () => { await e.clock.advance(0); return deleting('p-default'); });
    assert.equal(await deleting('p-forever'), false);
    const p = await pod(e, 'p-default');
    assert.equal(p!.status?.conditions?.find((c) => c.type === 'DisruptionTarget')?.reason, 'DeletionByTaintManager');
    // bare pods are not recreated anywhere
    const names = (await e.api.client.list(Resources.pods, 'default')).items.map((x) => x.metadata.name).sort();
    assert.deepEqual(names, ['p-default', 'p-forever', 'p-now', 'p-short']);

    // the agent comes back: Ready again, taints gone, the evicted pods finish terminating
    dead.delete('sim-node-0');
    e.agent.setNodeAlive('sim-node-0', true);
    await step(e, 1000);
    await waitFor('node Ready again', async () => (await node(e, 'sim-node-0')).status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True');
    await step(e, 1000);
    await waitFor('taints removed', async () => ((await node(e, 'sim-node-0')).spec?.taints ?? []).length === 0);
    await waitFor('evicted pods gone', async () => { await e.clock.advance(1000); return true; });
    await waitFor('evicted pods gone', async () => (await e.api.client.list(Resources.pods, 'default')).items.map((x) => x.metadata.name).join() === 'p-forever');
  });

  test('a node that reports Ready=False gets the not-ready taints; cordon adds the unschedulable taint', async (t) => {
    const e = await env(2);
    t.after(() => e.close());
    await step(e, 1000);
    // the agent reports NotReady (and stops there, so it does not post Ready again)
    e.agent.setNodeAlive('sim-node-1', false);
    const n = await node(e, 'sim-node-1');
    const conds = n.status!.conditions!.map((c) => (c.type === 'Ready' ? { ...c, status: 'False', reason: 'KubeletNotReady', message: 'container runtime is down' } : c));
    await e.api.client.update(Resources.nodes, undefined, { ...n, status: { ...n.status, conditions: conds } } as KubeObject, { subresource: 'status' });
    await waitFor('informer sees NotReady', () => (e.informers.for<KubeObject>(Resources.nodes).get('sim-node-1') as Node | undefined)?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'False'));
    await e.nlc.monitorNodeHealth();
    const taints = await waitFor('not-ready taints', async () => {
      const ts = (await node(e, 'sim-node-1')).spec?.taints ?? [];
      return ts.length === 2 ? ts.map((x) => `${x.key}:${x.effect}`).sort() : undefined;
    });
    assert.deepEqual(taints, ['node.kubernetes.io/not-ready:NoExecute', 'node.kubernetes.io/not-ready:NoSchedule']);
    const n0 = await node(e, 'sim-node-0');
    await e.api.client.update(Resources.nodes, undefined, { ...n0, spec: { ...n0.spec, unschedulable: true } } as KubeObject);
    await waitFor('unschedulable taint', async () => ((await node(e, 'sim-node-0')).spec?.taints ?? []).some((x) => x.key === 'node.kubernetes.io/unschedulable' && x.effect === 'NoSchedule'));
    const n0b = await node(e, 'sim-node-0');
    await e.api.client.update(Resources.nodes, undefined, { ...n0b, spec: { ...n0b.spec, unschedulable: false } } as KubeObject);
    await waitFor('unschedulable taint removed', async () => ((await node(e, 'sim-node-0')).spec?.taints ?? []).length === 0);
  });

  test('NoExecute tainting is rate limited per zone and stops in a partially disrupted small zone', async (t) => {
    const e = await env(6);
    t.after(() => e.close());
    await step(e, 1000);
    const noExec = async (n: string) => ((await node(e, n)).spec?.taints ?? []).some((x) => x.effect === 'NoExecute');
    for (const n of ['sim-node-0', 'sim-node-1']) { dead.add(n); e.agent.setNodeAlive(n, false); }
    for (let i = 0; i < 9; i++) await step(e, 5000);
    // both Unknown; 2 of 6 is below the disruption threshold: one taint at once, the next 10 s later (0.1/s)
    const tainted = [await noExec('sim-node-0'), await noExec('sim-node-1')].filter(Boolean).length;
    assert.equal(tainted, 1);
    await step(e, 5000);
    await step(e, 5000);
    assert.equal([await noExec('sim-node-0'), await noExec('sim-node-1')].filter(Boolean).length, 2);
    // 2 more fail: 4/6 ≥ 55% and more than 2 → partial disruption; a zone of ≤ 50 nodes gets no more NoExecute taints
    for (const n of ['sim-node-2', 'sim-node-3']) { dead.add(n); e.agent.setNodeAlive(n, false); }
    for (let i = 0; i < 12; i++) await step(e, 5000);
    assert.equal((await node(e, 'sim-node-2')).status?.conditions?.find((c) => c.type === 'Ready')?.status, 'Unknown');
    assert.deepEqual([...e.nlc.zoneStates.values()], ['PartialDisruption']);
    assert.equal(await noExec('sim-node-2'), false);
    assert.equal(await noExec('sim-node-3'), false);
    await waitFor('NoSchedule taint still applied', async () => ((await node(e, 'sim-node-3')).spec?.taints ?? []).some((x) => x.effect === 'NoSchedule'));
    // every node down: the controller assumes it lost the nodes (not the nodes their work) and lifts NoExecute taints
    for (const n of ['sim-node-4', 'sim-node-5']) { dead.add(n); e.agent.setNodeAlive(n, false); }
    for (let i = 0; i < 12; i++) await step(e, 5000);
    assert.deepEqual([...e.nlc.zoneStates.values()], ['FullDisruption']);
    for (const n of ['sim-node-0', 'sim-node-1', 'sim-node-4']) assert.equal(await noExec(n), false, n);
    for (const n of ['sim-node-0', 'sim-node-1', 'sim-node-2', 'sim-node-3', 'sim-node-4', 'sim-node-5']) dead.delete(n);
  });
});
