/**
 * The remote command protocol (exec and attach) over its two transports, as the kubelet serves it:
 *
 * WebSocket (subprotocols, first match in the client's order):
 *   v5.channel.k8s.io, v4.channel.k8s.io, v3.channel.k8s.io, v2.channel.k8s.io, channel.k8s.io
 *   (binary: first byte = channel), base64.channel.k8s.io and v4.base64.channel.k8s.io (text: first
 *   char '0'+channel, rest base64). Channels 0 stdin, 1 stdout, 2 stderr, 3 error, 4 resize;
 *   v5 adds 255 = close ([255, n]: the client closed its channel n, e.g. stdin EOF).
 *
 * SPDY/3.1 (header X-Stream-Protocol-Version: v4.channel.k8s.io, v3…, v2…, channel.k8s.io): the
 *   client opens one stream per channel, naming it with the `streamtype` header (error, stdin,
 *   stdout, stderr, resize); we reply to each and wait until all expected streams exist.
 *
 * The error channel carries, from v4 on, a metav1.Status JSON: Success, or Failure with reason
 * NonZeroExitCode and details.causes [{reason: ExitCode, message: "N"}]; before v4, only an error's
 * text. Resize messages are JSON {"Width":W,"Height":H} (on SPDY a stream of such objects).
 */
import { PassThrough, Writable, type Readable } from 'node:stream';
import type { WebSocket } from 'ws';
import type { TerminalSize } from '../../runtime/runtime.js';
import type { SpdyConnection, SpdyStream } from './spdy/connection.js';

export const WS_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io', 'v4.base64.channel.k8s.io', 'v3.channel.k8s.io', 'v2.channel.k8s.io', 'channel.k8s.io', 'base64.channel.k8s.io'];
export const SPDY_PROTOCOLS = ['v4.channel.k8s.io', 'v3.channel.k8s.io', 'v2.channel.k8s.io', 'channel.k8s.io'];

export interface StreamOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

/** What the command's outcome was. */
export interface CommandResult {
  exitCode?: number;
  /** An error that is not an exit code (container gone, command not found …). */
  error?: string;
}

/** One client session of exec or attach, whatever its transport. */
export interface RemoteCommandSession {
  protocol: string;
  stdin?: Readable;
  stdout?: Writable;
  stderr?: Writable;
  resize?: AsyncIterable<TerminalSize>;
  /** Aborted when the client goes away. */
  gone: AbortSignal;
  /** Reports the outcome on the error channel and closes the session. */
  finish(r: CommandResult): Promise<void>;
}

/** The metav1.Status JSON the kubelet writes on the error channel (v4 and v5). */
export function statusFor(r: CommandResult, command?: string[]): Record<string, unknown> {
  if (r.error !== undefined) {
    return { metadata: {}, status: 'Failure', message: `Internal error occurred: ${r.error}`, reason: 'InternalError', details: { causes: [{ message: r.error }] }, code: 500 };
  }
  if (r.exitCode && r.exitCode !== 0) {
    const what = command?.length ? `command '${command.join(' ')}' exited with ${r.exitCode}` : `exit code ${r.exitCode}`;
    return { metadata: {}, status: 'Failure', message: `command terminated with non-zero exit code: ${what}`, reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: String(r.exitCode) }] } };
  }
  return { metadata: {}, status: 'Success' };
}

/** Bytes for the error channel under `protocol`; empty when there is nothing to say. */
export function errorChannelPayload(protocol: string, r: CommandResult, command?: string[]): Buffer {
  if (protocol.startsWith('v4.') || protocol.startsWith('v5.')) return Buffer.from(JSON.stringify(statusFor(r, command)));
  const s = statusFor(r, command);
  return s.status === 'Success' ? Buffer.alloc(0) : Buffer.from(String(s.message));
}

/** A small async queue: push values, iterate them; end() finishes the iteration. */
export class AsyncQueue<T> implements AsyncIterable<T> {
  private items: T[] = [];
  private waiters: Array<(r: IteratorResult<T>) => void> = [];
  private ended = false;
  push(v: T): void {
    if (this.ended) return;
    const w = this.waiters.shift();
    if (w) w({ value: v, done: false });
    else this.items.push(v);
  }
  end(): void {
    this.ended = true;
    for (const w of this.waiters.splice(0)) w({ value: undefined as never, done: true });
  }
  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => {
        const v = this.items.shift();
        if (v !== undefined) return Promise.resolve({ value: v, done: false });
        if (this.ended) return Promise.resolve({ value: undefined as never, done: true });
        return new Promise((r) => this.waiters.push(r));
      },
      return: () => { this.end(); return Promise.resolve({ value: undefined as never, done: true }); },
    };
  }
}

/**
 * Terminal sizes as the runtime should apply them: each size at once, and the last one of a burst
 * once more after `quietMs` without changes. conmon 2.1.6 applies only the first size when two reach
 * its winsz FIFO in one read, and kubectl sends bursts (attach: size+1 then size, to force a redraw);
 * re-sending the final size makes it stick. Setting a size twice is harmless.
 */
