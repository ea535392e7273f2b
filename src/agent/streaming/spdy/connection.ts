/**
 * A SPDY/3.1 connection over any byte duplex (an upgraded socket, or a WebSocket carrying SPDY
 * for kubectl's port-forward tunnel), as moby/spdystream speaks it:
 *
 *   - the peer opens streams with SYN_STREAM (client ids odd, server ids even); the receiver answers
 *     SYN_REPLY, and only then may data flow (spdystream drops data for unreplied streams);
 *   - a stream half-closes with FIN (an empty DATA frame with FLAG_FIN), aborts with RST_STREAM;
 *   - PINGs from the peer are echoed; GOAWAY ends the connection;
 *   - no flow control: spdystream neither sends nor honours WINDOW_UPDATE, so neither do we
 *     (SETTINGS and WINDOW_UPDATE are read and ignored). Socket backpressure still applies.
 *
 * Each stream is a Node Duplex: readable = the peer's data until its FIN, writable = our data,
 * end() sends FIN.
 */
import { Duplex } from 'node:stream';
import { EventEmitter } from 'node:events';
import { FrameCodec, FrameSplitter, RST, SpdyProtocolError, type Frame, type SpdyHeaders } from './frames.js';

const MAX_DATA_CHUNK = 32 * 1024;

