/**
 * Strategic merge patch (`application/strategic-merge-patch+json`), applied as the Kubernetes API
 * server applies it (k8s.io/apimachinery/pkg/util/strategicpatch, server side: parallel lists are
 * merged and unmatched nulls ignored).
 *
 * - Maps merge key by key; `null` deletes a key.
 * - Lists whose schema says `x-kubernetes-patch-strategy: merge` merge: lists of objects by
 *   `x-kubernetes-patch-merge-key` (containers by name, ports by containerPort, ...), lists of
 *   primitives as sets (finalizers). Other lists are replaced.
 * - Directives: `$patch: replace|delete` on a map, `{$patch: replace}` / `{<key>: v, $patch: delete}`
 *   items in a merging list, `$deleteFromPrimitiveList/<field>`, `$setElementOrder/<field>` (the
 *   order kubectl's three-way patch asks for) and `$retainKeys` (keys not listed are cleared).
 * - Order of a merged list: patch items in patch (or `$setElementOrder`) order, interleaved with
 *   the items only the server has in their live order.
 * - Without a schema nothing is a merging list, so the patch acts as a JSON merge patch (with
 *   the directives still understood).
 *
 * Errors carry Kubernetes' messages and codes: malformed directives are 400 BadRequest, lists of
 * lists 422, everything else the server would report as a plain error is 500.
 */
import { ApiError } from '../../api/errors.js';
import type { KubeObject } from '../../api/object.js';
import type { SchemaNode, SchemaSet } from '../../api/schema-node.js';
import { goValue } from './go-format.js';
import { deepClone, isObject, type JsonObject } from './json-value.js';
import { fieldNode, itemsNode, patchMergeKey, patchStrategies, type Schemas } from './schema-walk.js';

const directiveMarker = '$patch';
const deleteDirective = 'delete';
const replaceDirective = 'replace';
const mergeDirective = 'merge';
const retainKeysStrategy = 'retainKeys';
const retainKeysDirective = '$retainKeys';
const deleteFromPrimitiveListPrefix = '$deleteFromPrimitiveList';
const setElementOrderPrefix = '$setElementOrder';

export const ErrBadJSONDoc = 'invalid JSON document';
export const ErrNoListOfLists = 'lists of lists are not supported';
export const ErrBadPatchFormatForPrimitiveList = 'invalid patch format of primitive list';
export const ErrBadPatchFormatForRetainKeys = 'invalid patch format of retainKeys';
export const ErrBadPatchFormatForSetElementOrderList = 'invalid patch format of setElementOrder list';

/** An error inside the merge; turned into an ApiError at the boundary as the API server does. */
export class StrategicMergeError extends Error {}

function noMergeKey(m: unknown, key: string): StrategicMergeError {
  return new StrategicMergeError(`map: ${goValue(m)} does not contain declared merge key: ${key}`);
}

function goType(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return '[]interface {}';
  if (isObject(v)) return 'map[string]interface {}';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int64' : 'float64';
  return typeof v;
}

/** Kinds that decide whether two values merge (Go compares reflect types; numbers count as one). */
function valueKind(v: unknown): string {
  if (v === null || v === undefined) return 'nil';
  if (Array.isArray(v)) return 'slice';
  if (isObject(v)) return 'map';
  return typeof v;
}

function badArgType(expected: string, actual: unknown): StrategicMergeError {
  return new StrategicMergeError(`expected a ${expected}, but received a ${goType(actual)}`);
}

interface FieldMeta {
  node: SchemaNode | undefined;
  strategy: string;
  mergeKey: string;
}

/** Patch metadata of field `key` of an object described by `node`. */
function lookupField(node: SchemaNode | undefined, key: string, schemas: Schemas): FieldMeta {
  const fnode = fieldNode(node, key, schemas);
  const strategies = patchStrategies(fnode, schemas);
  return { node: fnode, strategy: otherStrategy(strategies), mergeKey: patchMergeKey(fnode, schemas) };
}

/** The strategy besides `retainKeys` (extractRetainKeysPatchStrategy). */
function otherStrategy(strategies: string[]): string {
  switch (strategies.length) {
    case 0:
      return '';
    case 1:
      return strategies[0] === retainKeysStrategy ? '' : strategies[0];
    case 2:
      if (strategies[0] === retainKeysStrategy) return strategies[1];
      if (strategies[1] === retainKeysStrategy) return strategies[0];
      break;
  }
  throw new StrategicMergeError(`unexpected patch strategy: [${strategies.join(' ')}]`);
}

