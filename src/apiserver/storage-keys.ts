/**
 * Store keys, as Kubernetes lays them out in etcd: `/registry/<resource>/<namespace>/<name>` and
 * `/registry/<resource>/<name>` for cluster-scoped kinds. Built-in groups use the bare resource
 * name (Kubernetes' default resource prefix), with its historical exceptions; resources of other
 * groups (custom resources) are under `/registry/<group>/<resource>`.
 */
import type { ResourceDef } from '../api/resources/types.js';

/** Kubernetes' historical prefixes that differ from the resource name. */
const legacyPrefixes: Record<string, string> = {
  '/services': 'services/specs',
  '/endpoints': 'services/endpoints',
  '/nodes': 'minions',
  '/replicationcontrollers': 'controllers',
  'apps/deployments': 'deployments',
};

const builtinGroups = new Set(['', 'apps', 'batch', 'coordination.k8s.io', 'discovery.k8s.io', 'events.k8s.io', 'policy', 'scheduling.k8s.io',
  'autoscaling', 'networking.k8s.io', 'rbac.authorization.k8s.io', 'storage.k8s.io', 'certificates.k8s.io', 'node.k8s.io', 'admissionregistration.k8s.io',
  'apiextensions.k8s.io', 'flowcontrol.apiserver.k8s.io', 'resource.k8s.io']);

/** The storage resource of a def (events.k8s.io Event → core events). */
export function storageResource(def: ResourceDef): { group: string; resource: string } {
  return def.storage ? { group: def.storage.group, resource: def.storage.resource } : { group: def.group, resource: def.plural };
}

/** `/registry/pods` (no trailing slash). */
export function resourcePrefix(def: ResourceDef): string {
  const { group, resource } = storageResource(def);
  const legacy = legacyPrefixes[`${group}/${resource}`];
  if (legacy) return `/registry/${legacy}`;
  return builtinGroups.has(group) ? `/registry/${resource}` : `/registry/${group}/${resource}`;
}

/** The key of one object. */
export function objectKey(def: ResourceDef, namespace: string | undefined, name: string): string {
  const p = resourcePrefix(def);
  return def.namespaced ? `${p}/${namespace}/${name}` : `${p}/${name}`;
}

/** The prefix for a list: all namespaces (namespace undefined/'') or one. Ends with '/'. */
export function listPrefix(def: ResourceDef, namespace?: string): string {
  const p = resourcePrefix(def);
  return def.namespaced && namespace ? `${p}/${namespace}/` : `${p}/`;
}
