import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from './clock.js';

test('FakeClock fires timers in time order and only when advanced', async () => {
  const clock = new FakeClock(1000);
  const fired: string[] = [];
  clock.setTimeout(() => fired.push('b'), 200);
  clock.setTimeout(() => fired.push('a'), 100);
  const cancelled = clock.setTimeout(() => fired.push('never'), 150);
  cancelled.cancel();
  await clock.advance(99);
  assert.deepEqual(fired, []);
  await clock.advance(1);
  assert.deepEqual(fired, ['a']);
  await clock.advance(1000);
  assert.deepEqual(fired, ['a', 'b']);
  assert.equal(clock.now(), 2100);
});

test('FakeClock.sleep resolves when time passes', async () => {
  const clock = new FakeClock(0);
  let done = false;
  void clock.sleep(50).then(() => { done = true; });
  await clock.advance(49);
  assert.equal(done, false);
  await clock.advance(1);
  assert.equal(done, true);
});
