import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkQueue } from './work-queue.js';
import { FakeClock } from '../util/clock.js';
import { runController } from '../controllers/runner.js';

test('adds of a waiting key coalesce; a key is never handed out twice at once', async () => {
  const q = new WorkQueue({ clock: new FakeClock() });
  q.add('a'); q.add('a'); q.add('b');
  assert.equal(q.length, 2);
  const k1 = await q.get();
  assert.equal(k1, 'a');
  q.add('a'); // while processing: must not be handed out until done
  assert.equal(await q.get(), 'b');
  assert.equal(q.length, 0);
  q.done('a');
  assert.equal(q.length, 1, 'a re-queued after done because it was added while processing');
  assert.equal(await q.get(), 'a');
});

test('per-key exponential backoff, reset by forget', async () => {
  const clock = new FakeClock(0);
  const q = new WorkQueue({ clock, baseDelayMs: 10, maxDelayMs: 50 });
  q.addRateLimited('k'); // 10
  await clock.advance(9);
  assert.equal(q.length, 0);
  await clock.advance(1);
  assert.equal(q.length, 1);
  assert.equal(await q.get(), 'k'); q.done('k');
  q.addRateLimited('k'); // 20
  await clock.advance(19);
  assert.equal(q.length, 0);
  await clock.advance(1);
  assert.equal(q.length, 1);
  await q.get(); q.done('k');
  q.addRateLimited('k'); q.addRateLimited('k'); // 40 then 50 (cap): the earlier wins
  assert.equal(q.retries('k'), 4);
  await clock.advance(40);
  assert.equal(q.length, 1);
  q.forget('k');
  assert.equal(q.retries('k'), 0);
});

test('runController retries failures with backoff and stops cleanly', async () => {
  const clock = new FakeClock(0);
  const q = new WorkQueue({ clock, baseDelayMs: 100 });
  const calls: string[] = [];
  let failuresLeft = 2;
  let succeeded!: () => void;
  const success = new Promise<void>((r) => { succeeded = r; });
  const ctl = runController({
    name: 'test',
    async reconcile(key) {
      calls.push(key);
      if (failuresLeft-- > 0) throw new Error('transient');
      succeeded();
    },
  }, q, 2);
  q.add('ns/x');
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(calls, ['ns/x']);
  await clock.advance(100);
  await new Promise((r) => setImmediate(r));
  assert.equal(calls.length, 2);
  await clock.advance(200);
  await success;
  assert.equal(calls.length, 3);
  assert.equal(q.retries('ns/x'), 0, 'backoff reset after success');
  await ctl.stop();
});

test('overall token bucket: retries beyond the burst wait for their turn at qps', async () => {
  const clock = new FakeClock(0);
  const q = new WorkQueue({ clock, baseDelayMs: 1, maxDelayMs: 1, qps: 10, burst: 2 });
  q.addRateLimited('a'); q.addRateLimited('b'); // within the burst: 1 ms backoff
  q.addRateLimited('c'); // bucket empty: 100 ms for the next token
  await clock.advance(1);
  assert.equal(q.length, 2);
  await clock.advance(98);
  assert.equal(q.length, 2);
  await clock.advance(1);
  assert.equal(q.length, 3);
});
