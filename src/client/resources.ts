/**
 * ResourceRefs of the built-in resources, derived from the API server's own definitions so the
 * client and the server cannot disagree on names, groups or scope.
 */
import { builtinResources } from '../api/resources/index.js';
import type { ResourceDef } from '../api/resources/types.js';
import type { ResourceRef } from './types.js';

export function refFor(def: ResourceDef): ResourceRef {
  return { group: def.group, version: def.version, resource: def.plural, kind: def.kind, namespaced: def.namespaced };
}

function find(group: string, plural: string): ResourceRef {
  const def = builtinResources.find((d) => d.group === group && d.plural === plural);
  if (!def) throw new Error(`no built-in resource ${plural}.${group}`);
  return refFor(def);
}

export const Resources = {
  namespaces: find('', 'namespaces'),
  pods: find('', 'pods'),
  nodes: find('', 'nodes'),
  events: find('', 'events'),
  configmaps: find('', 'configmaps'),
  secrets: find('', 'secrets'),
  serviceaccounts: find('', 'serviceaccounts'),
  services: find('', 'services'),
  endpoints: find('', 'endpoints'),
  replicationcontrollers: find('', 'replicationcontrollers'),
  persistentvolumeclaims: find('', 'persistentvolumeclaims'),
  resourcequotas: find('', 'resourcequotas'),
  deployments: find('apps', 'deployments'),
  replicasets: find('apps', 'replicasets'),
  statefulsets: find('apps', 'statefulsets'),
  daemonsets: find('apps', 'daemonsets'),
  controllerrevisions: find('apps', 'controllerrevisions'),
  jobs: find('batch', 'jobs'),
  cronjobs: find('batch', 'cronjobs'),
  leases: find('coordination.k8s.io', 'leases'),
  endpointslices: find('discovery.k8s.io', 'endpointslices'),
  poddisruptionbudgets: find('policy', 'poddisruptionbudgets'),
  priorityclasses: find('scheduling.k8s.io', 'priorityclasses'),
} as const;
