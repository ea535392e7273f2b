/**
 * Validation of objects as Kubernetes validates them, one file per kind (or kind family),
 * registered here by GroupKind (`Pod`, `Deployment.apps`; see groupKind()).
 * The API server calls validateCreate / validateUpdate after defaulting; an empty array = valid.
 */
import type { FieldError } from '../errors.js';
import type { KubeObject } from '../object.js';
import { registerValidators } from './registry.js';

export interface KindValidator {
  /** Validate a new object. */
  create(obj: KubeObject): FieldError[];
  /** Validate an update of the main resource (spec changes; immutability rules). */
  update(obj: KubeObject, old: KubeObject): FieldError[];
  /** Validate an update through the `status` subresource. Defaults to `update` when absent. */
  updateStatus?(obj: KubeObject, old: KubeObject): FieldError[];
}

export const validators = new Map<string, KindValidator>();
registerValidators(validators);

export function validateCreate(gk: string, obj: KubeObject): FieldError[] {
  return validators.get(gk)?.create(obj) ?? [];
}

export function validateUpdate(gk: string, obj: KubeObject, old: KubeObject): FieldError[] {
  return validators.get(gk)?.update(obj, old) ?? [];
}

export function validateStatusUpdate(gk: string, obj: KubeObject, old: KubeObject): FieldError[] {
  const v = validators.get(gk);
  if (!v) return [];
  return v.updateStatus ? v.updateStatus(obj, old) : v.update(obj, old);
}
