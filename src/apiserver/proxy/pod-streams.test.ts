import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/object.js';
import { nodeEndpoint, resolveContainer } from './pod-streams.js';

const pod = (spec: Record<string, unknown>): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'default' }, spec });

test('container choice and checks use the Kubernetes messages', () => {
  assert.equal(resolveContainer(pod({ containers: [{ name: 'a' }] }), null), 'a');
  assert.equal(resolveContainer(pod({ containers: [{ name: 'a' }, { name: 'b' }] }), 'b'), 'b');
  assert.throws(() => resolveContainer(pod({ initContainers: [{ name: 'i' }], containers: [{ name: 'a' }, { name: 'b' }], ephemeralContainers: [{ name: 'd' }] }), ''),
    (e: Error & { code?: number }) => e.code === 400 && e.message === 'a container name must be specified for pod web, choose one of: [i a b d]');
  assert.throws(() => resolveContainer(pod({ containers: [] }), undefined), /a container name must be specified for pod web$/);
  assert.throws(() => resolveContainer(pod({ containers: [{ name: 'a' }] }), 'x'), /container x is not valid for pod web/);
  assert.equal(resolveContainer(pod({ containers: [{ name: 'a' }], initContainers: [{ name: 'i' }] }), 'i'), 'i');
  assert.equal(resolveContainer(pod({ containers: [{ name: 'a' }], ephemeralContainers: [{ name: 'debugger' }] }), 'debugger'), 'debugger');
});

test('the agent endpoint: InternalIP first, then other addresses; kubelet port default 10250', () => {
  const node = (status: Record<string, unknown>): KubeObject => ({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' }, status });
  assert.deepEqual(nodeEndpoint(node({ addresses: [{ type: 'Hostname', address: 'n1' }, { type: 'InternalIP', address: '10.0.0.5' }], daemonEndpoints: { kubeletEndpoint: { Port: 12345 } } })), { host: '10.0.0.5', port: 12345 });
  assert.deepEqual(nodeEndpoint(node({ addresses: [{ type: 'Hostname', address: 'n1' }] })), { host: 'n1', port: 10250 });
  assert.throws(() => nodeEndpoint(node({})), /node n1 has no address/);
});
