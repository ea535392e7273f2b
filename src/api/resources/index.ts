/**
 * Every built-in resource the API server serves. Adding a resource = one small file in this
 * folder + one line here.
 */
import { selfsubjectaccessreviews, selfsubjectreviews } from './authn-authz.js';
import { cronjobs, jobs } from './batch.js';
import { bindings, configmaps, limitranges, podtemplates, resourcequotas, secrets, serviceaccounts } from './core-simple.js';
import { events, eventsV1 } from './event.js';
import { endpointslices, leases, poddisruptionbudgets, priorityclasses } from './misc.js';
import { namespaces } from './namespace.js';
import { nodes } from './node.js';
import { pods } from './pod.js';
import { endpoints, services } from './service.js';
import type { ResourceDef } from './types.js';
import { persistentvolumeclaims, persistentvolumes } from './volume.js';
import { controllerrevisions, daemonsets, deployments, replicasets, replicationcontrollers, statefulsets } from './workloads.js';

export const builtinResources: ResourceDef[] = [
  // core/v1
  namespaces,
  pods,
  nodes,
  events,
  configmaps,
  secrets,
  serviceaccounts,
  services,
  endpoints,
  replicationcontrollers,
  persistentvolumeclaims,
  persistentvolumes,
  limitranges,
  resourcequotas,
  podtemplates,
  bindings,
  // apps/v1
  deployments,
  replicasets,
  statefulsets,
  daemonsets,
  controllerrevisions,
  // batch/v1
  jobs,
  cronjobs,
  // others
  leases,
  endpointslices,
  eventsV1,
  poddisruptionbudgets,
  priorityclasses,
  selfsubjectreviews,
  selfsubjectaccessreviews,
];

export type { ResourceDef } from './types.js';
