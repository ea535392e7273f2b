import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Socket } from 'node:net';
import zlib from 'node:zlib';
import { SPDY3_DICTIONARY } from './dictionary.js';
import { FrameCodec, FrameSplitter, decodeHeaderBlock, encodeHeaderBlock, type Frame } from './frames.js';
import { SpdyConnection, type SpdyStream } from './connection.js';

function adler32(b: Buffer): number {
  let a = 1, c = 0;
  for (const x of b) { a = (a + x) % 65521; c = (c + a) % 65521; }
  return ((c << 16) | a) >>> 0;
}

test('the SPDY/3 dictionary is the one in the spec (length and zlib DICTID)', () => {
  assert.equal(SPDY3_DICTIONARY.length, 1423);
  assert.equal(adler32(SPDY3_DICTIONARY), 0xe3c6a7c2);
});

test('header blocks: lower-case names, NUL-separated values', () => {
  const b = encodeHeaderBlock({ StreamType: ['error'], multi: ['a', 'b'] });
  assert.deepEqual(decodeHeaderBlock(b), { streamtype: ['error'], multi: ['a', 'b'] });
  assert.throws(() => decodeHeaderBlock(b.subarray(0, b.length - 2)), /truncated/);
});

test('every frame type round-trips; header compression keeps state across frames', async () => {
  const tx = new FrameCodec();
  const rx = new FrameCodec();
  const frames: Frame[] = [
    { type: 'syn_stream', streamId: 1, assocId: 0, priority: 0, fin: false, unidirectional: false, headers: { streamtype: ['error'], port: ['8080'] } },
    { type: 'syn_stream', streamId: 3, assocId: 0, priority: 7, fin: true, unidirectional: true, headers: { streamtype: ['stdout'], port: ['8080'] } },
    { type: 'syn_reply', streamId: 1, fin: false, headers: {} },
    { type: 'headers', streamId: 3, fin: true, headers: { x: ['y'] } },
    { type: 'data', streamId: 1, fin: false, data: Buffer.from('hello') },
    { type: 'data', streamId: 3, fin: true, data: Buffer.alloc(0) },
    { type: 'rst_stream', streamId: 5, status: 5 },
    { type: 'settings', entries: [{ flags: 0, id: 7, value: 65536 }, { flags: 1, id: 4, value: 100 }] },
    { type: 'ping', id: 2 },
    { type: 'goaway', lastGoodStreamId: 3, status: 0 },
    { type: 'window_update', streamId: 1, delta: 1000 },
  ];
  const bytes = Buffer.concat(await Promise.all(frames.map((f) => tx.encode(f))));
  // Fed in odd-sized pieces, the splitter finds the same frames.
  const sp = new FrameSplitter();
  const raws: Buffer[] = [];
  for (let o = 0; o < bytes.length; o += 7) raws.push(...sp.push(bytes.subarray(o, o + 7)));
  const back: Frame[] = [];
  for (const r of raws) back.push(await rx.decode(r));
  assert.deepEqual(back, frames);
  // The second SYN_STREAM's header block is smaller: the zlib context remembers the first.
  tx.close(); rx.close();
});

test('a header block compressed by a plain zlib with the dictionary decodes (interop with Go compress/zlib)', async () => {
  const block = encodeHeaderBlock({ streamtype: ['data'], port: ['80'], requestid: ['0'] });
  const d = zlib.createDeflate({ dictionary: SPDY3_DICTIONARY });
  const out: Buffer[] = [];
  d.on('data', (b: Buffer) => out.push(b));
  await new Promise<void>((r) => { d.write(block); d.flush(zlib.constants.Z_SYNC_FLUSH, () => r()); });
  const payload = Buffer.concat([Buffer.from([0, 0, 0, 1, 0, 0, 0, 0, 0, 0]), Buffer.concat(out)]);
  const head = Buffer.alloc(8);
  head.writeUInt32BE(0x80030001, 0);
  head.writeUInt32BE(payload.length, 4);
  const f = await new FrameCodec().decode(Buffer.concat([head, payload]));
  assert.equal(f.type, 'syn_stream');
  assert.deepEqual((f as { headers: unknown }).headers, { streamtype: ['data'], port: ['80'], requestid: ['0'] });
  d.close();
});

test('connections: streams open, reply, carry data both ways, half-close with FIN, reset; pings are echoed', async (t) => {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  const accepted = new Promise<Socket>((r) => server.once('connection', r));
  const cs = connect((server.address() as { port: number }).port, '127.0.0.1');
  const ss = await accepted;
  const serverConn = new SpdyConnection(ss, { server: true });
  const client = new SpdyConnection(cs, { server: false });
  t.after(() => { client.destroy(); serverConn.destroy(); });

  // Echo server: upper-cases what it reads, FINs after the client's FIN.
  serverConn.on('stream', (s: SpdyStream) => {
    void s.reply();
    if (s.header('streamtype') === 'reset-me') { s.reset(); return; }
    s.on('data', (b: Buffer) => s.write(Buffer.from(b.toString().toUpperCase())));
    s.on('end', () => s.end());
  });
  const s = await client.createStream({ streamtype: ['stdin'] });
  await s.waitReply(5000);
  assert.equal(s.id, 1);
  const got: Buffer[] = [];
  s.on('data', (b: Buffer) => got.push(b));
  const ended = new Promise<void>((r) => s.on('end', () => r()));
  s.write('hello ');
  s.end('world');
  await ended;
  assert.equal(Buffer.concat(got).toString(), 'HELLO WORLD');

  const big = Buffer.alloc(200_000, 'a');
  const s2 = await client.createStream({ streamtype: ['big'] });
  await s2.waitReply(5000);
  let n = 0;
  s2.on('data', (b: Buffer) => { n += b.length; });
  const e2 = new Promise<void>((r) => s2.on('end', () => r()));
  s2.end(big);
  await e2;
  assert.equal(n, big.length);

  const s3 = await client.createStream({ streamtype: ['reset-me'] });
  const closed = new Promise<void>((r) => s3.on('close', () => r()));
  s3.on('error', () => undefined);
  s3.resume();
  await closed;

  // A client ping (odd id) comes back.
  const pong = new Promise<void>((resolve) => {
    const codec = new FrameCodec();
    const sp = new FrameSplitter();
    cs.on('data', (c: Buffer) => { for (const r of sp.push(c)) void codec.decode(r).then((f) => { if (f.type === 'ping' && f.id === 9) resolve(); }, () => undefined); });
  });
  await client.send({ type: 'ping', id: 9 });
  await pong;

  const serverClosed = new Promise<void>((r) => serverConn.on('close', () => r()));
  await client.close();
  await serverClosed;
});
