/**
 * DefaultPreemption (PostFilter): when a pod fits nowhere, find a node where evicting pods of lower
 * priority makes room. Per node, remove every lower-priority pod, check the pod fits, then give back
 * ("reprieve") victims from the most important down — those protected by a PodDisruptionBudget
 * first — while it still fits. Among candidate nodes pick: fewest PDB violations, then the lowest
 * highest-victim priority, then the smallest sum of victim priorities, then the fewest victims.
 * Messages are Kubernetes' ("preemption: 0/3 nodes are available: 1 No preemption victims found for
 * incoming pod, 2 Preemption is not helpful for scheduling.").
 * Limitation: inter-pod affinity and topology spread are re-checked with the pre-filter state
 * computed before victims were removed.
 */
import { selectorFromSpec, type LabelSelectorSpec } from '../api/selectors.js';
import type { KubeObject } from '../api/object.js';
import type { Diagnosis } from './fit-error.js';
import { fitErrorMessage } from './fit-error.js';
import type { Framework } from './framework.js';
import { NodeInfo, rejected, type ClusterView, type FilterStatus, type PodInfo } from './types.js';

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
  const state = fw.newState(pod);
  fw.preFilter(state, view);
  for (const n of nodes) {
    const st = diagnosis.nodeToStatus.get(n.name);
    if (!st || st.code === 'UnschedulableAndUnresolvable') { statuses.set(n.name, rejected('DefaultPreemption', 'UnschedulableAndUnresolvable', NOT_HELPFUL)); continue; }
    const lower = [...n.pods.values()].filter((p) => p.priority < pod.priority && !p.pod.metadata?.deletionTimestamp);
    if (lower.length === 0) { statuses.set(n.name, rejected('DefaultPreemption', 'Unschedulable', NO_VICTIMS)); continue; }
    const victimSet = new Set(lower.map((p) => p.key));
    const trial = new NodeInfo(n.node);
    for (const p of n.pods.values()) if (!victimSet.has(p.key)) trial.addPod(p);
    if (fw.filterNode(state, trial, view)) { statuses.set(n.name, rejected('DefaultPreemption', 'Unschedulable', NO_VICTIMS)); continue; }
    // reprieve: most important first; PDB-protected victims before the others
    const budget = pdbs.map((b) => b.allowed);
    const violates = (p: PodInfo): boolean => pdbs.some((b, i) => b.namespace === p.namespace && b.matches(p.labels) && budget[i] <= 0);
    const byImportance = (a: PodInfo, b: PodInfo) => b.priority - a.priority;
    const protectedFirst = [...lower.filter(violates).sort(byImportance), ...lower.filter((p) => !violates(p)).sort(byImportance)];
    const victims: PodInfo[] = [];
    let pdbViolations = 0;
    for (const p of protectedFirst) {
      trial.addPod(p);
      if (fw.filterNode(state, trial, view)) {
        trial.removePod(p.key);
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
