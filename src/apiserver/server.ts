/**
 * The API server's HTTPS front: TLS (cluster CA, client certificates), authentication, health
 * endpoints, metrics and the node-credential endpoint; everything else goes to the REST core
 * (api-handler.ts).
 *
 *   request ─► TLS ─► /healthz /livez /readyz (anonymous allowed)
 *                   ─► authenticate (client cert │ bearer SA token │ node join token) ─► 401
 *                   ─► /metrics                       (authenticated)
 *                   ─► /peapod/v1/node-credentials    (node join token only)
 *                   ─► ApiHandler.handle(req, res, user)
 */
import { createServer as createHttpsServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP, type AddressInfo } from 'node:net';
import { ApiError } from '../api/errors.js';
import type { ApiHandler } from './api-handler.js';
import type { ClusterPki } from '../pki/cluster-pki.js';
import { issueCert } from '../pki/certs.js';
import { Authenticator, BOOTSTRAP_USER } from './auth/authenticator.js';
import { ApiMetrics, observeRequest } from './metrics.js';
import { logger } from '../util/log.js';
import type { UserInfo } from './user.js';
import { serveUpgrades } from './proxy/upgrade.js';

const log = logger('apiserver');

export interface HttpsServerOptions {
  pki: ClusterPki;
  authenticator: Authenticator;
  /**
   * The REST core, or a function that builds it from the port the server bound (port 0: the one the
   * kernel chose) — for a handler that must advertise the port (the default/kubernetes Service).
   * It is called once the socket is bound, before any request is served.
   */
  handler: ApiHandler | ((port: number) => ApiHandler);
  metrics?: ApiMetrics;
  /** Resolves when the server may answer /readyz with 200 (default: the handler's own `ready`). */
  ready?: Promise<void>;
  bind?: string;
  port?: number;
}

export interface RunningHttpsServer {
  port: number;
  url: string;
  server: Server;
  /** Also serve on `address` (same port, same handlers), e.g. the pod bridge's gateway so pods reach the API. */
  addListener(address: string): Promise<void>;
  close(): Promise<void>;
}

