/**
 * PodTopologySpread. Filter (whenUnsatisfiable: DoNotSchedule): placing the pod in the node's
 * domain must keep (matching pods in that domain + 1 − the minimum over eligible domains) ≤ maxSkew;
 * a node without the topology key is unresolvable. Score (ScheduleAnyway): fewer matching pods in the
 * node's domain is better, weighted by log(domain count + 2), normalized as Kubernetes does.
 * Eligible domains honour the pod's node affinity/selector (nodeAffinityPolicy Honor by default) and,
 * with nodeTaintsPolicy Honor, untolerated taints. System default constraints are not applied.
 */
import type { TopologySpreadConstraint } from 'kubernetes-types/core/v1.js';
import { makeLabelSelector, selectorFromSpec, type LabelSelectorSpec, type Requirement } from '../../api/selectors.js';
import { MAX_NODE_SCORE, namespaceTerm, rejected, type AffinityTerm, type ClusterView, type CycleState, type FilterPlugin, type NodeInfo, type ScorePlugin } from '../types.js';
import { podMatchesNodeSelectorAndAffinity } from './node-affinity.js';
import { firstUntolerated } from './helpers.js';

export const ErrReasonConstraintsNotMatch = "node(s) didn't match pod topology spread constraints";
export const ErrReasonNodeLabelNotMatch = ErrReasonConstraintsNotMatch + ' (missing required label)';

const NAME = 'PodTopologySpread';
const MISSING_LABEL = Object.freeze(rejected(NAME, 'UnschedulableAndUnresolvable', ErrReasonNodeLabelNotMatch));
const SKEW = Object.freeze(rejected(NAME, 'Unschedulable', ErrReasonConstraintsNotMatch));

interface Constraint {
  maxSkew: number;
  topologyKey: string;
  minDomains: number;
  term: AffinityTerm;
  selfMatch: number;
  honorAffinity: boolean;
  honorTaints: boolean;
  /** A system default constraint: nodes without its key are not ignored, they just do not count. */
  system?: boolean;
}

