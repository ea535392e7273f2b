/**
 * Minimal HTTP(S) requests for the registry client, over node:http/https so that per-registry TLS
 * settings (insecure_skip_verify, CA, client certificates) apply. Redirects are followed, and
 * Authorization is dropped when a redirect leaves the origin (blob storage on another host).
 */
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { readFileSync } from 'node:fs';
import type { RegistryTls } from './registries-config.js';
import { ImagePullError } from './errors.js';

export interface HttpResponse {
  status: number;
  statusText: string;
  headers: IncomingHttpHeaders;
  body: IncomingMessage;
  url: string;
}

export interface HttpOptions {
  method?: 'GET' | 'HEAD';
  headers?: Record<string, string>;
  tls?: RegistryTls;
  /** No byte for this long (connect or read) fails the request. Default 30 s. */
  idleTimeoutMs?: number;
  maxRedirects?: number;
  /** Aborts the request and its response body. */
  signal?: AbortSignal;
}

function describeNetError(err: NodeJS.ErrnoException, method: string, url: URL): string {
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  const dial = `dial tcp ${url.hostname}:${port}`;
  switch (err.code) {
    case 'ECONNREFUSED': return `${method} "${url}": ${dial}: connect: connection refused`;
    case 'ENOTFOUND': case 'EAI_AGAIN': return `${method} "${url}": ${dial}: lookup ${url.hostname}: no such host`;
    case 'ETIMEDOUT': return `${method} "${url}": ${dial}: i/o timeout`;
    case 'ECONNRESET': return `${method} "${url}": connection reset by peer`;
    case 'EHOSTUNREACH': case 'ENETUNREACH': return `${method} "${url}": ${dial}: connect: no route to host`;
    default:
      if (/CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ERR_TLS|ERR_SSL/.test(err.code ?? '')) return `${method} "${url}": tls: failed to verify certificate: ${err.message}`;
      return `${method} "${url}": ${err.message}`;
  }
}

export async function request(urlStr: string, opts: HttpOptions = {}): Promise<HttpResponse> {
  const method = opts.method ?? 'GET';
  let url = new URL(urlStr);
  const headers = { ...(opts.headers ?? {}) };
  const origin = url.origin;
  for (let hop = 0; ; hop++) {
    const res = await once(method, url, headers, opts);
    const loc = res.headers.location;
    if ([301, 302, 303, 307, 308].includes(res.status) && loc) {
      res.body.resume();
      if (hop >= (opts.maxRedirects ?? 5)) throw new ImagePullError('Failed', `${method} "${urlStr}": too many redirects`);
      url = new URL(loc, url);
      if (url.origin !== origin) delete headers.Authorization;
      continue;
    }
    return res;
  }
}

function once(method: string, url: URL, headers: Record<string, string>, opts: HttpOptions): Promise<HttpResponse> {
  const isHttps = url.protocol === 'https:';
  const tls = opts.tls ?? {};
  const tlsOpts = isHttps ? {
    rejectUnauthorized: !tls.insecureSkipVerify,
    ...(tls.caFile ? { ca: readFileSync(tls.caFile) } : {}),
    ...(tls.certFile ? { cert: readFileSync(tls.certFile) } : {}),
    ...(tls.keyFile ? { key: readFileSync(tls.keyFile) } : {}),
  } : {};
  const fn = isHttps ? httpsRequest : httpRequest;
  const idle = opts.idleTimeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) { reject(cancelled()); return; }
    const req = fn(url, { method, headers: { 'User-Agent': 'peapod', ...headers }, ...tlsOpts, ...(opts.signal ? { signal: opts.signal } : {}) }, (res) => {
      res.setTimeout(idle, () => res.destroy(new ImagePullError('Unreachable', `${method} "${url}": i/o timeout reading the response (${idle} ms idle)`)));
      resolve({ status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', headers: res.headers, body: res, url: url.toString() });
    });
    req.setTimeout(idle, () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    req.on('error', (err: NodeJS.ErrnoException) => reject(err instanceof ImagePullError ? err
      : opts.signal?.aborted ? cancelled()
        : new ImagePullError('Unreachable', describeNetError(err, method === 'HEAD' ? 'Head' : 'Get', url))));
    req.end();
  });
}

/** Reads a (small) response body, capped at `limit` bytes. */
export async function readBody(res: HttpResponse, limit = 16 << 20): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of res.body as AsyncIterable<Buffer>) {
    n += c.length;
    if (n > limit) {
      res.body.destroy();
      throw new ImagePullError('Failed', `response from ${res.url} is larger than ${limit} bytes`);
    }
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}

/** The error of a pull stopped through its AbortSignal. */
export function cancelled(): ImagePullError {
  return new ImagePullError('Cancelled', 'pull cancelled');
}
