/**
 * /openapi/v2 in protobuf form (`application/com.github.proto-openapi.spec.v2@v1.0+protobuf`), which
 * is what client-go's discovery client asks for and the only form it can read: `kubectl explain`
 * (1.27 reads v2 first), client-side apply's patch metadata and client-side validation use it.
 *
 * The messages are gnostic's openapi.v2 (github.com/google/gnostic-models, OpenAPIv2.proto); below is
 * our own declaration of the subset Kubernetes' documents use, with the same names and field numbers
 * (the wire interface). Vendor extensions, defaults and enums travel as `Any { yaml }`; JSON is YAML.
 */
import protobuf from 'protobufjs';

const PROTO = `
syntax = "proto3";
package openapi.v2;
message Any { bytes value = 1; string yaml = 2; }
message NamedAny { string name = 1; Any value = 2; }
message Info { string title = 1; string version = 2; string description = 3; repeated NamedAny vendor_extension = 7; }
message Document {
  string swagger = 1; Info info = 2; string host = 3; string base_path = 4;
  repeated string schemes = 5; repeated string consumes = 6; repeated string produces = 7;
  Paths paths = 8; Definitions definitions = 9;
  repeated SecurityRequirement security = 12; SecurityDefinitions security_definitions = 13;
  repeated NamedAny vendor_extension = 16;
}
message Paths { repeated NamedAny vendor_extension = 1; repeated NamedPathItem path = 2; }
message NamedPathItem { string name = 1; PathItem value = 2; }
message PathItem {
  string _ref = 1; Operation get = 2; Operation put = 3; Operation post = 4; Operation delete = 5;
  Operation options = 6; Operation head = 7; Operation patch = 8;
  repeated ParametersItem parameters = 9; repeated NamedAny vendor_extension = 10;
}
message Operation {
  repeated string tags = 1; string summary = 2; string description = 3; string operation_id = 5;
  repeated string produces = 6; repeated string consumes = 7; repeated ParametersItem parameters = 8;
  Responses responses = 9; repeated string schemes = 10; bool deprecated = 11;
  repeated NamedAny vendor_extension = 13;
}
message ParametersItem { oneof oneof { Parameter parameter = 1; JsonReference json_reference = 2; } }
message JsonReference { string _ref = 1; string description = 2; }
message Parameter { oneof oneof { BodyParameter body_parameter = 1; NonBodyParameter non_body_parameter = 2; } }
message BodyParameter { string description = 1; string name = 2; string in = 3; bool required = 4; Schema schema = 5; repeated NamedAny vendor_extension = 6; }
message NonBodyParameter { oneof oneof { QueryParameterSubSchema query_parameter_sub_schema = 3; PathParameterSubSchema path_parameter_sub_schema = 4; } }
message QueryParameterSubSchema {
  bool required = 1; string in = 2; string description = 3; string name = 4; bool allow_empty_value = 5;
  string type = 6; string format = 7; bool unique_items = 20; repeated NamedAny vendor_extension = 23;
}
message PathParameterSubSchema {
  bool required = 1; string in = 2; string description = 3; string name = 4; string type = 5; string format = 6;
  bool unique_items = 19; repeated NamedAny vendor_extension = 22;
}
message Responses { repeated NamedResponseValue response_code = 1; repeated NamedAny vendor_extension = 2; }
message NamedResponseValue { string name = 1; ResponseValue value = 2; }
message ResponseValue { oneof oneof { Response response = 1; JsonReference json_reference = 2; } }
message Response { string description = 1; SchemaItem schema = 2; repeated NamedAny vendor_extension = 5; }
message SchemaItem { oneof oneof { Schema schema = 1; } }
message Definitions { repeated NamedSchema additional_properties = 1; }
message NamedSchema { string name = 1; Schema value = 2; }
message Properties { repeated NamedSchema additional_properties = 1; }
message AdditionalPropertiesItem { oneof oneof { Schema schema = 1; bool boolean = 2; } }
message TypeItem { repeated string value = 1; }
message ItemsItem { repeated Schema schema = 1; }
message Schema {
  string _ref = 1; string format = 2; string title = 3; string description = 4; Any default = 5;
  double multiple_of = 6; double maximum = 7; bool exclusive_maximum = 8; double minimum = 9; bool exclusive_minimum = 10;
  int64 max_length = 11; int64 min_length = 12; string pattern = 13; int64 max_items = 14; int64 min_items = 15;
  bool unique_items = 16; int64 max_properties = 17; int64 min_properties = 18; repeated string required = 19;
  repeated Any enum = 20; AdditionalPropertiesItem additional_properties = 21; TypeItem type = 22; ItemsItem items = 23;
  repeated Schema all_of = 24; Properties properties = 25; string discriminator = 26; bool read_only = 27;
  Any example = 30; repeated NamedAny vendor_extension = 31;
}
message SecurityRequirement { repeated NamedStringArray additional_properties = 1; }
message NamedStringArray { string name = 1; StringArray value = 2; }
message StringArray { repeated string value = 1; }
message SecurityDefinitions { repeated NamedSecurityDefinitionsItem additional_properties = 1; }
message NamedSecurityDefinitionsItem { string name = 1; SecurityDefinitionsItem value = 2; }
message SecurityDefinitionsItem { oneof oneof { ApiKeySecurity api_key_security = 2; } }
message ApiKeySecurity { string type = 1; string name = 2; string in = 3; string description = 4; repeated NamedAny vendor_extension = 5; }
`;

