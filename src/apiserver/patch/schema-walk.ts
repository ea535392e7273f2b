/**
 * Walking an OpenAPI schema alongside a JSON value: the schema of a field, of list items, and the
 * Kubernetes extensions (patch strategy, merge key, list type, map type) that steer merging.
 * Extensions may sit on the property node itself (beside `allOf: [{$ref}]`) or on the definition
 * it points at; the property node wins.
 */
import type { SchemaNode, SchemaSet } from '../../api/schema-node.js';

export type Schemas = SchemaSet | undefined;

/** Follow `$ref` / `allOf` wrappers to the node that has the shape. */
export function resolveNode(node: SchemaNode | undefined, schemas: Schemas): SchemaNode | undefined {
  let cur = node;
  for (let i = 0; cur && i < 16; i++) {
    if (schemas && (cur.$ref || cur.allOf)) {
      const next = schemas.resolve(cur);
      if (next === cur) return cur;
      cur = next;
      continue;
    }
    if (!cur.$ref && cur.allOf && cur.allOf.length === 1 && !cur.properties && !cur.items) {
      cur = cur.allOf[0];
      continue;
    }
    return cur;
  }
  return cur;
}

/** The schema of `key` inside an object node (a declared property, or the map's value schema). */
export function fieldNode(node: SchemaNode | undefined, key: string, schemas: Schemas): SchemaNode | undefined {
  const r = resolveNode(node, schemas);
  if (!r) return undefined;
  const p = r.properties?.[key];
  if (p) return p;
  if (r.additionalProperties && typeof r.additionalProperties === 'object') return r.additionalProperties;
  return undefined;
}

/** The schema of the items of a list node. */
export function itemsNode(node: SchemaNode | undefined, schemas: Schemas): SchemaNode | undefined {
  const r = resolveNode(node, schemas);
  if (!r) return undefined;
  // A list field whose schema names the item type directly (no `items`) stands for its items.
  return r.items ?? (r.type !== 'array' ? r : undefined);
}

type ExtensionName =
  | 'x-kubernetes-patch-strategy'
  | 'x-kubernetes-patch-merge-key'
  | 'x-kubernetes-list-type'
  | 'x-kubernetes-list-map-keys'
  | 'x-kubernetes-map-type'
  | 'x-kubernetes-preserve-unknown-fields';

export function extension<K extends ExtensionName>(node: SchemaNode | undefined, name: K, schemas: Schemas): SchemaNode[K] | undefined {
  if (!node) return undefined;
  if (node[name] !== undefined) return node[name];
  return resolveNode(node, schemas)?.[name];
}

/** The patch strategies of a field (`merge`, `retainKeys`, `replace`), as in its schema. */
export function patchStrategies(node: SchemaNode | undefined, schemas: Schemas): string[] {
  const s = extension(node, 'x-kubernetes-patch-strategy', schemas);
  return s ? s.split(',').map((x) => x.trim()).filter((x) => x !== '') : [];
}

export function patchMergeKey(node: SchemaNode | undefined, schemas: Schemas): string {
  return extension(node, 'x-kubernetes-patch-merge-key', schemas) ?? '';
}

/** True when the node describes an object (declared properties or a map). */
export function isObjectNode(node: SchemaNode | undefined, schemas: Schemas): boolean {
  const r = resolveNode(node, schemas);
  return !!r && (r.type === 'object' || !!r.properties || r.additionalProperties !== undefined);
}
