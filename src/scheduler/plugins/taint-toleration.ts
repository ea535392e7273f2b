/**
 * TaintToleration: filter out nodes with a NoSchedule/NoExecute taint the pod does not tolerate;
 * score nodes by how many PreferNoSchedule taints the pod does not tolerate (fewer is better).
 */
import { defaultNormalize, rejected, type FilterPlugin, type ScorePlugin } from '../types.js';
import { firstUntolerated, tolerated } from './helpers.js';

export const taintTolerationFilter: FilterPlugin = {
  name: 'TaintToleration',
  filter(state, node) {
    const taint = firstUntolerated(node.taints, state.pod.tolerations, ['NoSchedule', 'NoExecute']);
    if (!taint) return null;
    return rejected('TaintToleration', 'UnschedulableAndUnresolvable', `node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`);
  },
};

export const taintTolerationScore: ScorePlugin = {
  name: 'TaintToleration',
  weight: 3,
  score(state, node) {
    const tols = state.pod.tolerations.filter((t) => !t.effect || t.effect === 'PreferNoSchedule');
    let n = 0;
    for (const taint of node.taints) if (taint.effect === 'PreferNoSchedule' && !tolerated(tols, taint)) n++;
    return n;
  },
  normalize(_s, scores) { defaultNormalize(scores, true); },
};
