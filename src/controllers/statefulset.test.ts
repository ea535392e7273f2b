import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../api/object.js';
import type { StatefulSetStatus } from 'kubernetes-types/apps/v1.js';
import { Resources } from '../client/resources.js';
import { startStatefulSetController, type StatefulSetController } from './statefulset.js';
import { computeHash, safeEncode, fnv32a } from './controller-revision.js';
import { startTestCluster, waitFor, listPods, runPod, finishTerminating, events, type TestCluster } from './replicaset-testkit.js';

function sts(name: string, replicas: number, extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name, namespace: 'default' },
    spec: {
      replicas, serviceName: name, selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'nginx:1.25' }] } },
      ...extra,
    },
  };
}

describe('StatefulSet controller', () => {
  let c: TestCluster;
  let sc: StatefulSetController;
  before(async () => { c = await startTestCluster(({ client, informers, clock }) => { sc = startStatefulSetController({ client, informers, clock }); return [sc]; }); });
  after(async () => { await c?.stop(); });

  const live = async (app: string) => (await listPods(c.client, `app=${app}`)).filter((p) => !p.metadata.deletionTimestamp).sort((a, b) => String(a.metadata.name).localeCompare(String(b.metadata.name)));
  const names = (ps: KubeObject[]) => ps.map((p) => p.metadata.name);
  const status = async (n: string) => ((await c.client.get(Resources.statefulsets, 'default', n)).status ?? {}) as StatefulSetStatus;
  /** Wait for exactly `want` live pods, then make the newest unready one Running and Ready. */
  async function readyNext(app: string, want: string[]): Promise<void> {
    const ps = await waitFor(async () => { const x = await live(app); return JSON.stringify(names(x)) === JSON.stringify(want) && x; }, `pods ${want.join(',')}`);
    for (const p of ps) if ((p.status as { phase?: string } | undefined)?.phase !== 'Running') await runPod(c.client, p);
  }

  test('revision hashes are FNV-1a of the template, safe-encoded', () => {
    assert.equal(fnv32a(''), 0x811c9dc5);
    assert.equal(fnv32a('a'), 0xe40c292c);
    assert.equal(safeEncode('0123456789'), 'bcdfghjklm'.split('').map((_, i) => 'bcdfghjklmnpqrstvwxz2456789'[(48 + i) % 27]).join(''));
    assert.notEqual(computeHash({ a: 1 }), computeHash({ a: 1 }, 1));
    assert.equal(computeHash({ a: 1, b: 2 }), computeHash({ b: 2, a: 1 }));
  });

  test('OrderedReady: NAME-0, -1, -2 one after another once Running and Ready; identity, claims, revision label', async () => {
    await c.client.create(Resources.statefulsets, 'default', sts('web', 3, {
      volumeClaimTemplates: [{ metadata: { name: 'www' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
    }));
    await readyNext('web', ['web-0']);
    const p0 = (await live('web'))[0];
    const spec = p0.spec as { hostname?: string; subdomain?: string; volumes?: { name: string; persistentVolumeClaim?: { claimName: string } }[] };
    assert.equal(spec.hostname, 'web-0');
    assert.equal(spec.subdomain, 'web');
    assert.deepEqual(spec.volumes?.find((v) => v.name === 'www')?.persistentVolumeClaim, { claimName: 'www-web-0' });
    assert.equal(p0.metadata.labels?.['statefulset.kubernetes.io/pod-name'], 'web-0');
    assert.equal(p0.metadata.labels?.['apps.kubernetes.io/pod-index'], '0');
    assert.match(String(p0.metadata.labels?.['controller-revision-hash']), /^web-[bcdfghjklmnpqrstvwxz2456789]+$/);
    assert.equal(p0.metadata.ownerReferences?.[0].kind, 'StatefulSet');
    const claim = await c.client.get(Resources.persistentvolumeclaims, 'default', 'www-web-0');
    assert.equal(claim.metadata.labels?.app, 'web');
    await readyNext('web', ['web-0', 'web-1']);
    await readyNext('web', ['web-0', 'web-1', 'web-2']);
    const st = await waitFor(async () => { const s = await status('web'); return s.readyReplicas === 3 && s; }, 'ready 3');
    assert.equal(st.replicas, 3);
    assert.equal(st.availableReplicas, 3);
    assert.equal(st.currentReplicas, 3);
    assert.equal(st.updatedReplicas, 3);
    assert.equal(st.observedGeneration, 1);
    assert.equal(st.currentRevision, st.updateRevision);
    assert.equal(st.updateRevision, p0.metadata.labels?.['controller-revision-hash']);
    const revs = (await c.client.list(Resources.controllerrevisions, 'default')).items.filter((r) => r.metadata.ownerReferences?.[0]?.name === 'web');
    assert.equal(revs.length, 1);
    assert.equal((revs[0] as { revision?: number }).revision, 1);
    await sc.recorder.flush();
    const evs = (await events(c.client)).filter((e) => e.involvedObject.name === 'web').map((e) => e.message);
    assert.ok(evs.includes('create Pod web-0 in StatefulSet web successful'));
    assert.ok(evs.includes('create Claim www-web-0 Pod web-0 in StatefulSet web success'));
  });

  test('scale down removes the highest ordinal first, one at a time; claims stay', async () => {
    await c.client.patch(Resources.statefulsets, 'default', 'web', 'merge', { spec: { replicas: 1 } });
    await waitFor(async () => JSON.stringify(names(await live('web'))) === '["web-0","web-1"]', 'web-2 terminating');
    assert.equal(await finishTerminating(c.client), 1);
    await waitFor(async () => JSON.stringify(names(await live('web'))) === '["web-0"]', 'web-1 terminating');
    await finishTerminating(c.client);
    await waitFor(async () => (await listPods(c.client, 'app=web')).length === 1, 'one pod left');
    for (const n of ['www-web-0', 'www-web-1', 'www-web-2']) await c.client.get(Resources.persistentvolumeclaims, 'default', n);
    await c.client.patch(Resources.statefulsets, 'default', 'web', 'merge', { spec: { replicas: 3 } });
    await readyNext('web', ['web-0', 'web-1']);
    await readyNext('web', ['web-0', 'web-1', 'web-2']);
    await waitFor(async () => (await status('web')).readyReplicas === 3, 'ready 3 again');
  });

  test('rolling update: reverse ordinal order, each replaced pod Ready before the next; partition holds the lower ordinals', async () => {
    const before = await status('web');
    await c.client.patch(Resources.statefulsets, 'default', 'web', 'merge', { spec: { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 1 } }, template: { spec: { containers: [{ name: 'c', image: 'nginx:1.26' }] } } } });
    const gen = (await c.client.get(Resources.statefulsets, 'default', 'web')).metadata.generation;
    const st = await waitFor(async () => { const s = await status('web'); return s.updateRevision !== before.updateRevision && s.observedGeneration === gen && s; }, 'new update revision');
    assert.equal(st.currentRevision, before.currentRevision);
    await waitFor(async () => JSON.stringify(names(await live('web'))) === '["web-0","web-1"]', 'web-2 replaced first');
    await finishTerminating(c.client);
    await readyNext('web', ['web-0', 'web-1', 'web-2']);
    await waitFor(async () => JSON.stringify(names(await live('web'))) === '["web-0","web-2"]', 'then web-1');
    await finishTerminating(c.client);
    await readyNext('web', ['web-0', 'web-1', 'web-2']);
    const s2 = await waitFor(async () => { const s = await status('web'); return s.updatedReplicas === 2 && s.readyReplicas === 3 && s; }, '2 updated');
    assert.equal(s2.currentReplicas, 1);
    const ps = await live('web');
    assert.deepEqual(ps.map((p) => (p.spec as { containers: { image: string }[] }).containers[0].image), ['nginx:1.25', 'nginx:1.26', 'nginx:1.26']);
    // lifting the partition finishes the rollout; the update revision becomes current
    await c.client.patch(Resources.statefulsets, 'default', 'web', 'merge', { spec: { updateStrategy: { rollingUpdate: { partition: 0 } } } });
    await waitFor(async () => JSON.stringify(names(await live('web'))) === '["web-1","web-2"]', 'web-0 replaced');
    await finishTerminating(c.client);
    await readyNext('web', ['web-0', 'web-1', 'web-2']);
    const done = await waitFor(async () => { const s = await status('web'); return s.currentRevision === s.updateRevision && s.updatedReplicas === 3 && s.readyReplicas === 3 && s; }, 'rollout complete');
    assert.equal(done.currentReplicas, 3);
    const revs = (await c.client.list(Resources.controllerrevisions, 'default')).items.filter((r) => r.metadata.ownerReferences?.[0]?.name === 'web');
    assert.deepEqual(revs.map((r) => (r as { revision?: number }).revision).sort(), [1, 2]);
  });

  test('Parallel creates all pods at once; a failed pod is made again', async () => {
    await c.client.create(Resources.statefulsets, 'default', sts('par', 3, { podManagementPolicy: 'Parallel' }));
    const ps = await waitFor(async () => { const x = await live('par'); return x.length === 3 && x; }, '3 pods at once');
    assert.deepEqual(names(ps), ['par-0', 'par-1', 'par-2']);
    const uid = ps[1].metadata.uid;
    await c.client.patch(Resources.pods, 'default', 'par-1', 'merge', { status: { phase: 'Failed' } }, { subresource: 'status' });
    await waitFor(async () => { const x = (await live('par')).find((p) => p.metadata.name === 'par-1'); return x && x.metadata.uid !== uid && (x.status as { phase?: string }).phase !== 'Failed'; }, 'par-1 made again');
  });

  test('OnDelete: a template change replaces only deleted pods', async () => {
    await c.client.create(Resources.statefulsets, 'default', sts('ond', 2, { updateStrategy: { type: 'OnDelete' }, podManagementPolicy: 'Parallel' }));
    const ps = await waitFor(async () => { const x = await live('ond'); return x.length === 2 && x; }, '2 pods');
    await c.client.patch(Resources.statefulsets, 'default', 'ond', 'merge', { spec: { template: { spec: { containers: [{ name: 'c', image: 'nginx:1.26' }] } } } });
    const st = await waitFor(async () => { const s = await status('ond'); return s.observedGeneration === 2 && s; }, 'observed');
    assert.notEqual(st.updateRevision, st.currentRevision);
    assert.deepEqual((await live('ond')).map((p) => p.metadata.uid), ps.map((p) => p.metadata.uid), 'no pod replaced');
    await c.client.delete(Resources.pods, 'default', 'ond-0');
    const p0 = await waitFor(async () => (await live('ond')).find((p) => p.metadata.name === 'ond-0' && p.metadata.uid !== ps[0].metadata.uid), 'ond-0 recreated');
    assert.equal((p0.spec as { containers: { image: string }[] }).containers[0].image, 'nginx:1.26');
    assert.equal(p0.metadata.labels?.['controller-revision-hash'], st.updateRevision);
  });
  test('persistentVolumeClaimRetentionPolicy whenScaled Delete: a removed ordinal\'s claim is owned by its pod', async () => {
    await c.client.create(Resources.statefulsets, 'default', sts('ret', 2, {
      podManagementPolicy: 'Parallel', persistentVolumeClaimRetentionPolicy: { whenScaled: 'Delete', whenDeleted: 'Retain' },
      volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
    }));
    const ps = await waitFor(async () => { const x = await live('ret'); return x.length === 2 && x; }, '2 pods');
    for (const p of ps) await runPod(c.client, p);
    await waitFor(async () => (await status('ret')).readyReplicas === 2, 'ready');
    await c.client.patch(Resources.statefulsets, 'default', 'ret', 'merge', { spec: { replicas: 1 } });
    const ret1 = ps.find((p) => p.metadata.name === 'ret-1')!;
    const claim = await waitFor(async () => { const x = await c.client.get(Resources.persistentvolumeclaims, 'default', 'data-ret-1'); return x.metadata.ownerReferences?.length ? x : undefined; }, 'claim owned');
    assert.deepEqual(claim.metadata.ownerReferences?.map((r) => [r.kind, r.name, r.uid]), [['Pod', 'ret-1', ret1.metadata.uid]]);
    const keep = await c.client.get(Resources.persistentvolumeclaims, 'default', 'data-ret-0');
    assert.equal(keep.metadata.ownerReferences, undefined);
  });
  test('rolling update with maxUnavailable 2: two pods replaced at a time, highest ordinals first', async () => {
    await c.client.create(Resources.statefulsets, 'default', sts('mu', 4, { podManagementPolicy: 'Parallel', updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 2 } } }));
    const ps = await waitFor(async () => { const x = await live('mu'); return x.length === 4 && x; }, '4 pods');
    for (const p of ps) await runPod(c.client, p);
    await waitFor(async () => (await status('mu')).readyReplicas === 4, 'ready 4');
    await c.client.patch(Resources.statefulsets, 'default', 'mu', 'merge', { spec: { template: { spec: { containers: [{ name: 'c', image: 'nginx:1.26' }] } } } });
    await waitFor(async () => JSON.stringify(names(await live('mu'))) === '["mu-0","mu-1"]', 'mu-3 and mu-2 replaced together');
    await finishTerminating(c.client);
    const fresh = await waitFor(async () => { const x = await live('mu'); return x.length === 4 && x; }, 'recreated');
    for (const p of fresh) if (['mu-2', 'mu-3'].includes(String(p.metadata.name))) await runPod(c.client, p);
    await waitFor(async () => JSON.stringify(names(await live('mu'))) === '["mu-2","mu-3"]', 'then mu-1 and mu-0');
  });
  test('ordinals.start and minReadySeconds: pods NAME-5, NAME-6; available only after minReadySeconds', async () => {
    await c.client.create(Resources.statefulsets, 'default', sts('ord', 2, { ordinals: { start: 5 }, minReadySeconds: 30 }));
    await waitFor(async () => JSON.stringify(names(await live('ord'))) === '["ord-5"]', 'ord-5 first');
    await runPod(c.client, (await live('ord'))[0], { at: c.clock.now() });
    await c.clock.advance(10_000);
    assert.deepEqual(names(await live('ord')), ['ord-5'], 'the next waits until ord-5 is available');
    let st = await waitFor(async () => { const s = await status('ord'); return s.readyReplicas === 1 && s; }, 'ready 1');
    assert.equal(st.availableReplicas, 0);
    await c.clock.advance(21_000);
    await waitFor(async () => JSON.stringify(names(await live('ord'))) === '["ord-5","ord-6"]', 'ord-6 after 30 s');
    st = await status('ord');
    assert.equal(st.availableReplicas, 1);
  });
});
