import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultImagePullPolicy, pullDecision } from './pull-policy.js';

const D = 'sha256:' + '0'.repeat(64);

test('default pull policy follows the tag', () => {
  assert.equal(defaultImagePullPolicy('busybox'), 'Always');
  assert.equal(defaultImagePullPolicy('busybox:latest'), 'Always');
  assert.equal(defaultImagePullPolicy('busybox:1.36'), 'IfNotPresent');
  assert.equal(defaultImagePullPolicy(`busybox@${D}`), 'IfNotPresent');
  assert.equal(defaultImagePullPolicy(`localhost:5000/busybox:latest@${D}`), 'Always');
  assert.equal(defaultImagePullPolicy('localhost:5000/busybox'), 'Always');
});

test('pull decisions', () => {
  assert.deepEqual(pullDecision('x', 'Always', true), { pull: true });
  assert.deepEqual(pullDecision('x', 'IfNotPresent', true), { pull: false });
  assert.deepEqual(pullDecision('x', 'IfNotPresent', false), { pull: true });
  assert.deepEqual(pullDecision('x', 'Never', true), { pull: false });
  assert.deepEqual(pullDecision('busybox:9', 'Never', false), { pull: false, error: 'ErrImageNeverPull', message: 'Container image "busybox:9" is not present with pull policy of Never' });
});
