/**
 * Unpacks one image layer (tar, tar+gzip or tar+zstd) into a directory usable as an overlayfs
 * lower dir, and computes its diffID (sha256 of the uncompressed tar).
 *
 * GNU tar does the extraction: it preserves owners, modes, mtimes, symlinks, hardlinks, device
 * nodes and xattrs, refuses `..` members and defers dangerous symlinks. While the stream flows
 * into it, a tar parser lists the entries so that OCI whiteouts can be converted afterwards:
 *   - `.wh.NAME`      → character device 0,0 named NAME (overlayfs whiteout)
 *   - `.wh..wh..opq`  → xattr trusted.overlay.opaque=y on its directory
 * The conversion goes through a second, generated tar (device nodes and trusted.* xattrs cannot be
 * made from Node), which also restores the parent directories' metadata.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, open, unlink } from 'node:fs/promises';
import { posix, join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Parser, type ReadEntry } from 'tar';
import { encodeTar, type TarEntry } from './tar-writer.js';
import { ImagePullError } from './errors.js';

export interface UnpackResult {
  /** sha256 of the uncompressed layer tar: "sha256:<hex>". */
  diffID: string;
  /** Bytes of the uncompressed tar stream. */
  tarSize: number;
  /** Sum of the regular files' sizes (an estimate of the disk space used). */
  contentSize: number;
  entries: number;
  whiteouts: number;
  opaqueDirs: number;
}

export type Compression = 'gzip' | 'zstd' | 'none';

const WH_PREFIX = '.wh.';
const WH_OPAQUE = '.wh..wh..opq';
const TAR_FLAGS = [
  '--extract', '--file=-', '--numeric-owner', '--same-owner', '--same-permissions',
  '--xattrs', '--xattrs-include=*', '--no-acls', '--no-selinux', '--warning=no-unknown-keyword',
  '--warning=no-timestamp',
];

/** Detects the compression from the first bytes of a blob. */
export async function detectCompression(path: string): Promise<Compression> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(4);
    const { bytesRead } = await fh.read(buf, 0, 4, 0);
    if (bytesRead >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) return 'gzip';
    if (bytesRead === 4 && buf.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
    return 'none';
  } finally {
    await fh.close();
  }
}

interface Child { stdin: Writable; done: Promise<void>; kill(): void }

function run(cmd: string, args: string[], stdio: { stdin: 'pipe'; stdout: 'pipe' | 'ignore' }): { proc: ReturnType<typeof spawn>; done: Promise<void> } {
  const proc = spawn(cmd, args, { stdio: [stdio.stdin, stdio.stdout, 'pipe'] });
  let stderr = '';
  proc.stderr?.setEncoding('utf8').on('data', (d: string) => { if (stderr.length < 4096) stderr += d; });
  const done = new Promise<void>((resolve, reject) => {
    proc.on('error', (err) => reject(new Error(`${cmd}: ${err.message}`)));
    proc.on('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${cmd} ${signal ? `killed by ${signal}` : `exited with ${code}`}: ${stderr.trim() || 'no output'}`));
    });
  });
  return { proc, done };
}

function startTar(dir: string): Child {
  const { proc, done } = run('tar', [...TAR_FLAGS, `--directory=${dir}`], { stdin: 'pipe', stdout: 'ignore' });
  proc.stdin!.on('error', () => { /* EPIPE when tar fails early: the exit status reports it */ });
  return { stdin: proc.stdin!, done, kill: () => { proc.kill('SIGKILL'); } };
}

function decompressed(path: string, compression: Compression): { stream: Readable; done: Promise<void>; kill(): void } {
  const file = createReadStream(path, { highWaterMark: 1 << 20 });
  if (compression === 'none') return { stream: file, done: Promise.resolve(), kill: () => file.destroy() };
  if (compression === 'gzip') {
    const gunzip = createGunzip();
    file.on('error', (e) => gunzip.destroy(e));
    return { stream: file.pipe(gunzip), done: Promise.resolve(), kill: () => { file.destroy(); gunzip.destroy(); } };
  }
  file.destroy();
  const { proc, done } = run('zstd', ['-dc', '--', path], { stdin: 'pipe', stdout: 'pipe' });
  proc.stdin!.end();
  return { stream: proc.stdout!, done, kill: () => { proc.kill('SIGKILL'); } };
}

function cleanPath(p: string): string | undefined {
  const n = posix.normalize('/' + p).slice(1).replace(/\/$/, '');
  return n.startsWith('..') ? undefined : n;
}

/**
 * Unpacks the layer blob at `blobPath` into the existing empty directory `dir`. When `signal`
 * aborts, tar (and zstd) are killed and it fails with reason Cancelled; the caller removes `dir`.
 */
