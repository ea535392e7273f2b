import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../api/object.js';
import { Resources } from '../client/resources.js';
import { startTestApi, type TestApi } from '../testing/test-api.js';
import { FakeClock } from '../util/clock.js';
import { createEventRecorder } from './events.js';

let api: TestApi;
const clock = new FakeClock(Date.UTC(2026, 0, 1, 12));
before(async () => { api = await startTestApi({ clock }); });
after(async () => { await api?.close(); });

const owner = (name: string): KubeObject => ({ apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name, namespace: 'default', uid: `uid-${name}`, resourceVersion: '7' } });
type Ev = { metadata: { name: string }; reason: string; message: string; count: number; type: string; firstTimestamp: string; lastTimestamp: string; involvedObject: Record<string, string>; source: { component: string } };
const eventsOf = async (name: string) => ((await api.client.list(Resources.events, 'default')).items as unknown as Ev[]).filter((e) => e.involvedObject.name === name);

test('an event has Kubernetes shape; a repeat raises count and lastTimestamp instead of a new Event', async () => {
  const r = createEventRecorder(api.client, 'replicaset-controller', clock);
  r.event(owner('a'), 'Normal', 'SuccessfulCreate', 'Created pod: a-1');
  await r.flush();
  await clock.advance(5000);
  r.event(owner('a'), 'Normal', 'SuccessfulCreate', 'Created pod: a-1');
  r.event(owner('a'), 'Normal', 'SuccessfulCreate', 'Created pod: a-1');
  await r.flush();
  const evs = await eventsOf('a');
  assert.equal(evs.length, 1);
  const e = evs[0];
  assert.match(e.metadata.name, /^a\.[0-9a-f]+$/);
  assert.deepEqual(e.involvedObject, { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'a', namespace: 'default', uid: 'uid-a', resourceVersion: '7' });
  assert.deepEqual([e.type, e.reason, e.message, e.count, e.source.component], ['Normal', 'SuccessfulCreate', 'Created pod: a-1', 3, 'replicaset-controller']);
  assert.equal(e.firstTimestamp, '2026-01-01T12:00:00Z');
  assert.equal(e.lastTimestamp, '2026-01-01T12:00:05Z');
});

test('similar events (same reason, different messages) are combined after 10', async () => {
  const r = createEventRecorder(api.client, 'replicaset-controller', clock);
  for (let i = 0; i < 14; i++) r.event(owner('b'), 'Normal', 'SuccessfulCreate', `Created pod: b-${i}`);
  await r.flush();
  const evs = await eventsOf('b');
  const single = evs.filter((e) => !e.message.startsWith('(combined'));
  const combined = evs.filter((e) => e.message.startsWith('(combined'));
  assert.equal(single.length, 9);
  assert.equal(combined.length, 1);
  assert.equal(combined[0].message, '(combined from similar events): Created pod: b-13');
  assert.equal(combined[0].count, 5);
});

test('spam filter: 25 events about an object, then one per 5 minutes', async () => {
  const r = createEventRecorder(api.client, 'deployment-controller', clock);
  for (let i = 0; i < 30; i++) r.event(owner('c'), 'Normal', `Reason${i}`, 'm');
  await r.flush();
  assert.equal((await eventsOf('c')).length, 25);
  await clock.advance(300_000);
  r.event(owner('c'), 'Normal', 'Late1', 'm');
  r.event(owner('c'), 'Normal', 'Late2', 'm');
  await r.flush();
  assert.deepEqual((await eventsOf('c')).filter((e) => e.reason.startsWith('Late')).map((e) => e.reason), ['Late1']);
});
