import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import * as dnsPacket from 'dns-packet';
import type { KubeObject } from '../../api/object.js';
import { startDnsServer } from './dns-server.js';
import type { ZoneView } from './cluster-zone.js';

const services: Record<string, KubeObject> = {
  'default/web': { metadata: { name: 'web', namespace: 'default' }, spec: { clusterIP: '10.96.0.20', ports: [{ name: 'http', port: 80, protocol: 'TCP' }] } },
  'default/db': { metadata: { name: 'db', namespace: 'default' }, spec: { clusterIP: 'None', ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }] } },
  'default/ext': { metadata: { name: 'ext', namespace: 'default' }, spec: { type: 'ExternalName', externalName: 'example.test' } },
};
const slices: Record<string, KubeObject[]> = {
  'default/db': [{
    metadata: { name: 'db-abc', namespace: 'default' },
    ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }],
    endpoints: [
      { addresses: ['10.88.0.7'], hostname: 'db-0', conditions: { ready: true } },
      { addresses: ['10.88.0.8'], hostname: 'db-1', conditions: { ready: true } },
      { addresses: ['10.88.0.9'], hostname: 'db-2', conditions: { ready: false } },
    ],
  }],
};
const view: ZoneView = {
  service: (ns, n) => services[`${ns}/${n}`],
  slices: (ns, n) => slices[`${ns}/${n}`] ?? [],
  namespaceExists: (ns) => ns === 'default' || ns === 'kube-system',
};

function udpQuery(port: number, name: string, type: dnsPacket.RecordType): Promise<dnsPacket.DecodedPacket> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    const t = setTimeout(() => { s.close(); reject(new Error('no answer')); }, 5000);
    s.once('message', (m) => { clearTimeout(t); s.close(); resolve(dnsPacket.decode(m)); });
    s.send(dnsPacket.encode({ type: 'query', id: 42, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type, name }] }), port, '127.0.0.1');
  });
}

const rcode = (p: dnsPacket.DecodedPacket) => (p.flags ?? 0) & 0xf;
const data = (p: dnsPacket.DecodedPacket) => (p.answers ?? []).map((a) => (a as { data: unknown }).data);

test('cluster DNS answers services, headless endpoints, SRV, pod names and ExternalName; NXDOMAIN otherwise', async (t) => {
  const dns = await startDnsServer({ view, bind: '127.0.0.1', port: 0, upstream: [] });
  t.after(() => dns.close());

  const web = await udpQuery(dns.port, 'web.default.svc.cluster.local', 'A');
  assert.equal(web.id, 42);
  assert.equal(rcode(web), 0);
  assert.deepEqual(data(web), ['10.96.0.20']);

  const headless = await udpQuery(dns.port, 'db.default.svc.cluster.local', 'A');
  assert.deepEqual(data(headless), ['10.88.0.7', '10.88.0.8'], 'only ready endpoints');
  assert.deepEqual(data(await udpQuery(dns.port, 'db-1.db.default.svc.cluster.local', 'A')), ['10.88.0.8']);

  const srv = await udpQuery(dns.port, '_http._tcp.web.default.svc.cluster.local', 'SRV');
  assert.deepEqual(data(srv), [{ priority: 0, weight: 100, port: 80, target: 'web.default.svc.cluster.local' }]);
  const srvHeadless = await udpQuery(dns.port, '_pg._tcp.db.default.svc.cluster.local', 'SRV');
  assert.deepEqual((data(srvHeadless) as { target: string }[]).map((d) => d.target).sort(), ['db-0.db.default.svc.cluster.local', 'db-1.db.default.svc.cluster.local']);

  assert.deepEqual(data(await udpQuery(dns.port, '10-88-0-5.default.pod.cluster.local', 'A')), ['10.88.0.5']);
  const cname = await udpQuery(dns.port, 'ext.default.svc.cluster.local', 'A');
  assert.deepEqual(data(cname), ['example.test']);

  for (const missing of ['nope.default.svc.cluster.local', 'web.other.svc.cluster.local', 'web.svc.cluster.local', 'db-9.db.default.svc.cluster.local']) {
    const r = await udpQuery(dns.port, missing, 'A');
    assert.equal(rcode(r), 3, `${missing} is NXDOMAIN`);
    assert.equal(r.authorities?.[0]?.type, 'SOA');
  }
  // outside names with no upstream configured are refused (never sent anywhere)
  assert.equal(rcode(await udpQuery(dns.port, 'example.com', 'A')), 5);
  // AAAA for a service: no records, no error
  const aaaa = await udpQuery(dns.port, 'web.default.svc.cluster.local', 'AAAA');
  assert.equal(rcode(aaaa), 0);
  assert.equal(aaaa.answers?.length ?? 0, 0);

  // TCP framing
  const tcpAnswer = await new Promise<dnsPacket.DecodedPacket>((resolve, reject) => {
    const q = dnsPacket.encode({ type: 'query', id: 7, questions: [{ type: 'A', name: 'web.default.svc.cluster.local' }] });
    const head = Buffer.alloc(2); head.writeUInt16BE(q.length);
    const sock = connect(dns.port, '127.0.0.1', () => sock.write(Buffer.concat([head, q])));
    let buf = Buffer.alloc(0);
    sock.on('data', (c) => { buf = Buffer.concat([buf, c]); if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) { sock.destroy(); resolve(dnsPacket.decode(buf.subarray(2))); } });
    sock.on('error', reject);
  });
  assert.deepEqual(data(tcpAnswer), ['10.96.0.20']);

  // garbage does not crash the server
  const junk = await dns.handle(Buffer.from([1, 2, 3]));
  assert.ok(junk.length >= 12);
});
