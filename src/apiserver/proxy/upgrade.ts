/**
 * Upgrade requests (WebSocket, SPDY/3.1) for the REST core. Node hands a request carrying
 * `Connection: Upgrade` to the server's 'upgrade' listener with the raw socket, and to no 'request'
 * listener. `serveUpgrades` turns it into the usual (req, res) call: `res` is a ServerResponse on
 * that socket (so any handler can answer with a normal Status error), and the socket and the bytes
 * already read after the headers are kept for the handler that takes the connection over
 * (`takeUpgrade`).
 */
import { ServerResponse, type IncomingMessage, type Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

export interface UpgradeConnection {
  socket: Duplex;
  /** Bytes the client sent after the request headers (already read by Node). */
  head: Buffer;
}

const pending = new WeakMap<IncomingMessage, UpgradeConnection>();

/** The raw connection of an upgrade request (once: the caller owns it afterwards). */
export function takeUpgrade(req: IncomingMessage): UpgradeConnection | undefined {
  const u = pending.get(req);
  if (u) pending.delete(req);
  return u;
}

/** True when `req` arrived as an upgrade whose connection is still available. */
export function isUpgrade(req: IncomingMessage): boolean {
  return pending.has(req);
}

/**
 * Routes the server's upgrade requests to `handle(req, res)`. When the handler neither took the
 * socket nor answered, the connection is closed once it returns.
 */
export function serveUpgrades(server: HttpServer | HttpsServer, handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>): void {
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => undefined);
    const res = new ServerResponse(req);
    res.shouldKeepAlive = false;
    res.assignSocket(socket as Socket);
    res.on('finish', () => {
      res.detachSocket(socket as Socket);
      socket.end();
    });
    pending.set(req, { socket, head });
    handle(req, res).catch(() => undefined).finally(() => {
      if (pending.has(req)) {
        pending.delete(req);
        if (!res.headersSent) socket.destroy();
      }
    });
  });
}
