import { test } from 'node:test';
import assert from 'node:assert/strict';
import { endpointsFor, isInNodeRanges, parseRegistriesYaml } from './registries-config.js';
import { ImagePullError } from './errors.js';

const nodeRanges = ['10.202.7.0/24', '10.96.0.0/12'];

test('a registry in the node\'s own ranges (pod IP, ClusterIP) is local: allowed without remote pulls, plain http unless configured with TLS', () => {
  assert.ok(isInNodeRanges('10.96.14.3:5000', nodeRanges));
  assert.ok(isInNodeRanges('10.111.255.254:5000', nodeRanges), 'last address of 10.96.0.0/12');
  assert.ok(isInNodeRanges('10.202.7.9', nodeRanges));
  assert.ok(!isInNodeRanges('10.112.0.1:5000', nodeRanges), 'just past the service range');
  assert.ok(!isInNodeRanges('10.202.8.9:5000', nodeRanges));
  assert.ok(!isInNodeRanges('registry.example:5000', nodeRanges), 'names are not resolved here');
  assert.ok(!isInNodeRanges('10.96.0.1:5000', ['not a cidr']));

  const none = parseRegistriesYaml('');
  assert.deepEqual(endpointsFor(none, '10.96.14.3:5000', false, nodeRanges).map((e) => [e.apiRoot, e.isDefault]), [['http://10.96.14.3:5000/v2', true]]);
  assert.deepEqual(endpointsFor(none, '10.202.7.9:5000', false, nodeRanges).map((e) => e.apiRoot), ['http://10.202.7.9:5000/v2']);
  // outside the ranges: refused as before, and https when remote pulls are allowed
  assert.throws(() => endpointsFor(none, '10.202.8.9:5000', false, nodeRanges), (e: unknown) => e instanceof ImagePullError && e.reason === 'Disabled');
  assert.throws(() => endpointsFor(none, '10.96.14.3:5000', false), (e: unknown) => e instanceof ImagePullError && e.reason === 'Disabled', 'no ranges given: only loopback');
  assert.deepEqual(endpointsFor(none, '10.202.8.9:5000', true, nodeRanges).map((e) => e.apiRoot), ['https://10.202.8.9:5000/v2']);

  // registries.yaml TLS settings for it: https
  const tls = parseRegistriesYaml('configs:\n  "10.96.14.3:5000":\n    tls: { insecure_skip_verify: true }\n');
  assert.deepEqual(endpointsFor(tls, '10.96.14.3:5000', false, nodeRanges).map((e) => [e.apiRoot, e.config.tls]), [['https://10.96.14.3:5000/v2', { insecureSkipVerify: true }]]);
  // a mirror on a ClusterIP serves another registry's images
  const mirror = parseRegistriesYaml('mirrors:\n  docker.io:\n    endpoint: ["http://10.96.14.3:5000"]\n');
  assert.deepEqual(endpointsFor(mirror, 'docker.io', false, nodeRanges).map((e) => e.apiRoot), ['http://10.96.14.3:5000/v2']);
});
