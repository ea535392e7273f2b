/**
 * Container log rotation, as the kubelet's container log manager does it
 * (--container-log-max-size 10Mi, --container-log-max-files 5):
 *
 *   0.log                       ← conmon writes here
 *   0.log.20261123-083240       ← the newest rotated file (kept plain: a follower may still read it)
 *   0.log.20261123-081502.gz    ← older rotated files, gzip-compressed
 *
 * When the live file exceeds maxSize it is renamed to `PATH.YYYYMMDD-HHMMSS` and conmon is asked to
 * reopen PATH (Runtime.reopenContainerLog); if that fails the rename is undone. Afterwards older
 * rotated files are compressed and the oldest removed so that at most maxFiles files remain
 * (the live one included). Followers of the log (cri-log.ts) notice the new inode and continue.
 */
import { createReadStream, createWriteStream, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { Runtime } from '../../runtime/runtime.js';
import { logger } from '../../util/log.js';

const log = logger('log-rotation');

export interface LogRotationOptions {
  /** Rotate when the live file is larger than this (bytes, default 10 MiB). */
  maxSizeBytes?: number;
  /** Files to keep per container, the live one included (default 5, at least 2). */
  maxFiles?: number;
}

function stamp(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}-${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`;
}

/** Rotated files of `logPath`, oldest first. */
export function rotatedFiles(logPath: string): string[] {
  const dir = dirname(logPath);
  const base = basename(logPath);
  let names: string[];
  try { names = readdirSync(dir); } catch { return []; }
  return names.filter((n) => n.startsWith(`${base}.`) && /^\d{8}-\d{6}(\.gz)?$/.test(n.slice(base.length + 1))).sort().map((n) => join(dir, n));
}

/**
 * Rotates the log of one running container when it is over the size limit.
 * Returns true when it rotated.
 */
export async function rotateContainerLog(runtime: Runtime, containerId: string, logPath: string, opts: LogRotationOptions = {}, now = Date.now()): Promise<boolean> {
  const maxSize = opts.maxSizeBytes ?? 10 * 1024 * 1024;
  const maxFiles = Math.max(2, opts.maxFiles ?? 5);
  let size: number;
  try { size = statSync(logPath).size; } catch { return false; }
  if (size <= maxSize) return false;
  let target = `${logPath}.${stamp(now)}`;
  for (let i = 1; rotatedFiles(logPath).some((f) => f === target || f === `${target}.gz`); i++) target = `${logPath}.${stamp(now + i * 1000)}`;
  renameSync(logPath, target);
  try {
    await runtime.reopenContainerLog(containerId);
  } catch (e) {
    renameSync(target, logPath); // keep writing to the old file rather than losing lines
    throw e;
  }
  await cleanUp(logPath, maxFiles);
  return true;
}

/** Compresses all rotated files but the newest, and removes the oldest beyond maxFiles - 1 rotated files. */
async function cleanUp(logPath: string, maxFiles: number): Promise<void> {
  let files = rotatedFiles(logPath);
  const excess = files.length - (maxFiles - 1);
  for (const f of files.slice(0, Math.max(0, excess))) rmSync(f, { force: true });
  files = rotatedFiles(logPath);
  for (const f of files.slice(0, -1)) {
    if (f.endsWith('.gz')) continue;
    await pipeline(createReadStream(f), createGzip(), createWriteStream(`${f}.gz.tmp`));
    renameSync(`${f}.gz.tmp`, `${f}.gz`);
    rmSync(f, { force: true });
  }
}

export interface LogRotator {
  /** One pass over every running container (also what the timer runs). */
  runOnce(): Promise<void>;
  stop(): void;
}

/** Checks every running container's log every `intervalMs` (default 10 s, as the kubelet). */
export function startLogRotation(runtime: Runtime, opts: LogRotationOptions & { intervalMs?: number } = {}): LogRotator {
  let running: Promise<void> | undefined;
  const runOnce = async () => {
    for (const c of await runtime.listContainers({ state: 'running' })) {
      try {
        if (await rotateContainerLog(runtime, c.id, c.logPath, opts)) log.debug('rotated container log', { container: c.id.slice(0, 12), name: c.name, path: c.logPath });
      } catch (e) {
        log.warn('log rotation failed', { container: c.id.slice(0, 12), err: (e as Error).message });
      }
    }
  };
  const timer = setInterval(() => {
    if (running) return;
    running = runOnce().finally(() => { running = undefined; });
  }, opts.intervalMs ?? 10_000);
  timer.unref();
  return { runOnce, stop: () => clearInterval(timer) };
}
