import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../api/object.js';
import { Resources } from '../client/resources.js';
import { Informer } from '../client/informer.js';
import { startTestApi, type TestApi } from '../testing/test-api.js';
import { FakeClock } from '../util/clock.js';
import { selectorFromSpec } from '../api/selectors.js';
import { enqueueOwner, claimObjects, controllerRef } from './owner-routing.js';
import { waitFor } from './replicaset-testkit.js';

let api: TestApi;
before(async () => { api = await startTestApi({ clock: new FakeClock() }); });
after(async () => { await api?.close(); });

const ownerRef = (name: string, uid: string) => ({ apiVersion: 'apps/v1', kind: 'ReplicaSet', name, uid, controller: true });

test('enqueueOwner: a dependent change enqueues its controller (old and new on a change of owner); orphans go to onOrphan', async () => {
  const inf = new Informer(api.client, Resources.configmaps, { namespace: 'default' });
  const keys: string[] = [];
  const orphans: string[] = [];
  enqueueOwner(inf, 'ReplicaSet', (k) => keys.push(k), (o) => orphans.push(String(o.metadata.name)));
  await inf.start();
  try {
    await api.client.create(Resources.configmaps, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'd1', ownerReferences: [ownerRef('rs-a', 'ua')] } });
    await api.client.create(Resources.configmaps, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'lonely' } });
    await waitFor(() => keys.includes('default/rs-a') && orphans.includes('lonely'), 'add routed');
    keys.length = 0;
    await api.client.patch(Resources.configmaps, 'default', 'd1', 'merge', { metadata: { ownerReferences: [ownerRef('rs-b', 'ub')] } });
    await waitFor(() => keys.includes('default/rs-a') && keys.includes('default/rs-b'), 'old and new owner');
  } finally { inf.stop(); }
});

test('claimObjects: adopts matching orphans, releases owned non-matching, leaves others\' alone', async () => {
  const owner = await api.client.create<KubeObject>(Resources.replicasets, 'default', {
    apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'claimer' },
    spec: { replicas: 0, selector: { matchLabels: { app: 'c' } }, template: { metadata: { labels: { app: 'c' } }, spec: { containers: [{ name: 'c', image: 'x' }] } } },
  });
  const mk = (name: string, labels: Record<string, string>, refs?: unknown[]) =>
    api.client.create<KubeObject>(Resources.configmaps, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels, ownerReferences: refs as never } });
  const orphan = await mk('orphan', { app: 'c' });
  const mine = await mk('mine-nomatch', { app: 'x' }, [controllerRef(owner, Resources.replicasets)]);
  const theirs = await mk('theirs', { app: 'c' }, [ownerRef('other', 'uo')]);
  const claimed = await claimObjects({
    client: api.client, owner, ownerRef: Resources.replicasets, dependentRef: Resources.configmaps,
    selector: selectorFromSpec({ matchLabels: { app: 'c' } }), candidates: [orphan, mine, theirs],
  });
  assert.deepEqual(claimed.map((o) => o.metadata.name), ['orphan']);
  const adopted = await api.client.get(Resources.configmaps, 'default', 'orphan');
  assert.deepEqual(adopted.metadata.ownerReferences, [controllerRef(owner, Resources.replicasets)]);
  assert.equal((await api.client.get(Resources.configmaps, 'default', 'mine-nomatch')).metadata.ownerReferences, undefined);
  assert.equal((await api.client.get(Resources.configmaps, 'default', 'theirs')).metadata.ownerReferences?.[0].uid, 'uo');
  // a recheck that says the owner is going away stops adoption
  const o2 = await mk('orphan2', { app: 'c' });
  const none = await claimObjects({
    client: api.client, owner, ownerRef: Resources.replicasets, dependentRef: Resources.configmaps,
    selector: selectorFromSpec({ matchLabels: { app: 'c' } }), candidates: [o2], canAdopt: async () => false,
  });
  assert.deepEqual(none, []);
});
