/**
 * Process memory for bench/pod-startup: RSS and PSS of a process (from /proc), and the per-pod
 * processes a container engine keeps: each conmon, and what conmon runs (the pod's pause/infra
 * process, e.g. catatonit, or the app's `sleep`).
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcMemory { pid: number; rssKiB: number; pssKiB: number }

function readOr(path: string): string {
  try { return readFileSync(path, 'utf8'); } catch { return ''; }
}

/** VmRSS and Pss (smaps_rollup) in KiB; NaN when the process is gone. */
export function procMemory(pid: number): ProcMemory {
  const rss = /VmRSS:\s+(\d+) kB/.exec(readOr(`/proc/${pid}/status`));
  const pss = /^Pss:\s+(\d+) kB/m.exec(readOr(`/proc/${pid}/smaps_rollup`));
  return { pid, rssKiB: rss ? Number(rss[1]) : NaN, pssKiB: pss ? Number(pss[1]) : NaN };
}

interface ProcInfo { pid: number; ppid: number; comm: string; cmdline: string }

function processes(): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const stat = readOr(`/proc/${d}/stat`);
    const close = stat.lastIndexOf(')');
    if (close < 0) continue;
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const ppid = Number(stat.slice(close + 2).split(' ')[1]);
    out.push({ pid: Number(d), ppid, comm, cmdline: readOr(`/proc/${d}/cmdline`).replace(/\0/g, ' ') });
  }
  return out;
}

export interface EngineProcesses {
  /** conmon processes whose command line mentions `marker` (a directory of that engine). */
  conmon: ProcMemory[];
  /** Children of those conmons, by command name (e.g. catatonit, sleep). */
  children: Map<string, ProcMemory[]>;
}

/** The conmon processes of one engine (found by a path in their command line) and their children. */
export function engineProcesses(marker: string): EngineProcesses {
  const all = processes();
  const conmons = all.filter((p) => p.comm === 'conmon' && p.cmdline.includes(marker));
  const conmonPids = new Set(conmons.map((p) => p.pid));
  const children = new Map<string, ProcMemory[]>();
  for (const p of all) {
    if (!conmonPids.has(p.ppid)) continue;
    const list = children.get(p.comm) ?? [];
    list.push(procMemory(p.pid));
    children.set(p.comm, list);
  }
  return { conmon: conmons.map((p) => procMemory(p.pid)), children };
}

/** Other processes (not conmon, not its children) whose command line mentions `marker`: e.g. a pod's pause process started outside conmon. */
export function otherProcesses(marker: string, exclude: number[]): Map<string, ProcMemory[]> {
  const all = processes();
  const conmonPids = new Set(all.filter((p) => p.comm === 'conmon').map((p) => p.pid));
  const out = new Map<string, ProcMemory[]>();
  for (const p of all) {
    if (exclude.includes(p.pid) || p.comm === 'conmon' || conmonPids.has(p.ppid) || !p.cmdline.includes(marker)) continue;
    const list = out.get(p.comm) ?? [];
    list.push(procMemory(p.pid));
    out.set(p.comm, list);
  }
  return out;
}

export interface MemorySummary { count: number; rssKiB: number; pssKiB: number }

/** Count and mean RSS/PSS (KiB) of a set of processes. */
export function summarize(list: ProcMemory[]): MemorySummary {
  const ok = list.filter((m) => Number.isFinite(m.rssKiB));
  const mean = (f: (m: ProcMemory) => number) => (ok.length ? Math.round(ok.reduce((s, m) => s + f(m), 0) / ok.length) : 0);
  return { count: ok.length, rssKiB: mean((m) => m.rssKiB), pssKiB: mean((m) => (Number.isFinite(m.pssKiB) ? m.pssKiB : 0)) };
}
