/**
 * SPDY/3.1 framing (draft-mbelshe-httpbis-spdy-00 / SPDY Protocol draft 3.1), the subset Kubernetes
 * streaming uses (moby/spdystream on the other side):
 *
 *   control frame:  |1| version(15)=3 | type(16) |  flags(8) | length(24) | payload
 *   data frame:     |0| stream-id(31)            |  flags(8) | length(24) | data
 *
 *   SYN_STREAM(1)    stream-id(31) assoc-id(31) pri(3)+unused(5) slot(8) header-block
 *   SYN_REPLY(2)     stream-id(31) header-block
 *   RST_STREAM(3)    stream-id(31) status(32)
 *   SETTINGS(4)      count(32) { flags(8) id(24) value(32) }*
 *   PING(6)          id(32)
 *   GOAWAY(7)        last-good-stream-id(31) status(32)
 *   HEADERS(8)       stream-id(31) header-block
 *   WINDOW_UPDATE(9) stream-id(31) delta(31)
 *
 * Header blocks are `count(32) { len(32) name len(32) value }*` (names lower case, several values of
 * one name separated by NUL), compressed with one zlib stream per direction for the whole
 * connection, primed with the SPDY/3 dictionary and flushed (Z_SYNC_FLUSH) after each block.
 * Compression is stateful and ordered, so encode/decode calls are serialised here.
 */
import zlib from 'node:zlib';
import { SPDY3_DICTIONARY } from './dictionary.js';

export const FLAG_FIN = 0x01;
export const FLAG_UNIDIRECTIONAL = 0x02;

export const enum ControlType {
  SynStream = 1,
  SynReply = 2,
  RstStream = 3,
  Settings = 4,
  Ping = 6,
  GoAway = 7,
  Headers = 8,
  WindowUpdate = 9,
}

/** RST_STREAM status codes. */
export const RST = { ProtocolError: 1, InvalidStream: 2, RefusedStream: 3, Cancel: 5, InternalError: 6, StreamInUse: 8, StreamAlreadyClosed: 9 } as const;

/** Lower-case header name → its values. */
export type SpdyHeaders = Record<string, string[]>;

export type Frame =
  | { type: 'data'; streamId: number; fin: boolean; data: Buffer }
  | { type: 'syn_stream'; streamId: number; assocId: number; priority: number; fin: boolean; unidirectional: boolean; headers: SpdyHeaders }
  | { type: 'syn_reply'; streamId: number; fin: boolean; headers: SpdyHeaders }
  | { type: 'rst_stream'; streamId: number; status: number }
  | { type: 'settings'; entries: Array<{ flags: number; id: number; value: number }> }
  | { type: 'ping'; id: number }
  | { type: 'goaway'; lastGoodStreamId: number; status: number }
  | { type: 'headers'; streamId: number; fin: boolean; headers: SpdyHeaders }
  | { type: 'window_update'; streamId: number; delta: number }
  | { type: 'unknown'; controlType: number };

export class SpdyProtocolError extends Error {
  constructor(message: string) { super(message); this.name = 'SpdyProtocolError'; }
}

/** Largest frame payload we accept (the length field allows 16 MiB). */
export const MAX_FRAME_PAYLOAD = 0xffffff;

/** A zlib stream used block by block: each call's output is flushed with Z_SYNC_FLUSH. */
class ZlibBlocks {
  private chain: Promise<unknown> = Promise.resolve();
  private out: Buffer[] = [];
  private failed: Error | undefined;
  constructor(private readonly z: zlib.Deflate | zlib.Inflate) {
    z.on('data', (b: Buffer) => this.out.push(b));
    z.on('error', (e: Error) => { this.failed = e; });
  }
  run(input: Buffer): Promise<Buffer> {
    const p = this.chain.then(() => new Promise<Buffer>((resolve, reject) => {
      if (this.failed) { reject(this.failed); return; }
      const onError = (e: Error) => reject(new SpdyProtocolError(`header block: ${e.message}`));
      this.z.once('error', onError);
      this.z.write(input);
      this.z.flush(zlib.constants.Z_SYNC_FLUSH, () => {
        this.z.off('error', onError);
        if (this.failed) { reject(new SpdyProtocolError(`header block: ${this.failed.message}`)); return; }
        resolve(Buffer.concat(this.out.splice(0)));
      });
    }));
    this.chain = p.catch(() => undefined);
    return p;
  }
  close(): void { this.z.close(); }
}

