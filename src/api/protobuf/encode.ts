/**
 * Encodes objects in their JSON form as Kubernetes protobuf (`k8s\0` + runtime.Unknown), the way
 * Kubernetes' Go code does: fields in ascending number order, non-pointer fields always written,
 * pointers only when set, map entries sorted by key. For clients that accept only protobuf, and
 * for tests.
 */
import protobuf from 'protobufjs';
import { ApiError } from '../errors.js';
import type { KubeObject } from '../object.js';
import { parseDuration, parseTime } from './go-format.js';
import { k8sSchema, protobufMagic, type FieldInfo, type MessageInfo, type ScalarType } from './schema.js';

type Json = Record<string, unknown>;
const { Writer } = protobuf;
type W = protobuf.Writer;

function wireTypeOf(t: ScalarType): number {
  return t === 'string' || t === 'bytes' ? 2 : t === 'double' ? 1 : t === 'float' ? 5 : 0;
}

function fail(where: string, what: string): never {
  throw new TypeError(`${where}: ${what}`);
}

function num(v: unknown, where: string): number {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n)) fail(where, `${JSON.stringify(v)} is not a number`);
  return n;
}

function writeScalar(w: W, type: ScalarType, v: unknown, where: string): void {
  switch (type) {
    case 'string':
      if (typeof v !== 'string') fail(where, `${JSON.stringify(v)} is not a string`);
      w.string(v);
      return;
    case 'bytes':
      if (Buffer.isBuffer(v) || v instanceof Uint8Array) { w.bytes(v); return; }
      if (typeof v !== 'string') fail(where, `${JSON.stringify(v)} is not base64 text`);
      w.bytes(Buffer.from(v, 'base64'));
      return;
    case 'bool':
      if (typeof v !== 'boolean') fail(where, `${JSON.stringify(v)} is not a boolean`);
      w.bool(v);
      return;
    case 'int32': w.int32(num(v, where)); return;
    case 'uint32': w.uint32(num(v, where)); return;
    case 'int64': w.int64(Math.trunc(num(v, where))); return;
    case 'uint64': w.uint64(Math.trunc(num(v, where))); return;
    case 'double': w.double(num(v, where)); return;
    case 'float': w.float(num(v, where)); return;
  }
}

function scalarZero(type: ScalarType): unknown {
  return type === 'string' ? '' : type === 'bytes' ? Buffer.alloc(0) : type === 'bool' ? false : 0;
}

const tag = (id: number, wt: number) => ((id << 3) | wt) >>> 0;

function writeMessageField(w: W, id: number, info: MessageInfo, v: unknown, where: string, depth: number): void {
  w.uint32(tag(id, 2)).fork();
  writeMessage(w, info, v, where, depth + 1);
  w.ldelim();
}

/** Writes the body (no tag, no length) of `info` holding the JSON value `v`. */
function writeMessage(w: W, info: MessageInfo, v: unknown, where: string, depth: number): void {
  if (depth > 100) fail(where, 'nested too deeply');
  switch (info.special) {
    case 'time':
    case 'microtime': {
      if (v === null || v === undefined) return;
      if (typeof v !== 'string') fail(where, `${JSON.stringify(v)} is not a time`);
      const { seconds, nanos } = parseTime(v);
      w.uint32(tag(1, 0)).int64(seconds);
      w.uint32(tag(2, 0)).int32(info.special === 'time' ? 0 : nanos);
      return;
    }
    case 'duration': {
      const ns = v === null || v === undefined ? 0 : typeof v === 'string' ? parseDuration(v) : num(v, where);
      w.uint32(tag(1, 0)).int64(ns);
      return;
    }
    case 'quantity':
      w.uint32(tag(1, 2)).string(v === null || v === undefined ? '0' : String(v));
      return;
    case 'intorstring': {
      const isString = typeof v === 'string';
      w.uint32(tag(1, 0)).int64(isString ? 1 : 0);
      w.uint32(tag(2, 0)).int32(isString ? 0 : v === null || v === undefined ? 0 : num(v, where));
      w.uint32(tag(3, 2)).string(isString ? v : '');
      return;
    }
    case 'rawextension':
    case 'fieldsv1':
      if (v === null || v === undefined) return;
      w.uint32(tag(1, 2)).bytes(Buffer.from(JSON.stringify(v)));
      return;
  }
  if (info.list) {
    const f = info.byId.get(1);
    if (!f) return;
    if (v !== null && v !== undefined && !Array.isArray(v)) fail(where, 'is not a list');
    for (const item of (v as unknown[] | null | undefined) ?? []) writeElement(w, f, item, where, depth);
    return;
  }
  if (v !== null && v !== undefined && (typeof v !== 'object' || Array.isArray(v))) fail(where, `${JSON.stringify(v)} is not an object`);
  const obj = (v ?? {}) as Json;
  for (const f of info.fields) writeField(w, f, obj, where, depth);
}

