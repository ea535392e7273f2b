import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { podHostsFile, podResolvConf } from './dns.js';

const host = 'nameserver 192.0.2.53\nsearch corp.example\noptions edns0\n';
const pod = (spec: Record<string, unknown>): Pod => ({ metadata: { name: 'p', namespace: 'ns1' }, spec: { containers: [], ...spec } } as Pod);

test('ClusterFirst: cluster nameserver, namespace search path first, ndots:5', () => {
  assert.equal(podResolvConf(pod({}), '10.96.0.10', 'cluster.local', host),
    'search ns1.svc.cluster.local svc.cluster.local cluster.local corp.example\nnameserver 10.96.0.10\noptions ndots:5\n');
});

test('Default and ClusterFirst with hostNetwork use the host file; None only dnsConfig', () => {
  const want = 'search corp.example\nnameserver 192.0.2.53\noptions edns0\n';
  assert.equal(podResolvConf(pod({ dnsPolicy: 'Default' }), '10.96.0.10', 'cluster.local', host), want);
  assert.equal(podResolvConf(pod({ hostNetwork: true }), '10.96.0.10', 'cluster.local', host), want);
  assert.equal(podResolvConf(pod({ dnsPolicy: 'None', dnsConfig: { nameservers: ['1.2.3.4'], searches: ['a.b'], options: [{ name: 'ndots', value: '2' }, { name: 'edns0' }] } }), '10.96.0.10', 'cluster.local', host),
    'search a.b\nnameserver 1.2.3.4\noptions ndots:2 edns0\n');
  assert.match(podResolvConf(pod({ dnsConfig: { options: [{ name: 'ndots', value: '1' }] } }), '10.96.0.10', 'cluster.local', host), /options ndots:1\n$/);
});

test('hosts file: pod IP with FQDN for a subdomain, and hostAliases', () => {
  const text = podHostsFile(pod({ hostname: 'web-0', subdomain: 'web', hostAliases: [{ ip: '10.1.2.3', hostnames: ['foo', 'bar'] }] }), '10.202.1.5', 'cluster.local');
  assert.match(text, /^# Kubernetes-managed hosts file\.\n127\.0\.0\.1\tlocalhost\n/);
  assert.match(text, /\n10\.202\.1\.5\tweb-0\.web\.ns1\.svc\.cluster\.local\tweb-0\n/);
  assert.match(text, /# Entries added by HostAliases\.\n10\.1\.2\.3\tfoo\tbar\n$/);
});
