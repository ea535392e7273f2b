/** Small helpers over decoded JSON values, shared by every patch type. */

export type JsonObject = { [key: string]: unknown };

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A deep copy of a JSON value (objects, arrays, primitives). */
export function deepClone<T>(v: T): T {
  if (Array.isArray(v)) return v.map((x) => deepClone(x)) as unknown as T;
  if (isObject(v)) {
    const out: JsonObject = {};
    for (const k of Object.keys(v)) out[k] = deepClone(v[k]);
    return out as T;
  }
  return v;
}

/** Structural equality of two JSON values (key order does not matter, array order does). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false;
    return true;
  }
  if (isObject(a)) {
    if (!isObject(b)) return false;
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    for (const k of ka) {
      if (!Object.prototype.hasOwnProperty.call(b, k)) return false;
      if (!deepEqual(a[k], b[k])) return false;
    }
    return true;
  }
  return false;
}

/** The name Go's encoding/json gives a JSON value's type in its unmarshal errors. */
export function goJsonTypeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'object') return 'object';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return 'number';
  if (typeof v === 'boolean') return 'bool';
  return 'value';
}

/** A copy without the `null` values of objects (what a typed round trip drops), recursively. */
export function stripNulls<T>(v: T): T {
  if (Array.isArray(v)) return v.map((x) => stripNulls(x)) as unknown as T;
  if (isObject(v)) {
    const out: JsonObject = {};
    for (const k of Object.keys(v)) if (v[k] !== null) out[k] = stripNulls(v[k]);
    return out as T;
  }
  return v;
}
