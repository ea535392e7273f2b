/**
 * The scheduler's working types, after Kubernetes' scheduler framework: PodInfo (a pod with its
 * parsed requests, tolerations, affinity terms and ports, computed once), NodeInfo (a node with the
 * aggregate of the pods on it: requested resources, pod count, used host ports, the pods with
 * affinity terms), filter statuses and the plugin interfaces.
 */
import type { Node, Pod, Toleration, Taint, PodAffinityTerm, WeightedPodAffinityTerm, ContainerPort } from 'kubernetes-types/core/v1.js';
import { selectorFromSpec, type LabelSelector, type LabelSelectorSpec } from '../api/selectors.js';
import { podRequests, resourceList, type ResourceMap } from './resources.js';

export type Code = 'Unschedulable' | 'UnschedulableAndUnresolvable';

/** Why one plugin rejected one node (reasons are the strings counted in FailedScheduling). */
export interface FilterStatus {
  code: Code;
  reasons: string[];
  plugin: string;
}

export interface AffinityTerm {
  namespaces: Set<string>;
  /** Namespace selector; null = none given (only `namespaces` count), everything = all namespaces. */
  namespaceSelector: LabelSelector | null;
  selector: LabelSelector;
  topologyKey: string;
  /** A stable key for the term's identity (used by the term indexes). */
  key: string;
  /** The key of who it selects (namespaces + selectors, without topology key). */
  selectorKey: string;
  weight: number;
}

function toTerm(pod: Pod, t: PodAffinityTerm, weight: number): AffinityTerm {
  let selector: LabelSelector;
  try { selector = selectorFromSpec(t.labelSelector as LabelSelectorSpec | undefined ?? null); } catch { selector = selectorFromSpec({ matchExpressions: [{ key: '__invalid__', operator: 'DoesNotExist' }] } as LabelSelectorSpec); }
  // a nil label selector selects nothing
  const nothingSel = !t.labelSelector;
  const nsList = t.namespaces ?? [];
  const namespaces = new Set<string>(nsList.length === 0 && !t.namespaceSelector ? [pod.metadata?.namespace ?? 'default'] : nsList);
  let namespaceSelector: LabelSelector | null = null;
  if (t.namespaceSelector) {
    try { namespaceSelector = selectorFromSpec(t.namespaceSelector as LabelSelectorSpec); } catch { namespaceSelector = null; }
  }
  const sel = nothingSel ? { ...selector, matches: () => false } : selector;
  const selectorKey = JSON.stringify([[...namespaces].sort(), namespaceSelector?.toString() ?? null, nothingSel ? '<none>' : selector.toString()]);
  return { namespaces, namespaceSelector, selector: sel, topologyKey: t.topologyKey, key: `${selectorKey}|${t.topologyKey}`, selectorKey, weight };
}

/** A term selecting pods of one namespace by a label selector (topology spread constraints). */
export function namespaceTerm(namespace: string, selector: LabelSelector, topologyKey: string): AffinityTerm {
  const selectorKey = JSON.stringify([[namespace], null, selector.toString()]);
  return { namespaces: new Set([namespace]), namespaceSelector: null, selector, topologyKey, key: `${selectorKey}|${topologyKey}`, selectorKey, weight: 1 };
}

/** Does `pod` (with its namespace's labels) match the term? */
export function termMatches(term: AffinityTerm, pod: PodInfo, nsLabels?: Record<string, string>): boolean {
  const inNs = term.namespaces.has(pod.namespace) || (term.namespaceSelector !== null && term.namespaceSelector.matches(nsLabels ?? {}));
  return inNs && term.selector.matches(pod.labels);
}

export interface HostPort { ip: string; protocol: string; port: number }

export class PodInfo {
  readonly key: string;
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly labels: Record<string, string>;
  readonly priority: number;
  readonly requests: ResourceMap;
  readonly nonZeroRequests: ResourceMap;
  readonly tolerations: Toleration[];
  readonly requiredAffinity: AffinityTerm[];
  readonly requiredAntiAffinity: AffinityTerm[];
  readonly preferredAffinity: AffinityTerm[];
  readonly preferredAntiAffinity: AffinityTerm[];
  readonly hostPorts: HostPort[];
  readonly images: string[];
  /**
   * For pods without topology spread constraints: the selector of the Services and the controller
   * (ReplicaSet, ReplicationController, StatefulSet) that select it, for PodTopologySpread's system
   * default constraints. Set by the scheduler.
   */
  defaultSpreadSelector?: LabelSelector;
  /** Requests > 0 in the order NodeResourcesFit checks them (cpu, memory, ephemeral-storage, then by name). */
  readonly requestList: [string, number][];

