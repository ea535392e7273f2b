/**
 * The four ways to check a container (probes) or act on it (lifecycle hooks): exec in the
 * container, HTTP GET, TCP connect, gRPC health check. Results carry the kubelet's failure texts
 * (`HTTP probe failed with statuscode: 500`, `dial tcp 10.0.0.5:80: connect: connection refused`,
 * `service unhealthy (responded with "NOT_SERVING")`).
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect as netConnect } from 'node:net';
import { connect as http2Connect } from 'node:http2';
import type { Container, ExecAction, HTTPGetAction, TCPSocketAction, GRPCAction } from 'kubernetes-types/core/v1.js';
import type { Runtime } from '../../runtime/runtime.js';

export interface HandlerResult { ok: boolean; output: string }

export function resolvePort(port: number | string | undefined, c: Container): number {
  if (typeof port === 'number') return port;
  if (port === undefined) throw new Error('port is required');
  if (/^\d+$/.test(port)) return Number(port);
  const p = (c.ports ?? []).find((x) => x.name === port);
  if (!p) throw new Error(`couldn't find port: ${port} in ${c.name}`);
  return p.containerPort;
}

function goError(e: NodeJS.ErrnoException, host: string, port: number): string {
  const where = `dial tcp ${host}:${port}`;
  if (e.code === 'ECONNREFUSED') return `${where}: connect: connection refused`;
  if (e.code === 'ETIMEDOUT' || e.message === 'timeout') return `${where}: i/o timeout`;
  if (e.code === 'EHOSTUNREACH') return `${where}: connect: no route to host`;
  return `${where}: ${e.message}`;
}

export async function runExec(runtime: Runtime, containerId: string, a: ExecAction, timeoutSeconds: number): Promise<HandlerResult> {
  const r = await runtime.execSync(containerId, a.command ?? [], timeoutSeconds);
  const output = Buffer.concat([r.stdout, r.stderr]).toString('utf8');
  if (r.timedOut) return { ok: false, output: `command ${JSON.stringify((a.command ?? []).join(' '))} timed out` };
  return { ok: r.exitCode === 0, output };
}

export function runHttpGet(a: HTTPGetAction, c: Container, podIP: string, timeoutSeconds: number): Promise<HandlerResult> {
  const host = a.host || podIP;
  const port = resolvePort(a.port as number | string, c);
  const scheme = (a.scheme ?? 'HTTP').toLowerCase();
  const path = a.path ? (a.path.startsWith('/') ? a.path : `/${a.path}`) : '/';
  const url = `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}${path}`;
  const headers: Record<string, string> = { 'User-Agent': 'kube-probe/1.30', Accept: '*/*' };
  for (const h of a.httpHeaders ?? []) headers[h.name] = h.value;
  return new Promise((resolve) => {
    const fn = scheme === 'https' ? httpsRequest : httpRequest;
    const req = fn(url, { method: 'GET', headers, timeout: timeoutSeconds * 1000, rejectUnauthorized: false }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (b: Buffer) => { if (size < 10240) { chunks.push(b); size += b.length; } });
      res.on('end', () => {
        const code = res.statusCode ?? 0;
        const body = Buffer.concat(chunks).toString('utf8');
        if (code >= 200 && code < 400) resolve({ ok: true, output: body });
        else resolve({ ok: false, output: `HTTP probe failed with statuscode: ${code}` });
      });
      res.on('error', (e) => resolve({ ok: false, output: e.message }));
    });
    req.on('timeout', () => { req.destroy(); resolve({ ok: false, output: `Get "${url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)` }); });
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ ok: false, output: `Get "${url}": ${goError(e, host, port)}` }));
    req.end();
  });
}

export function runTcp(a: TCPSocketAction, c: Container, podIP: string, timeoutSeconds: number): Promise<HandlerResult> {
  const host = a.host || podIP;
  const port = resolvePort(a.port as number | string, c);
  return new Promise((resolve) => {
    const s = netConnect({ host, port });
    const timer = setTimeout(() => { s.destroy(); resolve({ ok: false, output: `dial tcp ${host}:${port}: i/o timeout` }); }, timeoutSeconds * 1000);
    s.once('connect', () => { clearTimeout(timer); s.destroy(); resolve({ ok: true, output: '' }); });
    s.once('error', (e: NodeJS.ErrnoException) => { clearTimeout(timer); resolve({ ok: false, output: goError(e, host, port) }); });
  });
}

const SERVING_STATUS = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'];

/** grpc.health.v1.Health/Check over cleartext HTTP/2, as the kubelet's gRPC probe. */
export function runGrpc(a: GRPCAction, podIP: string, timeoutSeconds: number): Promise<HandlerResult> {
  const addr = `${podIP}:${a.port}`;
  return new Promise((resolve) => {
    let done = false;
    const finish = (r: HandlerResult) => { if (!done) { done = true; clearTimeout(timer); session.close(); session.destroy(); resolve(r); } };
    const session = http2Connect(`http://${addr}`);
    const timer = setTimeout(() => finish({ ok: false, output: `timeout: health rpc did not complete within ${timeoutSeconds}s` }), timeoutSeconds * 1000);
    session.on('error', (e: NodeJS.ErrnoException) => finish({ ok: false, output: `timeout: failed to connect service "${addr}" within ${timeoutSeconds}s: ${e.message}` }));
    const service = Buffer.from(a.service ?? '', 'utf8');
    const msg = service.length ? Buffer.concat([Buffer.from([0x0a, service.length]), service]) : Buffer.alloc(0);
    const frame = Buffer.alloc(5 + msg.length);
    frame.writeUInt8(0, 0);
    frame.writeUInt32BE(msg.length, 1);
    msg.copy(frame, 5);
    const stream = session.request({ ':method': 'POST', ':path': '/grpc.health.v1.Health/Check', 'content-type': 'application/grpc', te: 'trailers', 'user-agent': 'kube-probe/1.30' });
    const chunks: Buffer[] = [];
    let grpcStatus: string | undefined;
    let grpcMessage = '';
    stream.on('response', (h) => { if (h['grpc-status'] !== undefined) grpcStatus = String(h['grpc-status']); });
    stream.on('trailers', (h) => { grpcStatus = String(h['grpc-status'] ?? grpcStatus); grpcMessage = String(h['grpc-message'] ?? ''); });
    stream.on('data', (b: Buffer) => chunks.push(b));
    stream.on('error', (e) => finish({ ok: false, output: e.message }));
    stream.on('end', () => {
      if (grpcStatus !== undefined && grpcStatus !== '0') {
        finish({ ok: false, output: `rpc error: code = ${grpcStatus} desc = ${decodeURIComponent(grpcMessage)}` });
        return;
      }
      const body = Buffer.concat(chunks);
      let status = 0;
      if (body.length >= 5) {
        const m = body.subarray(5, 5 + body.readUInt32BE(1));
        for (let i = 0; i < m.length;) {
          const tag = m[i++];
          if (tag === 0x08) { status = m[i++]; break; }
          break;
        }
      }
      if (status === 1) finish({ ok: true, output: '' });
      else finish({ ok: false, output: `service unhealthy (responded with "${SERVING_STATUS[status] ?? status}")` });
    });
    stream.end(frame);
  });
}
