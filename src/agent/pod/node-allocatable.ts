/** Node allocatable resources, for resourceFieldRef values of containers without limits. */
import { cpus, totalmem } from 'node:os';
import type { NodeAllocatable } from './field-ref.js';

let cached: NodeAllocatable | undefined;

export function nodeAllocatable(): NodeAllocatable {
  cached ??= { cpuMillis: cpus().length * 1000, memoryBytes: Math.max(0, totalmem() - 100 * 1024 * 1024), ephemeralBytes: 0 };
  return cached;
}
