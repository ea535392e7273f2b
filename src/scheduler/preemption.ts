/**
 * DefaultPreemption (PostFilter): when a pod fits nowhere, find a node where evicting pods of lower
 * priority makes room. Per node, remove every lower-priority pod, check the pod fits, then give back
 * ("reprieve") victims from the most important down — those protected by a PodDisruptionBudget
 * first — while it still fits. Among candidate nodes pick: fewest PDB violations, then the lowest
 * highest-victim priority, then the smallest sum of victim priorities, then the fewest victims.
 * Messages are Kubernetes' ("preemption: 0/3 nodes are available: 1 No preemption victims found for
 * incoming pod, 2 Preemption is not helpful for scheduling.").
 * Each trial re-runs the pre-filters over a view of the cluster without the would-be victims
 * (their requests, their matches for affinity/spread counts and their own anti-affinity terms), so
 * evicting a pod that blocks by anti-affinity or spread is found as Kubernetes finds it.
 */
import { selectorFromSpec, type LabelSelectorSpec } from '../api/selectors.js';
import type { KubeObject } from '../api/object.js';
import type { Diagnosis } from './fit-error.js';
import { fitErrorMessage } from './fit-error.js';
import type { Framework } from './framework.js';
import { NodeInfo, rejected, termMatches, type AffinityTerm, type ClusterView, type ExistingTermEntry, type ExistingTermKind, type FilterStatus, type PodInfo } from './types.js';

/** The cluster as it would be without `removed` (all on node `nodeName`). */
function withoutPods(view: ClusterView, nodeName: string, trial: NodeInfo, removed: PodInfo[]): ClusterView {
  const labels = view.node(nodeName)?.labels ?? {};
  const matching = (term: AffinityTerm) => removed.filter((p) => termMatches(term, p, view.namespaceLabels(p.namespace)));
  const termsOf = (p: PodInfo, kind: ExistingTermKind): AffinityTerm[] =>
    kind === 'requiredAntiAffinity' ? p.requiredAntiAffinity : kind === 'requiredAffinity' ? p.requiredAffinity : kind === 'preferredAffinity' ? p.preferredAffinity : p.preferredAntiAffinity;
  return {
    nodes: () => view.nodes().map((n) => (n.name === nodeName ? trial : n)),
    node: (name) => (name === nodeName ? trial : view.node(name)),
    namespaceLabels: (ns) => view.namespaceLabels(ns),
    topologyDomains: (key) => view.topologyDomains(key),
    imageNodeCount: (img) => view.imageNodeCount(img),
    get anyNodeImages() { return view.anyNodeImages; },
    nominatedPods: (n) => view.nominatedPods(n),
    countMatchingPerNode(term) {
      const out = new Map(view.countMatchingPerNode(term));
      const n = matching(term).length;
      if (n) { const c = (out.get(nodeName) ?? 0) - n; if (c > 0) out.set(nodeName, c); else out.delete(nodeName); }
      return out;
    },
    countMatchingPerDomain(term) {
      const out = new Map(view.countMatchingPerDomain(term));
      const v = labels[term.topologyKey];
      const n = matching(term).length;
      if (n && v !== undefined) { const c = (out.get(v) ?? 0) - n; if (c > 0) out.set(v, c); else out.delete(v); }
      return out;
    },
    existingTerms(kind) {
      const out: ExistingTermEntry[] = [];
      for (const e of view.existingTerms(kind)) {
        let delta = 0;
        for (const p of removed) for (const t of termsOf(p, kind)) if (t.key === e.term.key) delta += kind.startsWith('preferred') ? t.weight : 1;
        const v = labels[e.term.topologyKey];
        if (delta === 0 || v === undefined) { out.push(e); continue; }
        const per = new Map(e.perTopology);
        const c = (per.get(v) ?? 0) - delta;
        if (c > 0) per.set(v, c); else per.delete(v);
        out.push({ term: e.term, perTopology: per });
      }
      return out;
    },
  };
}

export interface PreemptionResult {
  nominatedNode?: string;
  victims: PodInfo[];
  /** The post-filter message (prefixed "preemption: "), or empty on success. */
  message: string;
}

interface Candidate { node: string; victims: PodInfo[]; pdbViolations: number }

const NOT_HELPFUL = 'Preemption is not helpful for scheduling';
const NO_VICTIMS = 'No preemption victims found for incoming pod';

interface Pdb { namespace: string; matches(labels: Record<string, string>): boolean; allowed: number }

