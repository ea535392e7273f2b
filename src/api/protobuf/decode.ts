/**
 * Decodes Kubernetes protobuf request bodies (`Content-Type: application/vnd.kubernetes.protobuf`)
 * into the JSON form Kubernetes' own JSON encoding gives the same object.
 *
 * Wire format: the 4 bytes `k8s\0`, then a runtime.Unknown {typeMeta {apiVersion, kind}, raw,
 * contentEncoding, contentType} whose `raw` is the object's protobuf encoding.
 *
 * JSON rules (those of Go's encoding/json on the Kubernetes Go types):
 * - a non-pointer scalar with omitempty is always on the wire; it is left out when zero;
 * - a pointer is on the wire only when set and is kept whatever its value;
 * - structs are always written (`{}` when empty); embedded structs are inlined;
 * - empty lists and maps are left out; bytes are base64;
 * - Time → `2006-01-02T15:04:05Z` (null when zero), MicroTime → 6 fractional digits,
 *   Duration → Go's duration string, Quantity → its string, IntOrString → number or string,
 *   RawExtension and FieldsV1 → the JSON they hold.
 */
import { ApiError } from '../errors.js';
import type { KubeObject } from '../object.js';
import { formatDuration, formatTime } from './go-format.js';
import { k8sSchema, protobufMagic, runtimeUnknown, type FieldInfo, type MessageInfo, type ScalarType } from './schema.js';

/** Malformed input; turned into a 400 at the entry points. */
class WireError extends Error {
  /** JSON path segments from the object down to the field at fault, filled in on the way out. */
  readonly path: string[] = [];
}

const maxDepth = 100;

/** A bounds-checked protobuf wire reader over buf[pos, end). */
class Reader {
  constructor(readonly buf: Buffer, public pos: number, public end: number) {}

  /** High 32 bits of the last varint read. */
  hi = 0;

  /** Reads a varint; returns its low 32 bits (unsigned) and leaves the high ones in `hi`. */
  varint(): number {
    const buf = this.buf;
    if (this.pos < this.end && buf[this.pos] < 0x80) { this.hi = 0; return buf[this.pos++]; }
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new WireError('truncated varint');
      const b = buf[this.pos++];
      if (i < 4) lo |= (b & 0x7f) << (7 * i);
      else if (i === 4) { lo |= (b & 0x0f) << 28; hi |= (b & 0x7f) >> 4; }
      else hi |= (b & 0x7f) << (7 * i - 32);
      if (b < 0x80) { this.hi = hi >>> 0; return lo >>> 0; }
    }
    throw new WireError('varint longer than 10 bytes');
  }

  uint32(): number { return this.varint(); }

  /** Length of a length-delimited value; checked against what is left. */
  length(): number {
    const lo = this.varint();
    const hi = this.hi;
    if (hi !== 0 || lo > this.end - this.pos) throw new WireError(`length ${hi ? 'over 2^32' : lo} runs past the end (${this.end - this.pos} bytes left)`);
    return lo;
  }

  skip(wireType: number): void {
    switch (wireType) {
      case 0: this.varint(); return;
      case 1: this.advance(8); return;
      case 2: { const n = this.length(); this.pos += n; return; }
      case 5: this.advance(4); return;
      default: throw new WireError(`unsupported wire type ${wireType}`);
    }
  }

  advance(n: number): void {
    if (this.end - this.pos < n) throw new WireError('truncated fixed-width value');
    this.pos += n;
  }
}

function int64Of(lo: number, hi: number, signed: boolean): number {
  if (signed && hi & 0x80000000) {
    // two's complement negative
    const nlo = (~lo + 1) >>> 0;
    const nhi = (~hi + (nlo === 0 ? 1 : 0)) >>> 0;
    return -(nhi * 4294967296 + nlo);
  }
  return hi * 4294967296 + lo;
}

