/**
 * The REST core called directly, for clients in the server's own process (controllers, scheduler):
 * a request and a response that live in memory, handed to ApiHandler.handle with the caller's
 * identity. Everything after authentication runs as for an HTTPS request — routing, admission,
 * defaulting, validation, managedFields, watch cache, errors as Status — without TLS, a socket or
 * HTTP parsing. Bodies stay JSON text: the text is also the copy that keeps callers from sharing
 * objects with the server (JSON.parse of stored text costs about what structuredClone does).
 *
 *   client ─► InProcessRequest ─► observeRequest (metrics) ─► ApiHandler.handle(req, res, user)
 *                                                               │ writeHead / write / end
 *   client ◄──────────────────────── ResponseSink ◄─── InProcessResponse
 */
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApiHandler } from './api-handler.js';
import { observeRequest, type ApiMetrics } from './metrics.js';
import type { UserInfo } from './user.js';

/** Where a response goes as the handler writes it. */
export interface ResponseSink {
  head(code: number): void;
  data(chunk: string): void;
  /** The response ended (complete = false: the handler abandoned it, as a reset connection). */
  end(complete: boolean): void;
}

export interface InProcessCall {
  method: string;
  /** Path and query string, e.g. `/api/v1/namespaces/default/pods?limit=10`. */
  url: string;
  headers: Record<string, string>;
  body?: string;
}

/** The request side: what the REST core reads of an IncomingMessage (method, url, headers, body, 'close'). */
class InProcessRequest extends EventEmitter {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  private readonly body: Buffer | undefined;

  constructor(call: InProcessCall) {
    super();
    this.method = call.method;
    this.url = call.url;
    this.body = call.body === undefined ? undefined : Buffer.from(call.body, 'utf8');
    this.headers = Object.fromEntries(Object.entries(call.headers).map(([k, v]) => [k.toLowerCase(), v]));
    if (this.body) this.headers['content-length'] = String(this.body.length);
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer> {
    if (this.body && this.body.length > 0) yield this.body;
  }

  resume(): this { return this; }
  destroy(): this { return this; }
}

/** The response side: what the REST core writes to a ServerResponse, passed on to a sink. */
class InProcessResponse extends EventEmitter {
  statusCode = 200;
  headersSent = false;
  destroyed = false;
  writableEnded = false;
  /** Nothing is buffered: every write reaches the sink at once. */
  readonly writableLength = 0;
  private readonly headerValues = new Map<string, unknown>();
  private closed = false;

  constructor(private readonly sink: ResponseSink) { super(); }

  setHeader(name: string, value: unknown): this { this.headerValues.set(name.toLowerCase(), value); return this; }
  getHeader(name: string): unknown { return this.headerValues.get(name.toLowerCase()); }

  writeHead(code: number, headers?: Record<string, unknown>): this {
    if (this.headersSent) return this;
    this.statusCode = code;
    for (const [k, v] of Object.entries(headers ?? {})) this.setHeader(k, v);
    this.sendHead();
    return this;
  }

  flushHeaders(): void { this.sendHead(); }

  write(chunk: string | Uint8Array, ...rest: unknown[]): boolean {
    if (this.writableEnded || this.destroyed) return false;
    this.sendHead();
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    if (text) this.sink.data(text);
    const cb = rest.find((x) => typeof x === 'function') as (() => void) | undefined;
    if (cb) queueMicrotask(cb);
    return true;
  }

  end(chunk?: string | Uint8Array | (() => void), ...rest: unknown[]): this {
    if (this.writableEnded || this.destroyed) return this;
    if (chunk !== undefined && typeof chunk !== 'function') this.write(chunk);
    this.sendHead();
    this.writableEnded = true;
    this.sink.end(true);
    this.emit('finish');
    this.close();
    const cb = [chunk, ...rest].find((x) => typeof x === 'function') as (() => void) | undefined;
    if (cb) queueMicrotask(cb);
    return this;
  }

  destroy(): this {
    if (this.destroyed) return this;
    this.destroyed = true;
    if (!this.writableEnded) this.sink.end(false);
    this.close();
    return this;
  }

  private sendHead(): void {
    if (this.headersSent) return;
    this.headersSent = true;
    this.sink.head(this.statusCode);
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.emit('close');
  }
}

export interface InProcessExchange {
  /** The caller went away (a watch stopped): the handler sees its request and response close. */
  abort(): void;
}

/** Serve one call on the REST core as `user`, counted in `metrics` like an HTTPS request. */
export function serveInProcess(handler: ApiHandler, user: UserInfo, call: InProcessCall, sink: ResponseSink, metrics?: ApiMetrics): InProcessExchange {
  const req = new InProcessRequest(call);
  const res = new InProcessResponse(sink);
  if (metrics) observeRequest(metrics, call.method, new URL(call.url, 'http://localhost'), req.headers['content-type'] ?? '', res);
  // from the event loop, as a request read from a socket would be: a controller that answers each
  // response with its next request must not keep the server's I/O (agents, kubectl) waiting
  setImmediate(() => { void handler.handle(req as unknown as IncomingMessage, res as unknown as ServerResponse, user).catch(() => res.destroy()); });
  return {
    abort() {
      req.emit('close');
      res.destroy();
    },
  };
}
