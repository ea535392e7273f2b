/** The scheduling queue with a FakeClock: priority order, backoff 1 s → 10 s, moves on cluster events. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../util/clock.js';
import { SchedulingQueue } from './queue.js';
import { makePod } from './testing/fixtures.js';

test('priority first, then FIFO', async () => {
  const q = new SchedulingQueue({ clock: new FakeClock() });
  q.add('default/a', makePod('a', { priority: 1 }));
  q.add('default/b', makePod('b', { priority: 10 }));
  q.add('default/c', makePod('c', { priority: 1 }));
  const order = [(await q.pop())!.key, (await q.pop())!.key, (await q.pop())!.key];
  assert.deepEqual(order, ['default/b', 'default/a', 'default/c']);
  q.close();
});

test('unschedulable pods wait for an event; backoff doubles from 1 s to 10 s', async () => {
  const clock = new FakeClock();
  const q = new SchedulingQueue({ clock });
  q.add('default/p', makePod('p'));
  let qp = (await q.pop())!;
  q.addUnschedulable(qp, new Set(['NodeResourcesFit']));
  assert.deepEqual(q.lengths, { active: 0, backoff: 0, unschedulable: 1 });
  // an event for other plugins does not move it
  q.moveAll(['InterPodAffinity']);
  assert.equal(q.lengths.unschedulable, 1);
  // a node event moves it; still within its 1 s backoff → backoffQ, active after 1 s
  q.moveAll();
  assert.deepEqual(q.lengths, { active: 0, backoff: 1, unschedulable: 0 });
  await clock.advance(999);
  assert.equal(q.lengths.active, 0);
  await clock.advance(1);
  assert.equal(q.lengths.active, 1);
  const durations: number[] = [];
  for (let i = 0; i < 6; i++) {
    qp = (await q.pop())!;
    durations.push(q.backoffDuration(qp));
    q.addBackoff(qp);
    await clock.advance(10_000);
  }
  assert.deepEqual(durations, [2000, 4000, 8000, 10_000, 10_000, 10_000]);
  q.close();
});

test('an event during a pod\'s cycle sends it to backoff, not to wait', async () => {
  const clock = new FakeClock();
  const q = new SchedulingQueue({ clock });
  q.add('default/p', makePod('p'));
  const qp = (await q.pop())!;
  q.moveAll(); // e.g. a node was added while the pod was being scheduled
  q.addUnschedulable(qp, new Set(['NodeResourcesFit']));
  assert.deepEqual(q.lengths, { active: 0, backoff: 1, unschedulable: 0 });
  await clock.advance(1000);
  assert.equal((await q.pop())!.key, 'default/p');
  q.close();
});

test('unschedulable pods are retried after 5 minutes without events', async () => {
  const clock = new FakeClock();
  const q = new SchedulingQueue({ clock });
  q.add('default/p', makePod('p'));
  q.addUnschedulable((await q.pop())!, new Set(['NodeAffinity']));
  await clock.advance(4 * 60_000);
  assert.equal(q.lengths.unschedulable, 1);
  await clock.advance(90_000);
  assert.equal(q.lengths.active, 1);
  q.close();
});
