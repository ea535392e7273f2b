/** Pod changes enqueue the Services whose selector picks the pod (before or after the change). */
import type { KubeObject } from '../api/object.js';
import type { Informer } from '../client/informer.js';
import { objectKey } from '../client/informer.js';
import { selectorFromMap } from '../api/selectors.js';
import { serviceSelector } from './service-endpoints.js';

export function servicesSelecting(services: Informer, pod: KubeObject): string[] {
  const out: string[] = [];
  for (const svc of services.byIndex('namespace', String(pod.metadata.namespace))) {
    const sel = serviceSelector(svc);
    if (sel && selectorFromMap(sel).matches(pod.metadata.labels ?? {})) out.push(objectKey(svc));
  }
  return out;
}

export function enqueueServicesOfPod(pods: Informer, services: Informer, enqueue: (key: string) => void): void {
  const route = (...ps: KubeObject[]) => {
    const keys = new Set<string>();
    for (const p of ps) for (const k of servicesSelecting(services, p)) keys.add(k);
    for (const k of keys) enqueue(k);
  };
  pods.addEventHandler({ onAdd: (p) => route(p), onUpdate: (o, p) => route(o, p), onDelete: (p) => route(p) });
}