function readScalar(r: Reader, type: ScalarType, wireType: number, where: string): unknown {
  const expect = type === 'string' || type === 'bytes' ? 2 : type === 'double' ? 1 : type === 'float' ? 5 : 0;
  if (wireType !== expect) throw new WireError(`${where}: wire type ${wireType} where ${type} needs ${expect}`);
  switch (type) {
    case 'string': { const n = r.length(); const s = r.buf.toString('utf8', r.pos, r.pos + n); r.pos += n; return s; }
    case 'bytes': { const n = r.length(); const b = r.buf.subarray(r.pos, r.pos + n); r.pos += n; return b; }
    case 'bool': { const lo = r.varint(); return lo !== 0 || r.hi !== 0; }
    case 'int32': return r.varint() | 0;
    case 'uint32': return r.varint();
    case 'int64': { const lo = r.varint(); return int64Of(lo, r.hi, true); }
    case 'uint64': { const lo = r.varint(); return int64Of(lo, r.hi, false); }
    case 'double': { r.advance(8); return r.buf.readDoubleLE(r.pos - 8); }
    case 'float': { r.advance(4); return r.buf.readFloatLE(r.pos - 4); }
  }
}

function scalarZero(type: ScalarType): unknown {
  switch (type) {
    case 'string': return '';
    case 'bytes': return Buffer.alloc(0);
    case 'bool': return false;
    default: return 0;
  }
}

function isZero(v: unknown): boolean {
  return v === '' || v === 0 || v === false || (Buffer.isBuffer(v) && v.length === 0);
}

/** Scalars as JSON values: bytes → base64; non-finite doubles are not JSON. */
function scalarJson(v: unknown, where: string): unknown {
  if (Buffer.isBuffer(v)) return v.toString('base64');
  if (typeof v === 'number' && !Number.isFinite(v)) throw new WireError(`${where}: ${v} is not a JSON number`);
  return v;
}

type Json = Record<string, unknown>;

/** Decodes the message in r[pos, end) into its raw field values (special types not yet converted). */
function decodeFields(info: MessageInfo, r: Reader, end: number, depth: number): Map<FieldInfo, unknown> {
  if (depth > maxDepth) throw new WireError(`nested deeper than ${maxDepth} messages`);
  const out = new Map<FieldInfo, unknown>();
  while (r.pos < end) {
    const tag = r.uint32();
    const id = tag >>> 3;
    const wireType = tag & 7;
    if (id === 0) throw new WireError('field number 0');
    const f = info.byId.get(id);
    if (!f) { r.skip(wireType); if (r.pos > end) throw new WireError('field runs past its message'); continue; }
    const where = f.label;
    try {
      if (f.map) {
        if (wireType !== 2) throw new WireError(`${where}: wire type ${wireType} for a map entry`);
        const n = r.length();
        const entryEnd = r.pos + n;
        let key = '';
        let value: unknown = undefined;
        while (r.pos < entryEnd) {
          const t = r.uint32();
          const wt = t & 7;
          if (t >>> 3 === 1) key = readScalar(r, 'string', wt, `${where} key`) as string;
          else if (t >>> 3 === 2) value = f.message ? fieldMessage(f.message, r, wt, depth, where) : readScalar(r, f.scalar!, wt, where);
          else r.skip(wt);
          if (r.pos > entryEnd) throw new WireError(`${where}: map entry runs past its end`);
        }
        if (value === undefined) value = f.message ? messageJson(f.message, new Map()) : scalarZero(f.scalar!);
        let m = out.get(f) as Json | undefined;
        if (!m) { m = Object.create(null) as Json; out.set(f, m); }
        m[key] = f.scalar ? scalarJson(value, where) : value;
      } else if (f.repeated) {
        let list = out.get(f) as unknown[] | undefined;
        if (!list) { list = []; out.set(f, list); }
        if (f.message) list.push(fieldMessage(f.message, r, wireType, depth, where));
        else if (wireType === 2 && f.scalar !== 'string' && f.scalar !== 'bytes') {
          // packed
          const n = r.length();
          const packedEnd = r.pos + n;
          const wt = f.scalar === 'double' ? 1 : f.scalar === 'float' ? 5 : 0;
          while (r.pos < packedEnd) list.push(scalarJson(readScalar(r, f.scalar!, wt, where), where));
          if (r.pos !== packedEnd) throw new WireError(`${where}: packed values run past their end`);
        } else list.push(scalarJson(readScalar(r, f.scalar!, wireType, where), where));
      } else if (f.message) {
        out.set(f, fieldMessage(f.message, r, wireType, depth, where));
      } else {
        out.set(f, readScalar(r, f.scalar!, wireType, where));
      }
    } catch (e) {
      if (e instanceof WireError) {
        e.path.unshift(f.inline ? '' : f.repeated && !f.map ? `${f.json}[${(out.get(f) as unknown[] | undefined)?.length ?? 0}]` : f.json);
      }
      throw e;
    }
    if (r.pos > end) throw new WireError(`${where} runs past its message`);
  }
  return out;
}

