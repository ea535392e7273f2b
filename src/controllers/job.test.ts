import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../api/object.js';
import type { JobStatus } from 'kubernetes-types/batch/v1.js';
import type { KubeClient } from '../client/types.js';
import { Resources } from '../client/resources.js';
import { startJobController, JOB_TRACKING_FINALIZER, type JobController } from './job.js';
import { formatIndexes, parseIndexes } from './job-indexes.js';
import { startTestCluster, waitFor, listPods, events, runPod, type TestCluster } from './replicaset-testkit.js';

function job(name: string, spec: Record<string, unknown> = {}, podSpec: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'batch/v1', kind: 'Job', metadata: { name, namespace: 'default' },
    spec: { ...spec, template: { spec: { containers: [{ name: 'main', image: 'busybox:1.36' }], restartPolicy: 'Never', ...podSpec } } },
  };
}

async function jobStatus(c: TestCluster, name: string): Promise<JobStatus> {
  return ((await c.client.get(Resources.jobs, 'default', name)).status ?? {}) as JobStatus;
}

const active = (ps: KubeObject[]) => ps.filter((p) => !p.metadata.deletionTimestamp && !['Succeeded', 'Failed'].includes(String((p.status as { phase?: string })?.phase)));

/** Play the node: the pod's container ended (or is restarting / running). */
async function finishPod(client: KubeClient, pod: KubeObject, phase: 'Succeeded' | 'Failed', exitCode = phase === 'Succeeded' ? 0 : 1, at = '2026-01-01T12:00:00Z'): Promise<void> {
  await client.patch(Resources.pods, 'default', String(pod.metadata.name), 'merge', {
    status: {
      phase,
      containerStatuses: [{ name: 'main', image: 'busybox:1.36', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode, reason: phase === 'Succeeded' ? 'Completed' : 'Error', startedAt: at, finishedAt: at } } }],
    },
  }, { subresource: 'status' });
}

async function podsOf(c: TestCluster, name: string): Promise<KubeObject[]> {
  return listPods(c.client, `batch.kubernetes.io/job-name=${name}`);
}

