/**
 * The shape of one OpenAPI v3 schema node, with the Kubernetes extensions the server relies on.
 * The OpenAPI documents served at /openapi/v2 and /openapi/v3, validation of unknown fields,
 * strategic merge patch and server-side apply all read the same schemas (src/api/openapi/).
 */
export interface SchemaNode {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  format?: string;
  description?: string;
  properties?: Record<string, SchemaNode>;
  additionalProperties?: SchemaNode | boolean;
  items?: SchemaNode;
  required?: string[];
  enum?: unknown[];
  default?: unknown;
  /** `#/components/schemas/io.k8s.api.core.v1.PodSpec` */
  $ref?: string;
  allOf?: SchemaNode[];
  /** e.g. Quantity and IntOrString in Kubernetes' v3 schemas: `[{type: 'string'}, {type: 'number'}]`. */
  oneOf?: SchemaNode[];
  'x-kubernetes-patch-strategy'?: string;
  'x-kubernetes-patch-merge-key'?: string;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: 'atomic' | 'granular';
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  'x-kubernetes-unions'?: unknown[];
  'x-kubernetes-group-version-kind'?: { group: string; version: string; kind: string }[];
}

/** Access to all definitions; `resolve` follows `$ref` and single-element `allOf` wrappers. */
export interface SchemaSet {
  /** The schema of a top-level kind, e.g. ('', 'v1', 'Pod'). */
  forKind(group: string, version: string, kind: string): SchemaNode | undefined;
  /** The schema behind a node's `$ref`/`allOf` (the node itself when it has neither). */
  resolve(node: SchemaNode): SchemaNode;
  /** A definition by its full name, e.g. `io.k8s.api.core.v1.PodSpec`. */
  definition(name: string): SchemaNode | undefined;
}
