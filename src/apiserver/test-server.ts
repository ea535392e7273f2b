/** A real HTTP server around the API handler, for handler-level tests (plain HTTP, free port). */
import { createServer, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Store } from '../storage/store.js';
import type { Clock } from '../util/clock.js';
import { createApiHandler, type ApiHandler, type ApiHandlerDeps } from './api-handler.js';
import type { UserInfo } from './user.js';

export interface TestResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** The parsed JSON body (undefined when not JSON). */
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export interface TestServer {
  url: string;
  port: number;
  handler: ApiHandler;
  store: Store;
  request(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<TestResponse>;
  close(): Promise<void>;
}

export const adminUser: UserInfo = { username: 'system:admin', groups: ['system:masters', 'system:authenticated'] };

export async function startTestServer(store: Store, opts: Partial<ApiHandlerDeps> & { clock?: Clock } = {}): Promise<TestServer> {
  const handler = createApiHandler({ store, serviceAccountAdmission: 'off', ...opts });
  await handler.ready;
  const server = createServer((req, res) => { void handler.handle(req, res, adminUser); });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const request = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => new Promise<TestResponse>((resolve, reject) => {
    const data = body === undefined ? undefined : typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
    const h: Record<string, string> = { ...headers };
    if (data !== undefined && !h['Content-Type']) h['Content-Type'] = 'application/json';
    if (data !== undefined) h['Content-Length'] = String(Buffer.byteLength(data));
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers: h }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown;
        try { parsed = JSON.parse(text); } catch { parsed = undefined; }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body: parsed });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (data !== undefined) req.write(data);
    req.end();
  });
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    handler,
    store,
    request,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await handler.close();
    },
  };
}
