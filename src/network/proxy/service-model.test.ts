import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { servicePorts } from './service-model.js';

const svc = (spec: Service['spec']): Service => ({ metadata: { name: 'web', namespace: 'shop' }, spec });
const slice = (ports: { name?: string; port: number; protocol?: string }[], eps: { ip: string; ready?: boolean; node?: string }[], addressType = 'IPv4'): EndpointSlice => ({
  addressType, ports, endpoints: eps.map((e) => ({ addresses: [e.ip], conditions: e.ready === undefined ? {} : { ready: e.ready }, ...(e.node ? { nodeName: e.node } : {}) })),
});

test('ready endpoints per named port, deduplicated across slices, in address order', () => {
  const s = svc({ clusterIP: '10.96.0.20', ports: [{ name: 'http', port: 80, protocol: 'TCP' }, { name: 'dns', port: 53, protocol: 'UDP' }] });
  const out = servicePorts(s, [
    slice([{ name: 'http', port: 8080, protocol: 'TCP' }, { name: 'dns', port: 5353, protocol: 'UDP' }], [{ ip: '10.88.0.10' }, { ip: '10.88.0.9', ready: true }, { ip: '10.88.0.7', ready: false }]),
    slice([{ name: 'http', port: 8080, protocol: 'TCP' }], [{ ip: '10.88.0.9' }, { ip: '10.88.0.2' }]),
    slice([{ name: 'http', port: 8080 }], [{ ip: 'fd00::1' }], 'IPv6'),
  ]);
  assert.deepEqual(out, [
    { id: 'shop/web:http:TCP', clusterIP: '10.96.0.20', port: 80, nodePort: undefined, protocol: 'TCP', endpoints: [{ ip: '10.88.0.2', port: 8080 }, { ip: '10.88.0.9', port: 8080 }, { ip: '10.88.0.10', port: 8080 }] },
    { id: 'shop/web:dns:UDP', clusterIP: '10.96.0.20', port: 53, nodePort: undefined, protocol: 'UDP', endpoints: [{ ip: '10.88.0.9', port: 5353 }, { ip: '10.88.0.10', port: 5353 }] },
  ]);
});

test('headless and ExternalName services are not proxied; NodePorts only for NodePort/LoadBalancer', () => {
  assert.deepEqual(servicePorts(svc({ clusterIP: 'None', ports: [{ port: 80 }] }), []), []);
  assert.deepEqual(servicePorts(svc({ type: 'ExternalName', externalName: 'example.org', ports: [{ port: 80 }] }), []), []);
  const np = servicePorts(svc({ type: 'NodePort', clusterIP: '10.96.0.21', ports: [{ port: 80, nodePort: 30080 }] }), []);
  assert.equal(np[0].nodePort, 30080);
  assert.deepEqual(np[0].endpoints, []);
  const cip = servicePorts(svc({ type: 'ClusterIP', clusterIP: '10.96.0.21', ports: [{ port: 80, nodePort: 30080 }] }), []);
  assert.equal(cip[0].nodePort, undefined);
});

test('ClientIP affinity with its timeout; a node-local override replaces the slices', () => {
  const s = svc({ clusterIP: '10.96.0.10', sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } }, ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] });
  const [p] = servicePorts(s, [slice([{ name: 'dns', port: 53, protocol: 'UDP' }], [{ ip: '10.88.0.1' }, { ip: '10.77.0.1' }])], { ip: '10.202.3.1', targetPort: () => 5300 });
  assert.equal(p.sessionAffinityClientIP, true);
  assert.equal(p.affinityTimeoutSeconds, 60);
  assert.deepEqual(p.endpoints, [{ ip: '10.202.3.1', port: 5300, local: true }]);
});

test('nothing that could not go into a rule: bad protocols, ports and addresses are skipped', () => {
  const s = svc({ clusterIP: '10.96.0.22', ports: [{ name: 'a', port: 80, protocol: 'ICMP' }, { name: 'b', port: 70000 }, { name: 'c', port: 81 }] });
  const out = servicePorts(s, [slice([{ name: 'c', port: 8080, protocol: 'TCP' }], [{ ip: '10.88.0.300' }, { ip: '10.88.0.3; flush ruleset' }, { ip: '10.88.0.4' }])]);
  assert.deepEqual(out.map((p) => [p.id, p.endpoints]), [['shop/web:c:TCP', [{ ip: '10.88.0.4', port: 8080 }]]]);
});

