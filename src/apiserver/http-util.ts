/**
 * HTTP plumbing for the REST core: content negotiation, request bodies (JSON, YAML, protobuf) with
 * Kubernetes' limits and error wording, and writing objects and Status errors.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { ApiError, type Status } from '../api/errors.js';
import type { KubeObject } from '../api/object.js';
import { decodeProtobufBody } from '../api/protobuf/decode.js';

/** Kubernetes' limit on request bodies (3 MiB). */
export const maxBodyBytes = 3 * 1024 * 1024;

export interface MediaType {
  type: string;
  params: Record<string, string>;
}

/** Parse an Accept header into media types in order (q-values respected, stable). */
export function parseAccept(header: string | undefined): MediaType[] {
  if (!header) return [{ type: '*/*', params: {} }];
  const out: { m: MediaType; q: number; i: number }[] = [];
  header.split(',').forEach((part, i) => {
    const [t, ...ps] = part.split(';');
    const type = t.trim().toLowerCase();
    if (!type) return;
    const params: Record<string, string> = {};
    for (const p of ps) {
      const eq = p.indexOf('=');
      if (eq < 0) continue;
      params[p.slice(0, eq).trim().toLowerCase()] = p.slice(eq + 1).trim().replace(/^"|"$/g, '');
    }
    const q = params.q !== undefined ? Number(params.q) : 1;
    delete params.q;
    out.push({ m: { type, params }, q: Number.isNaN(q) ? 1 : q, i });
  });
  return out.filter((x) => x.q > 0).sort((a, b) => b.q - a.q || a.i - b.i).map((x) => x.m);
}

export type OutputKind =
  | { as: 'object'; format: 'json' | 'yaml' }
  | { as: 'Table'; version: 'v1' | 'v1beta1'; format: 'json' | 'yaml' }
  | { as: 'PartialObjectMetadata' | 'PartialObjectMetadataList'; version: 'v1' | 'v1beta1'; format: 'json' | 'yaml' };

function formatOf(type: string): 'json' | 'yaml' | undefined {
  if (type === 'application/json' || type === '*/*' || type === 'application/*') return 'json';
  if (type === 'application/yaml') return 'yaml';
  return undefined;
}

/**
 * Choose how to render a resource response. `as=Table` and `as=PartialObjectMetadata[List]`
 * (g=meta.k8s.io) are honoured; protobuf alone is not served (406), otherwise JSON or YAML.
 */
export function negotiateOutput(accept: string | undefined): OutputKind {
  const types = parseAccept(accept);
  for (const m of types) {
    const format = formatOf(m.type);
    if (!format) continue;
    const as = m.params.as;
    if (as === undefined) return { as: 'object', format };
    if (m.params.g !== 'meta.k8s.io') continue;
    const v = m.params.v;
    if (v !== 'v1' && v !== 'v1beta1') continue;
    if (as === 'Table') return { as: 'Table', version: v, format };
    if (as === 'PartialObjectMetadata' || as === 'PartialObjectMetadataList') return { as, version: v, format };
  }
  throw ApiError.notAcceptable('only the following media types are accepted: application/json, application/yaml, application/json;as=Table;v=v1;g=meta.k8s.io, application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io, application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io');
}

