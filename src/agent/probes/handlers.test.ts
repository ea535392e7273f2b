import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createHttp2Server, type Http2Server } from 'node:http2';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Container } from 'kubernetes-types/core/v1.js';
import { resolvePort, runGrpc, runHttpGet, runTcp } from './handlers.js';

const c = { name: 'c', image: 'x', ports: [{ name: 'web', containerPort: 8080 }] } as Container;

function listen(s: Server | Http2Server): Promise<number> {
  return new Promise((r) => s.listen(0, '127.0.0.1', () => r((s.address() as AddressInfo).port)));
}

/** A grpc.health.v1 server answering `status` (1 SERVING, 2 NOT_SERVING) for any service. */
function healthServer(status: number): Http2Server {
  const s = createHttp2Server();
  s.on('stream', (stream, headers) => {
    assert.equal(headers[':path'], '/grpc.health.v1.Health/Check');
    stream.on('data', () => undefined);
    stream.on('end', () => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.end(Buffer.from([0, 0, 0, 0, 2, 0x08, status]));
    });
  });
  return s;
}

test('gRPC health probe: SERVING passes, NOT_SERVING fails with the kubelet message', async (t) => {
  const ok = healthServer(1);
  const bad = healthServer(2);
  t.after(() => { ok.close(); bad.close(); });
  const okPort = await listen(ok);
  const badPort = await listen(bad);
  assert.deepEqual(await runGrpc({ port: okPort, service: 'svc' }, '127.0.0.1', 2), { ok: true, output: '' });
  assert.deepEqual(await runGrpc({ port: badPort }, '127.0.0.1', 2), { ok: false, output: 'service unhealthy (responded with "NOT_SERVING")' });
});

test('HTTP probe: 2xx/3xx pass, others fail with the status code; headers and named ports', async (t) => {
  let seen = '';
  const s = createHttpServer((req, res) => { seen = String(req.headers['x-probe']); res.statusCode = req.url === '/ok' ? 204 : 503; res.end(); });
  t.after(() => s.close());
  const port = await listen(s);
  assert.equal((await runHttpGet({ path: '/ok', port, httpHeaders: [{ name: 'X-Probe', value: 'yes' }] }, c, '127.0.0.1', 2)).ok, true);
  assert.equal(seen, 'yes');
  assert.deepEqual(await runHttpGet({ path: '/bad', port }, c, '127.0.0.1', 2), { ok: false, output: 'HTTP probe failed with statuscode: 503' });
  assert.equal(resolvePort('web', c), 8080);
  assert.throws(() => resolvePort('nope', c), /couldn't find port: nope in c/);
});

test('TCP probe: connect passes; refused fails as Go words it', async (t) => {
  const s = createNetServer((sock) => sock.end());
  t.after(() => s.close());
  const port = await new Promise<number>((r) => s.listen(0, '127.0.0.1', () => r((s.address() as AddressInfo).port)));
  assert.equal((await runTcp({ port }, c, '127.0.0.1', 2)).ok, true);
  s.close();
  await new Promise((r) => setImmediate(r));
  const r = await runTcp({ port }, c, '127.0.0.1', 2);
  assert.deepEqual(r, { ok: false, output: `dial tcp 127.0.0.1:${port}: connect: connection refused` });
});
