import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOrCreatePki, defaultServingNames } from '../pki/cluster-pki.js';
import { certSans } from '../pki/certs.js';
import { TokenIssuer } from './auth/tokens.js';
import { Authenticator } from './auth/authenticator.js';
import { loadOrCreateNodeToken } from './auth/node-token.js';
import { startHttpsServer } from './server.js';
import type { ApiHandler } from './api-handler.js';
import type { UserInfo } from './user.js';

const dir = mkdtempSync(join(tmpdir(), 'peapod-server-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Reply { status: number; body: string }
function get(port: number, path: string, o: { ca: string; cert?: string; key?: string; token?: string; method?: string; body?: string; host?: string }): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: o.host ?? '127.0.0.1', port, path, method: o.method ?? 'GET', ca: o.ca, cert: o.cert, key: o.key, servername: 'localhost', headers: o.token ? { Authorization: `Bearer ${o.token}` } : {} }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end(o.body);
  });
}

test('HTTPS front: health anonymous, 401 without credentials, users from client certs, SA tokens and the node join token', async () => {
  const pki = await loadOrCreatePki(dir, defaultServingNames('testhost', []));
  const again = await loadOrCreatePki(dir, defaultServingNames('testhost', []));
  assert.equal(again.ca.certPem, pki.ca.certPem, 'PKI is reused on restart');
  assert.equal(again.server.certPem, pki.server.certPem, 'serving cert is reused when SANs are unchanged');

  const tokens = new TokenIssuer(pki.saKeyPem, pki.saPubPem);
  const nodeToken = loadOrCreateNodeToken(join(dir, 'node-token'), pki.ca.certPem);
  const seen: UserInfo[] = [];
  const handler: ApiHandler = {
    async handle(_req, res, user) { seen.push(user); res.writeHead(200, { 'Content-Type': 'application/json' }); res.end(JSON.stringify(user)); },
    resources: () => [],
    async close() {},
  };
  let markReady!: () => void;
  const ready = new Promise<void>((r) => { markReady = r; });
  const srv = await startHttpsServer({ pki, authenticator: new Authenticator({ tokens, nodeToken }), handler, ready, port: 0 });
  after(() => srv.close());
  const ca = pki.ca.certPem;

  assert.equal((await get(srv.port, '/readyz', { ca })).status, 500, 'not ready before bootstrap');
  markReady();
  await ready;
  assert.deepEqual(await get(srv.port, '/readyz', { ca }), { status: 200, body: 'ok' });
  assert.equal((await get(srv.port, '/livez', { ca })).status, 200);

  const anon = await get(srv.port, '/api', { ca });
  assert.equal(anon.status, 401);
  assert.equal(JSON.parse(anon.body).reason, 'Unauthorized');

  const admin = await get(srv.port, '/api', { ca, cert: pki.admin.certPem, key: pki.admin.keyPem });
  assert.equal(admin.status, 200);
  assert.deepEqual(JSON.parse(admin.body), { username: 'system:admin', groups: ['system:masters', 'system:authenticated'] });

  const { token } = await tokens.issue({ namespace: 'ns1', serviceAccount: { name: 'sa1', uid: 'u-1' }, boundObject: { kind: 'Pod', name: 'p', uid: 'pod-uid' } });
  const sa = JSON.parse((await get(srv.port, '/api', { ca, token })).body) as UserInfo;
  assert.equal(sa.username, 'system:serviceaccount:ns1:sa1');
  assert.deepEqual(sa.groups, ['system:serviceaccounts', 'system:serviceaccounts:ns1', 'system:authenticated']);
  assert.deepEqual(sa.extra?.['authentication.kubernetes.io/pod-name'], ['p']);

  assert.equal((await get(srv.port, '/api', { ca, token: token.slice(0, -4) + 'AAAA' })).status, 401, 'tampered token');
  const other = new TokenIssuer((await loadOrCreatePki(join(dir, 'other'), defaultServingNames('x', []))).saKeyPem, (await loadOrCreatePki(join(dir, 'other'), defaultServingNames('x', []))).saPubPem);
  const foreign = await other.issue({ namespace: 'ns1', serviceAccount: { name: 'sa1', uid: 'u-1' } });
  assert.equal((await get(srv.port, '/api', { ca, token: foreign.token })).status, 401, 'token signed by another key');

  assert.equal((await get(srv.port, '/api', { ca, token: nodeToken })).status, 403, 'join token cannot use the API');
  const cred = await get(srv.port, '/peapod/v1/node-credentials', { ca, token: nodeToken, method: 'POST', body: JSON.stringify({ nodeName: 'node-a' }) });
  assert.equal(cred.status, 200);
  const { certificate, key } = JSON.parse(cred.body) as { certificate: string; key: string };
  const node = JSON.parse((await get(srv.port, '/api/v1/nodes', { ca, cert: certificate, key })).body) as UserInfo;
  assert.equal(node.username, 'system:node:node-a');
  assert.deepEqual(node.groups, ['system:nodes', 'system:authenticated']);
  // a wrong secret (change its last hex digit: replacing it with '0' kept the token valid 1 time in 16)
  const wrongToken = nodeToken.slice(0, -1) + (nodeToken.endsWith('0') ? '1' : '0');
  assert.equal((await get(srv.port, '/peapod/v1/node-credentials', { ca, token: wrongToken, method: 'POST', body: '{}' })).status, 401);
  // The node's streaming endpoint gets a serving certificate for the addresses it names.
  const withAddrs = await get(srv.port, '/peapod/v1/node-credentials', { ca, token: nodeToken, method: 'POST', body: JSON.stringify({ nodeName: 'node-b', addresses: ['10.1.2.3', 'node-b.example'] }) });
  const { servingCertificate } = JSON.parse(withAddrs.body) as { servingCertificate: string };
  assert.deepEqual(certSans(servingCertificate).sort(), ['DNS:node-b', 'DNS:node-b.example', 'IP Address:10.1.2.3', 'IP Address:127.0.0.1'].sort());
  assert.equal((await get(srv.port, '/peapod/v1/node-credentials', { ca, token: nodeToken, method: 'POST', body: JSON.stringify({ nodeName: 'node-b', addresses: ['bad address'] }) })).status, 400);

  // a second address serves the same API on the same port (the pod bridge's gateway, in a server)
  await srv.addListener('127.0.0.2');
  const second = await get(srv.port, '/api', { ca, cert: pki.admin.certPem, key: pki.admin.keyPem, host: '127.0.0.2' });
  assert.equal(second.status, 200);
  assert.equal(JSON.parse(second.body).username, 'system:admin');

  const metrics = await get(srv.port, '/metrics', { ca, cert: pki.admin.certPem, key: pki.admin.keyPem });
  assert.match(metrics.body, /apiserver_request_total\{verb="list",group="",resource="api"|apiserver_request_total\{/);
});
