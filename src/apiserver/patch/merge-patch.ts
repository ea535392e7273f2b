/**
 * RFC 7386 JSON merge patch (`application/merge-patch+json`): objects merge key by key, `null`
 * deletes a key, everything else (lists included) replaces. As in the library the Kubernetes API
 * server uses, nulls inside a value that lands on a missing key are pruned.
 */
import { ApiError } from '../../api/errors.js';
import type { KubeObject } from '../../api/object.js';
import { deepClone, isObject, type JsonObject } from './json-value.js';

/** Remove nulls from objects, recursively (also inside objects that are list items). */
export function pruneNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map((x) => (x === null ? null : pruneNulls(x)));
  if (isObject(v)) {
    const out: JsonObject = {};
    for (const [k, x] of Object.entries(v)) if (x !== null) out[k] = pruneNulls(x);
    return out;
  }
  return v;
}

/** Merge `patch` into a copy of `target` (RFC 7386 MergePatch). */
export function mergeValue(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return deepClone(patch);
  if (!isObject(target)) return pruneNulls(patch);
  const out: JsonObject = deepClone(target);
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) {
      delete out[k];
    } else if (!Object.prototype.hasOwnProperty.call(out, k) || out[k] === null) {
      out[k] = pruneNulls(v);
    } else {
      out[k] = mergeValue(out[k], v);
    }
  }
  return out;
}

/** Apply a JSON merge patch (already decoded from JSON) to a copy of `doc`. */
export function applyMergePatch(doc: KubeObject, patch: unknown): KubeObject {
  // null and scalars are not merge patches at all (json-patch's ErrBadJSONPatch).
  if (patch === null || patch === undefined || (!isObject(patch) && !Array.isArray(patch))) throw ApiError.badRequest('Invalid JSON Patch');
  if (!isObject(patch)) {
    // Kubernetes turns the document into the patch, which then cannot be decoded as an object.
    throw ApiError.invalid('', '', [{
      type: 'FieldValueInvalid',
      field: 'patch',
      badValue: JSON.stringify(patch),
      detail: 'json: cannot unmarshal array into Go value of type map[string]interface {}',
    }]);
  }
  return mergeValue(doc, patch) as KubeObject;
}
