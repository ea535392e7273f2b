import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Resources } from '../client/resources.js';
import { startTtlAfterFinishedController, jobExpiresAt } from './ttl-after-finished.js';
import { startTestCluster, waitFor, type TestCluster } from './replicaset-testkit.js';

const ts = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

describe('TTL-after-finished controller', () => {
  let c: TestCluster;
  before(async () => { c = await startTestCluster(({ client, informers, clock }) => [startTtlAfterFinishedController({ client, informers, clock })]); });
  after(async () => { await c?.stop(); });

  async function finishedJob(name: string, ttl: number | undefined, type: 'Complete' | 'Failed'): Promise<void> {
    const job = await c.client.create(Resources.jobs, 'default', {
      apiVersion: 'batch/v1', kind: 'Job', metadata: { name },
      spec: { ttlSecondsAfterFinished: ttl, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } },
    });
    const now = ts(c.clock.now());
    await c.client.update(Resources.jobs, 'default', {
      ...job,
      status: {
        startTime: now, ...(type === 'Complete' ? { completionTime: now, succeeded: 1 } : { failed: 1 }),
        conditions: [{ type, status: 'True', lastProbeTime: now, lastTransitionTime: now }],
      },
    }, { subresource: 'status' });
  }

  test('expiry is the finish time plus the TTL', () => {
    assert.equal(jobExpiresAt({ metadata: {}, spec: { ttlSecondsAfterFinished: 5 }, status: { conditions: [{ type: 'Failed', status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z' }] } }), Date.UTC(2026, 0, 1, 0, 0, 5));
    assert.equal(jobExpiresAt({ metadata: {}, spec: { ttlSecondsAfterFinished: 5 }, status: {} }), undefined);
    assert.equal(jobExpiresAt({ metadata: {}, spec: {}, status: { conditions: [{ type: 'Complete', status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z' }] } }), undefined);
  });

  test('a finished Job is deleted (foreground) once its TTL has passed; one without TTL stays', async () => {
    await finishedJob('short', 100, 'Complete');
    await finishedJob('failed', 100, 'Failed');
    await finishedJob('keep', undefined, 'Complete');
    await c.clock.advance(99_000);
    for (const n of ['short', 'failed']) assert.ok(!(await c.client.get(Resources.jobs, 'default', n)).metadata.deletionTimestamp, `${n} not yet deleted`);
    await c.clock.advance(1_000);
    for (const n of ['short', 'failed']) {
      const j = await waitFor(async () => { const x = await c.client.get(Resources.jobs, 'default', n); return x.metadata.deletionTimestamp ? x : undefined; }, `${n} deleted`);
      assert.deepEqual(j.metadata.finalizers, ['foregroundDeletion']);
    }
    await c.clock.advance(3_600_000);
    assert.ok(!(await c.client.get(Resources.jobs, 'default', 'keep')).metadata.deletionTimestamp);
  });

  test('ttlSecondsAfterFinished 0 deletes at once', async () => {
    await finishedJob('zero', 0, 'Complete');
    await waitFor(async () => (await c.client.get(Resources.jobs, 'default', 'zero')).metadata.deletionTimestamp, 'zero deleted');
  });
});