function sendStatus(res: ServerResponse, err: ApiError): void {
  if (res.headersSent) { res.destroy(); return; }
  const body = JSON.stringify(err.toStatus());
  res.writeHead(err.code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function sendText(res: ServerResponse, code: number, text: string): void {
  res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

const starting = () => new ApiError(503, 'ServiceUnavailable', 'the API server is starting', {});

const healthPaths = new Set(['/healthz', '/livez', '/readyz']);

export async function startHttpsServer(opts: HttpsServerOptions): Promise<RunningHttpsServer> {
  const metrics = opts.metrics ?? new ApiMetrics();
  let isReady = false;
  // set once the socket is bound (see listen below)
  let handler: ApiHandler | undefined;

  const tlsOptions = {
    key: opts.pki.server.keyPem,
    cert: opts.pki.server.certPem,
    ca: opts.pki.ca.certPem,
    requestCert: true,
    rejectUnauthorized: false,
    minVersion: 'TLSv1.2' as const,
  };
  const server = createHttpsServer(tlsOptions);
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 70_000;
  server.requestTimeout = 0; // watches and streams are long-lived

  const handleHealth = (url: URL, res: ServerResponse): void => {
    const name = url.pathname.slice(1);
    const ok = name !== 'readyz' || isReady;
    if (url.searchParams.has('verbose')) {
      const checks = name === 'readyz' ? ['ping', 'log', 'etcd', 'poststarthook/peapod-bootstrap'] : ['ping', 'log', 'etcd'];
      const lines = checks.map((c) => `[${ok || c !== 'poststarthook/peapod-bootstrap' ? '+' : '-'}]${c} ${ok || c !== 'poststarthook/peapod-bootstrap' ? 'ok' : 'failed: reason withheld'}`);
      sendText(res, ok ? 200 : 500, `${lines.join('\n')}\n${name} check ${ok ? 'passed' : 'failed'}\n`);
      return;
    }
    sendText(res, ok ? 200 : 500, ok ? 'ok' : `[-]poststarthook/peapod-bootstrap failed: not ready\n${name} check failed`);
  };

  const handleNodeCredentials = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method !== 'POST') throw ApiError.methodNotAllowed(req.method ?? '', 'node-credentials');
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req) {
      size += (c as Buffer).length;
      if (size > 4096) throw ApiError.requestEntityTooLarge();
      chunks.push(c as Buffer);
    }
    let nodeName: unknown;
    let addresses: unknown;
    try { ({ nodeName, addresses } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { nodeName?: unknown; addresses?: unknown }); } catch { throw ApiError.badRequest('body must be JSON: {"nodeName": "..."}'); }
    if (typeof nodeName !== 'string' || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(nodeName) || nodeName.length > 253) {
      throw ApiError.badRequest('nodeName: must be a lowercase RFC 1123 subdomain');
    }
    if (addresses !== undefined && (!Array.isArray(addresses) || addresses.length > 16 || !addresses.every((a) => typeof a === 'string' && /^[A-Za-z0-9.:-]{1,253}$/.test(a)))) {
      throw ApiError.badRequest('addresses: must be a list of at most 16 IP addresses or DNS names');
    }
    const cred = await issueCert(opts.pki.ca, { commonName: `system:node:${nodeName}`, organizations: ['system:nodes'], usage: 'client', days: 365 });
    // The serving certificate of the node's streaming endpoint (logs/exec/attach/port-forward), for its addresses.
    const addrs = [...((addresses as string[] | undefined) ?? []), '127.0.0.1'];
    const ips = [...new Set(addrs.filter((a) => isIP(a) !== 0))];
    const dnsNames = [...new Set([nodeName, ...addrs.filter((a) => isIP(a) === 0)])];
    const serving = await issueCert(opts.pki.ca, { commonName: `system:node:${nodeName}`, organizations: ['system:nodes'], usage: 'server', ips, dnsNames, days: 365 });
    const body = JSON.stringify({ nodeName, certificate: cred.certPem, key: cred.keyPem, ca: opts.pki.ca.certPem, servingCertificate: serving.certPem, servingKey: serving.keyPem });
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'https://localhost');
    observeRequest(metrics, req.method ?? 'GET', url, String(req.headers['content-type'] ?? ''), res);

    void (async () => {
      if (healthPaths.has(url.pathname) && (req.method === 'GET' || req.method === 'HEAD')) return handleHealth(url, res);
      let user: UserInfo | undefined;
      try {
        user = await opts.authenticator.authenticate(req);
      } catch (err) {
        return sendStatus(res, err instanceof ApiError ? err : ApiError.unauthorized());
      }
      if (!user) return sendStatus(res, ApiError.unauthorized());
      if (url.pathname === '/peapod/v1/node-credentials') {
        if (user !== BOOTSTRAP_USER) throw ApiError.forbidden('node credentials need the node join token');
        return handleNodeCredentials(req, res);
      }
      if (user === BOOTSTRAP_USER) throw ApiError.forbidden(`User "${user.username}" cannot use the API with the node join token; obtain node credentials first`);
      if (url.pathname === '/metrics' && req.method === 'GET') {
        const text = await metrics.registry.metrics();
        res.writeHead(200, { 'Content-Type': metrics.registry.contentType });
        res.end(text);
        return;
      }
      if (!handler) throw starting();
      await handler.handle(req, res, user);
    })().catch((err: unknown) => {
      if (err instanceof ApiError) return sendStatus(res, err);
      log.error('request failed', { method: req.method, path: url.pathname, err: err instanceof Error ? err.stack : String(err) });
      sendStatus(res, ApiError.internal(err instanceof Error ? err.message : String(err)));
    });
  };
  server.on('request', onRequest);

  // exec/attach/portforward upgrade (WebSocket, SPDY) requests: authenticated like the rest, then the REST core.
  const onUpgrade = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    let user: UserInfo | undefined;
    try { user = await opts.authenticator.authenticate(req); } catch (err) { return sendStatus(res, err instanceof ApiError ? err : ApiError.unauthorized()); }
    if (!user) return sendStatus(res, ApiError.unauthorized());
    if (user === BOOTSTRAP_USER) return sendStatus(res, ApiError.forbidden(`User "${user.username}" cannot use the API with the node join token; obtain node credentials first`));
    if (!handler) return sendStatus(res, starting());
    await handler.handle(req, res, user);
  };
  serveUpgrades(server, onUpgrade);

  const bind = opts.bind ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 6443, bind, () => { server.off('error', reject); resolve(); });
  });
  const port = (server.address() as AddressInfo).port;
  try {
    handler = typeof opts.handler === 'function' ? opts.handler(port) : opts.handler;
  } catch (err) {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    throw err;
  }
  const ready = opts.ready ?? handler.ready;
  isReady = !ready;
  ready?.then(() => { isReady = true; }, (err) => log.error('server failed to become ready', { err }));
  const host = bind === '0.0.0.0' || bind === '::' ? '127.0.0.1' : bind;
  const extra: Server[] = [];
  return {
    port,
    url: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
    server,
    async addListener(address: string) {
      const s = createHttpsServer(tlsOptions);
      Object.assign(s, { keepAliveTimeout: server.keepAliveTimeout, headersTimeout: server.headersTimeout, requestTimeout: 0 });
      s.on('request', onRequest);
      serveUpgrades(s, onUpgrade);
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(port, address, () => { s.off('error', reject); resolve(); });
      });
      extra.push(s);
    },
    async close() {
      for (const s of [server, ...extra]) {
        s.closeAllConnections();
        await new Promise<void>((resolve) => s.close(() => resolve()));
      }
    },
  };
}