export async function unpackLayer(blobPath: string, dir: string, signal?: AbortSignal): Promise<UnpackResult> {
  if (process.getuid?.() !== 0) {
    throw new Error('unpacking image layers needs root (file owners, device nodes, overlayfs whiteouts and trusted.* xattrs)');
  }
  if (signal?.aborted) throw unpackCancelled();
  const children: Array<{ kill(): void }> = [];
  const onAbort = () => { for (const c of children) c.kill(); };
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await unpackWith(blobPath, dir, children);
  } catch (e) {
    throw signal?.aborted ? unpackCancelled() : e;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

function unpackCancelled(): ImagePullError {
  return new ImagePullError('Cancelled', 'pull cancelled');
}

async function unpackWith(blobPath: string, dir: string, children: Array<{ kill(): void }>): Promise<UnpackResult> {
  const compression = await detectCompression(blobPath);
  const source = decompressed(blobPath, compression);
  const tar = startTar(dir);
  children.push(source, tar);
  // Both are awaited below; these handlers only keep an early failure from being "unhandled".
  source.done.catch(() => undefined);
  tar.done.catch(() => undefined);
  const hash = createHash('sha256');
  const names = new Set<string>();
  const whiteouts: Array<{ path: string; uid: number; gid: number }> = [];
  let tarSize = 0;
  let contentSize = 0;
  let entries = 0;
  let parseError: Error | undefined;
  const parser = new Parser({
    onReadEntry: (entry: ReadEntry) => {
      entries++;
      const p = cleanPath(entry.path);
      if (p !== undefined) {
        const base = posix.basename(p);
        if (base.startsWith(WH_PREFIX)) whiteouts.push({ path: p, uid: entry.uid ?? 0, gid: entry.gid ?? 0 });
        else names.add(p);
      }
      if (entry.type === 'File' || entry.type === 'OldFile' || entry.type === 'ContiguousFile') contentSize += entry.size ?? 0;
      entry.resume();
    },
  });
  // The parser only lists entries (GNU tar extracts); archive damage is fatal, unsupported entry
  // kinds that GNU tar handles are not.
  const FATAL = new Set(['TAR_ENTRY_INVALID', 'TAR_BAD_ARCHIVE', 'TAR_ABORT', 'TAR_ENTRY_ERROR']);
  parser.on('error', (e: Error) => { parseError ??= e; });
  parser.on('warn', (code: string, message: string | Error) => {
    if (FATAL.has(code)) parseError ??= message instanceof Error ? message : new Error(`${code}: ${message}`);
  });

  await new Promise<void>((resolve, reject) => {
    const s = source.stream;
    s.on('data', (chunk: Buffer) => {
      tarSize += chunk.length;
      hash.update(chunk);
      parser.write(chunk);
      if (!tar.stdin.write(chunk)) {
        s.pause();
        tar.stdin.once('drain', () => s.resume());
      }
    });
    s.on('error', (e) => { tar.stdin.destroy(); reject(new Error(`reading layer ${blobPath}: ${e.message}`)); });
    s.on('end', () => { parser.end(); tar.stdin.end(); resolve(); });
    tar.done.catch((e) => { s.destroy(); reject(e); });
  });
  await Promise.all([tar.done, source.done]);
  if (parseError) throw new Error(`invalid layer tar ${blobPath}: ${parseError.message}`);

  // Convert whiteouts.
  let opaqueDirs = 0;
  let whiteoutCount = 0;
  if (whiteouts.length > 0) {
    const dirs = new Map<string, TarEntry>();
    const devices: TarEntry[] = [];
    const captureDir = async (rel: string) => {
      if (dirs.has(rel)) return dirs.get(rel)!;
      const st = await lstat(join(dir, rel), { bigint: true });
      const e: TarEntry = {
        path: rel === '' ? '.' : rel, type: 'dir', mode: Number(st.mode & 0o7777n), uid: Number(st.uid), gid: Number(st.gid),
        mtime: Number(st.mtimeNs / 1000n) / 1e6,
      };
      dirs.set(rel, e);
      return e;
    };
    for (const w of whiteouts) await captureDir(posix.dirname(w.path) === '.' ? '' : posix.dirname(w.path));
    for (const w of whiteouts) {
      const parent = posix.dirname(w.path) === '.' ? '' : posix.dirname(w.path);
      const base = posix.basename(w.path);
      await unlink(join(dir, w.path)).catch((e: NodeJS.ErrnoException) => { if (e.code !== 'ENOENT') throw e; });
      if (base === WH_OPAQUE) {
        const d = dirs.get(parent)!;
        d.xattrs = { 'trusted.overlay.opaque': 'y' };
        opaqueDirs++;
      } else if (!base.startsWith(WH_PREFIX + WH_PREFIX)) {
        const target = parent === '' ? base.slice(WH_PREFIX.length) : `${parent}/${base.slice(WH_PREFIX.length)}`;
        if (names.has(target)) continue; // the same layer re-creates it: the whiteout only hides lower layers' copy
        devices.push({ path: target, type: 'char', mode: 0, uid: w.uid, gid: w.gid, devmajor: 0, devminor: 0 });
        whiteoutCount++;
      }
    }
    // Depth-first order: GNU tar applies a directory's metadata as soon as it meets a member outside
    // that directory, so each directory must be followed directly by its own fix-ups.
    const key = (e: TarEntry) => (e.path === '.' ? [] : e.path.split('/'));
    const fixupEntries = [...dirs.values(), ...devices].sort((a, b) => {
      const ka = key(a), kb = key(b);
      for (let i = 0; i < Math.min(ka.length, kb.length); i++) if (ka[i] !== kb[i]) return ka[i]! < kb[i]! ? -1 : 1;
      return ka.length - kb.length;
    });
    const fixup = encodeTar(fixupEntries);
    const child = startTar(dir);
    children.push(child);
    child.stdin.end(fixup);
    await child.done.catch((e: Error) => { throw new Error(`converting whiteouts in ${dir}: ${e.message}`); });
  }
  return { diffID: `sha256:${hash.digest('hex')}`, tarSize, contentSize, entries, whiteouts: whiteoutCount, opaqueDirs };
}
