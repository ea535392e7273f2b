/** Matching helpers shared by plugins: tolerations against taints, node selector terms. */
import type { NodeSelectorRequirement, NodeSelectorTerm, Taint, Toleration } from 'kubernetes-types/core/v1.js';

/** v1 helper ToleratesTaint. */
export function toleratesTaint(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  // an empty key with Exists tolerates everything
  const op = t.operator || 'Equal';
  if (op === 'Exists') return true;
  return (t.value ?? '') === (taint.value ?? '');
}

export function tolerated(tolerations: Toleration[], taint: Taint): boolean {
  for (const t of tolerations) if (toleratesTaint(t, taint)) return true;
  return false;
}

/** The first taint with one of `effects` that no toleration tolerates. */
export function firstUntolerated(taints: Taint[], tolerations: Toleration[], effects: string[]): Taint | undefined {
  for (const taint of taints) if (effects.includes(taint.effect) && !tolerated(tolerations, taint)) return taint;
  return undefined;
}

function matchRequirement(r: NodeSelectorRequirement, value: string | undefined): boolean {
  const has = value !== undefined;
  const vals = r.values ?? [];
  switch (r.operator) {
    case 'In': return has && vals.includes(value);
    case 'NotIn': return !has || !vals.includes(value);
    case 'Exists': return has;
    case 'DoesNotExist': return !has;
    case 'Gt': case 'Lt': {
      if (!has || vals.length !== 1 || !/^-?\d+$/.test(value) || !/^-?\d+$/.test(vals[0])) return false;
      return r.operator === 'Gt' ? Number(value) > Number(vals[0]) : Number(value) < Number(vals[0]);
    }
    default: return false;
  }
}

/** A node selector term: all expressions and fields match; an empty term matches nothing. */
export function termMatchesNode(term: NodeSelectorTerm, labels: Record<string, string>, nodeName: string): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  for (const r of exprs) if (!matchRequirement(r, labels[r.key])) return false;
  for (const r of fields) if (r.key !== 'metadata.name' || !matchRequirement(r, nodeName)) return false;
  return true;
}

/** Terms are ORed. */
export function anyTermMatches(terms: NodeSelectorTerm[], labels: Record<string, string>, nodeName: string): boolean {
  for (const t of terms) if (termMatchesNode(t, labels, nodeName)) return true;
  return false;
}