function fieldMessage(info: MessageInfo, r: Reader, wireType: number, depth: number, where: string): unknown {
  if (wireType !== 2) throw new WireError(`${where}: wire type ${wireType} for a message`);
  const n = r.length();
  const end = r.pos + n;
  if (n === 0 && info.special === 'time') return null; // Go writes a zero Time as an empty message
  if (n === 0 && info.special === 'microtime') return null;
  const fields = decodeFields(info, r, end, depth + 1);
  return messageJson(info, fields);
}

function get(fields: Map<FieldInfo, unknown>, info: MessageInfo, id: number): unknown {
  const f = info.byId.get(id);
  return f ? fields.get(f) : undefined;
}

function parseEmbeddedJson(raw: Buffer, what: string): unknown {
  if (raw.length >= 4 && raw.subarray(0, 4).equals(protobufMagic)) return decodeEnvelope(raw, envelopeDepth + 1);
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch (e) {
    throw new WireError(`${what} does not hold JSON: ${(e as Error).message}`);
  }
}

/** Turns decoded fields into the message's JSON value. */
function messageJson(info: MessageInfo, fields: Map<FieldInfo, unknown>): unknown {
  switch (info.special) {
    case 'time':
    case 'microtime': {
      if (fields.size === 0) return null;
      try {
        return formatTime(Number(get(fields, info, 1) ?? 0), Number(get(fields, info, 2) ?? 0), info.special === 'microtime');
      } catch (e) {
        throw new WireError((e as Error).message);
      }
    }
    case 'duration': return formatDuration(Number(get(fields, info, 1) ?? 0));
    case 'quantity': return String(get(fields, info, 1) ?? '0');
    case 'intorstring': return Number(get(fields, info, 1) ?? 0) === 1 ? String(get(fields, info, 3) ?? '') : Number(get(fields, info, 2) ?? 0);
    case 'rawextension': {
      const raw = get(fields, info, 1) as Buffer | undefined;
      return raw === undefined ? null : parseEmbeddedJson(raw, 'RawExtension');
    }
    case 'fieldsv1': {
      const raw = get(fields, info, 1) as Buffer | undefined;
      return raw === undefined ? null : parseEmbeddedJson(raw, 'FieldsV1');
    }
  }
  if (info.list) return (get(fields, info, 1) as unknown[] | undefined) ?? [];
  const obj: Json = {};
  for (const [f, v] of fields) {
    if (f.inline) {
      if (v && typeof v === 'object' && !Array.isArray(v)) Object.assign(obj, v);
      continue;
    }
    if (f.json === '' || f.json === '-') continue;
    if (f.map || f.repeated) {
      if (Array.isArray(v) ? v.length > 0 : Object.keys(v as Json).length > 0) obj[f.json] = f.map ? { ...(v as Json) } : v;
      continue;
    }
    if (f.scalar) {
      if (!f.ptr && !f.req && isZero(v)) continue;
      obj[f.json] = scalarJson(v, f.label);
      continue;
    }
    obj[f.json] = v;
  }
  return obj;
}

