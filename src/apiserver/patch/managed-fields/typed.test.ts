import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SchemaNode } from '../../../api/schema-node.js';
import { pathString } from './field-set.js';
import { compare, merge, removeItems, toFieldSet } from './typed.js';
import { FieldSet, fieldElement as f, keyElement } from './field-set.js';

// A hand-built schema in the manner of structured-merge-diff's typed tests: a map list keyed by
// (key, id), an atomic list, sets of strings and numbers, a granular and an atomic map.
const item: SchemaNode = {
  type: 'object',
  properties: { key: { type: 'string' }, id: { type: 'integer' }, nv: { type: 'integer' }, bv: { type: 'boolean' } },
};
const root: SchemaNode = {
  type: 'object',
  properties: {
    list: { type: 'array', items: item, 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['key', 'id'] },
    atomicList: { type: 'array', items: { type: 'string' }, 'x-kubernetes-list-type': 'atomic' },
    setStr: { type: 'array', items: { type: 'string' }, 'x-kubernetes-list-type': 'set' },
    merged: { type: 'array', items: item, 'x-kubernetes-patch-strategy': 'merge', 'x-kubernetes-patch-merge-key': 'key' },
    plain: { type: 'array', items: { type: 'string' } },
    labels: { type: 'object', additionalProperties: { type: 'string' } },
    selector: { type: 'object', properties: { a: { type: 'string' } }, 'x-kubernetes-map-type': 'atomic' },
    inner: { type: 'object', properties: { value: { type: 'string' } } },
  },
};

const L = (...ks: [string, number][]) => ({ list: ks.map(([key, id]) => ({ key, id })) });

test('merge of map lists keeps the applied order and live-only items in place', () => {
  const cases: [unknown, unknown, unknown][] = [
    [L(['b', 2]), L(['a', 1], ['b', 2], ['c', 3]), L(['a', 1], ['b', 2], ['c', 3])],
    [L(['a', 1], ['b', 2], ['c', 3]), L(['c', 3], ['b', 2]), L(['a', 1], ['c', 3], ['b', 2])],
    [L(['a', 1], ['b', 2], ['c', 3]), L(['c', 3], ['a', 1]), L(['b', 2], ['c', 3], ['a', 1])],
    [L(['a', 1], ['b', 1]), L(['a', 1], ['a', 2]), L(['a', 1], ['b', 1], ['a', 2])],
    [{ list: [{ key: 'a', id: 1, bv: true }, { key: 'b', id: 2 }, { key: 'a', id: 1, nv: 2 }] },
      { list: [{ key: 'a', id: 1, nv: 3 }, { key: 'c', id: 3 }, { key: 'b', id: 2 }] },
      { list: [{ key: 'a', id: 1, nv: 3 }, { key: 'c', id: 3 }, { key: 'b', id: 2 }] }],
    [{ list: [{ key: 'a', id: 1, nv: 1 }] }, { list: [{ key: 'a', id: 1, bv: true }] }, { list: [{ key: 'a', id: 1, nv: 1, bv: true }] }],
  ];
  for (const [l, r, want] of cases) assert.deepEqual(merge(l, r, root, undefined), want, JSON.stringify([l, r]));
});

test('merge of sets, atomic lists, atomic and granular maps', () => {
  const m = (l: unknown, r: unknown) => merge(l, r, root, undefined);
  assert.deepEqual(m({ setStr: ['a', 'b', 'c'] }, { setStr: ['d', 'e', 'f'] }), { setStr: ['a', 'b', 'c', 'd', 'e', 'f'] });
  assert.deepEqual(m({ setStr: ['c', 'd', 'e', 'f'] }, { setStr: ['a', 'c', 'e'] }), { setStr: ['a', 'c', 'd', 'e', 'f'] });
  assert.deepEqual(m({ setStr: ['a', 'b', 'b'] }, { setStr: ['b'] }), { setStr: ['a', 'b'] });
  assert.deepEqual(m({ atomicList: ['a', 'b'] }, { atomicList: ['c'] }), { atomicList: ['c'] });
  assert.deepEqual(m({ plain: ['a', 'b'] }, { plain: ['c'] }), { plain: ['c'] });
  assert.deepEqual(m({ selector: { a: 'x' } }, { selector: {} }), { selector: {} });
  assert.deepEqual(m({ labels: { a: '1' } }, { labels: { b: '2' } }), { labels: { a: '1', b: '2' } });
  assert.deepEqual(m({ merged: [{ key: 'x', nv: 1 }] }, { merged: [{ key: 'x', bv: true }] }), { merged: [{ key: 'x', nv: 1, bv: true }] });
  assert.deepEqual(m({ inner: null }, { inner: {} }), { inner: {} });
  assert.deepEqual(m({ inner: {} }, { inner: null }), { inner: null });
});

test('field sets: list items are members with their fields, atomic things are leaves, empty maps are members', () => {
  const s = toFieldSet({
    list: [{ key: 'a', id: 1, nv: 2 }], atomicList: ['x'], setStr: ['s'], labels: { l: 'v' }, selector: { a: 'x' }, inner: {},
  }, root, undefined);
  assert.deepEqual(s.paths().map(pathString), [
    '.atomicList', '.inner', '.selector',
    '.labels.l',
    '.list[id=1,key="a"]', '.list[id=1,key="a"].id', '.list[id=1,key="a"].key', '.list[id=1,key="a"].nv',
    '.setStr[="s"]',
  ]);
  // duplicated keys are owned as a whole
  const d = toFieldSet({ list: [{ key: 'a', id: 1, nv: 1 }, { key: 'a', id: 1, nv: 2 }] }, root, undefined);
  assert.deepEqual(d.paths().map(pathString), ['.list[id=1,key="a"]']);
});

test('compare: added containers are marked themselves, changed leaves are modified, gone items removed', () => {
  const c = compare(
    { list: [{ key: 'a', id: 1, nv: 1 }, { key: 'b', id: 2 }], inner: { value: 'x' } },
    { list: [{ key: 'a', id: 1, nv: 2 }], labels: { n: 'v' }, inner: { value: 'x' } },
    root, undefined);
  assert.deepEqual(c.modified.paths().map(pathString), ['.list[id=1,key="a"].nv']);
  assert.deepEqual(c.added.paths().map(pathString), ['.labels', '.labels.n']);
  assert.deepEqual(c.removed.paths().map(pathString), ['.list[id=2,key="b"]', '.list[id=2,key="b"].id', '.list[id=2,key="b"].key']);
});

test('removeItems drops listed fields and items; emptied containers become null', () => {
  const v = { list: [{ key: 'a', id: 1, nv: 1 }, { key: 'b', id: 2, nv: 2 }], labels: { a: '1' }, inner: { value: 'x' } };
  const out = removeItems(v, FieldSet.of(
    [f('list'), keyElement([['key', 'a'], ['id', 1]])],
    [f('list'), keyElement([['key', 'b'], ['id', 2]]), f('nv')],
    [f('labels'), f('a')],
  ), root, undefined);
  assert.deepEqual(out, { list: [{ key: 'b', id: 2 }], labels: null, inner: { value: 'x' } });
  assert.deepEqual(v.list.length, 2, 'input untouched');
});
