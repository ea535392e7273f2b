/**
 * Schema-aware walks over objects, as structured-merge-diff's typed values do them:
 * the set of fields an object sets, the comparison of two objects, the apply merge, and the
 * removal of a set of fields. The schema decides how each node behaves:
 * - lists: `x-kubernetes-list-type` map (items keyed by `x-kubernetes-list-map-keys`, missing
 *   keys taken from the item schema's defaults), set (items are their own keys) or atomic; without
 *   a list type, patch strategy `merge` means a map list keyed by the patch merge key (a set when
 *   there is none) and anything else is atomic;
 * - maps and structs are granular unless `x-kubernetes-map-type: atomic`;
 * - where there is no schema, the value decides: objects are granular, lists atomic.
 */
import type { SchemaNode } from '../../../api/schema-node.js';
import { deepEqual, isObject, type JsonObject } from '../json-value.js';
import { extension, itemsNode, patchMergeKey, patchStrategies, resolveNode, type Schemas } from '../schema-walk.js';
import { FieldSet, fieldElement, keyElement, pathElementString, serializePathElement, type Path, type PathElement } from './field-set.js';

export class TypedError extends Error {}

type ListShape = { t: 'list'; rel: 'atomic' | 'set' | 'map'; keys: string[]; item: SchemaNode | undefined };
type MapShape = { t: 'map'; atomic: boolean; node: SchemaNode | undefined };
type Shape = { t: 'scalar' } | ListShape | MapShape;

/** How a node behaves for the value found there. */
export function shapeOf(node: SchemaNode | undefined, value: unknown, schemas: Schemas): Shape {
  const r = resolveNode(node, schemas);
  if (Array.isArray(value)) {
    if (!r || !(r.type === 'array' || r.items)) return { t: 'list', rel: 'atomic', keys: [], item: undefined };
    const item = itemsNode(node, schemas);
    const lt = extension(node, 'x-kubernetes-list-type', schemas);
    if (lt === 'atomic') return { t: 'list', rel: 'atomic', keys: [], item };
    if (lt === 'set') return { t: 'list', rel: 'set', keys: [], item };
    const mergeKey = patchMergeKey(node, schemas);
    if (lt === 'map') {
      const keys = extension(node, 'x-kubernetes-list-map-keys', schemas) ?? (mergeKey ? [mergeKey] : []);
      return { t: 'list', rel: keys.length > 0 ? 'map' : 'set', keys, item };
    }
    if (patchStrategies(node, schemas).includes('merge')) {
      return mergeKey ? { t: 'list', rel: 'map', keys: [mergeKey], item } : { t: 'list', rel: 'set', keys: [], item };
    }
    return { t: 'list', rel: 'atomic', keys: [], item };
  }
  if (isObject(value)) {
    const typed = !!r && (r.type === 'object' || !!r.properties || r.additionalProperties !== undefined);
    if (!typed) return { t: 'map', atomic: false, node: undefined };
    return { t: 'map', atomic: extension(node, 'x-kubernetes-map-type', schemas) === 'atomic', node: r };
  }
  return { t: 'scalar' };
}

/** The schema of field `key` of a map node; `declared` when it is a named struct field. */
function fieldOf(shape: MapShape, key: string): { node: SchemaNode | undefined; declared: boolean; known: boolean } {
  const n = shape.node;
  if (!n) return { node: undefined, declared: false, known: true };
  const p = n.properties?.[key];
  if (p) return { node: p, declared: true, known: true };
  if (n.additionalProperties && typeof n.additionalProperties === 'object') return { node: n.additionalProperties, declared: false, known: true };
  const known = n.additionalProperties === true || !n.properties || n['x-kubernetes-preserve-unknown-fields'] === true;
  return { node: undefined, declared: false, known };
}

