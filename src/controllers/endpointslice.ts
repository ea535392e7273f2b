/**
 * EndpointSlice controller (Kubernetes' endpointslice controller): a Service with a selector gets
 * EndpointSlices (discovery.k8s.io/v1, addressType IPv4) labelled kubernetes.io/service-name and
 * managed-by endpointslice-controller.k8s.io, owned by the Service, with at most 100 endpoints each
 * and one slice per distinct set of resolved ports. Endpoints carry ready/serving/terminating.
 * Slices are updated in place when their content changes; surplus slices are deleted.
 */
import type { KubeObject } from '../api/object.js';
import type { KubeClient } from '../client/types.js';
import { Resources } from '../client/resources.js';
import type { SharedInformers } from '../client/shared-informers.js';
import { WorkQueue } from '../client/work-queue.js';
import { objectKey, splitKey } from '../client/informer.js';
import { isNotFound } from '../client/errors.js';
import type { Clock } from '../util/clock.js';
import { runController, type RunningController } from './runner.js';
import { resolveEndpoints, servicePorts, serviceSelector, podTargetRef, type ResolvedEndpoint } from './service-endpoints.js';
import { enqueueServicesOfPod } from './service-routing.js';
import { controllerRef } from './owner-routing.js';

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
export const MANAGED_BY = 'endpointslice-controller.k8s.io';
export const MAX_ENDPOINTS_PER_SLICE = 100;

interface SlicePort { name: string; port: number; protocol: string; appProtocol?: string }
interface SliceEndpoint {
  addresses: string[];
  conditions: { ready: boolean; serving: boolean; terminating: boolean };
  hostname?: string;
  nodeName?: string;
  targetRef: ReturnType<typeof podTargetRef>;
}
export interface DesiredSlice { ports: SlicePort[]; endpoints: SliceEndpoint[] }

/** Desired slices: endpoints grouped by their resolved ports, chunked by MAX_ENDPOINTS_PER_SLICE. */
export function desiredSlices(svc: KubeObject, eps: ResolvedEndpoint[]): DesiredSlice[] {
  const ports = servicePorts(svc);
  const groups = new Map<string, DesiredSlice>();
  for (const ep of eps) {
    const sp: SlicePort[] = [];
    for (const p of ports) {
      const port = ep.ports.get(p.name ?? '');
      if (port === undefined) continue;
      const s: SlicePort = { name: p.name ?? '', port, protocol: p.protocol ?? 'TCP' };
      if (p.appProtocol) s.appProtocol = p.appProtocol;
      sp.push(s);
    }
    if (ports.length > 0 && sp.length === 0) continue;
    const key = JSON.stringify(sp);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { ports: sp, endpoints: [] }));
    const e: SliceEndpoint = { addresses: [ep.ip], conditions: { ready: ep.ready, serving: ep.serving, terminating: ep.terminating }, targetRef: podTargetRef(ep.pod) };
    if (ep.hostname) e.hostname = ep.hostname;
    if (ep.nodeName) e.nodeName = ep.nodeName;
    g.endpoints.push(e);
  }
  const out: DesiredSlice[] = [];
  for (const g of groups.values()) {
    for (let i = 0; i < g.endpoints.length; i += MAX_ENDPOINTS_PER_SLICE) out.push({ ports: g.ports, endpoints: g.endpoints.slice(i, i + MAX_ENDPOINTS_PER_SLICE) });
  }
  // a service with a selector but no endpoints still gets one empty slice (no ports), as Kubernetes does
  if (out.length === 0) out.push({ ports: [], endpoints: [] });
  return out;
}

function sliceLabels(svc: KubeObject): Record<string, string> {
  const labels: Record<string, string> = { ...(svc.metadata.labels ?? {}), [SERVICE_NAME_LABEL]: String(svc.metadata.name), [MANAGED_BY_LABEL]: MANAGED_BY };
  if ((svc.spec as { clusterIP?: string } | undefined)?.clusterIP === 'None') labels['service.kubernetes.io/headless'] = '';
  return labels;
}

function sameContent(slice: KubeObject, want: DesiredSlice, labels: Record<string, string>): boolean {
  return JSON.stringify(slice.endpoints ?? []) === JSON.stringify(want.endpoints) &&
    JSON.stringify(slice.ports ?? []) === JSON.stringify(want.ports) &&
    JSON.stringify(slice.metadata.labels ?? {}) === JSON.stringify(labels);
}

export function startEndpointSliceController(opts: { client: KubeClient; informers: SharedInformers; clock?: Clock }): RunningController {
  const { client, informers } = opts;
  const services = informers.for(Resources.services);
  const pods = informers.for(Resources.pods);
  const slices = informers.for(Resources.endpointslices);
  slices.addIndexer('service', (s) => {
    const l = s.metadata.labels ?? {};
    return l[MANAGED_BY_LABEL] === MANAGED_BY && l[SERVICE_NAME_LABEL] ? [`${s.metadata.namespace}/${l[SERVICE_NAME_LABEL]}`] : [];
  });
  const queue = new WorkQueue({ clock: opts.clock });
  services.addEventHandler({ onAdd: (s) => queue.add(objectKey(s)), onUpdate: (_o, s) => queue.add(objectKey(s)), onDelete: (s) => queue.add(objectKey(s)) });
  enqueueServicesOfPod(pods, services, (k) => queue.add(k));
  const bySlice = (s: KubeObject) => {
    const svcName = s.metadata.labels?.[SERVICE_NAME_LABEL];
    if (svcName && s.metadata.labels?.[MANAGED_BY_LABEL] === MANAGED_BY) queue.add(`${s.metadata.namespace}/${svcName}`);
  };
  slices.addEventHandler({ onUpdate: (_o, s) => bySlice(s), onDelete: bySlice });

  return runController({
    name: 'endpointslice',
    async reconcile(key) {
      const { namespace } = splitKey(key);
      const svc = services.get(key);
      const existing = slices.byIndex('service', key).sort((a, b) => String(a.metadata.name).localeCompare(String(b.metadata.name)));
      const managed = !!svc && !!serviceSelector(svc) && (svc.spec as { type?: string } | undefined)?.type !== 'ExternalName';
      const want = managed ? desiredSlices(svc!, resolveEndpoints(svc!, pods.byIndex('namespace', String(namespace)))) : [];
      const labels = managed ? sliceLabels(svc!) : {};
      // reuse existing slices in order, update where content differs
      for (let i = 0; i < want.length; i++) {
        const cur = existing[i];
        if (cur) {
          if (sameContent(cur, want[i], labels)) continue;
          await client.update(Resources.endpointslices, namespace, { ...cur, metadata: { ...cur.metadata, labels }, endpoints: want[i].endpoints, ports: want[i].ports });
        } else {
          await client.create(Resources.endpointslices, namespace, {
            apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
            metadata: { generateName: `${svc!.metadata.name}-`, namespace, labels, ownerReferences: [controllerRef(svc!, Resources.services)] },
            addressType: 'IPv4',
            endpoints: want[i].endpoints,
            ports: want[i].ports,
          });
        }
      }
      for (const extra of existing.slice(want.length)) {
        try { await client.delete(Resources.endpointslices, namespace, String(extra.metadata.name)); } catch (err) { if (!isNotFound(err)) throw err; }
      }
    },
  }, queue, 2);
}
