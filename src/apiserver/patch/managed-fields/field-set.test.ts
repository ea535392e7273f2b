import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FieldSet, fieldElement as f, keyElement, pathString, serializePathElement, type Path } from './field-set.js';

const k = (fields: Record<string, unknown>) => keyElement(Object.entries(fields));
const v = (value: unknown) => ({ kind: 'value' as const, value });

test('FieldsV1: members, children and "." as Kubernetes writes them, in element order', () => {
  const s = FieldSet.of(
    [f('spec'), f('replicas')],
    [f('metadata'), f('labels')],
    [f('metadata'), f('labels'), f('app')],
    [f('spec'), f('containers'), k({ name: 'c' })],
    [f('spec'), f('containers'), k({ name: 'c' }), f('image')],
    [f('spec'), f('containers'), k({ name: 'c' }), f('ports'), k({ protocol: 'TCP', containerPort: 80 })],
    [f('metadata'), f('finalizers'), v('b.io/y')],
    [f('metadata'), f('finalizers'), v('a.io/x')],
    [f('spec'), f('args'), { kind: 'index', index: 1 }],
  );
  const json = s.toFieldsV1();
  assert.equal(JSON.stringify(json),
    '{"f:metadata":{"f:finalizers":{"v:\\"a.io/x\\"":{},"v:\\"b.io/y\\"":{}},"f:labels":{".":{},"f:app":{}}},' +
    '"f:spec":{"f:args":{"i:1":{}},"f:containers":{"k:{\\"name\\":\\"c\\"}":{".":{},"f:image":{},' +
    '"f:ports":{"k:{\\"containerPort\\":80,\\"protocol\\":\\"TCP\\"}":{}}}},"f:replicas":{}}}');
  const back = FieldSet.fromFieldsV1(JSON.parse(JSON.stringify(json)));
  assert.ok(back.equals(s));
  assert.ok(back.has([f('metadata'), f('labels')]));
  assert.ok(!back.has([f('spec')]));
  assert.ok(back.has([f('spec'), f('containers'), k({ name: 'c' })]));
});

test('unknown element kinds are skipped; a bad key fails', () => {
  const s = FieldSet.fromFieldsV1({ 'f:a': {}, 'x:whatever': {}, 'f:b': { 'f:c': {} } });
  assert.deepEqual(s.paths().map(pathString), ['.a', '.b.c']);
  assert.throws(() => FieldSet.fromFieldsV1({ 'k:{bad': {} }), /parsing key as path element/);
});

test('set algebra: union, intersection, difference (structural) and recursive difference', () => {
  const a = FieldSet.of([f('a'), f('b')], [f('a'), f('c')], [f('d')]);
  const b = FieldSet.of([f('a'), f('b')], [f('e')]);
  assert.deepEqual(a.union(b).paths().map(pathString), ['.d', '.e', '.a.b', '.a.c']);
  assert.deepEqual(a.intersection(b).paths().map(pathString), ['.a.b']);
  assert.deepEqual(a.difference(b).paths().map(pathString), ['.d', '.a.c']);
  // parent minus child keeps the parent; a member removes its subtree only recursively
  const parent = FieldSet.of([f('a')], [f('a'), f('x')]);
  assert.deepEqual(parent.difference(FieldSet.of([f('a'), f('x')])).paths().map(pathString), ['.a']);
  assert.deepEqual(FieldSet.of([f('a'), f('x')]).difference(FieldSet.of([f('a')])).paths().map(pathString), ['.a.x']);
  assert.deepEqual(FieldSet.of([f('a'), f('x')], [f('b')]).recursiveDifference(FieldSet.of([f('a')])).paths().map(pathString), ['.b']);
  // inputs untouched
  assert.deepEqual(a.paths().map(pathString), ['.d', '.a.b', '.a.c']);
});

test('path strings as in conflict messages', () => {
  const p: Path = [f('spec'), f('template'), f('spec'), f('containers'), k({ name: 'nginx' }), f('ports'), k({ protocol: 'TCP', containerPort: 80 })];
  assert.equal(pathString(p), '.spec.template.spec.containers[name="nginx"].ports[containerPort=80,protocol="TCP"]');
  assert.equal(pathString([f('metadata'), f('finalizers'), v('a')]), '.metadata.finalizers[="a"]');
  assert.equal(serializePathElement(k({ name: '<a&b>' })), 'k:{"name":"\\u003ca\\u0026b\\u003e"}');
});

test('managerOrUserAgent: fieldManager, else the User-Agent program name', async () => {
  const { managerOrUserAgent } = await import('./managers.js');
  assert.equal(managerOrUserAgent('kubectl-edit', 'kubectl/v1.32.0 (linux/amd64)'), 'kubectl-edit');
  assert.equal(managerOrUserAgent('', 'kubectl/v1.32.0 (linux/amd64) kubernetes/abc'), 'kubectl');
  assert.equal(managerOrUserAgent(undefined, 'kube-controller-manager/v1.30.0 (linux/amd64) kubernetes/abc/system:serviceaccount:kube-system:deployment-controller'), 'kube-controller-manager');
  assert.equal(managerOrUserAgent(undefined, 'a\u0007b/1'), 'ab');
  assert.equal(managerOrUserAgent(undefined, 'x'.repeat(200)).length, 128);
  assert.equal(managerOrUserAgent(undefined, undefined), '');
});