/** Drop every `null` map value, recursively (discardNullValuesFromPatch). */
function discardNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(discardNulls);
  if (isObject(v)) {
    const out: JsonObject = {};
    for (const [k, x] of Object.entries(v)) if (x !== null) out[k] = discardNulls(x);
    return out;
  }
  return v;
}

/**
 * Remove directive-carrying maps from a value that lands in the object as is (removeDirectives);
 * `keep` is false when the value itself is a directive. Parallel-list and retainKeys keys, which
 * the typed decoding in Kubernetes drops, are dropped here too.
 */
function removeDirectives(v: unknown): { value: unknown; keep: boolean } {
  if (isObject(v)) {
    if (Object.prototype.hasOwnProperty.call(v, directiveMarker)) return { value: undefined, keep: false };
    const out: JsonObject = {};
    for (const [k, x] of Object.entries(v)) {
      if (isDirectiveKey(k)) continue;
      const r = removeDirectives(x);
      if (r.keep) out[k] = r.value;
    }
    return { value: out, keep: true };
  }
  if (Array.isArray(v)) {
    const out: unknown[] = [];
    for (const x of v) {
      const r = removeDirectives(x);
      if (r.keep) out.push(r.value);
    }
    return { value: out, keep: true };
  }
  return { value: v, keep: true };
}

function isDirectiveKey(k: string): boolean {
  return k === retainKeysDirective || k.startsWith(deleteFromPrimitiveListPrefix) || k.startsWith(setElementOrderPrefix);
}

/** The form a value takes when it replaces whatever was there. */
function asInserted(v: unknown): { value: unknown; keep: boolean } {
  return removeDirectives(discardNulls(v));
}

function extractKey(s: string, prefix: string): string {
  const i = s.indexOf('/');
  if (i < 0 || s.slice(0, i) !== prefix) {
    if (prefix === deleteFromPrimitiveListPrefix) throw new StrategicMergeError(ErrBadPatchFormatForPrimitiveList);
    if (prefix === setElementOrderPrefix) throw new StrategicMergeError(ErrBadPatchFormatForSetElementOrderList);
    throw new StrategicMergeError(`fail to find unknown prefix "${prefix}" in ${s}\n`);
  }
  return s.slice(i + 1);
}

class Merger {
  constructor(private readonly schemas: Schemas) {}

  mergeMap(original: JsonObject | undefined, patch: JsonObject, node: SchemaNode | undefined): JsonObject {
    if (Object.prototype.hasOwnProperty.call(patch, directiveMarker)) {
      const directive = patch[directiveMarker];
      if (directive === replaceDirective) {
        delete patch[directiveMarker];
        return asInserted(patch).value as JsonObject;
      }
      if (directive === deleteDirective) return {};
      throw new StrategicMergeError(`unknown patch type: ${goValue(directive)} in map: ${goValue(patch)}`);
    }
    const orig: JsonObject = original ?? {};
    this.applyRetainKeys(orig, patch);
    this.mergeSetElementOrder(orig, patch, node);

    for (const key of Object.keys(patch)) {
      const patchV = patch[key];
      let k = key;
      let isDeleteList = false;
      if (key.startsWith(deleteFromPrimitiveListPrefix)) {
        k = extractKey(key, deleteFromPrimitiveListPrefix);
        isDeleteList = true;
      }
      if (patchV === null) {
        delete orig[k];
        continue;
      }
      const has = Object.prototype.hasOwnProperty.call(orig, k);
      if (!has || valueKind(orig[k]) !== valueKind(patchV)) {
        if (!isDeleteList) {
          const r = asInserted(patchV);
          if (r.keep) orig[k] = r.value;
          else delete orig[k];
        }
        continue;
      }
      const cur = orig[k];
      if (isObject(cur)) {
        const meta = lookupField(node, k, this.schemas);
        orig[k] = meta.strategy !== replaceDirective
          ? this.mergeMap(cur, patchV as JsonObject, meta.node)
          : (asInserted(patchV).value as JsonObject);
      } else if (Array.isArray(cur)) {
        const meta = lookupField(node, k, this.schemas);
        orig[k] = this.mergeSliceHandler(cur, patchV as unknown[], meta, isDeleteList, k).merged;
      } else {
        const r = removeDirectives(patchV);
        if (r.keep) orig[k] = r.value;
        else delete orig[k];
      }
    }
    return orig;
  }

