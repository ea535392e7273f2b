/**
 * RFC 6902 JSON patch (`application/json-patch+json`), with the behaviour of the library the
 * Kubernetes API server uses (gopkg.in/evanphx/json-patch.v4):
 * - negative array indices count from the end; `-` appends (add only);
 * - `replace` of a missing key in an object sets it (v4 does not check object keys), but a missing
 *   array index or a missing parent fails;
 * - `copy` from a missing object key copies `null`; `test` treats a missing key and `null` alike,
 *   and compares objects by the document's keys only (extra keys in the test value pass).
 * Failures answer as the API server does: 422 `Invalid` with the generic message
 * `the server rejected our request due to an error in our request` (the library's own message is
 * not shown to clients; we keep it as the error's `cause` for logs). A body that is not a patch is
 * 400 `BadRequest`; more than 10000 operations is 413.
 */
import { ApiError } from '../../api/errors.js';
import type { KubeObject } from '../../api/object.js';
import { deepClone, deepEqual, goJsonTypeName, isObject, type JsonObject } from './json-value.js';

export const maxJsonPatchOperations = 10000;

type Container = JsonObject | unknown[];

class PatchOpError extends Error {}

const ErrMissing = 'missing value';
const ErrTestFailed = 'test failed';
const ErrInvalidIndex = 'invalid index referenced';

/** Go's strconv.Atoi, with its error text. */
function atoi(s: string): number {
  if (!/^[+-]?[0-9]+$/.test(s)) throw new PatchOpError(`strconv.Atoi: parsing ${JSON.stringify(s)}: invalid syntax`);
  const n = Number(s);
  if (!Number.isSafeInteger(n)) throw new PatchOpError(`strconv.Atoi: parsing ${JSON.stringify(s)}: value out of range`);
  return n;
}

function decodeKey(k: string): string {
  return k.replaceAll('~1', '/').replaceAll('~0', '~');
}

function invalidIndex(idx: number): PatchOpError {
  return new PatchOpError(`Unable to access invalid index: ${idx}: ${ErrInvalidIndex}`);
}

/** Index into an array for get/set/remove (negative counts from the end). */
function arrayIndex(arr: unknown[], key: string): number {
  let idx = atoi(key);
  if (idx < 0) {
    if (idx < -arr.length) throw invalidIndex(idx);
    idx += arr.length;
  }
  if (idx >= arr.length) throw invalidIndex(idx);
  return idx;
}

/** `undefined` stands for Go's nil node (a missing key or a JSON null). */
function get(con: Container, key: string): unknown {
  if (Array.isArray(con)) return con[arrayIndex(con, key)];
  const v = Object.prototype.hasOwnProperty.call(con, key) ? con[key] : undefined;
  return v === null ? undefined : v;
}

function set(con: Container, key: string, val: unknown): void {
  if (Array.isArray(con)) {
    con[arrayIndex(con, key)] = val;
    return;
  }
  con[key] = val;
}

function add(con: Container, key: string, val: unknown): void {
  if (!Array.isArray(con)) {
    con[key] = val;
    return;
  }
  if (key === '-') {
    con.push(val);
    return;
  }
  let idx: number;
  try {
    idx = atoi(key);
  } catch (e) {
    throw new PatchOpError(`value was not a proper array index: '${key}': ${(e as Error).message}`);
  }
  const size = con.length + 1;
  if (idx >= size) throw invalidIndex(idx);
  if (idx < 0) {
    if (idx < -size) throw invalidIndex(idx);
    idx += size;
  }
  con.splice(idx, 0, val);
}

function remove(con: Container, key: string): void {
  if (!Array.isArray(con)) {
    if (!Object.prototype.hasOwnProperty.call(con, key)) {
      throw new PatchOpError(`Unable to remove nonexistent key: ${key}: ${ErrMissing}`);
    }
    delete con[key];
    return;
  }
  let idx = atoi(key);
  if (idx >= con.length) throw invalidIndex(idx);
  if (idx < 0) {
    if (idx < -con.length) throw invalidIndex(idx);
    idx += con.length;
  }
  con.splice(idx, 1);
}

interface Doc { root: Container }

/** The container holding the last segment of `path`, or undefined when a parent is missing. */
function findObject(doc: Doc, path: string): { con: Container; key: string } | undefined {
  const split = path.split('/');
  if (split.length < 2) return undefined;
  let cur: Container = doc.root;
  for (const part of split.slice(1, -1)) {
    let next: unknown;
    try {
      next = get(cur, decodeKey(part));
    } catch {
      return undefined;
    }
    if (!isObject(next) && !Array.isArray(next)) return undefined;
    cur = next;
  }
  return { con: cur, key: decodeKey(split[split.length - 1]) };
}

