/**
 * Objects in the store: JSON with apiVersion, kind and metadata first, and without
 * metadata.resourceVersion (the store's modRevision is the resourceVersion, set on the way out).
 */
import type { KubeObject } from '../api/object.js';
import type { KeyValue } from '../storage/store.js';

export function encodeObject(obj: KubeObject): string {
  const { apiVersion, kind, metadata, ...rest } = obj;
  const { resourceVersion: _rv, selfLink: _sl, ...meta } = metadata;
  void _rv; void _sl;
  return JSON.stringify({ apiVersion, kind, metadata: meta, ...rest });
}

/**
 * What decodeObject gives for the text encodeObject(obj) stored at `revision`, without the JSON
 * round trip: the same keys in the same order (resourceVersion last in metadata), sharing values
 * with `obj`. Only for an object with string apiVersion and kind (else the order differs: use the
 * round trip); values JSON would drop (undefined) are still dropped when the result is serialized.
 */
export function asDecoded(obj: KubeObject, revision: number): KubeObject {
  const { apiVersion, kind, metadata, ...rest } = obj;
  const { resourceVersion: _rv, selfLink: _sl, ...meta } = metadata;
  void _rv; void _sl;
  (meta as KubeObject['metadata']).resourceVersion = String(revision);
  return { apiVersion, kind, metadata: meta, ...rest };
}

export function decodeObject(kv: KeyValue, revision = kv.modRevision): KubeObject {
  const obj = JSON.parse(kv.value) as KubeObject;
  obj.metadata.resourceVersion = String(revision);
  return obj;
}

/**
 * The stored JSON with `"resourceVersion":"N"` spliced into the top-level metadata, without a
 * parse/stringify round trip (used to stream large lists). Relies on encodeObject's field order.
 */
export function injectResourceVersion(json: string, revision: number): string {
  const marker = '"metadata":{';
  const at = json.indexOf(marker);
  // only when this is the top-level metadata (no object opened before it): else re-encode
  if (at < 0 || json.lastIndexOf('{', at) !== 0) {
    const obj = JSON.parse(json) as KubeObject;
    if (obj.metadata) obj.metadata.resourceVersion = String(revision);
    return JSON.stringify(obj);
  }
  const i = at + marker.length;
  const rv = `"resourceVersion":"${revision}"`;
  return json[i] === '}' ? json.slice(0, i) + rv + json.slice(i) : json.slice(0, i) + rv + ',' + json.slice(i);
}

export function deepClone<T>(v: T): T {
  return structuredClone(v);
}

/**
 * A deep copy of a decoded JSON value (plain objects, arrays, primitives), as structuredClone makes
 * it but ~10x faster for an object the size of a pod (5 µs vs 60 µs): the request path copies
 * objects several times per write. A `__proto__` key stays an own property, as JSON.parse made it.
 */
export function cloneJson<T>(v: T): T {
  if (typeof v !== 'object' || v === null) return v;
  if (Array.isArray(v)) {
    const out: unknown[] = new Array(v.length);
    for (let i = 0; i < v.length; i++) out[i] = cloneJson(v[i]);
    return out as T;
  }
  const src = v as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(src)) {
    if (k === '__proto__') Object.defineProperty(out, k, { value: cloneJson(src[k]), enumerable: true, writable: true, configurable: true });
    else out[k] = cloneJson(src[k]);
  }
  return out as T;
}

/** Structural equality of JSON values. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    if (a.length !== bb.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], bb[i])) return false;
    return true;
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const ak = Object.keys(ao).filter((k) => ao[k] !== undefined);
  const bk = Object.keys(bo).filter((k) => bo[k] !== undefined);
  if (ak.length !== bk.length) return false;
  for (const k of ak) if (!jsonEqual(ao[k], bo[k])) return false;
  return true;
}
