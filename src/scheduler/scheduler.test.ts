/**
 * The scheduler end to end over the real REST core (startTestApi) with simulated nodes: placement by
 * nodeSelector, affinity, anti-affinity, spread and taints; an unfit pod stays Pending with a
 * FailedScheduling event and is placed once a node is added; preemption; schedulerName.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod, Event } from 'kubernetes-types/core/v1.js';
import { startTestApi, type TestApi } from '../testing/test-api.js';
import { Resources } from '../client/resources.js';
import type { KubeObject } from '../api/object.js';
import { startScheduler, type Scheduler } from './scheduler.js';
import { SimAgent } from '../agent/sim/sim-agent.js';
import { defaultPodStages } from '../runtime/sim/stages.js';
import { makePod, waitFor, type PodOpts } from './testing/fixtures.js';

const fastStages = defaultPodStages.map((s) => ({ ...s, delayMs: 5, jitterMs: 0 }));

describe('scheduler over the REST core with simulated nodes', () => {
  let api: TestApi;
  let sched: Scheduler;
  const agents: SimAgent[] = [];

  const addNodes = async (o: ConstructorParameters<typeof SimAgent>[0]) => {
    const a = new SimAgent({ ...o, stages: fastStages });
    agents.push(a);
    await a.start();
    return a;
  };
  const create = async (name: string, o: PodOpts = {}): Promise<Pod> => {
    const p = makePod(name, o);
    p.metadata = { ...p.metadata, uid: undefined };
    return await api.client.create(Resources.pods, p.metadata!.namespace, p as KubeObject) as Pod;
  };
  const get = async (name: string, ns = 'default') => await api.client.get(Resources.pods, ns, name) as Pod;
  const boundTo = (name: string) => waitFor(`${name} bound`, async () => (await get(name)).spec?.nodeName);
  const events = async (name: string): Promise<Event[]> =>
    ((await api.client.list(Resources.events, 'default')).items as unknown as Event[]).filter((e) => e.involvedObject.name === name);

  before(async () => {
    api = await startTestApi();
    await api.client.create(Resources.serviceaccounts, 'default', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default' } });
    // 3 nodes over 2 zones: sim-node-0 (zone-0), sim-node-1 (zone-1), sim-node-2 (zone-0)
    await addNodes({ client: api.client, nodes: 3, zones: 2, capacity: { cpu: '2', memory: '4Gi', pods: '10' } });
    sched = await startScheduler({ client: api.client, initialBackoffMs: 50, maxBackoffMs: 200 });
  });
  after(async () => {
    await sched?.stop();
    for (const a of agents) await a.stop();
    await api?.close();
  });

  test('a pod is bound, Scheduled event written, and the sim node runs it', async () => {
    await create('plain', { cpu: '100m' });
    const node = await boundTo('plain');
    assert.match(node, /^sim-node-[012]$/);
    const pod = await waitFor('plain running', async () => { const p = await get('plain'); return p.status?.phase === 'Running' ? p : undefined; });
    assert.ok(pod.status?.podIP);
    assert.equal(pod.status?.conditions?.find((c) => c.type === 'PodScheduled')?.status, 'True');
    const ev = await waitFor('Scheduled event', async () => (await events('plain')).find((e) => e.reason === 'Scheduled'));
    assert.equal(ev.message, `Successfully assigned default/plain to ${node}`);
    assert.equal(ev.source?.component, 'default-scheduler');
  });

  test('nodeSelector, required anti-affinity and DoNotSchedule spread', async () => {
    await create('sel', { nodeSelector: { 'topology.kubernetes.io/zone': 'zone-1' } });
    assert.equal(await boundTo('sel'), 'sim-node-1');
    const anti = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'anti' } }, topologyKey: 'kubernetes.io/hostname' }] } };
    for (const i of [0, 1, 2]) await create(`anti-${i}`, { labels: { app: 'anti' }, affinity: anti });
    const nodes = await Promise.all([0, 1, 2].map((i) => boundTo(`anti-${i}`)));
    assert.deepEqual(new Set(nodes).size, 3);
    await create('anti-3', { labels: { app: 'anti' }, affinity: anti });
    const ev = await waitFor('FailedScheduling for anti-3', async () => (await events('anti-3')).find((e) => e.reason === 'FailedScheduling'));
    assert.equal(ev.message, "0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.");
    assert.equal(ev.type, 'Warning');
    const p = await get('anti-3');
    assert.equal(p.status?.phase, 'Pending');
    assert.equal(p.status?.conditions?.find((c) => c.type === 'PodScheduled')?.reason, 'Unschedulable');
    await api.client.delete(Resources.pods, 'default', 'anti-3', { gracePeriodSeconds: 0 });

    const spread = [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'sp' } } }];
    for (const i of [0, 1, 2, 3]) { await create(`sp-${i}`, { labels: { app: 'sp' }, topologySpreadConstraints: spread as never }); await boundTo(`sp-${i}`); }
    const zones = await Promise.all([0, 1, 2, 3].map(async (i) => (await boundTo(`sp-${i}`)) === 'sim-node-1' ? 'zone-1' : 'zone-0'));
    assert.deepEqual(zones.sort(), ['zone-0', 'zone-0', 'zone-1', 'zone-1']);
  });

  test('an unfit pod stays Pending and is scheduled when a node that fits is added; taints are honoured', async () => {
    await create('huge', { cpu: '3' });
    const ev = await waitFor('FailedScheduling for huge', async () => (await events('huge')).find((e) => e.reason === 'FailedScheduling'));
    assert.equal(ev.message, '0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.');
    assert.equal((await get('huge')).spec?.nodeName, undefined);
    // a tainted big node: still no
    await addNodes({ client: api.client, nodes: 1, firstIndex: 10, capacity: { cpu: '8', memory: '8Gi', pods: '10' }, taints: [{ key: 'dedicated', value: 'big', effect: 'NoSchedule' }] });
    const ev2 = await waitFor('second FailedScheduling message', async () => (await events('huge')).find((e) => e.message?.startsWith('0/4')));
    assert.equal(ev2.message, '0/4 nodes are available: 1 node(s) had untolerated taint {dedicated: big}, 3 Insufficient cpu. preemption: 0/4 nodes are available: 4 Preemption is not helpful for scheduling.');
    await create('huge-tolerant', { cpu: '3', tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'big', effect: 'NoSchedule' }] });
    assert.equal(await boundTo('huge-tolerant'), 'sim-node-10');
    // an untainted big node arrives: the waiting pod lands there
    await addNodes({ client: api.client, nodes: 1, firstIndex: 11, capacity: { cpu: '8', memory: '8Gi', pods: '10' } });
    assert.equal(await boundTo('huge'), 'sim-node-11');
  });

  test('pods for another scheduler are left alone', async () => {
    await create('other', { schedulerName: 'my-scheduler' });
    await create('after-other');
    await boundTo('after-other');
    assert.equal((await get('other')).spec?.nodeName, undefined);
  });

  test('preemption: a high-priority pod evicts lower-priority pods and takes their place', async () => {
    await api.client.create(Resources.priorityclasses, undefined, { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'high' }, value: 1000 } as KubeObject);
    await api.client.create(Resources.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'pre' } });
    await api.client.create(Resources.serviceaccounts, 'pre', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default' } });
    // fill sim-node-11 (8 cpu; 'huge' holds 3) with low-priority pods pinned to it
    for (const i of [0, 1]) await create(`low-${i}`, { namespace: 'pre', cpu: '2500m', nodeSelector: { 'kubernetes.io/hostname': 'sim-node-11' } });
    await waitFor('lows bound', async () => (await Promise.all([0, 1].map((i) => get(`low-${i}`, 'pre')))).every((p) => p.spec?.nodeName));
    const vip = makePod('vip', { namespace: 'pre', cpu: '2', priorityClassName: 'high', nodeSelector: { 'kubernetes.io/hostname': 'sim-node-11' } });
    vip.metadata = { ...vip.metadata, uid: undefined };
    await api.client.create(Resources.pods, 'pre', vip as KubeObject);
    const node = await waitFor('vip bound', async () => (await get('vip', 'pre')).spec?.nodeName, 15_000);
    assert.equal(node, 'sim-node-11');
    const remaining = (await api.client.list(Resources.pods, 'pre')).items.map((p) => p.metadata.name).filter((n) => n!.startsWith('low'));
    assert.equal(remaining.length, 1, `one victim is enough: ${remaining}`);
    const vipPod = await get('vip', 'pre');
    assert.equal(vipPod.status?.nominatedNodeName, 'sim-node-11');
  });
});