/** The path element of a list item (undefined, with the reason, when it has none). */
function itemElement(shape: ListShape, item: unknown, schemas: Schemas): PathElement | string {
  if (shape.rel === 'map') {
    if (item === null) return 'associative list with keys may not have a null element';
    if (!isObject(item)) return 'associative list with keys may not have non-map elements';
    const fields: [string, unknown][] = [];
    const itemSchema = resolveNode(shape.item, schemas);
    for (const k of shape.keys) {
      if (Object.prototype.hasOwnProperty.call(item, k)) fields.push([k, item[k]]);
      else {
        const def = itemSchema?.properties?.[k]?.default;
        if (def !== undefined && def !== null) fields.push([k, def]);
      }
    }
    if (shape.keys.length > 0 && fields.length === 0) {
      return `associative list with keys has an element that omits all key fields ${goQuotedList(shape.keys)} (and doesn't have default values for any key fields)`;
    }
    return keyElement(fields);
  }
  if (isObject(item)) return "associative list without keys has an element that's a map type";
  if (Array.isArray(item)) return 'not supported: associative list with lists as elements';
  if (item === null) return "associative list without keys has an element that's an explicit null";
  return { kind: 'value', value: item };
}

function goQuotedList(l: string[]): string {
  return `[${l.map((s) => JSON.stringify(s)).join(' ')}]`;
}

// ---------------------------------------------------------------- field set of a value

/** The fields a value sets (ToFieldSet). */
export function toFieldSet(value: unknown, node: SchemaNode | undefined, schemas: Schemas): FieldSet {
  const set = new FieldSet();
  walkSet(value, node, [], set, schemas);
  return set;
}

function walkSet(v: unknown, node: SchemaNode | undefined, path: Path, set: FieldSet, schemas: Schemas): void {
  const sh = shapeOf(node, v, schemas);
  if (sh.t === 'scalar') {
    set.insert(path);
    return;
  }
  if (sh.t === 'list') {
    if (sh.rel === 'atomic') {
      set.insert(path);
      return;
    }
    const list = v as unknown[];
    const seen = new Set<string>();
    const dups = new Set<string>();
    const pes: (PathElement | undefined)[] = list.map((item) => {
      const pe = itemElement(sh, item, schemas);
      return typeof pe === 'string' ? undefined : pe;
    });
    for (const pe of pes) {
      if (!pe) continue;
      const k = serializePathElement(pe);
      if (seen.has(k)) {
        if (!dups.has(k)) {
          set.insert([...path, pe]);
          dups.add(k);
        }
      } else seen.add(k);
    }
    list.forEach((item, i) => {
      const pe = pes[i];
      if (!pe || dups.has(serializePathElement(pe))) return;
      walkSet(item, sh.item, [...path, pe], set, schemas);
      set.insert([...path, pe]);
    });
    return;
  }
  if (sh.atomic) {
    set.insert(path);
    return;
  }
  for (const [k, val] of Object.entries(v as JsonObject)) {
    const f = fieldOf(sh, k);
    const p = [...path, fieldElement(k)];
    walkSet(val, f.node, p, set, schemas);
    if (val === null || (isObject(val) && Object.keys(val).length === 0)) set.insert(p);
    else if (!f.declared) set.insert(p);
  }
}

// ---------------------------------------------------------------- validation of applied config

/** Errors structured-merge-diff reports for a configuration that does not fit the schema. */
export function validateApplied(value: unknown, node: SchemaNode | undefined, schemas: Schemas): string[] {
  const errs: string[] = [];
  walkValidate(value, node, '', errs, schemas);
  return errs;
}

function walkValidate(v: unknown, node: SchemaNode | undefined, prefix: string, errs: string[], schemas: Schemas): void {
  const sh = shapeOf(node, v, schemas);
  if (sh.t === 'list') {
    if (sh.rel === 'atomic') return;
    const seen = new Set<string>();
    const list = v as unknown[];
    for (let i = 0; i < list.length; i++) {
      const pe = itemElement(sh, list[i], schemas);
      if (typeof pe === 'string') {
        errs.push(`${prefix ? `${prefix}: ` : ''}element ${i}: ${pe}`);
        return;
      }
      const k = serializePathElement(pe);
      if (seen.has(k)) errs.push(`${prefix ? `${prefix}: ` : ''}duplicate entries for key ${pathElementString(pe)}`);
      seen.add(k);
      walkValidate(list[i], sh.item, prefix + pathElementString(pe), errs, schemas);
    }
    return;
  }
  if (sh.t === 'map') {
    for (const [k, val] of Object.entries(v as JsonObject)) {
      const f = fieldOf(sh, k);
      const p = `${prefix}.${k}`;
      if (!f.known) {
        errs.push(`${p}: field not declared in schema`);
        return;
      }
      walkValidate(val, f.node, p, errs, schemas);
    }
  }
}

