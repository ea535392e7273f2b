/**
 * The scheduler cache: every node with the aggregate of its pods (NodeInfo), kept up to date from
 * informer events and from the scheduler's own decisions (a pod is "assumed" on its node as soon as
 * it is chosen, before the binding is written, and confirmed or forgotten later).
 *
 * Nothing here re-scans all pods per scheduling decision. Two incremental indexes serve the
 * inter-pod affinity and topology spread plugins:
 *   - selector index: for a (namespaces, label selector) pair, how many assigned pods match per
 *     node. Registered lazily on first use (one scan), then updated on every pod add/remove.
 *   - term index: for each distinct affinity term carried by assigned pods (required anti-affinity,
 *     required affinity, preferred (anti-)affinity), the count/weight per topology domain.
 */
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { NodeInfo, PodInfo, termMatches, type AffinityTerm, type ClusterView, type ExistingTermEntry, type ExistingTermKind } from './types.js';

interface SelectorEntry { term: AffinityTerm; perNode: Map<string, number>; perDomain: Map<string, Map<string, number>>; lastUsed: number }
interface TermEntry extends ExistingTermEntry { pods: number }

const TERM_KINDS: ExistingTermKind[] = ['requiredAntiAffinity', 'requiredAffinity', 'preferredAffinity', 'preferredAntiAffinity'];
const MAX_SELECTORS = 2000;

export class SchedulerCache implements ClusterView {
  private readonly nodeInfos = new Map<string, NodeInfo>();
  /** Nodes that exist (have a Node object), in insertion order; the search order of the scheduler. */
  private nodeList: NodeInfo[] = [];
  private listDirty = false;
  private readonly podNode = new Map<string, string>();
  private readonly assumed = new Set<string>();
  private readonly selectors = new Map<string, SelectorEntry>();
  private readonly terms = new Map<ExistingTermKind, Map<string, TermEntry>>(TERM_KINDS.map((k) => [k, new Map()]));
  /** Labels each node had when its pods were put in the term index. */
  private readonly indexedLabels = new Map<string, Record<string, string>>();
  private tick = 0;
  /** label key → value → number of (existing) nodes */
  private readonly domains = new Map<string, Map<string, number>>();
  private readonly imageNodes = new Map<string, number>();
  private readonly nominated = new Map<string, Map<string, PodInfo>>();
  private readonly nominatedNode = new Map<string, string>();
  private nodesWithImages = 0;

  constructor(private readonly nsLabels: (ns: string) => Record<string, string> | undefined = () => undefined) {}

  // ---------- ClusterView ----------

  nodes(): NodeInfo[] {
    if (this.listDirty) {
      this.nodeList = [...this.nodeInfos.values()].filter((n) => this.exists(n));
      this.listDirty = false;
    }
    return this.nodeList;
  }

  node(name: string): NodeInfo | undefined {
    const n = this.nodeInfos.get(name);
    return n && this.exists(n) ? n : undefined;
  }

  namespaceLabels(ns: string): Record<string, string> | undefined { return this.nsLabels(ns); }

  countMatchingPerNode(term: AffinityTerm): Map<string, number> {
    return this.selectorEntry(term).perNode;
  }

  countMatchingPerDomain(term: AffinityTerm): Map<string, number> {
    const e = this.selectorEntry(term);
    let m = e.perDomain.get(term.topologyKey);
    if (!m) {
      m = new Map();
      for (const [nodeName, c] of e.perNode) {
        const v = this.node(nodeName)?.labels[term.topologyKey];
        if (v !== undefined && c > 0) m.set(v, (m.get(v) ?? 0) + c);
      }
      e.perDomain.set(term.topologyKey, m);
    }
    return m;
  }

  /** Node labels changed or a node came or went: per-domain counts are rebuilt on next use. */
  private dropDomainCounts(): void {
    for (const e of this.selectors.values()) e.perDomain.clear();
  }

  private selectorEntry(term: AffinityTerm): SelectorEntry {
    let e = this.selectors.get(term.selectorKey);
    if (!e) {
      if (this.selectors.size >= MAX_SELECTORS) this.evictSelector();
      e = { term, perNode: new Map(), perDomain: new Map(), lastUsed: 0 };
      for (const [key, nodeName] of this.podNode) {
        const ni = this.nodeInfos.get(nodeName);
        const p = ni?.pods.get(key);
        if (p && termMatches(term, p, this.nsLabels(p.namespace))) e.perNode.set(nodeName, (e.perNode.get(nodeName) ?? 0) + 1);
      }
      this.selectors.set(term.selectorKey, e);
    }
    e.lastUsed = ++this.tick;
    return e;
  }