export function settledResizes(source: AsyncIterable<TerminalSize>, quietMs = 100): AsyncIterable<TerminalSize> {
  return {
    [Symbol.asyncIterator]() {
      const out = new AsyncQueue<TerminalSize>();
      let timer: NodeJS.Timeout | undefined;
      void (async () => {
        for await (const s of source) {
          out.push(s);
          if (timer) clearTimeout(timer);
          timer = setTimeout(() => out.push(s), quietMs);
        }
        if (timer) clearTimeout(timer);
        out.end();
      })();
      return out[Symbol.asyncIterator]();
    },
  };
}

/** Parses resize JSON ({"Width":W,"Height":H}); undefined when malformed or empty. */
export function parseResize(text: string): TerminalSize | undefined {
  try {
    const o = JSON.parse(text) as { Width?: unknown; Height?: unknown };
    const w = Number(o.Width);
    const h = Number(o.Height);
    if (!Number.isInteger(w) || !Number.isInteger(h) || w <= 0 || h <= 0 || w > 0xffff || h > 0xffff) return undefined;
    return { width: w, height: h };
  } catch {
    return undefined;
  }
}

/** Splits a stream of concatenated JSON objects (Go's json.Decoder input) into object texts. */
export class JsonObjectSplitter {
  private buf = '';
  push(text: string): string[] {
    this.buf += text;
    const out: string[] = [];
    let depth = 0;
    let start = -1;
    let inStr = false;
    let esc = false;
    let consumed = 0;
    for (let i = 0; i < this.buf.length; i++) {
      const c = this.buf[i];
      if (inStr) {
        if (esc) esc = false;
        else if (c === '\\') esc = true;
        else if (c === '"') inStr = false;
        continue;
      }
      if (c === '"') inStr = true;
      else if (c === '{') { if (depth++ === 0) start = i; }
      else if (c === '}' && depth > 0) {
        if (--depth === 0) { out.push(this.buf.slice(start, i + 1)); consumed = i + 1; }
      }
    }
    this.buf = this.buf.slice(consumed);
    if (depth === 0 && !this.buf.trim()) this.buf = '';
    return out;
  }
}

// ───────────────────────────── WebSocket ─────────────────────────────

const CH_STDIN = 0, CH_STDOUT = 1, CH_STDERR = 2, CH_ERROR = 3, CH_RESIZE = 4, CH_CLOSE = 255;

/** Sends channel-prefixed messages in the negotiated encoding. */
export class WsChannelWriter {
  readonly base64: boolean;
  constructor(private readonly ws: WebSocket, protocol: string) {
    this.base64 = protocol.includes('base64');
  }
  send(channel: number, data: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.ws.readyState !== this.ws.OPEN) { reject(new Error('websocket closed')); return; }
      const cb = (e?: Error) => (e ? reject(e) : resolve());
      if (this.base64) this.ws.send(String.fromCharCode(48 + channel) + data.toString('base64'), { binary: false }, cb);
      else this.ws.send(Buffer.concat([Buffer.from([channel]), data]), { binary: true }, cb);
    });
  }
  /**
   * A Writable whose bytes go out on `channel`. Once the socket is closed its writes fail; the
   * stream then errors, which only means the client is gone (the session's `gone` signal stops the
   * command), so the error is not left unhandled (that crashed the whole process).
   */
  writable(channel: number): Writable {
    const w = new Writable({
      write: (chunk: Buffer, _e, cb) => { this.send(channel, chunk).then(() => cb(), cb); },
    });
    w.on('error', () => undefined);
    return w;
  }
}

/** Ends `w` and resolves once its buffered writes are done (or it failed / was already closed). */
function endWritable(w: Writable | undefined): Promise<void> {
  return new Promise<void>((res) => {
    if (!w || w.writableEnded || w.destroyed) { res(); return; }
    w.once('error', () => res());
    w.end(() => res());
  });
}

/** Decodes one incoming message into [channel, payload]. */
export function decodeWsMessage(data: Buffer, base64: boolean): [number, Buffer] | undefined {
  if (!data.length) return undefined;
  if (base64) {
    const ch = data[0] - 48;
    return [ch, Buffer.from(data.subarray(1).toString('latin1'), 'base64')];
  }
  return [data[0], data.subarray(1)];
}

