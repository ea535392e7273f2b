import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../../api/errors.js';
import type { KubeObject } from '../../api/object.js';
import { applyJsonPatch } from './json-patch.js';

function pod(): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', labels: { app: 'web', 'a/b': 'x', 'c~d': 'y' } },
    spec: { containers: [{ name: 'a', image: 'nginx' }, { name: 'b', image: 'busybox' }], nodeName: null },
  };
}

function rejected(fn: () => unknown, detail: string | RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ApiError);
    assert.equal(e.code, 422);
    assert.equal(e.reason, 'Invalid');
    assert.equal(e.message, 'the server rejected our request due to an error in our request');
    assert.deepEqual(e.toStatus().details, {});
    if (typeof detail === 'string') assert.equal((e as Error).cause, detail);
    else assert.match(String((e as Error).cause), detail);
    return true;
  });
}

test('add, remove, replace on objects and arrays; input untouched', () => {
  const doc = pod();
  const before = structuredClone(doc);
  const out = applyJsonPatch(doc, [
    { op: 'add', path: '/metadata/labels/tier', value: 'front' },
    { op: 'remove', path: '/metadata/labels/a~1b' },
    { op: 'replace', path: '/metadata/labels/c~0d', value: 'z' },
    { op: 'add', path: '/spec/containers/1', value: { name: 'mid' } },
    { op: 'add', path: '/spec/containers/-', value: { name: 'last' } },
    { op: 'replace', path: '/spec/containers/0/image', value: 'nginx:2' },
    { op: 'remove', path: '/spec/containers/-1' },
  ]);
  assert.deepEqual(doc, before);
  assert.deepEqual(out.metadata.labels, { app: 'web', 'c~d': 'z', tier: 'front' });
  assert.deepEqual((out.spec as { containers: unknown[] }).containers, [
    { name: 'a', image: 'nginx:2' }, { name: 'mid' }, { name: 'b', image: 'busybox' },
  ]);
});

test('negative index on add counts from the end of the grown array', () => {
  const out = applyJsonPatch(pod(), [{ op: 'add', path: '/spec/containers/-1', value: { name: 'z' } }]);
  assert.deepEqual((out.spec as { containers: { name: string }[] }).containers.map((c) => c.name), ['a', 'b', 'z']);
});

test('replace of a missing object key sets it (json-patch v4 behaviour)', () => {
  const out = applyJsonPatch(pod(), [{ op: 'replace', path: '/metadata/labels/new', value: 'v' }]);
  assert.equal(out.metadata.labels?.new, 'v');
});

test('test op: passes on equal values, fails with the test-failed detail', () => {
  const ok = applyJsonPatch(pod(), [
    { op: 'test', path: '/spec/containers/0', value: { image: 'nginx', name: 'a' } },
    { op: 'test', path: '/spec/nodeName', value: null },
    { op: 'test', path: '/spec/missing', value: null },
    { op: 'replace', path: '/metadata/name', value: 'web2' },
  ]);
  assert.equal(ok.metadata.name, 'web2');
  // json-patch v4 compares objects by the document's keys: extra keys in the value pass, missing ones fail
  applyJsonPatch(pod(), [{ op: 'test', path: '/metadata/labels', value: { app: 'web', 'a/b': 'x', 'c~d': 'y', extra: 1 } }]);
  rejected(() => applyJsonPatch(pod(), [{ op: 'test', path: '/metadata/labels', value: { app: 'web' } }]),
    'testing value /metadata/labels failed: test failed');
  rejected(() => applyJsonPatch(pod(), [{ op: 'test', path: '/spec/containers', value: [{ name: 'a', image: 'nginx' }] }]),
    'testing value /spec/containers failed: test failed');
  rejected(() => applyJsonPatch(pod(), [{ op: 'test', path: '/metadata/name', value: 'other' }]),
    'testing value /metadata/name failed: test failed');
  rejected(() => applyJsonPatch(pod(), [{ op: 'test', path: '/metadata/labels/none', value: 'x' }]),
    'testing value /metadata/labels/none failed: test failed');
  rejected(() => applyJsonPatch(pod(), [{ op: 'test', path: '/metadata/name' }]),
    'testing value /metadata/name failed: test failed');
  rejected(() => applyJsonPatch(pod(), [{ op: 'test', path: '/nope/x', value: 1 }]),
    'test operation does not apply: is missing path: /nope/x: missing value');
  rejected(() => applyJsonPatch(pod(), [{ op: 'test', path: '/spec/containers/9', value: 1 }]),
    "error in test for path: '/spec/containers/9': Unable to access invalid index: 9: invalid index referenced");
});

test('a failed op leaves nothing applied (the whole patch fails)', () => {
  const doc = pod();
  rejected(() => applyJsonPatch(doc, [
    { op: 'replace', path: '/metadata/name', value: 'x' },
    { op: 'test', path: '/metadata/name', value: 'web' },
  ]), /testing value/);
  assert.equal(doc.metadata.name, 'web');
});

