/**
 * Defaulting as Kubernetes does it (pkg/apis/<group>/v1/defaults.go), one file per kind
 * (or kind family), registered here by GroupKind (`Pod`, `Deployment.apps`).
 * The API server calls applyDefaults on every create and update body before validation.
 */
import type { KubeObject } from '../object.js';
import { registerDefaulters } from './registry.js';

export type Defaulter = (obj: KubeObject) => void;

export const defaulters = new Map<string, Defaulter>();
registerDefaulters(defaulters);

/** Mutates `obj` in place. */
export function applyDefaults(gk: string, obj: KubeObject): void {
  defaulters.get(gk)?.(obj);
}

export { admitPodServiceAccount } from './service-account.js';
export { prepareJobForCreate } from './batch.js';
export { admitPodPriority } from './priority.js';
export { admitDefaultTolerationSeconds } from './default-toleration-seconds.js';
export { prepareNamespaceForCreate } from './core.js';
