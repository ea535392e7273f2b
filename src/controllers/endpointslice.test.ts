import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../api/object.js';
import { desiredSlices } from './endpointslice.js';
import { resolveEndpoints } from './service-endpoints.js';

const svc = (publishNotReadyAddresses?: boolean): KubeObject => ({
  metadata: { name: 'web', namespace: 'default' },
  spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }], ...(publishNotReadyAddresses ? { publishNotReadyAddresses } : {}) },
});
const pod = (name: string, ip: string, ready: boolean, deleting = false): KubeObject => ({
  metadata: { name, namespace: 'default', uid: `u-${name}`, labels: { app: 'web' }, ...(deleting ? { deletionTimestamp: '2026-01-01T12:00:00Z' } : {}) },
  spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'x' }] },
  status: { phase: 'Running', podIP: ip, conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
});

const conditionsByPod = (s: KubeObject, pods: KubeObject[]) =>
  Object.fromEntries(desiredSlices(s, resolveEndpoints(s, pods)).flatMap((sl) => sl.endpoints.map((e) => [e.targetRef.name, e.conditions])));

test('endpoint conditions as Kubernetes sets them: a terminating pod that is still ready is serving, terminating, not ready', () => {
  const pods = [pod('up', '10.88.0.2', true), pod('starting', '10.88.0.3', false), pod('draining', '10.88.0.4', true, true), pod('stopping', '10.88.0.5', false, true)];
  assert.deepEqual(conditionsByPod(svc(), pods), {
    up: { ready: true, serving: true, terminating: false },
    starting: { ready: false, serving: false, terminating: false },
    draining: { ready: false, serving: true, terminating: true },
    stopping: { ready: false, serving: false, terminating: true },
  });
});

test('publishNotReadyAddresses: every endpoint is ready and serving, terminating still says so', () => {
  const pods = [pod('starting', '10.88.0.3', false), pod('stopping', '10.88.0.5', false, true)];
  assert.deepEqual(conditionsByPod(svc(true), pods), {
    starting: { ready: true, serving: true, terminating: false },
    stopping: { ready: true, serving: true, terminating: true },
  });
});