function pdbsOf(list: KubeObject[]): Pdb[] {
  const out: Pdb[] = [];
  for (const p of list) {
    const spec = (p.spec ?? {}) as { selector?: LabelSelectorSpec };
    const st = (p.status ?? {}) as { disruptionsAllowed?: number };
    if (!spec.selector) continue;
    let sel;
    try { sel = selectorFromSpec(spec.selector); } catch { continue; }
    if (sel.empty()) continue;
    out.push({ namespace: p.metadata.namespace ?? '', matches: (l) => sel.matches(l), allowed: st.disruptionsAllowed ?? 0 });
  }
  return out;
}

export function preempt(fw: Framework, pod: PodInfo, diagnosis: Diagnosis, view: ClusterView, pdbObjects: KubeObject[]): PreemptionResult {
  if (pod.pod.spec?.preemptionPolicy === 'Never') return { victims: [], message: 'preemption: not eligible due to preemptionPolicy=Never.' };
  const nominated = pod.pod.status?.nominatedNodeName;
  if (nominated) {
    const ni = view.node(nominated);
    if (ni) for (const p of ni.pods.values()) {
      if (p.pod.metadata?.deletionTimestamp && p.priority < pod.priority) return { victims: [], message: 'preemption: not eligible due to a terminating pod on the nominated node.' };
    }
  }
  const nodes = view.nodes();
  const pdbs = pdbsOf(pdbObjects);
  const statuses = new Map<string, FilterStatus>();
  const candidates: Candidate[] = [];
  /** Does the pod fit on n with exactly `removed` gone? */
  const fitsWithout = (n: NodeInfo, removed: PodInfo[]): boolean => {
    const gone = new Set(removed.map((p) => p.key));
    const trial = new NodeInfo(n.node);
    for (const p of n.pods.values()) if (!gone.has(p.key)) trial.addPod(p);
    const trialView = withoutPods(view, n.name, trial, removed);
    const state = fw.newState(pod);
    fw.preFilter(state, trialView);
    return !fw.filterNode(state, trial, trialView);
  };
  for (const n of nodes) {
    const st = diagnosis.nodeToStatus.get(n.name);
    if (!st || st.code === 'UnschedulableAndUnresolvable') { statuses.set(n.name, rejected('DefaultPreemption', 'UnschedulableAndUnresolvable', NOT_HELPFUL)); continue; }
    const lower = [...n.pods.values()].filter((p) => p.priority < pod.priority && !p.pod.metadata?.deletionTimestamp);
    if (lower.length === 0) { statuses.set(n.name, rejected('DefaultPreemption', 'Unschedulable', NO_VICTIMS)); continue; }
    if (!fitsWithout(n, lower)) { statuses.set(n.name, rejected('DefaultPreemption', 'Unschedulable', NO_VICTIMS)); continue; }
    // reprieve: most important first; PDB-protected victims before the others
    const budget = pdbs.map((b) => b.allowed);
    const violates = (p: PodInfo): boolean => pdbs.some((b, i) => b.namespace === p.namespace && b.matches(p.labels) && budget[i] <= 0);
    const byImportance = (a: PodInfo, b: PodInfo) => b.priority - a.priority;
    const protectedFirst = [...lower.filter(violates).sort(byImportance), ...lower.filter((p) => !violates(p)).sort(byImportance)];
    const victims: PodInfo[] = [];
    let pdbViolations = 0;
    // still removed: the victims so far and the candidates not yet reprieved
    let removed = [...protectedFirst];
    for (const p of protectedFirst) {
      const without = removed.filter((x) => x !== p);
      if (fitsWithout(n, without)) removed = without;
      else {
        victims.push(p);
        pdbs.forEach((b, i) => { if (b.namespace === p.namespace && b.matches(p.labels)) { if (budget[i] <= 0) pdbViolations++; budget[i]--; } });
      }
    }
    candidates.push({ node: n.name, victims, pdbViolations });
  }
  if (candidates.length === 0) {
    return { victims: [], message: `preemption: ${fitErrorMessage(nodes.length, { nodeToStatus: statuses, unschedulablePlugins: new Set() })}` };
  }
  const highest = (c: Candidate) => Math.max(...c.victims.map((v) => v.priority), -Infinity);
  const sum = (c: Candidate) => c.victims.reduce((a, v) => a + v.priority + 2 ** 31, 0);
  candidates.sort((a, b) => a.pdbViolations - b.pdbViolations || highest(a) - highest(b) || sum(a) - sum(b) || a.victims.length - b.victims.length);
  const best = candidates[0];
  return { nominatedNode: best.node, victims: best.victims, message: '' };
}