test('move and copy', () => {
  const out = applyJsonPatch(pod(), [
    { op: 'copy', from: '/spec/containers/0', path: '/spec/containers/-' },
    { op: 'move', from: '/metadata/labels/app', path: '/metadata/annotations' },
    { op: 'copy', from: '/metadata/labels/none', path: '/metadata/copied' },
  ]);
  const containers = (out.spec as { containers: { name: string }[] }).containers;
  assert.deepEqual(containers.map((c) => c.name), ['a', 'b', 'a']);
  containers[2].name = 'changed';
  assert.equal(containers[0].name, 'a', 'copy is deep');
  assert.equal(out.metadata.annotations as unknown, 'web');
  assert.equal(out.metadata.labels?.app, undefined);
  assert.equal((out.metadata as Record<string, unknown>).copied, null);
  rejected(() => applyJsonPatch(pod(), [{ op: 'move', from: '/metadata/labels/none', path: '/x' }]),
    "error in move for path: 'none': Unable to remove nonexistent key: none: missing value");
  rejected(() => applyJsonPatch(pod(), [{ op: 'move', from: '/a/b', path: '/x' }]),
    'move operation does not apply: doc is missing from path: /a/b: missing value');
  rejected(() => applyJsonPatch(pod(), [{ op: 'copy', from: '/metadata/name', path: '/a/b' }]),
    'copy operation does not apply: doc is missing destination path: /a/b: missing value');
});

test('paths that do not exist', () => {
  rejected(() => applyJsonPatch(pod(), [{ op: 'add', path: '/spec/template/metadata', value: {} }]),
    'add operation does not apply: doc is missing path: "/spec/template/metadata": missing value');
  rejected(() => applyJsonPatch(pod(), [{ op: 'remove', path: '/metadata/labels/none' }]),
    "error in remove for path: '/metadata/labels/none': Unable to remove nonexistent key: none: missing value");
  rejected(() => applyJsonPatch(pod(), [{ op: 'remove', path: '/x/y' }]),
    'remove operation does not apply: doc is missing path: "/x/y": missing value');
  rejected(() => applyJsonPatch(pod(), [{ op: 'replace', path: '/spec/containers/5', value: {} }]),
    'replace operation does not apply: doc is missing key: /spec/containers/5: missing value');
  rejected(() => applyJsonPatch(pod(), [{ op: 'replace', path: '/x/y', value: 1 }]),
    'replace operation does not apply: doc is missing path: /x/y: missing value');
  rejected(() => applyJsonPatch(pod(), [{ op: 'add', path: '/spec/containers/7', value: {} }]),
    "error in add for path: '/spec/containers/7': Unable to access invalid index: 7: invalid index referenced");
  rejected(() => applyJsonPatch(pod(), [{ op: 'add', path: '/spec/containers/x', value: {} }]),
    `error in add for path: '/spec/containers/x': value was not a proper array index: 'x': strconv.Atoi: parsing "x": invalid syntax`);
  rejected(() => applyJsonPatch(pod(), [{ op: 'add', path: 'metadata', value: {} }]),
    'add operation does not apply: doc is missing path: "metadata": missing value');
  rejected(() => applyJsonPatch(pod(), [{ op: 'add', value: {} }]), 'add operation failed to decode path: missing value');
  rejected(() => applyJsonPatch(pod(), [{ op: 'frob', path: '/a' }]), 'Unexpected kind: frob');
  rejected(() => applyJsonPatch(pod(), [{ path: '/a' }]), 'Unexpected kind: unknown');
});

test('bodies that are not a patch are 400; too many operations 413', () => {
  assert.throws(() => applyJsonPatch(pod(), { op: 'add' }), (e: unknown) =>
    e instanceof ApiError && e.code === 400 && e.reason === 'BadRequest' &&
    e.message === 'json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  assert.throws(() => applyJsonPatch(pod(), ['x']), (e: unknown) =>
    e instanceof ApiError && e.code === 400 && e.message === 'json: cannot unmarshal string into Go value of type jsonpatch.Operation');
  const many = Array.from({ length: 10001 }, () => ({ op: 'test', path: '/kind', value: 'Pod' }));
  assert.throws(() => applyJsonPatch(pod(), many), (e: unknown) =>
    e instanceof ApiError && e.code === 413 && e.reason === 'RequestEntityTooLarge' &&
    e.message === 'Request entity too large: The allowed maximum operations in a JSON patch is 10000, got 10001');
  assert.deepEqual(applyJsonPatch(pod(), many.slice(0, 3)), pod());
});

test('whole-document replace and test at the root', () => {
  const out = applyJsonPatch(pod(), [
    { op: 'test', path: '', value: pod() },
    { op: 'replace', path: '', value: { metadata: { name: 'n' } } },
  ]);
  assert.deepEqual(out, { metadata: { name: 'n' } });
  assert.throws(() => applyJsonPatch(pod(), [{ op: 'replace', path: '', value: [1] }]), (e: unknown) =>
    e instanceof ApiError && e.code === 422 && e.message.startsWith(' "" is invalid: patch: Invalid value: "[1]"'));
});
