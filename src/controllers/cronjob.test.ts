import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../api/object.js';
import type { CronJobStatus } from 'kubernetes-types/batch/v1.js';
import { Resources } from '../client/resources.js';
import { startCronJobController, cronJobName, SCHEDULED_TIMESTAMP_ANNOTATION, type CronJobController } from './cronjob.js';
import { startTestCluster, waitFor, events, type TestCluster } from './replicaset-testkit.js';

const ts = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const START = Date.UTC(2026, 0, 1, 12);
const MIN = 60_000;

function cronjob(name: string, spec: Record<string, unknown>): KubeObject {
  return {
    apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name, namespace: 'default' },
    spec: {
      schedule: '*/5 * * * *', ...spec,
      jobTemplate: { metadata: { labels: { team: 'a' } }, spec: { template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'c', image: 'busybox' }] } } } },
    },
  };
}

describe('CronJob controller', () => {
  let c: TestCluster;
  let cc: CronJobController;
  before(async () => { c = await startTestCluster(({ client, informers, clock }) => { cc = startCronJobController({ client, informers, clock }); return [cc]; }); });
  after(async () => { await c?.stop(); });

  const jobsOf = async (cj: string) => (await c.client.list(Resources.jobs, 'default')).items.filter((j) => j.metadata.ownerReferences?.[0]?.name === cj && !j.metadata.deletionTimestamp);
  const status = async (cj: string) => ((await c.client.get(Resources.cronjobs, 'default', cj)).status ?? {}) as CronJobStatus;
  /** Play the Job controller: mark a Job finished. */
  async function finish(job: KubeObject, type: 'Complete' | 'Failed', at = c.clock.now()): Promise<void> {
    const cur = await c.client.get(Resources.jobs, 'default', String(job.metadata.name));
    await c.client.update(Resources.jobs, 'default', {
      ...cur, status: { startTime: ts(at), ...(type === 'Complete' ? { completionTime: ts(at), succeeded: 1 } : { failed: 1 }), conditions: [{ type, status: 'True', lastTransitionTime: ts(at), lastProbeTime: ts(at) }] },
    }, { subresource: 'status' });
  }
  /** Move the clock to an absolute time (timers fire in order). */
  const advanceTo = (ms: number) => c.clock.advance(ms - c.clock.now());

  test('creates NAME-<minutes> Jobs at each activation; status.active, lastScheduleTime, lastSuccessfulTime', async () => {
    await c.client.create(Resources.cronjobs, 'default', cronjob('tick', {}));
    await advanceTo(START + 4 * MIN);
    assert.equal((await jobsOf('tick')).length, 0);
    await advanceTo(START + 5 * MIN + 1000);
    const [j] = await waitFor(async () => { const x = await jobsOf('tick'); return x.length === 1 && x; }, 'first job');
    assert.equal(j.metadata.name, cronJobName('tick', START + 5 * MIN));
    assert.equal(j.metadata.annotations?.[SCHEDULED_TIMESTAMP_ANNOTATION], '2026-01-01T12:05:00Z');
    assert.equal(j.metadata.labels?.team, 'a');
    assert.equal(j.metadata.ownerReferences?.[0].kind, 'CronJob');
    assert.equal(j.metadata.ownerReferences?.[0].controller, true);
    let st = await waitFor(async () => { const s = await status('tick'); return s.active?.length === 1 && s; }, 'active');
    assert.equal(st.lastScheduleTime, '2026-01-01T12:05:00Z');
    assert.deepEqual({ ...st.active![0], resourceVersion: undefined }, { kind: 'Job', namespace: 'default', name: j.metadata.name, uid: j.metadata.uid, apiVersion: 'batch/v1', resourceVersion: undefined });
    await finish(j, 'Complete');
    st = await waitFor(async () => { const s = await status('tick'); return !s.active && s; }, 'active cleared');
    assert.equal(st.lastSuccessfulTime, ts(c.clock.now()));
    await cc.recorder.flush();
    const evs = (await events(c.client)).filter((e) => e.involvedObject.name === 'tick');
    assert.ok(evs.some((e) => e.reason === 'SuccessfulCreate' && e.message === `Created job ${j.metadata.name}`));
    assert.ok(evs.some((e) => e.reason === 'SawCompletedJob' && e.message === `Saw completed job: ${j.metadata.name}, status: Complete`));
    // the next activation (allow concurrent by default)
    await advanceTo(START + 10 * MIN + 1000);
    await waitFor(async () => (await jobsOf('tick')).length === 2, 'second job');
    await c.client.patch(Resources.cronjobs, 'default', 'tick', 'merge', { spec: { suspend: true } });
  });

  test('Forbid skips an activation while a Job runs; Replace deletes it first', async () => {
    const t0 = c.clock.now();
    await c.client.create(Resources.cronjobs, 'default', cronjob('forbid', { schedule: '* * * * *', concurrencyPolicy: 'Forbid' }));
    await c.client.create(Resources.cronjobs, 'default', cronjob('replace', { schedule: '* * * * *', concurrencyPolicy: 'Replace' }));
    const next = Math.floor(t0 / MIN) * MIN + MIN;
    await advanceTo(next + 1000);
    const [f1] = await waitFor(async () => { const x = await jobsOf('forbid'); return x.length === 1 && x; }, 'forbid job');
    const [r1] = await waitFor(async () => { const x = await jobsOf('replace'); return x.length === 1 && x; }, 'replace job');
    await waitFor(async () => (await status('forbid')).active?.length === 1 && (await status('replace')).active?.length === 1, 'both active');
    await advanceTo(next + MIN + 1000);
    const r2 = await waitFor(async () => { const x = await jobsOf('replace'); return x.length === 1 && x[0].metadata.name !== r1.metadata.name && x[0]; }, 'replaced job');
    assert.equal(r2.metadata.name, cronJobName('replace', next + MIN));
    await cc.recorder.flush();
    await waitFor(async () => (await events(c.client)).some((e) => e.involvedObject.name === 'forbid' && e.reason === 'JobAlreadyActive'), 'JobAlreadyActive');
    assert.deepEqual((await jobsOf('forbid')).map((j) => j.metadata.name), [f1.metadata.name]);
    assert.ok((await events(c.client)).some((e) => e.involvedObject.name === 'replace' && e.reason === 'SuccessfulDelete' && e.message === `Deleted job ${r1.metadata.name}`));
    // once the forbidding Job finished, the skipped activation (still the most recent one) runs at once
    await finish(f1, 'Complete');
    await waitFor(async () => (await jobsOf('forbid')).some((j) => j.metadata.name === cronJobName('forbid', next + MIN)), 'forbid runs the skipped activation');
    await waitFor(async () => (await status('forbid')).lastScheduleTime === ts(next + MIN), 'lastScheduleTime');
    for (const n of ['forbid', 'replace']) await c.client.patch(Resources.cronjobs, 'default', n, 'merge', { spec: { suspend: true } });
  });

  test('after a suspension only the most recent missed activation runs, and none past startingDeadlineSeconds', async () => {
    await c.client.create(Resources.cronjobs, 'default', cronjob('late', { schedule: '0 * * * *', suspend: true }));
    await c.client.create(Resources.cronjobs, 'default', cronjob('deadline', { schedule: '0 * * * *', suspend: true, startingDeadlineSeconds: 60 }));
    const h = Math.floor(c.clock.now() / (60 * MIN)) * 60 * MIN;
    await advanceTo(h + 3 * 60 * MIN + 10 * MIN);
    for (const n of ['late', 'deadline']) await c.client.patch(Resources.cronjobs, 'default', n, 'merge', { spec: { suspend: false } });
    const [j] = await waitFor(async () => { const x = await jobsOf('late'); return x.length === 1 && x; }, 'one catch-up job');
    assert.equal(j.metadata.name, cronJobName('late', h + 3 * 60 * MIN));
    await waitFor(async () => (await status('late')).lastScheduleTime === ts(h + 3 * 60 * MIN), 'lastScheduleTime');
    assert.equal((await jobsOf('deadline')).length, 0, 'too late for the deadline');
    await advanceTo(h + 4 * 60 * MIN + 1000);
    await waitFor(async () => (await jobsOf('deadline')).length === 1, 'deadline runs at the next hour');
    for (const n of ['late', 'deadline']) await c.client.patch(Resources.cronjobs, 'default', n, 'merge', { spec: { suspend: true } });
  });

  test('history limits keep the newest finished Jobs', async () => {
    await c.client.create(Resources.cronjobs, 'default', cronjob('hist', { schedule: '* * * * *', successfulJobsHistoryLimit: 1, failedJobsHistoryLimit: 1 }));
    const names: string[] = [];
    for (let i = 0; i < 3; i++) {
      await c.clock.advance(MIN);
      const j = await waitFor(async () => (await jobsOf('hist')).find((x) => !names.includes(String(x.metadata.name))), `job ${i}`);
      names.push(String(j.metadata.name));
      await finish(j, i === 2 ? 'Failed' : 'Complete', c.clock.now() + i);
    }
    await c.client.patch(Resources.cronjobs, 'default', 'hist', 'merge', { spec: { suspend: true } });
    await waitFor(async () => {
      const left = (await jobsOf('hist')).map((j) => j.metadata.name).sort();
      return JSON.stringify(left) === JSON.stringify([names[1], names[2]].sort());
    }, 'oldest successful job deleted');
  });

  test('timeZone: activations in the zone, the scheduled-timestamp annotation with its offset', async () => {
    const dayStart = Math.floor(c.clock.now() / (24 * 60 * MIN)) * 24 * 60 * MIN;
    await c.client.create(Resources.cronjobs, 'default', cronjob('tokyo', { schedule: '0 9 * * *', timeZone: 'Asia/Tokyo' }));
    await advanceTo(dayStart + 24 * 60 * MIN + 1000); // 00:00 UTC = 09:00 in Tokyo
    const [j] = await waitFor(async () => { const x = await jobsOf('tokyo'); return x.length === 1 && x; }, 'tokyo job');
    const at = new Date(dayStart + 24 * 60 * MIN);
    assert.equal(j.metadata.annotations?.[SCHEDULED_TIMESTAMP_ANNOTATION], `${at.toISOString().slice(0, 10)}T09:00:00+09:00`);
  });
});