  constructor(readonly pod: Pod) {
    const m = pod.metadata ?? {};
    this.namespace = m.namespace ?? 'default';
    this.name = m.name ?? '';
    this.key = `${this.namespace}/${this.name}`;
    this.uid = m.uid ?? '';
    this.labels = (m.labels ?? {}) as Record<string, string>;
    const spec = pod.spec ?? { containers: [] };
    this.priority = spec.priority ?? 0;
    this.requests = podRequests(pod);
    this.nonZeroRequests = podRequests(pod, true);
    this.tolerations = spec.tolerations ?? [];
    const a = spec.affinity;
    this.requiredAffinity = (a?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((t) => toTerm(pod, t, 1));
    this.requiredAntiAffinity = (a?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((t) => toTerm(pod, t, 1));
    this.preferredAffinity = (a?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((w: WeightedPodAffinityTerm) => toTerm(pod, w.podAffinityTerm, w.weight));
    this.preferredAntiAffinity = (a?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((w: WeightedPodAffinityTerm) => toTerm(pod, w.podAffinityTerm, w.weight));
    this.hostPorts = [];
    for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
      for (const p of (c.ports ?? []) as ContainerPort[]) {
        if (p.hostPort && p.hostPort > 0) this.hostPorts.push({ ip: p.hostIP || '0.0.0.0', protocol: p.protocol || 'TCP', port: p.hostPort });
      }
    }
    this.images = (spec.containers ?? []).map((c) => c.image ?? '').filter(Boolean);
    const order = ['cpu', 'memory', 'ephemeral-storage'];
    const names = [...order, ...[...this.requests.keys()].filter((k) => !order.includes(k) && k !== 'pods').sort()];
    this.requestList = names.map((n) => [n, this.requests.get(n) ?? 0] as [string, number]).filter(([, v]) => v > 0);
  }

  get hasAffinity(): boolean {
    return this.requiredAffinity.length + this.requiredAntiAffinity.length + this.preferredAffinity.length + this.preferredAntiAffinity.length > 0;
  }
}

export class NodeInfo {
  node: Node;
  name: string;
  labels: Record<string, string>;
  allocatable: ResourceMap;
  allowedPods: number;
  taints: Taint[];
  readonly pods = new Map<string, PodInfo>();
  readonly requested: ResourceMap = new Map();
  readonly nonZeroRequested: ResourceMap = new Map();
  readonly usedPorts: HostPort[] = [];
  /** image name (as written in pod specs and node.status.images names) → size in bytes */
  images = new Map<string, number>();
  /** Bumped on every change (snapshots of a node compare it). */
  generation = 0;

  constructor(node: Node) {
    this.node = node;
    this.name = node.metadata?.name ?? '';
    this.labels = {};
    this.allocatable = new Map();
    this.allowedPods = 0;
    this.taints = [];
    this.setNode(node);
  }

  setNode(node: Node): void {
    this.node = node;
    this.labels = (node.metadata?.labels ?? {}) as Record<string, string>;
    this.allocatable = resourceList(node.status?.allocatable as Record<string, string> | undefined);
    this.allowedPods = this.allocatable.get('pods') ?? 0;
    this.taints = node.spec?.taints ?? [];
    this.images = new Map();
    for (const img of node.status?.images ?? []) {
      for (const n of img.names ?? []) {
        this.images.set(n, img.sizeBytes ?? 0);
        const last = n.split('/').pop() ?? n;
        if (!last.includes(':') && !n.includes('@')) this.images.set(`${n}:latest`, img.sizeBytes ?? 0);
      }
    }
    this.generation++;
  }

  get unschedulable(): boolean { return this.node.spec?.unschedulable === true; }

  addPod(p: PodInfo): void {
    if (this.pods.has(p.key)) this.removePod(p.key);
    this.pods.set(p.key, p);
    for (const [k, v] of p.requests) this.requested.set(k, (this.requested.get(k) ?? 0) + v);
    for (const [k, v] of p.nonZeroRequests) this.nonZeroRequested.set(k, (this.nonZeroRequested.get(k) ?? 0) + v);
    for (const hp of p.hostPorts) this.usedPorts.push(hp);
    this.generation++;
  }

  removePod(key: string): PodInfo | undefined {
    const p = this.pods.get(key);
    if (!p) return undefined;
    this.pods.delete(key);
    for (const [k, v] of p.requests) this.requested.set(k, (this.requested.get(k) ?? 0) - v);
    for (const [k, v] of p.nonZeroRequests) this.nonZeroRequested.set(k, (this.nonZeroRequested.get(k) ?? 0) - v);
    for (const hp of p.hostPorts) {
      const i = this.usedPorts.findIndex((u) => u.ip === hp.ip && u.protocol === hp.protocol && u.port === hp.port);
      if (i >= 0) this.usedPorts.splice(i, 1);
    }
    this.generation++;
    return p;
  }
}

/** What the filter plugins may look at beyond one node: computed once per pod per cycle. */
export interface CycleState {
  pod: PodInfo;
  /** Plugin-private state keyed by plugin name. */
  data: Map<string, unknown>;
}

export interface ClusterView {
  nodes(): NodeInfo[];
  node(name: string): NodeInfo | undefined;
  /** Labels of a namespace (for namespaceSelector in affinity terms). */
  namespaceLabels(ns: string): Record<string, string> | undefined;
  /** Existing assigned pods matching `term` (namespaces + selector), counted per node name. */
  countMatchingPerNode(term: AffinityTerm): Map<string, number>;
  /** The same, per value of the term's topology key (live and incremental: read within one cycle only). */
  countMatchingPerDomain(term: AffinityTerm): Map<string, number>;
  /** The terms of existing pods (required anti-affinity / preferred affinity...) with counts per topology value. */
  existingTerms(kind: ExistingTermKind): Iterable<ExistingTermEntry>;
  /** Domains of a topology key: label value → number of nodes carrying it (incremental). */
  topologyDomains(key: string): Map<string, number>;
  /** How many nodes list an image (normalized name) in status.images. */
  imageNodeCount(image: string): number;
  /** Whether any node reports images at all. */
  readonly anyNodeImages: boolean;
  /** Pending pods nominated to the node by preemption (their room is held for them). */
  nominatedPods(nodeName: string): PodInfo[];
}

export type ExistingTermKind = 'requiredAntiAffinity' | 'requiredAffinity' | 'preferredAffinity' | 'preferredAntiAffinity';

export interface ExistingTermEntry {
  term: AffinityTerm;
  /** topology value → summed weight (or count) of pods carrying the term in that domain */
  perTopology: Map<string, number>;
}

export interface FilterPlugin {
  readonly name: string;
  /** Compute per-cycle data; may reject the pod for every node at once (returns a message). */
  preFilter?(state: CycleState, view: ClusterView): void;
  filter(state: CycleState, node: NodeInfo, view: ClusterView): FilterStatus | null;
}

export interface ScorePlugin {
  readonly name: string;
  readonly weight: number;
  preScore?(state: CycleState, nodes: NodeInfo[], view: ClusterView): void;
  score(state: CycleState, node: NodeInfo, view: ClusterView): number;
  /** Normalize raw scores to 0..100 in place (as the plugin's NormalizeScore). */
  normalize?(state: CycleState, scores: number[], nodes: NodeInfo[]): void;
}

export const MAX_NODE_SCORE = 100;

export function rejected(plugin: string, code: Code, ...reasons: string[]): FilterStatus {
  return { plugin, code, reasons };
}

/** Kubernetes' DefaultNormalizeScore: scale to 0..100 by the maximum; reverse flips. */
export function defaultNormalize(scores: number[], reverse: boolean): void {
  let max = 0;
  for (const s of scores) if (s > max) max = s;
  if (max === 0) {
    if (reverse) for (let i = 0; i < scores.length; i++) scores[i] = MAX_NODE_SCORE;
    return;
  }
  for (let i = 0; i < scores.length; i++) {
    let s = Math.floor((MAX_NODE_SCORE * scores[i]) / max);
    if (reverse) s = MAX_NODE_SCORE - s;
    scores[i] = s;
  }
}
