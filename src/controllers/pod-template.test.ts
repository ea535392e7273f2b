import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../api/object.js';
import { Resources } from '../client/resources.js';
import { podFromTemplate, isPodAvailable, isPodActive } from './pod-template.js';

test('podFromTemplate: labels, annotations, finalizers, spec, generateName and a controller reference', () => {
  const rs: KubeObject = { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'web-abc', namespace: 'ns', uid: 'u1' } };
  const template = { metadata: { labels: { app: 'web' }, annotations: { a: 'b' }, finalizers: ['x/y'] }, spec: { containers: [{ name: 'c', image: 'i' }] } };
  const pod = podFromTemplate(template, rs, Resources.replicasets);
  assert.deepEqual(pod, {
    apiVersion: 'v1', kind: 'Pod',
    metadata: {
      generateName: 'web-abc-', namespace: 'ns', labels: { app: 'web' }, annotations: { a: 'b' }, finalizers: ['x/y'],
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-abc', uid: 'u1', controller: true, blockOwnerDeletion: true }],
    },
    spec: { containers: [{ name: 'c', image: 'i' }] },
  });
  (pod.spec as { containers: unknown[] }).containers.push({});
  assert.equal(template.spec.containers.length, 1, 'the template is not shared with the pod');
});

test('isPodAvailable: ready for longer than minReadySeconds; isPodActive: not terminal, not deleting', () => {
  const pod = (ready: boolean, since: string, extra: Partial<KubeObject['metadata']> = {}, phase = 'Running'): KubeObject => ({
    metadata: { name: 'p', ...extra }, status: { phase, conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: since }] },
  });
  const now = Date.parse('2026-01-01T00:01:00Z');
  assert.equal(isPodAvailable(pod(true, '2026-01-01T00:00:00Z'), 0, now), true);
  assert.equal(isPodAvailable(pod(true, '2026-01-01T00:00:00Z'), 59, now), true);
  assert.equal(isPodAvailable(pod(true, '2026-01-01T00:00:00Z'), 60, now), false);
  assert.equal(isPodAvailable(pod(false, '2026-01-01T00:00:00Z'), 0, now), false);
  assert.equal(isPodActive(pod(true, '')), true);
  assert.equal(isPodActive(pod(true, '', {}, 'Failed')), false);
  assert.equal(isPodActive(pod(true, '', {}, 'Succeeded')), false);
  assert.equal(isPodActive(pod(true, '', { deletionTimestamp: '2026-01-01T00:00:00Z' })), false);
});
