/**
 * The streaming endpoint's gate: TLS client certificates from the cluster CA, and only the API
 * server's identity (system:masters or an allowed user). No containers needed: an empty runtime.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:https';
import { WebSocket } from 'ws';
import { createCA, issueCert, type CertKeyPair } from '../../pki/certs.js';
import { OciRuntime } from '../../runtime/oci/oci-runtime.js';
import { setLogLevel } from '../../util/log.js';
import { startStreamingServer, type StreamingServer } from './server.js';

setLogLevel('error');

let dir: string;
let ca: CertKeyPair;
let server: StreamingServer;
let masters: CertKeyPair;
let node: CertKeyPair;
let allowedUser: CertKeyPair;
let foreign: CertKeyPair;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'peapod-streaming-'));
  ca = await createCA('test-ca');
  const serving = await issueCert(ca, { commonName: 'system:node:n1', ips: ['127.0.0.1'], usage: 'server' });
  masters = await issueCert(ca, { commonName: 'peapod-apiserver-kubelet-client', organizations: ['system:masters'], usage: 'client' });
  node = await issueCert(ca, { commonName: 'system:node:n2', organizations: ['system:nodes'], usage: 'client' });
  allowedUser = await issueCert(ca, { commonName: 'metrics-reader', usage: 'client' });
  const otherCa = await createCA('other-ca');
  foreign = await issueCert(otherCa, { commonName: 'intruder', organizations: ['system:masters'], usage: 'client' });
  const runtime = new OciRuntime({ dataDir: join(dir, 'runtime') });
  server = await startStreamingServer({ runtime, nodeName: 'n1', tls: { cert: serving.certPem, key: serving.keyPem, ca: ca.certPem }, port: 0, bind: '127.0.0.1', allowedUsers: ['metrics-reader'] });
});
after(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

function get(path: string, cred?: CertKeyPair): Promise<{ code: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, ca: ca.certPem, cert: cred?.certPem, key: cred?.keyPem, agent: false }, (res) => {
      let body = '';
      res.on('data', (b: Buffer) => { body += b.toString(); });
      res.on('end', () => resolve({ code: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('healthz answers without a certificate', async () => {
  assert.deepEqual(await get('/healthz'), { code: 200, body: 'ok' });
});

test('no certificate, or one from another CA: 401', async () => {
  assert.equal((await get('/containerLogs/default/web/web')).code, 401);
  assert.equal((await get('/containerLogs/default/web/web', foreign)).code, 401);
});

test('a node (not system:masters): 403 with the kubelet\'s message', async () => {
  const r = await get('/containerLogs/default/web/web', node);
  assert.equal(r.code, 403);
  assert.equal(r.body, 'Forbidden (user=system:node:n2, verb=get, resource=nodes, subresource=proxy)');
});

test('the API server identity and allowed users get through (to a container that is not there)', async () => {
  for (const cred of [masters, allowedUser]) {
    const r = await get('/containerLogs/default/web/web', cred);
    assert.deepEqual(r, { code: 400, body: 'container "web" in pod "web" is not available' });
  }
  assert.deepEqual(await get('/containerLogs/default/web/web?previous=true', masters), { code: 400, body: 'previous terminated container "web" in pod "web" not found' });
  assert.equal((await get('/nope', masters)).code, 404);
  assert.deepEqual(await get('/exec/default/web/web?command=true&output=1', masters), { code: 400, body: 'Upgrade request required' });
});

test('upgrades are gated too, and name what is wrong', async () => {
  const ws = (path: string, cred?: CertKeyPair) => new Promise<{ code?: number; body?: string; opened?: boolean }>((resolve) => {
    const s = new WebSocket(`wss://127.0.0.1:${server.port}${path}`, ['v5.channel.k8s.io'], { ca: ca.certPem, cert: cred?.certPem, key: cred?.keyPem });
    s.on('open', () => { s.close(); resolve({ opened: true }); });
    s.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (b: Buffer) => { body += b.toString(); });
      res.on('end', () => resolve({ code: res.statusCode, body }));
    });
    s.on('error', () => undefined);
  });
  assert.equal((await ws('/exec/default/web/web?command=true&output=1')).code, 401);
  assert.equal((await ws('/exec/default/web/web?command=true&output=1', node)).code, 403);
  assert.deepEqual(await ws('/exec/default/web/web?command=true', masters), { code: 400, body: 'you must specify at least 1 of stdin, stdout, stderr' });
  assert.deepEqual(await ws('/exec/default/web/web?command=true&output=1', masters), { code: 404, body: 'container not found ("web")' });
  assert.deepEqual(await ws('/portForward/default/web', masters), { code: 404, body: 'pod default/web has no running sandbox on node n1' });
});
