/** Mount helpers: overlayfs root file systems, tmpfs, and unmounting (idempotent). */
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { CommandError, runCommand, type CommandResult } from './run-command.js';

/**
 * `mount` with these arguments. At most HELPER_LAUNCHES mount/umount launches run at once; requests that
 * come while they are busy go together into the next one (one `sh` running each in turn), so 100 pods
 * starting (or going) at once cost a few forks of the agent instead of hundreds. Each request still gets
 * its own result: a failed mount rejects with its own exit code and message, as a lone `mount` would.
 */
export async function runMount(args: string[]): Promise<void> {
  const r = await runQueued('mount', args);
  if (r.code !== 0) throw new CommandError(['mount', ...args], r);
}

/** `umount` with these arguments through the same queue as runMount; resolves with its exit code and output. */
export function runUmount(args: string[]): Promise<CommandResult> {
  return runQueued('umount', args);
}

const HELPER_LAUNCHES = 2;
let helpersRunning = 0;
let helperQueue: Array<{ file: 'mount' | 'umount'; args: string[]; resolve: (r: CommandResult) => void; reject: (e: unknown) => void }> = [];

function runQueued(file: 'mount' | 'umount', args: string[]): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    helperQueue.push({ file, args, resolve, reject });
    flushHelpers();
  });
}

const shQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

function flushHelpers(): void {
  if (helpersRunning >= HELPER_LAUNCHES || helperQueue.length === 0) return;
  const batch = helperQueue;
  helperQueue = [];
  helpersRunning++;
  const done = () => { helpersRunning--; flushHelpers(); };
  if (batch.length === 1) {
    const [one] = batch;
    runCommand(one.file, one.args, { check: false }).then(one.resolve, one.reject).finally(done);
    return;
  }
  // Every command runs (one failing does not stop the others); status and output of each, NUL-separated.
  const script = batch.map((r) => `o=$(${r.file} ${r.args.map(shQuote).join(' ')} 2>&1); printf '%s\\0%s\\0' "$?" "$o"`).join('\n');
  runCommand('sh', ['-c', script]).then((res) => {
    const f = res.stdout.split('\0');
    batch.forEach((r, i) => {
      const code = Number(f[2 * i]);
      r.resolve({ code: f[2 * i] && Number.isFinite(code) ? code : -1, stdout: '', stderr: f[2 * i + 1] ?? res.stderr });
    });
  }, (e) => { for (const r of batch) r.reject(e); }).finally(done);
}

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
  await runMount(['-t', 'overlay', 'overlay', '-o', data, opts.merged]);
}

/**
 * Whether a tmpfs (or any other file system) is mounted at `path`: every tmpfs is a device of its own,
 * so the device check answers without reading mountinfo (hundreds of lines with 100 pods; parsing it
 * for every pod's volumes and /dev/shm was ~1 s of the agent's thread when 100 pods started at once).
 */
export function fileSystemMountedAt(path: string): boolean {
  return onOtherDevice(path);
}

export async function mountTmpfs(target: string, options: string): Promise<void> {
  mkdirSync(target, { recursive: true });
  if (fileSystemMountedAt(target)) return;
  await runMount(['-t', 'tmpfs', '-o', options, 'tmpfs', target]);
}

/** Unmounts every mount stacked on `target`; no error when nothing is mounted. */
export async function unmountAll(target: string): Promise<void> {
  for (let i = 0; i < 16 && isMountPoint(target); i++) {
    const r = await runUmount([target]);
    if (r.code !== 0) {
      const lazy = await runUmount(['-l', target]);
      if (lazy.code !== 0) throw new CommandError(['umount', '-l', target], lazy);
    }
  }
}
