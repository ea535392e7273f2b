/**
 * The built-in schemas (dist/openapi/definitions.json, written by scripts/gen-openapi.mjs) behind
 * the shared SchemaSet interface. The file is read once, on first use; `resolve` is a single map
 * look-up, since strategic merge patch, server-side apply and unknown-field checks call it per node.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SchemaNode, SchemaSet } from '../schema-node.js';

export const REF_PREFIX = '#/components/schemas/';

/** Where the generator writes the definitions, relative to this compiled module (dist/src/api/openapi/). */
export function definitionsPath(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'openapi', 'definitions.json');
}

export class DefinitionSchemaSet implements SchemaSet {
  /** `#/components/schemas/<name>` → definition. */
  private readonly byRef = new Map<string, SchemaNode>();
  private readonly byName = new Map<string, SchemaNode>();
  /** `group/version/kind` → definition. */
  private readonly byKind = new Map<string, SchemaNode>();
  /** definition node → its name */
  private readonly nodeNames = new WeakMap<SchemaNode, string>();
  /** node → what it resolves to: one identity look-up instead of hashing a long reference string. */
  private resolved = new WeakMap<SchemaNode, SchemaNode>();

  constructor(definitions: Readonly<Record<string, SchemaNode>>) {
    this.add(definitions);
  }

  /** Adds (or replaces) definitions, e.g. the schemas of custom resources. */
  add(definitions: Readonly<Record<string, SchemaNode>>): void {
    this.resolved = new WeakMap();
    for (const [name, schema] of Object.entries(definitions)) {
      this.byName.set(name, schema);
      this.nodeNames.set(schema, name);
      this.byRef.set(REF_PREFIX + name, schema);
      for (const gvk of schema['x-kubernetes-group-version-kind'] ?? []) {
        this.byKind.set(`${gvk.group}/${gvk.version}/${gvk.kind}`, schema);
      }
    }
  }

  forKind(group: string, version: string, kind: string): SchemaNode | undefined {
    return this.byKind.get(`${group}/${version}/${kind}`);
  }

  resolve(node: SchemaNode): SchemaNode {
    const known = this.resolved.get(node);
    if (known !== undefined) return known;
    const target = this.lookUp(node);
    this.resolved.set(node, target);
    return target;
  }

  private lookUp(node: SchemaNode): SchemaNode {
    let ref = node.$ref;
    if (ref === undefined) {
      const all = node.allOf;
      if (all === undefined || all.length !== 1) return node;
      ref = all[0].$ref;
      if (ref === undefined) return all[0];
    }
    const target = this.byRef.get(ref);
    if (target === undefined) throw new Error(`schema reference ${ref} does not resolve`);
    // A definition is never itself only a reference; one more step would still be O(1).
    return target.$ref !== undefined || target.allOf?.length === 1 ? this.resolve(target) : target;
  }

  definition(name: string): SchemaNode | undefined {
    return this.byName.get(name);
  }

  /** The name of a definition node (e.g. what forKind returned), or undefined for other nodes. */
  nameOf(node: SchemaNode): string | undefined {
    return this.nodeNames.get(node);
  }

  /** Every definition name, sorted. */
  names(): string[] {
    return [...this.byName.keys()].sort();
  }

  /** All definitions as one record (for building documents). */
  all(): Readonly<Record<string, SchemaNode>> {
    return Object.fromEntries(this.byName);
  }
}

let builtin: DefinitionSchemaSet | undefined;

/** The built-in Kubernetes schemas, loaded on first call. */
export function builtinSchemas(): DefinitionSchemaSet {
  if (builtin === undefined) {
    const path = definitionsPath();
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      throw new Error(`OpenAPI definitions not found at ${path}: run node scripts/build.mjs (${(e as Error).message})`);
    }
    builtin = new DefinitionSchemaSet(JSON.parse(text) as Record<string, SchemaNode>);
  }
  return builtin;
}