  /** `$retainKeys`: clear the keys of the original that the list does not name. */
  private applyRetainKeys(original: JsonObject, patch: JsonObject): void {
    if (!Object.prototype.hasOwnProperty.call(patch, retainKeysDirective)) return;
    const list = patch[retainKeysDirective];
    delete patch[retainKeysDirective];
    if (!Array.isArray(list)) throw new StrategicMergeError(ErrBadPatchFormatForRetainKeys);
    const keep = new Set<unknown>(list);
    for (const [k, v] of Object.entries(patch)) {
      if (v === null || k.startsWith(deleteFromPrimitiveListPrefix) || k.startsWith(setElementOrderPrefix)) continue;
      if (!keep.has(k)) throw new StrategicMergeError(ErrBadPatchFormatForRetainKeys);
    }
    for (const k of Object.keys(original)) if (!keep.has(k)) delete original[k];
  }

  /** `$setElementOrder/<field>`: merge the field's list now and put it in the asked order. */
  private mergeSetElementOrder(original: JsonObject, patch: JsonObject, node: SchemaNode | undefined): void {
    for (const key of Object.keys(patch)) {
      if (!key.startsWith(setElementOrderPrefix)) continue;
      const order = patch[key];
      delete patch[key];
      if (!Array.isArray(order)) throw badArgType('[]interface {}', order);
      const field = extractKey(key, setElementOrderPrefix);
      const hasOrig = Object.prototype.hasOwnProperty.call(original, field);
      const hasPatch = Object.prototype.hasOwnProperty.call(patch, field);
      const origList = original[field];
      const patchList = patch[field];
      if (hasOrig && !Array.isArray(origList)) throw badArgType('[]interface {}', origList);
      if (hasPatch && !Array.isArray(patchList)) throw badArgType('[]interface {}', patchList);
      const meta = lookupField(node, field, this.schemas);
      validatePatchWithSetOrderList(hasPatch ? (patchList as unknown[]) : [], order, meta.mergeKey);

      let merged: unknown[];
      let origArr: unknown[] = hasOrig ? (origList as unknown[]) : [];
      if (hasOrig && !hasPatch) merged = origList as unknown[];
      else if (!hasOrig && hasPatch) merged = asInserted(patchList).value as unknown[];
      else if (hasOrig && hasPatch) {
        const r = this.mergeSliceHandler(origList as unknown[], patchList as unknown[], meta, false, field);
        merged = r.merged;
        origArr = r.view;
      } else continue;

      const patchArr = hasPatch ? (patchList as unknown[]) : [];
      const kind = sliceElementKind([origArr, patchArr]);
      if (kind !== undefined) {
        const [inOrder, serverOnly] = meta.mergeKey
          ? partitionMaps(merged, order, meta.mergeKey)
          : partitionPrimitives(merged, order);
        merged = normalizeElementOrder(inOrder, serverOnly, order, origArr, meta.mergeKey, kind);
      }
      original[field] = merged;
      delete patch[field];
    }
  }

  /**
   * Merge or replace a list. `view` is what Kubernetes' own copy of the live list looks like
   * afterwards: its merge deletes and appends in place (Go slices share their backing array), and
   * the `$setElementOrder` step then orders server-only items against that view. We replay it so
   * the order comes out the same.
   */
  private mergeSliceHandler(original: unknown[], patch: unknown[], meta: FieldMeta, isDeleteList: boolean, field: string): { merged: unknown[]; view: unknown[] } {
    if (meta.strategy === mergeDirective || isDeleteList) {
      return this.mergeSlice(original, patch, itemsNode(meta.node, this.schemas), meta.mergeKey, isDeleteList, field);
    }
    return { merged: asInserted(patch).value as unknown[], view: original };
  }

