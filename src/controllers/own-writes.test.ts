import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OwnWrites } from './own-writes.js';

test('own writes: the newer of the cache and the last write; dropped once the cache catches up or the object is another', () => {
  const own = new OwnWrites();
  const v = (rv: string, uid = 'u1') => ({ metadata: { name: 'a', namespace: 'ns', uid, resourceVersion: rv } });
  assert.equal(own.latest(v('5')).metadata.resourceVersion, '5');
  own.remember(v('7'));
  assert.equal(own.latest(v('5')).metadata.resourceVersion, '7', 'the cache is behind our write');
  assert.equal(own.latest(v('9')).metadata.resourceVersion, '9', 'the cache caught up');
  assert.equal(own.latest(v('5')).metadata.resourceVersion, '5', 'forgotten once caught up');
  own.remember(v('12'));
  assert.equal(own.latest(v('3', 'u2')).metadata.uid, 'u2', 'a new object of the same name wins');
});
