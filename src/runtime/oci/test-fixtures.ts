/**
 * Test fixtures (used by the *.test.ts files here and in src/network/cni): a busybox root file
 * system built from the host's static /bin/busybox, a free subnet/bridge name per test, and cleanup.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { mountPoints } from './mounts.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Builds a ~2 MB busybox rootfs (one lower dir) under a new temp dir; returns its path. */
export function buildBusyboxRootfs(parent?: string): string {
  const base = parent ?? mkdtempSync(join(tmpdir(), 'peapod-rootfs-'));
  const rootfs = join(base, 'rootfs');
  for (const d of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'etc', 'proc', 'sys', 'dev', 'tmp', 'root', 'www']) {
    mkdirSync(join(rootfs, d), { recursive: true });
  }
  copyFileSync('/bin/busybox', join(rootfs, 'bin/busybox'));
  chmodSync(join(rootfs, 'bin/busybox'), 0o755);
  execFileSync('chroot', [rootfs, '/bin/busybox', '--install', '-s']);
  writeFileSync(join(rootfs, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n');
  writeFileSync(join(rootfs, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
  writeFileSync(join(rootfs, 'www/index.html'), 'hello from pod\n');
  chmodSync(join(rootfs, 'tmp'), 0o1777);
  return rootfs;
}

/** True when running as root (the runtime tests need it). */
export const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/** Polls `fn` until it returns a truthy value or the deadline passes (then throws). */
export async function pollUntil<T>(fn: () => Promise<T | undefined | false> | T | undefined | false, what: string, timeoutMs = 10000, intervalMs = 50): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as T;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Last-resort cleanup of a test dir: lazily unmounts anything still mounted under it, then deletes it. */
export function removeTestDir(dir: string): void {
  const under = [...mountPoints()].filter((m) => m === dir || m.startsWith(`${dir}/`)).sort((a, b) => b.length - a.length);
  for (const m of under) {
    try { execFileSync('umount', ['-l', m], { stdio: 'ignore' }); } catch { /* already gone */ }
  }
  rmSync(dir, { recursive: true, force: true });
}
