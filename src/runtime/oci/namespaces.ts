/**
 * Pod namespaces. Network, IPC and UTS namespaces are pinned without a process (util-linux
 * `unshare --net=FILE ...` bind-mounts the nsfs file); the UTS one gets the pod's hostname.
 * A PID namespace cannot be pinned that way (joining it after its init died fails), so a shared
 * PID namespace is held by a long-lived catatonit, started detached so it outlives the agent.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { runCommand } from './run-command.js';
import { fileSystemMountedAt, unmountAll } from './mounts.js';

export interface PinnedNamespaces {
  net?: string;
  ipc?: string;
  uts?: string;
}

/** What the namespaces' first process does besides the hostname (so the agent launches one process, not three). */
export interface PinExtras {
  /** Bring `lo` up in the new network namespace (what the CNI loopback plugin's ADD does). */
  loopbackUp?: boolean;
  /** Mount a tmpfs (e.g. the pod's /dev/shm) at `target` with `options`; skipped when already mounted. */
  tmpfs?: { target: string; options: string };
}

/**
 * Creates and pins the requested namespaces; the UTS one gets `hostname`. `extras` run in the same
 * `unshare` child (one launch from the agent instead of one per step; the mount is in the host's mount
 * namespace, as unshare gets no --mount).
 */
export async function pinNamespaces(ns: PinnedNamespaces, hostname: string, extras: PinExtras = {}): Promise<void> {
  const args: string[] = [];
  for (const [kind, file] of Object.entries(ns) as Array<[string, string | undefined]>) {
    if (!file) continue;
    mkdirSync(dirname(file), { recursive: true });
    closeSync(openSync(file, 'a'));
    args.push(`--${kind}=${file}`);
  }
  if (extras.tmpfs) mkdirSync(extras.tmpfs.target, { recursive: true });
  const tmpfs = extras.tmpfs && !fileSystemMountedAt(extras.tmpfs.target) ? extras.tmpfs : undefined;
  const loUp = extras.loopbackUp === true && ns.net !== undefined;
  if (args.length === 0) {
    if (tmpfs) await runCommand('mount', ['-t', 'tmpfs', '-o', tmpfs.options, 'tmpfs', tmpfs.target]);
    return;
  }
  if (!loUp && !tmpfs) {
    await runCommand('unshare', [...args, ...(ns.uts ? ['hostname', hostname] : ['true'])]);
    return;
  }
  const steps = [
    ...(ns.uts ? ['hostname "$1"'] : []),
    ...(loUp ? ['ip link set lo up'] : []),
    ...(tmpfs ? ['mount -t tmpfs -o "$2" tmpfs "$3"'] : []),
  ];
  await runCommand('unshare', [...args, '/bin/sh', '-ec', steps.join('\n'), 'sh', hostname, tmpfs?.options ?? '', tmpfs?.target ?? '']);
}

/** Unmounts and deletes pinned namespace files; idempotent. */
export async function releaseNamespace(file: string | undefined): Promise<void> {
  if (!file) return;
  await unmountAll(file);
  rmSync(file, { force: true });
}

/** Start time of a process (field 22 of /proc/PID/stat), to tell it from a later process with the same pid. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

export interface InitProcess {
  pid: number;
  startTime: string;
}

export function initAlive(init: InitProcess): boolean {
  return processStartTime(init.pid) === init.startTime;
}

/**
 * Starts catatonit as PID 1 of a new PID namespace (`unshare --pid --fork`), detached in its own
 * session. Returns catatonit's host pid; containers join `/proc/<pid>/ns/pid`.
 */
export async function startPidNamespaceInit(catatonit: string, deadlineMs = 5000): Promise<InitProcess> {
  const child = spawn('unshare', ['--pid', '--fork', catatonit, '-P'], { detached: true, stdio: 'ignore' });
  const spawned = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('spawn', () => resolve(child.pid!));
  });
  child.unref();
  const until = Date.now() + deadlineMs;
  for (;;) {
    let children = '';
    try { children = readFileSync(`/proc/${spawned}/task/${spawned}/children`, 'utf8').trim(); } catch { /* not yet */ }
    const pid = Number(children.split(' ')[0]);
    if (pid > 0) {
      // Wait until unshare's child has exec'd catatonit (its comm changes).
      let comm = '';
      try { comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim(); } catch { /* gone */ }
      if (comm === 'catatonit') {
        const startTime = processStartTime(pid);
        if (startTime) return { pid, startTime };
      }
    }
    if (child.exitCode !== null || Date.now() > until) {
      try { process.kill(spawned, 'SIGKILL'); } catch { /* gone */ }
      throw new Error('pod init (catatonit) did not start');
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Kills the pod init (its unshare parent then exits too). */
export function stopPidNamespaceInit(init: InitProcess | undefined): void {
  if (!init || !initAlive(init)) return;
  try { process.kill(init.pid, 'SIGKILL'); } catch { /* gone */ }
}
