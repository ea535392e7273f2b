/**
 * Resource arithmetic as the scheduler sees it (k8s.io/component-helpers/resource PodRequests and
 * the scheduler's Resource type): CPU in millicores, everything else in whole units.
 * A pod's request = max(sum of app containers + restartable init (sidecar) containers,
 * the largest init container step) + pod overhead.
 */
import type { Container, Pod, ResourceRequirements } from 'kubernetes-types/core/v1.js';
import { parseQuantity } from '../api/quantity.js';

export type ResourceMap = Map<string, number>;

/** Defaults the scheduler assumes for containers without a CPU/memory request (scoring only). */
export const DEFAULT_MILLI_CPU_REQUEST = 100;
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

const quantityCache = new Map<string, number>();
export function quantityValue(name: string, q: string | number | undefined): number {
  if (q === undefined || q === null) return 0;
  const key = `${name === 'cpu' ? 'm' : 'u'}${q}`;
  let v = quantityCache.get(key);
  if (v === undefined) {
    try {
      const parsed = parseQuantity(q);
      v = Number(name === 'cpu' ? parsed.milliValue() : parsed.value());
    } catch { v = 0; }
    if (quantityCache.size > 10_000) quantityCache.clear();
    quantityCache.set(key, v);
  }
  return v;
}

export function resourceList(rl: Record<string, string | number> | undefined): ResourceMap {
  const out: ResourceMap = new Map();
  if (!rl) return out;
  for (const [k, v] of Object.entries(rl)) out.set(k, quantityValue(k, v));
  return out;
}

function add(into: ResourceMap, from: ResourceMap): void {
  for (const [k, v] of from) into.set(k, (into.get(k) ?? 0) + v);
}
function maxInto(into: ResourceMap, from: ResourceMap): void {
  for (const [k, v] of from) into.set(k, Math.max(into.get(k) ?? 0, v));
}

function containerRequests(c: Container, nonZero: boolean): ResourceMap {
  const r = resourceList((c.resources as ResourceRequirements | undefined)?.requests as Record<string, string> | undefined);
  if (nonZero) {
    if (!r.has('cpu')) r.set('cpu', DEFAULT_MILLI_CPU_REQUEST);
    if (!r.has('memory')) r.set('memory', DEFAULT_MEMORY_REQUEST);
  }
  return r;
}

/** The pod's effective request. `nonZero` fills CPU/memory defaults per container (for scoring). */
export function podRequests(pod: Pod, nonZero = false): ResourceMap {
  const spec = pod.spec;
  const reqs: ResourceMap = new Map();
  if (!spec) return reqs;
  for (const c of spec.containers ?? []) add(reqs, containerRequests(c, nonZero));
  const sidecars: ResourceMap = new Map();
  const initMax: ResourceMap = new Map();
  for (const ic of spec.initContainers ?? []) {
    const cr = containerRequests(ic, nonZero);
    if (ic.restartPolicy === 'Always') {
      add(reqs, cr);
      add(sidecars, cr);
      maxInto(initMax, sidecars);
    } else {
      const step: ResourceMap = new Map(sidecars);
      add(step, cr);
      maxInto(initMax, step);
    }
  }
  maxInto(reqs, initMax);
  if (spec.overhead) add(reqs, resourceList(spec.overhead as Record<string, string>));
  return reqs;
}