  private mergeSlice(original: unknown[], patch: unknown[], itemNode: SchemaNode | undefined, mergeKey: string, isDeleteList: boolean, field: string): { merged: unknown[]; view: unknown[] } {
    if (original.length === 0 && patch.length === 0) return { merged: original, view: original };
    const kind = sliceElementKind([original, patch]) as string;
    if (kind !== 'map') {
      if (isDeleteList) return { merged: deleteFromSlice(original, patch), view: original };
      const merged = dedupeScalars([...original, ...patch]);
      const [inPatch, serverOnly] = partitionPrimitives(merged, patch);
      return { merged: normalizeElementOrder(inPatch, serverOnly, patch, original, '', kind), view: original };
    }
    if (!mergeKey) throw new StrategicMergeError(`cannot merge lists without merge key for ${field}`);
    const backing = new GoSlice(original);
    const { replaced, plain } = mergeSliceWithSpecialElements(backing, patch, mergeKey);
    let orig: unknown[];
    let pat: unknown[];
    let merged: unknown[];
    if (replaced) {
      orig = plain;
      pat = [];
      merged = plain;
    } else {
      orig = backing.current();
      pat = plain;
      merged = this.mergeSliceWithoutSpecialElements(backing, pat, mergeKey, itemNode);
    }
    const [inPatch, serverOnly] = partitionMaps(merged, pat, mergeKey);
    return { merged: normalizeElementOrder(inPatch, serverOnly, pat, orig, mergeKey, kind), view: backing.view() };
  }

  private mergeSliceWithoutSpecialElements(backing: GoSlice, patch: unknown[], mergeKey: string, itemNode: SchemaNode | undefined): unknown[] {
    for (const v of patch) {
      const item = v as JsonObject;
      if (!Object.prototype.hasOwnProperty.call(item, mergeKey)) throw noMergeKey(item, mergeKey);
      const idx = findByMergeKey(backing.current(), mergeKey, item[mergeKey]);
      if (idx >= 0) {
        backing.set(idx, this.mergeMap(backing.current()[idx] as JsonObject, item, itemNode));
      } else {
        const r = asInserted(item);
        if (r.keep) backing.append(r.value);
      }
    }
    return backing.current();
  }
}

/**
 * A Go slice over the live list's backing array: deleting shifts items left in place and
 * appending writes past the end, so the original slice header (length n) sees those writes.
 */
class GoSlice {
  private readonly items: unknown[];
  private readonly backing: unknown[];
  private len: number;
  private reallocated = false;

  constructor(original: unknown[]) {
    this.items = [...original];
    this.backing = [...original];
    this.len = original.length;
  }

  current(): unknown[] {
    return this.items.slice(0, this.len);
  }

  /** The live list as the original slice header (its first n slots) now sees it. */
  view(): unknown[] {
    return this.backing;
  }

  removeAt(i: number): void {
    this.items.splice(i, 1);
    for (let k = i; k < this.len - 1; k++) this.backing[k] = this.backing[k + 1];
    this.len--;
  }

  set(i: number, v: unknown): void {
    this.items[i] = v;
    if (!this.reallocated) this.backing[i] = v;
  }

  append(v: unknown): void {
    this.items.splice(this.len, 0, v);
    if (this.len < this.backing.length) this.backing[this.len] = v;
    else this.reallocated = true;
    this.len++;
  }
}

/** The common element kind of the lists ('map', 'string', ...), undefined when all are empty. */
function sliceElementKind(lists: unknown[][]): string | undefined {
  let prev: string | undefined;
  for (const l of lists) {
    for (const v of l) {
      const k = valueKind(v);
      if (prev === undefined) {
        prev = k;
        if (k === 'slice') throw new StrategicMergeError(ErrNoListOfLists);
      } else if (prev !== k) {
        throw new StrategicMergeError(`list element types are not identical: [${lists.map(goValue).join(' ')}]`);
      }
    }
  }
  return prev;
}

function findByMergeKey(list: unknown[], mergeKey: string, value: unknown): number {
  for (let i = 0; i < list.length; i++) {
    const v = list[i];
    if (!isObject(v)) throw new StrategicMergeError(`value for key ${i} is not a map`);
    if (Object.prototype.hasOwnProperty.call(v, mergeKey) && v[mergeKey] === value) return i;
  }
  return -1;
}

