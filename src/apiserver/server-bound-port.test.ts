/**
 * The HTTPS front binds first and builds the REST core from the port it bound (port 0: the kernel's
 * choice), so a handler that advertises the port (default/kubernetes) needs no free-port guess;
 * /readyz follows that handler's `ready`; a factory that throws closes the socket it bound.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOrCreatePki, defaultServingNames } from '../pki/cluster-pki.js';
import { TokenIssuer } from './auth/tokens.js';
import { Authenticator } from './auth/authenticator.js';
import { startHttpsServer } from './server.js';
import type { ApiHandler } from './api-handler.js';

const dir = mkdtempSync(join(tmpdir(), 'peapod-server-port-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function get(port: number, path: string, ca: string, cert: string, key: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, ca, cert, key, servername: 'localhost' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('port 0: the handler is built with the bound port; /readyz waits for its ready', async () => {
  const pki = await loadOrCreatePki(dir, defaultServingNames('testhost', []));
  const authenticator = new Authenticator({ tokens: new TokenIssuer(pki.saKeyPem, pki.saPubPem), nodeToken: 'unused-join-token' });
  let markReady!: () => void;
  const ready = new Promise<void>((r) => { markReady = r; });
  const builtWith: number[] = [];
  const srv = await startHttpsServer({
    pki, authenticator, port: 0,
    handler: (port) => {
      builtWith.push(port);
      const h: ApiHandler = {
        async handle(_req, res) { res.writeHead(200, { 'Content-Type': 'text/plain' }); res.end(`advertised ${port}`); },
        resources: () => [], async close() {}, ready,
      };
      return h;
    },
  });
  after(() => srv.close());
  assert.notEqual(srv.port, 0);
  assert.deepEqual(builtWith, [srv.port], 'built once, with the port the server bound');
  const { certPem, keyPem } = pki.admin;
  assert.equal((await get(srv.port, '/readyz', pki.ca.certPem, certPem, keyPem)).status, 500, 'not ready before the handler is');
  markReady();
  await ready;
  assert.equal((await get(srv.port, '/readyz', pki.ca.certPem, certPem, keyPem)).status, 200);
  assert.deepEqual(await get(srv.port, '/api', pki.ca.certPem, certPem, keyPem), { status: 200, body: `advertised ${srv.port}` });
});

test('a handler factory that throws: the error comes out and the port is free again', async () => {
  const pki = await loadOrCreatePki(dir, defaultServingNames('testhost', []));
  const authenticator = new Authenticator({ tokens: new TokenIssuer(pki.saKeyPem, pki.saPubPem), nodeToken: 'unused-join-token' });
  let bound = 0;
  await assert.rejects(startHttpsServer({ pki, authenticator, port: 0, handler: (port) => { bound = port; throw new Error('store gone'); } }), /store gone/);
  assert.notEqual(bound, 0);
  // the socket was closed: the same port can be bound again
  await new Promise<void>((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(bound, '127.0.0.1', () => s.close(() => resolve()));
  });
});
