import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../api/object.js';
import { Resources } from '../client/resources.js';
import { StatusError } from '../client/errors.js';
import { startDisruptionController } from './disruption.js';
import { startTestCluster, waitFor, runPod, type TestCluster } from './replicaset-testkit.js';

type PdbStatus = { observedGeneration?: number; currentHealthy?: number; desiredHealthy?: number; disruptionsAllowed?: number; expectedPods?: number; disruptedPods?: Record<string, string>; conditions?: { type: string; status: string; reason: string }[] };

describe('Disruption controller (PodDisruptionBudget status) with the eviction subresource', () => {
  let c: TestCluster;
  let rs: KubeObject;
  before(async () => {
    c = await startTestCluster(({ client, informers, clock }) => [startDisruptionController({ client, informers, clock })]);
    // a ReplicaSet (no controller runs here) and three ready pods it owns
    rs = await c.client.create(Resources.replicasets, 'default', {
      apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'web' },
      spec: { replicas: 4, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
    });
    for (let i = 0; i < 3; i++) {
      const p = await c.client.create(Resources.pods, 'default', {
        apiVersion: 'v1', kind: 'Pod',
        metadata: { name: `web-${i}`, labels: { app: 'web' }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: String(rs.metadata.uid), controller: true }] },
        spec: { containers: [{ name: 'c', image: 'nginx' }] },
      });
      await runPod(c.client, p, { at: c.clock.now() });
    }
    await c.client.create(Resources.pods, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'loner', labels: { app: 'loner' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } });
  });
  after(async () => { await c?.stop(); });

  const pdb = (name: string, spec: Record<string, unknown>) => c.client.create(Resources.poddisruptionbudgets, 'default', { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name }, spec });
  const status = async (name: string) => ((await c.client.get(Resources.poddisruptionbudgets, 'default', name)).status ?? {}) as PdbStatus;
  const evict = (pod: string) => c.client.create(Resources.pods, 'default', { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: pod, namespace: 'default' } }, { subresource: 'eviction', name: pod });

  test('minAvailable 2 of 3 ready pods: one disruption allowed; an eviction uses it, the next is refused with 429', async () => {
    await pdb('min2', { minAvailable: 2, selector: { matchLabels: { app: 'web' } } });
    const st = await waitFor(async () => { const s = await status('min2'); return s.observedGeneration === 1 && s; }, 'status');
    assert.deepEqual([st.currentHealthy, st.desiredHealthy, st.expectedPods, st.disruptionsAllowed], [3, 2, 3, 1]);
    assert.deepEqual(st.conditions?.map((x) => [x.type, x.status, x.reason]), [['DisruptionAllowed', 'True', 'SufficientPods']]);
    await evict('web-0');
    const after1 = await waitFor(async () => { const s = await status('min2'); return s.currentHealthy === 2 && s.disruptionsAllowed === 0 && s; }, 'recomputed after the eviction');
    assert.deepEqual(after1.conditions?.map((x) => [x.status, x.reason]), [['False', 'InsufficientPods']]);
    await assert.rejects(evict('web-1'), (err: unknown) => {
      assert.ok(err instanceof StatusError);
      assert.equal(err.code, 429);
      assert.equal(err.message, "Cannot evict pod as it would violate the pod's disruption budget.");
      return true;
    });
  });

  test('maxUnavailable counts the controller scale (expectedPods = ReplicaSet replicas)', async () => {
    await pdb('max1', { maxUnavailable: 1, selector: { matchLabels: { app: 'web' } } });
    const st = await waitFor(async () => { const s = await status('max1'); return s.observedGeneration === 1 && s; }, 'status');
    // 4 wanted, 1 may be unavailable → 3 must be healthy; 2 are
    assert.deepEqual([st.expectedPods, st.desiredHealthy, st.currentHealthy, st.disruptionsAllowed], [4, 3, 2, 0]);
    await c.client.patch(Resources.replicasets, 'default', 'web', 'merge', { spec: { replicas: 2 } });
    await waitFor(async () => { const s = await status('max1'); return s.expectedPods === 2 && s.desiredHealthy === 1 && s.disruptionsAllowed === 1; }, 'follows the scale');
  });

  test('a percentage over pods without a controller cannot be computed (SyncFailed, nothing allowed)', async () => {
    await pdb('loner', { minAvailable: '50%', selector: { matchLabels: { app: 'loner' } } });
    const st = await waitFor(async () => { const s = await status('loner'); return s.observedGeneration === 1 && s; }, 'status');
    assert.equal(st.disruptionsAllowed, 0);
    assert.deepEqual(st.conditions?.map((x) => [x.status, x.reason]), [['False', 'SyncFailed']]);
  });
});