function writeElement(w: W, f: FieldInfo, item: unknown, where: string, depth: number): void {
  if (f.message) writeMessageField(w, f.id, f.message, item, `${where}.${f.json}[]`, depth);
  else {
    w.uint32(tag(f.id, wireTypeOf(f.scalar!)));
    writeScalar(w, f.scalar!, item, `${where}.${f.json}[]`);
  }
}

function writeField(w: W, f: FieldInfo, obj: Json, where: string, depth: number): void {
  if (f.inline) {
    writeMessageField(w, f.id, f.message!, obj, where, depth);
    return;
  }
  const v = f.json === '' || f.json === '-' ? undefined : Object.prototype.hasOwnProperty.call(obj, f.json) ? obj[f.json] : undefined;
  const at = `${where}.${f.json}`;
  if (f.map) {
    if (v === null || v === undefined) return;
    if (typeof v !== 'object' || Array.isArray(v)) fail(at, 'is not a map');
    const m = v as Json;
    for (const key of Object.keys(m).sort()) {
      w.uint32(tag(f.id, 2)).fork();
      w.uint32(tag(1, 2)).string(key);
      if (f.message) writeMessageField(w, 2, f.message, m[key], `${at}[${key}]`, depth);
      else {
        w.uint32(tag(2, wireTypeOf(f.scalar!)));
        writeScalar(w, f.scalar!, m[key] ?? scalarZero(f.scalar!), `${at}[${key}]`);
      }
      w.ldelim();
    }
    return;
  }
  if (f.repeated) {
    if (v === null || v === undefined) return;
    if (!Array.isArray(v)) fail(at, 'is not a list');
    for (const item of v) writeElement(w, f, item, where, depth);
    return;
  }
  if (f.message) {
    if ((v === null || v === undefined) && f.ptr) return;
    writeMessageField(w, f.id, f.message, v, at, depth);
    return;
  }
  if (v === null || v === undefined) {
    if (f.ptr || f.scalar === 'bytes') return;
  }
  w.uint32(tag(f.id, wireTypeOf(f.scalar!)));
  writeScalar(w, f.scalar!, v ?? scalarZero(f.scalar!), at);
}

/**
 * Encodes an object (JSON form, with apiVersion and kind) as a Kubernetes protobuf body.
 * Throws ApiError 406 when the schema has no message for the kind.
 */
export function encodeProtobufObject(obj: KubeObject): Buffer {
  const schema = k8sSchema();
  const apiVersion = obj.apiVersion ?? '';
  const kind = obj.kind ?? '';
  const info = kind ? schema.kind(apiVersion, kind) : undefined;
  if (!info) throw ApiError.notAcceptable(`the server cannot encode ${kind || 'an object without a kind'}${apiVersion ? ` (${apiVersion})` : ''} as protobuf`);
  const inner = Writer.create();
  writeMessage(inner, info, obj, kind, 0);
  const raw = inner.finish();
  // runtime.Unknown {typeMeta {apiVersion, kind}, raw, contentEncoding, contentType}
  const w = Writer.create();
  w.uint32(tag(1, 2)).fork();
  w.uint32(tag(1, 2)).string(apiVersion);
  w.uint32(tag(2, 2)).string(kind);
  w.ldelim();
  w.uint32(tag(2, 2)).bytes(raw);
  w.uint32(tag(3, 2)).string('');
  w.uint32(tag(4, 2)).string('');
  return Buffer.concat([protobufMagic, w.finish()]);
}
