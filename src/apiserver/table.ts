/** metav1 Table and PartialObjectMetadata renderings of objects (what `kubectl get` asks for). */
import type { KubeObject } from '../api/object.js';
import type { ResourceDef } from '../api/resources/types.js';

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export function columnDefinitions(def: ResourceDef): Record<string, unknown>[] {
  return def.columns.map((c) => ({ name: c.name, type: c.type, format: c.format ?? '', description: c.description, priority: c.priority }));
}

export function partialMetadata(obj: KubeObject, version = 'v1'): Record<string, unknown> {
  return { kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${version}`, metadata: obj.metadata };
}

export function tableRow(def: ResourceDef, obj: KubeObject, now: number, include: IncludeObject, version = 'v1'): Record<string, unknown> {
  const row: Record<string, unknown> = { cells: def.row(obj, now) };
  const conds = def.rowConditions?.(obj);
  if (conds) row.conditions = conds;
  if (include === 'Metadata') row.object = partialMetadata(obj, version);
  else if (include === 'Object') row.object = obj;
  return row;
}

export function parseIncludeObject(v: string | null): IncludeObject {
  if (v === 'None' || v === 'Object' || v === 'Metadata') return v;
  return 'Metadata';
}
