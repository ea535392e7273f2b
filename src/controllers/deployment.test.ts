import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../api/object.js';
import { Resources } from '../client/resources.js';
import type { KubeClient } from '../client/types.js';
import { startReplicaSetController } from './replicaset.js';
import { startDeploymentController } from './deployment.js';
import { computeHash, equalIgnoreHash, resolveFenceposts, type Deployment, type ReplicaSet } from './deployment-util.js';
import type { EventRecorder } from './events.js';
import { startTestCluster, waitFor, listPods, runPod, finishTerminating, events, type TestCluster } from './replicaset-testkit.js';

function deployment(name: string, o: { replicas?: number; image?: string; strategy?: unknown; minReadySeconds?: number; progressDeadlineSeconds?: number; revisionHistoryLimit?: number; paused?: boolean } = {}): KubeObject {
  return {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: 'default' },
    spec: {
      replicas: o.replicas ?? 3,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: o.image ?? 'busybox:1.36' }] } },
      ...(o.strategy ? { strategy: o.strategy } : {}),
      ...(o.minReadySeconds !== undefined ? { minReadySeconds: o.minReadySeconds } : {}),
      ...(o.progressDeadlineSeconds !== undefined ? { progressDeadlineSeconds: o.progressDeadlineSeconds } : {}),
      ...(o.revisionHistoryLimit !== undefined ? { revisionHistoryLimit: o.revisionHistoryLimit } : {}),
      ...(o.paused ? { paused: true } : {}),
    },
  };
}

const getD = (c: KubeClient, name: string) => c.get<Deployment>(Resources.deployments, 'default', name);
async function rsOf(c: KubeClient, name: string): Promise<ReplicaSet[]> {
  const all = (await c.list<ReplicaSet>(Resources.replicasets, 'default')).items;
  return all.filter((rs) => rs.metadata.ownerReferences?.some((r) => r.kind === 'Deployment' && r.name === name)).sort((a, b) => Number(a.metadata.annotations?.['deployment.kubernetes.io/revision']) - Number(b.metadata.annotations?.['deployment.kubernetes.io/revision']));
}
const imageOf = (rs: ReplicaSet) => String((rs.spec.template?.spec as { containers: { image: string }[] }).containers[0].image);

/** The node's part: run and ready every pod not yet running; finish terminating ones. */
async function nodeStep(c: TestCluster, app: string): Promise<void> {
  for (const p of await listPods(c.client, `app=${app}`)) {
    if (p.metadata.deletionTimestamp) continue;
    if ((p.status as { phase?: string }).phase !== 'Running') await runPod(c.client, p, { at: c.clock.now() });
  }
  await finishTerminating(c.client);
}

function rolledOut(d: Deployment): boolean {
  const s = d.status ?? {};
  const r = d.spec.replicas ?? 1;
  return (s.observedGeneration ?? 0) >= (d.metadata.generation ?? 0) && s.updatedReplicas === r && s.replicas === r && s.availableReplicas === r;
}

