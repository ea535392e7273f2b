/**
 * What Kubernetes' decoder finds wrong with a request body, in its words, before any validation:
 *
 * - unknown fields, as sigs.k8s.io/json's strict mode names them: `unknown field "spec.containers[0].foo"`
 *   (struct and map keys joined with '.', list items as `[i]`; at most 100, each once). With
 *   fieldValidation=Strict the request fails with `strict decoding error: <them, comma separated>`;
 *   with Warn each becomes a warning; with Ignore they are dropped silently.
 * - the first type mismatch, which Kubernetes rejects whatever fieldValidation says
 *   (`<Kind> in version "v1" cannot be handled as a <Kind>: <message>`), e.g.
 *   `json: cannot unmarshal string into Go struct field ContainerPort.spec.containers.ports.containerPort of type int32`:
 *   the Go struct that holds the member, the JSON names of the struct members from the root (no list
 *   indexes, no map keys), and the Go type the value was meant for. Types that decode themselves
 *   (IntOrString, Time, Quantity, []byte) give their own messages without that context.
 *
 * Honours x-kubernetes-preserve-unknown-fields (RawExtension, JSON, custom resources),
 * additionalProperties (maps), int-or-string, quantities, times, base64 bytes and embedded resources.
 * Duplicate fields are not detected (JSON.parse has already merged them).
 */
import type { SchemaNode, SchemaSet } from '../schema-node.js';
import { REF_PREFIX } from './schema-set.js';
import { goMemberTypes } from './go-types.js';

export interface DecodeProblems {
  /** The first decoding error (Kubernetes answers 400 with it whatever fieldValidation says). */
  typeError?: string;
  /** `unknown field "spec.foo"` messages, in document order, without duplicates, at most 100. */
  unknownFields: string[];
  /**
   * Null items of typed lists and null values of typed maps, with the zero value Go decodes them
   * into (`finalizers: [null]` is `[""]`, `ownerReferences: [null]` is `[{}]`). applyGoNulls sets them.
   */
  nulls?: { container: unknown[] | Record<string, unknown>; key: number | string; zero: unknown }[];
}

/** Put Go's zero values where findDecodeProblems found nulls that Go would have decoded into them. */
export function applyGoNulls(problems: DecodeProblems): void {
  for (const n of problems.nulls ?? []) (n.container as Record<string | number, unknown>)[n.key] = structuredClone(n.zero);
}

/** The JSON form of the zero value Go decodes `null` into, where it is not null itself. */
function goZero(schemas: SchemaSet, node: SchemaNode): unknown {
  const name = refName(node);
  if (name === INT_OR_STRING || name === QUANTITY || name === TIME || name === MICRO_TIME) return undefined;
  const s = name !== undefined ? schemas.resolve(node) : node;
  if (s['x-kubernetes-int-or-string'] === true || node['x-kubernetes-int-or-string'] === true) return undefined;
  const type = s.type ?? (s.properties ? 'object' : undefined);
  if (type === 'object' && s.properties) return {};
  if (type === 'string') return '';
  if (type === 'integer' || type === 'number') return 0;
  if (type === 'boolean') return false;
  return undefined;
}

function noteNull(ctx: Ctx, node: SchemaNode, container: unknown[] | Record<string, unknown>, key: number | string): void {
  const zero = goZero(ctx.schemas, node);
  if (zero !== undefined) (ctx.out.nulls ??= []).push({ container, key, zero });
}

/** The message Kubernetes gives for unknown fields under fieldValidation=Strict. */
export function strictDecodingError(unknownFields: readonly string[]): string {
  return `strict decoding error: ${unknownFields.join(', ')}`;
}

const QUANTITY_ERROR = `quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`;
const QUANTITY_SUFFIX_ERROR = "unable to parse quantity's suffix";
const QUANTITY_SUFFIXES = new Set(['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei', 'n', 'u', 'm', 'k', 'M', 'G', 'T', 'P', 'E']);
const MAX_UNKNOWN = 100;

