/**
 * FailedScheduling messages, worded as Kubernetes' FitError.Error():
 *   "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had untolerated taint {k: v}. preemption: …"
 * Reasons are counted over nodes, formatted "COUNT REASON" and sorted as strings.
 */
import type { FilterStatus } from './types.js';

export interface Diagnosis {
  /** node name → why it was rejected */
  nodeToStatus: Map<string, FilterStatus>;
  /** Plugins that rejected some node (the scheduling queue re-queues on their events). */
  unschedulablePlugins: Set<string>;
  /** A message from the post-filter (preemption) step, appended as is. */
  postFilterMsg?: string;
}

export function reasonHistogram(statuses: Iterable<FilterStatus>): string[] {
  const reasons = new Map<string, number>();
  for (const st of statuses) for (const r of st.reasons) reasons.set(r, (reasons.get(r) ?? 0) + 1);
  const out: string[] = [];
  for (const [r, n] of reasons) out.push(`${n} ${r}`);
  // Go's sort.Strings: byte order
  out.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return out;
}

export function fitErrorMessage(numAllNodes: number, d: Diagnosis): string {
  let msg = `0/${numAllNodes} nodes are available:`;
  const h = reasonHistogram(d.nodeToStatus.values());
  if (h.length) msg += ` ${h.join(', ')}.`;
  if (d.postFilterMsg) msg += ` ${d.postFilterMsg}`;
  return msg;
}
