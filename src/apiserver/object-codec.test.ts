import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeObject, injectResourceVersion, jsonEqual } from './object-codec.js';

test('stored form drops resourceVersion; injection restores it at the top level only', () => {
  const enc = encodeObject({ kind: 'Pod', apiVersion: 'v1', metadata: { name: 'a', resourceVersion: '9', selfLink: '/x' }, spec: { template: { metadata: { name: 'inner' } } } });
  assert.equal(enc, '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"a"},"spec":{"template":{"metadata":{"name":"inner"}}}}');
  const out = JSON.parse(injectResourceVersion(enc, 42));
  assert.equal(out.metadata.resourceVersion, '42');
  assert.equal(out.spec.template.metadata.resourceVersion, undefined);
  assert.equal(JSON.parse(injectResourceVersion('{"apiVersion":"v1","metadata":{}}', 3)).metadata.resourceVersion, '3');
  // a value written in another field order is re-encoded rather than spliced wrongly
  const odd = JSON.parse(injectResourceVersion('{"spec":{"metadata":{"x":1}},"metadata":{"name":"b"}}', 5));
  assert.equal(odd.metadata.resourceVersion, '5');
  assert.equal(odd.spec.metadata.resourceVersion, undefined);
  assert.ok(jsonEqual({ a: [1, { b: 2 }], c: undefined }, { a: [1, { b: 2 }] }));
  assert.ok(!jsonEqual({ a: [1] }, { a: [1, 2] }));
});