describe('Deployment controller', () => {
  let c: TestCluster;
  let recorder: EventRecorder;
  before(async () => {
    c = await startTestCluster(({ client, informers, clock }) => {
      const dc = startDeploymentController({ client, informers, clock });
      recorder = dc.recorder;
      return [startReplicaSetController({ client, informers, clock }), dc];
    });
  });
  after(async () => { await c?.stop(); });

  test('create: ReplicaSet NAME-<hash> with revision 1, pods, status and conditions as Kubernetes words them', async () => {
    await c.client.create(Resources.deployments, 'default', deployment('web', { replicas: 3 }));
    const [rs] = await waitFor(async () => { const l = await rsOf(c.client, 'web'); return l.length === 1 && l; }, 'one ReplicaSet');
    const hash = rs.metadata.labels?.['pod-template-hash'];
    assert.ok(hash && /^[bcdfghjklmnpqrstvwxz2456789]+$/.test(hash));
    assert.equal(rs.metadata.name, `web-${hash}`);
    assert.deepEqual(rs.spec.selector?.matchLabels, { app: 'web', 'pod-template-hash': hash });
    assert.equal(rs.metadata.annotations?.['deployment.kubernetes.io/revision'], '1');
    assert.equal(rs.metadata.annotations?.['deployment.kubernetes.io/desired-replicas'], '3');
    assert.equal(rs.metadata.annotations?.['deployment.kubernetes.io/max-replicas'], '4');
    assert.equal(rs.spec.replicas, 3);
    const pods = await waitFor(async () => { const p = await listPods(c.client, 'app=web'); return p.length === 3 && p; }, '3 pods');
    assert.ok(pods.every((p) => p.metadata.labels?.['pod-template-hash'] === hash));
    let d = await getD(c.client, 'web');
    assert.equal(d.metadata.annotations?.['deployment.kubernetes.io/revision'], '1');
    await nodeStep(c, 'web');
    d = await waitFor(async () => { const x = await getD(c.client, 'web'); return rolledOut(x) && x; }, 'rolled out');
    assert.equal(d.status?.readyReplicas, 3);
    assert.equal(d.status?.unavailableReplicas, undefined);
    const avail = d.status?.conditions?.find((x) => x.type === 'Available');
    assert.deepEqual([avail?.status, avail?.reason, avail?.message], ['True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.']);
    const prog = await waitFor(async () => { const x = (await getD(c.client, 'web')).status?.conditions?.find((y) => y.type === 'Progressing'); return x?.reason === 'NewReplicaSetAvailable' && x; }, 'NewReplicaSetAvailable');
    assert.equal(prog.message, `ReplicaSet "web-${hash}" has successfully progressed.`);
    await recorder.flush();
    const ev = (await events(c.client)).filter((e) => e.involvedObject.kind === 'Deployment' && e.involvedObject.name === 'web');
    assert.deepEqual(ev.map((e) => [e.reason, e.message]), [['ScalingReplicaSet', `Scaled up replica set web-${hash} from 0 to 3`]]);
  });

  test('rolling update with maxSurge 1 / maxUnavailable 0, step by step, within the bounds', async () => {
    await c.client.create(Resources.deployments, 'default', deployment('roll', { replicas: 4, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } } }));
    await waitFor(async () => { await nodeStep(c, 'roll'); return rolledOut(await getD(c.client, 'roll')); }, 'first rollout');
    await c.client.patch(Resources.deployments, 'default', 'roll', 'merge', { spec: { template: { spec: { containers: [{ name: 'c', image: 'busybox:1.37' }] } } } });
    // first step: the new ReplicaSet gets exactly one (surge) replica; the old keeps 4
    const step1 = await waitFor(async () => { const l = await rsOf(c.client, 'roll'); return l.length === 2 && l[1].spec.replicas === 1 && l; }, 'new RS at 1');
    assert.equal(step1[0].spec.replicas, 4);
    assert.equal(imageOf(step1[1]), 'busybox:1.37');
    const snapshot = async () => {
      const l = await rsOf(c.client, 'roll');
      const total = l.reduce((n, rs) => n + (rs.spec.replicas ?? 0), 0);
      assert.ok(total <= 5, `at most replicas+maxSurge pods wanted (${total})`);
      const avail = l.reduce((n, rs) => n + (rs.status?.availableReplicas ?? 0), 0);
      assert.ok(avail >= 4, `never below replicas-maxUnavailable available (${avail})`);
      return JSON.stringify(l.map((rs) => [rs.spec.replicas, rs.status?.availableReplicas ?? 0]));
    };
    for (let i = 0; i < 20 && !rolledOut(await getD(c.client, 'roll')); i++) {
      const before = await snapshot();
      // one pod at a time becomes ready (the node's part), then the controllers take their next step
      const pending = (await listPods(c.client, 'app=roll')).filter((p) => !p.metadata.deletionTimestamp && (p.status as { phase?: string }).phase !== 'Running');
      if (pending[0]) await runPod(c.client, pending[0], { at: c.clock.now() });
      await finishTerminating(c.client);
      await waitFor(async () => (await snapshot()) !== before || rolledOut(await getD(c.client, 'roll')), `step ${i}`);
    }
    const final = await waitFor(async () => { const x = await getD(c.client, 'roll'); return rolledOut(x) && x; }, 'second rollout');
    assert.equal(final.metadata.annotations?.['deployment.kubernetes.io/revision'], '2');
    const l = await rsOf(c.client, 'roll');
    assert.deepEqual(l.map((rs) => rs.spec.replicas), [0, 4]);
    await recorder.flush();
    const scaled = (await events(c.client)).filter((e) => e.involvedObject.name === 'roll' && e.reason === 'ScalingReplicaSet').map((e) => e.message);
    assert.ok(scaled.includes(`Scaled up replica set ${l[1].metadata.name} from 0 to 1`), scaled.join('\n'));
    assert.ok(scaled.includes(`Scaled down replica set ${l[0].metadata.name} to 3 from 4`), scaled.join('\n'));
    assert.ok(scaled.includes(`Scaled down replica set ${l[0].metadata.name} to 0 from 1`), scaled.join('\n'));
  });

  test('Recreate: old pods all gone before the new ReplicaSet is created', async () => {
    await c.client.create(Resources.deployments, 'default', deployment('rec', { replicas: 2, strategy: { type: 'Recreate' } }));
    await waitFor(async () => { await nodeStep(c, 'rec'); return rolledOut(await getD(c.client, 'rec')); }, 'first rollout');
    await c.client.patch(Resources.deployments, 'default', 'rec', 'merge', { spec: { template: { spec: { containers: [{ name: 'c', image: 'busybox:1.37' }] } } } });
    await waitFor(async () => { const l = await rsOf(c.client, 'rec'); return l.length === 1 && l[0].spec.replicas === 0; }, 'old scaled to 0');
    // pods are terminating (bound pods delete gracefully): no new ReplicaSet yet
    await waitFor(async () => (await listPods(c.client, 'app=rec')).every((p) => p.metadata.deletionTimestamp), 'old pods terminating');
    assert.equal((await rsOf(c.client, 'rec')).length, 1);
    await finishTerminating(c.client);
    const l = await waitFor(async () => { const x = await rsOf(c.client, 'rec'); return x.length === 2 && x[1].spec.replicas === 2 && x; }, 'new RS at full size');
    assert.equal(imageOf(l[1]), 'busybox:1.37');
    await waitFor(async () => { await nodeStep(c, 'rec'); return rolledOut(await getD(c.client, 'rec')); }, 'second rollout');
  });

  test('rollback as kubectl rollout undo does: the old ReplicaSet returns with the next revision and a revision-history', async () => {
    // after the rolling test, 'roll' has revisions 1 (busybox:1.36) and 2 (busybox:1.37)
    const l = await rsOf(c.client, 'roll');
    const r1 = l.find((rs) => rs.metadata.annotations?.['deployment.kubernetes.io/revision'] === '1')!;
    const template = structuredClone(r1.spec.template!);
    delete template.metadata!.labels!['pod-template-hash'];
    await c.client.patch(Resources.deployments, 'default', 'roll', 'json', [{ op: 'replace', path: '/spec/template', value: template }]);
    const back = await waitFor(async () => { const x = (await rsOf(c.client, 'roll')).find((rs) => rs.metadata.uid === r1.metadata.uid); return x?.metadata.annotations?.['deployment.kubernetes.io/revision'] === '3' && x; }, 'revision 3');
    assert.equal(back.metadata.annotations?.['deployment.kubernetes.io/revision-history'], '1');
    assert.equal((await rsOf(c.client, 'roll')).length, 2, 'no new ReplicaSet for a template seen before');
    await waitFor(async () => { await nodeStep(c, 'roll'); const d = await getD(c.client, 'roll'); return rolledOut(d) && d.metadata.annotations?.['deployment.kubernetes.io/revision'] === '3'; }, 'rolled back');
    assert.equal(imageOf((await rsOf(c.client, 'roll')).find((rs) => rs.spec.replicas === 4)!), 'busybox:1.36');
  });

  test('paused: no rollout, Progressing Unknown DeploymentPaused; scaling still works; resume rolls out', async () => {
    await c.client.create(Resources.deployments, 'default', deployment('pz', { replicas: 2 }));
    await waitFor(async () => { await nodeStep(c, 'pz'); return rolledOut(await getD(c.client, 'pz')); }, 'first rollout');
    await c.client.patch(Resources.deployments, 'default', 'pz', 'merge', { spec: { paused: true } });
    const cond = await waitFor(async () => { const x = (await getD(c.client, 'pz')).status?.conditions?.find((y) => y.type === 'Progressing'); return x?.reason === 'DeploymentPaused' && x; }, 'paused condition');
    assert.deepEqual([cond.status, cond.message], ['Unknown', 'Deployment is paused']);
    await c.client.patch(Resources.deployments, 'default', 'pz', 'merge', { spec: { replicas: 3, template: { spec: { containers: [{ name: 'c', image: 'busybox:1.37' }] } } } });
    await waitFor(async () => { const l = await rsOf(c.client, 'pz'); return l.length === 1 && l[0].spec.replicas === 3; }, 'scaled while paused, no new RS');
    await waitFor(async () => { const d = await getD(c.client, 'pz'); return d.status?.observedGeneration === d.metadata.generation; }, 'observed');
    assert.equal((await rsOf(c.client, 'pz')).length, 1);
    await c.client.patch(Resources.deployments, 'default', 'pz', 'merge', { spec: { paused: false } });
    await waitFor(async () => (await rsOf(c.client, 'pz')).length === 2, 'rollout after resume');
    await waitFor(async () => { await nodeStep(c, 'pz'); return rolledOut(await getD(c.client, 'pz')); }, 'resumed rollout done');
  });

  test('progressDeadlineSeconds: ProgressDeadlineExceeded when pods never become ready (fake clock)', async () => {
    await c.client.create(Resources.deployments, 'default', deployment('stuck', { replicas: 2, progressDeadlineSeconds: 60 }));
    const rs = await waitFor(async () => { const l = await rsOf(c.client, 'stuck'); return l.length === 1 && l[0]; }, 'rs');
    const first = await waitFor(async () => { const x = (await getD(c.client, 'stuck')).status?.conditions?.find((y) => y.type === 'Progressing'); return x && x; }, 'Progressing');
    assert.ok(['NewReplicaSetCreated', 'ReplicaSetUpdated'].includes(String(first.reason)));
    // not yet: less than the deadline has passed
    await c.clock.advance(30_000);
    const early = (await getD(c.client, 'stuck')).status?.conditions?.find((y) => y.type === 'Progressing');
    assert.notEqual(early?.reason, 'ProgressDeadlineExceeded');
    // the controller asked to look again when the deadline passes: move time on until it has
    const cond = await waitFor(async () => {
      await c.clock.advance(5_000);
      const x = (await getD(c.client, 'stuck')).status?.conditions?.find((y) => y.type === 'Progressing');
      return x?.reason === 'ProgressDeadlineExceeded' && x;
    }, 'deadline exceeded');
    const exceededAt = Date.parse(String(cond.lastUpdateTime));
    assert.ok(exceededAt - Date.parse(String(first.lastUpdateTime)) >= 60_000, 'not before the deadline');
    assert.equal(cond.status, 'False');
    assert.equal(cond.message, `ReplicaSet "${rs.metadata.name}" has timed out progressing.`);
    const avail = (await getD(c.client, 'stuck')).status?.conditions?.find((y) => y.type === 'Available');
    assert.deepEqual([avail?.status, avail?.reason], ['False', 'MinimumReplicasUnavailable']);
  });

  test('proportional scaling: resizing mid-rollout spreads the change over both ReplicaSets (as Kubernetes does)', async () => {
    await c.client.create(Resources.deployments, 'default', deployment('prop', { replicas: 10 }));
    await waitFor(async () => { await nodeStep(c, 'prop'); return rolledOut(await getD(c.client, 'prop')); }, 'first rollout');
    // new pods never become ready: with maxSurge 3 and maxUnavailable 2 the rollout stops at old 8 / new 5
    await c.client.patch(Resources.deployments, 'default', 'prop', 'merge', { spec: { template: { spec: { containers: [{ name: 'c', image: 'busybox:1.37' }] } } } });
    await waitFor(async () => { const l = await rsOf(c.client, 'prop'); return l.length === 2 && l[0].spec.replicas === 8 && l[1].spec.replicas === 5; }, 'old 8, new 5');
    await c.client.patch(Resources.deployments, 'default', 'prop', 'merge', { spec: { replicas: 20 } });
    // allowed 20 + 5 surge = 25, 12 to add: old round(8*25/13)-8 = 7, new gets the remaining 5
    const l = await waitFor(async () => { const x = await rsOf(c.client, 'prop'); return x[0].spec.replicas === 15 && x[1].spec.replicas === 10 && x; }, 'old 15, new 10');
    assert.equal(l[0].metadata.annotations?.['deployment.kubernetes.io/desired-replicas'], '20');
    assert.equal(l[1].metadata.annotations?.['deployment.kubernetes.io/max-replicas'], '25');
  });

  test('a name collision with a foreign ReplicaSet bumps status.collisionCount and picks another hash', async () => {
    // paused and without ReplicaSets: nothing is created yet, so the hash can be taken first
    await c.client.create(Resources.deployments, 'default', deployment('col', { replicas: 1, paused: true }));
    const d = await waitFor(async () => { const x = await getD(c.client, 'col'); return x.status?.observedGeneration === 1 && x; }, 'observed');
    const hash = computeHash(d.spec.template);
    await c.client.create(Resources.replicasets, 'default', {
      apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: `col-${hash}` },
      spec: { replicas: 0, selector: { matchLabels: { app: 'other' } }, template: { metadata: { labels: { app: 'other' } }, spec: { containers: [{ name: 'c', image: 'busybox:1.36' }] } } },
    });
    await c.client.patch(Resources.deployments, 'default', 'col', 'merge', { spec: { paused: false } });
    // the failed create is retried after its backoff (fake clock)
    const [rs] = await waitFor(async () => { await c.clock.advance(100); const l = await rsOf(c.client, 'col'); return l.length === 1 && l; }, 'own ReplicaSet');
    assert.equal((await getD(c.client, 'col')).status?.collisionCount, 1);
    assert.equal(rs.metadata.name, `col-${computeHash(d.spec.template, 1)}`);
    assert.notEqual(rs.metadata.name, `col-${hash}`);
  });

  test('an orphan ReplicaSet with the same template is adopted as the new one (FoundNewReplicaSet)', async () => {
    const reasons: string[] = [];
    const w = c.client.watch(Resources.deployments, 'default', { fieldSelector: 'metadata.name=found' }, (ev) => {
      const p = ((ev.object as Deployment).status?.conditions ?? []).find((x) => x.type === 'Progressing');
      if (p?.reason && reasons.at(-1) !== p.reason) reasons.push(p.reason);
    });
    try {
      const d = deployment('found', { replicas: 2 });
      await c.client.create(Resources.replicasets, 'default', {
        apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'found-by-hand', labels: { app: 'found' } },
        spec: { replicas: 2, selector: { matchLabels: { app: 'found' } }, template: structuredClone((d.spec as { template: unknown }).template) },
      });
      await c.client.create(Resources.deployments, 'default', d);
      const rs = await waitFor(async () => { const l = await rsOf(c.client, 'found'); return l.length === 1 && l[0].metadata.annotations?.['deployment.kubernetes.io/revision'] === '1' && l[0]; }, 'adopted, revision 1');
      assert.equal(rs.metadata.name, 'found-by-hand', 'no second ReplicaSet');
      await waitFor(async () => { await nodeStep(c, 'found'); return rolledOut(await getD(c.client, 'found')); }, 'rolled out');
      await waitFor(() => reasons.includes('NewReplicaSetAvailable'), 'complete');
      assert.equal(reasons[0], 'FoundNewReplicaSet');
    } finally { w.stop(); }
  });

  test('revisionHistoryLimit: old idle ReplicaSets beyond the limit are deleted', async () => {
    await c.client.create(Resources.deployments, 'default', deployment('hist', { replicas: 1, revisionHistoryLimit: 1 }));
    for (const img of ['busybox:1.36', 'busybox:1.37', 'busybox:1.38']) {
      await c.client.patch(Resources.deployments, 'default', 'hist', 'merge', { spec: { template: { spec: { containers: [{ name: 'c', image: img }] } } } });
      await waitFor(async () => { await nodeStep(c, 'hist'); const d = await getD(c.client, 'hist'); return rolledOut(d) && imageOf((await rsOf(c.client, 'hist')).at(-1)!) === img; }, `rollout ${img}`);
    }
    const l = await waitFor(async () => { const x = await rsOf(c.client, 'hist'); return x.length === 2 && x; }, 'two ReplicaSets left');
    assert.deepEqual(l.map(imageOf), ['busybox:1.37', 'busybox:1.38']);
  });
});

