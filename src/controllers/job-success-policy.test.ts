import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../api/object.js';
import type { JobStatus } from 'kubernetes-types/batch/v1.js';
import { Resources } from '../client/resources.js';
import { startJobController, JOB_TRACKING_FINALIZER, type JobController } from './job.js';
import { matchSuccessPolicy } from './job-success-policy.js';
import { startTestCluster, waitFor, listPods, events, runPod, finishTerminating, type TestCluster } from './replicaset-testkit.js';

test('success policy rules: indexes, count, both; the first rule met names itself', () => {
  const done = (...xs: number[]) => new Set(xs);
  const policy = (...rules: { succeededIndexes?: string; succeededCount?: number }[]) => ({ rules });
  assert.equal(matchSuccessPolicy(policy({ succeededIndexes: '0,2' }), 5, done(0, 1)), undefined);
  assert.equal(matchSuccessPolicy(policy({ succeededIndexes: '0,2' }), 5, done(0, 1, 2)), 'Matched rules at index 0');
  assert.equal(matchSuccessPolicy(policy({ succeededCount: 3 }), 5, done(1, 4)), undefined);
  assert.equal(matchSuccessPolicy(policy({ succeededCount: 3 }), 5, done(1, 3, 4)), 'Matched rules at index 0');
  // both: the count is taken among the named indexes only (Kubernetes' documented example)
  assert.equal(matchSuccessPolicy(policy({ succeededIndexes: '1-4', succeededCount: 3 }), 6, done(1, 3, 5)), undefined);
  assert.equal(matchSuccessPolicy(policy({ succeededIndexes: '1-4', succeededCount: 3 }), 6, done(1, 3, 4)), 'Matched rules at index 0');
  assert.equal(matchSuccessPolicy(policy({ succeededIndexes: '4' }, { succeededCount: 1 }), 6, done(2)), 'Matched rules at index 1');
  assert.equal(matchSuccessPolicy(policy({ succeededIndexes: '7-9' }), 6, done(0, 1, 2, 3, 4, 5)), undefined, 'indexes beyond completions never match');
  assert.equal(matchSuccessPolicy(undefined, 5, done(0, 1, 2, 3, 4)), undefined);
  assert.equal(matchSuccessPolicy(policy({ succeededCount: 0 }), 5, done()), undefined, 'nothing succeeded yet: no match');
});

function job(name: string, spec: Record<string, unknown>): KubeObject {
  return {
    apiVersion: 'batch/v1', kind: 'Job', metadata: { name, namespace: 'default' },
    spec: { ...spec, template: { spec: { containers: [{ name: 'main', image: 'busybox:1.36' }], restartPolicy: 'Never' } } },
  };
}
const jobStatus = async (c: TestCluster, name: string) => ((await c.client.get(Resources.jobs, 'default', name)).status ?? {}) as JobStatus;
const podsOf = (c: TestCluster, name: string) => listPods(c.client, `batch.kubernetes.io/job-name=${name}`);
const idx = (p: KubeObject) => p.metadata.annotations?.['batch.kubernetes.io/job-completion-index'];
async function succeed(c: TestCluster, pod: KubeObject): Promise<void> {
  await c.client.patch(Resources.pods, 'default', String(pod.metadata.name), 'merge', {
    status: { phase: 'Succeeded', containerStatuses: [{ name: 'main', image: 'busybox:1.36', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: '2026-01-01T12:00:00Z', finishedAt: '2026-01-01T12:00:00Z' } } }] },
  }, { subresource: 'status' });
}

