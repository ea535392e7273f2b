import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod, Service } from 'kubernetes-types/core/v1.js';
import { serviceEnv } from './service-env.js';

const svc = (ns: string, name: string, ip: string, ports: Array<{ port: number; name?: string; protocol?: string }>): Service => ({ metadata: { namespace: ns, name }, spec: { clusterIP: ip, ports } } as Service);
const services = [
  svc('default', 'kubernetes', '10.96.0.1', [{ port: 443, name: 'https' }]),
  svc('app', 'my-svc', '10.96.0.5', [{ port: 80, name: 'http' }, { port: 53, protocol: 'UDP' }]),
  svc('app', 'headless', 'None', [{ port: 80 }]),
  svc('other', 'elsewhere', '10.96.0.9', [{ port: 1 }]),
];

test('service links: the namespace\'s services and the kubernetes service, as the kubelet names them', () => {
  const env = Object.fromEntries(serviceEnv({ metadata: { namespace: 'app' }, spec: { containers: [] } } as Pod, services).map((e) => [e.name, e.value]));
  assert.equal(env.KUBERNETES_SERVICE_HOST, '10.96.0.1');
  assert.equal(env.KUBERNETES_SERVICE_PORT, '443');
  assert.equal(env.KUBERNETES_SERVICE_PORT_HTTPS, '443');
  assert.equal(env.KUBERNETES_PORT_443_TCP, 'tcp://10.96.0.1:443');
  assert.equal(env.MY_SVC_SERVICE_HOST, '10.96.0.5');
  assert.equal(env.MY_SVC_PORT, 'tcp://10.96.0.5:80');
  assert.equal(env.MY_SVC_PORT_53_UDP_PROTO, 'udp');
  assert.equal(env.MY_SVC_PORT_80_TCP_ADDR, '10.96.0.5');
  assert.equal(env.HEADLESS_SERVICE_HOST, undefined);
  assert.equal(env.ELSEWHERE_SERVICE_HOST, undefined);
});

test('enableServiceLinks: false keeps only the kubernetes service', () => {
  const env = serviceEnv({ metadata: { namespace: 'app' }, spec: { enableServiceLinks: false, containers: [] } } as Pod, services).map((e) => e.name);
  assert.ok(env.includes('KUBERNETES_SERVICE_HOST'));
  assert.ok(!env.some((n) => n.startsWith('MY_SVC')));
});
