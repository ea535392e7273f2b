/** Builds a ResourceDef with Kubernetes' usual defaults, so each kind's file states only what differs. */
import type { KubeObject } from '../object.js';
import { age, ageColumn, nameColumn } from './print-util.js';
import { allVerbs, type ResourceDef } from './types.js';

export type ResourceSpec = Pick<ResourceDef, 'group' | 'version' | 'kind' | 'plural' | 'namespaced'> & Partial<ResourceDef>;

export function defineResource(spec: ResourceSpec): ResourceDef {
  return {
    listKind: `${spec.kind}List`,
    singular: spec.kind.toLowerCase(),
    verbs: allVerbs,
    columns: [nameColumn, ageColumn],
    row: (obj: KubeObject, now: number) => [obj.metadata.name ?? '', age(obj, now)],
    ...spec,
  };
}
