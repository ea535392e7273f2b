import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../api/object.js';
import { Resources } from '../client/resources.js';
import { startReplicaSetController } from './replicaset.js';
import { startReplicationControllerController } from './replicationcontroller.js';
import { podsToDelete } from './replicaset-rank.js';
import type { EventRecorder } from './events.js';
import { startTestCluster, waitFor, listPods, runPod, events, ensureServiceAccount, type TestCluster } from './replicaset-testkit.js';

function rs(name: string, replicas: number, extra: { minReadySeconds?: number; labels?: Record<string, string> } = {}): KubeObject {
  const labels = extra.labels ?? { app: name };
  return {
    apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name, namespace: 'default' },
    spec: {
      replicas, minReadySeconds: extra.minReadySeconds ?? 0, selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: { containers: [{ name: 'c', image: 'busybox:1.36' }] } },
    },
  };
}

async function getStatus(c: TestCluster, name: string): Promise<Record<string, number | undefined> & { observedGeneration?: number; conditions?: { type: string; reason: string; message: string }[] }> {
  const o = await c.client.get(Resources.replicasets, 'default', name);
  return (o.status ?? {}) as never;
}

describe('ReplicaSet controller', () => {
  let c: TestCluster;
  let recorder: EventRecorder;
  before(async () => {
    c = await startTestCluster(({ client, informers, clock }) => {
      const rsc = startReplicaSetController({ client, informers, clock });
      recorder = rsc.recorder;
      return [rsc, startReplicationControllerController({ client, informers, clock })];
    });
  });
  after(async () => { await c?.stop(); });

  test('scale up creates pods from the template, owned by the ReplicaSet, with SuccessfulCreate events', async () => {
    await c.client.create(Resources.replicasets, 'default', rs('web', 5));
    const pods = await waitFor(async () => { const p = await listPods(c.client, 'app=web'); return p.length === 5 && p; }, '5 pods');
    for (const p of pods) {
      assert.match(String(p.metadata.name), /^web-[a-z0-9]{5}$/);
      assert.equal(p.metadata.generateName, 'web-');
      const ref = p.metadata.ownerReferences?.[0];
      assert.equal(ref?.kind, 'ReplicaSet');
      assert.equal(ref?.name, 'web');
      assert.equal(ref?.controller, true);
      assert.equal(ref?.blockOwnerDeletion, true);
    }
    const st = await waitFor(async () => { const s = await getStatus(c, 'web'); return s.replicas === 5 && s.observedGeneration === 1 && s; }, 'status.replicas 5');
    assert.equal(st.fullyLabeledReplicas, 5);
    assert.equal(st.readyReplicas, undefined);
    await recorder.flush();
    const evs = (await events(c.client)).filter((e) => e.involvedObject.name === 'web' && e.reason === 'SuccessfulCreate');
    assert.equal(evs.length, 5);
    assert.deepEqual(evs.map((e) => e.message).sort(), pods.map((p) => `Created pod: ${p.metadata.name}`).sort());
    // ready pods are counted
    for (const p of pods.slice(0, 3)) await runPod(c.client, p, { at: c.clock.now() });
    await waitFor(async () => { const s = await getStatus(c, 'web'); return s.readyReplicas === 3 && s.availableReplicas === 3; }, '3 ready');
  });

  test('scale down deletes the least valuable pods first (unscheduled, then not ready)', async () => {
    const before = await listPods(c.client, 'app=web');
    const running = before.filter((p) => (p.spec as { nodeName?: string }).nodeName).map((p) => p.metadata.name).sort();
    assert.equal(running.length, 3);
    await c.client.patch(Resources.replicasets, 'default', 'web', 'merge', { spec: { replicas: 3 } });
    const left = await waitFor(async () => { const p = await listPods(c.client, 'app=web'); return p.filter((x) => !x.metadata.deletionTimestamp).length === 3 && p; }, '3 pods left');
    assert.deepEqual(left.filter((x) => !x.metadata.deletionTimestamp).map((p) => p.metadata.name).sort(), running);
    await recorder.flush();
    const del = (await events(c.client)).filter((e) => e.involvedObject.name === 'web' && e.reason === 'SuccessfulDelete');
    assert.equal(del.length, 2);
    for (const e of del) assert.match(e.message, /^Deleted pod: web-[a-z0-9]{5}$/);
    await waitFor(async () => { const s = await getStatus(c, 'web'); return s.replicas === 3 && s.observedGeneration === 2; }, 'status after scale down');
  });

  test('a terminating or failed pod does not count and is replaced', async () => {
    const pods = (await listPods(c.client, 'app=web')).filter((p) => !p.metadata.deletionTimestamp);
    // the node failed: its pod is deleted (graceful: stays terminating)
    await c.client.delete(Resources.pods, 'default', String(pods[0].metadata.name));
    await c.client.patch(Resources.pods, 'default', String(pods[1].metadata.name), 'merge', { status: { phase: 'Failed' } }, { subresource: 'status' });
    await waitFor(async () => {
      const p = await listPods(c.client, 'app=web');
      const active = p.filter((x) => !x.metadata.deletionTimestamp && (x.status as { phase?: string }).phase !== 'Failed');
      return active.length === 3;
    }, 'replacements');
    await waitFor(async () => (await getStatus(c, 'web')).replicas === 3, 'status.replicas 3');
  });

  test('adopts a matching orphan and releases a pod that stops matching', async () => {
    await c.client.create(Resources.pods, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'orphan', labels: { app: 'adopt' } }, spec: { containers: [{ name: 'c', image: 'busybox:1.36' }] } });
    await c.client.create(Resources.replicasets, 'default', rs('adopt', 2));
    const pods = await waitFor(async () => { const p = await listPods(c.client, 'app=adopt'); return p.length === 2 && p; }, '2 pods');
    const orphan = pods.find((p) => p.metadata.name === 'orphan');
    assert.equal(orphan?.metadata.ownerReferences?.[0]?.name, 'adopt', 'orphan adopted, so only one pod created');
    // relabel: released (ownerReference removed) and replaced
    await c.client.patch(Resources.pods, 'default', 'orphan', 'merge', { metadata: { labels: { app: 'other' } } });
    await waitFor(async () => {
      const o = await c.client.get(Resources.pods, 'default', 'orphan');
      return !(o.metadata.ownerReferences ?? []).length;
    }, 'released');
    await waitFor(async () => (await listPods(c.client, 'app=adopt')).length === 2, 'replacement');
  });

  test('minReadySeconds: ready pods become available only after it (fake clock)', async () => {
    await c.client.create(Resources.replicasets, 'default', rs('slow', 2, { minReadySeconds: 30 }));
    const pods = await waitFor(async () => { const p = await listPods(c.client, 'app=slow'); return p.length === 2 && p; }, 'pods');
    for (const p of pods) await runPod(c.client, p, { at: c.clock.now() });
    await waitFor(async () => { const s = await getStatus(c, 'slow'); return s.readyReplicas === 2; }, 'ready');
    assert.equal((await getStatus(c, 'slow')).availableReplicas, undefined);
    await c.clock.advance(32_000);
    await waitFor(async () => (await getStatus(c, 'slow')).availableReplicas === 2, 'available after minReadySeconds');
  });

  test('a failed creation sets ReplicaFailure and a Warning FailedCreate event; cleared when creation succeeds', async () => {
    // a namespace without its default ServiceAccount: the API refuses the pods
    await c.client.create(Resources.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'nosa' } });
    await c.client.create(Resources.replicasets, 'nosa', { ...rs('bad', 2), metadata: { name: 'bad', namespace: 'nosa' } });
    const cond = await waitFor(async () => {
      const o = await c.client.get(Resources.replicasets, 'nosa', 'bad');
      return ((o.status as { conditions?: { type: string; status: string; reason: string; message: string }[] }).conditions ?? []).find((x) => x.type === 'ReplicaFailure');
    }, 'ReplicaFailure');
    assert.equal(cond.status, 'True');
    assert.equal(cond.reason, 'FailedCreate');
    assert.match(cond.message, /forbidden: error looking up service account nosa\/default/);
    await recorder.flush();
    const ev = (await events(c.client, 'nosa')).find((e) => e.reason === 'FailedCreate');
    assert.equal(ev?.type, 'Warning');
    assert.match(String(ev?.message), /^Error creating: pods "bad-[a-z0-9]{5}" is forbidden/);
    await ensureServiceAccount(c.client, 'nosa');
    // the failed key waits for its backoff on the fake clock
    await waitFor(async () => { await c.clock.advance(1000); return (await listPods(c.client, 'app=bad', 'nosa')).length === 2; }, 'pods after the ServiceAccount exists');
    await waitFor(async () => {
      const o = await c.client.get(Resources.replicasets, 'nosa', 'bad');
      return !((o.status as { conditions?: unknown[] }).conditions ?? []).length;
    }, 'ReplicaFailure removed');
  });

  test('ReplicationController: same behaviour with a map selector', async () => {
    await c.client.create(Resources.replicationcontrollers, 'default', {
      apiVersion: 'v1', kind: 'ReplicationController', metadata: { name: 'rc' },
      spec: { replicas: 3, selector: { app: 'rc' }, template: { metadata: { labels: { app: 'rc' } }, spec: { containers: [{ name: 'c', image: 'busybox:1.36' }] } } },
    });
    const pods = await waitFor(async () => { const p = await listPods(c.client, 'app=rc'); return p.length === 3 && p; }, 'rc pods');
    assert.equal(pods[0].metadata.ownerReferences?.[0]?.kind, 'ReplicationController');
    for (const p of pods) await runPod(c.client, p, { at: c.clock.now() });
    await waitFor(async () => {
      const o = await c.client.get(Resources.replicationcontrollers, 'default', 'rc');
      const s = o.status as { replicas?: number; readyReplicas?: number; availableReplicas?: number; observedGeneration?: number };
      return s.replicas === 3 && s.readyReplicas === 3 && s.availableReplicas === 3 && s.observedGeneration === 1;
    }, 'rc status');
  });
});

