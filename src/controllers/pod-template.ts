/**
 * Pods from a pod template, as Kubernetes' GetPodFromTemplate: the template's labels, annotations,
 * finalizers and spec; generateName `OWNER-`; a controller ownerReference with blockOwnerDeletion.
 */
import type { KubeObject } from '../api/object.js';
import type { ResourceRef } from '../client/types.js';
import { controllerRef } from './owner-routing.js';

export interface PodTemplateSpec {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string>; finalizers?: string[]; name?: string };
  spec?: Record<string, unknown>;
}

export function podFromTemplate(template: PodTemplateSpec, owner: KubeObject, ownerRef: ResourceRef, generateNamePrefix = `${owner.metadata.name}-`): KubeObject {
  const tm = template.metadata ?? {};
  const pod: KubeObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: generateNamePrefix,
      namespace: owner.metadata.namespace,
      ownerReferences: [controllerRef(owner, ownerRef)],
    },
    spec: structuredClone(template.spec ?? {}),
  };
  if (tm.labels && Object.keys(tm.labels).length) pod.metadata.labels = { ...tm.labels };
  if (tm.annotations && Object.keys(tm.annotations).length) pod.metadata.annotations = { ...tm.annotations };
  if (tm.finalizers?.length) pod.metadata.finalizers = [...tm.finalizers];
  return pod;
}

/** The pod's Ready condition is True. */
export function isPodReady(pod: KubeObject): boolean {
  return readyCondition(pod)?.status === 'True';
}

export function readyCondition(pod: KubeObject): { status?: string; lastTransitionTime?: string } | undefined {
  const conds = (pod.status as { conditions?: { type: string; status?: string; lastTransitionTime?: string }[] } | undefined)?.conditions;
  return conds?.find((c) => c.type === 'Ready');
}

/** podutil.IsPodAvailable: ready for at least minReadySeconds. */
export function isPodAvailable(pod: KubeObject, minReadySeconds: number, now: number): boolean {
  const c = readyCondition(pod);
  if (c?.status !== 'True') return false;
  if (!minReadySeconds) return true;
  if (!c.lastTransitionTime) return false;
  return Date.parse(c.lastTransitionTime) + minReadySeconds * 1000 < now;
}

export function podPhase(pod: KubeObject): string {
  return (pod.status as { phase?: string } | undefined)?.phase ?? '';
}

/** controller.IsPodActive: not terminal and not being deleted. */
export function isPodActive(pod: KubeObject): boolean {
  const phase = podPhase(pod);
  return phase !== 'Succeeded' && phase !== 'Failed' && !pod.metadata.deletionTimestamp;
}