/** Kubernetes' system default constraints (List defaulting), for pods that declare none. */
export const systemDefaultConstraints = [
  { maxSkew: 3, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway' },
  { maxSkew: 5, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway' },
] as const;

function constraints(state: CycleState, when: 'DoNotSchedule' | 'ScheduleAnyway'): Constraint[] {
  const p = state.pod;
  const list = (p.pod.spec?.topologySpreadConstraints ?? []) as TopologySpreadConstraint[];
  const out: Constraint[] = [];
  if (list.length === 0) {
    const sel = p.defaultSpreadSelector;
    if (when !== 'ScheduleAnyway' || !sel || sel.empty()) return out;
    for (const c of systemDefaultConstraints) {
      out.push({ maxSkew: c.maxSkew, topologyKey: c.topologyKey, minDomains: 1, term: namespaceTerm(p.namespace, sel, c.topologyKey), selfMatch: sel.matches(p.labels) ? 1 : 0, honorAffinity: true, honorTaints: false, system: true });
    }
    return out;
  }
  for (const c of list) {
    if (c.whenUnsatisfiable !== when) continue;
    let sel;
    try { sel = c.labelSelector ? selectorFromSpec(c.labelSelector as LabelSelectorSpec) : makeLabelSelector([], true); } catch { sel = makeLabelSelector([], true); }
    if (c.matchLabelKeys?.length && c.labelSelector) {
      const extra: Requirement[] = [];
      for (const k of c.matchLabelKeys) if (p.labels[k] !== undefined) extra.push({ key: k, operator: 'in', values: [p.labels[k]] });
      sel = makeLabelSelector([...sel.requirements, ...extra]);
    }
    out.push({
      maxSkew: c.maxSkew,
      topologyKey: c.topologyKey,
      minDomains: c.minDomains ?? 1,
      term: namespaceTerm(p.namespace, sel, c.topologyKey),
      selfMatch: sel.matches(p.labels) ? 1 : 0,
      honorAffinity: (c.nodeAffinityPolicy ?? 'Honor') === 'Honor',
      honorTaints: c.nodeTaintsPolicy === 'Honor',
    });
  }
  return out;
}

function eligible(state: CycleState, node: NodeInfo, cs: Constraint[]): boolean {
  for (const c of cs) if (node.labels[c.topologyKey] === undefined) return false;
  const c0 = cs[0];
  if (c0.honorAffinity && !podMatchesNodeSelectorAndAffinity(state.pod, node)) return false;
  if (c0.honorTaints && firstUntolerated(node.taints, state.pod.tolerations, ['NoSchedule', 'NoExecute'])) return false;
  return true;
}

/** Per constraint: domain value → matching pods, over eligible nodes. */
function countDomains(state: CycleState, cs: Constraint[], nodes: NodeInfo[], view: ClusterView): Map<string, number>[] {
  // system defaults: each constraint counts over the nodes that have its own key
  if (cs.length > 1 && cs.every((c) => c.system)) return cs.map((c) => countDomains(state, [c], nodes, view)[0]);
  const spec = state.pod.pod.spec;
  const noNodeConstraints = !spec?.nodeSelector && !spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution && !cs[0].honorTaints;
  if (cs.length === 1 && noNodeConstraints) {
    // every node with the key is eligible: the cache's live per-domain counts serve as they are
    return [view.countMatchingPerDomain(cs[0].term)];
  }
  const counts = cs.map(() => new Map<string, number>());
  const eligibleNodes = new Set<string>();
  for (const n of nodes) {
    if (!eligible(state, n, cs)) continue;
    eligibleNodes.add(n.name);
    for (let i = 0; i < cs.length; i++) {
      const v = n.labels[cs[i].topologyKey];
      if (!counts[i].has(v)) counts[i].set(v, 0);
    }
  }
  for (let i = 0; i < cs.length; i++) {
    for (const [nodeName, c] of view.countMatchingPerNode(cs[i].term)) {
      if (!eligibleNodes.has(nodeName)) continue;
      const v = view.node(nodeName)!.labels[cs[i].topologyKey];
      counts[i].set(v, (counts[i].get(v) ?? 0) + c);
    }
  }
  return counts;
}

interface FilterState { cs: Constraint[]; counts: Map<string, number>[]; minMatch: number[] }

/** Eligible domains of each constraint (value → nodes), for the minimum over domains. */
function eligibleDomains(state: CycleState, cs: Constraint[], view: ClusterView): Set<string>[] | Map<string, number>[] {
  const spec = state.pod.pod.spec;
  const noNodeConstraints = !spec?.nodeSelector && !spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution && !cs[0].honorTaints;
  if (cs.length === 1 && noNodeConstraints) return [view.topologyDomains(cs[0].topologyKey)];
  const out = cs.map(() => new Set<string>());
  for (const n of view.nodes()) {
    if (!eligible(state, n, cs)) continue;
    for (let i = 0; i < cs.length; i++) out[i].add(n.labels[cs[i].topologyKey]);
  }
  return out;
}

export const podTopologySpreadFilter: FilterPlugin = {
  name: NAME,
  preFilter(state, view) {
    const cs = constraints(state, 'DoNotSchedule');
    if (cs.length === 0) { state.data.delete(NAME); return; }
    const counts = countDomains(state, cs, view.nodes(), view);
    const domains = eligibleDomains(state, cs, view);
    const minMatch = counts.map((m, i) => {
      const ds = domains[i];
      if (ds.size < cs[i].minDomains) return 0;
      let min = Infinity;
      for (const d of ds.keys()) {
        const c = m.get(d) ?? 0;
        if (c < min) min = c;
        if (min === 0) break;
      }
      return min === Infinity ? 0 : min;
    });
    state.data.set(NAME, { cs, counts, minMatch } satisfies FilterState);
  },
  filter(state, node) {
    const st = state.data.get(NAME) as FilterState | undefined;
    if (!st) return null;
    for (let i = 0; i < st.cs.length; i++) {
      const c = st.cs[i];
      const v = node.labels[c.topologyKey];
      if (v === undefined) return MISSING_LABEL;
      const skew = (st.counts[i].get(v) ?? 0) + c.selfMatch - st.minMatch[i];
      if (skew > c.maxSkew) return SKEW;
    }
    return null;
  },
};

interface ScoreState { cs: Constraint[]; counts: Map<string, number>[]; weights: number[] }

export const podTopologySpreadScore: ScorePlugin = {
  name: NAME,
  weight: 2,
  preScore(state, nodes, view) {
    const cs = constraints(state, 'ScheduleAnyway');
    if (cs.length === 0) { state.data.delete(`${NAME}/score`); return; }
    const counts = countDomains(state, cs, view.nodes(), view);
    // the domain count is taken over the filtered nodes, as Kubernetes does
    const weights = cs.map((c) => {
      const domains = new Set<string>();
      for (const n of nodes) { const v = n.labels[c.topologyKey]; if (v !== undefined) domains.add(v); }
      return Math.log(domains.size + 2);
    });
    state.data.set(`${NAME}/score`, { cs, counts, weights } satisfies ScoreState);
  },
  score(state, node) {
    const st = state.data.get(`${NAME}/score`) as ScoreState | undefined;
    if (!st) return 0;
    let s = 0;
    for (let i = 0; i < st.cs.length; i++) {
      const v = node.labels[st.cs[i].topologyKey];
      if (v === undefined) { if (st.cs[i].system) continue; return -1; } // ignored node
      s += (st.counts[i].get(v) ?? 0) * st.weights[i] + (st.cs[i].maxSkew - 1);
    }
    return Math.round(s);
  },
  normalize(state, scores) {
    const st = state.data.get(`${NAME}/score`) as ScoreState | undefined;
    if (!st) { scores.fill(0); return; }
    let min = Infinity, max = -Infinity;
    for (const s of scores) { if (s < 0) continue; if (s < min) min = s; if (s > max) max = s; }
    for (let i = 0; i < scores.length; i++) {
      const s = scores[i];
      if (s < 0) { scores[i] = 0; continue; }
      scores[i] = max === 0 ? MAX_NODE_SCORE : Math.floor((MAX_NODE_SCORE * (max + min - s)) / max);
    }
  },
};
