/**
 * InterPodAffinity. Filter: the pod's required affinity terms must be met in the node's domain
 * (or, for the first pod of a group, match the pod itself), its required anti-affinity terms must
 * not be, and no existing pod's required anti-affinity may forbid the pod there.
 * Score: preferred (anti-)affinity of the pod and of existing pods, min-max normalized.
 * Counts come from the cache's incremental indexes, never from a scan of all pods.
 */
import { MAX_NODE_SCORE, rejected, termMatches, type AffinityTerm, type ClusterView, type CycleState, type FilterPlugin, type ScorePlugin } from '../types.js';

export const ErrReasonExistingAntiAffinityRulesNotMatch = "node(s) didn't satisfy existing pods anti-affinity rules";
export const ErrReasonAffinityRulesNotMatch = "node(s) didn't match pod affinity rules";
export const ErrReasonAntiAffinityRulesNotMatch = "node(s) didn't match pod anti-affinity rules";

const NAME = 'InterPodAffinity';
// statuses are constant: shared, not allocated per rejected node
const AFFINITY = Object.freeze(rejected(NAME, 'UnschedulableAndUnresolvable', ErrReasonAffinityRulesNotMatch));
const ANTI = Object.freeze(rejected(NAME, 'Unschedulable', ErrReasonAntiAffinityRulesNotMatch));
const EXISTING_ANTI = Object.freeze(rejected(NAME, 'Unschedulable', ErrReasonExistingAntiAffinityRulesNotMatch));

/** For each term: topology value → number of matching pods in that domain. */
function domainCounts(terms: AffinityTerm[], view: ClusterView): Map<string, number>[] {
  return terms.map((t) => view.countMatchingPerDomain(t));
}

interface PreFilterState {
  affinity: Map<string, number>[];
  anti: Map<string, number>[];
  /** topology key → maps (value → number of existing pods whose anti-affinity forbids this pod there) */
  existingAnti: Map<string, Map<string, number>[]>;
  selfMatchesAll: boolean;
  noneMatchAnywhere: boolean;
}

export const interPodAffinityFilter: FilterPlugin = {
  name: NAME,
  preFilter(state, view) {
    const p = state.pod;
    const nsl = view.namespaceLabels(p.namespace);
    const existingAnti = new Map<string, Map<string, number>[]>();
    for (const e of view.existingTerms('requiredAntiAffinity')) {
      if (e.perTopology.size === 0 || !termMatches(e.term, p, nsl)) continue;
      let list = existingAnti.get(e.term.topologyKey);
      if (!list) existingAnti.set(e.term.topologyKey, (list = []));
      list.push(e.perTopology);
    }
    const affinity = domainCounts(p.requiredAffinity, view);
    const st: PreFilterState = {
      affinity,
      anti: domainCounts(p.requiredAntiAffinity, view),
      existingAnti,
      selfMatchesAll: p.requiredAffinity.every((t) => termMatches(t, p, nsl)),
      noneMatchAnywhere: affinity.every((m) => m.size === 0),
    };
    state.data.set(NAME, st);
  },
  filter(state, node) {
    const st = state.data.get(NAME) as PreFilterState;
    const p = state.pod;
    // required affinity
    if (p.requiredAffinity.length > 0) {
      let ok = true;
      for (let i = 0; i < p.requiredAffinity.length; i++) {
        const v = node.labels[p.requiredAffinity[i].topologyKey];
        if (v === undefined || !(st.affinity[i].get(v)! > 0)) { ok = false; break; }
      }
      if (!ok) {
        // the first pod of a group that selects itself may go anywhere with the topology keys
        const hasKeys = p.requiredAffinity.every((t) => node.labels[t.topologyKey] !== undefined);
        if (!(st.noneMatchAnywhere && st.selfMatchesAll && hasKeys)) {
          return AFFINITY;
        }
      }
    }
    for (let i = 0; i < p.requiredAntiAffinity.length; i++) {
      const v = node.labels[p.requiredAntiAffinity[i].topologyKey];
      if (v !== undefined && (st.anti[i].get(v) ?? 0) > 0) return ANTI;
    }
    for (const [key, maps] of st.existingAnti) {
      const v = node.labels[key];
      if (v === undefined) continue;
      for (const m of maps) if ((m.get(v) ?? 0) > 0) return EXISTING_ANTI;
    }
    return null;
  },
};

const HARD_POD_AFFINITY_WEIGHT = 1;

/** topology key → value → score */
type TopologyScore = Map<string, Map<string, number>>;

function addScore(ts: TopologyScore, key: string, value: string, delta: number): void {
  let m = ts.get(key);
  if (!m) ts.set(key, (m = new Map()));
  m.set(value, (m.get(value) ?? 0) + delta);
}

export const interPodAffinityScore: ScorePlugin = {
  name: NAME,
  weight: 2,
  preScore(state: CycleState, _nodes, view) {
    const p = state.pod;
    const ts: TopologyScore = new Map();
    const incoming: [AffinityTerm, number][] = [...p.preferredAffinity.map((t) => [t, t.weight] as [AffinityTerm, number]), ...p.preferredAntiAffinity.map((t) => [t, -t.weight] as [AffinityTerm, number])];
    for (const [t, w] of incoming) {
      if (w === 0) continue;
      for (const [v, c] of view.countMatchingPerDomain(t)) addScore(ts, t.topologyKey, v, w * c);
    }
    const nsl = view.namespaceLabels(p.namespace);
    const existing: [Iterable<{ term: AffinityTerm; perTopology: Map<string, number> }>, number][] = [
      [view.existingTerms('requiredAffinity'), HARD_POD_AFFINITY_WEIGHT],
      [view.existingTerms('preferredAffinity'), 1],
      [view.existingTerms('preferredAntiAffinity'), -1],
    ];
    for (const [entries, sign] of existing) {
      for (const e of entries) {
        if (e.perTopology.size === 0 || !termMatches(e.term, p, nsl)) continue;
        for (const [v, c] of e.perTopology) addScore(ts, e.term.topologyKey, v, sign * c);
      }
    }
    state.data.set(`${NAME}/score`, ts);
  },
  score(state, node) {
    const ts = state.data.get(`${NAME}/score`) as TopologyScore | undefined;
    if (!ts || ts.size === 0) return 0;
    let s = 0;
    for (const [key, m] of ts) {
      const v = node.labels[key];
      if (v !== undefined) s += m.get(v) ?? 0;
    }
    return s;
  },
  normalize(state, scores) {
    const ts = state.data.get(`${NAME}/score`) as TopologyScore | undefined;
    if (!ts || ts.size === 0) { scores.fill(0); return; }
    let min = Infinity, max = -Infinity;
    for (const s of scores) { if (s < min) min = s; if (s > max) max = s; }
    const diff = max - min;
    for (let i = 0; i < scores.length; i++) scores[i] = diff > 0 ? Math.floor((MAX_NODE_SCORE * (scores[i] - min)) / diff) : 0;
  },
};
