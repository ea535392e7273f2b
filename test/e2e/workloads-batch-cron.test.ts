/**
 * A CronJob on the real clock against a real `peapod server` (--no-agent): at the next minute the
 * controller creates the Job NAME-<Unix minutes>, and `kubectl get cronjob` shows it ACTIVE with a
 * LAST SCHEDULE; when the Job's pod succeeds the Job completes and the CronJob records
 * lastSuccessfulTime. (Schedules themselves are tested on a fake clock in cronjob*.test.ts.)
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from './harness.js';

let server: TestServer;
before(async () => { server = await startServer(); });
after(async () => { await server?.stop(); });

async function k(args: string[], opts: { timeoutMs?: number } = {}): Promise<string> {
  const r = await server.kubectl(args, opts);
  assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed (${r.code}):\n${r.stderr}`);
  return r.stdout;
}

async function until<T>(fn: () => Promise<T | undefined | false | null>, what: string, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

test('a CronJob runs at the next minute: Job NAME-<minutes>, ACTIVE and LAST SCHEDULE columns, lastSuccessfulTime', async () => {
  await k(['create', 'namespace', 'cron1']);
  await k(['-n', 'cron1', 'create', 'cronjob', 'minutely', '--image=busybox', '--schedule=* * * * *', '--', 'date']);
  const jobName = await until(async () => (await k(['-n', 'cron1', 'get', 'jobs', '-o', 'jsonpath={.items[*].metadata.name}'])).trim(), 'the first Job', 75_000);
  const status = JSON.parse(await until(async () => { const s = await k(['-n', 'cron1', 'get', 'cronjob', 'minutely', '-o', 'jsonpath={.status}']); return s.includes('lastScheduleTime') && s; }, 'status', 10_000)) as { lastScheduleTime: string; active?: { name: string }[] };
  const scheduled = Date.parse(status.lastScheduleTime);
  assert.equal(scheduled % 60_000, 0, 'activations are whole minutes');
  assert.equal(jobName, `minutely-${scheduled / 60_000}`);
  assert.deepEqual(status.active?.map((a) => a.name), [jobName]);
  const row = (await k(['-n', 'cron1', 'get', 'cronjob', 'minutely'])).trim().split('\n')[1].trim().split(/\s{2,}/);
  assert.deepEqual(row.slice(0, 5), ['minutely', '* * * * *', '<none>', 'False', '1']);
  assert.match(row[5], /^\d+s$/);
  const ann = await k(['-n', 'cron1', 'get', 'job', jobName, '-o', 'jsonpath={.metadata.annotations.batch\\.kubernetes\\.io/cronjob-scheduled-timestamp}']);
  assert.equal(ann, new Date(scheduled).toISOString().replace('.000Z', 'Z'));
  // the node's part: the Job's pod ran `date` and exited 0
  const pod = await until(async () => (await k(['-n', 'cron1', 'get', 'pods', '-l', `job-name=${jobName}`, '-o', 'jsonpath={.items[*].metadata.name}'])).trim(), 'pod', 20_000);
  await k(['-n', 'cron1', 'patch', 'pod', pod, '--subresource=status', '--type=merge', '-p', '{"status":{"phase":"Succeeded"}}']);
  await k(['-n', 'cron1', 'wait', '--for=condition=complete', `job/${jobName}`, '--timeout=30s']);
  const done = JSON.parse(await until(async () => { const s = await k(['-n', 'cron1', 'get', 'cronjob', 'minutely', '-o', 'jsonpath={.status}']); return s.includes('lastSuccessfulTime') && s; }, 'lastSuccessfulTime', 20_000)) as { active?: unknown[] };
  assert.equal(done.active, undefined);
  await k(['-n', 'cron1', 'patch', 'cronjob', 'minutely', '-p', '{"spec":{"suspend":true}}']);
});
