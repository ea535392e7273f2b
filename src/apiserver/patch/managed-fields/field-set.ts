/**
 * Sets of field paths, as structured-merge-diff keeps them for managedFields:
 * a path is a list of elements (`.spec`, `[name="c"]`, `[="a.io/x"]`, `[0]`); a set is a tree whose
 * nodes list their member elements and their child subtrees. A path is in the set when its last
 * element is a member of the node its prefix leads to. Serialized as FieldsV1
 * (`{"f:spec":{"f:containers":{"k:{\"name\":\"c\"}":{".":{},"f:image":{}}}}}`).
 */
import { isObject } from '../json-value.js';

export type PathElement =
  | { kind: 'field'; name: string }
  | { kind: 'key'; fields: [string, unknown][] }
  | { kind: 'value'; value: unknown }
  | { kind: 'index'; index: number };

export type Path = PathElement[];

export function fieldElement(name: string): PathElement {
  return { kind: 'field', name };
}

/** A key element; fields are sorted by name as structured-merge-diff sorts them. */
export function keyElement(fields: [string, unknown][]): PathElement {
  return { kind: 'key', fields: [...fields].sort((a, b) => cmpString(a[0], b[0])) };
}

function cmpString(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function valueRank(v: unknown): number {
  if (typeof v === 'number') return 0;
  if (typeof v === 'string') return 1;
  if (typeof v === 'boolean') return 2;
  if (Array.isArray(v)) return 3;
  if (isObject(v)) return 4;
  return 5;
}

/** A total order over JSON values (numbers, strings, bools, lists, maps, null). */
export function compareValues(a: unknown, b: unknown): number {
  const ra = valueRank(a);
  const rb = valueRank(b);
  if (ra !== rb) return ra < rb ? -1 : 1;
  switch (ra) {
    case 0: return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
    case 1: return cmpString(a as string, b as string);
    case 2: return a === b ? 0 : a === false ? -1 : 1;
    case 3: {
      const la = a as unknown[];
      const lb = b as unknown[];
      for (let i = 0; i < Math.min(la.length, lb.length); i++) {
        const c = compareValues(la[i], lb[i]);
        if (c !== 0) return c;
      }
      return la.length - lb.length < 0 ? -1 : la.length > lb.length ? 1 : 0;
    }
    case 4: {
      const ka = Object.keys(a as object).sort();
      const kb = Object.keys(b as object).sort();
      for (let i = 0; i < Math.min(ka.length, kb.length); i++) {
        const c = cmpString(ka[i], kb[i]) || compareValues((a as Record<string, unknown>)[ka[i]], (b as Record<string, unknown>)[kb[i]]);
        if (c !== 0) return c;
      }
      return ka.length < kb.length ? -1 : ka.length > kb.length ? 1 : 0;
    }
    default: return 0;
  }
}

const kindRank = { field: 0, key: 1, value: 2, index: 3 } as const;

export function comparePathElements(a: PathElement, b: PathElement): number {
  if (a.kind !== b.kind) return kindRank[a.kind] < kindRank[b.kind] ? -1 : 1;
  switch (a.kind) {
    case 'field': return cmpString(a.name, (b as { name: string }).name);
    case 'key': {
      const fb = (b as { fields: [string, unknown][] }).fields;
      for (let i = 0; ; i++) {
        if (i >= a.fields.length && i >= fb.length) return 0;
        if (i >= a.fields.length) return -1;
        if (i >= fb.length) return 1;
        const c = cmpString(a.fields[i][0], fb[i][0]) || compareValues(a.fields[i][1], fb[i][1]);
        if (c !== 0) return c;
      }
    }
    case 'value': return compareValues(a.value, (b as { value: unknown }).value);
    case 'index': {
      const ib = (b as { index: number }).index;
      return a.index < ib ? -1 : a.index > ib ? 1 : 0;
    }
  }
}

const needsEscape = /[<>&\u2028\u2029]/;

function escapeGo(json: string): string {
  if (!needsEscape.test(json)) return json;
  return json.replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** JSON as Go's encoder writes it: map keys sorted, `<`, `>`, `&`, U+2028/9 escaped. */
export function goJson(v: unknown): string {
  if (typeof v === 'string') return escapeGo(JSON.stringify(v));
  if (typeof v === 'number' || typeof v === 'boolean') return JSON.stringify(v);
  const canon = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(canon);
    if (isObject(x)) {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(x).sort()) out[k] = canon(x[k]);
      return out;
    }
    return x;
  };
  return escapeGo(JSON.stringify(canon(v) ?? null));
}

const serialized = new WeakMap<PathElement, string>();

