/**
 * Endpoints controller (Kubernetes' endpoint controller): every Service with a selector has an
 * Endpoints object of the same name listing its pods' addresses, ready ones under `addresses` and
 * the rest under `notReadyAddresses`, grouped into subsets by their resolved ports.
 * Services without a selector are left alone (their Endpoints are the user's).
 */
import type { KubeObject } from '../api/object.js';
import type { KubeClient } from '../client/types.js';
import { Resources } from '../client/resources.js';
import type { SharedInformers } from '../client/shared-informers.js';
import { WorkQueue } from '../client/work-queue.js';
import { objectKey, splitKey } from '../client/informer.js';
import { isAlreadyExists, isNotFound } from '../client/errors.js';
import type { Clock } from '../util/clock.js';
import { runController, type RunningController } from './runner.js';
import { resolveEndpoints, servicePorts, serviceSelector, podTargetRef, type ResolvedEndpoint } from './service-endpoints.js';
import { enqueueServicesOfPod } from './service-routing.js';

interface EndpointAddress { ip: string; hostname?: string; nodeName?: string; targetRef: ReturnType<typeof podTargetRef> }
interface EndpointPort { name?: string; port: number; protocol: string; appProtocol?: string }
export interface EndpointSubset { addresses?: EndpointAddress[]; notReadyAddresses?: EndpointAddress[]; ports?: EndpointPort[] }

/** Subsets as Kubernetes packs them: endpoints with the same resolved ports share a subset. */
export function buildSubsets(svc: KubeObject, eps: ResolvedEndpoint[]): EndpointSubset[] {
  const ports = servicePorts(svc);
  const publishNotReady = (svc.spec as { publishNotReadyAddresses?: boolean } | undefined)?.publishNotReadyAddresses === true;
  const groups = new Map<string, EndpointSubset>();
  for (const ep of eps) {
    if (ep.terminating && !publishNotReady) continue;
    const epPorts: EndpointPort[] = [];
    for (const sp of ports) {
      const p = ep.ports.get(sp.name ?? '');
      if (p === undefined) continue;
      const port: EndpointPort = { port: p, protocol: sp.protocol ?? 'TCP' };
      if (sp.name) port.name = sp.name;
      if (sp.appProtocol) port.appProtocol = sp.appProtocol;
      epPorts.push(port);
    }
    if (ports.length > 0 && epPorts.length === 0) continue;
    epPorts.sort((a, b) => (a.name ?? '').localeCompare(b.name ?? '') || a.port - b.port);
    const key = JSON.stringify(epPorts);
    let subset = groups.get(key);
    if (!subset) groups.set(key, (subset = epPorts.length ? { ports: epPorts } : {}));
    const addr: EndpointAddress = { ip: ep.ip, targetRef: podTargetRef(ep.pod) };
    if (ep.hostname) addr.hostname = ep.hostname;
    if (ep.nodeName) addr.nodeName = ep.nodeName;
    if (ep.ready) (subset.addresses ??= []).push(addr);
    else (subset.notReadyAddresses ??= []).push(addr);
  }
  const subsets = [...groups.values()];
  for (const s of subsets) {
    s.addresses?.sort((a, b) => a.ip.localeCompare(b.ip));
    s.notReadyAddresses?.sort((a, b) => a.ip.localeCompare(b.ip));
  }
  return subsets;
}

function endpointsLabels(svc: KubeObject): Record<string, string> {
  const labels = { ...(svc.metadata.labels ?? {}) };
  if ((svc.spec as { clusterIP?: string } | undefined)?.clusterIP === 'None') labels['service.kubernetes.io/headless'] = '';
  return labels;
}

export function startEndpointsController(opts: { client: KubeClient; informers: SharedInformers; clock?: Clock }): RunningController {
  const { client, informers } = opts;
  const services = informers.for(Resources.services);
  const pods = informers.for(Resources.pods);
  const endpoints = informers.for(Resources.endpoints);
  const queue = new WorkQueue({ clock: opts.clock });
  services.addEventHandler({ onAdd: (s) => queue.add(objectKey(s)), onUpdate: (_o, s) => queue.add(objectKey(s)), onDelete: (s) => queue.add(objectKey(s)) });
  enqueueServicesOfPod(pods, services, (k) => queue.add(k));
  endpoints.addEventHandler({ onUpdate: (_o, e) => queue.add(objectKey(e)), onDelete: (e) => queue.add(objectKey(e)) });

  return runController({
    name: 'endpoints',
    async reconcile(key) {
      const { namespace, name } = splitKey(key);
      const svc = services.get(key);
      const existing = endpoints.get(key);
      if (!svc || !serviceSelector(svc) || (svc.spec as { type?: string } | undefined)?.type === 'ExternalName') {
        // only Endpoints we manage go away with their Service
        if (!svc && existing) {
          try { await client.delete(Resources.endpoints, namespace, name); } catch (err) { if (!isNotFound(err)) throw err; }
        }
        return;
      }
      const subsets = buildSubsets(svc, resolveEndpoints(svc, pods.byIndex('namespace', String(namespace))));
      const labels = endpointsLabels(svc);
      if (!existing) {
        const obj: KubeObject = { apiVersion: 'v1', kind: 'Endpoints', metadata: { name, namespace, labels } };
        if (subsets.length) obj.subsets = subsets;
        try { await client.create(Resources.endpoints, namespace, obj); } catch (err) { if (!isAlreadyExists(err)) throw err; }
        return;
      }
      const cur = (existing.subsets as EndpointSubset[] | undefined) ?? [];
      if (JSON.stringify(cur) === JSON.stringify(subsets) && JSON.stringify(existing.metadata.labels ?? {}) === JSON.stringify(labels)) return;
      const updated: KubeObject = { ...existing, metadata: { ...existing.metadata, labels } };
      if (subsets.length) updated.subsets = subsets; else delete updated.subsets;
      await client.update(Resources.endpoints, namespace, updated);
    },
  }, queue, 2);
}
