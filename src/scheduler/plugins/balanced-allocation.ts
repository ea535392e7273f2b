/** NodeResourcesBalancedAllocation: favour nodes whose cpu and memory use stay balanced (1 − std of the fractions). */
import { MAX_NODE_SCORE, type ScorePlugin } from '../types.js';

export const balancedAllocationScore: ScorePlugin = {
  name: 'NodeResourcesBalancedAllocation',
  weight: 1,
  score(state, node) {
    const fractions: number[] = [];
    for (const r of ['cpu', 'memory']) {
      const alloc = node.allocatable.get(r) ?? 0;
      if (alloc <= 0) continue;
      const req = (node.requested.get(r) ?? 0) + (state.pod.requests.get(r) ?? 0);
      fractions.push(Math.min(1, req / alloc));
    }
    let std = 0;
    if (fractions.length === 2) std = Math.abs(fractions[0] - fractions[1]) / 2;
    else if (fractions.length > 2) {
      const mean = fractions.reduce((a, b) => a + b, 0) / fractions.length;
      std = Math.sqrt(fractions.reduce((a, f) => a + (f - mean) ** 2, 0) / fractions.length);
    }
    return Math.floor((1 - std) * MAX_NODE_SCORE);
  },
};