test('podsToDelete ranks unassigned < pending < not ready < ready, deletion cost, doubled-up nodes, newer first (on a logarithmic scale)', () => {
  const pod = (name: string, o: { node?: string; phase?: string; ready?: boolean; cost?: number; created?: string; readySince?: string }): KubeObject => ({
    metadata: { name, uid: name, creationTimestamp: o.created ?? '2026-01-01T00:00:00Z', annotations: o.cost !== undefined ? { 'controller.kubernetes.io/pod-deletion-cost': String(o.cost) } : undefined },
    spec: { nodeName: o.node },
    status: { phase: o.phase ?? 'Pending', conditions: o.ready !== undefined ? [{ type: 'Ready', status: o.ready ? 'True' : 'False', lastTransitionTime: o.readySince ?? '2026-01-01T00:00:00Z' }] : [] },
  });
  const pods = [
    pod('ready-old', { node: 'a', phase: 'Running', ready: true, created: '2026-01-01T00:00:00Z' }),
    pod('ready-new', { node: 'b', phase: 'Running', ready: true, created: '2026-01-01T01:00:00Z' }),
    pod('unready', { node: 'c', phase: 'Running', ready: false }),
    pod('pending', { node: 'd', phase: 'Pending' }),
    pod('unassigned', {}),
    pod('costly', { node: 'e', phase: 'Running', ready: false, cost: 100 }),
  ];
  assert.deepEqual(podsToDelete(pods, [], 5).map((p) => p.metadata.name), ['unassigned', 'pending', 'unready', 'costly', 'ready-new']);
  // doubled-up: a ready pod on a node with more pods of the family goes first
  const spread = [pod('x', { node: 'n1', phase: 'Running', ready: true }), pod('y', { node: 'n2', phase: 'Running', ready: true })];
  const related = [pod('z', { node: 'n2', phase: 'Running', ready: true })];
  assert.deepEqual(podsToDelete(spread, related, 1).map((p) => p.metadata.name), ['y']);
  const now = Date.parse('2026-01-01T01:00:00Z');
  const aged = (name: string, uid: string, ageS: number) => ({ ...pod(name, { node: name, phase: 'Running', ready: true, readySince: '2026-01-01T00:00:00Z', created: new Date(now - ageS * 1000).toISOString() }), metadata: { name, uid, creationTimestamp: new Date(now - ageS * 1000).toISOString() } });
  // 70 s and 100 s: both in [2^36, 2^37) ns → tie, broken by uid; 20 s is in a lower bucket → newest first
  assert.deepEqual(podsToDelete([aged('old', 'a-uid', 100), aged('mid', 'z-uid', 70), aged('new', 'm-uid', 20)], [], 2, now).map((p) => p.metadata.name), ['new', 'old']);
  // without a reference time: plain newest first
  assert.deepEqual(podsToDelete([aged('old', 'a-uid', 100), aged('mid', 'z-uid', 70), aged('new', 'm-uid', 20)], [], 2).map((p) => p.metadata.name), ['new', 'mid']);
});
