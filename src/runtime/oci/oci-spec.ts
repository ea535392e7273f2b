/**
 * Generates the OCI runtime spec (bundle config.json) of a container, as containerd's CRI plugin
 * and CRI-O would: default capabilities, /proc /dev /dev/pts /dev/mqueue /sys mounts, masked and
 * read-only paths, rlimits, the pod's namespaces, /dev/shm, /etc/hosts, /etc/resolv.conf,
 * /etc/hostname, and cgroup v1 resources under an absolute cgroups path.
 */
import { readFileSync, statSync } from 'node:fs';
import type { ContainerConfig } from '../runtime.js';
import { containerCapabilities } from './capabilities.js';
import { resolveImageUser } from './image-user.js';

export const MASKED_PATHS = [
  '/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
  '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap',
];
export const READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Where the container's pod environment comes from. */
export interface SandboxView {
  hostname: string;
  /** Namespace files to join; absent = the host's namespace (hostNetwork/hostIPC/hostPID). */
  netns?: string;
  ipcns?: string;
  utsns?: string;
  /** PID namespace: a path to join, 'new' for a private one, absent = host. */
  pidns?: string | 'new';
  shmDir: string;
  hostsFile: string;
  resolvConf: string;
  hostnameFile: string;
}

export interface OciMount {
  destination: string;
  type?: string;
  source?: string;
  options?: string[];
}

export interface OciSpec {
  ociVersion: string;
  process: Record<string, unknown> & { args: string[]; env: string[]; terminal: boolean };
  root: { path: string; readonly: boolean };
  hostname?: string;
  mounts: OciMount[];
  annotations: Record<string, string>;
  linux: Record<string, unknown>;
}

let hostNofile: number | undefined;
/** The host's hard RLIMIT_NOFILE (raising it would need CAP_SYS_RESOURCE). */
function hostNofileLimit(): number {
  if (hostNofile === undefined) {
    const m = /^Max open files\s+\S+\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    hostNofile = m && m[1] !== 'unlimited' ? Number(m[1]) : 1048576;
  }
  return hostNofile;
}

/** The argv a container runs (Kubernetes rules for command/args vs. entrypoint/cmd). */
export function containerArgs(c: ContainerConfig): string[] {
  const img = c.image ?? {};
  let argv: string[];
  if (c.command && c.command.length > 0) argv = [...c.command, ...(c.args ?? [])];
  else if (c.args && c.args.length > 0) argv = [...(img.entrypoint ?? []), ...c.args];
  else argv = [...(img.entrypoint ?? []), ...(img.cmd ?? [])];
  if (argv.length === 0) throw new Error(`container ${c.name}: no command (neither the pod nor the image gives one)`);
  return argv;
}

function mergeEnv(base: string[], extra: Array<{ name: string; value: string }>): string[] {
  const map = new Map<string, string>();
  for (const kv of base) {
    const i = kv.indexOf('=');
    if (i > 0) map.set(kv.slice(0, i), kv.slice(i + 1));
  }
  for (const { name, value } of extra) map.set(name, value);
  return [...map].map(([k, v]) => `${k}=${v}`);
}

export interface SpecInput {
  id: string;
  config: ContainerConfig;
  rootfs: string;
  cgroupsPath: string;
  sandbox: SandboxView;
  annotations: Record<string, string>;
  /** Override for tests: the bounding set to filter capabilities against. */
  boundingSet?: string[];
}

