/**
 * cgroup v1 helpers for the hybrid layout of this host (v1 hierarchies under /sys/fs/cgroup plus a
 * v2 `unified` mount): the OOM-kill counter of a container, and removal of empty cgroups
 * depth-first in every hierarchy (runc removes only the leaf).
 */
import { readdirSync, readFileSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const CGROUP_ROOT = '/sys/fs/cgroup';

/** Every hierarchy mount dir (cpu,cpuacct symlinks are skipped: they point at the same dir). */
export function hierarchies(root = CGROUP_ROOT): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const name of readdirSync(root)) {
    const dir = join(root, name);
    try {
      const st = statSync(dir);
      if (!st.isDirectory()) continue;
      const key = `${st.dev}:${st.ino}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(dir);
    } catch { /* dangling */ }
  }
  return out;
}

/** Number of OOM kills recorded for a memory cgroup (v1 `memory.oom_control` oom_kill), or 0. */
export function oomKillCount(cgroupPath: string, root = CGROUP_ROOT): number {
  try {
    const text = readFileSync(join(root, 'memory', cgroupPath, 'memory.oom_control'), 'utf8');
    const m = /^oom_kill (\d+)$/m.exec(text);
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Removes `cgroupPath` and its descendants (when empty of processes) in every hierarchy. */
export function removeCgroupTree(cgroupPath: string, root = CGROUP_ROOT): void {
  for (const h of hierarchies(root)) removeDepthFirst(join(h, cgroupPath));
}

function removeDepthFirst(dir: string): void {
  let entries: string[];
  try {
    entries = readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch {
    return;
  }
  for (const e of entries) removeDepthFirst(join(dir, e));
  try {
    rmdirSync(dir);
  } catch { /* busy (processes) or not empty: leave it */ }
}

/** Removes `cgroupPath` in every hierarchy only if it has no child cgroups and no processes. */
export function removeCgroupIfEmpty(cgroupPath: string, root = CGROUP_ROOT): void {
  for (const h of hierarchies(root)) {
    try { rmdirSync(join(h, cgroupPath)); } catch { /* absent, busy or has children */ }
  }
}
