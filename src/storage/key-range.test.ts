import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { inRange, keyRange, prefixEnd } from './key-range.js';

describe('key ranges', () => {
  it('prefixEnd is the first string after every string with the prefix', () => {
    assert.equal(prefixEnd('/registry/pods/'), '/registry/pods0');
    assert.equal(prefixEnd(''), null);
    assert.equal(prefixEnd('a\uffff'), 'b');
    assert.equal(prefixEnd('\uffff\uffff'), null);
    for (const k of ['/registry/pods/', '/registry/pods/a', '/registry/pods/\uffff\uffff']) assert.ok(k < prefixEnd('/registry/pods/')!, k);
    for (const k of ['/registry/pods0', '/registry/podsx/a', '/registry/pods']) assert.ok(!inRange(k, keyRange('/registry/pods/')), k);
  });

  it('startKey narrows the range from below, never widens it', () => {
    assert.deepEqual(keyRange('/p/', '/p/m'), { lo: '/p/m', hi: '/p0', empty: false });
    assert.deepEqual(keyRange('/p/', '/a'), { lo: '/p/', hi: '/p0', empty: false });
    assert.equal(keyRange('/p/', '/q').empty, true);
    assert.equal(keyRange('/p/', '/p0').empty, true);
    assert.deepEqual(keyRange('', 'x'), { lo: 'x', hi: null, empty: false });
  });
});
