/**
 * Test fixture (not used in production code): a bridge name and /24 subnet that no other test
 * process on this host uses, reserved atomically across processes.
 *
 * Test files run as separate processes (two or more at once), so "pick a subnet nothing uses, then
 * create it" is a race. A reservation is a lock file per subnet, created exclusively (link(2), which
 * fails with EEXIST as O_EXCL does, of a file already holding the owner):
 *
 *   /run/peapod-test-nets/10.201.7   "PID STARTTIME TOKEN"   (STARTTIME: /proc/PID/stat field 22)
 *
 * A lock whose process is gone (or whose PID now belongs to a later process) is stale and is
 * reclaimed; a reclaim takes the per-subnet "10.201.7.reclaim" lock first, so two processes never
 * both remove a stale lock and both take the subnet. A subnet that is locked, or in use on the
 * host (an address, route or link of that name — e.g. left by a crashed run), is skipped.
 * `release()` removes the lock; every lock this process still holds is removed when it exits.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, linkSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A range of test subnets: `${octets}.N.0/24` with bridge `${bridgePrefix}N`, N in 1..count. */
export interface SubnetFamily {
  /** The first two octets, e.g. "10.201". */
  octets: string;
  /** Bridge names are this plus N (at most 15 characters in all). */
  bridgePrefix: string;
  /** N runs from 1 to count (default 250). */
  count?: number;
}

/** Runtime, CNI and agent unit tests (the bridge they make themselves). */
export const RUNTIME_TEST_NETS: SubnetFamily = { octets: '10.201', bridgePrefix: 'pptest' };
/** End-to-end tests of a `peapod server` with its embedded agent (--pod-cidr, --bridge). */
export const AGENT_TEST_NETS: SubnetFamily = { octets: '10.202', bridgePrefix: 'ppag' };
/** Service proxy and node services tests: network-namespace "pods" on a bridge (netns-fixture.ts). */
export const NETNS_TEST_NETS: SubnetFamily = { octets: '10.205', bridgePrefix: 'ppsvc' };
/** Benchmarks that build a pod network of their own outside peapod (e.g. podman with a CNI conflist). */
export const BENCH_TEST_NETS: SubnetFamily = { octets: '10.203', bridgePrefix: 'ppbench' };

export interface TestSubnet {
  n: number;
  bridge: string;
  /** e.g. "10.201.7.0/24" */
  subnet: string;
  /** e.g. "10.201.7." — the subnet's addresses are prefix + host. */
  prefix: string;
  /** prefix + "1" */
  gateway: string;
  /** The lock file. */
  lockFile: string;
  /** Gives the subnet back (idempotent). Call it after removing the bridge. */
  release(): void;
}

export interface ReserveOptions {
  /** Lock folder (default /run/peapod-test-nets, or under the temp folder when /run is not writable). */
  dir?: string;
  /** Whether the host already uses the subnet (default: an address, route or link with its name). */
  inUseOnHost?: (prefix: string, bridge: string) => boolean;
}

const held = new Map<string, string>(); // lock file → token, for release at exit
let exitHookInstalled = false;

export function defaultLockDir(): string {
  for (const dir of ['/run/peapod-test-nets', join(tmpdir(), 'peapod-test-nets')]) {
    try { mkdirSync(dir, { recursive: true, mode: 0o755 }); return dir; } catch { /* try the next */ }
  }
  throw new Error('no folder for test subnet locks (/run/peapod-test-nets, $TMPDIR/peapod-test-nets)');
}

/** Reserves a free subnet of `family`; throws when all are taken. */
export function reserveTestSubnet(family: SubnetFamily, opts: ReserveOptions = {}): TestSubnet {
  const dir = opts.dir ?? defaultLockDir();
  const count = family.count ?? 250;
  const inUse = opts.inUseOnHost ?? hostUsage();
  const start = Math.floor(Math.random() * count);
  for (let i = 0; i < count; i++) {
    const n = 1 + ((start + i) % count);
    const prefix = `${family.octets}.${n}.`;
    const bridge = `${family.bridgePrefix}${n}`;
    const lockFile = join(dir, `${family.octets}.${n}`);
    if (!acquire(lockFile)) continue;
    if (inUse(prefix, bridge)) { release(lockFile); continue; }
    return {
      n, bridge, prefix, lockFile,
      subnet: `${prefix}0/24`,
      gateway: `${prefix}1`,
      release: () => release(lockFile),
    };
  }
  throw new Error(`no free ${family.octets}.N.0/24 test subnet (locks in ${dir})`);
}

