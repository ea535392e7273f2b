/**
 * Schemas and OpenAPI: the built-in definitions, the served documents, and decode-time field checks.
 *
 * Serving (the API server):
 *   const openapi = new OpenApiDocuments(servedResources);           // cheap; documents build on first request
 *   const a = openapi.serve(req.url, req.headers.accept, req.headers['if-none-match']);
 *   if (a) return res.writeHead(a.status, a.headers).end(a.body);    // /openapi/v2, /openapi/v3, /openapi/v3/<gv>
 * Build a new OpenApiDocuments when the served resources change (custom resources: pass their
 * schemas as `extraDefinitions`).
 *
 * Decoding a write (create/update/patch result), before validation:
 *   const p = findDecodeProblems(builtinSchemas(), builtinSchemas().forKind(group, version, kind)!, body);
 *   p.typeError            → 400 BadRequest `<Kind> in version "<v>" cannot be handled as a <Kind>: <typeError>`
 *   p.unknownFields        → Strict: 400 BadRequest, the same prefix + strictDecodingError(p.unknownFields)
 *                            (`... cannot be handled as a Deployment: strict decoding error: unknown field "spec.replica"`);
 *                            Warn: one Warning header per entry; Ignore: nothing.
 *
 * Patch and apply: builtinSchemas().forKind(...) / resolve(node) give the x-kubernetes-patch-* and
 * x-kubernetes-list-* metadata.
 */
export { builtinSchemas, DefinitionSchemaSet, REF_PREFIX, definitionsPath } from './schema-set.js';
export { OpenApiDocuments, V2_PROTOBUF, toV2Schema } from './documents.js';
export type { ServedResource, OpenApiAnswer, OpenApiDocumentsOptions } from './documents.js';
export { findDecodeProblems, strictDecodingError } from './unknown-fields.js';
export type { DecodeProblems } from './unknown-fields.js';