describe('Job controller', () => {
  let c: TestCluster;
  let jc: JobController;
  before(async () => {
    c = await startTestCluster(({ client, informers, clock }) => { jc = startJobController({ client, informers, clock }); return [jc]; });
  });
  after(async () => { await c?.stop(); });

  test('completed indexes format and parse as Kubernetes writes them', () => {
    assert.equal(formatIndexes([5, 1, 2, 3, 7, 8]), '1-3,5,7-8');
    assert.equal(formatIndexes([]), '');
    assert.deepEqual([...parseIndexes('0,2-4,9', 5)].sort(), [0, 2, 3, 4]);
  });

  test('runs completions pods one at a time, tracks them with the finalizer, completes with an event', async () => {
    const created = await c.client.create(Resources.jobs, 'default', job('two', { completions: 2, parallelism: 1 }));
    // the REST core generated the selector and pod labels
    assert.deepEqual((created.spec as { selector: unknown }).selector, { matchLabels: { 'batch.kubernetes.io/controller-uid': created.metadata.uid } });
    const [p1] = await waitFor(async () => { const p = await podsOf(c, 'two'); return p.length === 1 && p; }, 'first pod');
    assert.match(String(p1.metadata.name), /^two-[a-z0-9]{5}$/);
    assert.deepEqual(p1.metadata.finalizers, [JOB_TRACKING_FINALIZER]);
    assert.equal(p1.metadata.labels?.['job-name'], 'two');
    assert.equal(p1.metadata.labels?.['controller-uid'], created.metadata.uid);
    assert.equal(p1.metadata.ownerReferences?.[0].kind, 'Job');
    assert.equal(p1.metadata.ownerReferences?.[0].controller, true);
    let st = await waitFor(async () => { const s = await jobStatus(c, 'two'); return s.active === 1 && s; }, 'active 1');
    assert.equal(st.startTime, '2026-01-01T12:00:00Z');
    assert.equal(st.ready, 0);
    assert.deepEqual(st.uncountedTerminatedPods, {});
    await finishPod(c.client, p1, 'Succeeded');
    const pods = await waitFor(async () => {
      const p = await podsOf(c, 'two');
      return p.length === 2 && !(p.find((x) => x.metadata.name === p1.metadata.name)!.metadata.finalizers ?? []).length && p;
    }, 'second pod');
    const done = pods.find((p) => p.metadata.name === p1.metadata.name)!;
    assert.deepEqual(done.metadata.finalizers ?? [], [], 'finalizer removed from the finished pod');
    st = await waitFor(async () => { const s = await jobStatus(c, 'two'); return s.succeeded === 1 && s.active === 1 && s; }, 'succeeded 1');
    await c.clock.advance(5000);
    await finishPod(c.client, pods.find((p) => p.metadata.name !== p1.metadata.name)!, 'Succeeded');
    st = await waitFor(async () => { const s = await jobStatus(c, 'two'); return s.conditions?.some((x) => x.type === 'Complete') && s; }, 'Complete');
    assert.equal(st.succeeded, 2);
    assert.equal(st.active, undefined);
    assert.equal(st.completionTime, '2026-01-01T12:00:05Z');
    assert.deepEqual(st.conditions?.map((x) => [x.type, x.status]), [['Complete', 'True']]);
    await jc.recorder.flush();
    const evs = (await events(c.client)).filter((e) => e.involvedObject.name === 'two');
    assert.equal(evs.filter((e) => e.reason === 'SuccessfulCreate').length, 2);
    assert.ok(evs.some((e) => e.reason === 'Completed' && e.message === 'Job completed'));
    for (const p of await podsOf(c, 'two')) assert.deepEqual(p.metadata.finalizers ?? [], []);
  });

  test('parallelism with completions unset: completes when one pod succeeded and the others ended', async () => {
    await c.client.create(Resources.jobs, 'default', job('par', { parallelism: 3 }));
    const pods = await waitFor(async () => { const p = await podsOf(c, 'par'); return p.length === 3 && p; }, '3 pods');
    await finishPod(c.client, pods[0], 'Succeeded');
    await waitFor(async () => (await jobStatus(c, 'par')).succeeded === 1, 'succeeded 1');
    assert.equal((await podsOf(c, 'par')).length, 3, 'no new pod after a success');
    assert.ok(!(await jobStatus(c, 'par')).conditions);
    await finishPod(c.client, pods[1], 'Succeeded');
    await finishPod(c.client, pods[2], 'Succeeded');
    const st = await waitFor(async () => { const s = await jobStatus(c, 'par'); return s.conditions?.some((x) => x.type === 'Complete') && s; }, 'Complete');
    assert.equal(st.succeeded, 3);
  });

  test('failed pods are replaced after 10 s, 20 s … of backoff; more than backoffLimit failures fail the Job', async () => {
    await c.client.create(Resources.jobs, 'default', job('flaky', { backoffLimit: 2 }));
    const [p1] = await waitFor(async () => { const p = await podsOf(c, 'flaky'); return p.length === 1 && p; }, 'pod');
    await finishPod(c.client, p1, 'Failed', 1, new Date(c.clock.now()).toISOString());
    await waitFor(async () => (await jobStatus(c, 'flaky')).failed === 1, 'failed 1');
    await c.clock.advance(9000);
    assert.equal(active(await podsOf(c, 'flaky')).length, 0, 'no replacement within the 10 s backoff');
    await c.clock.advance(1500);
    const [p2] = await waitFor(async () => { const p = active(await podsOf(c, 'flaky')); return p.length === 1 && p; }, 'replacement after 10 s');
    await finishPod(c.client, p2, 'Failed', 1, new Date(c.clock.now()).toISOString());
    await waitFor(async () => (await jobStatus(c, 'flaky')).failed === 2, 'failed 2');
    await c.clock.advance(19_000);
    assert.equal(active(await podsOf(c, 'flaky')).length, 0, 'second backoff is 20 s');
    await c.clock.advance(1500);
    const [p3] = await waitFor(async () => { const p = active(await podsOf(c, 'flaky')); return p.length === 1 && p; }, 'replacement after 20 s');
    await finishPod(c.client, p3, 'Failed');
    const st = await waitFor(async () => { const s = await jobStatus(c, 'flaky'); return s.conditions?.some((x) => x.type === 'Failed') && s; }, 'Failed');
    assert.equal(st.failed, 3);
    const cond = st.conditions!.find((x) => x.type === 'Failed')!;
    assert.equal(cond.reason, 'BackoffLimitExceeded');
    assert.equal(cond.message, 'Job has reached the specified backoff limit');
    assert.equal(st.completionTime, undefined);
    await jc.recorder.flush();
    assert.ok((await events(c.client)).some((e) => e.involvedObject.name === 'flaky' && e.reason === 'BackoffLimitExceeded' && e.type === 'Warning'));
  });

  test('restartPolicy OnFailure: container restarts count toward backoffLimit', async () => {
    await c.client.create(Resources.jobs, 'default', job('restarts', { backoffLimit: 2 }, { restartPolicy: 'OnFailure' }));
    const [p] = await waitFor(async () => { const x = await podsOf(c, 'restarts'); return x.length === 1 && x; }, 'pod');
    await c.client.patch(Resources.pods, 'default', String(p.metadata.name), 'merge', {
      status: { phase: 'Running', containerStatuses: [{ name: 'main', image: 'busybox:1.36', imageID: '', ready: false, restartCount: 2, state: { waiting: { reason: 'CrashLoopBackOff' } } }] },
    }, { subresource: 'status' });
    const st = await waitFor(async () => { const s = await jobStatus(c, 'restarts'); return s.conditions?.some((x) => x.type === 'Failed') && s; }, 'Failed');
    assert.equal(st.conditions!.find((x) => x.type === 'Failed')!.reason, 'BackoffLimitExceeded');
    await waitFor(async () => active(await podsOf(c, 'restarts')).length === 0, 'active pod deleted');
  });

  test('Indexed: one pod per index with annotation, label, hostname and JOB_COMPLETION_INDEX; completedIndexes', async () => {
    await c.client.create(Resources.jobs, 'default', job('idx', { completions: 3, parallelism: 2, completionMode: 'Indexed' }));
    const pods = await waitFor(async () => { const p = await podsOf(c, 'idx'); return p.length === 2 && p; }, '2 pods');
    const byIndex = new Map(pods.map((p) => [p.metadata.annotations?.['batch.kubernetes.io/job-completion-index'], p]));
    assert.deepEqual([...byIndex.keys()].sort(), ['0', '1']);
    const p1 = byIndex.get('1')!;
    assert.match(String(p1.metadata.name), /^idx-1-[a-z0-9]{5}$/);
    assert.equal(p1.metadata.labels?.['batch.kubernetes.io/job-completion-index'], '1');
    const spec = p1.spec as { hostname?: string; containers: { env?: { name: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[] }[] };
    assert.equal(spec.hostname, 'idx-1');
    assert.equal(spec.containers[0].env?.[0].name, 'JOB_COMPLETION_INDEX');
    assert.equal(spec.containers[0].env?.[0].valueFrom?.fieldRef?.fieldPath, "metadata.annotations['batch.kubernetes.io/job-completion-index']");
    await finishPod(c.client, p1, 'Succeeded');
    const p2 = await waitFor(async () => (await podsOf(c, 'idx')).find((p) => p.metadata.annotations?.['batch.kubernetes.io/job-completion-index'] === '2'), 'index 2');
    let st = await waitFor(async () => { const s = await jobStatus(c, 'idx'); return s.completedIndexes === '1' && s; }, 'completedIndexes 1');
    assert.equal(st.succeeded, 1);
    await finishPod(c.client, p2, 'Succeeded');
    await finishPod(c.client, byIndex.get('0')!, 'Succeeded');
    st = await waitFor(async () => { const s = await jobStatus(c, 'idx'); return s.conditions?.some((x) => x.type === 'Complete') && s; }, 'Complete');
    assert.equal(st.completedIndexes, '0-2');
    assert.equal(st.succeeded, 3);
  });

  test('activeDeadlineSeconds: the Job fails with DeadlineExceeded and its pods are stopped', async () => {
    await c.client.create(Resources.jobs, 'default', job('deadline', { activeDeadlineSeconds: 30 }));
    await waitFor(async () => (await jobStatus(c, 'deadline')).active === 1, 'active');
    await c.clock.advance(29_000);
    assert.ok(!(await jobStatus(c, 'deadline')).conditions);
    await c.clock.advance(1_000);
    const st = await waitFor(async () => { const s = await jobStatus(c, 'deadline'); return s.conditions?.some((x) => x.type === 'Failed') && s; }, 'Failed');
    const cond = st.conditions!.find((x) => x.type === 'Failed')!;
    assert.equal(cond.reason, 'DeadlineExceeded');
    assert.equal(cond.message, 'Job was active longer than specified deadline');
    assert.equal(st.failed, 1, 'the stopped pod counts as failed');
    assert.equal(active(await podsOf(c, 'deadline')).length, 0);
  });

  test('podFailurePolicy: Ignore does not count, FailJob fails the Job with FailureTarget then Failed', async () => {
    await c.client.create(Resources.jobs, 'default', job('pfp', {
      backoffLimit: 6,
      podFailurePolicy: { rules: [
        { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] },
        { action: 'FailJob', onExitCodes: { containerName: 'main', operator: 'In', values: [42] } },
      ] },
    }));
    const [p1] = await waitFor(async () => { const p = await podsOf(c, 'pfp'); return p.length === 1 && p; }, 'pod');
    await c.client.patch(Resources.pods, 'default', String(p1.metadata.name), 'merge', {
      status: { phase: 'Failed', conditions: [{ type: 'DisruptionTarget', status: 'True', reason: 'EvictionByEvictionAPI', lastTransitionTime: '2026-01-01T12:00:00Z' }] },
    }, { subresource: 'status' });
    const [p2] = await waitFor(async () => { const p = active(await podsOf(c, 'pfp')); return p.length === 1 && p; }, 'replacement (ignored failure has no backoff)');
    assert.equal((await jobStatus(c, 'pfp')).failed, undefined, 'ignored failure is not counted');
    await finishPod(c.client, p2, 'Failed', 42);
    const st = await waitFor(async () => { const s = await jobStatus(c, 'pfp'); return s.conditions?.some((x) => x.type === 'Failed') && s; }, 'Failed');
    const msg = `Container main for pod default/${p2.metadata.name} failed with exit code 42 matching FailJob rule at index 1`;
    assert.deepEqual(st.conditions!.map((x) => [x.type, x.reason, x.message]), [['FailureTarget', 'PodFailurePolicy', msg], ['Failed', 'PodFailurePolicy', msg]]);
    assert.equal(st.failed, 1);
  });

  test('suspend deletes active pods (Suspended condition); resume starts pods again and resets startTime', async () => {
    await c.client.create(Resources.jobs, 'default', job('sus', { parallelism: 2, completions: 4 }));
    await waitFor(async () => (await jobStatus(c, 'sus')).active === 2, 'active 2');
    await c.client.patch(Resources.jobs, 'default', 'sus', 'merge', { spec: { suspend: true } });
    let st = await waitFor(async () => { const s = await jobStatus(c, 'sus'); return s.conditions?.some((x) => x.type === 'Suspended' && x.status === 'True') && !s.active && s; }, 'Suspended');
    assert.equal(st.conditions!.find((x) => x.type === 'Suspended')!.reason, 'JobSuspended');
    await waitFor(async () => active(await podsOf(c, 'sus')).length === 0, 'pods deleted');
    await c.clock.advance(60_000);
    await c.client.patch(Resources.jobs, 'default', 'sus', 'merge', { spec: { suspend: false } });
    st = await waitFor(async () => { const s = await jobStatus(c, 'sus'); return s.active === 2 && s; }, 'active again');
    const sus = st.conditions!.find((x) => x.type === 'Suspended')!;
    assert.deepEqual([sus.status, sus.reason, sus.message], ['False', 'JobResumed', 'Job resumed']);
    assert.equal(st.startTime, new Date(c.clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z'));
  });

  test('a pod whose Job is gone loses the tracking finalizer', async () => {
    await c.client.create(Resources.jobs, 'default', job('gone'));
    const [p] = await waitFor(async () => { const x = await podsOf(c, 'gone'); return x.length === 1 && x; }, 'pod');
    await c.client.delete(Resources.jobs, 'default', 'gone');
    await waitFor(async () => {
      const cur = await c.client.get(Resources.pods, 'default', String(p.metadata.name));
      return !(cur.metadata.finalizers ?? []).includes(JOB_TRACKING_FINALIZER);
    }, 'finalizer removed');
  });
  test('backoffLimitPerIndex: an index that fails too often is failed alone (failedIndexes); the Job then fails with FailedIndexes', async () => {
    await c.client.create(Resources.jobs, 'default', job('perindex', { completions: 3, parallelism: 3, completionMode: 'Indexed', backoffLimitPerIndex: 1 }));
    const idx = (p: KubeObject) => p.metadata.annotations?.['batch.kubernetes.io/job-completion-index'];
    const pods = await waitFor(async () => { const p = await podsOf(c, 'perindex'); return p.length === 3 && p; }, '3 pods');
    for (const p of pods) assert.equal(p.metadata.annotations?.['batch.kubernetes.io/job-index-failure-count'], '0');
    const p1 = pods.find((p) => idx(p) === '1')!;
    await finishPod(c.client, p1, 'Failed', 1, new Date(c.clock.now()).toISOString());
    await waitFor(async () => (await jobStatus(c, 'perindex')).failed === 1, 'failed 1');
    assert.equal((await jobStatus(c, 'perindex')).failedIndexes, '', 'one failure is within the per-index limit');
    await c.clock.advance(10_500);
    const r1 = await waitFor(async () => active(await podsOf(c, 'perindex')).find((p) => idx(p) === '1'), 'index 1 again after its backoff');
    assert.equal(r1.metadata.annotations?.['batch.kubernetes.io/job-index-failure-count'], '1');
    await finishPod(c.client, r1, 'Failed');
    let st = await waitFor(async () => { const s = await jobStatus(c, 'perindex'); return s.failedIndexes === '1' && s; }, 'index 1 failed');
    assert.ok(!st.conditions?.some((x) => x.type === 'Failed'), 'the other indexes go on');
    await c.clock.advance(60_000);
    assert.equal(active(await podsOf(c, 'perindex')).filter((p) => idx(p) === '1').length, 0, 'a failed index gets no more pods');
    for (const p of pods.filter((x) => idx(x) !== '1')) await finishPod(c.client, p, 'Succeeded');
    st = await waitFor(async () => { const s = await jobStatus(c, 'perindex'); return s.conditions?.some((x) => x.type === 'Failed') && s; }, 'Failed');
    const cond = st.conditions!.find((x) => x.type === 'Failed')!;
    assert.deepEqual([cond.reason, cond.message], ['FailedIndexes', 'Job has failed indexes']);
    assert.deepEqual([st.completedIndexes, st.failedIndexes, st.failed, st.succeeded], ['0,2', '1', 2, 2]);
  });

  test('podFailurePolicy FailIndex fails only that index; maxFailedIndexes 0 then fails the Job', async () => {
    await c.client.create(Resources.jobs, 'default', job('failindex', {
      completions: 2, parallelism: 2, completionMode: 'Indexed', backoffLimitPerIndex: 3, maxFailedIndexes: 0,
      podFailurePolicy: { rules: [{ action: 'FailIndex', onExitCodes: { operator: 'In', values: [42] } }] },
    }));
    const pods = await waitFor(async () => { const p = await podsOf(c, 'failindex'); return p.length === 2 && p; }, '2 pods');
    await finishPod(c.client, pods[0], 'Failed', 42);
    const st = await waitFor(async () => { const s = await jobStatus(c, 'failindex'); return s.conditions?.some((x) => x.type === 'Failed') && s; }, 'Failed');
    const cond = st.conditions!.find((x) => x.type === 'Failed')!;
    assert.deepEqual([cond.reason, cond.message], ['MaxFailedIndexesExceeded', 'Job has exceeded the specified maximal number of failed indexes']);
    assert.equal(st.failedIndexes, pods[0].metadata.annotations?.['batch.kubernetes.io/job-completion-index']);
    assert.equal(active(await podsOf(c, 'failindex')).length, 0, 'the other index is stopped');
  });
  test('podReplacementPolicy: TerminatingOrFailed replaces a terminating pod at once, Failed waits until it has failed', async () => {
    for (const [name, policy] of [['repl-now', 'TerminatingOrFailed'], ['repl-wait', 'Failed']] as const) {
      await c.client.create(Resources.jobs, 'default', job(name, { podReplacementPolicy: policy, backoffLimit: 6 }));
      const [p] = await waitFor(async () => { const x = await podsOf(c, name); return x.length === 1 && x; }, `${name} pod`);
      await runPod(c.client, p); // bound: its deletion is graceful, it stays terminating
      await c.client.delete(Resources.pods, 'default', String(p.metadata.name));
    }
    await c.clock.advance(10_500); // past the failure backoff of the counted terminating pod
    await waitFor(async () => active(await podsOf(c, 'repl-now')).length === 1, 'replacement while the old pod terminates');
    const st = await waitFor(async () => { const s = await jobStatus(c, 'repl-wait'); return s.terminating === 1 && s; }, 'terminating 1');
    assert.equal(st.active, undefined);
    assert.equal(active(await podsOf(c, 'repl-wait')).length, 0, 'no replacement while terminating');
    const [old] = await podsOf(c, 'repl-wait');
    await finishPod(c.client, old, 'Failed');
    await waitFor(async () => active(await podsOf(c, 'repl-wait')).length === 1, 'replacement once the pod failed');
    // the sync creates the replacement before it writes the status that counts the failed pod
    const after = await waitFor(async () => { const s = await jobStatus(c, 'repl-wait'); return s.failed !== undefined && s; }, 'failed counted');
    assert.equal(after.failed, 1);
  });
});