function wrap(prefix: string, e: unknown): PatchOpError {
  return new PatchOpError(`${prefix}: ${(e as Error).message}`);
}

type Operation = Record<string, unknown> | null;

function opKind(op: Operation): string {
  const k = op?.op;
  return typeof k === 'string' ? k : 'unknown';
}

function opString(op: Operation, field: 'path' | 'from'): string {
  const v = op?.[field];
  if (v === undefined || v === null) {
    throw new PatchOpError(field === 'path' ? `operation missing path field: ${ErrMissing}` : `operation, missing from field: ${ErrMissing}`);
  }
  if (typeof v !== 'string') throw new PatchOpError(`json: cannot unmarshal ${goJsonTypeName(v)} into Go value of type string`);
  return v;
}

/** The op's value: `undefined` when absent (Go nil node); a JSON null stays null. */
function opValue(op: Operation): { present: boolean; value: unknown } {
  if (op && Object.prototype.hasOwnProperty.call(op, 'value')) return { present: true, value: deepClone(op.value) };
  return { present: false, value: null };
}

function applyOp(doc: Doc, op: Operation): void {
  const kind = opKind(op);
  switch (kind) {
    case 'add': {
      let path: string;
      try { path = opString(op, 'path'); } catch { throw new PatchOpError(`add operation failed to decode path: ${ErrMissing}`); }
      const f = findObject(doc, path);
      if (!f) throw new PatchOpError(`add operation does not apply: doc is missing path: "${path}": ${ErrMissing}`);
      try { add(f.con, f.key, opValue(op).value); } catch (e) { throw wrap(`error in add for path: '${path}'`, e); }
      return;
    }
    case 'remove': {
      let path: string;
      try { path = opString(op, 'path'); } catch { throw new PatchOpError(`remove operation failed to decode path: ${ErrMissing}`); }
      const f = findObject(doc, path);
      if (!f) throw new PatchOpError(`remove operation does not apply: doc is missing path: "${path}": ${ErrMissing}`);
      try { remove(f.con, f.key); } catch (e) { throw wrap(`error in remove for path: '${path}'`, e); }
      return;
    }
    case 'replace': {
      let path: string;
      try { path = opString(op, 'path'); } catch (e) { throw wrap('replace operation failed to decode path', e); }
      const { value } = opValue(op);
      if (path === '') {
        if (!isObject(value) && !Array.isArray(value)) throw new PatchOpError('replace operation value must be object or array: <nil>');
        doc.root = value;
        return;
      }
      const f = findObject(doc, path);
      if (!f) throw new PatchOpError(`replace operation does not apply: doc is missing path: ${path}: ${ErrMissing}`);
      try { get(f.con, f.key); } catch { throw new PatchOpError(`replace operation does not apply: doc is missing key: ${path}: ${ErrMissing}`); }
      try { set(f.con, f.key, value); } catch (e) { throw wrap(`error in remove for path: '${path}'`, e); }
      return;
    }
    case 'move': {
      let from: string;
      try { from = opString(op, 'from'); } catch (e) { throw wrap('move operation failed to decode from', e); }
      const f = findObject(doc, from);
      if (!f) throw new PatchOpError(`move operation does not apply: doc is missing from path: ${from}: ${ErrMissing}`);
      let val: unknown;
      try { val = get(f.con, f.key); } catch (e) { throw wrap(`error in move for path: '${f.key}'`, e); }
      try { remove(f.con, f.key); } catch (e) { throw wrap(`error in move for path: '${f.key}'`, e); }
      let path: string;
      try { path = opString(op, 'path'); } catch (e) { throw wrap('move operation failed to decode path', e); }
      const t = findObject(doc, path);
      if (!t) throw new PatchOpError(`move operation does not apply: doc is missing destination path: ${path}: ${ErrMissing}`);
      try { add(t.con, t.key, val === undefined ? null : val); } catch (e) { throw wrap(`error in move for path: '${path}'`, e); }
      return;
    }
    case 'test': {
      let path: string;
      try { path = opString(op, 'path'); } catch (e) { throw wrap('test operation failed to decode path', e); }
      const want = opValue(op);
      if (path === '') {
        if (testEqual(doc.root, want.value)) return;
        throw new PatchOpError(`testing value ${path} failed: ${ErrTestFailed}`);
      }
      const f = findObject(doc, path);
      if (!f) throw new PatchOpError(`test operation does not apply: is missing path: ${path}: ${ErrMissing}`);
      let val: unknown;
      try { val = get(f.con, f.key); } catch (e) { throw wrap(`error in test for path: '${path}'`, e); }
      if (val === undefined) {
        if (want.value === null) return;
        throw new PatchOpError(`testing value ${path} failed: ${ErrTestFailed}`);
      }
      if (!want.present) throw new PatchOpError(`testing value ${path} failed: ${ErrTestFailed}`);
      if (testEqual(val, want.value)) return;
      throw new PatchOpError(`testing value ${path} failed: ${ErrTestFailed}`);
    }
    case 'copy': {
      let from: string;
      try { from = opString(op, 'from'); } catch (e) { throw wrap('copy operation failed to decode from', e); }
      const f = findObject(doc, from);
      if (!f) throw new PatchOpError(`copy operation does not apply: doc is missing from path: ${from}: ${ErrMissing}`);
      let val: unknown;
      try { val = get(f.con, f.key); } catch (e) { throw wrap(`error in copy for from: '${from}'`, e); }
      let path: string;
      try { path = opString(op, 'path'); } catch { throw new PatchOpError(`copy operation failed to decode path: ${ErrMissing}`); }
      const t = findObject(doc, path);
      if (!t) throw new PatchOpError(`copy operation does not apply: doc is missing destination path: ${path}: ${ErrMissing}`);
      try { add(t.con, t.key, val === undefined ? null : deepClone(val)); } catch (e) { throw wrap('error while adding value during copy', e); }
      return;
    }
    default:
      throw new PatchOpError(`Unexpected kind: ${kind}`);
  }
}

