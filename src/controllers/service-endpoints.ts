/**
 * What a Service's endpoints are, computed from the Service and the pods its selector picks —
 * shared by the Endpoints and EndpointSlice controllers (Kubernetes' endpoints and endpointslice
 * controllers agree on these rules):
 * - only pods with an IP; pods being deleted are terminating: never ready (unless
 *   publishNotReadyAddresses) and left out of Endpoints, but in EndpointSlices still serving while
 *   their Ready condition holds, so proxies can fall back to them (KEP-1669);
 * - serving = the pod's Ready condition (or publishNotReadyAddresses); ready = serving and not terminating;
 * - a named targetPort is resolved per pod from its containers' ports (pods may differ), a number
 *   is used as is; a port that does not resolve leaves that pod out for that port.
 */
import type { KubeObject } from '../api/object.js';
import { selectorFromMap } from '../api/selectors.js';

export interface ServicePort {
  name?: string;
  port: number;
  targetPort?: number | string;
  protocol?: string;
  appProtocol?: string;
}

export interface ResolvedEndpoint {
  ip: string;
  nodeName?: string;
  hostname?: string;
  ready: boolean;
  serving: boolean;
  terminating: boolean;
  pod: KubeObject;
  /** Resolved target port per service port name ('' for an unnamed port); absent = not resolvable. */
  ports: Map<string, number>;
}

interface PodSpecLite {
  nodeName?: string;
  hostname?: string;
  subdomain?: string;
  containers?: { ports?: { name?: string; containerPort: number; protocol?: string }[] }[];
}
interface PodStatusLite { podIP?: string; phase?: string; conditions?: { type: string; status: string }[] }

export function servicePorts(svc: KubeObject): ServicePort[] {
  return ((svc.spec as { ports?: ServicePort[] } | undefined)?.ports ?? []);
}

export function serviceSelector(svc: KubeObject): Record<string, string> | undefined {
  return (svc.spec as { selector?: Record<string, string> } | undefined)?.selector;
}

/** Resolve a service port's targetPort for one pod. */
export function resolveTargetPort(sp: ServicePort, pod: KubeObject): number | undefined {
  const tp = sp.targetPort ?? sp.port;
  if (typeof tp === 'number') return tp;
  if (/^\d+$/.test(tp)) return Number(tp);
  const proto = sp.protocol ?? 'TCP';
  for (const c of (pod.spec as PodSpecLite | undefined)?.containers ?? []) {
    for (const p of c.ports ?? []) if (p.name === tp && (p.protocol ?? 'TCP') === proto) return p.containerPort;
  }
  return undefined;
}

function isPodReady(pod: KubeObject): boolean {
  return ((pod.status as PodStatusLite | undefined)?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/** Endpoints of a service with a selector, in a stable order (by pod namespace/name). */
export function resolveEndpoints(svc: KubeObject, pods: KubeObject[]): ResolvedEndpoint[] {
  const selector = serviceSelector(svc);
  if (!selector) return [];
  const sel = selectorFromMap(selector);
  const publishNotReady = (svc.spec as { publishNotReadyAddresses?: boolean } | undefined)?.publishNotReadyAddresses === true;
  const svcName = String(svc.metadata.name);
  const out: ResolvedEndpoint[] = [];
  for (const pod of pods) {
    if (pod.metadata.namespace !== svc.metadata.namespace) continue;
    if (!sel.matches(pod.metadata.labels ?? {})) continue;
    const st = pod.status as PodStatusLite | undefined;
    const spec = pod.spec as PodSpecLite | undefined;
    if (!st?.podIP || st.phase === 'Succeeded' || st.phase === 'Failed') continue;
    const terminating = !!pod.metadata.deletionTimestamp;
    const ready = publishNotReady || (!terminating && isPodReady(pod));
    const ports = new Map<string, number>();
    for (const sp of servicePorts(svc)) {
      const p = resolveTargetPort(sp, pod);
      if (p !== undefined) ports.set(sp.name ?? '', p);
    }
    out.push({
      ip: st.podIP,
      nodeName: spec?.nodeName,
      hostname: spec?.hostname && spec.subdomain === svcName ? spec.hostname : undefined,
      ready,
      serving: publishNotReady || isPodReady(pod),
      terminating,
      pod,
      ports,
    });
  }
  out.sort((a, b) => `${a.pod.metadata.namespace}/${a.pod.metadata.name}`.localeCompare(`${b.pod.metadata.namespace}/${b.pod.metadata.name}`));
  return out;
}

export function podTargetRef(pod: KubeObject): { kind: string; namespace: string; name: string; uid: string } {
  return { kind: 'Pod', namespace: String(pod.metadata.namespace), name: String(pod.metadata.name), uid: String(pod.metadata.uid) };
}
