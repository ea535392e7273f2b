import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../util/clock.js';
import { Backoff, formatDuration } from './backoff.js';

test('crash-loop back-off: first restart at once, then 10s, 20s, 40s … capped at 5m', async () => {
  const clock = new FakeClock(Date.UTC(2026, 0, 1));
  const b = new Backoff(clock);
  const key = 'pod/c';
  const waits: number[] = [];
  for (let i = 0; i < 8; i++) {
    const finished = clock.now();
    if (!b.isInBackOffSince(key, finished)) { b.next(key, finished); waits.push(0); continue; }
    const at = b.readyAt(key, finished);
    waits.push(at - finished);
    await clock.advance(at - clock.now() - 1);
    assert.equal(b.isInBackOffSince(key, finished), true, 'still backing off 1 ms before the end');
    await clock.advance(1);
    assert.equal(b.isInBackOffSince(key, finished), false);
    b.next(key, finished);
  }
  assert.deepEqual(waits, [0, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000]);
  assert.equal(formatDuration(b.get(key)), '5m0s');
});

test('a container that ran 10 minutes starts over at 10s', async () => {
  const clock = new FakeClock();
  const b = new Backoff(clock);
  b.next('k', clock.now());
  b.next('k', clock.now());
  assert.equal(b.get('k'), 20_000);
  await clock.advance(10 * 60_000 + 1);
  assert.equal(b.isInBackOffSince('k', clock.now()), false);
  b.next('k', clock.now());
  assert.equal(b.get('k'), 10_000);
});

test('formatDuration prints Go durations', () => {
  assert.equal(formatDuration(10_000), '10s');
  assert.equal(formatDuration(80_000), '1m20s');
  assert.equal(formatDuration(300_000), '5m0s');
});