// ---------------------------------------------------------------- comparison

export interface Comparison {
  removed: FieldSet;
  modified: FieldSet;
  added: FieldSet;
}

/** Which fields were removed, modified and added going from `lhs` to `rhs` (undefined = absent). */
export function compare(lhs: unknown, rhs: unknown, node: SchemaNode | undefined, schemas: Schemas): Comparison {
  const c: Comparison = { removed: new FieldSet(), modified: new FieldSet(), added: new FieldSet() };
  walkCompare(lhs, rhs, node, [], c, schemas);
  return c;
}

function isEmptyContainer(v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (isObject(v)) return Object.keys(v).length === 0;
  return false;
}

function containerKind(v: unknown): string {
  return Array.isArray(v) ? 'list' : isObject(v) ? 'map' : 'scalar';
}

function walkCompare(l: unknown, r: unknown, node: SchemaNode | undefined, path: Path, c: Comparison, schemas: Schemas): void {
  // one value on both sides (a status write keeps the old spec object): nothing below it changed
  if (l === r && l !== undefined) return;
  const leaf = (): void => {
    if (l === undefined) c.added.insert(path);
    else if (r === undefined) c.removed.insert(path);
    else if (!deepEqual(l, r)) c.modified.insert(path);
  };
  const lv = l === null ? undefined : l;
  const rv = r === null ? undefined : r;
  // Values of different kinds (a list became a map, ...) compare as leaves.
  if (lv !== undefined && rv !== undefined && containerKind(lv) !== containerKind(rv)) {
    leaf();
    return;
  }
  const probe = rv !== undefined ? rv : lv;
  const sh = shapeOf(node, probe === undefined ? (r ?? l) : probe, schemas);
  if (sh.t === 'scalar' || (sh.t === 'list' && sh.rel === 'atomic') || (sh.t === 'map' && sh.atomic) ||
    (isEmptyContainer(lv) && isEmptyContainer(rv))) {
    leaf();
    return;
  }
  if (sh.t === 'list') {
    compareLists((lv as unknown[] | undefined) ?? [], (rv as unknown[] | undefined) ?? [], sh, path, c, schemas);
  } else {
    const lm = (lv as JsonObject | undefined) ?? {};
    const rm = (rv as JsonObject | undefined) ?? {};
    const keys = new Set([...Object.keys(lm), ...Object.keys(rm)]);
    for (const k of keys) {
      const f = fieldOf(sh, k);
      walkCompare(
        Object.prototype.hasOwnProperty.call(lm, k) ? lm[k] : undefined,
        Object.prototype.hasOwnProperty.call(rm, k) ? rm[k] : undefined,
        f.node, [...path, fieldElement(k)], c, schemas);
    }
  }
  if (l === undefined) c.added.insert(path);
  else if (r === undefined) c.removed.insert(path);
}

function groupItems(list: unknown[], sh: ListShape, schemas: Schemas, order: PathElement[], seen: Map<string, unknown[]>): void {
  for (const item of list) {
    const pe = itemElement(sh, item, schemas);
    if (typeof pe === 'string') continue;
    const k = serializePathElement(pe);
    const g = seen.get(k);
    if (g) g.push(item);
    else {
      seen.set(k, [item]);
      order.push(pe);
    }
  }
}

function compareLists(l: unknown[], r: unknown[], sh: ListShape, path: Path, c: Comparison, schemas: Schemas): void {
  const order: PathElement[] = [];
  const lm = new Map<string, unknown[]>();
  const rm = new Map<string, unknown[]>();
  groupItems(l, sh, schemas, order, lm);
  const rOrder: PathElement[] = [];
  groupItems(r, sh, schemas, rOrder, rm);
  for (const pe of rOrder) if (!lm.has(serializePathElement(pe))) order.push(pe);
  for (const pe of order) {
    const k = serializePathElement(pe);
    const ll = lm.get(k) ?? [];
    const rl = rm.get(k) ?? [];
    const p = [...path, pe];
    if (ll.length <= 1 && rl.length <= 1) {
      walkCompare(ll[0], rl[0], sh.item, p, c, schemas);
    } else if (ll.length >= 2 && rl.length >= 2) {
      if (!deepEqual(ll, rl)) c.modified.insert(p);
    } else if (ll.length >= 2) {
      if (rl.length !== 0) walkCompare(undefined, rl[0], sh.item, p, c, schemas);
      c.removed.insert(p);
    } else {
      if (ll.length !== 0) walkCompare(ll[0], undefined, sh.item, p, c, schemas);
      c.added.insert(p);
    }
  }
}

