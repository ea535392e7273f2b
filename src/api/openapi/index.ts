// Schemas and OpenAPI: the built-in definitions, the served documents, and decode-time field checks.
export { builtinSchemas, DefinitionSchemaSet, REF_PREFIX, definitionsPath } from './schema-set.js';
export { OpenApiDocuments, V2_PROTOBUF, toV2Schema } from './documents.js';
export type { ServedResource, OpenApiAnswer, OpenApiDocumentsOptions } from './documents.js';
export { findDecodeProblems, strictDecodingError } from './unknown-fields.js';
export type { DecodeProblems } from './unknown-fields.js';
