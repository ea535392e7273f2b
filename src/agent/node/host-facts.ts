/**
 * Facts about this machine the node status reports: cores, memory, the data dir's file system,
 * kernel, OS image, machine and boot IDs.
 */
import { readFileSync, statfsSync } from 'node:fs';
import { cpus, release, arch, hostname } from 'node:os';

export interface HostFacts {
  hostname: string;
  cpuCores: number;
  memoryBytes: number;
  memoryAvailableBytes: number;
  fsCapacityBytes: number;
  fsAvailableBytes: number;
  pidMax: number;
  pidsInUse: number;
  kernelVersion: string;
  osImage: string;
  architecture: string;
  machineID: string;
  systemUUID: string;
  bootID: string;
}

function readOr(path: string, dflt = ''): string {
  try { return readFileSync(path, 'utf8').trim(); } catch { return dflt; }
}

function meminfo(): { total: number; available: number } {
  const text = readOr('/proc/meminfo');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0) * 1024;
  return { total: kb('MemTotal'), available: kb('MemAvailable') };
}

function osImage(): string {
  const text = readOr('/etc/os-release');
  const m = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(text);
  return m ? m[1] : 'Linux';
}

const goArch: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x' };

export function hostFacts(dataDir: string): HostFacts {
  const mem = meminfo();
  let fsCapacityBytes = 0;
  let fsAvailableBytes = 0;
  try {
    const s = statfsSync(dataDir);
    fsCapacityBytes = s.blocks * s.bsize;
    fsAvailableBytes = s.bavail * s.bsize;
  } catch { /* reported as 0 */ }
  let pidsInUse = 0;
  try { pidsInUse = Number(readOr('/proc/loadavg').split(/\s+/)[3]?.split('/')[1] ?? 0); } catch { /* 0 */ }
  return {
    hostname: hostname().toLowerCase(),
    cpuCores: cpus().length,
    memoryBytes: mem.total,
    memoryAvailableBytes: mem.available,
    fsCapacityBytes,
    fsAvailableBytes,
    pidMax: Number(readOr('/proc/sys/kernel/pid_max', '32768')),
    pidsInUse,
    kernelVersion: release(),
    osImage: osImage(),
    architecture: goArch[arch()] ?? arch(),
    machineID: readOr('/etc/machine-id'),
    systemUUID: readOr('/sys/class/dmi/id/product_uuid'),
    bootID: readOr('/proc/sys/kernel/random/boot_id'),
  };
}