  existingTerms(kind: ExistingTermKind): Iterable<ExistingTermEntry> {
    return this.terms.get(kind)!.values();
  }

  nominatedPods(nodeName: string): PodInfo[] {
    const m = this.nominated.get(nodeName);
    return m ? [...m.values()] : [];
  }

  /** Record (or clear, with undefined) the node a pending pod was nominated to. */
  setNominated(info: PodInfo, nodeName: string | undefined): void {
    const prev = this.nominatedNode.get(info.key);
    if (prev !== undefined) {
      const m = this.nominated.get(prev);
      m?.delete(info.key);
      if (m && m.size === 0) this.nominated.delete(prev);
      this.nominatedNode.delete(info.key);
    }
    if (!nodeName) return;
    let m = this.nominated.get(nodeName);
    if (!m) this.nominated.set(nodeName, (m = new Map()));
    m.set(info.key, info);
    this.nominatedNode.set(info.key, nodeName);
  }

  clearNominated(key: string): void {
    const prev = this.nominatedNode.get(key);
    if (prev === undefined) return;
    const m = this.nominated.get(prev);
    m?.delete(key);
    if (m && m.size === 0) this.nominated.delete(prev);
    this.nominatedNode.delete(key);
  }

  topologyDomains(key: string): Map<string, number> { return this.domains.get(key) ?? new Map(); }
  imageNodeCount(image: string): number { return this.imageNodes.get(image) ?? 0; }
  get anyNodeImages(): boolean { return this.nodesWithImages > 0; }

  /** Count (sign +1) or uncount (−1) a node's labels and images in the node-level indexes. */
  private indexNode(ni: NodeInfo, sign: 1 | -1): void {
    for (const [k, v] of Object.entries(ni.labels)) {
      let m = this.domains.get(k);
      if (!m) this.domains.set(k, (m = new Map()));
      const c = (m.get(v) ?? 0) + sign;
      if (c <= 0) m.delete(v); else m.set(v, c);
      if (m.size === 0) this.domains.delete(k);
    }
    if (ni.images.size > 0) this.nodesWithImages += sign;
    for (const img of ni.images.keys()) {
      const c = (this.imageNodes.get(img) ?? 0) + sign;
      if (c <= 0) this.imageNodes.delete(img); else this.imageNodes.set(img, c);
    }
  }

  // ---------- nodes ----------

  private exists(n: NodeInfo): boolean { return !(n as NodeInfo & { placeholder?: boolean }).placeholder; }

  addOrUpdateNode(node: Node): void {
    const name = node.metadata?.name ?? '';
    let ni = this.nodeInfos.get(name);
    if (!ni) {
      ni = new NodeInfo(node);
      this.nodeInfos.set(name, ni);
      this.listDirty = true;
      this.indexedLabels.set(name, ni.labels);
      this.indexNode(ni, 1);
      return;
    }
    const wasPlaceholder = !this.exists(ni);
    if (!wasPlaceholder) this.indexNode(ni, -1);
    const oldLabels = this.indexedLabels.get(name) ?? {};
    const pods = [...ni.pods.values()];
    const labelsChanged = !sameLabels(oldLabels, (node.metadata?.labels ?? {}) as Record<string, string>);
    if (labelsChanged) for (const p of pods) this.indexTerms(p, oldLabels, -1);
    ni.setNode(node);
    (ni as NodeInfo & { placeholder?: boolean }).placeholder = undefined;
    this.indexedLabels.set(name, ni.labels);
    if (labelsChanged) for (const p of pods) this.indexTerms(p, ni.labels, +1);
    this.indexNode(ni, 1);
    if (labelsChanged || (wasPlaceholder && pods.length > 0)) this.dropDomainCounts();
    if (wasPlaceholder) this.listDirty = true;
  }

  removeNode(name: string): void {
    const ni = this.nodeInfos.get(name);
    if (!ni || !this.exists(ni)) return;
    this.indexNode(ni, -1);
    if (ni.pods.size > 0) this.dropDomainCounts();
    if (ni.pods.size === 0) {
      this.nodeInfos.delete(name);
      this.indexedLabels.delete(name);
    } else {
      // keep the pods' aggregate until they are deleted (as Kubernetes' cache does)
      (ni as NodeInfo & { placeholder?: boolean }).placeholder = true;
    }
    this.listDirty = true;
  }

  // ---------- pods ----------

  /** Add or update an assigned pod (from the informer). Confirms an assumed pod. */
  addOrUpdatePod(pod: Pod): void {
    const nodeName = pod.spec?.nodeName;
    if (!nodeName) return;
    const info = new PodInfo(pod);
    this.assumed.delete(info.key);
    this.place(info, nodeName);
  }

