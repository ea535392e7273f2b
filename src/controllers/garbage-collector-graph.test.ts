import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject, OwnerReference } from '../api/object.js';
import { DependencyGraph } from './garbage-collector-graph.js';

const ref = (uid: string, block = false): OwnerReference => ({ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: uid, uid, ...(block ? { blockOwnerDeletion: true } : {}) });
const obj = (uid: string, owners: OwnerReference[] = [], extra: Partial<KubeObject['metadata']> = {}): KubeObject =>
  ({ metadata: { name: uid, namespace: 'ns', uid, ownerReferences: owners, ...extra } });
const uids = (ns: { identity: { uid: string } }[]) => ns.map((n) => n.identity.uid).sort();

test('an unseen owner is a virtual node to verify; seeing it makes it real', () => {
  const g = new DependencyGraph();
  const c = g.upsert(obj('pod1', [ref('rs1')]), 'v1', 'Pod');
  assert.deepEqual(uids(c.toDelete), ['rs1']);
  assert.equal(g.get('rs1')?.virtual, true);
  assert.deepEqual(g.get('rs1')?.identity, { apiVersion: 'apps/v1', kind: 'ReplicaSet', namespace: 'ns', name: 'rs1', uid: 'rs1' });
  assert.deepEqual(uids(g.upsert(obj('rs1'), 'apps/v1', 'ReplicaSet').toDelete), []);
  assert.equal(g.get('rs1')?.virtual, false);
  assert.deepEqual(uids([...g.get('rs1')!.dependents]), ['pod1']);
});

test('removing an owner sends its dependents to attemptToDelete; a changed ownerReference moves the edge', () => {
  const g = new DependencyGraph();
  g.upsert(obj('rs1'), 'apps/v1', 'ReplicaSet');
  g.upsert(obj('rs2'), 'apps/v1', 'ReplicaSet');
  g.upsert(obj('pod1', [ref('rs1')]), 'v1', 'Pod');
  g.upsert(obj('pod2', [ref('rs1')]), 'v1', 'Pod');
  g.upsert(obj('pod2', [ref('rs2')]), 'v1', 'Pod');
  assert.deepEqual(uids([...g.get('rs1')!.dependents]), ['pod1']);
  assert.deepEqual(uids([...g.get('rs2')!.dependents]), ['pod2']);
  assert.deepEqual(uids(g.remove('rs1').toDelete), ['pod1']);
  assert.equal(g.get('rs1'), undefined);
});

test('foreground: the owner and its dependents are checked; blocking dependents are those with blockOwnerDeletion', () => {
  const g = new DependencyGraph();
  g.upsert(obj('rs1'), 'apps/v1', 'ReplicaSet');
  g.upsert(obj('pod1', [ref('rs1', true)]), 'v1', 'Pod');
  g.upsert(obj('pod2', [ref('rs1', false)]), 'v1', 'Pod');
  const c = g.upsert(obj('rs1', [], { deletionTimestamp: '2026-01-01T00:00:00Z', finalizers: ['foregroundDeletion'] }), 'apps/v1', 'ReplicaSet');
  assert.deepEqual(uids(c.toDelete), ['pod1', 'pod2', 'rs1']);
  assert.deepEqual(uids(g.blockingDependents(g.get('rs1')!)), ['pod1']);
  // the blocking dependent goes: the owner is checked again (its finalizer can come off)
  assert.deepEqual(uids(g.remove('pod1').toDelete), ['rs1']);
  assert.deepEqual(g.blockingDependents(g.get('rs1')!), []);
});

test('orphan: the orphan finalizer on a deleted owner asks for orphaning once', () => {
  const g = new DependencyGraph();
  g.upsert(obj('rs1'), 'apps/v1', 'ReplicaSet');
  const deleting = obj('rs1', [], { deletionTimestamp: '2026-01-01T00:00:00Z', finalizers: ['orphan'] });
  assert.deepEqual(uids(g.upsert(deleting, 'apps/v1', 'ReplicaSet').toOrphan), ['rs1']);
  assert.deepEqual(g.upsert({ ...deleting, metadata: { ...deleting.metadata, resourceVersion: '9' } }, 'apps/v1', 'ReplicaSet').toOrphan, []);
});
