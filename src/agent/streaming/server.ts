/**
 * The node agent's streaming endpoint (the kubelet's port 10250 paths), over HTTPS with a serving
 * certificate from the cluster CA; clients must present a certificate from the same CA, and only
 * the API server's identity (any `system:masters` member, or a user in `allowedUsers`) may use it.
 *
 *   GET  /healthz
 *   GET  /containerLogs/NS/POD/CONTAINER?follow&previous&tailLines&sinceSeconds&sinceTime&timestamps&limitBytes
 *   GET|POST /exec/NS/POD[/UID]/CONTAINER?command=…&input=1&output=1&error=1&tty=1   (upgrade: WebSocket or SPDY)
 *   GET|POST /attach/NS/POD[/UID]/CONTAINER?input=1&output=1&error=1&tty=1            (upgrade)
 *   GET|POST /portForward/NS/POD[/UID][?ports=…]                                       (upgrade)
 *
 * (`stdin`/`stdout`/`stderr`=true are accepted as well as the kubelet's input/output/error=1.)
 * Containers and sandboxes are found through the runtime by their io.kubernetes.* labels.
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ContainerStatus, Runtime } from '../../runtime/runtime.js';
import { logger } from '../../util/log.js';
import { readCriLog, parseTimestamp } from './cri-log.js';
import { SPDY_PROTOCOLS, WS_PROTOCOLS, spdySession, webSocketSession, type RemoteCommandSession, type StreamOptions } from './remotecommand.js';
import { SpdyConnection } from './spdy/connection.js';
import { dialInNetns, serveSpdyPortForward, serveWebSocketPortForward, webSocketDuplex, type PodDialer } from './port-forward.js';

const log = logger('streaming');

export const PORT_FORWARD_PROTOCOL = 'portforward.k8s.io';
export const PORT_FORWARD_TUNNEL_PROTOCOL = 'SPDY/3.1+portforward.k8s.io';
const TUNNEL_ALIAS = 'peapod.spdy-tunnel.portforward.k8s.io';
const WS_PORT_FORWARD_PROTOCOLS = [TUNNEL_ALIAS, 'v4.channel.k8s.io', 'v4.base64.channel.k8s.io', PORT_FORWARD_PROTOCOL];

export interface StreamingServerOptions {
  runtime: Runtime;
  nodeName: string;
  /** PEM serving certificate and key (signed by the cluster CA) and the CA that client certificates must chain to. */
  tls: { cert: string; key: string; ca: string };
  /** Default 10250; 0 picks a free port. */
  port?: number;
  /** Default 0.0.0.0. */
  bind?: string;
  /** Client certificate CNs allowed besides members of system:masters. */
  allowedUsers?: string[];
  /** Ports forwarded for hostNetwork pods or in tests: override how a pod port is dialled. */
  dialer?: (sandbox: { namespace: string; name: string; netnsPath?: string }, port: number) => Promise<Duplex>;
}

export interface StreamingServer {
  port: number;
  url: string;
  server: Server;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(readonly code: number, message: string) { super(message); }
}

function sendText(res: ServerResponse, code: number, text: string): void {
  if (res.headersSent) { res.destroy(); return; }
  res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text), 'X-Content-Type-Options': 'nosniff' });
  res.end(text);
}

function rejectUpgrade(socket: Duplex, code: number, text: string): void {
  const reason = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 500: 'Internal Server Error' }[code] ?? 'Error';
  if (!socket.writable) { socket.destroy(); return; }
  socket.end(`HTTP/1.1 ${code} ${reason}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`);
}

/** Who the client certificate says the caller is; undefined when none (or not from our CA). */
function peerIdentity(socket: TLSSocket): { cn: string; orgs: string[] } | undefined {
  if (!socket.authorized) return undefined;
  const cert = socket.getPeerCertificate();
  if (!cert || !cert.subject) return undefined;
  const s = cert.subject as unknown as Record<string, string | string[] | undefined>;
  const cn = s.CN;
  const o = s.O;
  return { cn: Array.isArray(cn) ? cn[0] : cn ?? '', orgs: o === undefined ? [] : Array.isArray(o) ? o : [o] };
}

interface Target { kind: 'containerLogs' | 'exec' | 'attach' | 'portForward'; namespace: string; pod: string; uid?: string; container?: string }

function parseTarget(pathname: string): Target | undefined {
  const parts = pathname.split('/').filter(Boolean).map((p) => decodeURIComponent(p));
  const kind = parts[0];
  if (kind === 'containerLogs' && parts.length === 4) return { kind, namespace: parts[1], pod: parts[2], container: parts[3] };
  if ((kind === 'exec' || kind === 'attach') && (parts.length === 4 || parts.length === 5)) {
    return { kind, namespace: parts[1], pod: parts[2], uid: parts.length === 5 ? parts[3] : undefined, container: parts[parts.length - 1] };
  }
  if (kind === 'portForward' && (parts.length === 3 || parts.length === 4)) return { kind, namespace: parts[1], pod: parts[2], uid: parts[3] };
  return undefined;
}

