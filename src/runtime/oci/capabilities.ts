/** Linux capabilities: names, the container default set, and the host's bounding set. */
import { readFileSync } from 'node:fs';

/** Capability names indexed by number (linux/capability.h). */
export const CAPABILITY_NAMES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL',
  'CAP_SETGID', 'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE',
  'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE', 'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT',
  'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME', 'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE',
  'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG',
  'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
] as const;

/** The default set that containerd's CRI plugin gives a container. */
export const DEFAULT_CAPABILITIES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL',
  'CAP_AUDIT_WRITE',
];

/** `chown` → `CAP_CHOWN`; throws on an unknown name. */
export function normalizeCapability(name: string): string {
  const upper = name.trim().toUpperCase();
  const full = upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
  if (!(CAPABILITY_NAMES as readonly string[]).includes(full)) throw new Error(`unknown capability ${JSON.stringify(name)}`);
  return full;
}

/** Capabilities in a `/proc/<pid>/status` hex mask (e.g. CapBnd). */
export function capabilitiesFromMask(hex: string): string[] {
  const mask = BigInt(`0x${hex}`);
  return CAPABILITY_NAMES.filter((_, i) => (mask >> BigInt(i)) & 1n);
}

let hostBounding: string[] | undefined;

/** The capabilities this process may hand out (its bounding set). */
export function hostBoundingSet(): string[] {
  if (!hostBounding) {
    const status = readFileSync('/proc/self/status', 'utf8');
    const m = /^CapBnd:\s*([0-9a-f]+)$/m.exec(status);
    hostBounding = m ? capabilitiesFromMask(m[1]) : [...CAPABILITY_NAMES];
  }
  return hostBounding;
}

/**
 * The effective capability list of a container: default set (or all for privileged), plus add,
 * minus drop ('ALL' allowed in both), filtered against the host bounding set.
 */
export function containerCapabilities(
  opts: { add?: string[]; drop?: string[]; privileged?: boolean },
  bounding: string[] = hostBoundingSet(),
): string[] {
  const all = [...CAPABILITY_NAMES] as string[];
  let caps = new Set<string>(opts.privileged ? all : DEFAULT_CAPABILITIES);
  const isAll = (c: string) => c.trim().toUpperCase() === 'ALL';
  if (!opts.privileged) {
    const drop = opts.drop ?? [];
    if (drop.some(isAll)) caps = new Set();
    else for (const c of drop) caps.delete(normalizeCapability(c));
    const add = opts.add ?? [];
    if (add.some(isAll)) for (const c of all) caps.add(c);
    else for (const c of add) caps.add(normalizeCapability(c));
  }
  return all.filter((c) => caps.has(c) && bounding.includes(c));
}
