/**
 * The default profile, in Kubernetes' plugin order and weights, and one scheduling cycle for one
 * pod: PreFilter → Filter over nodes (starting where the previous cycle stopped, stopping once
 * enough feasible nodes are found: percentageOfNodesToScore adaptive, minimum 100) → PreScore →
 * Score → NormalizeScore → weighted sum → the best node (ties broken at random).
 */
import type { Diagnosis } from './fit-error.js';
import { MAX_NODE_SCORE, type ClusterView, type CycleState, type FilterPlugin, type FilterStatus, type NodeInfo, type PodInfo, type ScorePlugin } from './types.js';
import { nodeUnschedulablePlugin } from './plugins/node-unschedulable.js';
import { nodeNamePlugin } from './plugins/node-name.js';
import { taintTolerationFilter, taintTolerationScore } from './plugins/taint-toleration.js';
import { nodeAffinityFilter, nodeAffinityScore } from './plugins/node-affinity.js';
import { nodePortsPlugin } from './plugins/node-ports.js';
import { leastAllocatedScore, nodeResourcesFitFilter } from './plugins/node-resources-fit.js';
import { podTopologySpreadFilter, podTopologySpreadScore } from './plugins/pod-topology-spread.js';
import { interPodAffinityFilter, interPodAffinityScore } from './plugins/inter-pod-affinity.js';
import { balancedAllocationScore } from './plugins/balanced-allocation.js';
import { imageLocalityScore } from './plugins/image-locality.js';

export const defaultFilters: FilterPlugin[] = [
  nodeUnschedulablePlugin,
  nodeNamePlugin,
  taintTolerationFilter,
  nodeAffinityFilter,
  nodePortsPlugin,
  nodeResourcesFitFilter,
  podTopologySpreadFilter,
  interPodAffinityFilter,
];

export const defaultScores: ScorePlugin[] = [
  taintTolerationScore,
  nodeAffinityScore,
  leastAllocatedScore,
  podTopologySpreadScore,
  interPodAffinityScore,
  balancedAllocationScore,
  imageLocalityScore,
];

export interface FrameworkOptions {
  filters?: FilterPlugin[];
  scores?: ScorePlugin[];
  /** 0 = adaptive (Kubernetes' default); otherwise 1..100. */
  percentageOfNodesToScore?: number;
  random?: () => number;
}

export type CycleResult =
  | { node: string; evaluated: number; feasible: number }
  | { node?: undefined; diagnosis: Diagnosis; numAllNodes: number };

const MIN_FEASIBLE_NODES = 100;
const MIN_FEASIBLE_PERCENTAGE = 5;

export function numFeasibleNodesToFind(numAllNodes: number, percentage = 0): number {
  if (numAllNodes < MIN_FEASIBLE_NODES) return numAllNodes;
  let pct = percentage;
  if (pct === 0) {
    pct = 50 - Math.floor(numAllNodes / 125);
    if (pct < MIN_FEASIBLE_PERCENTAGE) pct = MIN_FEASIBLE_PERCENTAGE;
  }
  if (pct >= 100) return numAllNodes;
  const n = Math.floor((numAllNodes * pct) / 100);
  return n < MIN_FEASIBLE_NODES ? MIN_FEASIBLE_NODES : n;
}

export class Framework {
  readonly filters: FilterPlugin[];
  readonly scores: ScorePlugin[];
  private nextStart = 0;
  private readonly random: () => number;

  constructor(private readonly opts: FrameworkOptions = {}) {
    this.filters = opts.filters ?? defaultFilters;
    this.scores = opts.scores ?? defaultScores;
    this.random = opts.random ?? Math.random;
  }

  newState(pod: PodInfo): CycleState { return { pod, data: new Map() }; }

  preFilter(state: CycleState, view: ClusterView): void {
    for (const f of this.filters) f.preFilter?.(state, view);
  }

  /** Run every filter on one node; the first rejection wins (as Kubernetes' RunFilterPlugins). */
  filterNode(state: CycleState, node: NodeInfo, view: ClusterView): FilterStatus | null {
    for (const f of this.filters) {
      const st = f.filter(state, node, view);
      if (st) return st;
    }
    return null;
  }

  schedule(pod: PodInfo, view: ClusterView): CycleResult {
    const nodes = view.nodes();
    const diagnosis: Diagnosis = { nodeToStatus: new Map(), unschedulablePlugins: new Set() };
    if (nodes.length === 0) return { diagnosis, numAllNodes: 0 };
    const state = this.newState(pod);
    this.preFilter(state, view);
    // a nominated node (after preemption) is tried first
    const nominated = pod.pod.status?.nominatedNodeName;
    if (nominated) {
      const ni = view.node(nominated);
      if (ni && !this.filterNode(state, ni, view)) return { node: nominated, evaluated: 1, feasible: 1 };
    }
    const want = numFeasibleNodesToFind(nodes.length, this.opts.percentageOfNodesToScore ?? 0);
    const feasible: NodeInfo[] = [];
    let evaluated = 0;
    const start = this.nextStart % nodes.length;
    for (let i = 0; i < nodes.length && feasible.length < want; i++) {
      const n = nodes[(start + i) % nodes.length];
      evaluated++;
      const st = this.filterNode(state, n, view);
      if (st) {
        diagnosis.nodeToStatus.set(n.name, st);
        diagnosis.unschedulablePlugins.add(st.plugin);
      } else feasible.push(n);
    }
    this.nextStart = (start + evaluated) % nodes.length;
    if (feasible.length === 0) return { diagnosis, numAllNodes: nodes.length };
    if (feasible.length === 1) return { node: feasible[0].name, evaluated, feasible: 1 };
    const totals = this.score(state, feasible, view);
    let best = -1;
    let bestScore = -Infinity;
    let ties = 0;
    for (let i = 0; i < feasible.length; i++) {
      if (totals[i] > bestScore) { bestScore = totals[i]; best = i; ties = 1; }
      else if (totals[i] === bestScore) {
        ties++;
        if (this.random() * ties < 1) best = i;
      }
    }
    return { node: feasible[best].name, evaluated, feasible: feasible.length };
  }

  /** Weighted sum of normalized plugin scores per node. */
  score(state: CycleState, nodes: NodeInfo[], view: ClusterView): number[] {
    const totals = new Array<number>(nodes.length).fill(0);
    const scores = new Array<number>(nodes.length);
    for (const p of this.scores) {
      p.preScore?.(state, nodes, view);
      for (let i = 0; i < nodes.length; i++) scores[i] = p.score(state, nodes[i], view);
      p.normalize?.(state, scores, nodes);
      for (let i = 0; i < nodes.length; i++) totals[i] += Math.min(MAX_NODE_SCORE, Math.max(0, scores[i])) * p.weight;
    }
    return totals;
  }
}