const INT_OR_STRING = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';
const QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity';
const TIME = 'io.k8s.apimachinery.pkg.apis.meta.v1.Time';
const MICRO_TIME = 'io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime';
const OBJECT_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';

interface Ctx {
  schemas: SchemaSet;
  out: DecodeProblems;
  seen: Set<string>;
}

/**
 * Paths are built only when a problem is reported: a chain of steps from the value back to the root.
 * A strict-decoding path step is a key (struct member or map key) or a list index.
 */
interface PathStep { up: PathStep | undefined; key?: string; index?: number }
function pathString(p: PathStep | undefined): string {
  const parts: string[] = [];
  for (let s = p; s !== undefined; s = s.up) {
    if (s.index !== undefined) parts.push(`[${s.index}]`);
    else parts.push(s.up === undefined ? s.key! : `.${s.key!}`);
  }
  return parts.reverse().join('');
}

/** Where a type error is reported: the Go struct holding the member and the struct members from the root. */
interface GoPlace { struct?: string; fields: FieldStep | undefined }
interface FieldStep { up: FieldStep | undefined; name: string }
function fieldsString(f: FieldStep | undefined): string {
  const parts: string[] = [];
  for (let s = f; s !== undefined; s = s.up) parts.push(s.name);
  return parts.reverse().join('.');
}

/**
 * Checks `value` against the schema of a kind. `root` is the kind's definition name
 * (e.g. 'io.k8s.api.apps.v1.Deployment') or its schema node, e.g. from `schemas.forKind(...)`. A node
 * that is not a named definition of `schemas` (custom resources) gets no type errors: Kubernetes
 * validates those later instead of failing to decode.
 */
export function findDecodeProblems(schemas: SchemaSet, root: string | SchemaNode, value: unknown): DecodeProblems {
  const ctx: Ctx = { schemas, out: { unknownFields: [] }, seen: new Set() };
  if (typeof root !== 'string') {
    const named = (schemas as SchemaSet & { nameOf?: (n: SchemaNode) => string | undefined }).nameOf?.(root);
    if (named !== undefined) root = named;
  }
  if (typeof root === 'string') {
    const node = schemas.definition(root);
    if (!node) throw new Error(`no schema for ${root}`);
    walk(ctx, { $ref: REF_PREFIX + root }, value, undefined, { fields: undefined }, goTypeOfDefinition(root));
  } else {
    walk(ctx, root, value, undefined, { fields: undefined }, undefined);
  }
  return ctx.out;
}

function refName(node: SchemaNode): string | undefined {
  const ref = node.$ref ?? (node.allOf?.length === 1 ? node.allOf[0].$ref : undefined);
  return ref !== undefined && ref.startsWith(REF_PREFIX) ? ref.slice(REF_PREFIX.length) : undefined;
}

/** io.k8s.api.core.v1.PodSpec → v1.PodSpec; io.k8s.apimachinery.pkg.api.resource.Quantity → resource.Quantity */
function goTypeOfDefinition(name: string): string {
  const parts = name.split('.');
  return `${parts[parts.length - 2]}.${parts[parts.length - 1]}`;
}

function shortName(name: string): string {
  return name.slice(name.lastIndexOf('.') + 1);
}

/** The Go type of a schema node when nothing more precise is known. */
const goTypes = new WeakMap<SchemaNode, string>();

/** goTypeOf, remembered per schema node: it was computed again for every field of every body. */
function goTypeOf(node: SchemaNode, schemas: SchemaSet): string {
  let t = goTypes.get(node);
  if (t === undefined) {
    t = goTypeOfNode(node, schemas);
    goTypes.set(node, t);
  }
  return t;
}