/** `f:name`, `k:{"name":"c"}`, `v:"x"`, `i:0` */
export function serializePathElement(pe: PathElement): string {
  if (pe.kind === 'field') return `f:${pe.name}`;
  const cached = serialized.get(pe);
  if (cached !== undefined) return cached;
  let s: string;
  switch (pe.kind) {
    case 'key': s = `k:{${pe.fields.map(([n, v]) => `${goJson(n)}:${goJson(v)}`).join(',')}}`; break;
    case 'value': s = `v:${goJson(pe.value)}`; break;
    case 'index': s = `i:${pe.index}`; break;
  }
  serialized.set(pe, s);
  return s;
}

export function parsePathElement(s: string): PathElement {
  if (s.length < 2) throw new Error('key must be 2 characters long:');
  if (s[1] !== ':') throw new Error(`missing colon: ${s}`);
  const rest = s.slice(2);
  switch (s[0]) {
    case 'f': return fieldElement(rest);
    case 'v': return { kind: 'value', value: JSON.parse(rest) };
    case 'k': {
      const obj = JSON.parse(rest) as unknown;
      if (!isObject(obj)) throw new Error(`key element is not an object: ${s}`);
      return keyElement(Object.entries(obj));
    }
    case 'i': {
      if (!/^[+-]?\d+$/.test(rest)) throw new Error(`strconv.Atoi: parsing ${JSON.stringify(rest)}: invalid syntax`);
      return { kind: 'index', index: Number(rest) };
    }
    default: throw new Error('unknown path element type');
  }
}

/** Go's %q for the strings in path descriptions (JSON quoting matches for printable text). */
function quote(s: string): string {
  return JSON.stringify(s);
}

