import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Resources } from '../client/resources.js';
import { startTestApi } from '../testing/test-api.js';
import { ensureKubeDns } from './node-services-kube-dns.js';

test('kube-dns: Service at 10.96.0.10, Endpoints and EndpointSlice at the DNS server; idempotent; brought back in line', async () => {
  const api = await startTestApi();
  try {
    const c = api.client;
    await ensureKubeDns(c, { dnsIp: '10.88.0.1' });
    await ensureKubeDns(c, { dnsIp: '10.88.0.1' });
    const svc = await c.get(Resources.services, 'kube-system', 'kube-dns');
    const spec = svc.spec as { clusterIP: string; selector?: unknown; ports: { name: string; port: number; protocol: string; targetPort: number }[] };
    assert.equal(spec.clusterIP, '10.96.0.10');
    assert.equal(spec.selector, undefined, 'selectorless: the endpoints controllers leave it alone');
    assert.deepEqual(spec.ports.map((p) => `${p.name} ${p.protocol} ${p.port}→${p.targetPort}`), ['dns UDP 53→53', 'dns-tcp TCP 53→53']);
    const ep = await c.get(Resources.endpoints, 'kube-system', 'kube-dns');
    assert.deepEqual(ep.subsets, [{ addresses: [{ ip: '10.88.0.1' }], ports: [{ name: 'dns', port: 53, protocol: 'UDP' }, { name: 'dns-tcp', port: 53, protocol: 'TCP' }] }]);
    const sl = await c.get(Resources.endpointslices, 'kube-system', 'kube-dns');
    assert.equal(sl.metadata.labels?.['kubernetes.io/service-name'], 'kube-dns');
    assert.deepEqual((sl.endpoints as { addresses: string[] }[]).map((e) => e.addresses), [['10.88.0.1']]);
    const rv = sl.metadata.resourceVersion;
    // the node's DNS moved (another pod CIDR / port): the objects follow
    await ensureKubeDns(c, { dnsIp: '10.202.5.1', dnsPort: 5353 });
    const sl2 = await c.get(Resources.endpointslices, 'kube-system', 'kube-dns');
    assert.notEqual(sl2.metadata.resourceVersion, rv);
    assert.deepEqual((sl2.endpoints as { addresses: string[] }[]).map((e) => e.addresses), [['10.202.5.1']]);
    assert.deepEqual((sl2.ports as { port: number }[]).map((p) => p.port), [5353, 5353]);
    const svc2 = await c.get(Resources.services, 'kube-system', 'kube-dns');
    assert.deepEqual((svc2.spec as { ports: { targetPort: number }[] }).ports.map((p) => p.targetPort), [5353, 5353]);
  } finally {
    await api.close();
  }
});
