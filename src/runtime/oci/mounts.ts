/** Mount helpers: overlayfs root file systems, tmpfs, and unmounting (idempotent). */
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { runCommand } from './run-command.js';

/** Mount points (decoded) from /proc/self/mountinfo. */
export function mountPoints(): Set<string> {
  const out = new Set<string>();
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const f = line.split(' ');
    if (f.length > 4) out.add(f[4].replace(/\\(\d{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))));
  }
  return out;
}

/**
 * Whether `path` is mounted on. Every mount peapod makes is another file system (overlay, tmpfs, nsfs),
 * so a device that differs from the parent directory's answers at once; otherwise mountinfo decides (a
 * bind mount within one file system). mountinfo lists every mount on the host and grows with each pod:
 * parsing it on every check was the agent's main CPU cost with 100 pods.
 */
export function isMountPoint(path: string): boolean {
  if (onOtherDevice(path)) return true;
  return mountPoints().has(path);
}

/** True when `path` exists and lives on another device than its parent directory (so it is a mount point). */
export function onOtherDevice(path: string): boolean {
  try {
    return statSync(path).dev !== statSync(dirname(path)).dev;
  } catch {
    return false;
  }
}

function escapeOverlayPath(p: string): string {
  if (/[,:\\]/.test(p)) throw new Error(`overlay path ${JSON.stringify(p)} contains ',', ':' or '\\'`);
  return p;
}

/** Mounts `lowerDirs` (top first) + upper/work at `merged`. */
export async function mountOverlay(opts: { lowerDirs: string[]; upper: string; work: string; merged: string }): Promise<void> {
  if (opts.lowerDirs.length === 0) throw new Error('overlay needs at least one lower dir');
  for (const d of [opts.upper, opts.work, opts.merged]) mkdirSync(d, { recursive: true });
  const data = `lowerdir=${opts.lowerDirs.map(escapeOverlayPath).join(':')},upperdir=${escapeOverlayPath(opts.upper)},workdir=${escapeOverlayPath(opts.work)}`;
  await runCommand('mount', ['-t', 'overlay', 'overlay', '-o', data, opts.merged]);
}

export async function mountTmpfs(target: string, options: string): Promise<void> {
  mkdirSync(target, { recursive: true });
  if (isMountPoint(target)) return;
  await runCommand('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', target]);
}

/** Unmounts every mount stacked on `target`; no error when nothing is mounted. */
export async function unmountAll(target: string): Promise<void> {
  for (let i = 0; i < 16 && isMountPoint(target); i++) {
    const r = await runCommand('umount', [target], { check: false });
    if (r.code !== 0) await runCommand('umount', ['-l', target]);
  }
}