export class SpdyStream extends Duplex {
  /** Headers of the SYN_STREAM that opened the stream. */
  readonly headers: SpdyHeaders;
  replied = false;
  private remoteFin = false;
  private localFin = false;
  private replyWaiters: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];

  constructor(readonly conn: SpdyConnection, readonly id: number, headers: SpdyHeaders) {
    super({ allowHalfOpen: true });
    this.headers = headers;
  }

  /** First value of a header (names are lower case on the wire). */
  header(name: string): string | undefined {
    return this.headers[name.toLowerCase()]?.[0];
  }

  /** Answers the SYN_STREAM (SYN_REPLY); needed before any data flows. */
  async reply(headers: SpdyHeaders = {}, fin = false): Promise<void> {
    if (this.replied) return;
    this.replied = true;
    if (fin) this.localFin = true;
    await this.conn.send({ type: 'syn_reply', streamId: this.id, fin, headers });
  }

  /** Resolves when the peer answered our SYN_STREAM. */
  waitReply(timeoutMs = 30_000): Promise<void> {
    if (this.replied) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timed out waiting for the reply to stream ${this.id}`)), timeoutMs);
      t.unref?.();
      this.replyWaiters.push({ resolve: () => { clearTimeout(t); resolve(); }, reject: (e) => { clearTimeout(t); reject(e); } });
    });
  }

  /** Aborts the stream (RST_STREAM CANCEL). */
  reset(status: number = RST.Cancel): void {
    if (!this.destroyed) {
      void this.conn.send({ type: 'rst_stream', streamId: this.id, status }).catch(() => undefined);
      this.conn.forget(this.id);
      this.destroy();
    }
  }

  /** The consumer wants more: let the connection read frames again if it stopped for us. */
  override _read(): void { this.conn.unblock(this); }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    if (this.localFin) { cb(new Error('write after FIN')); return; }
    const parts: Buffer[] = [];
    for (let o = 0; o < chunk.length; o += MAX_DATA_CHUNK) parts.push(chunk.subarray(o, o + MAX_DATA_CHUNK));
    Promise.all(parts.map((p) => this.conn.send({ type: 'data', streamId: this.id, fin: false, data: p }))).then(() => cb(), cb);
  }

  override _final(cb: (e?: Error | null) => void): void {
    if (this.localFin) { cb(); return; }
    this.localFin = true;
    this.conn.send({ type: 'data', streamId: this.id, fin: true, data: Buffer.alloc(0) }).then(() => { this.maybeDone(); cb(); }, cb);
  }

  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    this.conn.unblock(this);
    for (const w of this.replyWaiters.splice(0)) w.reject(err ?? new Error('stream closed'));
    this.conn.forget(this.id);
    cb(err);
  }

  /** @internal */
  onFrame(f: Frame): void {
    switch (f.type) {
      case 'data':
        // Like spdystream's unbuffered channel: a stream whose reader is behind holds up the
        // connection's reading, so TCP backpressure reaches the sender (SPDY flow control is unused).
        if (f.data.length && !this.push(f.data)) this.conn.block(this);
        if (f.fin) this.onRemoteFin();
        break;
      case 'syn_reply':
        this.replied = true;
        for (const w of this.replyWaiters.splice(0)) w.resolve();
        if (f.fin) this.onRemoteFin();
        break;
      case 'headers':
        if (f.fin) this.onRemoteFin();
        break;
      case 'rst_stream':
        for (const w of this.replyWaiters.splice(0)) w.reject(new Error(`stream ${this.id} reset by peer (status ${f.status})`));
        this.remoteFin = true;
        this.push(null);
        this.localFin = true;
        this.conn.forget(this.id);
        this.destroy();
        break;
      default:
        break;
    }
  }

  /** @internal the connection went away */
  onConnectionClosed(): void {
    for (const w of this.replyWaiters.splice(0)) w.reject(new Error('connection closed'));
    if (!this.remoteFin) { this.remoteFin = true; this.push(null); }
    this.localFin = true;
    this.destroy();
  }

  private onRemoteFin(): void {
    if (this.remoteFin) return;
    this.remoteFin = true;
    this.push(null);
    this.maybeDone();
  }

  private maybeDone(): void {
    if (this.remoteFin && this.localFin) this.conn.forget(this.id);
  }
}

export interface SpdyConnectionOptions {
  /** true on the side that accepted the upgrade (creates even stream ids). */
  server: boolean;
}

/**
 * Events: 'stream' (SpdyStream, opened by the peer), 'close' (the connection is gone),
 * 'error' is not emitted: protocol errors close the connection and are reported with 'close'.
 */
export class SpdyConnection extends EventEmitter {
  private readonly codec = new FrameCodec();
  private readonly splitter = new FrameSplitter();
  private readonly streams = new Map<number, SpdyStream>();
  private nextId: number;
  private lastPeerStream = 0;
  private sendChain: Promise<void> = Promise.resolve();
  private recvChain: Promise<void> = Promise.resolve();
  private closed = false;
  /** Why the connection closed (undefined: orderly). */
  closeError: Error | undefined;

  constructor(private readonly socket: Duplex, opts: SpdyConnectionOptions) {
    super();
    this.nextId = opts.server ? 2 : 1;
    socket.on('data', (chunk: Buffer) => {
      let frames: Buffer[];
      try { frames = this.splitter.push(chunk); } catch (e) { this.fail(e as Error); return; }
      for (const raw of frames) {
        this.recvChain = this.recvChain.then(async () => {
          if (this.closed) return;
          const f = await this.codec.decode(raw);
          this.dispatch(f);
        }).catch((e: unknown) => this.fail(e instanceof Error ? e : new Error(String(e))));
      }
    });
    socket.on('end', () => { void this.recvChain.then(() => this.shutdown()); });
    socket.on('close', () => { void this.recvChain.then(() => this.shutdown()); });
    socket.on('error', (e: Error) => this.fail(e));
  }

  get isClosed(): boolean { return this.closed; }

  /** Opens a stream (client side use: tests and tools). */
  async createStream(headers: SpdyHeaders, fin = false): Promise<SpdyStream> {
    if (this.closed) throw new Error('connection closed');
    const id = this.nextId;
    this.nextId += 2;
    const s = new SpdyStream(this, id, headers);
    this.streams.set(id, s);
    await this.send({ type: 'syn_stream', streamId: id, assocId: 0, priority: 0, fin, unidirectional: false, headers });
    return s;
  }

  /** Queues a frame; resolves once it was handed to the socket (waiting for drain when full). */
  send(f: Frame): Promise<void> {
    const p = this.sendChain.then(async () => {
      if (this.closed) throw new Error('connection closed');
      const buf = await this.codec.encode(f);
      if (!this.socket.write(buf)) {
        await new Promise<void>((resolve) => {
          const done = () => { this.socket.off('drain', done); this.socket.off('close', done); resolve(); };
          this.socket.on('drain', done);
          this.socket.on('close', done);
        });
      }
    });
    this.sendChain = p.catch(() => undefined);
    return p;
  }

  /** Sends GOAWAY and closes the socket once everything queued was written. */
  async close(): Promise<void> {
    if (this.closed) return;
    // Read on to the peer's end of the connection even if a stream's reader stopped.
    this.blocked.clear();
    this.socket.resume();
    await this.send({ type: 'goaway', lastGoodStreamId: this.lastPeerStream, status: 0 }).catch(() => undefined);
    this.socket.end();
    this.shutdown();
  }

  /** Closes without GOAWAY. */
  destroy(err?: Error): void {
    if (err) this.closeError ??= err;
    this.socket.destroy();
    this.shutdown();
  }

  /** @internal */
  forget(id: number): void {
    this.streams.delete(id);
  }

  private readonly blocked = new Set<SpdyStream>();

  /** @internal a stream's reader is behind: stop reading the socket until it catches up */
  block(s: SpdyStream): void {
    this.blocked.add(s);
    this.socket.pause();
  }

  /** @internal */
  unblock(s: SpdyStream): void {
    if (this.blocked.delete(s) && this.blocked.size === 0 && !this.closed) this.socket.resume();
  }

  private fail(e: Error): void {
    this.closeError ??= e;
    if (e instanceof SpdyProtocolError) {
      void this.send({ type: 'goaway', lastGoodStreamId: this.lastPeerStream, status: 1 }).catch(() => undefined);
    }
    this.socket.destroy();
    this.shutdown();
  }

  private shutdown(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of [...this.streams.values()]) s.onConnectionClosed();
    this.streams.clear();
    this.codec.close();
    this.emit('close', this.closeError);
  }

  private dispatch(f: Frame): void {
    switch (f.type) {
      case 'syn_stream': {
        if (f.streamId <= this.lastPeerStream || this.streams.has(f.streamId)) {
          void this.send({ type: 'rst_stream', streamId: f.streamId, status: RST.ProtocolError }).catch(() => undefined);
          return;
        }
        this.lastPeerStream = f.streamId;
        const s = new SpdyStream(this, f.streamId, f.headers);
        // A write failing because the peer went away is the session's end, not a crash of the process.
        s.on('error', () => undefined);
        this.streams.set(f.streamId, s);
        if (f.fin) s.onFrame({ type: 'data', streamId: f.streamId, fin: true, data: Buffer.alloc(0) });
        this.emit('stream', s);
        return;
      }
      case 'data':
      case 'syn_reply':
      case 'headers':
      case 'rst_stream': {
        const s = this.streams.get(f.streamId);
        if (s) s.onFrame(f);
        return;
      }
      case 'ping':
        // Echo pings the peer started (ids of the other parity than ours); ours are answers.
        if ((f.id & 1) !== (this.nextId & 1)) void this.send(f).catch(() => undefined);
        return;
      case 'goaway':
        this.socket.end();
        this.shutdown();
        return;
      default:
        return; // settings, window_update, unknown: ignored (no flow control, as spdystream)
    }
  }
}

export { SpdyProtocolError };