function mergeSliceWithSpecialElements(backing: GoSlice, patch: unknown[], mergeKey: string): { replaced: boolean; plain: unknown[] } {
  const plain: unknown[] = [];
  let replace = false;
  for (const v of patch) {
    const item = v as JsonObject;
    if (!Object.prototype.hasOwnProperty.call(item, directiveMarker)) {
      plain.push(v);
      continue;
    }
    const directive = item[directiveMarker];
    if (directive === deleteDirective) {
      if (!Object.prototype.hasOwnProperty.call(item, mergeKey)) throw noMergeKey(item, mergeKey);
      for (;;) {
        const i = findByMergeKey(backing.current(), mergeKey, item[mergeKey]);
        if (i < 0) break;
        backing.removeAt(i);
      }
    } else if (directive === replaceDirective) {
      replace = true;
    } else if (directive === mergeDirective) {
      throw new StrategicMergeError('merging lists cannot yet be specified in the patch');
    } else {
      throw new StrategicMergeError(`unknown patch type: ${goValue(directive)} in map: ${goValue(item)}`);
    }
  }
  if (replace) return { replaced: true, plain: plain.map((x) => asInserted(x).value) };
  return { replaced: false, plain };
}

function deleteFromSlice(current: unknown[], toDelete: unknown[]): unknown[] {
  const del = new Set(toDelete);
  return current.filter((v) => !del.has(v));
}

/** Keep the first of equal scalars. (Kubernetes' order here is scrambled and then fully re-sorted.) */
function dedupeScalars(list: unknown[]): unknown[] {
  const seen = new Set<unknown>();
  const out: unknown[] = [];
  for (const v of list) {
    if (seen.has(v)) continue;
    seen.add(v);
    out.push(v);
  }
  return out;
}

function partitionPrimitives(list: unknown[], by: unknown[]): [unknown[], unknown[]] {
  const set = new Set(by);
  const inBy: unknown[] = [];
  const rest: unknown[] = [];
  for (const v of list) (set.has(v) ? inBy : rest).push(v);
  return [inBy, rest];
}

function partitionMaps(list: unknown[], by: unknown[], mergeKey: string): [unknown[], unknown[]] {
  const inBy: unknown[] = [];
  const rest: unknown[] = [];
  for (const v of list) {
    if (!isObject(v)) throw badArgType('map[string]interface {}', v);
    if (!Object.prototype.hasOwnProperty.call(v, mergeKey)) throw noMergeKey(v, mergeKey);
    (findByMergeKey(by, mergeKey, v[mergeKey]) >= 0 ? inBy : rest).push(v);
  }
  return [inBy, rest];
}

function indexIn(list: unknown[], v: unknown, mergeKey: string, kind: string): number {
  const key = (x: unknown): unknown => (kind === 'map' ? (isObject(x) ? x[mergeKey] : undefined) : x);
  const want = key(v);
  for (let i = 0; i < list.length; i++) if (key(list[i]) === want) return i;
  return -1;
}

/** Stable sort of `list` by position in `order`; items not in `order` keep their place after. */
function sortByOrder(list: unknown[], order: unknown[], mergeKey: string, kind: string): unknown[] {
  let items = list;
  let toDelete: unknown[] = [];
  if (kind === 'map') {
    for (const l of [list, order]) {
      for (const item of l) {
        if (!isObject(item)) throw badArgType('map[string]interface {}', item);
        if (!Object.prototype.hasOwnProperty.call(item, mergeKey)) throw noMergeKey(item, mergeKey);
      }
    }
    items = list.filter((x) => (x as JsonObject)[directiveMarker] !== deleteDirective);
    toDelete = list.filter((x) => (x as JsonObject)[directiveMarker] === deleteDirective);
  }
  const found = items.filter((x) => indexIn(order, x, mergeKey, kind) >= 0)
    .map((x, i) => ({ x, i, o: indexIn(order, x, mergeKey, kind) }))
    .sort((a, b) => a.o - b.o || a.i - b.i)
    .map((e) => e.x);
  const missing = items.filter((x) => indexIn(order, x, mergeKey, kind) < 0);
  return [...found, ...missing, ...toDelete];
}

/**
 * Sort the patch items by the patch order and the server-only items by the live order, then
 * interleave them: a server-only item goes before a patch item when the live list had it first.
 */