/**
 * json-patch v4's equality for `test`: objects compare by the document's keys only (extra keys in
 * the test value are not looked at), lists item by item, scalars by value.
 */
function testEqual(docValue: unknown, want: unknown): boolean {
  if (isObject(docValue)) {
    if (!isObject(want)) return false;
    for (const [k, v] of Object.entries(docValue)) {
      if (!Object.prototype.hasOwnProperty.call(want, k)) return false;
      const w = want[k];
      if (v === null && w === null) continue;
      if (v === null || w === null) return false;
      if (!testEqual(v, w)) return false;
    }
    return true;
  }
  if (Array.isArray(docValue)) {
    if (!Array.isArray(want) || want.length !== docValue.length) return false;
    return docValue.every((v, i) => (v === null ? want[i] === null : want[i] !== null && testEqual(v, want[i])));
  }
  return deepEqual(docValue, want);
}

/** The 422 the API server answers for any failed JSON patch operation; `cause` holds the detail. */
export function jsonPatchFailed(detail: string): ApiError {
  const err = new ApiError(422, 'Invalid', 'the server rejected our request due to an error in our request', {});
  (err as Error).cause = detail;
  return err;
}

/** Apply an RFC 6902 patch (already decoded from JSON) to a copy of `doc`. */
export function applyJsonPatch(doc: KubeObject, patch: unknown): KubeObject {
  if (patch === null) return deepClone(doc);
  if (!Array.isArray(patch)) {
    throw ApiError.badRequest(`json: cannot unmarshal ${goJsonTypeName(patch)} into Go value of type jsonpatch.Patch`);
  }
  for (const op of patch) {
    if (op !== null && !isObject(op)) {
      throw ApiError.badRequest(`json: cannot unmarshal ${goJsonTypeName(op)} into Go value of type jsonpatch.Operation`);
    }
  }
  if (patch.length > maxJsonPatchOperations) {
    throw ApiError.requestEntityTooLarge(
      `Request entity too large: The allowed maximum operations in a JSON patch is ${maxJsonPatchOperations}, got ${patch.length}`,
    );
  }
  const state: Doc = { root: deepClone(doc) as unknown as JsonObject };
  for (const op of patch as Operation[]) {
    try {
      applyOp(state, op);
    } catch (e) {
      if (e instanceof PatchOpError) throw jsonPatchFailed(e.message);
      throw e;
    }
  }
  if (!isObject(state.root)) {
    throw ApiError.invalid('', '', [{
      type: 'FieldValueInvalid',
      field: 'patch',
      badValue: JSON.stringify(state.root),
      detail: `json: cannot unmarshal ${goJsonTypeName(state.root)} into Go value of type map[string]interface {}`,
    }]);
  }
  return state.root as KubeObject;
}
