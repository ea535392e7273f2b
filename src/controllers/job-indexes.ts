/**
 * Completion indexes of Indexed Jobs, as Kubernetes' indexed_job_utils.go: the
 * `batch.kubernetes.io/job-completion-index` annotation (and label) on pods, and
 * status.completedIndexes written as sorted, compressed intervals ("1,3-5,7").
 */
import type { KubeObject } from '../api/object.js';

export const JOB_COMPLETION_INDEX = 'batch.kubernetes.io/job-completion-index';

/** The pod's completion index, or undefined when absent or invalid. */
export function podIndex(pod: KubeObject): number | undefined {
  const v = pod.metadata.annotations?.[JOB_COMPLETION_INDEX] ?? pod.metadata.labels?.[JOB_COMPLETION_INDEX];
  if (v === undefined || !/^\d+$/.test(v)) return undefined;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** Parse "1,3-5" into a sorted set of indexes below `completions` (invalid parts are skipped, as Kubernetes does). */
export function parseIndexes(s: string | undefined, completions: number): Set<number> {
  const out = new Set<number>();
  if (!s) return out;
  for (const part of s.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) continue;
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    for (let i = a; i <= b && i < completions; i++) out.add(i);
  }
  return out;
}

/** Format a set of indexes as Kubernetes does: ascending, runs of 2+ consecutive as "a-b". */
export function formatIndexes(set: Iterable<number>): string {
  const xs = [...new Set(set)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < xs.length;) {
    let j = i;
    while (j + 1 < xs.length && xs[j + 1] === xs[j] + 1) j++;
    parts.push(j > i ? `${xs[i]}-${xs[j]}` : String(xs[i]));
    i = j + 1;
  }
  return parts.join(',');
}