describe('Job controller: successPolicy and managedBy', () => {
  let c: TestCluster;
  let jc: JobController;
  before(async () => {
    c = await startTestCluster(({ client, informers, clock }) => { jc = startJobController({ client, informers, clock }); return [jc]; });
  });
  after(async () => { await c?.stop(); });

  test('a met rule: SuccessCriteriaMet, the other pods stopped uncounted, Complete once none is left', async () => {
    await c.client.create(Resources.jobs, 'default', job('leader', {
      completionMode: 'Indexed', completions: 4, parallelism: 4, successPolicy: { rules: [{ succeededIndexes: '0-2', succeededCount: 2 }] },
    }));
    const pods = await waitFor(async () => { const p = await podsOf(c, 'leader'); return p.length === 4 && p; }, '4 pods');
    const byIdx = new Map(pods.map((p) => [idx(p), p]));
    await runPod(c.client, byIdx.get('1')!); // bound and running: its deletion is graceful
    await succeed(c, byIdx.get('0')!);
    await succeed(c, byIdx.get('3')!); // not a named index
    let st = await waitFor(async () => { const s = await jobStatus(c, 'leader'); return s.completedIndexes === '0,3' && s; }, 'completedIndexes 0,3');
    assert.ok(!st.conditions?.length, 'one named index of the two needed: no condition yet');
    await succeed(c, byIdx.get('2')!);
    st = await waitFor(async () => { const s = await jobStatus(c, 'leader'); return s.conditions?.some((x) => x.type === 'SuccessCriteriaMet') && s.terminating === 1 && s; }, 'SuccessCriteriaMet');
    const met = st.conditions!.find((x) => x.type === 'SuccessCriteriaMet')!;
    assert.deepEqual([met.status, met.reason, met.message], ['True', 'SuccessPolicy', 'Matched rules at index 0']);
    assert.ok(!st.conditions!.some((x) => x.type === 'Complete'), 'not Complete while a pod is still terminating');
    assert.equal(st.active, undefined);
    const running = await c.client.get(Resources.pods, 'default', String(byIdx.get('1')!.metadata.name));
    assert.ok(running.metadata.deletionTimestamp, 'the remaining pod is being deleted');
    assert.deepEqual(running.metadata.finalizers ?? [], [], 'and released without being counted');
    await c.clock.advance(3000);
    await finishTerminating(c.client);
    st = await waitFor(async () => { const s = await jobStatus(c, 'leader'); return s.conditions?.some((x) => x.type === 'Complete') && s; }, 'Complete');
    assert.deepEqual(st.conditions!.map((x) => [x.type, x.status, x.reason, x.message]), [
      ['SuccessCriteriaMet', 'True', 'SuccessPolicy', 'Matched rules at index 0'],
      ['Complete', 'True', 'SuccessPolicy', 'Matched rules at index 0'],
    ]);
    assert.equal(st.completionTime, '2026-01-01T12:00:03Z');
    assert.deepEqual([st.completedIndexes, st.succeeded, st.failed, st.terminating ?? 0], ['0,2-3', 3, undefined, 0]);
    for (const p of await podsOf(c, 'leader')) assert.deepEqual(p.metadata.finalizers ?? [], []);
    await jc.recorder.flush();
    assert.ok((await events(c.client)).some((e) => e.involvedObject.name === 'leader' && e.reason === 'Completed'));
  });

  test('succeededCount alone: any N indexes; no new pods for the rest', async () => {
    await c.client.create(Resources.jobs, 'default', job('any2', { completionMode: 'Indexed', completions: 5, parallelism: 2, successPolicy: { rules: [{ succeededCount: 2 }] } }));
    const first = await waitFor(async () => { const p = await podsOf(c, 'any2'); return p.length === 2 && p; }, '2 pods');
    await succeed(c, first[0]);
    const second = await waitFor(async () => (await podsOf(c, 'any2')).find((p) => !first.some((f) => f.metadata.uid === p.metadata.uid)), 'a pod for the next index');
    await succeed(c, second);
    const st = await waitFor(async () => { const s = await jobStatus(c, 'any2'); return s.conditions?.some((x) => x.type === 'Complete') && s; }, 'Complete');
    assert.deepEqual(st.conditions!.map((x) => x.type), ['SuccessCriteriaMet', 'Complete']);
    assert.equal(st.succeeded, 2);
    assert.equal((await podsOf(c, 'any2')).filter((p) => !p.metadata.deletionTimestamp && (p.status as { phase?: string }).phase !== 'Succeeded').length, 0);
  });

  test('managedBy another controller: the Job, its status and its pods\' finalizers are left alone', async () => {
    await c.client.create(Resources.jobs, 'default', job('external', { completions: 1, managedBy: 'example.com/batch-operator' }));
    const ext = await c.client.get(Resources.jobs, 'default', 'external');
    // the other controller's pod, with the tracking finalizer; then it declares the Job complete
    await c.client.create(Resources.pods, 'default', {
      apiVersion: 'v1', kind: 'Pod',
      metadata: { name: 'external-pod', namespace: 'default', labels: { ...((ext.spec as { template: { metadata: { labels: Record<string, string> } } }).template.metadata.labels) }, finalizers: [JOB_TRACKING_FINALIZER], ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'external', uid: String(ext.metadata.uid), controller: true }] },
      spec: { containers: [{ name: 'main', image: 'busybox:1.36' }], restartPolicy: 'Never' },
    });
    const t = '2026-01-01T12:00:00Z';
    await c.client.update(Resources.jobs, 'default', { ...ext, status: { startTime: t, completionTime: t, succeeded: 1, conditions: [{ type: 'Complete', status: 'True', lastTransitionTime: t, lastProbeTime: t }] } }, { subresource: 'status' });
    // a Job of ours created afterwards: once it runs, the events before it have been handled
    await c.client.create(Resources.jobs, 'default', job('ours', { completions: 1, managedBy: 'kubernetes.io/job-controller' }));
    await waitFor(async () => (await jobStatus(c, 'ours')).active === 1, 'our Job runs');
    assert.deepEqual((await podsOf(c, 'external')).map((p) => p.metadata.name), ['external-pod'], 'no pod of ours');
    const pod = await c.client.get(Resources.pods, 'default', 'external-pod');
    assert.deepEqual(pod.metadata.finalizers, [JOB_TRACKING_FINALIZER], 'a finished external Job keeps its pods\' finalizers');
    const st = await jobStatus(c, 'external');
    assert.deepEqual([st.active, st.ready, st.uncountedTerminatedPods], [undefined, undefined, undefined], 'its status was not written by us');
    await c.client.patch(Resources.pods, 'default', 'external-pod', 'json', [{ op: 'remove', path: '/metadata/finalizers' }]);
  });
});