let documentType: protobuf.Type | undefined;
function docType(): protobuf.Type {
  documentType ??= protobuf.parse(PROTO, { keepCase: true }).root.lookupType('openapi.v2.Document');
  return documentType;
}

type Obj = Record<string, unknown>;
const yamlAny = (v: unknown): Obj => ({ yaml: JSON.stringify(v) + '\n' });

function extensions(o: Obj): Obj[] {
  return Object.entries(o).filter(([k]) => k.startsWith('x-')).map(([name, v]) => ({ name, value: yamlAny(v) }));
}

function schema(s: Obj): Obj {
  const out: Obj = {};
  for (const [k, v] of Object.entries(s)) {
    switch (k) {
      case '$ref': out._ref = v; break;
      case 'type': out.type = { value: Array.isArray(v) ? v : [v] }; break;
      case 'items': out.items = { schema: [schema(v as Obj)] }; break;
      case 'properties': out.properties = { additional_properties: Object.entries(v as Obj).map(([name, p]) => ({ name, value: schema(p as Obj) })) }; break;
      case 'additionalProperties': out.additional_properties = typeof v === 'boolean' ? { boolean: v } : { schema: schema(v as Obj) }; break;
      case 'allOf': out.all_of = (v as Obj[]).map(schema); break;
      case 'default': out.default = yamlAny(v); break;
      case 'example': out.example = yamlAny(v); break;
      case 'enum': out.enum = (v as unknown[]).map(yamlAny); break;
      case 'required': case 'format': case 'title': case 'description': case 'pattern': case 'discriminator':
      case 'uniqueItems': case 'readOnly': case 'maximum': case 'minimum': case 'maxLength': case 'minLength':
      case 'maxItems': case 'minItems': case 'multipleOf':
        out[k.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase())] = v; break;
      default: break; // extensions below; nothing else occurs in our documents
    }
  }
  const ext = extensions(s);
  if (ext.length) out.vendor_extension = ext;
  return out;
}

function parameter(p: Obj): Obj {
  if (p.in === 'body') {
    return { parameter: { body_parameter: { name: p.name, in: p.in, required: p.required === true, description: p.description, schema: schema(p.schema as Obj) } } };
  }
  const sub = { name: p.name, in: p.in, required: p.required === true, description: p.description, type: p.type, unique_items: p.uniqueItems === true };
  return { parameter: { non_body_parameter: p.in === 'path' ? { path_parameter_sub_schema: sub } : { query_parameter_sub_schema: sub } } };
}

function operation(o: Obj): Obj {
  const out: Obj = {
    tags: o.tags, description: o.description, operation_id: o.operationId, produces: o.produces,
    consumes: o.consumes, schemes: o.schemes,
    parameters: ((o.parameters as Obj[] | undefined) ?? []).map(parameter),
    responses: {
      response_code: Object.entries(o.responses as Obj).map(([code, r]) => {
        const resp = r as Obj;
        return { name: code, value: { response: { description: resp.description, ...(resp.schema ? { schema: { schema: schema(resp.schema as Obj) } } : {}) } } };
      }),
    },
  };
  const ext = extensions(o);
  if (ext.length) out.vendor_extension = ext;
  return out;
}

/** Encodes a swagger 2.0 document (as built by documents.ts) as gnostic's openapi.v2.Document. */
export function encodeV2Protobuf(doc: Obj): Buffer {
  const paths = Object.entries(doc.paths as Obj).map(([name, item]) => {
    const it = item as Obj;
    const value: Obj = {};
    for (const m of ['get', 'put', 'post', 'delete', 'patch']) if (it[m]) value[m] = operation(it[m] as Obj);
    if (it.parameters) value.parameters = (it.parameters as Obj[]).map(parameter);
    return { name, value };
  });
  const info = doc.info as Obj;
  const secDefs = doc.securityDefinitions as Obj;
  const obj: Obj = {
    swagger: doc.swagger,
    info: { title: info.title, version: info.version },
    paths: { path: paths },
    definitions: { additional_properties: Object.entries(doc.definitions as Obj).map(([name, s]) => ({ name, value: schema(s as Obj) })) },
    security: ((doc.security as Obj[] | undefined) ?? []).map((req) => ({
      additional_properties: Object.entries(req).map(([name, scopes]) => ({ name, value: { value: scopes } })),
    })),
    security_definitions: {
      additional_properties: Object.entries(secDefs ?? {}).map(([name, d]) => {
        const def = d as Obj;
        return { name, value: { api_key_security: { type: def.type, name: def.name, in: def.in, description: def.description } } };
      }),
    },
  };
  const t = docType();
  return Buffer.from(t.encode(t.fromObject(obj)).finish());
}

/** Decodes (for tests): the protobuf document as a plain object with snake_case names. */
export function decodeV2Protobuf(bytes: Uint8Array): Obj {
  const t = docType();
  return t.toObject(t.decode(bytes), { longs: Number, defaults: false, arrays: true }) as Obj;
}