test('traffic policies and externalIPs: endpoints on this node are marked local', () => {
  const eps = [slice([{ port: 8080, protocol: 'TCP' }], [{ ip: '10.88.0.3', node: 'n1' }, { ip: '10.88.0.2', node: 'n2' }, { ip: '10.88.0.4' }])];
  const spec = { type: 'NodePort', clusterIP: '10.96.0.30', internalTrafficPolicy: 'Local', externalTrafficPolicy: 'Local', externalIPs: ['192.0.2.9', '192.0.2.1', 'fd00::1', '192.0.2.9', 'x'], ports: [{ port: 80, nodePort: 30080 }] };
  const [p] = servicePorts(svc(spec), eps, undefined, 'n1');
  assert.deepEqual(p, {
    id: 'shop/web::TCP', clusterIP: '10.96.0.30', port: 80, nodePort: 30080, protocol: 'TCP',
    endpoints: [{ ip: '10.88.0.2', port: 8080 }, { ip: '10.88.0.3', port: 8080, local: true }, { ip: '10.88.0.4', port: 8080 }],
    externalIPs: ['192.0.2.1', '192.0.2.9'], internalLocal: true, externalLocal: true,
  });
  // no node name: nothing is local; Cluster policies and no externalIPs add nothing to the model
  assert.deepEqual(servicePorts(svc(spec), eps)[0].endpoints.filter((e) => e.local), []);
  const plain = servicePorts(svc({ ...spec, type: 'ClusterIP', internalTrafficPolicy: 'Cluster', externalTrafficPolicy: undefined, externalIPs: undefined, ports: [{ port: 80 }] }), eps, undefined, 'n1')[0];
  assert.deepEqual(Object.keys(plain).sort(), ['clusterIP', 'endpoints', 'id', 'nodePort', 'port', 'protocol']);
  // externalTrafficPolicy counts only where there is external traffic; headless services get no externalIPs
  assert.equal(servicePorts(svc({ ...spec, type: 'ClusterIP', externalIPs: [], ports: [{ port: 80 }] }), eps, undefined, 'n1')[0].externalLocal, undefined);
  assert.equal(servicePorts(svc({ ...spec, type: 'ClusterIP', ports: [{ port: 80 }] }), eps, undefined, 'n1')[0].externalLocal, true);
  assert.deepEqual(servicePorts(svc({ ...spec, type: 'ClusterIP', clusterIP: 'None', ports: [{ port: 80 }] }), eps, undefined, 'n1'), []);
});

test('terminating endpoints: used only while no endpoint is ready (and, for Local policies, none on this node is)', () => {
  const term = (ip: string, node?: string, serving = true) => ({ addresses: [ip], conditions: { ready: false, serving, terminating: true }, ...(node ? { nodeName: node } : {}) });
  const ready = (ip: string, node?: string) => ({ addresses: [ip], conditions: { ready: true, serving: true, terminating: false }, ...(node ? { nodeName: node } : {}) });
  const sl = (eps: EndpointSlice['endpoints']): EndpointSlice => ({ addressType: 'IPv4', ports: [{ port: 8080, protocol: 'TCP' }], endpoints: eps });
  const s = svc({ clusterIP: '10.96.0.40', ports: [{ port: 80 }] });
  // a rolling update: the old pod drains while the new one is ready
  assert.deepEqual(servicePorts(s, [sl([term('10.88.0.5'), ready('10.88.0.6')])])[0].endpoints, [{ ip: '10.88.0.6', port: 8080 }]);
  // scaled to zero: the draining pods keep serving; one no longer serving is dropped
  assert.deepEqual(servicePorts(s, [sl([term('10.88.0.5', 'n1'), term('10.88.0.7'), term('10.88.0.8', undefined, false)])], undefined, 'n1')[0].endpoints,
    [{ ip: '10.88.0.5', port: 8080, local: true }, { ip: '10.88.0.7', port: 8080 }]);
  // internalTrafficPolicy Local: this node's draining pod serves its local traffic, the cluster set stays ready-only
  const loc = svc({ clusterIP: '10.96.0.40', internalTrafficPolicy: 'Local', ports: [{ port: 80 }] });
  assert.deepEqual(servicePorts(loc, [sl([term('10.88.0.5', 'n1'), ready('10.88.0.6', 'n2')])], undefined, 'n1')[0].endpoints,
    [{ ip: '10.88.0.5', port: 8080, local: true, localOnly: true }, { ip: '10.88.0.6', port: 8080 }]);
  // the same endpoint in two slices: the ready reading wins
  assert.deepEqual(servicePorts(s, [sl([term('10.88.0.5')]), sl([ready('10.88.0.5')])])[0].endpoints, [{ ip: '10.88.0.5', port: 8080 }]);
});
