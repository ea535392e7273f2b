/**
 * An in-memory API for unit tests of controllers, the scheduler and agents: the real REST core
 * (createApiHandler) over a MemoryStore, served on a loopback HTTP port with an admin user, and a
 * KubeClient for it. No TLS, no files; `close()` removes everything.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApiHandler, type ApiHandler } from '../apiserver/api-handler.js';
import { MemoryStore } from '../storage/memory/memory-store.js';
import type { Store } from '../storage/store.js';
import { HttpClient } from '../client/http-client.js';
import type { Clock } from '../util/clock.js';
import type { UserInfo } from '../apiserver/user.js';

export interface TestApi {
  url: string;
  store: Store;
  handler: ApiHandler;
  client: HttpClient;
  /** A client that acts as another user (e.g. a node: `system:node:n1`). */
  clientAs(user: UserInfo): Promise<HttpClient>;
  close(): Promise<void>;
}

const ADMIN: UserInfo = { username: 'system:admin', groups: ['system:masters', 'system:authenticated'] };

export async function startTestApi(opts: { clock?: Clock; store?: Store; serviceCIDR?: string; nodePortRange?: [number, number] } = {}): Promise<TestApi> {
  const store = opts.store ?? new MemoryStore();
  const handler = createApiHandler({ store, clock: opts.clock, serviceCIDR: opts.serviceCIDR, nodePortRange: opts.nodePortRange });
  const servers: Server[] = [];
  const clients: HttpClient[] = [];
  const serve = async (user: UserInfo): Promise<string> => {
    const server = createServer((req, res) => {
      handler.handle(req, res, user).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' });
        res.end(String(err));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    servers.push(server);
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };
  const url = await serve(ADMIN);
  const client = new HttpClient({ server: url });
  clients.push(client);
  const ready = (handler as { ready?: Promise<void> }).ready;
  if (ready) await ready;
  return {
    url,
    store,
    handler,
    client,
    async clientAs(user) {
      const c = new HttpClient({ server: await serve(user) });
      clients.push(c);
      return c;
    },
    async close() {
      for (const c of clients) c.close();
      for (const s of servers) { s.closeAllConnections(); await new Promise<void>((r) => s.close(() => r())); }
      await handler.close();
      await store.close();
    },
  };
}