function goTypeOfNode(node: SchemaNode, schemas: SchemaSet): string {
  const name = refName(node);
  if (name) return goTypeOfDefinition(name);
  const s = node;
  if (s.type === 'array') return '[]' + (s.items ? goTypeOf(s.items, schemas) : 'interface {}');
  if (s.type === 'object' && typeof s.additionalProperties === 'object') return 'map[string]' + goTypeOf(s.additionalProperties, schemas);
  if (s.type === 'string') return s.format === 'byte' ? '[]uint8' : 'string';
  if (s.type === 'integer') return s.format === 'int64' ? 'int64' : 'int32';
  if (s.type === 'boolean') return 'bool';
  if (s.type === 'number') return 'float64';
  return 'map[string]interface {}';
}

/** How Go's decoder names a JSON value in "cannot unmarshal X": string, number, bool, object, array. */
function jsonKind(v: unknown): string {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return 'number';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return 'array';
  return 'object';
}

function typeError(ctx: Ctx, what: string, place: GoPlace, goType: string | undefined): void {
  if (ctx.out.typeError !== undefined || goType === undefined) return;
  ctx.out.typeError = place.struct !== undefined || place.fields !== undefined
    ? `json: cannot unmarshal ${what} into Go struct field ${place.struct ?? ''}.${fieldsString(place.fields)} of type ${goType}`
    : `json: cannot unmarshal ${what} into Go value of type ${goType}`;
}

function otherError(ctx: Ctx, message: string): void {
  if (ctx.out.typeError === undefined) ctx.out.typeError = message;
}

