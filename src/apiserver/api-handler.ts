/**
 * The API server's REST core: everything after authentication. The HTTPS server (server.ts)
 * authenticates a request and calls handle(); this answers discovery, OpenAPI and every
 * resource verb from the resource definitions in src/api/resources/.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Store } from '../storage/store.js';
import type { Clock } from '../util/clock.js';
import { realClock } from '../util/clock.js';
import type { ResourceDef } from '../api/resources/types.js';
import type { UserInfo } from './user.js';
import { ApiError } from '../api/errors.js';

export interface ApiHandlerDeps {
  store: Store;
  clock?: Clock;
  /** Resources to serve (default: all built-in resources). */
  resources?: ResourceDef[];
}

export interface ApiHandler {
  handle(req: IncomingMessage, res: ServerResponse, user: UserInfo): Promise<void>;
  resources(): ResourceDef[];
  close(): Promise<void>;
}

export function createApiHandler(deps: ApiHandlerDeps): ApiHandler {
  const clock = deps.clock ?? realClock;
  void clock;
  const defs = deps.resources ?? [];
  return {
    async handle(req, res) {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/version') {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ major: '1', minor: '30', gitVersion: 'v1.30.0-peapod' }));
        return;
      }
      const s = new ApiError(404, 'NotFound', 'the server could not find the requested resource').toStatus();
      res.writeHead(404, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(s));
    },
    resources: () => defs,
    async close() {},
  };
}
