import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../util/clock.js';
import { ControllerExpectations, EXPECTATIONS_TIMEOUT_MS } from './expectations.js';

test('creations: unsatisfied until every one is observed', () => {
  const e = new ControllerExpectations(new FakeClock());
  assert.equal(e.satisfied('ns/rs'), true, 'nothing expected');
  e.expectCreations('ns/rs', 2);
  assert.equal(e.satisfied('ns/rs'), false);
  e.creationObserved('ns/rs');
  assert.equal(e.satisfied('ns/rs'), false);
  e.creationObserved('ns/rs');
  assert.equal(e.satisfied('ns/rs'), true);
});

test('deletions are counted once per object, however often they are seen', () => {
  const e = new ControllerExpectations(new FakeClock());
  e.expectDeletions('ns/rs', ['ns/p1', 'ns/p2']);
  e.deletionObserved('ns/rs', 'ns/p1');
  e.deletionObserved('ns/rs', 'ns/p1'); // deletionTimestamp, then DELETED
  e.deletionObserved('ns/rs', 'ns/other');
  assert.deepEqual(e.pending('ns/rs'), { add: 0, del: 1 });
  assert.equal(e.satisfied('ns/rs'), false);
  e.deletionObserved('ns/rs', 'ns/p2');
  assert.equal(e.satisfied('ns/rs'), true);
});

test('expectations expire after 5 minutes (a lost watch event does not wedge the controller)', async () => {
  const clock = new FakeClock();
  const e = new ControllerExpectations(clock);
  e.expectCreations('ns/rs', 1);
  await clock.advance(EXPECTATIONS_TIMEOUT_MS);
  assert.equal(e.satisfied('ns/rs'), false);
  await clock.advance(1);
  assert.equal(e.satisfied('ns/rs'), true);
  e.delete('ns/rs');
  assert.equal(e.pending('ns/rs'), undefined);
});