/** value.ToString of structured-merge-diff. */
function valueToString(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return quote(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(valueToString).join(',')}]`;
  if (isObject(v)) return Object.keys(v).sort().map((k) => `${k}=${valueToString(v[k])}`).join('');
  return String(v);
}

/** `.spec`, `[name="c"]`, `[containerPort=80,protocol="TCP"]`, `[="x"]`, `[0]` */
export function pathElementString(pe: PathElement): string {
  switch (pe.kind) {
    case 'field': return `.${pe.name}`;
    case 'key': return `[${pe.fields.map(([n, v]) => `${n}=${valueToString(v)}`).join(',')}]`;
    case 'value': return `[=${valueToString(pe.value)}]`;
    case 'index': return `[${pe.index}]`;
  }
}

export function pathString(p: Path): string {
  return p.map(pathElementString).join('');
}

/** A set of paths, as a tree. Instances are treated as immutable by the operations. */
export class FieldSet {
  /** serialized element → element */
  readonly members = new Map<string, PathElement>();
  /** serialized element → [element, subtree] */
  readonly children = new Map<string, { pe: PathElement; set: FieldSet }>();

  static of(...paths: Path[]): FieldSet {
    const s = new FieldSet();
    for (const p of paths) s.insert(p);
    return s;
  }

  empty(): boolean {
    return this.members.size === 0 && this.children.size === 0;
  }

  /** Insert in place (only while building a set). */
  insert(p: Path): void {
    if (p.length === 0) return;
    let node: FieldSet = this;
    for (let i = 0; i < p.length - 1; i++) node = node.descend(p[i]);
    const last = p[p.length - 1];
    node.members.set(serializePathElement(last), last);
  }

  /** The child subtree for `pe`, created when missing (building only). */
  descend(pe: PathElement): FieldSet {
    const k = serializePathElement(pe);
    let c = this.children.get(k);
    if (!c) {
      c = { pe, set: new FieldSet() };
      this.children.set(k, c);
    }
    return c.set;
  }

  has(p: Path): boolean {
    if (p.length === 0) return false;
    let node: FieldSet | undefined = this;
    for (let i = 0; i < p.length - 1; i++) {
      node = node.children.get(serializePathElement(p[i]))?.set;
      if (!node) return false;
    }
    return node.members.has(serializePathElement(p[p.length - 1]));
  }

  hasMember(pe: PathElement): boolean {
    return this.members.has(serializePathElement(pe));
  }

  /** The subtree under `pe` (empty when none). */
  withPrefix(pe: PathElement): FieldSet {
    return this.children.get(serializePathElement(pe))?.set ?? new FieldSet();
  }

  /** (Sets are not changed once built: union and difference may answer one of their operands.) */
  union(o: FieldSet): FieldSet {
    if (o.empty()) return this;
    if (this.empty()) return o;
    const out = new FieldSet();
    for (const [k, pe] of this.members) out.members.set(k, pe);
    for (const [k, pe] of o.members) out.members.set(k, pe);
    for (const [k, c] of this.children) {
      const oc = o.children.get(k);
      out.children.set(k, { pe: c.pe, set: oc ? c.set.union(oc.set) : c.set });
    }
    for (const [k, c] of o.children) if (!this.children.has(k)) out.children.set(k, c);
    return out;
  }

  intersection(o: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const [k, pe] of this.members) if (o.members.has(k)) out.members.set(k, pe);
    for (const [k, c] of this.children) {
      const oc = o.children.get(k);
      if (!oc) continue;
      const i = c.set.intersection(oc.set);
      if (!i.empty()) out.children.set(k, { pe: c.pe, set: i });
    }
    return out;
  }

  /** Paths of this set not in `o` (a parent minus its child stays; structural, as in smd). */
  difference(o: FieldSet): FieldSet {
    if (o.empty() || this.empty()) return this;
    const out = new FieldSet();
    // nothing removed: this set itself (the same set keeps its memoized FieldsV1, managers.ts)
    let same = true;
    for (const [k, pe] of this.members) {
      if (!o.members.has(k)) out.members.set(k, pe);
      else same = false;
    }
    for (const [k, c] of this.children) {
      const oc = o.children.get(k);
      if (!oc) {
        out.children.set(k, c);
        continue;
      }
      const d = c.set.difference(oc.set);
      if (d.empty()) { same = false; continue; }
      if (d !== c.set) same = false;
      out.children.set(k, d === c.set ? c : { pe: c.pe, set: d });
    }
    return same ? this : out;
  }

  /** Like difference, but a member of `o` also removes everything below it. */
  recursiveDifference(o: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const [k, pe] of this.members) if (!o.members.has(k)) out.members.set(k, pe);
    for (const [k, c] of this.children) {
      if (o.members.has(k)) continue;
      const oc = o.children.get(k);
      if (!oc) {
        out.children.set(k, c);
        continue;
      }
      const d = c.set.recursiveDifference(oc.set);
      if (!d.empty()) out.children.set(k, { pe: c.pe, set: d });
    }
    return out;
  }

  equals(o: FieldSet): boolean {
    if (this.members.size !== o.members.size || this.children.size !== o.children.size) return false;
    for (const k of this.members.keys()) if (!o.members.has(k)) return false;
    for (const [k, c] of this.children) {
      const oc = o.children.get(k);
      if (!oc || !c.set.equals(oc.set)) return false;
    }
    return true;
  }

  private sortedMembers(): PathElement[] {
    return [...this.members.values()].sort(comparePathElements);
  }

  private sortedChildren(): { pe: PathElement; set: FieldSet }[] {
    return [...this.children.values()].sort((a, b) => comparePathElements(a.pe, b.pe));
  }

  /** Every path, members of a node before its children, each in element order (as smd iterates). */
  paths(prefix: Path = []): Path[] {
    const out: Path[] = [];
    for (const pe of this.sortedMembers()) out.push([...prefix, pe]);
    for (const c of this.sortedChildren()) out.push(...c.set.paths([...prefix, c.pe]));
    return out;
  }

  /** The FieldsV1 form. */
  toFieldsV1(): Record<string, unknown> {
    return this.emit(false);
  }

  private emit(includeSelf: boolean): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    if (includeSelf && !this.empty()) out['.'] = {};
    const entries: { pe: PathElement; member: boolean; set?: FieldSet }[] = [];
    const byKey = new Map<string, { pe: PathElement; member: boolean; set?: FieldSet }>();
    for (const [k, pe] of this.members) {
      const e = { pe, member: true };
      byKey.set(k, e);
      entries.push(e);
    }
    for (const [k, c] of this.children) {
      const e = byKey.get(k);
      if (e) e.set = c.set;
      else {
        const n = { pe: c.pe, member: false, set: c.set };
        byKey.set(k, n);
        entries.push(n);
      }
    }
    entries.sort((a, b) => comparePathElements(a.pe, b.pe));
    for (const e of entries) {
      out[serializePathElement(e.pe)] = e.set ? e.set.emit(e.member) : {};
    }
    return out;
  }

  /** Parse FieldsV1; unknown element kinds are skipped as structured-merge-diff does. */
  static fromFieldsV1(fields: unknown): FieldSet {
    const set = new FieldSet();
    if (fields === undefined || fields === null) return set;
    if (!isObject(fields)) throw new Error('FieldsV1 must be an object');
    read(fields, set);
    return set;
  }
}

/** Fill `into` with the children of `obj`; returns whether `obj` marks its own node as a member. */
function read(obj: Record<string, unknown>, into: FieldSet): boolean {
  let isMember = false;
  let any = false;
  for (const [key, v] of Object.entries(obj)) {
    if (key === '.') {
      isMember = true;
      continue;
    }
    let pe: PathElement;
    try {
      pe = parsePathElement(key);
    } catch (e) {
      if ((e as Error).message === 'unknown path element type') continue;
      throw new Error(`parsing key as path element: ${(e as Error).message}`);
    }
    const child = new FieldSet();
    const childIsMember = isObject(v) ? read(v, child) : true;
    const k = serializePathElement(pe);
    if (childIsMember) {
      into.members.set(k, pe);
      any = true;
    }
    if (!child.empty()) {
      const existing = into.children.get(k);
      into.children.set(k, { pe, set: existing ? existing.set.union(child) : child });
      any = true;
    }
  }
  return isMember || !any;
}