const flag = (q: URLSearchParams, ...names: string[]) => names.some((n) => ['1', 'true'].includes((q.get(n) ?? '').toLowerCase()));

function streamOptions(q: URLSearchParams): StreamOptions {
  const o = { stdin: flag(q, 'input', 'stdin'), stdout: flag(q, 'output', 'stdout'), stderr: flag(q, 'error', 'stderr'), tty: flag(q, 'tty') };
  if (o.tty && o.stderr) o.stderr = false; // a terminal merges the streams
  if (!o.stdin && !o.stdout && !o.stderr) throw new HttpError(400, 'you must specify at least 1 of stdin, stdout, stderr');
  return o;
}

/** The containers of NS/POD/NAME, newest attempt first. */
export async function findContainers(runtime: Runtime, namespace: string, pod: string, container: string, uid?: string): Promise<ContainerStatus[]> {
  const labels: Record<string, string> = { 'io.kubernetes.pod.namespace': namespace, 'io.kubernetes.pod.name': pod, 'io.kubernetes.container.name': container };
  if (uid) labels['io.kubernetes.pod.uid'] = uid;
  const list = await runtime.listContainers({ labels });
  return list.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || b.attempt - a.attempt);
}

export async function startStreamingServer(opts: StreamingServerOptions): Promise<StreamingServer> {
  const rt = opts.runtime;
  const allowed = new Set(opts.allowedUsers ?? []);
  const server = createServer({ key: opts.tls.key, cert: opts.tls.cert, ca: opts.tls.ca, requestCert: true, rejectUnauthorized: false, minVersion: 'TLSv1.2' });
  server.requestTimeout = 0;
  server.keepAliveTimeout = 30_000;
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, handleProtocols: (offered: Set<string>, req: IncomingMessage) => {
    const supported = (req as IncomingMessage & { peapodKind?: string }).peapodKind === 'portForward' ? WS_PORT_FORWARD_PROTOCOLS : WS_PROTOCOLS;
    for (const p of offered) if (supported.includes(p)) return p;
    return false;
  } });

  // 'SPDY/3.1+portforward.k8s.io' is not an RFC 6455 token ('/' is a separator) and ws refuses it in
  // Sec-WebSocket-Protocol; it is offered under an alias and named again in the 101 answer.
  wss.on('headers', (headers: string[]) => {
    for (let i = 0; i < headers.length; i++) {
      if (headers[i].toLowerCase() === `sec-websocket-protocol: ${TUNNEL_ALIAS}`) headers[i] = `Sec-WebSocket-Protocol: ${PORT_FORWARD_TUNNEL_PROTOCOL}`;
    }
  });

  const authorize = (req: IncomingMessage): void => {
    const who = peerIdentity(req.socket as TLSSocket);
    if (!who) throw new HttpError(401, 'Unauthorized');
    if (!who.orgs.includes('system:masters') && !allowed.has(who.cn)) {
      throw new HttpError(403, `Forbidden (user=${who.cn}, verb=get, resource=nodes, subresource=proxy)`);
    }
  };

  /** The container to exec in / attach to: the newest one, which must be running. */
  const runningContainer = async (t: Target): Promise<ContainerStatus> => {
    const list = await findContainers(rt, t.namespace, t.pod, t.container!, t.uid);
    const c = list[0];
    if (!c) throw new HttpError(404, `container not found ("${t.container}")`);
    if (c.state !== 'running') throw new HttpError(400, `container ${t.container} is not running (state ${c.state})`);
    return c;
  };

  const podDialer = async (t: Target): Promise<PodDialer> => {
    const sandboxes = (await rt.listPodSandboxes({ state: 'ready' })).filter((s) => s.config.namespace === t.namespace && s.config.name === t.pod && (!t.uid || s.config.uid === t.uid));
    const sb = sandboxes.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())[0];
    if (!sb) throw new HttpError(404, `pod ${t.namespace}/${t.pod} has no running sandbox on node ${opts.nodeName}`);
    const netns = sb.config.hostNetwork ? undefined : sb.netnsPath;
    const info = { namespace: t.namespace, name: t.pod, netnsPath: netns };
    return (port) => (opts.dialer ? opts.dialer(info, port) : dialInNetns(netns, port));
  };

  // ── logs ──
  const serveLogs = async (req: IncomingMessage, res: ServerResponse, t: Target, q: URLSearchParams): Promise<void> => {
    const list = await findContainers(rt, t.namespace, t.pod, t.container!);
    const previous = flag(q, 'previous');
    const c = previous ? list[1] : list[0];
    if (!c) {
      if (previous) throw new HttpError(400, `previous terminated container "${t.container}" in pod "${t.pod}" not found`);
      throw new HttpError(400, `container "${t.container}" in pod "${t.pod}" is not available`);
    }
    const num = (name: string): number | undefined => {
      const v = q.get(name);
      if (v === null || v === '') return undefined;
      const n = Number(v);
      if (!Number.isInteger(n)) throw new HttpError(400, `invalid ${name}: ${v}`);
      return n;
    };
    let sinceMs: number | undefined;
    const sinceSeconds = num('sinceSeconds');
    if (sinceSeconds !== undefined) sinceMs = Date.now() - sinceSeconds * 1000;
    const sinceTime = q.get('sinceTime');
    if (sinceTime) {
      const t2 = parseTimestamp(sinceTime);
      if (!t2) throw new HttpError(400, `invalid sinceTime: ${sinceTime}`);
      sinceMs = t2.ms;
    }
    const follow = flag(q, 'follow') && !previous;
    const ac = new AbortController();
    res.on('close', () => ac.abort());
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache' });
    res.flushHeaders();
    await readCriLog(c.logPath, {
      follow,
      tailLines: num('tailLines'),
      sinceMs,
      timestamps: flag(q, 'timestamps'),
      limitBytes: num('limitBytes'),
      signal: ac.signal,
      isRunning: async () => {
        try { return (await rt.containerStatus(c.id)).state === 'running'; } catch { return false; }
      },
    }, (chunk) => new Promise<void>((resolve) => {
      if (res.destroyed) { resolve(); return; }
      if (res.write(chunk)) { resolve(); return; }
      const done = () => { res.off('drain', done); res.off('close', done); resolve(); };
      res.on('drain', done);
      res.on('close', done);
    }));
    res.end();
  };

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'https://agent');
      if (url.pathname === '/healthz') { sendText(res, 200, 'ok'); return; }
      authorize(req);
      const t = parseTarget(url.pathname);
      if (!t) throw new HttpError(404, '404 page not found');
      if (t.kind === 'containerLogs') {
        if (req.method !== 'GET') throw new HttpError(405, 'method not allowed');
        return serveLogs(req, res, t, url.searchParams);
      }
      throw new HttpError(400, 'Upgrade request required');
    })().catch((e: unknown) => {
      if (e instanceof HttpError) sendText(res, e.code, e.message);
      else { log.warn('streaming request failed', { path: req.url, err: (e as Error).message }); sendText(res, 500, (e as Error).message); }
    });
  });

  const runCommand = async (session: RemoteCommandSession, t: Target, c: ContainerStatus, command: string[] | undefined, tty: boolean): Promise<void> => {
    try {
      if (t.kind === 'exec') {
        // A client that goes away takes its process with it (a terminal exec would otherwise live on under conmon).
        const code = await rt.exec(c.id, command!, { tty, stdin: session.stdin, stdout: session.stdout, stderr: session.stderr, resize: session.resize, signal: session.gone });
        await session.finish({ exitCode: code });
      } else {
        const ac = new AbortController();
        session.gone.addEventListener('abort', () => ac.abort());
        await rt.attach(c.id, { stdin: session.stdin, stdout: session.stdout, stderr: session.stderr, resize: session.resize, signal: ac.signal });
        await session.finish({ exitCode: 0 });
      }
    } catch (e) {
      await session.finish({ error: (e as Error).message });
    }
  };

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => undefined);
    void (async () => {
      const url = new URL(req.url ?? '/', 'https://agent');
      authorize(req);
      const t = parseTarget(url.pathname);
      if (!t || t.kind === 'containerLogs') throw new HttpError(404, '404 page not found');
      (req as IncomingMessage & { peapodKind?: string }).peapodKind = t.kind;
      const q = url.searchParams;
      log.debug('upgrade request', { path: url.pathname, upgrade: req.headers.upgrade, wsProtocols: req.headers['sec-websocket-protocol'], streamProtocols: headerValues(req, 'x-stream-protocol-version').join(',') });
      const isWs = String(req.headers.upgrade ?? '').toLowerCase() === 'websocket';
      const isSpdy = String(req.headers.upgrade ?? '').toLowerCase() === 'spdy/3.1';
      if (!isWs && !isSpdy) throw new HttpError(400, `unsupported upgrade: ${req.headers.upgrade ?? ''}`);

      if (t.kind === 'portForward') {
        const dial = await podDialer(t);
        const podLabel = `${t.pod}_${t.namespace}`;
        if (isSpdy) {
          const offered = headerValues(req, 'x-stream-protocol-version');
          if (!offered.includes(PORT_FORWARD_PROTOCOL)) throw new HttpError(403, `unable to upgrade: unable to negotiate protocol: client supports ${JSON.stringify(offered)}, server supports ["${PORT_FORWARD_PROTOCOL}"]`);
          log.debug('port-forward session', { pod: podLabel, transport: 'spdy', protocol: PORT_FORWARD_PROTOCOL });
          const conn = spdyUpgrade(socket, head, PORT_FORWARD_PROTOCOL);
          await serveSpdyPortForward(conn, podLabel, dial);
          return;
        }
        const offeredWs = String(req.headers['sec-websocket-protocol'] ?? '');
        if (offeredWs.includes(PORT_FORWARD_TUNNEL_PROTOCOL)) {
          req.headers['sec-websocket-protocol'] = offeredWs.split(',').map((p) => p.trim()).map((p) => (p === PORT_FORWARD_TUNNEL_PROTOCOL ? TUNNEL_ALIAS : p)).filter((p) => !p.includes('/')).join(', ');
        }
        wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
          log.debug('port-forward session', { pod: podLabel, transport: 'websocket', protocol: ws.protocol });
          if (ws.protocol === TUNNEL_ALIAS) {
            const conn = new SpdyConnection(webSocketDuplex(ws), { server: true });
            void serveSpdyPortForward(conn, podLabel, dial);
            return;
          }
          const ports = q.getAll('ports').flatMap((p) => p.split(',')).map((p) => Number(p)).filter((p) => Number.isInteger(p) && p > 0 && p < 65536);
          void serveWebSocketPortForward(ws, ws.protocol, ports, podLabel, dial);
        });
        return;
      }

      const so = streamOptions(q);
      const command = t.kind === 'exec' ? q.getAll('command') : undefined;
      if (command && !command.length) throw new HttpError(400, 'you must specify a command');
      const c = await runningContainer(t);
      if (isSpdy) {
        const offered = headerValues(req, 'x-stream-protocol-version');
        const protocol = offered.length ? SPDY_PROTOCOLS.find((p) => offered.includes(p)) : 'channel.k8s.io';
        if (!protocol) throw new HttpError(403, `unable to upgrade: unable to negotiate protocol: client supports ${JSON.stringify(offered)}, server supports ${JSON.stringify(SPDY_PROTOCOLS)}`);
        log.debug(`${t.kind} session`, { pod: `${t.namespace}/${t.pod}`, container: t.container, transport: 'spdy', protocol });
        const conn = spdyUpgrade(socket, head, offered.length ? protocol : undefined);
        let session: RemoteCommandSession;
        try { session = await spdySession(conn, protocol, so, command); } catch (e) { log.warn('spdy session failed', { err: (e as Error).message }); conn.destroy(); return; }
        await runCommand(session, t, c, command, so.tty);
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
        log.debug(`${t.kind} session`, { pod: `${t.namespace}/${t.pod}`, container: t.container, transport: 'websocket', protocol: ws.protocol });
        const session = webSocketSession(ws, ws.protocol, so, command);
        void runCommand(session, t, c, command, so.tty);
      });
    })().catch((e: unknown) => {
      if (e instanceof HttpError) rejectUpgrade(socket, e.code, e.message);
      else { log.warn('streaming upgrade failed', { path: req.url, err: (e as Error).message }); rejectUpgrade(socket, 500, (e as Error).message); }
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 10250, opts.bind ?? '0.0.0.0', () => { server.off('error', reject); resolve(); });
  });
  const port = (server.address() as AddressInfo).port;
  const host = !opts.bind || opts.bind === '0.0.0.0' ? '127.0.0.1' : opts.bind;
  log.info('streaming server listening', { node: opts.nodeName, port, bind: opts.bind ?? '0.0.0.0' });
  return {
    port,
    url: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
    server,
    async close() {
      for (const c of wss.clients) c.terminate();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** All values of a (possibly repeated, possibly comma-joined) header. */
function headerValues(req: IncomingMessage, name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    if (req.rawHeaders[i].toLowerCase() === name) out.push(...req.rawHeaders[i + 1].split(',').map((s) => s.trim()).filter(Boolean));
  }
  return out;
}

/** Answers 101 Switching Protocols to SPDY/3.1 and starts a server-side SPDY connection. */
function spdyUpgrade(socket: Duplex, head: Buffer, protocol: string | undefined): SpdyConnection {
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n${protocol ? `X-Stream-Protocol-Version: ${protocol}\r\n` : ''}\r\n`);
  if (head.length) socket.unshift(head);
  return new SpdyConnection(socket, { server: true });
}