export function encodeHeaderBlock(h: SpdyHeaders): Buffer {
  const parts: Buffer[] = [];
  const names = Object.keys(h);
  const u32 = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32BE(n); return b; };
  parts.push(u32(names.length));
  for (const name of names) {
    const n = Buffer.from(name.toLowerCase(), 'utf8');
    const v = Buffer.from(h[name].join('\0'), 'utf8');
    parts.push(u32(n.length), n, u32(v.length), v);
  }
  return Buffer.concat(parts);
}

export function decodeHeaderBlock(b: Buffer): SpdyHeaders {
  const out: SpdyHeaders = {};
  if (b.length < 4) throw new SpdyProtocolError('header block too short');
  const count = b.readUInt32BE(0);
  let o = 4;
  const take = (): Buffer => {
    if (o + 4 > b.length) throw new SpdyProtocolError('truncated header block');
    const len = b.readUInt32BE(o);
    o += 4;
    if (o + len > b.length) throw new SpdyProtocolError('truncated header block');
    const v = b.subarray(o, o + len);
    o += len;
    return v;
  };
  for (let i = 0; i < count; i++) {
    const name = take().toString('utf8').toLowerCase();
    if (!name) throw new SpdyProtocolError('empty header name');
    const values = take().toString('utf8').split('\0');
    (out[name] ??= []).push(...values);
  }
  return out;
}

function controlHeader(type: number, flags: number, length: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt16BE(0x8000 | 3, 0);
  b.writeUInt16BE(type, 2);
  b.writeUInt32BE(((flags & 0xff) << 24 | (length & 0xffffff)) >>> 0, 4);
  return b;
}

/** Encodes and decodes frames of one connection (one compression context per direction). */
export class FrameCodec {
  private readonly deflate = new ZlibBlocks(zlib.createDeflate({ dictionary: SPDY3_DICTIONARY, level: 9 }));
  private readonly inflate = new ZlibBlocks(zlib.createInflate({ dictionary: SPDY3_DICTIONARY }));

  close(): void {
    this.deflate.close();
    this.inflate.close();
  }

