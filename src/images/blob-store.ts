/**
 * Content-addressed blobs under ROOT/blobs/sha256/<hex>. Every write goes to ROOT/tmp first, is
 * hashed while it streams, verified, and only then renamed into place, so a crash never leaves a
 * partial blob under its digest. Concurrent writes of one digest are done once.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { assertDigest, digestHex, newHasher, sha256 } from './digest.js';
import { ImagePullError } from './errors.js';
import { isCancellation, untilAborted } from './cancellation.js';

export class DigestMismatchError extends ImagePullError {
  constructor(readonly expected: string, readonly actual: string, what: string) {
    super('DigestMismatch', `failed to copy: ${what}: digest mismatch: expected ${expected}, got ${actual}`);
  }
}

export class SizeMismatchError extends ImagePullError {
  constructor(expected: number, actual: number, what: string) {
    super('DigestMismatch', `failed to copy: ${what}: size mismatch: expected ${expected} bytes, got ${actual}`);
  }
}

export class BlobStore {
  private readonly blobsDir: string;
  private readonly tmpDir: string;
  private readonly inflight = new Map<string, Promise<void>>();

  constructor(root: string) {
    this.blobsDir = join(root, 'blobs', 'sha256');
    this.tmpDir = join(root, 'tmp');
  }

  async init(): Promise<void> {
    await mkdir(this.blobsDir, { recursive: true });
    await mkdir(this.tmpDir, { recursive: true });
  }

  path(digest: string): string {
    return join(this.blobsDir, digestHex(assertDigest(digest, 'blob')));
  }

  async has(digest: string): Promise<boolean> {
    try {
      return (await stat(this.path(digest))).isFile();
    } catch {
      return false;
    }
  }

  async size(digest: string): Promise<number> {
    return (await stat(this.path(digest))).size;
  }

  async read(digest: string): Promise<Buffer> {
    return readFile(this.path(digest));
  }

  async readJson<T>(digest: string): Promise<T> {
    return JSON.parse((await this.read(digest)).toString('utf8')) as T;
  }

  /** A fresh path in the store's temp dir (same file system as the blobs, so rename is atomic). */
  tempPath(prefix: string): string {
    return join(this.tmpDir, `${prefix}-${process.pid}-${randomBytes(6).toString('hex')}`);
  }

  /** Stores `data`, verifying it against `expected` when given. Returns its digest. */
  async putBuffer(data: Buffer, expected?: string, what = 'blob'): Promise<string> {
    const actual = sha256(data);
    if (expected && expected !== actual) throw new DigestMismatchError(expected, actual, what);
    if (await this.has(actual)) return actual;
    const tmp = this.tempPath('put');
    await writeFile(tmp, data);
    await rename(tmp, this.path(actual));
    return actual;
  }

  /**
   * Ensures blob `digest` is present: if not, `open()` gives its content, which is streamed to disk,
   * verified (digest and, when known, size) and renamed into place. Concurrent calls share one copy.
   */
  async ensure(digest: string, open: () => Promise<Readable>, opts: { size?: number; what?: string; onBytes?: (n: number) => void; signal?: AbortSignal } = {}): Promise<void> {
    assertDigest(digest, opts.what ?? 'blob');
    for (;;) {
      if (await this.has(digest)) return;
      const running = this.inflight.get(digest);
      if (!running) break;
      try {
        // Our own signal still stops us while we wait for another caller's copy (which goes on).
        return await (opts.signal ? untilAborted(running, opts.signal) : running);
      } catch (e) {
        // Another caller's copy was cancelled: ours is not, so copy it ourselves.
        if (opts.signal?.aborted || !isCancellation(e)) throw e;
      }
    }
    const p = this.copyIn(digest, open, opts).finally(() => this.inflight.delete(digest));
    this.inflight.set(digest, p);
    return p;
  }

  private async copyIn(digest: string, open: () => Promise<Readable>, opts: { size?: number; what?: string; onBytes?: (n: number) => void; signal?: AbortSignal }): Promise<void> {
    const what = opts.what ?? `blob ${digest}`;
    const tmp = this.tempPath('ingest');
    const hasher = newHasher();
    let bytes = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        bytes += chunk.length;
        hasher.hash.update(chunk);
        opts.onBytes?.(chunk.length);
        if (opts.size !== undefined && bytes > opts.size) cb(new SizeMismatchError(opts.size, bytes, what));
        else cb(null, chunk);
      },
    });
    try {
      const source = await open();
      if (opts.signal) await pipeline(source, counter, createWriteStream(tmp), { signal: opts.signal });
      else await pipeline(source, counter, createWriteStream(tmp));
      if (opts.size !== undefined && bytes !== opts.size) throw new SizeMismatchError(opts.size, bytes, what);
      const actual = hasher.digest();
      if (actual !== digest) throw new DigestMismatchError(digest, actual, what);
      await rename(tmp, this.path(digest));
    } catch (err) {
      await rm(tmp, { force: true });
      if (opts.signal?.aborted) throw new ImagePullError('Cancelled', 'pull cancelled');
      throw err;
    }
  }

  /** Copies a local file in, verifying it. */
  async putFile(path: string, expected: string, what?: string): Promise<void> {
    await this.ensure(expected, async () => createReadStream(path), { what: what ?? path });
  }

  async list(): Promise<string[]> {
    const names = await readdir(this.blobsDir).catch(() => [] as string[]);
    return names.filter((n) => /^[a-f0-9]{64}$/.test(n)).map((n) => `sha256:${n}`);
  }

  async remove(digest: string): Promise<number> {
    const p = this.path(digest);
    const size = await stat(p).then((s) => s.size, () => 0);
    await rm(p, { force: true });
    return size;
  }

  /** Removes temp files left by crashed processes (names carry the writer's pid). */
  async cleanTemp(): Promise<void> {
    for (const n of await readdir(this.tmpDir).catch(() => [] as string[])) {
      if (!pidAlive(n)) await rm(join(this.tmpDir, n), { recursive: true, force: true });
    }
  }
}

/** True when the pid embedded in a temp name ("prefix-PID-rand") is a live process. */
export function pidAlive(name: string): boolean {
  const m = name.match(/-(\d+)-[a-z0-9]+$/);
  if (!m) return false;
  const pid = Number(m[1]);
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
