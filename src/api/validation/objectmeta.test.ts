import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fieldErrorString } from '../errors.js';
import type { ObjectMeta } from '../object.js';
import { nameIsDNSSubdomain, validateObjectMeta, validateObjectMetaUpdate } from './objectmeta.js';

const errs = (m: ObjectMeta, namespaced = true) => validateObjectMeta(m, namespaced, nameIsDNSSubdomain).map(fieldErrorString);

const cases: [string, ObjectMeta, boolean, string[]][] = [
  ['ok', { name: 'a', namespace: 'default' }, true, []],
  ['generateName prefix ending in dash', { generateName: 'web-', name: 'web-x1x2x', namespace: 'ns' }, true, []],
  ['generateName invalid', { generateName: 'Web-', name: 'web-abcde', namespace: 'ns' }, true, ["metadata.generateName: Invalid value: \"Web-\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"]],
  ['bad namespace', { name: 'a', namespace: 'a.b' }, true, ['metadata.namespace: Invalid value: "a.b": must not contain dots']],
  ['namespace on cluster-scoped', { name: 'a', namespace: 'x' }, false, ['metadata.namespace: Forbidden: not allowed on this type']],
  ['negative generation', { name: 'a', namespace: 'n', generation: -1 }, true, ['metadata.generation: Invalid value: -1: must be greater than or equal to 0']],
  ['bad annotation key', { name: 'a', namespace: 'n', annotations: { 'a/b/c': 'x' } }, true, ["metadata.annotations: Invalid value: \"a/b/c\": a valid label key must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"]],
  ['annotations too large', { name: 'a', namespace: 'n', annotations: { big: 'x'.repeat(256 * 1024) } }, true, ['metadata.annotations: Too long: may not be more than 262144 bytes']],
  ['owner references', { name: 'a', namespace: 'n', ownerReferences: [{ apiVersion: '', kind: 'ReplicaSet', name: 'r', uid: '', controller: true }, { apiVersion: 'v1', kind: 'Event', name: 'e', uid: 'u', controller: true }] }, true, [
    'metadata.ownerReferences.apiVersion: Invalid value: "": version must not be empty',
    'metadata.ownerReferences.uid: Invalid value: "": must not be empty',
    'metadata.ownerReferences: Invalid value: {"apiVersion":"v1","kind":"Event","name":"e","uid":"u","controller":true}: /v1, Kind=Event is disallowed from being an owner',
    'metadata.ownerReferences: Invalid value: [{"apiVersion":"","kind":"ReplicaSet","name":"r","uid":"","controller":true},{"apiVersion":"v1","kind":"Event","name":"e","uid":"u","controller":true}]: Only one reference can have Controller set to true. Found "true" in references for ReplicaSet/r and Event/e',
  ]],
  ['conflicting finalizers', { name: 'a', namespace: 'n', finalizers: ['orphan', 'foregroundDeletion'] }, true, ['metadata.finalizers: Invalid value: []string{"orphan", "foregroundDeletion"}: finalizer orphan and foregroundDeletion cannot be both set']],
];
for (const [name, m, namespaced, want] of cases) test(`ObjectMeta: ${name}`, () => assert.deepEqual(errs(m, namespaced), want));

test('ObjectMeta update: immutable identity, generation', () => {
  const old: ObjectMeta = { name: 'a', namespace: 'n', uid: 'u', resourceVersion: '1', generation: 3, creationTimestamp: '2024-01-01T00:00:00Z' };
  const got = validateObjectMetaUpdate({ ...old, name: 'b', generation: 2 }, old).map(fieldErrorString);
  assert.deepEqual(got, ['metadata.generation: Invalid value: 2: must not be decremented', 'metadata.name: Invalid value: "b": field is immutable']);
});
