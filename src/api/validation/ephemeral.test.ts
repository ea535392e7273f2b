import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../object.js';
import { fieldErrorString } from '../errors.js';
import { applyDefaults } from '../defaults/index.js';
import { validatePodEphemeralContainersUpdate } from './pod.js';

function pods(mutate: (p: any) => void, oldMutate: (p: any) => void = () => {}): string[] { // eslint-disable-line @typescript-eslint/no-explicit-any
  const old: KubeObject = { metadata: { name: 'web', namespace: 'default', resourceVersion: '3', uid: 'u' }, spec: { containers: [{ name: 'app', image: 'nginx' }] } };
  oldMutate(old);
  applyDefaults('Pod', old);
  const nw = structuredClone(old);
  mutate(nw);
  applyDefaults('Pod', nw);
  return validatePodEphemeralContainersUpdate(nw, old).map(fieldErrorString);
}

test('ephemeral containers: adding one is fine', () => {
  assert.deepEqual(pods((p) => { p.spec.ephemeralContainers = [{ name: 'debug', image: 'busybox', targetContainerName: 'app' }]; }), []);
});
test('ephemeral containers: ports, probes and unknown target are rejected', () => {
  assert.deepEqual(pods((p) => { p.spec.ephemeralContainers = [{ name: 'debug', image: 'busybox', targetContainerName: 'nope', ports: [{ containerPort: 80 }] }]; }), [
    'spec.ephemeralContainers[0].targetContainerName: Not found: "nope"',
    'spec.ephemeralContainers[0].ports: Forbidden: cannot be set for an Ephemeral Container',
  ]);
});
test('ephemeral containers: existing ones may not be removed or changed', () => {
  const withOne = (p: any) => { p.spec.ephemeralContainers = [{ name: 'debug', image: 'busybox' }]; }; // eslint-disable-line @typescript-eslint/no-explicit-any
  assert.deepEqual(pods((p) => { p.spec.ephemeralContainers = []; }, withOne), ['spec.ephemeralContainers: Forbidden: existing ephemeral containers "debug" may not be removed\n']);
  const changed = pods((p) => { p.spec.ephemeralContainers[0].image = 'alpine'; }, withOne);
  assert.equal(changed.length, 1);
  assert.ok(changed[0].startsWith('spec.ephemeralContainers: Forbidden: existing ephemeral containers "debug" may not be changed\n'));
});
test('ephemeral containers: name clash with a container', () => {
  assert.deepEqual(pods((p) => { p.spec.ephemeralContainers = [{ name: 'app', image: 'busybox' }]; }), ['spec.ephemeralContainers[0].name: Duplicate value: "app"']);
});
test('ephemeral containers: static pods', () => {
  assert.deepEqual(pods((p) => { p.spec.ephemeralContainers = [{ name: 'd', image: 'busybox' }]; }, (o) => { o.metadata.annotations = { 'kubernetes.io/config.mirror': 'x' }; }), [': Forbidden: static pods do not support ephemeral containers']);
});
