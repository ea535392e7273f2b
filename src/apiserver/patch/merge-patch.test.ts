import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../../api/errors.js';
import type { KubeObject } from '../../api/object.js';
import { applyMergePatch, mergeValue } from './merge-patch.js';

// The examples of RFC 7386 appendix A, as [target, patch, result].
const rfcCases: [unknown, unknown, unknown][] = [
  [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
  [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
  [{ a: 'b' }, { a: null }, {}],
  [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
  [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
  [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
  [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
  [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
  [['a', 'b'], ['c', 'd'], ['c', 'd']],
  [{ a: 'b' }, ['c'], ['c']],
  [{ a: 'foo' }, null, null],
  [{ a: 'foo' }, 'bar', 'bar'],
  [{ e: null }, { a: 1 }, { e: null, a: 1 }],
  [[1, 2], { a: 'b', c: null }, { a: 'b' }],
  [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
];

test('RFC 7386 appendix A', () => {
  for (const [target, patch, want] of rfcCases) {
    const before = structuredClone(target);
    assert.deepEqual(mergeValue(target, patch), want, JSON.stringify({ target, patch }));
    assert.deepEqual(target, before, 'target untouched');
  }
});

test('applyMergePatch: labels, replicas, lists replace, nulls delete', () => {
  const dep: KubeObject = {
    apiVersion: 'apps/v1', kind: 'Deployment',
    metadata: { name: 'd', labels: { app: 'd', old: 'x' } },
    spec: { replicas: 1, template: { spec: { containers: [{ name: 'a', image: 'i' }, { name: 'b', image: 'j' }] } } },
  };
  const out = applyMergePatch(dep, {
    metadata: { labels: { old: null, new: 'y' } },
    spec: { replicas: 3, template: { spec: { containers: [{ name: 'a', image: 'i2' }] } } },
  });
  assert.deepEqual(out.metadata.labels, { app: 'd', new: 'y' });
  assert.equal((out.spec as { replicas: number }).replicas, 3);
  assert.deepEqual((out.spec as { template: { spec: unknown } }).template.spec, { containers: [{ name: 'a', image: 'i2' }] });
  assert.deepEqual(dep.metadata.labels, { app: 'd', old: 'x' });
});

test('applyMergePatch: a null or scalar body is 400 Invalid JSON Patch, a list is 422', () => {
  const obj: KubeObject = { metadata: { name: 'x' } };
  assert.throws(() => applyMergePatch(obj, null), (e: unknown) =>
    e instanceof ApiError && e.code === 400 && e.message === 'Invalid JSON Patch');
  assert.throws(() => applyMergePatch(obj, 'x'), (e: unknown) => e instanceof ApiError && e.code === 400 && e.message === 'Invalid JSON Patch');
  assert.throws(() => applyMergePatch(obj, [1]), (e: unknown) => e instanceof ApiError && e.code === 422);
});