/** Read the whole body, failing with 413 above the limit. */
export async function readBody(req: IncomingMessage, limit = maxBodyBytes): Promise<Buffer> {
  const len = Number(req.headers['content-length'] ?? NaN);
  if (!Number.isNaN(len) && len > limit) {
    req.resume();
    throw ApiError.requestEntityTooLarge(`Request entity too large: limit is ${limit}`);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const c of req) {
    const b = c as Buffer;
    total += b.length;
    if (total > limit) {
      req.resume();
      throw ApiError.requestEntityTooLarge(`Request entity too large: limit is ${limit}`);
    }
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

export function contentTypeOf(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
}

/** JSON's SyntaxError text in Go's words where we can ("unexpected end of JSON input", "invalid character"). */
function jsonSyntaxText(e: unknown, text: string): string {
  if (text.trim() === '') return 'unexpected end of JSON input';
  const m = e instanceof Error ? e.message : String(e);
  if (/Unexpected end of JSON input|end of data/i.test(m)) return 'unexpected end of JSON input';
  const tok = /Unexpected token '?(.)'?/.exec(m) ?? /Unexpected (?:non-whitespace )?character/.exec(m);
  if (tok && tok[1]) return `invalid character '${tok[1]}' looking for beginning of value`;
  return m;
}

/**
 * Bodies nested deeper than this are refused at decode with Go's wording ("exceeded max depth").
 * Go's encoding/json stops at 10,000 levels; V8 stops sooner: structuredClone overflows the stack at
 * ~1,900 nested objects and JSON.stringify at ~4,100, and every recursive walk after decoding (schema
 * checks, merges, managedFields) uses the same stack, so deeper bodies were 500s. No object of a
 * served kind comes near (the deepest schema path is under 40 levels).
 */
export const maxNestingDepth = 1000;

/** Whether JSON text nests arrays/objects deeper than maxNestingDepth (a scan; strings skipped). */
function jsonTooDeep(text: string): boolean {
  // d levels need at least d opening and d closing brackets
  if (text.length <= 2 * maxNestingDepth) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) { if (++depth > maxNestingDepth) return true; }
    else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

/**
 * Whether YAML text nests flow collections (`[`, `{`) deeper than maxNestingDepth, skipping quoted
 * scalars: the YAML parser takes seconds and hundreds of MB on a million `[`, so this runs first.
 * (Block nesting needs indentation: its depth is bounded by the body size limit.)
 */
function yamlFlowTooDeep(text: string): boolean {
  if (text.length <= maxNestingDepth) return false;
  let depth = 0;
  let quote = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (quote !== 0) {
      if (c === 0x5c && quote === 0x22) i++;
      else if (c === quote) quote = 0;
    } else if (c === 0x22 || c === 0x27) quote = c;
    else if (c === 0x5b || c === 0x7b) { if (++depth > maxNestingDepth) return true; }
    else if ((c === 0x5d || c === 0x7d) && depth > 0) depth--;
  }
  return false;
}

/** Whether a parsed value nests deeper than maxNestingDepth (iterative: it must not overflow itself). */
function valueTooDeep(v: unknown): boolean {
  const stack: [unknown, number][] = [[v, 1]];
  while (stack.length) {
    const [x, d] = stack.pop()!;
    if (x === null || typeof x !== 'object') continue;
    if (d > maxNestingDepth) return true;
    for (const c of Array.isArray(x) ? x : Object.values(x as Record<string, unknown>)) if (c !== null && typeof c === 'object') stack.push([c, d + 1]);
  }
  return false;
}

/** Parse a JSON or YAML body into a value. Throws 400 with Kubernetes-like wording. */
export function parseDocument(buf: Buffer, contentType: string): unknown {
  const text = buf.toString('utf8');
  if (contentType === 'application/yaml' || contentType === 'application/apply-patch+yaml' || contentType === 'text/yaml') {
    if (yamlFlowTooDeep(text)) throw ApiError.badRequest(`error converting YAML to JSON: yaml: exceeded max depth of ${maxNestingDepth}`);
    let v: unknown;
    try {
      v = parseYaml(text, { intAsBigInt: false });
    } catch (e) {
      throw ApiError.badRequest(`error converting YAML to JSON: yaml: ${(e as Error).message.split('\n')[0]}`);
    }
    if (text.length > maxNestingDepth && valueTooDeep(v)) throw ApiError.badRequest("couldn't get version/kind; json parse error: exceeded max depth");
    return v;
  }
  // before parsing: a million nested arrays would take the event loop for a while to build
  if (jsonTooDeep(text)) throw ApiError.badRequest("couldn't get version/kind; json parse error: exceeded max depth");
  try {
    return JSON.parse(text);
  } catch (e) {
    throw ApiError.badRequest(`couldn't get version/kind; json parse error: ${jsonSyntaxText(e, text)}`);
  }
}

/** Decode an object body (create/update): JSON, YAML or Kubernetes protobuf; 415 for anything else. */
export function decodeObjectBody(buf: Buffer, contentType: string, metaCheck?: { kind: string; version: string }): KubeObject {
  let v: unknown;
  if (contentType === 'application/vnd.kubernetes.protobuf') {
    try {
      v = decodeProtobufBody(buf);
    } catch (e) {
      if (e instanceof ApiError) throw e;
      throw ApiError.badRequest(`failed to decode protobuf body: ${(e as Error).message}`);
    }
    // embedded raw JSON (RawExtension) may nest as deep as the sender likes
    if (buf.length > maxNestingDepth && valueTooDeep(v)) throw ApiError.badRequest('failed to decode protobuf body: exceeded max depth');
  } else if (contentType === 'application/json' || contentType === 'application/yaml' || contentType === '' || contentType === 'text/yaml') {
    v = parseDocument(buf, contentType || 'application/json');
  } else {
    throw unsupportedMediaType(contentType);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    throw ApiError.badRequest(`couldn't get version/kind; json parse error: json: cannot unmarshal ${Array.isArray(v) ? 'array' : typeof v} into Go value of type struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }`);
  }
  const obj = v as KubeObject;
  if (obj.metadata === undefined || obj.metadata === null) obj.metadata = {};
  if (metaCheck) requireObjectMeta(obj, metaCheck.kind, metaCheck.version);
  // a metadata of the wrong type is left for the schema check, which words it as Go's decoder does
  return obj;
}

/** After the schema check: a body whose metadata is still not an object is a decoding error. */
export function requireObjectMeta(obj: KubeObject, kind: string, version: string): void {
  if (typeof obj.metadata !== 'object' || obj.metadata === null || Array.isArray(obj.metadata)) {
    const t = Array.isArray(obj.metadata) ? 'array' : typeof obj.metadata === 'number' ? 'number' : typeof obj.metadata === 'boolean' ? 'bool' : 'string';
    throw ApiError.badRequest(`${kind} in version ${JSON.stringify(version)} cannot be handled as a ${kind}: json: cannot unmarshal ${t} into Go struct field ${kind}.metadata of type v1.ObjectMeta`);
  }
}

export function unsupportedMediaType(_contentType: string, accepted = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf']): ApiError {
  return new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`);
}

export function serialize(v: unknown, format: 'json' | 'yaml'): string {
  return format === 'yaml' ? stringifyYaml(v) : JSON.stringify(v);
}

export function contentTypeFor(format: 'json' | 'yaml'): string {
  return format === 'yaml' ? 'application/yaml' : 'application/json';
}

export function writeBody(res: ServerResponse, code: number, body: string, contentType = 'application/json', headers: Record<string, string | string[]> = {}): void {
  if (res.headersSent) { res.end(); return; }
  res.writeHead(code, { 'Content-Type': contentType, 'Cache-Control': 'no-cache, private', ...headers, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

export function writeObject(res: ServerResponse, code: number, obj: unknown, format: 'json' | 'yaml' = 'json', headers: Record<string, string | string[]> = {}): void {
  writeBody(res, code, serialize(obj, format), contentTypeFor(format), headers);
}

export function writeStatus(res: ServerResponse, err: ApiError | Status, headers: Record<string, string | string[]> = {}): void {
  const s = err instanceof ApiError ? err.toStatus() : err;
  const h: Record<string, string | string[]> = { ...headers };
  if (s.details?.retryAfterSeconds) h['Retry-After'] = String(s.details.retryAfterSeconds);
  writeBody(res, s.code, JSON.stringify(s), 'application/json', h);
}

/** Wait for a writable stream to drain when write() said so. */
export function drain(res: ServerResponse): Promise<void> {
  if (res.destroyed || res.writableEnded) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => { res.off('drain', done); res.off('close', done); resolve(); };
    res.on('drain', done);
    res.on('close', done);
  });
}
