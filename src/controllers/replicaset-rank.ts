/**
 * Which pods a ReplicaSet deletes first when it scales down (Kubernetes' ActivePodsWithRanks):
 *  1. unassigned < assigned
 *  2. Pending < Unknown < Running
 *  3. not ready < ready
 *  4. lower controller.kubernetes.io/pod-deletion-cost < higher
 *  5. more pods of the same owner family on the pod's node < fewer (spread what is left)
 *  6. ready for less time < more time
 *  7. more container restarts < fewer
 *  8. newer < older (creationTimestamp)
 * Times in 6 and 8 compare on a logarithmic scale of their age (LogarithmicScaleDown, on by default
 * in Kubernetes): ages in the same power-of-two bucket of nanoseconds tie, and ties go by uid, so
 * scale-down spreads over pods of similar age instead of always taking the very newest.
 */
import type { KubeObject } from '../api/object.js';
import { isPodReady, isPodActive, readyCondition, podPhase } from './pod-template.js';

const PHASE_ORDER: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };
export const POD_DELETION_COST = 'controller.kubernetes.io/pod-deletion-cost';

function nodeName(p: KubeObject): string { return String((p.spec as { nodeName?: string } | undefined)?.nodeName ?? ''); }
function deletionCost(p: KubeObject): number {
  const v = p.metadata.annotations?.[POD_DELETION_COST];
  const n = v !== undefined && /^-?\d+$/.test(v) ? Number(v) : 0;
  return Number.isFinite(n) ? n : 0;
}
function maxRestarts(p: KubeObject): number {
  const st = (p.status as { containerStatuses?: { restartCount?: number }[] } | undefined)?.containerStatuses ?? [];
  return st.reduce((m, c) => Math.max(m, c.restartCount ?? 0), 0);
}
function ts(s: string | undefined): number | undefined { return s ? Date.parse(s) : undefined; }

/** logarithmicRankDiff: compare ages by floor(log2(age in ns)); -1 for no age. */
function logRank(t: number, now: number): number {
  const d = (now - t) * 1e6;
  return d > 0 ? Math.floor(Math.log2(d)) : -1;
}

/** Negative when the pod with time `ta` goes first: the more recent one, or by uid within one log bucket. */
function compareTimes(ta: number | undefined, tb: number | undefined, a: KubeObject, b: KubeObject, now: number | undefined): number {
  if (ta === undefined) return -1;
  if (tb === undefined) return 1;
  if (now === undefined) return tb - ta;
  const diff = logRank(ta, now) - logRank(tb, now);
  if (diff !== 0) return diff;
  const ua = String(a.metadata.uid), ub = String(b.metadata.uid);
  return ua < ub ? -1 : ua > ub ? 1 : 0;
}

/** Negative when `a` should be deleted before `b`. */
export function comparePodsForDeletion(a: KubeObject, b: KubeObject, rankA: number, rankB: number, now?: number): number {
  const na = nodeName(a), nb = nodeName(b);
  if ((na === '') !== (nb === '')) return na === '' ? -1 : 1;
  const pa = PHASE_ORDER[podPhase(a)] ?? 0, pb = PHASE_ORDER[podPhase(b)] ?? 0;
  if (pa !== pb) return pa - pb;
  const ra = isPodReady(a), rb = isPodReady(b);
  if (ra !== rb) return ra ? 1 : -1;
  const ca = deletionCost(a), cb = deletionCost(b);
  if (ca !== cb) return ca - cb;
  if (rankA !== rankB) return rankB - rankA;
  if (ra && rb) {
    const ta = ts(readyCondition(a)?.lastTransitionTime), tb = ts(readyCondition(b)?.lastTransitionTime);
    if (ta !== tb) return compareTimes(ta, tb, a, b, now); // ready more recently first
  }
  const xa = maxRestarts(a), xb = maxRestarts(b);
  if (xa !== xb) return xb - xa;
  const ka = ts(a.metadata.creationTimestamp), kb = ts(b.metadata.creationTimestamp);
  if (ka !== kb) return compareTimes(ka, kb, a, b, now); // newer first
  return 0;
}

/** The `n` pods to delete from `filtered`, ranked with the active pods of the same family (`related`) per node. */
export function podsToDelete(filtered: KubeObject[], related: KubeObject[], n: number, now?: number): KubeObject[] {
  if (n >= filtered.length) return filtered;
  const perNode = new Map<string, number>();
  const seen = new Set<string>();
  for (const p of [...filtered, ...related]) {
    const uid = String(p.metadata.uid);
    if (seen.has(uid)) continue;
    seen.add(uid);
    const node = nodeName(p);
    if (node && isPodActive(p)) perNode.set(node, (perNode.get(node) ?? 0) + 1);
  }
  const rank = (p: KubeObject) => { const node = nodeName(p); return node ? (perNode.get(node) ?? 0) : 0; };
  const ranked = filtered.map((p) => ({ p, r: rank(p) }));
  ranked.sort((x, y) => comparePodsForDeletion(x.p, y.p, x.r, y.r, now));
  return ranked.slice(0, n).map((x) => x.p);
}
