/** The runtime's on-disk records (JSON, written atomically), the source of truth across restarts. */
import { mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { CniResult } from '../../network/cni/plugin.js';
import type { ContainerConfig, PodSandboxConfig, PortMapping, SandboxState } from '../runtime.js';
import type { InitProcess } from './namespaces.js';

export interface SandboxRecord {
  id: string;
  config: PodSandboxConfig;
  createdAt: string;
  state: SandboxState;
  hostname: string;
  ip?: string;
  cniResult?: CniResult;
  /** The CNI DEL chain succeeded (stop): later stops and the removal skip it (it would be a no-op). */
  networkDetached?: boolean;
  portMappings: PortMapping[];
  netns?: string;
  ipcns?: string;
  utsns?: string;
  shmDir: string;
  init?: InitProcess;
}

export interface ContainerRecord {
  id: string;
  sandboxId: string;
  podUid: string;
  config: ContainerConfig;
  cgroupsPath: string;
  createdAt: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  pid?: number;
  /** The container's conmon (pid + start time, to tell it from a later process with that pid). */
  conmon?: InitProcess;
  startedAt?: string;
  finishedAt?: string;
  exitCode?: number;
  reason?: string;
  message?: string;
}

export function writeRecord(path: string, record: object): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, JSON.stringify(record, null, 1));
  renameSync(tmp, path);
}

export function readRecord<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

export function listIds(dir: string): string[] {
  try {
    return readdirSync(dir).filter((n) => /^[0-9a-f]{64}$/.test(n));
  } catch {
    return [];
  }
}