// ---------------------------------------------------------------- apply merge

/** Merge an applied configuration (`rhs`) into the live object (`lhs`); undefined = nothing. */
export function merge(lhs: unknown, rhs: unknown, node: SchemaNode | undefined, schemas: Schemas): unknown {
  const lv = lhs === null ? undefined : lhs;
  const rv = rhs === null ? undefined : rhs;
  const keep = (): unknown => (rhs !== undefined ? rhs : lhs);
  if (lv !== undefined && rv !== undefined && containerKind(lv) !== containerKind(rv)) return keep();
  const probe = rv !== undefined ? rv : lv;
  if (probe === undefined) return keep();
  const sh = shapeOf(node, probe, schemas);
  if (sh.t === 'scalar' || (sh.t === 'list' && sh.rel === 'atomic') || (sh.t === 'map' && sh.atomic) ||
    (isEmptyContainer(lv) && isEmptyContainer(rv))) {
    return keep();
  }
  if (sh.t === 'list') return mergeLists((lv as unknown[] | undefined) ?? [], (rv as unknown[] | undefined) ?? [], sh, schemas);
  const lm = (lv as JsonObject | undefined) ?? {};
  const rm = (rv as JsonObject | undefined) ?? {};
  const out: JsonObject = {};
  const keys = [...Object.keys(lm), ...Object.keys(rm).filter((k) => !Object.prototype.hasOwnProperty.call(lm, k))];
  for (const k of keys) {
    const f = fieldOf(sh, k);
    const m = merge(
      Object.prototype.hasOwnProperty.call(lm, k) ? lm[k] : undefined,
      Object.prototype.hasOwnProperty.call(rm, k) ? rm[k] : undefined,
      f.node, schemas);
    if (m !== undefined) out[k] = m;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * Items of the applied list in its order; live-only items stay where they were relative to the
 * items both lists share (structured-merge-diff's list merge).
 */
function mergeLists(lhs: unknown[], rhs: unknown[], sh: ListShape, schemas: Schemas): unknown[] | undefined {
  const index = (list: unknown[], allowDuplicates: boolean): { pes: PathElement[]; observed: Map<string, unknown> } => {
    const pes: PathElement[] = [];
    const observed = new Map<string, unknown>();
    list.forEach((item, i) => {
      const pe = itemElement(sh, item, schemas);
      if (typeof pe === 'string') throw new TypedError(`element ${i}: ${pe}`);
      const k = serializePathElement(pe);
      if (observed.has(k)) {
        if (!allowDuplicates) throw new TypedError(`duplicate entries for key ${pathElementString(pe)}`);
        observed.set(k, null);
      } else observed.set(k, item);
      pes.push(pe);
    });
    return { pes, observed };
  };
  const R = index(rhs, false);
  const L = index(lhs, true);
  const key = serializePathElement;
  const shared = R.pes.filter((pe) => L.observed.has(key(pe)));
  let next: PathElement | undefined = shared.shift();
  const mergedRhs = new Set<string>();
  const out: unknown[] = [];
  const push = (m: unknown): void => {
    if (m !== undefined) out.push(m);
  };
  let li = 0;
  let ri = 0;
  while (li < L.pes.length || ri < R.pes.length) {
    if (li < L.pes.length && ri < R.pes.length) {
      const pe = L.pes[li];
      if (key(pe) === key(R.pes[ri])) {
        mergedRhs.add(key(pe));
        push(merge(L.observed.get(key(pe)), R.observed.get(key(pe)), sh.item, schemas));
        li++;
        ri++;
        next = shared.shift();
        continue;
      }
      if (R.observed.has(key(pe)) && next !== undefined && key(next) !== key(L.pes[li])) {
        li++;
        continue;
      }
    }
    if (li < L.pes.length) {
      const pe = L.pes[li];
      if (!R.observed.has(key(pe))) {
        push(merge(lhs[li], undefined, sh.item, schemas));
        li++;
        continue;
      } else if (mergedRhs.has(key(pe))) {
        li++;
      }
    }
    if (ri < R.pes.length) {
      const pe = R.pes[ri];
      mergedRhs.add(key(pe));
      const lChild = L.observed.has(key(pe)) ? L.observed.get(key(pe)) : undefined;
      push(merge(lChild, R.observed.get(key(pe)), sh.item, schemas));
      ri++;
      if (next !== undefined && key(next) === key(pe)) next = shared.shift();
    }
  }
  return out.length > 0 ? out : undefined;
}

// ---------------------------------------------------------------- removal

/** A copy of `value` without the fields of `toRemove` (RemoveItems); emptied containers become null. */
export function removeItems(value: unknown, toRemove: FieldSet, node: SchemaNode | undefined, schemas: Schemas): unknown {
  const sh = shapeOf(node, value, schemas);
  if (sh.t === 'scalar') return value;
  if (sh.t === 'list') {
    const list = value as unknown[];
    if (list.length === 0 || sh.rel === 'atomic') return null;
    const out: unknown[] = [];
    for (const item of list) {
      const pe = itemElement(sh, item, schemas);
      if (typeof pe === 'string') {
        out.push(item);
        continue;
      }
      if (toRemove.has([pe])) continue;
      const sub = toRemove.withPrefix(pe);
      out.push(sub.empty() ? item : removeItems(item, sub, sh.item, schemas));
    }
    return out.length > 0 ? out : null;
  }
  const m = value as JsonObject;
  if (Object.keys(m).length === 0 || sh.atomic) return null;
  const out: JsonObject = {};
  for (const [k, val] of Object.entries(m)) {
    const pe = fieldElement(k);
    if (toRemove.has([pe])) continue;
    const sub = toRemove.withPrefix(pe);
    out[k] = sub.empty() ? val : removeItems(val, sub, fieldOf(sh, k).node, schemas);
  }
  return Object.keys(out).length > 0 ? out : null;
}

// ---------------------------------------------------------------- named fields

/** The set plus every declared struct field that has children in it (EnsureNamedFieldsAreMembers). */
export function ensureNamedFieldsAreMembers(set: FieldSet, node: SchemaNode | undefined, schemas: Schemas): FieldSet {
  const out = new FieldSet();
  const r = resolveNode(node, schemas);
  const isMap = !!r && (r.type === 'object' || !!r.properties || r.additionalProperties !== undefined);
  const isList = !!r && (r.type === 'array' || !!r.items);
  for (const [k, pe] of set.members) out.members.set(k, pe);
  for (const [k, c] of set.children) {
    let childNode: SchemaNode | undefined;
    if (c.pe.kind === 'field' && isMap) {
      const p = r?.properties?.[c.pe.name];
      if (p) out.members.set(k, c.pe);
      childNode = p ?? (r?.additionalProperties && typeof r.additionalProperties === 'object' ? r.additionalProperties : undefined);
    } else if (c.pe.kind === 'key' && isList) {
      childNode = itemsNode(node, schemas);
    }
    out.children.set(k, { pe: c.pe, set: ensureNamedFieldsAreMembers(c.set, childNode, schemas) });
  }
  return out;
}

// ---------------------------------------------------------------- zero objects

/**
 * The object a typed `New()` gives for a kind, as its JSON-like form: value structs (schema
 * `default: {}`) are present and empty, required fields without a value are null. Creates compare
 * against it, so that what was already there in an empty object is not "added".
 */
export function zeroObject(node: SchemaNode | undefined, schemas: Schemas, depth = 0): JsonObject {
  const r = resolveNode(node, schemas);
  const out: JsonObject = {};
  if (!r?.properties || depth > 12) return out;
  const required = new Set(r.required ?? []);
  for (const [k, p] of Object.entries(r.properties)) {
    const pr = resolveNode(p, schemas);
    const valueStruct = isObject(p.default) && Object.keys(p.default).length === 0 && !!pr?.properties;
    if (valueStruct) out[k] = zeroObject(pr, schemas, depth + 1);
    else if (required.has(k)) {
      switch (pr?.type) {
        case 'string': out[k] = ''; break;
        case 'integer': case 'number': out[k] = 0; break;
        case 'boolean': out[k] = false; break;
        default: out[k] = null;
      }
    }
  }
  return out;
}