export function generateSpec(input: SpecInput): OciSpec {
  const { config: c, sandbox: sb } = input;
  const privileged = c.privileged === true;
  // The pod's runAsUser overrides the image USER; either way the image's /etc/passwd gives the
  // primary group (unless runAsGroup), HOME, and the groups the user is a member of, to which the
  // pod's supplementalGroups are added.
  const user = resolveImageUser(c.user ? String(c.user.uid) : c.image?.user, c.lowerDirs);
  const uid = user.uid;
  const gid = c.user?.gid ?? user.gid;
  const additionalGids = [...new Set([...user.additionalGids, ...(c.user?.supplementalGroups ?? [])])].filter((g) => g !== gid);
  let env = mergeEnv([`PATH=${DEFAULT_PATH}`, `HOSTNAME=${sb.hostname}`], []);
  env = mergeEnv(env, (c.image?.env ?? []).map((kv) => {
    const i = kv.indexOf('=');
    return i > 0 ? { name: kv.slice(0, i), value: kv.slice(i + 1) } : { name: kv, value: '' };
  }));
  if (c.tty) env = mergeEnv(env, [{ name: 'TERM', value: 'xterm' }]);
  if (!env.some((e) => e.startsWith('HOME='))) env.push(`HOME=${user.home || (uid === 0 ? '/root' : '/')}`);
  env = mergeEnv(env, c.env ?? []);

  const caps = containerCapabilities({ add: c.capabilities?.add, drop: c.capabilities?.drop, privileged }, input.boundingSet);
  const nofile = Math.min(1048576, hostNofileLimit());
  const process: OciSpec['process'] = {
    terminal: c.tty === true,
    user: { uid, gid, additionalGids: additionalGids.length ? additionalGids : undefined },
    args: containerArgs(c),
    env,
    cwd: c.workingDir || c.image?.workingDir || '/',
    capabilities: {
      bounding: caps, effective: caps, permitted: caps,
      ...(uid === 0 ? {} : { ambient: [] as string[] }),
    },
    rlimits: [{ type: 'RLIMIT_NOFILE', hard: nofile, soft: nofile }],
    noNewPrivileges: c.noNewPrivileges === true,
    oomScoreAdj: Math.max(0, Math.min(1000, Math.trunc(c.oomScoreAdj ?? 0))),
  };

  const mounts: OciMount[] = [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', privileged ? 'rw' : 'ro'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', privileged ? 'rw' : 'ro'] },
    { destination: '/dev/shm', type: 'bind', source: sb.shmDir, options: ['rbind', 'rprivate', 'rw'] },
    { destination: '/etc/hosts', type: 'bind', source: sb.hostsFile, options: ['rbind', 'rprivate', 'rw'] },
    { destination: '/etc/resolv.conf', type: 'bind', source: sb.resolvConf, options: ['rbind', 'rprivate', 'rw'] },
    { destination: '/etc/hostname', type: 'bind', source: sb.hostnameFile, options: ['rbind', 'rprivate', 'rw'] },
  ];
  const userDest = new Set((c.mounts ?? []).map((m) => m.containerPath));
  const kept = mounts.filter((m) => !userDest.has(m.destination));
  for (const m of c.mounts ?? []) {
    if (!m.containerPath.startsWith('/')) throw new Error(`mount ${m.containerPath}: containerPath must be absolute`);
    kept.push({
      destination: m.containerPath, type: 'bind', source: m.hostPath,
      options: ['rbind', m.propagation ?? 'rprivate', m.readOnly ? 'ro' : 'rw'],
    });
  }

  const namespaces: Array<{ type: string; path?: string }> = [{ type: 'mount' }];
  if (sb.netns) namespaces.push({ type: 'network', path: sb.netns });
  if (sb.ipcns) namespaces.push({ type: 'ipc', path: sb.ipcns });
  if (sb.utsns) namespaces.push({ type: 'uts', path: sb.utsns });
  if (sb.pidns === 'new') namespaces.push({ type: 'pid' });
  else if (sb.pidns) namespaces.push({ type: 'pid', path: sb.pidns });

  const devices = (c.devices ?? []).map((d) => deviceEntry(d.hostPath, d.containerPath));
  const deviceRules: Array<Record<string, unknown>> = privileged
    ? [{ allow: true, access: 'rwm' }]
    : [{ allow: false, access: 'rwm' }, ...devices.map((d, i) => ({
      allow: true, type: d.type, major: d.major, minor: d.minor, access: c.devices![i].permissions ?? 'rwm',
    }))];

  const r = c.resources ?? {};
  const resources: Record<string, unknown> = { devices: deviceRules };
  if (r.memoryLimitBytes) resources.memory = { limit: r.memoryLimitBytes, swap: r.memoryLimitBytes };
  if (r.cpuShares || r.cpuQuota || r.cpuPeriod) {
    resources.cpu = {
      ...(r.cpuShares ? { shares: r.cpuShares } : {}),
      ...(r.cpuQuota ? { quota: r.cpuQuota } : {}),
      ...(r.cpuPeriod ? { period: r.cpuPeriod } : {}),
    };
  }
  if (r.pidsLimit) resources.pids = { limit: r.pidsLimit };

  return {
    ociVersion: '1.0.2-dev',
    process,
    root: { path: input.rootfs, readonly: c.readOnlyRootfs === true },
    // Containers share the pod's UTS namespace, whose hostname is already set; runc would write
    // this value into the shared namespace, so it must be the pod's hostname (or absent).
    ...(sb.utsns ? { hostname: sb.hostname } : {}),
    mounts: kept,
    annotations: input.annotations,
    linux: {
      namespaces,
      cgroupsPath: input.cgroupsPath,
      resources,
      devices: devices.length ? devices : undefined,
      maskedPaths: privileged ? [] : MASKED_PATHS,
      readonlyPaths: privileged ? [] : READONLY_PATHS,
    },
  };
}

interface OciDevice { path: string; type: string; major: number; minor: number; fileMode: number; uid: number; gid: number }

function deviceEntry(hostPath: string, containerPath: string): OciDevice {
  const st = statDevice(hostPath);
  return { path: containerPath, ...st };
}

function statDevice(path: string): Omit<OciDevice, 'path'> {
  const s = statSync(path);
  const isChar = s.isCharacterDevice();
  if (!isChar && !s.isBlockDevice()) throw new Error(`device ${path} is not a character or block device`);
  const rdev = BigInt(s.rdev);
  const major = Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn));
  const minor = Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn));
  return { type: isChar ? 'c' : 'b', major, minor, fileMode: s.mode & 0o777, uid: s.uid, gid: s.gid };
}
