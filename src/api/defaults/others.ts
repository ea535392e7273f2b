/** Defaults of the smaller groups: discovery.k8s.io/v1 EndpointSlice ports, scheduling.k8s.io/v1 PriorityClass. */
import type { KubeObject } from '../object.js';

type Obj = Record<string, unknown>;

/** SetDefaults_EndpointPort: name "" and protocol TCP. */
export function defaultEndpointSlice(es: KubeObject): void {
  for (const p of Array.isArray(es.ports) ? (es.ports as Obj[]) : []) {
    if (typeof p !== 'object' || p === null) continue;
    if (p.name === undefined || p.name === null) p.name = '';
    if (p.protocol === undefined || p.protocol === null) p.protocol = 'TCP';
  }
}

/** SetDefaults_PriorityClass: preemptionPolicy PreemptLowerPriority. */
export function defaultPriorityClass(pc: KubeObject): void {
  if (pc.preemptionPolicy === undefined || pc.preemptionPolicy === null) pc.preemptionPolicy = 'PreemptLowerPriority';
}
