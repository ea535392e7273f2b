import { test } from 'node:test';
import assert from 'node:assert/strict';
import { slowStartBatch, WarmStart } from './slow-start.js';

test('slowStartBatch: batches of 1, 2, 4 … and stops after the first failing batch', async () => {
  const batches: number[] = [];
  let inBatch = 0;
  const r = await slowStartBatch(10, 1, async () => { inBatch++; await Promise.resolve(); if (inBatch) { batches.push(inBatch); inBatch = 0; } });
  assert.deepEqual(r, { successes: 10, lastFullBatch: 3 });
  assert.deepEqual(batches, [1, 2, 4, 3]);
  let n = 0;
  const r2 = await slowStartBatch(10, 1, async () => { n++; if (n === 4) throw new Error('no'); });
  // batches 1, 2 succeed; the batch of 4 has one failure; the rest are skipped
  assert.equal(n, 7);
  assert.equal(r2.successes, 6);
  assert.equal(r2.lastFullBatch, 2);
  assert.equal((r2.error as Error).message, 'no');
});

test('WarmStart: the next run starts at the last full batch of a fully successful run, capped; a failure goes back to 1', async () => {
  const warm = new WarmStart(100);
  assert.equal(warm.initial('a'), 1);
  warm.record('a', await slowStartBatch(200, warm.initial('a'), async () => undefined)); // 1 2 4 … 64 73
  assert.equal(warm.initial('a'), 73);
  let calls = 0;
  const r = await slowStartBatch(300, warm.initial('a'), async () => { calls++; });
  warm.record('a', r); // 73 146 81
  assert.equal(calls, 300);
  assert.equal(warm.initial('a'), 81);
  warm.record('a', await slowStartBatch(1000, warm.initial('a'), async () => undefined)); // 81 162 … capped by max
  assert.equal(warm.initial('a'), 100);
  warm.record('a', await slowStartBatch(5, warm.initial('a'), async () => { throw new Error('quota'); }));
  assert.equal(warm.initial('a'), 1);
  assert.equal(warm.initial('b'), 1);
});
