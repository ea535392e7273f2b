// Generator: OpenAPI v3 component schemas for the built-in Kubernetes types.
//
// Reads node_modules/kubernetes-types/**/*.d.ts (Kubernetes 1.30 types with their descriptions) with
// the TypeScript 5 compiler API and writes dist/openapi/definitions.json: { "<definition name>": schema }
// keyed as Kubernetes names its definitions (io.k8s.api.core.v1.Pod, ...). What the .d.ts files do not
// say (int64 vs int32, bytes, value structs, explicit defaults, patch/list extensions) comes from the
// tables in src/api/openapi/ (compiled to dist/ before this runs). Run by scripts/build.mjs after tsc.
import ts from 'ts5';
import { readFileSync, readdirSync, statSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, dirname, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const typesDir = join(root, 'node_modules', 'kubernetes-types');
const tables = join(root, 'dist', 'src', 'api', 'openapi');
const { fieldExtensions, atomicStructs } = await import(pathToFileURL(join(tables, 'patch-metadata.js')).href);
const { int64Members, doubleMembers, byteMembers, valueStructMembers, explicitDefaults, extraMembers, zeroDefaultOptional, requiredWithoutDefault, requiredOrder } =
  await import(pathToFileURL(join(tables, 'type-rules.js')).href);
const { enumTypes, enumMembers } = await import(pathToFileURL(join(tables, 'enums.js')).href);

const INT_OR_STRING = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';
const REF = (name) => `#/components/schemas/${name}`;
/** Referenced types that are not plain structs (no `default: {}` where they are used). */
const nonStruct = new Set([
  INT_OR_STRING,
  'io.k8s.apimachinery.pkg.api.resource.Quantity',
  'io.k8s.apimachinery.pkg.apis.meta.v1.Time',
  'io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime',
  'io.k8s.apimachinery.pkg.runtime.RawExtension',
  'io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1',
  'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSON',
  'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrArray',
  'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrBool',
  'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrStringArray',
]);

/** kubernetes-types module path (without .d.ts) → Kubernetes definition-name prefix. */
function prefixOf(mod) {
  if (mod === 'runtime') return 'io.k8s.apimachinery.pkg.runtime';
  if (mod === 'version') return 'io.k8s.apimachinery.pkg.version';
  if (mod === 'api/resource') return 'io.k8s.apimachinery.pkg.api.resource';
  if (mod === 'meta/v1') return 'io.k8s.apimachinery.pkg.apis.meta.v1';
  if (mod.startsWith('apiextensions/')) return `io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.${mod.split('/')[1]}`;
  const [group, version] = mod.split('/');
  return `io.k8s.api.${group}.${version}`;
}

/** Schemas of the types whose Go side marshals them specially (Kubernetes' own v3 forms). */
function customSchema(name, description) {
  const d = description ? { description } : {};
  switch (name) {
    case 'io.k8s.apimachinery.pkg.apis.meta.v1.Time':
    case 'io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime':
      return { ...d, type: 'string', format: 'date-time' };
    case 'io.k8s.apimachinery.pkg.api.resource.Quantity':
      return { ...d, oneOf: [{ type: 'string' }, { type: 'number' }] };
    case 'io.k8s.apimachinery.pkg.runtime.RawExtension':
    case 'io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1':
      return { ...d, type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
    case 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSON':
    case 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrArray':
    case 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrBool':
    case 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrStringArray':
      return { ...d, 'x-kubernetes-preserve-unknown-fields': true };
    default:
      return undefined;
  }
}

function jsDoc(node) {
  const docs = node.jsDoc;
  if (!docs || docs.length === 0) return undefined;
  const c = docs[docs.length - 1].comment;
  if (c === undefined) return undefined;
  const text = typeof c === 'string' ? c : c.map((p) => p.text ?? '').join('');
  return text.length ? text : undefined;
}

function listFiles(dir) {
  const out = [];
  for (const n of readdirSync(dir).sort()) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) out.push(...listFiles(p));
    else if (n.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

const definitions = {};
const started = Date.now();

for (const file of listFiles(typesDir)) {
  const mod = relative(typesDir, file).replace(/\.d\.ts$/, '').split('\\').join('/');
  const prefix = prefixOf(mod);
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  /** local name → definition name */
  const names = new Map();
  for (const st of sf.statements) {
    if (ts.isImportDeclaration(st)) {
      const from = st.moduleSpecifier.text; // "../meta/v1" or "../runtime"
      const target = join(dirname(mod), from).split('\\').join('/');
      for (const el of st.importClause?.namedBindings?.elements ?? []) names.set(el.name.text, `${prefixOf(target)}.${el.name.text}`);
    } else if ((ts.isInterfaceDeclaration(st) || ts.isTypeAliasDeclaration(st)) && st.name) {
      names.set(st.name.text, `${prefix}.${st.name.text}`);
    }
  }

  for (const st of sf.statements) {
    if (!ts.isInterfaceDeclaration(st) && !ts.isTypeAliasDeclaration(st)) continue;
    const defName = `${prefix}.${st.name.text}`;
    const description = jsDoc(st);
    const custom = customSchema(defName, description);
    if (custom) { definitions[defName] = custom; continue; }
    if (ts.isTypeAliasDeclaration(st)) {
      // e.g. a plain string alias
      definitions[defName] = { ...(description ? { description } : {}), ...typeSchema(st.type, defName, '', names) };
      continue;
    }
    const properties = {};
    const required = [];
    let apiVersion, kind;
    const ext = fieldExtensions[defName] ?? {};
    const valueStructs = new Set(valueStructMembers[defName] ?? []);
    for (const m of st.members) {
      if (!ts.isPropertySignature(m) || !m.type) continue;
      const name = ts.isIdentifier(m.name) || ts.isStringLiteral(m.name) ? m.name.text : m.name.getText(sf);
      if (name === 'apiVersion' && ts.isLiteralTypeNode(m.type)) apiVersion = m.type.literal.text;
      if (name === 'kind' && ts.isLiteralTypeNode(m.type)) kind = m.type.literal.text;
      let s = typeSchema(m.type, defName, name, names);
      const enumType = enumMembers[defName]?.[name];
      let enumText;
      if (enumType) {
        const entries = enumTypes[enumType];
        if (!entries) throw new Error(`${defName}.${name}: no enum type ${enumType}`);
        const values = entries.map(([v]) => v);
        if (s.type === 'array' && s.items?.type === 'string') s = { ...s, items: { ...s.items, enum: values } };
        else if (s.type === 'string') {
          s = { ...s, enum: values };
          // as kube-openapi writes it: a new paragraph, then one line per value, sorted
          enumText = '\n\nPossible enum values:\n' + entries.map(([v, d]) => ` - \`${JSON.stringify(v)}\` ${d}`).sort().join('\n');
        } else throw new Error(`${defName}.${name}: enum on a ${s.type}`);
      }
      const desc = jsDoc(m);
      const extra = {};
      if (desc || enumText) extra.description = (desc ?? '') + (enumText ?? '');
      const explicit = explicitDefaults[defName]?.[name];
      if (explicit !== undefined) extra.default = explicit;
      else if (valueStructs.has(name)) extra.default = {};
      else if (s.type && s.type !== 'object' && s.type !== 'array' &&
        (m.questionToken ? (zeroDefaultOptional[defName] ?? []).includes(name) : !(requiredWithoutDefault[defName] ?? []).includes(name))) {
        extra.default = zeroOf(s.type);
      }
      const fe = ext[name];
      if (fe) {
        if (fe.patchStrategy) extra['x-kubernetes-patch-strategy'] = fe.patchStrategy;
        if (fe.patchMergeKey) extra['x-kubernetes-patch-merge-key'] = fe.patchMergeKey;
        if (fe.listType) extra['x-kubernetes-list-type'] = fe.listType;
        if (fe.listMapKeys) extra['x-kubernetes-list-map-keys'] = [...fe.listMapKeys];
        if (fe.mapType) extra['x-kubernetes-map-type'] = fe.mapType;
      }
      properties[name] = withSiblings(s, extra);
      if (!m.questionToken) required.push(name);
    }
    for (const [name, x] of Object.entries(extraMembers[defName] ?? {})) {
      if (properties[name]) continue;
      properties[name] = {
        type: x.type,
        ...(x.items ? { items: { type: x.items, default: '' } } : {}),
        description: x.description,
        ...(x.listType ? { 'x-kubernetes-list-type': x.listType } : {}),
      };
      if (x.required) required.push(name);
    }
    const schema = {};
    if (description) schema.description = description;
    schema.type = 'object';
    if (Object.keys(properties).length) schema.properties = sortKeys(properties);
    if (required.length) {
      const order = requiredOrder[defName];
      if (order && (order.length !== required.length || !order.every((r) => required.includes(r)))) {
        throw new Error(`${defName}: requiredOrder ${order} does not match required ${required}`);
      }
      schema.required = order ? [...order] : required;
    }
    if (atomicStructs.has(defName)) schema['x-kubernetes-map-type'] = 'atomic';
    if (kind && apiVersion) {
      const slash = apiVersion.indexOf('/');
      schema['x-kubernetes-group-version-kind'] = [{
        group: slash < 0 ? '' : apiVersion.slice(0, slash),
        kind,
        version: slash < 0 ? apiVersion : apiVersion.slice(slash + 1),
      }];
    }
    definitions[defName] = schema;
  }
}

// IntOrString has no declaration of its own in kubernetes-types (members say `number | string`).
definitions[INT_OR_STRING] = {
  description: 'IntOrString is a type that can hold an int32 or a string.  When used in JSON or YAML marshalling and unmarshalling, it produces or consumes the inner type.  This allows you to have, for example, a JSON field that can accept a name or number.',
  format: 'int-or-string',
  oneOf: [{ type: 'integer' }, { type: 'string' }],
};

// Kinds every group-version registers (as Kubernetes' schemas list them): DeleteOptions and
// WatchEvent in each served group-version, Status in core v1.
{
  const gvs = new Map();
  for (const d of Object.values(definitions)) {
    for (const g of d['x-kubernetes-group-version-kind'] ?? []) gvs.set(`${g.group}/${g.version}`, g);
  }
  const sorted = [...gvs.values()].sort((a, b) => a.group.localeCompare(b.group) || a.version.localeCompare(b.version));
  for (const kind of ['DeleteOptions', 'WatchEvent']) {
    definitions[`io.k8s.apimachinery.pkg.apis.meta.v1.${kind}`]['x-kubernetes-group-version-kind'] =
      sorted.map((g) => ({ group: g.group, kind, version: g.version }));
  }
  definitions['io.k8s.apimachinery.pkg.apis.meta.v1.Status']['x-kubernetes-group-version-kind'] = [{ group: '', kind: 'Status', version: 'v1' }];
}

function zeroOf(type) {
  return type === 'string' ? '' : type === 'boolean' ? false : 0;
}

function sortKeys(o) {
  const out = {};
  for (const k of Object.keys(o).sort()) out[k] = o[k];
  return out;
}

/** A property schema with description/default/extensions: a bare $ref is wrapped in allOf, as Kubernetes' v3 does. */
function withSiblings(s, extra) {
  if (Object.keys(extra).length === 0) return s;
  if (s.$ref) return { allOf: [{ $ref: s.$ref }], ...extra };
  return { ...s, ...extra };
}

function numberSchema(defName, member) {
  if ((int64Members[defName] ?? []).includes(member)) return { type: 'integer', format: 'int64' };
  if ((doubleMembers[defName] ?? []).includes(member)) return { type: 'number', format: 'double' };
  return { type: 'integer', format: 'int32' };
}

/** Schema of a type node; `defName`/`member` select the rule-table entries. */
function typeSchema(node, defName, member, names) {
  switch (node.kind) {
    case ts.SyntaxKind.StringKeyword:
      return (byteMembers[defName] ?? []).includes(member) ? { type: 'string', format: 'byte' } : { type: 'string' };
    case ts.SyntaxKind.NumberKeyword:
      return numberSchema(defName, member);
    case ts.SyntaxKind.BooleanKeyword:
      return { type: 'boolean' };
    case ts.SyntaxKind.LiteralType:
      return { type: 'string' };
    case ts.SyntaxKind.ArrayType:
      return { type: 'array', items: itemSchema(node.elementType, defName, member, names) };
    case ts.SyntaxKind.UnionType: {
      const kinds = node.types.map((t) => t.kind).sort();
      if (kinds.length === 2 && kinds.includes(ts.SyntaxKind.NumberKeyword) && kinds.includes(ts.SyntaxKind.StringKeyword)) {
        return { $ref: REF(INT_OR_STRING) };
      }
      throw new Error(`${defName}.${member}: unsupported union ${node.getText()}`);
    }
    case ts.SyntaxKind.TypeLiteral: {
      const idx = node.members.find((m) => ts.isIndexSignatureDeclaration(m));
      if (!idx || node.members.length !== 1) throw new Error(`${defName}.${member}: unsupported type literal`);
      return { type: 'object', additionalProperties: itemSchema(idx.type, defName, member, names) };
    }
    case ts.SyntaxKind.TypeReference: {
      const n = node.typeName.getText();
      if (n === 'Array' && node.typeArguments?.length === 1) {
        return { type: 'array', items: itemSchema(node.typeArguments[0], defName, member, names) };
      }
      const full = names.get(n);
      if (!full) throw new Error(`${defName}.${member}: unknown type ${n}`);
      return { $ref: REF(full) };
    }
    default:
      throw new Error(`${defName}.${member}: unsupported type node ${ts.SyntaxKind[node.kind]}`);
  }
}

/** Array items and map values: a reference to a struct is `{allOf: [$ref], default: {}}`, as Kubernetes has it. */
function itemSchema(node, defName, member, names) {
  const s = typeSchema(node, defName, member, names);
  if (s.$ref && isStruct(s.$ref)) return { allOf: [{ $ref: s.$ref }], default: {} };
  if ((s.type === 'string' && s.format !== 'byte') || s.type === 'integer' || s.type === 'number' || s.type === 'boolean') {
    return { ...s, default: zeroOf(s.type) };
  }
  return s;
}

function isStruct(ref) {
  return !nonStruct.has(ref.slice('#/components/schemas/'.length));
}

// Every $ref must resolve.
for (const [name, s] of Object.entries(definitions)) {
  JSON.stringify(s, (k, v) => {
    if (k === '$ref' && typeof v === 'string' && !definitions[v.slice('#/components/schemas/'.length)]) throw new Error(`${name}: dangling ${v}`);
    return v;
  });
}

const outDir = join(root, 'dist', 'openapi');
mkdirSync(outDir, { recursive: true });
const sorted = sortKeys(definitions);
writeFileSync(join(outDir, 'definitions.json'), JSON.stringify(sorted));
console.log(`gen-openapi: ${Object.keys(sorted).length} definitions in ${Date.now() - started} ms → ${relative(root, join(outDir, 'definitions.json'))}`);