/** How many envelopes deep the decoder is (objects inside RawExtensions); decoding is synchronous. */
let envelopeDepth = 0;

/** Decodes `k8s\0` + runtime.Unknown. */
function decodeEnvelope(buf: Buffer, depth: number): KubeObject {
  const saved = envelopeDepth;
  envelopeDepth = depth;
  try {
    return decodeEnvelopeAt(buf, depth);
  } finally {
    envelopeDepth = saved;
  }
}

function decodeEnvelopeAt(buf: Buffer, depth: number): KubeObject {
  if (buf.length < 4 || !buf.subarray(0, 4).equals(protobufMagic)) {
    throw new WireError('the body does not start with the Kubernetes protobuf prefix "k8s\\x00"');
  }
  if (depth > 4) throw new WireError('objects nested in RawExtensions too deeply');
  const schema = k8sSchema();
  const unknown = schema.message(runtimeUnknown);
  const r = new Reader(buf, 4, buf.length);
  const fields = decodeFields(unknown, r, buf.length, 0);
  const typeMeta = get(fields, unknown, 1) as Json | undefined;
  const raw = get(fields, unknown, 2) as Buffer | undefined;
  const contentEncoding = get(fields, unknown, 3) as string | undefined;
  const apiVersion = typeof typeMeta?.apiVersion === 'string' ? typeMeta.apiVersion : '';
  const kind = typeof typeMeta?.kind === 'string' ? typeMeta.kind : '';
  if (!kind) throw new WireError('the protobuf envelope names no kind (runtime.Unknown typeMeta.kind is empty)');
  if (contentEncoding) {
    throw new ApiError(415, 'UnsupportedMediaType', `protobuf bodies with contentEncoding ${JSON.stringify(contentEncoding)} are not supported`);
  }
  const info = schema.kind(apiVersion, kind);
  if (!info) {
    throw new ApiError(415, 'UnsupportedMediaType',
      `no kind ${JSON.stringify(kind)} is registered for version ${JSON.stringify(apiVersion)} that this server can decode from protobuf; send it as application/json`);
  }
  const body = raw ?? Buffer.alloc(0);
  const objFields = decodeFields(info, new Reader(body, 0, body.length), body.length, 0);
  const value = messageJson(info, objFields) as Json;
  return { kind, apiVersion, ...value } as KubeObject;
}

/**
 * Decodes a protobuf request body into the object's JSON form. Throws ApiError 400 for malformed
 * bytes and 415 for a kind the schema does not have.
 */
export function decodeProtobufBody(buf: Buffer): KubeObject {
  try {
    const obj = decodeEnvelope(buf, 0);
    if (!obj.metadata || typeof obj.metadata !== 'object') obj.metadata = {};
    return obj;
  } catch (e) {
    if (e instanceof WireError) {
      const at = e.path.filter(Boolean).join('.');
      throw ApiError.badRequest(`the protobuf body could not be decoded: ${e.message}${at ? ` (at ${at})` : ''}`);
    }
    if (e instanceof RangeError) throw ApiError.badRequest(`the protobuf body could not be decoded: ${e.message}`);
    throw e;
  }
}

/** Decodes one message's bytes (no envelope) as the named type, e.g. for nested payloads and tests. */
export function decodeProtobufMessage(typeName: string, buf: Buffer): unknown {
  const info = k8sSchema().message(typeName);
  try {
    return messageJson(info, decodeFields(info, new Reader(buf, 0, buf.length), buf.length, 0));
  } catch (e) {
    if (e instanceof WireError || e instanceof RangeError) throw ApiError.badRequest(`the protobuf message could not be decoded: ${e.message}`);
    throw e;
  }
}