test('pod-template hash: stable, changes with the template and with collisionCount; equality ignores the hash label', () => {
  const t = { metadata: { labels: { app: 'a' } }, spec: { containers: [{ name: 'c', image: 'x' }] } };
  const h = computeHash(t);
  assert.equal(h, computeHash(structuredClone(t)));
  assert.equal(h, computeHash({ spec: { containers: [{ image: 'x', name: 'c' }] }, metadata: { labels: { app: 'a' } } }), 'key order does not matter');
  assert.notEqual(h, computeHash({ ...t, spec: { containers: [{ name: 'c', image: 'y' }] } }));
  assert.notEqual(h, computeHash(t, 1));
  assert.notEqual(computeHash(t, 1), computeHash(t, 2));
  assert.ok(equalIgnoreHash(t, { ...t, metadata: { labels: { app: 'a', 'pod-template-hash': h } } }));
  assert.ok(!equalIgnoreHash(t, { ...t, metadata: { labels: { app: 'b' } } }));
});

test('fenceposts: maxSurge rounds up, maxUnavailable down, never both zero', () => {
  assert.deepEqual(resolveFenceposts('25%', '25%', 10), { surge: 3, unavailable: 2 });
  assert.deepEqual(resolveFenceposts('25%', '25%', 1), { surge: 1, unavailable: 0 });
  assert.deepEqual(resolveFenceposts(0, 0, 5), { surge: 0, unavailable: 1 });
  assert.deepEqual(resolveFenceposts('0%', '10%', 5), { surge: 0, unavailable: 1 });
  assert.deepEqual(resolveFenceposts(2, '50%', 3), { surge: 2, unavailable: 1 });
});
