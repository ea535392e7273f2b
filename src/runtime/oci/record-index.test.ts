import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RecordIndex, labelsMatch, type FixedFields } from './record-index.js';

function fixture() {
  const records = new Map<string, FixedFields>();
  const reads: string[] = [];
  let order: string[] = [];
  const index = new RecordIndex((id) => { reads.push(id); return records.get(id); }, () => order);
  return { records, reads, index, setIds: (ids: string[]) => { order = ids; } };
}

test('a filtered list reads each record once, then only from memory', () => {
  const f = fixture();
  f.records.set('a', { owner: 'pod1', labels: { app: 'x' }, name: 'c1' });
  f.records.set('b', { owner: 'pod2', labels: { app: 'y' }, name: 'c1' });
  f.setIds(['a', 'b']);
  assert.deepEqual(f.index.ids('pod1'), ['a']);
  assert.deepEqual(f.index.ids('pod2'), ['b']);
  assert.deepEqual(f.index.ids(undefined, { app: 'y' }), ['b']);
  assert.deepEqual(f.index.ids(undefined, undefined, 'c1'), ['a', 'b']);
  assert.deepEqual(f.index.ids(), ['a', 'b']);
  assert.deepEqual(f.reads, ['a', 'b']);
});

test('new ids are read when they appear, removed ones are forgotten, unreadable ones are retried', () => {
  const f = fixture();
  f.records.set('a', { owner: 'p' });
  f.setIds(['a', 'c']); // c's record is not written yet
  assert.deepEqual(f.index.ids('p'), ['a']);
  f.records.set('c', { owner: 'p' });
  assert.deepEqual(f.index.ids('p'), ['a', 'c']);
  f.setIds(['c']);
  assert.deepEqual(f.index.ids('p'), ['c']);
  f.setIds(['a', 'c']); // a reappears (another runtime instance wrote it): read again
  assert.deepEqual(f.index.ids('p'), ['a', 'c']);
  assert.deepEqual(f.reads, ['a', 'c', 'c', 'a']);
});

test('labelsMatch: every wanted label must be present with the same value', () => {
  assert.equal(labelsMatch({ a: '1', b: '2' }, { a: '1' }), true);
  assert.equal(labelsMatch({ a: '1' }, { a: '2' }), false);
  assert.equal(labelsMatch(undefined, { a: '1' }), false);
  assert.equal(labelsMatch(undefined, undefined), true);
});
