/**
 * What an object uses of a ResourceQuota, as Kubernetes' quota evaluators (pkg/quota/v1/evaluator):
 *   every resource      count/<plural>[.<group>]   (count/pods, count/deployments.apps)
 *   pods                pods, cpu / requests.cpu, memory / requests.memory, requests.ephemeral-storage,
 *                       limits.cpu, limits.memory, limits.ephemeral-storage — requests as PodRequests
 *                       (the larger of the containers' sum and any init container, plus overhead);
 *                       a pod in phase Succeeded/Failed, or past its deletion grace, uses nothing
 *   services            services, services.loadbalancers, services.nodeports
 *   claims              persistentvolumeclaims, requests.storage (and per storage class)
 *   configmaps, secrets, replicationcontrollers, resourcequotas: their legacy names
 * Quota scopes (and scopeSelector) Terminating / NotTerminating / BestEffort / NotBestEffort / PriorityClass select pods.
 */
import type { KubeObject } from '../api/object.js';
import { Quantity, parseQuantity, quantityFromInt } from '../api/quantity.js';
import type { Container, PodSpec, ServiceSpec } from 'kubernetes-types/core/v1.js';

export type Usage = Map<string, Quantity>;

const LEGACY_COUNTED = new Set(['configmaps', 'secrets', 'replicationcontrollers', 'resourcequotas', 'services', 'persistentvolumeclaims']);

/** count/<plural>[.<group>] for a resource. */
export function countName(plural: string, group: string): string {
  return group ? `count/${plural}.${group}` : `count/${plural}`;
}

function add(u: Usage, key: string, q: Quantity): void {
  const cur = u.get(key);
  u.set(key, cur ? cur.add(q) : q);
}

function q(v: unknown): Quantity | undefined {
  if (v === undefined || v === null) return undefined;
  try { return parseQuantity(v as string); } catch { return undefined; }
}

type Kind = 'requests' | 'limits';

/** PodRequests / PodLimits for one resource: max(sum of containers, each init container) + overhead. */
export function podResource(spec: PodSpec, kind: Kind, resource: string): Quantity | undefined {
  let sum: Quantity | undefined;
  let seen = false;
  for (const c of spec.containers ?? []) {
    const v = q(c.resources?.[kind]?.[resource]);
    if (v) { sum = sum ? sum.add(v) : v; seen = true; }
  }
  // restartable init containers (sidecars) run beside the containers: they add up
  for (const c of spec.initContainers ?? []) {
    if (c.restartPolicy !== 'Always') continue;
    const v = q(c.resources?.[kind]?.[resource]);
    if (v) { sum = sum ? sum.add(v) : v; seen = true; }
  }
  for (const c of spec.initContainers ?? []) {
    if (c.restartPolicy === 'Always') continue;
    const v = q(c.resources?.[kind]?.[resource]);
    if (v) { seen = true; if (!sum || v.cmp(sum) > 0) sum = v; }
  }
  const oh = kind === 'requests' ? q(spec.overhead?.[resource]) : undefined;
  if (oh && seen) sum = sum!.add(oh);
  return seen ? sum : undefined;
}

/** QuotaV1Pod: does the pod use quota now? */
export function podCountsForQuota(pod: KubeObject, now: number): boolean {
  const phase = (pod.status as { phase?: string } | undefined)?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return false;
  const dt = pod.metadata.deletionTimestamp;
  if (dt) {
    const grace = pod.metadata.deletionGracePeriodSeconds ?? 0;
    if (Date.parse(dt) + grace * 1000 < now) return false;
  }
  return true;
}

export function isBestEffort(spec: PodSpec): boolean {
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])] as Container[]) {
    for (const kind of ['requests', 'limits'] as const) {
      for (const r of Object.keys(c.resources?.[kind] ?? {})) if (r === 'cpu' || r === 'memory') return false;
    }
  }
  return true;
}

export interface QuotaScopeSpec {
  scopes?: string[];
  scopeSelector?: { matchExpressions?: { scopeName: string; operator: string; values?: string[] }[] };
}

/** One scope against a pod (Terminating, NotTerminating, BestEffort, NotBestEffort, PriorityClass). */
function scopeMatches(scope: string, operator: string, values: string[] | undefined, spec: PodSpec): boolean {
  const terminating = spec.activeDeadlineSeconds !== undefined && spec.activeDeadlineSeconds !== null && spec.activeDeadlineSeconds >= 0;
  switch (scope) {
    case 'Terminating': return terminating;
    case 'NotTerminating': return !terminating;
    case 'BestEffort': return isBestEffort(spec);
    case 'NotBestEffort': return !isBestEffort(spec);
    case 'PriorityClass': {
      const pc = spec.priorityClassName ?? '';
      switch (operator) {
        case 'In': return (values ?? []).includes(pc);
        case 'NotIn': return !(values ?? []).includes(pc);
        case 'Exists': return pc !== '';
        case 'DoesNotExist': return pc === '';
        default: return false;
      }
    }
    default: return false;
  }
}