  /** Bytes of a frame. Header-carrying frames must be encoded in the order they are sent. */
  async encode(f: Frame): Promise<Buffer> {
    const u32 = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32BE(n >>> 0); return b; };
    switch (f.type) {
      case 'data': {
        if (f.data.length > MAX_FRAME_PAYLOAD) throw new SpdyProtocolError('data frame too large');
        const h = Buffer.alloc(8);
        h.writeUInt32BE(f.streamId & 0x7fffffff, 0);
        h.writeUInt32BE(((f.fin ? FLAG_FIN : 0) << 24 | f.data.length) >>> 0, 4);
        return Buffer.concat([h, f.data]);
      }
      case 'syn_stream': {
        const block = await this.deflate.run(encodeHeaderBlock(f.headers));
        const body = Buffer.alloc(10);
        body.writeUInt32BE(f.streamId & 0x7fffffff, 0);
        body.writeUInt32BE(f.assocId & 0x7fffffff, 4);
        body[8] = (f.priority & 0x7) << 5;
        body[9] = 0;
        const flags = (f.fin ? FLAG_FIN : 0) | (f.unidirectional ? FLAG_UNIDIRECTIONAL : 0);
        return Buffer.concat([controlHeader(ControlType.SynStream, flags, body.length + block.length), body, block]);
      }
      case 'syn_reply':
      case 'headers': {
        const block = await this.deflate.run(encodeHeaderBlock(f.headers));
        const t = f.type === 'syn_reply' ? ControlType.SynReply : ControlType.Headers;
        return Buffer.concat([controlHeader(t, f.fin ? FLAG_FIN : 0, 4 + block.length), u32(f.streamId & 0x7fffffff), block]);
      }
      case 'rst_stream':
        return Buffer.concat([controlHeader(ControlType.RstStream, 0, 8), u32(f.streamId & 0x7fffffff), u32(f.status)]);
      case 'settings': {
        const parts = [u32(f.entries.length)];
        for (const e of f.entries) parts.push(u32(((e.flags & 0xff) << 24 | (e.id & 0xffffff)) >>> 0), u32(e.value));
        const body = Buffer.concat(parts);
        return Buffer.concat([controlHeader(ControlType.Settings, 0, body.length), body]);
      }
      case 'ping':
        return Buffer.concat([controlHeader(ControlType.Ping, 0, 4), u32(f.id)]);
      case 'goaway':
        return Buffer.concat([controlHeader(ControlType.GoAway, 0, 8), u32(f.lastGoodStreamId & 0x7fffffff), u32(f.status)]);
      case 'window_update':
        return Buffer.concat([controlHeader(ControlType.WindowUpdate, 0, 8), u32(f.streamId & 0x7fffffff), u32(f.delta & 0x7fffffff)]);
      case 'unknown':
        throw new SpdyProtocolError('cannot encode an unknown frame');
    }
  }

  /** Decodes one complete frame (8-byte header + payload). Header blocks must be decoded in arrival order. */
  async decode(raw: Buffer): Promise<Frame> {
    const first = raw.readUInt32BE(0);
    const flags = raw[4];
    const payload = raw.subarray(8);
    if ((first & 0x80000000) === 0) {
      return { type: 'data', streamId: first & 0x7fffffff, fin: (flags & FLAG_FIN) !== 0, data: payload };
    }
    const version = (first >>> 16) & 0x7fff;
    if (version !== 3) throw new SpdyProtocolError(`unsupported SPDY version ${version}`);
    const type = first & 0xffff;
    const need = (n: number) => { if (payload.length < n) throw new SpdyProtocolError(`control frame ${type} too short`); };
    const fin = (flags & FLAG_FIN) !== 0;
    switch (type) {
      case ControlType.SynStream: {
        need(10);
        const headers = decodeHeaderBlock(await this.inflate.run(payload.subarray(10)));
        return { type: 'syn_stream', streamId: payload.readUInt32BE(0) & 0x7fffffff, assocId: payload.readUInt32BE(4) & 0x7fffffff, priority: payload[8] >> 5, fin, unidirectional: (flags & FLAG_UNIDIRECTIONAL) !== 0, headers };
      }
      case ControlType.SynReply:
      case ControlType.Headers: {
        need(4);
        const headers = decodeHeaderBlock(await this.inflate.run(payload.subarray(4)));
        const streamId = payload.readUInt32BE(0) & 0x7fffffff;
        return type === ControlType.SynReply ? { type: 'syn_reply', streamId, fin, headers } : { type: 'headers', streamId, fin, headers };
      }
      case ControlType.RstStream:
        need(8);
        return { type: 'rst_stream', streamId: payload.readUInt32BE(0) & 0x7fffffff, status: payload.readUInt32BE(4) };
      case ControlType.Settings: {
        need(4);
        const n = payload.readUInt32BE(0);
        need(4 + n * 8);
        const entries = [];
        for (let i = 0; i < n; i++) {
          const a = payload.readUInt32BE(4 + i * 8);
          entries.push({ flags: a >>> 24, id: a & 0xffffff, value: payload.readUInt32BE(8 + i * 8) });
        }
        return { type: 'settings', entries };
      }
      case ControlType.Ping:
        need(4);
        return { type: 'ping', id: payload.readUInt32BE(0) };
      case ControlType.GoAway:
        need(4);
        return { type: 'goaway', lastGoodStreamId: payload.readUInt32BE(0) & 0x7fffffff, status: payload.length >= 8 ? payload.readUInt32BE(4) : 0 };
      case ControlType.WindowUpdate:
        need(8);
        return { type: 'window_update', streamId: payload.readUInt32BE(0) & 0x7fffffff, delta: payload.readUInt32BE(4) & 0x7fffffff };
      default:
        return { type: 'unknown', controlType: type };
    }
  }
}

/** Cuts a byte stream into raw frames (header + payload). */
export class FrameSplitter {
  private buf: Buffer = Buffer.alloc(0);
  push(chunk: Buffer): Buffer[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const frames: Buffer[] = [];
    while (this.buf.length >= 8) {
      const len = this.buf.readUInt32BE(4) & 0xffffff;
      if (this.buf.length < 8 + len) break;
      frames.push(Buffer.from(this.buf.subarray(0, 8 + len)));
      this.buf = this.buf.subarray(8 + len);
    }
    return frames;
  }
}