/** One snapshot of the host's addresses, routes and links for a reservation pass. */
function hostUsage(): (prefix: string, bridge: string) => boolean {
  const addrs = execFileSync('ip', ['-4', '-o', 'addr'], { encoding: 'utf8' });
  const routes = execFileSync('ip', ['-4', 'route'], { encoding: 'utf8' });
  const links = execFileSync('ip', ['-o', 'link'], { encoding: 'utf8' });
  return (prefix, bridge) => addrs.includes(prefix) || routes.includes(prefix) || links.includes(` ${bridge}:`) || links.includes(` ${bridge}@`);
}

/** "PID STARTTIME" of this process, which identifies it even after its PID is reused. */
function processIdentity(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields 3.. (comm may hold spaces)
    return `${pid} ${fields[22 - 3]}`;
  } catch { return undefined; }
}

/** Whether the lock's owner (its "PID STARTTIME" prefix) still runs. */
function ownerAlive(content: string): boolean {
  const [pid, start] = content.split(' ');
  const n = Number(pid);
  if (!Number.isInteger(n) || n <= 0 || start === undefined) return false;
  return processIdentity(n) === `${pid} ${start}`;
}

function readLock(file: string): string | undefined {
  try { return readFileSync(file, 'utf8'); } catch { return undefined; }
}

/**
 * Creates `file` holding this process's identity, atomically: written to a private file first and
 * then hard-linked to `file` (link fails with EEXIST like O_EXCL, and no one ever sees it empty).
 */
function createExclusive(file: string, token: string): boolean {
  const tmp = `${file}.${process.pid}.${token}.tmp`;
  const fd = openSync(tmp, 'wx', 0o644);
  try { writeSync(fd, `${processIdentity(process.pid)} ${token}\n`); } finally { closeSync(fd); }
  try {
    linkSync(tmp, file);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally {
    unlinkSync(tmp);
  }
}

function acquire(lockFile: string): boolean {
  const token = randomBytes(8).toString('hex');
  if (createExclusive(lockFile, token)) { hold(lockFile, token); return true; }
  const content = readLock(lockFile);
  if (content === undefined || ownerAlive(content)) return false; // taken (or released just now: try the next)
  // Stale: reclaim under the per-subnet reclaim lock, re-checking that the lock is the same stale one.
  const reclaimLock = `${lockFile}.reclaim`;
  if (!createExclusive(reclaimLock, token)) {
    const other = readLock(reclaimLock);
    // A reclaimer that died half-way (a window of microseconds): its lock is abandoned after 10 s.
    if (other !== undefined && !ownerAlive(other) && ageMs(reclaimLock) > 10_000) removeIfSame(reclaimLock, other);
    return false;
  }
  try {
    if (readLock(lockFile) !== content) return false; // changed meanwhile: someone else reclaimed it
    unlinkSync(lockFile);
    if (!createExclusive(lockFile, token)) return false;
    hold(lockFile, token);
    return true;
  } finally {
    unlinkSync(reclaimLock);
  }
}

function ageMs(file: string): number {
  try { return Date.now() - statSync(file).mtimeMs; } catch { return 0; }
}

function removeIfSame(file: string, content: string): void {
  if (readLock(file) === content) { try { unlinkSync(file); } catch { /* gone */ } }
}

function hold(lockFile: string, token: string): void {
  held.set(lockFile, token);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => { for (const f of [...held.keys()]) release(f); });
  }
}

function release(lockFile: string): void {
  const token = held.get(lockFile);
  if (token === undefined) return;
  held.delete(lockFile);
  const content = readLock(lockFile);
  if (content?.trim().endsWith(` ${token}`)) { try { unlinkSync(lockFile); } catch { /* gone */ } }
}