function normalizeElementOrder(patchItems: unknown[], serverOnly: unknown[], patchOrder: unknown[], serverOrder: unknown[], mergeKey: string, kind: string): unknown[] {
  const right = sortByOrder(patchItems, patchOrder, mergeKey, kind);
  const left = sortByOrder(serverOnly, serverOrder, mergeKey, kind);
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (i >= left.length) out.push(right[j++]);
    else if (j >= right.length) out.push(left[i++]);
    else {
      const li = indexIn(serverOrder, left[i], mergeKey, kind);
      const ri = indexIn(serverOrder, right[j], mergeKey, kind);
      if (li >= 0 && ri >= 0 && li < ri) out.push(left[i++]);
      else out.push(right[j++]);
    }
  }
  return out;
}

/** The items of the patch list (deletions aside) must appear in `$setElementOrder` in the same order. */
function validatePatchWithSetOrderList(patchList: unknown[], order: unknown[], mergeKey: string): void {
  if (order.length === 0 || patchList.length === 0) return;
  let nonDelete = patchList;
  if (mergeKey) {
    for (const v of patchList) if (!isObject(v)) throw badArgType('map[string]interface {}', v);
    nonDelete = patchList.filter((v) => (v as JsonObject)[directiveMarker] !== deleteDirective);
  }
  let p = 0;
  let s = 0;
  while (p < nonDelete.length && s < order.length) {
    const item = nonDelete[p];
    if (isObject(item) && Object.prototype.hasOwnProperty.call(item, directiveMarker)) {
      p++;
      continue;
    }
    let equal: boolean;
    if (!mergeKey) {
      equal = item === order[s];
    } else {
      const o = order[s];
      if (!isObject(item)) throw badArgType('map[string]interface {}', item);
      if (!isObject(o)) throw badArgType('map[string]interface {}', o);
      if (!Object.prototype.hasOwnProperty.call(item, mergeKey)) throw noMergeKey(item, mergeKey);
      if (!Object.prototype.hasOwnProperty.call(o, mergeKey)) throw noMergeKey(o, mergeKey);
      equal = item[mergeKey] === o[mergeKey];
    }
    if (equal) p++;
    s++;
  }
  if (p < nonDelete.length && s >= order.length) {
    throw new StrategicMergeError(`The order in patch list:\n${goValue(patchList)}\n doesn't match ${setElementOrderPrefix} list:\n${goValue(order)}\n`);
  }
}

/** The ApiError the API server answers for a failed strategic merge. */
export function strategicMergeApiError(message: string): ApiError {
  switch (message) {
    case ErrBadJSONDoc:
    case ErrBadPatchFormatForPrimitiveList:
    case ErrBadPatchFormatForRetainKeys:
    case ErrBadPatchFormatForSetElementOrderList:
      return ApiError.badRequest(message);
    case ErrNoListOfLists: {
      const e = new ApiError(422, 'Invalid', 'the server rejected our request due to an error in our request', {});
      (e as Error).cause = message;
      return e;
    }
    default:
      // A plain Go error: the API server answers 500 with the error's text and no reason.
      return new ApiError(500, '', message);
  }
}

/** Merge a strategic merge patch into a copy of `doc`, reading strategies from `schema`. */
export function strategicMergeValue(doc: unknown, patch: JsonObject, schema: SchemaNode | undefined, schemas: Schemas): JsonObject {
  const original = isObject(doc) ? deepClone(doc) : {};
  return new Merger(schemas).mergeMap(original, deepClone(patch), schema);
}

/** Apply a strategic merge patch (already decoded from JSON) to a copy of `doc`. */
export function applyStrategicMergePatch(doc: KubeObject, patch: unknown, schema: SchemaNode | undefined, schemas: SchemaSet | undefined): KubeObject {
  if (!isObject(patch)) {
    if (patch === null) return deepClone(doc);
    throw ApiError.badRequest(`json: cannot unmarshal ${Array.isArray(patch) ? 'array' : typeof patch === 'boolean' ? 'bool' : typeof patch} into Go value of type map[string]interface {}`);
  }
  try {
    return strategicMergeValue(doc, patch, schema, schemas) as KubeObject;
  } catch (e) {
    if (e instanceof StrategicMergeError) throw strategicMergeApiError(e.message);
    throw e;
  }
}
