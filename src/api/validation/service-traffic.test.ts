/**
 * Service validation of the fields the service proxy acts on — externalTrafficPolicy,
 * internalTrafficPolicy, externalIPs, healthCheckNodePort — with Kubernetes' messages
 * (pkg/apis/core/validation: validateServiceExternalTrafficPolicy,
 * validateServiceInternalTrafficFieldsValue, ValidateNonSpecialIP).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../object.js';
import { createErrors, updateErrors, type Mutate } from './testutil.js';

const svc = (): KubeObject => ({ metadata: { name: 'web', namespace: 'default' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } });
const etpOnlyExternal = 'may only be set for externally-accessible services';
const hcnpOnly = "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'";

/** [name, before defaults, after defaults, errors] */
const cases: [string, Mutate, Mutate | undefined, string[]][] = [
  ['ClusterIP: Cluster policies are defaulted', () => {}, undefined, []],
  ['ClusterIP: externalTrafficPolicy without externalIPs', (s) => { s.spec.externalTrafficPolicy = 'Local'; }, undefined, [`spec.externalTrafficPolicy: Invalid value: "Local": ${etpOnlyExternal}`]],
  ['ClusterIP with externalIPs: externalTrafficPolicy Local', (s) => { s.spec.externalIPs = ['192.0.2.10']; s.spec.externalTrafficPolicy = 'Local'; }, undefined, []],
  ['ClusterIP with externalIPs: externalTrafficPolicy defaulted', (s) => { s.spec.externalIPs = ['192.0.2.10']; }, (s) => { assert.equal(s.spec.externalTrafficPolicy, 'Cluster'); }, []],
  ['ExternalName with externalIPs is not externally accessible', (s) => { s.spec = { type: 'ExternalName', externalName: 'db.example.com', externalIPs: ['192.0.2.10'], externalTrafficPolicy: 'Cluster' }; }, undefined, [`spec.externalTrafficPolicy: Invalid value: "Cluster": ${etpOnlyExternal}`]],
  ['NodePort: externalTrafficPolicy Local', (s) => { s.spec.type = 'NodePort'; s.spec.externalTrafficPolicy = 'Local'; }, undefined, []],
  ['NodePort: unknown externalTrafficPolicy', (s) => { s.spec.type = 'NodePort'; s.spec.externalTrafficPolicy = 'Nearby'; }, undefined, ['spec.externalTrafficPolicy: Unsupported value: "Nearby": supported values: "Cluster", "Local"']],
  ['NodePort: externalTrafficPolicy missing', (s) => { s.spec.type = 'NodePort'; }, (s) => { delete s.spec.externalTrafficPolicy; }, ['spec.externalTrafficPolicy: Required value']],
  ['NodePort Local: healthCheckNodePort is for LoadBalancer', (s) => { s.spec.type = 'NodePort'; s.spec.externalTrafficPolicy = 'Local'; s.spec.healthCheckNodePort = 30100; }, undefined, [`spec.healthCheckNodePort: Invalid value: 30100: ${hcnpOnly}`]],
  ['LoadBalancer Local: healthCheckNodePort out of range', (s) => { s.spec.type = 'LoadBalancer'; s.spec.externalTrafficPolicy = 'Local'; s.spec.healthCheckNodePort = 70000; }, undefined, ['spec.healthCheckNodePort: Invalid value: 70000: must be between 1 and 65535, inclusive']],
  ['internalTrafficPolicy Local', (s) => { s.spec.internalTrafficPolicy = 'Local'; }, undefined, []],
  ['unknown internalTrafficPolicy', (s) => { s.spec.internalTrafficPolicy = 'Nearby'; }, undefined, ['spec.internalTrafficPolicy: Unsupported value: "Nearby": supported values: "Cluster", "Local"']],
  ['internalTrafficPolicy missing on ClusterIP', () => {}, (s) => { delete s.spec.internalTrafficPolicy; }, ['spec.internalTrafficPolicy: Required value']],
  ['internalTrafficPolicy tolerated on ExternalName', (s) => { s.spec = { type: 'ExternalName', externalName: 'db.example.com', internalTrafficPolicy: 'Local' }; }, undefined, []],
  ['externalIPs: IPv4 and IPv6', (s) => { s.spec.externalIPs = ['192.0.2.10', '2001:db8::1']; }, undefined, []],
  ['externalIPs: not an address', (s) => { s.spec.externalIPs = ['10.0.0']; }, undefined, ['spec.externalIPs[0]: Invalid value: "10.0.0": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)']],
  ['externalIPs: special ranges', (s) => { s.spec.externalIPs = ['0.0.0.0', '127.0.0.1', '169.254.1.1', '224.0.0.5', 'fe80::1', '::1']; }, undefined, [
    'spec.externalIPs[0]: Invalid value: "0.0.0.0": may not be unspecified (0.0.0.0)',
    'spec.externalIPs[1]: Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)',
    'spec.externalIPs[2]: Invalid value: "169.254.1.1": may not be in the link-local range (169.254.0.0/16, fe80::/10)',
    'spec.externalIPs[3]: Invalid value: "224.0.0.5": may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)',
    'spec.externalIPs[4]: Invalid value: "fe80::1": may not be in the link-local range (169.254.0.0/16, fe80::/10)',
    'spec.externalIPs[5]: Invalid value: "::1": may not be in the loopback range (127.0.0.0/8, ::1/128)',
  ]],
];

for (const [name, mutate, afterDefaults, want] of cases) {
  test(`Service create: ${name}`, () => assert.deepEqual(createErrors('Service', svc, mutate, afterDefaults), want));
}

test('Service update: healthCheckNodePort is immutable while LoadBalancer + Local; traffic policies may change', () => {
  const lb = (): KubeObject => ({ metadata: { name: 'web', namespace: 'default' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }], type: 'LoadBalancer', externalTrafficPolicy: 'Local', healthCheckNodePort: 30100 } });
  assert.deepEqual(updateErrors('Service', lb, (s) => { s.spec.healthCheckNodePort = 30101; }), ['spec.healthCheckNodePort: Forbidden: field is immutable']);
  assert.deepEqual(updateErrors('Service', lb, (s) => { s.spec.externalTrafficPolicy = 'Cluster'; delete s.spec.healthCheckNodePort; }), []);
  assert.deepEqual(updateErrors('Service', svc, (s) => { s.spec.internalTrafficPolicy = 'Local'; }), []);
  assert.deepEqual(updateErrors('Service', svc, (s) => { s.spec.externalIPs = ['192.0.2.10']; }), []);
});
