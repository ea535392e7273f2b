/** Helpers for the validation tests: build, default, validate, and render errors as Kubernetes prints them. */
import type { KubeObject } from '../object.js';
import { fieldErrorString } from '../errors.js';
import { applyDefaults } from '../defaults/index.js';
import { validateCreate, validateStatusUpdate, validateUpdate } from './index.js';

export type Mutate = (o: any) => void; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Build, mutate, default (as the API server does with a request body), optionally mutate again, validate. */
export function createErrors(gk: string, base: () => KubeObject, mutate: Mutate, afterDefaults?: Mutate): string[] {
  const o = base();
  mutate(o);
  applyDefaults(gk, o);
  afterDefaults?.(o);
  return validateCreate(gk, o).map(fieldErrorString);
}

export function updateErrors(gk: string, base: () => KubeObject, mutate: Mutate, status = false): string[] {
  const old = base();
  applyDefaults(gk, old);
  old.metadata.resourceVersion = '5';
  old.metadata.uid = old.metadata.uid ?? 'uid-1';
  old.metadata.creationTimestamp = '2024-01-01T00:00:00Z';
  const nw = structuredClone(old);
  mutate(nw);
  applyDefaults(gk, nw);
  return (status ? validateStatusUpdate(gk, nw, old) : validateUpdate(gk, nw, old)).map(fieldErrorString);
}
