/**
 * Test helper: an in-process OCI registry on a free loopback port serving one image (the host's
 * static busybox as `sleep`, plus a big random file) whose big layer stalls half-way until `release()`. It counts the stalled blob's requests and sees when the
 * client drops one, so tests can show that a cancelled pull really closes its connection.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import type { AddressInfo, Socket } from 'node:net';
import { sha256 } from '../digest.js';
import { encodeTar, type TarEntry } from '../tar-writer.js';
import { MediaType } from '../media-types.js';

export interface SlowRegistry {
  /** "127.0.0.1:PORT" */
  host: string;
  /** Repository:tag of the image ("slow/app:1"). */
  image: string;
  /** Digest of the stalled layer blob. */
  stalledDigest: string;
  /** Requests for the stalled blob so far, and how many of them are still open. */
  readonly stalledRequests: number;
  readonly stalledOpen: number;
  /** Bytes of the stalled blob sent before the stall. */
  readonly sentBeforeStall: number;
  /** Lets every stalled (and future) blob response finish. */
  release(): void;
  /** Resolves when `pred()` holds (re-checked on every request event), rejects after `timeoutMs`. */
  until(pred: () => boolean, what: string, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

function layer(entries: Array<TarEntry & { content?: Buffer }>): { blob: Buffer; diffID: string } {
  const tar = encodeTar(entries.map((e) => ({ ...e, ...(e.content ? { size: e.content.length } : {}) })));
  return { blob: gzipSync(tar), diffID: sha256(tar) };
}

export async function startSlowRegistry(opts: { stalledBytes?: number } = {}): Promise<SlowRegistry> {
  // The host's static busybox with a `sleep` link, so that a pod can run the image.
  const small = layer([
    { path: 'bin', type: 'dir', mode: 0o755 },
    { path: 'bin/busybox', type: 'file', mode: 0o755, content: readFileSync('/bin/busybox') },
    { path: 'bin/sleep', type: 'symlink', mode: 0o777, linkname: '/bin/busybox' },
  ]);
  // Random content does not compress: the blob is about as big as the file.
  const big = layer([{ path: 'big.bin', type: 'file', mode: 0o644, content: randomBytes(opts.stalledBytes ?? 1 << 20) }]);
  const config = Buffer.from(JSON.stringify({
    architecture: 'amd64', os: 'linux', config: { Env: ['PATH=/bin'], Cmd: ['sleep', '3600'] },
    rootfs: { type: 'layers', diff_ids: [small.diffID, big.diffID] },
  }));
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: MediaType.ociManifest,
    config: { mediaType: MediaType.ociConfig, digest: sha256(config), size: config.length },
    layers: [small, big].map((l) => ({ mediaType: MediaType.ociLayerGzip, digest: sha256(l.blob), size: l.blob.length })),
  }));
  const blobs = new Map<string, Buffer>([[sha256(config), config], [sha256(small.blob), small.blob], [sha256(big.blob), big.blob]]);
  const stalledDigest = sha256(big.blob);
  const half = Math.floor(big.blob.length / 2);

  let stalledRequests = 0;
  let stalledOpen = 0;
  let sentBeforeStall = 0;
  let released = false;
  const releaseWaiters: Array<() => void> = [];
  const watchers = new Set<() => void>();
  const changed = () => { for (const w of [...watchers]) w(); };
  const sockets = new Set<Socket>();

  const send = (res: ServerResponse, status: number, body: Buffer, type: string, head: boolean) => {
    res.writeHead(status, { 'Content-Type': type, 'Content-Length': body.length, 'Docker-Content-Digest': sha256(body) });
    res.end(head ? undefined : body);
  };

  const server: Server = createServer((req, res) => {
    const url = req.url ?? '';
    const head = req.method === 'HEAD';
    if (url === '/v2/' || url === '/v2') { res.writeHead(200, { 'Content-Type': 'application/json' }); res.end('{}'); return; }
    if (url === '/v2/slow/app/manifests/1' || url === `/v2/slow/app/manifests/${sha256(manifest)}`) { send(res, 200, manifest, MediaType.ociManifest, head); return; }
    const m = /^\/v2\/slow\/app\/blobs\/(sha256:[0-9a-f]{64})$/.exec(url);
    const blob = m ? blobs.get(m[1]!) : undefined;
    if (!blob) { res.writeHead(404, { 'Content-Type': 'application/json' }); res.end('{"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown to registry"}]}'); return; }
    if (m![1] !== stalledDigest) { send(res, 200, blob, 'application/octet-stream', head); return; }
    stalledRequests++;
    stalledOpen++;
    res.on('close', () => { stalledOpen--; changed(); });
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': blob.length });
    res.write(blob.subarray(0, half), () => { sentBeforeStall = half; changed(); });
    const finish = () => { if (!res.destroyed) res.end(blob.subarray(half)); };
    if (released) finish(); else releaseWaiters.push(finish);
    changed();
  });
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(0, '127.0.0.1', () => resolve()); });
  const port = (server.address() as AddressInfo).port;

  return {
    host: `127.0.0.1:${port}`,
    image: 'slow/app:1',
    stalledDigest,
    get stalledRequests() { return stalledRequests; },
    get stalledOpen() { return stalledOpen; },
    get sentBeforeStall() { return sentBeforeStall; },
    release() { released = true; for (const f of releaseWaiters.splice(0)) f(); },
    until(pred, what, timeoutMs = 10_000) {
      if (pred()) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const check = () => { if (pred()) { done(); resolve(); } };
        const timer = setTimeout(() => { done(); reject(new Error(`slow registry: timed out after ${timeoutMs} ms waiting for ${what}`)); }, timeoutMs);
        const done = () => { clearTimeout(timer); watchers.delete(check); };
        watchers.add(check);
      });
    },
    async stop() {
      released = true;
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
