/**
 * Job and CronJob controllers driven by the real kubectl against a real `peapod server`
 * (--no-agent: the test plays the node's part by writing pod status through
 * `kubectl patch --subresource=status`, as a kubelet would report it).
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kubectlBinary, startServer, type TestServer, kubectlOk, tableRows, until } from './harness.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
let server: TestServer;
before(async () => { server = await startServer(); });
after(async () => { await server?.stop(); });

const k = (args: string[], opts: { version?: string; input?: string } = {}): Promise<string> => kubectlOk(server, args, opts);

const rows = tableRows;


async function podsOf(ns: string, job: string): Promise<{ name: string; index?: string; hostname?: string }[]> {
  const out = await k(['-n', ns, 'get', 'pods', '-l', `job-name=${job}`, '-o', 'json']);
  return (JSON.parse(out) as { items: { metadata: { name: string; annotations?: Record<string, string> }; spec: { hostname?: string } }[] }).items
    .map((p) => ({ name: p.metadata.name, index: p.metadata.annotations?.['batch.kubernetes.io/job-completion-index'], hostname: p.spec.hostname }));
}

/** The node's part: the pod's container exited with `code`. */
async function finishPod(ns: string, pod: string, code: number): Promise<void> {
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  const status = {
    phase: code === 0 ? 'Succeeded' : 'Failed',
    containerStatuses: [{ name: 'c', image: 'busybox', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: code, reason: code === 0 ? 'Completed' : 'Error', startedAt: now, finishedAt: now } } }],
  };
  await k(['-n', ns, 'patch', 'pod', pod, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status })]);
}

