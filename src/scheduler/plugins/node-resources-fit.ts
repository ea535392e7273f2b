/**
 * NodeResourcesFit: the pod's requests (containers, init containers, sidecars, overhead) must fit
 * in the node's allocatable minus what its pods already request, and the node's pod count must stay
 * within allocatable pods (filter). Score: LeastAllocated over cpu and memory (weight 1 each).
 */
import { MAX_NODE_SCORE, rejected, type FilterPlugin, type FilterStatus, type NodeInfo, type PodInfo, type ScorePlugin } from '../types.js';

export interface InsufficientResource { resource: string; reason: string; requested: number; used: number; capacity: number; unresolvable: boolean }

/** fitsRequest: every resource the pod cannot get on the node. */
export function insufficientResources(pod: PodInfo, node: NodeInfo, podsOnNode = node.pods.size, requested = node.requested): InsufficientResource[] {
  const out: InsufficientResource[] = [];
  if (podsOnNode + 1 > node.allowedPods) {
    out.push({ resource: 'pods', reason: 'Too many pods', requested: 1, used: podsOnNode, capacity: node.allowedPods, unresolvable: false });
  }
  for (const [r, want] of pod.requestList) {
    const alloc = node.allocatable.get(r) ?? 0;
    const used = requested.get(r) ?? 0;
    if (want > alloc - used) {
      out.push({ resource: r, reason: `Insufficient ${r}`, requested: want, used, capacity: alloc, unresolvable: want > alloc });
    }
  }
  return out;
}

export function fitStatus(ins: InsufficientResource[]): FilterStatus | null {
  if (ins.length === 0) return null;
  const code = ins.some((i) => i.unresolvable) ? 'UnschedulableAndUnresolvable' : 'Unschedulable';
  return rejected('NodeResourcesFit', code, ...ins.map((i) => i.reason));
}

export const nodeResourcesFitFilter: FilterPlugin = {
  name: 'NodeResourcesFit',
  filter(state, node, view) {
    // room held for pods nominated here by preemption with at least this pod's priority
    const held = view.nominatedPods(node.name).filter((p) => p.key !== state.pod.key && p.priority >= state.pod.priority);
    if (held.length === 0) return fitStatus(insufficientResources(state.pod, node));
    const requested = new Map(node.requested);
    for (const p of held) for (const [k, v] of p.requests) requested.set(k, (requested.get(k) ?? 0) + v);
    return fitStatus(insufficientResources(state.pod, node, node.pods.size + held.length, requested));
  },
};

const SCORED = ['cpu', 'memory'];

export const leastAllocatedScore: ScorePlugin = {
  name: 'NodeResourcesFit',
  weight: 1,
  score(state, node) {
    let total = 0;
    let weights = 0;
    for (const r of SCORED) {
      const alloc = node.allocatable.get(r) ?? 0;
      const req = (node.nonZeroRequested.get(r) ?? 0) + (state.pod.nonZeroRequests.get(r) ?? 0);
      let s = 0;
      if (alloc > 0 && req <= alloc) s = Math.floor(((alloc - req) * MAX_NODE_SCORE) / alloc);
      total += s;
      weights += 1;
    }
    return weights === 0 ? 0 : Math.floor(total / weights);
  },
};