function unknown(ctx: Ctx, path: PathStep): void {
  if (ctx.out.unknownFields.length >= MAX_UNKNOWN) return;
  const m = `unknown field "${pathString(path)}"`;
  if (ctx.seen.has(m)) return;
  ctx.seen.add(m);
  ctx.out.unknownFields.push(m);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * @param node    the schema node as it appears (maybe an allOf/$ref wrapper)
 * @param path    the strict-decoding path of `value`
 * @param place   Go error context for a type error at `value`
 * @param goType  the Go type `value` decodes into (undefined: untyped, e.g. custom resources)
 */
function walk(ctx: Ctx, node: SchemaNode, value: unknown, path: PathStep | undefined, place: GoPlace, goType: string | undefined): void {
  if (value === null || value === undefined) return; // Go decodes null into any type as its zero value
  const name = refName(node);
  const s = name !== undefined ? ctx.schemas.resolve(node) : node;
  const preserve = node['x-kubernetes-preserve-unknown-fields'] === true || s['x-kubernetes-preserve-unknown-fields'] === true;

  // Types with their own JSON decoding.
  if (name === INT_OR_STRING || s['x-kubernetes-int-or-string'] === true || node['x-kubernetes-int-or-string'] === true) {
    if (typeof value === 'string') return;
    if (typeof value === 'number' && Number.isInteger(value) && value >= -2147483648 && value <= 2147483647) return;
    // IntOrString decodes itself with encoding/json: its error carries no struct context.
    if (goType !== undefined) otherError(ctx, `json: cannot unmarshal ${typeof value === 'number' ? `number ${String(value)}` : jsonKind(value)} into Go value of type int32`);
    return;
  }
  if (name === QUANTITY) {
    if (goType === undefined) return;
    if (typeof value === 'number') return;
    const err = typeof value === 'string' ? quantityError(value.trim()) : QUANTITY_ERROR;
    if (err) otherError(ctx, err);
    return;
  }
  if (name === TIME || name === MICRO_TIME) {
    if (goType === undefined) return;
    if (typeof value !== 'string') {
      // metav1.Time decodes itself with encoding/json: no struct context.
      otherError(ctx, `json: cannot unmarshal ${jsonKind(value)} into Go value of type string`);
      return;
    }
    const err = rfc3339Error(value);
    if (err) otherError(ctx, err);
    return;
  }
  if (preserve && !s.properties && s.additionalProperties === undefined && !s.items) return;

  const type = s.type ?? (s.properties || s.additionalProperties !== undefined ? 'object' : undefined);
  switch (type) {
    case 'object': {
      if (!isObject(value)) {
        typeError(ctx, jsonKind(value), place, goType);
        return;
      }
      if (s.properties) {
        const struct = name !== undefined ? shortName(name) : place.struct;
        const typed = goType !== undefined && name !== undefined;
        // The root of a custom resource is an embedded resource too: apiVersion, kind and an ObjectMeta.
        const embedded = s['x-kubernetes-embedded-resource'] === true || node['x-kubernetes-embedded-resource'] === true ||
          (path === undefined && !typed);
        for (const [key, v] of Object.entries(value)) {
          let member = s.properties[key];
          if (embedded) {
            if (member === undefined && (key === 'apiVersion' || key === 'kind')) member = { type: 'string' };
            else if (key === 'metadata' && (member === undefined || (!member.properties && refName(member) === undefined))) {
              member = { $ref: REF_PREFIX + OBJECT_META };
            }
          }
          if (member === undefined) {
            if (!preserve) unknown(ctx, { up: path, key });
            continue;
          }
          const memberGo = typed ? goMemberTypes[name]?.[key] ?? goTypeOf(member, ctx.schemas) : undefined;
          walk(ctx, member, v, { up: path, key }, { struct, fields: { up: place.fields, name: key } }, memberGo);
        }
        return;
      }
      const ap = s.additionalProperties;
      if (typeof ap === 'object') {
        const valueGo = goType === undefined ? undefined : goType.startsWith('map[') ? goType.slice(goType.indexOf(']') + 1) : goTypeOf(ap, ctx.schemas);
        for (const [key, v] of Object.entries(value)) {
          if (v === null && goType !== undefined) noteNull(ctx, ap, value, key);
          else walk(ctx, ap, v, { up: path, key }, place, valueGo);
        }
        return;
      }
      if (ap === false && !preserve) {
        for (const key of Object.keys(value)) unknown(ctx, { up: path, key });
      }
      return;
    }
    case 'array': {
      if (!Array.isArray(value)) {
        typeError(ctx, jsonKind(value), place, goType);
        return;
      }
      if (!s.items) return;
      const itemGo = goType === undefined ? undefined : goType.startsWith('[]') ? goType.slice(2) : goTypeOf(s.items, ctx.schemas);
      for (let i = 0; i < value.length; i++) {
        if (value[i] === null && goType !== undefined) noteNull(ctx, s.items, value, i);
        else walk(ctx, s.items, value[i], { up: path, index: i }, place, itemGo);
      }
      return;
    }
    case 'string':
      if (typeof value !== 'string') {
        typeError(ctx, jsonKind(value), place, goType);
        return;
      }
      if (s.format === 'byte' && goType !== undefined) {
        const at = base64ErrorAt(value);
        if (at !== undefined) otherError(ctx, `illegal base64 data at input byte ${at}`);
      }
      return;
    case 'integer': {
      if (typeof value !== 'number') {
        typeError(ctx, jsonKind(value), place, goType);
        return;
      }
      const bits = s.format === 'int64' ? 63 : 31;
      const limit = 2 ** bits;
      if (!Number.isInteger(value) || value < -limit || value >= limit) typeError(ctx, `number ${String(value)}`, place, goType);
      return;
    }
    case 'number':
      if (typeof value !== 'number') typeError(ctx, jsonKind(value), place, goType);
      return;
    case 'boolean':
      if (typeof value !== 'boolean') typeError(ctx, jsonKind(value), place, goType);
      return;
    default:
      return; // no type: anything goes
  }
}

/**
 * resource.ParseQuantity's verdict on a (trimmed) string: undefined when it parses, else its error
 * (ErrFormatWrong or ErrSuffix). Range errors (ErrNumeric) are not reproduced.
 */
function quantityError(str: string): string | undefined {
  if (str.length === 0) return QUANTITY_ERROR;
  if (str === '0') return undefined;
  let pos = 0;
  const end = str.length;
  const digit = (c: string) => c >= '0' && c <= '9';
  if (str[0] === '-' || str[0] === '+') pos++;
  while (pos < end && str[pos] === '0') pos++;
  if (pos >= end) return undefined;
  while (pos < end && digit(str[pos])) pos++;
  if (pos >= end) return undefined;
  if (str[pos] === '.') {
    pos++;
    while (pos < end && digit(str[pos])) pos++;
    if (pos >= end) return undefined;
  }
  const suffixStart = pos;
  while (pos < end && 'eEinumkKMGTP'.includes(str[pos])) pos++;
  if (pos < end && (str[pos] === '-' || str[pos] === '+')) pos++;
  while (pos < end && digit(str[pos])) pos++;
  if (pos < end) return QUANTITY_ERROR;
  const suffix = str.slice(suffixStart);
  if (QUANTITY_SUFFIXES.has(suffix)) return undefined;
  if (suffix.length > 1 && (suffix[0] === 'e' || suffix[0] === 'E') && /^[+-]?\d+$/.test(suffix.slice(1))) return undefined;
  return QUANTITY_SUFFIX_ERROR;
}

/** Go's time.Parse(time.RFC3339, s) error message, or undefined when `s` parses. */
function rfc3339Error(s: string): string | undefined {
  const layout = '2006-01-02T15:04:05Z07:00';
  const ok = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(s);
  if (ok) {
    const [y, mo, d, h, mi, se] = s.slice(0, 19).split(/[-T:]/).map(Number);
    const days = new Date(Date.UTC(y, mo, 0)).getUTCDate();
    if (mo >= 1 && mo <= 12 && d >= 1 && d <= days && h < 24 && mi < 60 && se < 60) return undefined;
    return `parsing time ${JSON.stringify(s)}: ${mo < 1 || mo > 12 ? 'month' : d < 1 || d > days ? 'day' : h >= 24 ? 'hour' : mi >= 60 ? 'minute' : 'second'} out of range`;
  }
  // Find the first layout element that does not match, as Go reports it.
  const elems: [string, RegExp][] = [['2006', /^\d{4}/], ['-', /^-/], ['01', /^\d{2}/], ['-', /^-/], ['02', /^\d{2}/], ['T', /^T/],
    ['15', /^\d{2}/], [':', /^:/], ['04', /^\d{2}/], [':', /^:/], ['05', /^\d{2}(\.\d+)?/], ['Z07:00', /^(Z|[+-]\d{2}:\d{2})/]];
  let rest = s;
  for (let i = 0; i < elems.length; i++) {
    const [el, re] = elems[i];
    const m = re.exec(rest);
    if (!m) return `parsing time ${JSON.stringify(s)} as ${JSON.stringify(layout)}: cannot parse ${JSON.stringify(rest)} as ${JSON.stringify(el)}`;
    rest = rest.slice(m[0].length);
  }
  return `parsing time ${JSON.stringify(s)}: extra text: ${JSON.stringify(rest)}`;
}

/** Where Go's base64.StdEncoding rejects `s` (newlines are skipped), or undefined when it decodes. */
function base64ErrorAt(s: string): number | undefined {
  const alphabet = /[A-Za-z0-9+/]/;
  let j = 0; // chars in the current quantum
  let i = 0;
  for (; i < s.length; i++) {
    const c = s[i];
    if (c === '\n' || c === '\r') continue;
    if (c === '=') {
      // padding: only after 2 or 3 characters of a quantum, and it must finish the input
      if (j < 2) return i;
      let k = i + 1;
      if (j === 2) {
        while (k < s.length && (s[k] === '\n' || s[k] === '\r')) k++;
        if (k >= s.length) return s.length;
        if (s[k] !== '=') return k;
        k++;
      }
      while (k < s.length && (s[k] === '\n' || s[k] === '\r')) k++;
      return k < s.length ? k : undefined;
    }
    if (!alphabet.test(c)) return i;
    j = (j + 1) % 4;
  }
  return j === 0 ? undefined : i - j;
}
