import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject, OwnerReference } from '../api/object.js';
import { Resources } from '../client/resources.js';
import { isNotFound } from '../client/errors.js';
import type { KubeClient } from '../client/types.js';
import { startGarbageCollector } from './garbage-collector.js';
import { startReplicaSetController } from './replicaset.js';
import { startDeploymentController } from './deployment.js';
import { startTestCluster, waitFor, listPods, type TestCluster } from './replicaset-testkit.js';

const cmRef = (o: KubeObject, block = false): OwnerReference => ({ apiVersion: 'v1', kind: 'ConfigMap', name: String(o.metadata.name), uid: String(o.metadata.uid), ...(block ? { blockOwnerDeletion: true } : {}) });
const mkCm = (c: KubeClient, name: string, owners: OwnerReference[] = [], finalizers?: string[]) =>
  c.create<KubeObject>(Resources.configmaps, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, ownerReferences: owners.length ? owners : undefined, finalizers } });
async function exists(c: KubeClient, name: string): Promise<KubeObject | undefined> {
  try { return await c.get(Resources.configmaps, 'default', name); } catch (err) { if (isNotFound(err)) return undefined; throw err; }
}

describe('garbage collector', () => {
  let c: TestCluster;
  before(async () => {
    c = await startTestCluster(({ client, informers, clock }) => {
      return [
        startGarbageCollector({ client, informers, clock }),
        startReplicaSetController({ client, informers, clock }),
        startDeploymentController({ client, informers, clock }),
      ];
    });
  });
  after(async () => { await c?.stop(); });

  test('background: dependents of a deleted owner are deleted', async () => {
    const owner = await mkCm(c.client, 'bg-owner');
    await mkCm(c.client, 'bg-a', [cmRef(owner)]);
    await mkCm(c.client, 'bg-b', [cmRef(owner)]);
    await c.client.delete(Resources.configmaps, 'default', 'bg-owner');
    await waitFor(async () => !(await exists(c.client, 'bg-a')) && !(await exists(c.client, 'bg-b')), 'dependents deleted');
  });

  test('an object created with an owner that does not exist is deleted; one with another live owner only loses the reference', async () => {
    const live = await mkCm(c.client, 'live-owner');
    const ghost: OwnerReference = { apiVersion: 'v1', kind: 'ConfigMap', name: 'ghost', uid: '00000000-0000-0000-0000-00000000dead' };
    await mkCm(c.client, 'dangling', [ghost]);
    await mkCm(c.client, 'two-owners', [ghost, cmRef(live)]);
    await waitFor(async () => !(await exists(c.client, 'dangling')), 'dangling deleted');
    const kept = await waitFor(async () => { const o = await exists(c.client, 'two-owners'); return o && o.metadata.ownerReferences?.length === 1 && o; }, 'ghost reference removed');
    assert.equal(kept.metadata.ownerReferences?.[0].uid, live.metadata.uid);
  });

  test('a cluster-scoped owner (a Node): its namespaced dependents go with it', async () => {
    const node = await c.client.create<KubeObject>(Resources.nodes, undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'gc-node' } });
    await mkCm(c.client, 'node-owned', [{ apiVersion: 'v1', kind: 'Node', name: 'gc-node', uid: String(node.metadata.uid) }]);
    await mkCm(c.client, 'node-bystander');
    await c.client.delete(Resources.nodes, undefined, 'gc-node');
    await waitFor(async () => !(await exists(c.client, 'node-owned')), 'dependent of the node deleted');
    assert.ok(await exists(c.client, 'node-bystander'));
  });

  test('foreground: blocking dependents (and theirs) go first, then the owner', async () => {
    const a = await mkCm(c.client, 'fg-a');
    const b = await mkCm(c.client, 'fg-b', [cmRef(a, true)]);
    // c keeps its own finalizer: it holds b, and b holds a
    await mkCm(c.client, 'fg-c', [cmRef(b, true)], ['example.com/hold']);
    await mkCm(c.client, 'fg-d', [cmRef(a, false)]); // not blocking: deleted, but a does not wait for it
    await c.client.delete(Resources.configmaps, 'default', 'fg-a', { propagationPolicy: 'Foreground' });
    const cc = await waitFor(async () => { const o = await exists(c.client, 'fg-c'); return o?.metadata.deletionTimestamp && o; }, 'c being deleted');
    assert.ok(cc);
    const aa = await exists(c.client, 'fg-a');
    assert.ok(aa?.metadata.deletionTimestamp, 'a is still there, waiting');
    assert.deepEqual(aa?.metadata.finalizers, ['foregroundDeletion']);
    const bb = await exists(c.client, 'fg-b');
    assert.deepEqual(bb?.metadata.finalizers, ['foregroundDeletion'], 'b is deleted in foreground: it has a dependent');
    await waitFor(async () => !(await exists(c.client, 'fg-d')), 'd deleted');
    // release c: then b, then a go
    await c.client.patch(Resources.configmaps, 'default', 'fg-c', 'merge', { metadata: { finalizers: null } });
    await waitFor(async () => !(await exists(c.client, 'fg-c')) && !(await exists(c.client, 'fg-b')) && !(await exists(c.client, 'fg-a')), 'chain gone');
  });

  test('orphan: dependents lose the ownerReference and stay; the owner goes', async () => {
    const owner = await mkCm(c.client, 'or-owner');
    await mkCm(c.client, 'or-a', [cmRef(owner, true)]);
    await c.client.delete(Resources.configmaps, 'default', 'or-owner', { propagationPolicy: 'Orphan' });
    await waitFor(async () => !(await exists(c.client, 'or-owner')), 'owner gone');
    const a = await exists(c.client, 'or-a');
    assert.ok(a);
    assert.equal(a.metadata.ownerReferences, undefined);
  });

  test('deleting a Deployment removes its ReplicaSets and pods; with Orphan they stay', async () => {
    const dep = (name: string): KubeObject => ({
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name },
      spec: { replicas: 2, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'busybox:1.36' }] } } },
    });
    const rsOf = async (app: string) => (await c.client.list(Resources.replicasets, 'default', { labelSelector: `app=${app}` })).items;
    for (const name of ['gone', 'kept']) {
      await c.client.create(Resources.deployments, 'default', dep(name));
      await waitFor(async () => (await listPods(c.client, `app=${name}`)).length === 2, `${name} pods`);
    }
    await c.client.delete(Resources.deployments, 'default', 'gone', { propagationPolicy: 'Foreground' });
    await waitFor(async () => (await rsOf('gone')).length === 0 && (await listPods(c.client, 'app=gone')).length === 0, 'ReplicaSet and pods deleted');
    await waitFor(async () => { try { await c.client.get(Resources.deployments, 'default', 'gone'); return false; } catch (err) { return isNotFound(err); } }, 'deployment gone');
    await c.client.delete(Resources.deployments, 'default', 'kept', { propagationPolicy: 'Orphan' });
    await waitFor(async () => { try { await c.client.get(Resources.deployments, 'default', 'kept'); return false; } catch (err) { return isNotFound(err); } }, 'deployment gone');
    const rs = await waitFor(async () => { const l = await rsOf('kept'); return l.length === 1 && !l[0].metadata.ownerReferences?.length && l; }, 'ReplicaSet orphaned');
    assert.equal(rs[0].spec && (rs[0].spec as { replicas: number }).replicas, 2);
    assert.equal((await listPods(c.client, 'app=kept')).length, 2);
  });
});
