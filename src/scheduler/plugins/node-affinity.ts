/**
 * NodeAffinity: spec.nodeSelector and required node affinity must match the node's labels (filter);
 * preferred node affinity terms add their weights (score, normalized by the maximum).
 */
import type { NodeSelectorTerm, PreferredSchedulingTerm } from 'kubernetes-types/core/v1.js';
import { defaultNormalize, rejected, type FilterPlugin, type ScorePlugin } from '../types.js';
import { anyTermMatches, termMatchesNode } from './helpers.js';
import type { PodInfo, NodeInfo } from '../types.js';

export const ErrReasonPod = "node(s) didn't match Pod's node affinity/selector";
const NODE_AFFINITY = Object.freeze(rejected('NodeAffinity', 'UnschedulableAndUnresolvable', ErrReasonPod));

/** Does the node satisfy the pod's nodeSelector and required node affinity? */
export function podMatchesNodeSelectorAndAffinity(pod: PodInfo, node: NodeInfo): boolean {
  const spec = pod.pod.spec;
  const sel = spec?.nodeSelector;
  if (sel) for (const [k, v] of Object.entries(sel)) if (node.labels[k] !== v) return false;
  const terms = spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms as NodeSelectorTerm[] | undefined;
  if (terms && !anyTermMatches(terms, node.labels, node.name)) return false;
  return true;
}

export const nodeAffinityFilter: FilterPlugin = {
  name: 'NodeAffinity',
  filter(state, node) {
    if (podMatchesNodeSelectorAndAffinity(state.pod, node)) return null;
    return NODE_AFFINITY;
  },
};

export const nodeAffinityScore: ScorePlugin = {
  name: 'NodeAffinity',
  weight: 2,
  score(state, node) {
    const prefs = (state.pod.pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []) as PreferredSchedulingTerm[];
    let s = 0;
    for (const p of prefs) if (p.weight !== 0 && termMatchesNode(p.preference, node.labels, node.name)) s += p.weight;
    return s;
  },
  normalize(_s, scores) { defaultNormalize(scores, false); },
};