/** Opens a remote command session on an accepted WebSocket. */
export function webSocketSession(ws: WebSocket, protocol: string, opts: StreamOptions, command?: string[]): RemoteCommandSession {
  const out = new WsChannelWriter(ws, protocol);
  const ac = new AbortController();
  const stdin = opts.stdin ? new PassThrough() : undefined;
  const resize = opts.tty ? new AsyncQueue<TerminalSize>() : undefined;
  const v5 = protocol.startsWith('v5.');
  ws.on('message', (data: Buffer) => {
    const m = decodeWsMessage(Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer), out.base64);
    if (!m) return;
    const [ch, payload] = m;
    if (ch === CH_STDIN && stdin && !stdin.writableEnded) {
      // Backpressure: stop reading the socket until the process has taken its input.
      if (!stdin.write(payload)) { ws.pause(); stdin.once('drain', () => ws.resume()); }
    }
    else if (ch === CH_RESIZE && resize) { const s = parseResize(payload.toString('utf8')); if (s) resize.push(s); }
    else if (ch === CH_CLOSE && v5 && payload[0] === CH_STDIN && stdin) stdin.end();
  });
  const gone = () => { stdin?.end(); resize?.end(); ac.abort(); };
  ws.on('close', gone);
  ws.on('error', gone);
  // The kubelet sends an empty message on the lowest writable channel: "the connection is established".
  void out.send(opts.stdout ? CH_STDOUT : opts.stderr && !opts.tty ? CH_STDERR : CH_ERROR, Buffer.alloc(0)).catch(() => undefined);
  let finished = false;
  const stdout = opts.stdout ? out.writable(CH_STDOUT) : undefined;
  const stderr = opts.stderr && !opts.tty ? out.writable(CH_STDERR) : undefined;
  return {
    protocol,
    stdin,
    stdout,
    stderr,
    resize: resize && settledResizes(resize),
    gone: ac.signal,
    async finish(r) {
      if (finished) return;
      finished = true;
      // Output still buffered in the writables goes out before the status and the close.
      await Promise.all([endWritable(stdout), endWritable(stderr)]);
      const payload = errorChannelPayload(protocol, r, command);
      if (payload.length) await out.send(CH_ERROR, payload).catch(() => undefined);
      resize?.end();
      if (ws.readyState === ws.OPEN) ws.close(1000);
    },
  };
}

// ───────────────────────────── SPDY ─────────────────────────────

/** Waits for the client's streams of a remote command session on a SPDY connection. */
export function spdySession(conn: SpdyConnection, protocol: string, opts: StreamOptions, command?: string[], timeoutMs = 30_000): Promise<RemoteCommandSession> {
  const want = new Set<string>(['error']);
  if (opts.stdin) want.add('stdin');
  if (opts.stdout) want.add('stdout');
  if (opts.stderr && !opts.tty) want.add('stderr');
  if (opts.tty && protocol !== 'channel.k8s.io' && protocol !== 'v2.channel.k8s.io' && protocol !== '') want.add('resize');
  const got = new Map<string, SpdyStream>();
  const ac = new AbortController();
  conn.on('close', () => ac.abort());
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      conn.off('stream', onStream);
      reject(new Error(`timed out waiting for client streams (have ${[...got.keys()].join(', ') || 'none'}, want ${[...want].join(', ')})`));
    }, timeoutMs);
    timer.unref?.();
    const onClose = () => { clearTimeout(timer); reject(new Error('connection closed before all streams were created')); };
    conn.once('close', onClose);
    const onStream = (s: SpdyStream) => {
      const type = s.header('streamtype') ?? '';
      void s.reply().catch(() => undefined);
      if (!want.has(type) || got.has(type)) { s.resume(); return; }
      got.set(type, s);
      if (type === 'stdout' || type === 'stderr' || type === 'error') s.resume(); // nothing comes from the client there
      if (got.size < want.size) return;
      clearTimeout(timer);
      conn.off('stream', onStream);
      conn.off('close', onClose);
      const errorStream = got.get('error')!;
      let resize: AsyncQueue<TerminalSize> | undefined;
      const rs = got.get('resize');
      if (rs) {
        resize = new AsyncQueue<TerminalSize>();
        const q = resize;
        const sp = new JsonObjectSplitter();
        rs.setEncoding('utf8');
        rs.on('data', (t: string) => { for (const o of sp.push(t)) { const z = parseResize(o); if (z) q.push(z); } });
        rs.on('end', () => q.end());
        rs.on('error', () => q.end());
      }
      const stdout = got.get('stdout');
      const stderr = got.get('stderr');
      // A write error on an output stream means the client is gone (`gone` stops the command);
      // left unhandled it would crash the process.
      for (const s of [stdout, stderr, errorStream]) s?.on('error', () => undefined);
      let finished = false;
      resolve({
        protocol,
        stdin: got.get('stdin'),
        stdout,
        stderr,
        resize: resize && settledResizes(resize),
        gone: ac.signal,
        async finish(r) {
          if (finished) return;
          finished = true;
          await Promise.all([endWritable(stdout), endWritable(stderr)]);
          const payload = errorChannelPayload(protocol, r, command);
          if (payload.length && !errorStream.destroyed) await new Promise<void>((res) => errorStream.write(payload, () => res()));
          await endWritable(errorStream);
          resize?.end();
          await conn.close();
        },
      });
    };
    conn.on('stream', onStream);
  });
}
