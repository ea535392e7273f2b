import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { etcdClientOptions, parseEndpoint } from './etcd-client.js';
import { bytesPrefixEnd, EtcdKeys } from './etcd-keys.js';

describe('etcd client options', () => {
  it('parses endpoints with and without a scheme', () => {
    assert.deepEqual(parseEndpoint('http://10.0.0.1:2379'), { tls: false, host: '10.0.0.1', port: 2379, family: 4 });
    assert.deepEqual(parseEndpoint('127.0.0.1:32379'), { tls: false, host: '127.0.0.1', port: 32379, family: 4 });
    assert.deepEqual(parseEndpoint('https://etcd-0.example'), { tls: true, host: 'etcd-0.example', port: 2379, family: 0 });
    assert.deepEqual(parseEndpoint('https://[::1]:2379'), { tls: true, host: '::1', port: 2379, family: 6 });
    assert.throws(() => parseEndpoint('unix:///run/etcd.sock'), /scheme must be http or https/);
    assert.throws(() => parseEndpoint('http://a:1/path'), /no path/);
  });

  it('several IP endpoints become one gRPC channel over all of them; host names one channel each', () => {
    assert.equal(etcdClientOptions({ endpoints: ['http://127.0.0.1:1'] }).hosts, '127.0.0.1:1');
    assert.equal(etcdClientOptions({ endpoints: ['http://127.0.0.1:1', 'http://127.0.0.2:2'] }).hosts, 'ipv4:127.0.0.1:1,127.0.0.2:2');
    assert.equal(etcdClientOptions({ endpoints: ['http://[::1]:1', 'http://[::2]:2'] }).hosts, 'ipv6:[::1]:1,[::2]:2');
    assert.deepEqual(etcdClientOptions({ endpoints: ['http://a:1', 'http://b:2'] }).hosts, ['a:1', 'b:2']);
  });

  it('checks TLS settings at the boundary', () => {
    assert.throws(() => etcdClientOptions({ endpoints: [] }), /at least one endpoint/);
    assert.throws(() => etcdClientOptions({ endpoints: ['http://a:1', 'https://b:2'] }), /mix of http and https/);
    assert.throws(() => etcdClientOptions({ endpoints: ['http://a:1'], ca: 'x' }), /endpoints are http/);
    assert.throws(() => etcdClientOptions({ endpoints: ['https://a:1'], cert: 'x' }), /needs its key/);
    const o = etcdClientOptions({ endpoints: ['https://a:1'], ca: 'CA', cert: 'C', key: 'K' });
    assert.equal(o.credentials?.rootCertificate.toString(), 'CA');
    assert.equal(o.credentials?.certChain?.toString(), 'C');
    assert.ok(etcdClientOptions({ endpoints: ['https://a:1'] }).credentials!.rootCertificate.length > 1000, 'system roots by default');
  });
});

describe('etcd keys', () => {
  it('maps store keys under the prefix and computes byte ranges', () => {
    assert.deepEqual(bytesPrefixEnd(Buffer.from('/a')), Buffer.from('/b'));
    assert.deepEqual(bytesPrefixEnd(Buffer.from([0x61, 0xff, 0xff])), Buffer.from('b'));
    assert.deepEqual(bytesPrefixEnd(Buffer.from([0xff])), Buffer.from([0]));
    const k = new EtcdKeys('/t');
    assert.equal(k.encode('/registry/x').toString(), '/t/registry/x');
    assert.equal(k.decode(Buffer.from('/t/registry/x')), '/registry/x');
    const r = k.range('/registry/pods/')!;
    assert.equal(r.key.toString(), '/t/registry/pods/');
    assert.equal(r.range_end.toString(), '/t/registry/pods0');
    assert.equal(k.range('/registry/pods/', '/registry/pods/ns/b')!.key.toString(), '/t/registry/pods/ns/b');
    assert.equal(k.range('/registry/pods/', '/registry/podsx'), undefined);
    assert.deepEqual(new EtcdKeys('').all(), { key: Buffer.from([0]), range_end: Buffer.from([0]) });
  });
});