/** Whether a quota with these scopes / scopeSelector tracks the object (scopes only ever select pods). */
export function quotaMatches(q: QuotaScopeSpec, plural: string, group: string, obj: KubeObject): boolean {
  const exprs = q.scopeSelector?.matchExpressions ?? [];
  if (!q.scopes?.length && !exprs.length) return true;
  if (!(plural === 'pods' && group === '')) return false;
  const spec = (obj.spec ?? {}) as PodSpec;
  for (const s of q.scopes ?? []) if (!scopeMatches(s, 'Exists', undefined, spec)) return false;
  for (const e of exprs) {
    // for the boolean scopes the operator is Exists (DoesNotExist inverts them)
    if (e.scopeName === 'PriorityClass') { if (!scopeMatches(e.scopeName, e.operator, e.values, spec)) return false; continue; }
    const m = scopeMatches(e.scopeName, 'Exists', undefined, spec);
    if (e.operator === 'DoesNotExist' ? m : !m) return false;
  }
  return true;
}

/** The quota usage of one object of resource `plural`.`group`. */
export function usageOf(plural: string, group: string, obj: KubeObject, now: number): Usage {
  const u: Usage = new Map();
  const one = quantityFromInt(1);
  if (plural === 'pods' && group === '') {
    // count/pods counts every stored pod; the compute resources (and `pods`) only live ones
    add(u, countName('pods', ''), one);
    if (!podCountsForQuota(obj, now)) return u;
    add(u, 'pods', one);
    const spec = (obj.spec ?? {}) as PodSpec;
    for (const r of ['cpu', 'memory', 'ephemeral-storage']) {
      const req = podResource(spec, 'requests', r);
      if (req) { add(u, `requests.${r}`, req); add(u, r, req); }
      const lim = podResource(spec, 'limits', r);
      if (lim) add(u, `limits.${r}`, lim);
    }
    return u;
  }
  add(u, countName(plural, group), one);
  if (group === '' && LEGACY_COUNTED.has(plural)) add(u, plural, one);
  if (plural === 'services' && group === '') {
    const spec = (obj.spec ?? {}) as ServiceSpec;
    if (spec.type === 'LoadBalancer') add(u, 'services.loadbalancers', one);
    if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') add(u, 'services.nodeports', quantityFromInt((spec.ports ?? []).length));
  }
  if (plural === 'persistentvolumeclaims' && group === '') {
    const spec = (obj.spec ?? {}) as { storageClassName?: string; resources?: { requests?: Record<string, string> } };
    const storage = q(spec.resources?.requests?.storage);
    if (storage) add(u, 'requests.storage', storage);
    if (spec.storageClassName) {
      add(u, `${spec.storageClassName}.storageclass.storage.k8s.io/persistentvolumeclaims`, one);
      if (storage) add(u, `${spec.storageClassName}.storageclass.storage.k8s.io/requests.storage`, storage);
    }
  }
  return u;
}

/**
 * For pods under a quota on cpu or memory (only those: Kubernetes' validationSet), each container
 * and init container must state the request/limit: "limits.cpu for: a,b; requests.memory for: a".
 */
export function missingComputeResources(obj: KubeObject, hard: string[]): string[] {
  const spec = (obj.spec ?? {}) as PodSpec;
  const required: [string, Kind, string][] = ([
    ['cpu', 'requests', 'cpu'], ['limits.cpu', 'limits', 'cpu'], ['limits.memory', 'limits', 'memory'],
    ['memory', 'requests', 'memory'], ['requests.cpu', 'requests', 'cpu'], ['requests.memory', 'requests', 'memory'],
  ] as [string, Kind, string][]).filter(([name]) => hard.includes(name));
  const out: string[] = [];
  for (const [name, kind, r] of required.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
    const missing = [...(spec.containers ?? []), ...(spec.initContainers ?? [])].filter((c) => c.resources?.[kind]?.[r] === undefined).map((c) => c.name).sort();
    if (missing.length) out.push(`${name} for: ${[...new Set(missing)].join(',')}`);
  }
  return out;
}

/** "a=1,b=2" with names sorted, as Kubernetes' prettyPrint. */
export function prettyPrint(u: Map<string, Quantity | string>): string {
  return [...u.keys()].sort().map((k) => `${k}=${String(u.get(k))}`).join(',');
}
