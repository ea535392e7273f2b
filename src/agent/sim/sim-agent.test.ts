import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/object.js';
import { Resources } from '../../client/resources.js';
import { isAlreadyExists } from '../../client/errors.js';
import { startTestApi } from '../../testing/test-api.js';
import { FakeClock } from '../../util/clock.js';
import { startSimAgent } from './sim-agent.js';

/** Poll with a bounded number of rounds, advancing the fake clock a little each round. */
async function eventually<T>(clock: FakeClock, fn: () => Promise<T | undefined | false>, what: string): Promise<T> {
  for (let i = 0; i < 400; i++) {
    const v = await fn();
    if (v) return v;
    await clock.advance(50);
    await new Promise((r) => setImmediate(r));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const pod = (name: string, restartPolicy: string, annotations?: Record<string, string>): KubeObject => ({
  apiVersion: 'v1', kind: 'Pod',
  metadata: { name, namespace: 'default', ...(annotations ? { annotations } : {}) },
  spec: { nodeName: 'sim-node-0', restartPolicy, containers: [{ name: 'c', image: 'busybox' }] },
});

test('a bound pod runs; with sim.peapod.io/complete-after and restartPolicy Never it succeeds that long after running; without it, it keeps running', async (t) => {
  const clock = new FakeClock(Date.UTC(2026, 0, 1, 12));
  const api = await startTestApi({ clock });
  t.after(() => api.close());
  const client = api.client;
  try { await client.create(Resources.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } }); } catch (err) { if (!isAlreadyExists(err)) throw err; }
  try { await client.create(Resources.serviceaccounts, 'default', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: 'default' } }); } catch (err) { if (!isAlreadyExists(err)) throw err; }
  const agent = await startSimAgent({ client, clock, nodes: 1, renewLeases: false, random: () => 0 });
  t.after(() => agent.stop());

  await client.create(Resources.pods, 'default', pod('job-pod', 'Never', { 'sim.peapod.io/complete-after': '5' }));
  await client.create(Resources.pods, 'default', pod('server', 'Always', { 'sim.peapod.io/complete-after': '5' }));
  await client.create(Resources.pods, 'default', pod('plain', 'Never'));
  const phase = async (name: string) => ((await client.get(Resources.pods, 'default', name)).status as { phase?: string } | undefined)?.phase;

  // Running 1 s after binding (no jitter with random 0)
  await eventually(clock, async () => (await phase('job-pod')) === 'Running' && (await phase('server')) === 'Running' && (await phase('plain')) === 'Running', 'all three Running');
  const runningAt = clock.now();
  const done = await eventually(clock, async () => (await phase('job-pod')) === 'Succeeded' && clock.now(), 'job-pod Succeeded');
  assert.ok(done - runningAt >= 4500, `succeeded ${done - runningAt} ms after running, not ~5 s`);
  const p = await client.get(Resources.pods, 'default', 'job-pod');
  const cs = (p.status as { containerStatuses: { state: { terminated?: { exitCode: number; reason: string } } }[] }).containerStatuses[0]!;
  assert.deepEqual([cs.state.terminated?.exitCode, cs.state.terminated?.reason], [0, 'Completed']);
  // restartPolicy Always, or no annotation: the pod keeps running
  await clock.advance(10_000);
  await agent.settled();
  assert.equal(await phase('server'), 'Running');
  assert.equal(await phase('plain'), 'Running');
});
