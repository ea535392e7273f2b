/**
 * Decode-time checks of request bodies against the OpenAPI schemas (src/api/openapi), with the
 * `fieldValidation` directive: Strict → 400, Warn (the default) → `Warning: 299 - "unknown field …"`
 * headers, Ignore → nothing. Type errors are 400 whatever the directive, as Kubernetes' decoder does.
 */
import type { ServerResponse } from 'node:http';
import { ApiError } from '../api/errors.js';
import type { KubeObject } from '../api/object.js';
import { builtinSchemas, findDecodeProblems, type DefinitionSchemaSet } from '../api/openapi/index.js';
import { applyGoNulls } from '../api/openapi/unknown-fields.js';
import type { ResourceDef } from '../api/resources/types.js';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

export function parseFieldValidation(query: URLSearchParams): FieldValidation {
  const v = query.get('fieldValidation');
  if (v === null || v === '') return 'Warn';
  if (v === 'Strict' || v === 'Warn' || v === 'Ignore') return v;
  throw ApiError.badRequest(`fieldValidation parameter unsupported: ${v}`);
}

let schemaSet: DefinitionSchemaSet | undefined;
let nameByKind: Map<string, string> | undefined;

export function schemas(): DefinitionSchemaSet {
  schemaSet ??= builtinSchemas();
  return schemaSet;
}

/** The definition name of a kind (`io.k8s.api.apps.v1.Deployment`). */
export function definitionName(group: string, version: string, kind: string): string | undefined {
  if (!nameByKind) {
    nameByKind = new Map();
    const s = schemas();
    for (const n of s.names()) {
      for (const g of s.definition(n)?.['x-kubernetes-group-version-kind'] ?? []) nameByKind.set(`${g.group}/${g.version}/${g.kind}`, n);
    }
  }
  return nameByKind.get(`${group}/${version}/${kind}`);
}

/**
 * Node refuses header strings with characters above U+00FF or DEL (a field name with an emoji was
 * a 500); those are written as JSON escapes (\\uXXXX), as JSON.stringify already writes control
 * characters and lone surrogates. Latin-1 letters go out as before.
 */
function headerSafe(text: string): string {
  // eslint-disable-next-line no-control-regex
  return /[^\t\x20-\x7e\x80-\xff]/.test(text) ? text.replace(/[^\t\x20-\x7e\x80-\xff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) : text;
}

/** Add one `Warning` header per message, as Kubernetes does (code 299, agent "-"). */
export function addWarnings(res: ServerResponse, messages: string[]): void {
  if (messages.length === 0 || res.headersSent) return;
  const prev = res.getHeader('Warning');
  const list = Array.isArray(prev) ? prev.map(String) : prev !== undefined ? [String(prev)] : [];
  for (const m of messages) {
    const h = headerSafe(`299 - ${JSON.stringify(m)}`);
    if (!list.includes(h)) list.push(h);
  }
  res.setHeader('Warning', list);
}

/**
 * Check an object (as decoded from the body, or as a patch produced it) against its kind's schema.
 * `prefix` = true puts Kubernetes' decoder wording in front (`Pod in version "v1" cannot be handled as a Pod: `).
 */
export function checkFields(def: ResourceDef, obj: KubeObject, directive: FieldValidation, res: ServerResponse, prefix = true): void {
  const name = definitionName(def.group, def.version, def.kind);
  if (!name) return;
  const problems = findDecodeProblems(schemas(), name, obj);
  const lead = prefix ? `${def.kind} in version ${JSON.stringify(def.version)} cannot be handled as a ${def.kind}: ` : '';
  if (problems.typeError) throw ApiError.badRequest(lead + problems.typeError);
  applyGoNulls(problems);
  if (problems.unknownFields.length === 0) return;
  if (directive === 'Strict') throw ApiError.badRequest(`${lead}strict decoding error: ${problems.unknownFields.join(', ')}`);
  // decoding into Kubernetes' types drops unknown fields
  for (const m of problems.unknownFields) {
    const path = /^unknown field "(.*)"$/.exec(m)?.[1];
    if (path) dropPath(obj, path);
  }
  if (directive === 'Warn') addWarnings(res, problems.unknownFields);
}

/** Delete `a.b[2].c` from an object. */
function dropPath(obj: unknown, path: string): void {
  const parts: (string | number)[] = [];
  for (const seg of path.split('.')) {
    const m = /^([^[]*)((?:\[\d+\])*)$/.exec(seg);
    if (!m) return;
    if (m[1]) parts.push(m[1]);
    for (const i of m[2].matchAll(/\[(\d+)\]/g)) parts.push(Number(i[1]));
  }
  let cur: unknown = obj;
  for (let i = 0; i < parts.length - 1; i++) {
    if (cur === null || typeof cur !== 'object') return;
    cur = (cur as Record<string | number, unknown>)[parts[i]];
  }
  const last = parts[parts.length - 1];
  if (cur !== null && typeof cur === 'object' && !Array.isArray(cur) && typeof last === 'string') delete (cur as Record<string, unknown>)[last];
}