describe('Jobs and CronJobs with kubectl', () => {
  test('the seed hello Job: pod with job labels and finalizer, Complete after its pod succeeded, kubectl wait --for=condition=complete', async () => {
    await k(['create', 'namespace', 'batch1']);
    assert.equal((await k(['-n', 'batch1', 'apply', '-f', join(root, 'examples', 'hello-job.yaml')])).trim(), 'job.batch/hello created');
    const [pod] = await until(async () => { const p = await podsOf('batch1', 'hello'); return p.length === 1 && p; }, 'hello pod');
    const podJson = JSON.parse(await k(['-n', 'batch1', 'get', 'pod', pod.name, '-o', 'json'])) as { metadata: { finalizers?: string[]; ownerReferences?: { kind: string; name: string }[]; labels: Record<string, string> } };
    assert.deepEqual(podJson.metadata.finalizers, ['batch.kubernetes.io/job-tracking']);
    assert.deepEqual(podJson.metadata.ownerReferences?.map((r) => [r.kind, r.name]), [['Job', 'hello']]);
    assert.equal(podJson.metadata.labels['batch.kubernetes.io/job-name'], 'hello');
    const running = rows(await k(['-n', 'batch1', 'get', 'job', 'hello']));
    assert.deepEqual(running[0], ['NAME', 'STATUS', 'COMPLETIONS', 'DURATION', 'AGE']);
    assert.deepEqual(running[1].slice(0, 3), ['hello', 'Running', '0/1']);
    // the pod printed its greeting and exited 0
    await finishPod('batch1', pod.name, 0);
    const waited = await k(['-n', 'batch1', 'wait', '--for=condition=complete', 'job/hello', '--timeout=60s']);
    assert.equal(waited.trim(), 'job.batch/hello condition met');
    const done = rows(await k(['-n', 'batch1', 'get', 'job', 'hello']));
    assert.deepEqual(done[1].slice(0, 3), ['hello', 'Complete', '1/1']);
    const st = JSON.parse(await k(['-n', 'batch1', 'get', 'job', 'hello', '-o', 'jsonpath={.status}'])) as Record<string, unknown>;
    assert.equal(st.succeeded, 1);
    assert.ok(typeof st.completionTime === 'string' && typeof st.startTime === 'string');
    await until(async () => {
      const p = JSON.parse(await k(['-n', 'batch1', 'get', 'pod', pod.name, '-o', 'json'])) as { metadata: { finalizers?: string[] } };
      return !(p.metadata.finalizers ?? []).length;
    }, 'tracking finalizer removed');
    const ev = JSON.parse(await k(['-n', 'batch1', 'get', 'events', '-o', 'json'])) as { items: { reason: string; message: string; involvedObject: { name: string } }[] };
    const reasons = ev.items.filter((e) => e.involvedObject.name === 'hello').map((e) => `${e.reason}: ${e.message}`);
    assert.ok(reasons.includes(`SuccessfulCreate: Created pod: ${pod.name}`), reasons.join('\n'));
    assert.ok(reasons.includes('Completed: Job completed'), reasons.join('\n'));
  });

  test('an Indexed Job: one pod per index (annotation, hostname), completedIndexes 0-2', async () => {
    await k(['create', 'namespace', 'batch2']);
    const manifest = {
      apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'idx', namespace: 'batch2' },
      spec: { completions: 3, parallelism: 3, completionMode: 'Indexed', template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', 'echo $JOB_COMPLETION_INDEX'] }] } } },
    };
    assert.equal((await k(['create', '-f', '-'], { input: JSON.stringify(manifest) })).trim(), 'job.batch/idx created');
    const pods = await until(async () => { const p = await podsOf('batch2', 'idx'); return p.length === 3 && p; }, '3 pods');
    assert.deepEqual(pods.map((p) => p.index).sort(), ['0', '1', '2']);
    for (const p of pods) {
      assert.equal(p.hostname, `idx-${p.index}`);
      assert.match(p.name, new RegExp(`^idx-${p.index}-[a-z0-9]{5}$`));
    }
    for (const p of pods) await finishPod('batch2', p.name, 0);
    await k(['-n', 'batch2', 'wait', '--for=condition=complete', 'job/idx', '--timeout=60s']);
    assert.equal(await k(['-n', 'batch2', 'get', 'job', 'idx', '-o', 'jsonpath={.status.completedIndexes} {.status.succeeded}']), '0-2 3');
  });

  test('backoffLimit 0: one failed pod fails the Job with BackoffLimitExceeded', async () => {
    await k(['create', 'namespace', 'batch3']);
    const manifest = {
      apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'fail', namespace: 'batch3' },
      spec: { backoffLimit: 0, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox', command: ['false'] }] } } },
    };
    await k(['create', '-f', '-'], { input: JSON.stringify(manifest) });
    const [pod] = await until(async () => { const p = await podsOf('batch3', 'fail'); return p.length === 1 && p; }, 'pod');
    await finishPod('batch3', pod.name, 1);
    assert.equal((await k(['-n', 'batch3', 'wait', '--for=condition=failed', 'job/fail', '--timeout=60s'])).trim(), 'job.batch/fail condition met');
    const out = await k(['-n', 'batch3', 'get', 'job', 'fail', '-o', 'jsonpath={.status.failed} {.status.conditions[?(@.type=="Failed")].reason}']);
    assert.equal(out, '1 BackoffLimitExceeded');
    assert.deepEqual(rows(await k(['-n', 'batch3', 'get', 'job', 'fail']))[1].slice(0, 3), ['fail', 'Failed', '0/1']);
    const ev = JSON.parse(await k(['-n', 'batch3', 'get', 'events', '-o', 'json'])) as { items: { reason: string; message: string; type: string }[] };
    assert.ok(ev.items.some((e) => e.reason === 'BackoffLimitExceeded' && e.type === 'Warning' && e.message === 'Job has reached the specified backoff limit'));
  });

  test('ttlSecondsAfterFinished 0: a completed Job and its pods are deleted', async () => {
    await k(['create', 'namespace', 'batch4']);
    const manifest = {
      apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'brief', namespace: 'batch4' },
      spec: { ttlSecondsAfterFinished: 0, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox', command: ['true'] }] } } },
    };
    await k(['create', '-f', '-'], { input: JSON.stringify(manifest) });
    const [pod] = await until(async () => { const p = await podsOf('batch4', 'brief'); return p.length === 1 && p; }, 'pod');
    await finishPod('batch4', pod.name, 0);
    await until(async () => (await server.kubectl(['-n', 'batch4', 'get', 'job', 'brief'])).code !== 0, 'job deleted');
    await until(async () => (await podsOf('batch4', 'brief')).length === 0, 'its pod deleted with it');
  });

  for (const version of ['1.27', undefined].filter((v) => kubectlBinary(v) !== undefined)) {
    test(`kubectl ${version ?? 'default'} create cronjob; get cronjob columns; create job --from=cronjob`, async () => {
      const ns = `cron-${(version ?? 'default').replace('.', '-')}`;
      await k(['create', 'namespace', ns], { version });
      assert.equal((await k(['-n', ns, 'create', 'cronjob', 'tick', '--image=busybox', '--schedule=*/5 * * * *', '--', 'echo', 'hi'], { version })).trim(), 'cronjob.batch/tick created');
      const t = rows(await k(['-n', ns, 'get', 'cronjob'], { version }));
      assert.deepEqual(t[0], ['NAME', 'SCHEDULE', 'TIMEZONE', 'SUSPEND', 'ACTIVE', 'LAST SCHEDULE', 'AGE']);
      assert.deepEqual(t[1].slice(0, 6), ['tick', '*/5 * * * *', '<none>', 'False', '0', '<none>']);
      const wide = rows(await k(['-n', ns, 'get', 'cj', 'tick', '-o', 'wide'], { version }));
      assert.deepEqual(wide[0].slice(7), ['CONTAINERS', 'IMAGES', 'SELECTOR']);
      assert.deepEqual(wide[1].slice(7), ['tick', 'busybox', '<none>']);
      // a manual run from the template
      assert.equal((await k(['-n', ns, 'create', 'job', 'manual', '--from=cronjob/tick'], { version })).trim(), 'job.batch/manual created');
      await until(async () => (await podsOf(ns, 'manual')).length === 1, 'manual job pod');
    });
  }
});