  removePod(key: string): void {
    this.assumed.delete(key);
    const nodeName = this.podNode.get(key);
    if (nodeName === undefined) return;
    this.unplace(key, nodeName);
  }

  /** Put a pod on a node before its binding is written. */
  assume(info: PodInfo, nodeName: string): void {
    this.assumed.add(info.key);
    this.place(info, nodeName);
  }

  /** Undo assume (the binding failed). */
  forget(key: string): void {
    if (!this.assumed.delete(key)) return;
    const nodeName = this.podNode.get(key);
    if (nodeName !== undefined) this.unplace(key, nodeName);
  }

  isAssumed(key: string): boolean { return this.assumed.has(key); }
  nodeOf(key: string): string | undefined { return this.podNode.get(key); }
  get podCount(): number { return this.podNode.size; }

  private place(info: PodInfo, nodeName: string): void {
    const prev = this.podNode.get(info.key);
    if (prev !== undefined) this.unplace(info.key, prev);
    let ni = this.nodeInfos.get(nodeName);
    if (!ni) {
      ni = new NodeInfo({ metadata: { name: nodeName } });
      (ni as NodeInfo & { placeholder?: boolean }).placeholder = true;
      this.nodeInfos.set(nodeName, ni);
      this.indexedLabels.set(nodeName, {});
    }
    ni.addPod(info);
    this.podNode.set(info.key, nodeName);
    const nsl = this.nsLabels(info.namespace);
    const labels = this.exists(ni) ? ni.labels : {};
    for (const e of this.selectors.values()) {
      if (!termMatches(e.term, info, nsl)) continue;
      e.perNode.set(nodeName, (e.perNode.get(nodeName) ?? 0) + 1);
      for (const [key, m] of e.perDomain) { const v = labels[key]; if (v !== undefined) m.set(v, (m.get(v) ?? 0) + 1); }
    }
    this.indexTerms(info, this.indexedLabels.get(nodeName) ?? ni.labels, +1);
  }

  private unplace(key: string, nodeName: string): void {
    const ni = this.nodeInfos.get(nodeName);
    this.podNode.delete(key);
    if (!ni) return;
    const info = ni.removePod(key);
    if (!info) return;
    const nsl = this.nsLabels(info.namespace);
    const labels = this.exists(ni) ? ni.labels : {};
    for (const e of this.selectors.values()) {
      if (!termMatches(e.term, info, nsl)) continue;
      const c = (e.perNode.get(nodeName) ?? 0) - 1;
      if (c <= 0) e.perNode.delete(nodeName); else e.perNode.set(nodeName, c);
      for (const [key, m] of e.perDomain) {
        const v = labels[key];
        if (v === undefined) continue;
        const d = (m.get(v) ?? 0) - 1;
        if (d <= 0) m.delete(v); else m.set(v, d);
      }
    }
    this.indexTerms(info, this.indexedLabels.get(nodeName) ?? ni.labels, -1);
    if (!this.exists(ni) && ni.pods.size === 0) { this.nodeInfos.delete(nodeName); this.indexedLabels.delete(nodeName); }
  }

  private indexTerms(info: PodInfo, labels: Record<string, string>, sign: 1 | -1): void {
    if (!info.hasAffinity) return;
    const apply = (kind: ExistingTermKind, list: AffinityTerm[], weighted: boolean) => {
      const m = this.terms.get(kind)!;
      for (const t of list) {
        const value = labels[t.topologyKey];
        let e = m.get(t.key);
        if (!e) {
          if (sign < 0) continue;
          e = { term: t, perTopology: new Map(), pods: 0 };
          m.set(t.key, e);
        }
        e.pods += sign;
        if (value !== undefined) {
          const v = (e.perTopology.get(value) ?? 0) + sign * (weighted ? t.weight : 1);
          if (v === 0) e.perTopology.delete(value); else e.perTopology.set(value, v);
        }
        if (e.pods <= 0) m.delete(t.key);
      }
    };
    apply('requiredAntiAffinity', info.requiredAntiAffinity, false);
    apply('requiredAffinity', info.requiredAffinity, false);
    apply('preferredAffinity', info.preferredAffinity, true);
    apply('preferredAntiAffinity', info.preferredAntiAffinity, true);
  }

  private evictSelector(): void {
    let oldest: string | undefined;
    let min = Infinity;
    for (const [k, e] of this.selectors) if (e.lastUsed < min) { min = e.lastUsed; oldest = k; }
    if (oldest) this.selectors.delete(oldest);
  }
}

function sameLabels(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) if (a[k] !== b[k]) return false;
  return true;
}
