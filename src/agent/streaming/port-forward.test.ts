/**
 * The pod dialer's relay (nsenter + perl) under backpressure: a slow reader gets every byte.
 * Uses the test process's own network namespace (needs root for nsenter).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { isRoot } from '../../runtime/oci/test-fixtures.js';
import { dialInNetns } from './port-forward.js';

test('a slow reader of a forwarded connection loses nothing after the far end closed', { skip: isRoot ? false : 'needs root' }, async (t) => {
  const payload = Buffer.alloc(8_000_000);
  for (let i = 0; i < payload.length; i++) payload[i] = i % 251;
  const srv = createServer((s) => { s.once('data', () => s.end(payload)); });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => srv.close(() => r())));
  const d = await dialInNetns('/proc/self/ns/net', (srv.address() as { port: number }).port);
  const chunks: Buffer[] = [];
  d.write('go');
  // Read in bursts: pause after each chunk and resume on the next turn, so the relay's pipe fills up
  // and the far end finishes long before we do.
  d.on('data', (b: Buffer) => { chunks.push(b); d.pause(); setImmediate(() => d.resume()); });
  await new Promise<void>((resolve, reject) => { d.on('end', () => resolve()); d.on('error', reject); });
  assert.ok(Buffer.concat(chunks).equals(payload), `got ${Buffer.concat(chunks).length} of ${payload.length} bytes`);
  d.destroy();
});

test('dialling a port nobody listens on fails with the reason', { skip: isRoot ? false : 'needs root' }, async () => {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  await assert.rejects(dialInNetns('/proc/self/ns/net', port), /dial tcp 127\.0\.0\.1:\d+: connect: Connection refused/);
});
