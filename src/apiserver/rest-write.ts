/**
 * create, update (PUT), patch, delete and deletecollection, as Kubernetes' REST handlers do them:
 * body decoding and checks against the URL, dryRun, compare-and-swap with conflict retries for
 * patches, graceful deletion and finalizers (in the registry), Status answers.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, successStatus } from '../api/errors.js';
import type { KubeObject } from '../api/object.js';
import { parseApiVersion } from '../api/object.js';
import { applyJsonPatch, applyMergePatch } from './patch/index.js';
import type { RestContext, RestRequest, Served } from './context.js';
import { contentTypeOf, decodeObjectBody, negotiateOutput, parseDocument, readBody, requireObjectMeta, unsupportedMediaType, writeObject, type OutputKind } from './http-util.js';
import type { DeleteOptions } from './registry.js';
import { cloneJson } from './object-codec.js';
import { buildFilter } from './rest-read.js';
import { checkFields, parseFieldValidation } from './field-validation.js';
import { columnDefinitions, parseIncludeObject, partialMetadata, tableRow } from './table.js';

export function renderOne(ctx: RestContext, served: Served, obj: KubeObject, out: OutputKind, query: URLSearchParams): unknown {
  if (out.as === 'Table') {
    return { kind: 'Table', apiVersion: `meta.k8s.io/${out.version}`, metadata: { resourceVersion: obj.metadata.resourceVersion }, columnDefinitions: columnDefinitions(served.def), rows: [tableRow(served.def, obj, ctx.clock.now(), parseIncludeObject(query.get('includeObject')), out.version)] };
  }
  if (out.as === 'PartialObjectMetadata' || out.as === 'PartialObjectMetadataList') return partialMetadata(obj, out.version);
  return obj;
}

/** The field manager: `?fieldManager=`, else the User-Agent up to its first `/` (managerOrUserAgent). */
export function managerOf(req: IncomingMessage, query: URLSearchParams): string {
  const m = query.get('fieldManager');
  if (m) {
    if (m.length > 128) throw ApiError.invalid('PatchOptions', '', [{ type: 'FieldValueTooLong', field: 'fieldManager', badValue: m, detail: 'may not be longer than 128 characters' }], 'meta.k8s.io');
    return m;
  }
  const ua = String(req.headers['user-agent'] ?? '');
  const head = ua.split('/')[0];
  return (head || 'unknown').slice(0, 128);
}

export function isDryRun(query: URLSearchParams, kind = 'CreateOptions'): boolean {
  const vals = query.getAll('dryRun');
  if (vals.length === 0) return false;
  for (const v of vals) {
    if (v !== 'All') {
      throw ApiError.invalid(kind, '', [{ type: 'FieldValueNotSupported', field: 'dryRun', badValue: vals, detail: 'supported values: "All"' }], 'meta.k8s.io');
    }
  }
  return true;
}

/** The body's apiVersion/kind must be the URL's (missing ones are taken from the URL). */
export function checkTypeMeta(served: Served, obj: KubeObject): void {
  const def = served.def;
  const want = served.registry.apiVersion;
  if (obj.kind !== undefined && obj.kind !== '' && obj.kind !== def.kind) {
    const v = typeof obj.apiVersion === 'string' ? parseApiVersion(obj.apiVersion).version : def.version;
    throw ApiError.badRequest(`${String(obj.kind)} in version ${JSON.stringify(v)} cannot be handled as a ${def.kind}: the kind in the body does not match the resource in the URL (${def.kind})`);
  }
  if (obj.apiVersion !== undefined && obj.apiVersion !== '' && obj.apiVersion !== want) {
    throw ApiError.badRequest(`the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${want})`);
  }
  obj.apiVersion = want;
  obj.kind = def.kind;
}

function checkNamespace(served: Served, obj: KubeObject, namespace: string | undefined): void {
  if (!served.def.namespaced) { delete obj.metadata.namespace; return; }
  const ns = obj.metadata.namespace;
  if (ns && namespace && ns !== namespace) {
    throw ApiError.badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
  if (namespace) obj.metadata.namespace = namespace;
}

function checkName(obj: KubeObject, name: string): void {
  const n = obj.metadata.name;
  if (n && n !== name) throw ApiError.badRequest(`the name of the object (${n}) does not match the name on the URL (${name})`);
  obj.metadata.name = name;
}

async function readObject(req: IncomingMessage): Promise<KubeObject> {
  const buf = await readBody(req);
  return decodeObjectBody(buf, contentTypeOf(req));
}

export async function handleCreate(ctx: RestContext, r: RestRequest, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const out = negotiateOutput(req.headers.accept);
  const dryRun = isDryRun(r.query);
  const directive = parseFieldValidation(r.query);
  const obj = await readObject(req);
  checkTypeMeta(r.served, obj);
  checkFields(r.served.def, obj, directive, res);
  requireObjectMeta(obj, r.served.def.kind, r.served.def.version);
  checkNamespace(r.served, obj, r.target.namespace);
  const created = await r.served.registry.create(obj, r.target.namespace, { dryRun, manager: managerOf(req, r.query) });
  writeObject(res, 201, renderOne(ctx, r.served, created, out, r.query), out.format);
}

/** The object PUT to the main resource or to the status subresource. */
export async function handleUpdate(ctx: RestContext, r: RestRequest, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const out = negotiateOutput(req.headers.accept);
  const dryRun = isDryRun(r.query, 'UpdateOptions');
  const directive = parseFieldValidation(r.query);
  const body = await readObject(req);
  const { served, target } = r;
  checkTypeMeta(served, body);
  checkFields(served.def, body, directive, res);
  requireObjectMeta(body, served.def.kind, served.def.version);
  checkNamespace(served, body, target.namespace);
  checkName(body, target.name!);
  const st = served.def.strategy;
  const manager = managerOf(req, r.query);
  const allowCreate = !!st?.allowCreateOnUpdate && target.subresource === undefined;
  const { obj, created } = await served.registry.guaranteedUpdate(target.namespace, target.name!, (cur) => {
    const candidate = cloneJson(body);
    if (!cur) return candidate;
    const rv = candidate.metadata.resourceVersion;
    if (rv) {
      if (rv !== cur.metadata.resourceVersion) throw served.registry.conflict(target.name!);
    } else if (st?.allowUnconditionalUpdate === false) {
      throw ApiError.invalid(served.def.kind, target.name!, [{ type: 'FieldValueInvalid', field: 'metadata.resourceVersion', badValue: '', detail: 'must be specified for an update' }], served.def.group);
    }
    return served.registry.prepareUpdate(candidate, cur, target.subresource, manager);
  }, { dryRun, allowCreate, manager });
  writeObject(res, created ? 201 : 200, renderOne(ctx, served, obj, out, r.query), out.format);
}

export const patchTypes = ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/apply-patch+yaml'];

/** Patch functions that may be added by src/apiserver/patch as they land (strategic merge, apply). */
export interface PatchExtensions {
  strategicMerge?: (doc: KubeObject, patch: unknown, served: Served) => KubeObject;
  apply?: (args: { live: KubeObject | undefined; applied: KubeObject; manager: string; force: boolean; served: Served; now: number; subresource?: string }) => KubeObject;
}

export async function handlePatch(ctx: RestContext, r: RestRequest, req: IncomingMessage, res: ServerResponse, ext: PatchExtensions = {}): Promise<void> {
  const out = negotiateOutput(req.headers.accept);
  const dryRun = isDryRun(r.query, 'PatchOptions');
  const directive = parseFieldValidation(r.query);
  const ct = contentTypeOf(req);
  const supported = patchTypes.filter((t) => (t === 'application/strategic-merge-patch+json' ? !!ext.strategicMerge : t === 'application/apply-patch+yaml' ? !!ext.apply : true));
  if (!supported.includes(ct)) throw unsupportedMediaType(ct, supported);
  const buf = await readBody(req);
  const { served, target } = r;
  let patch: unknown;
  try {
    patch = parseDocument(buf, ct === 'application/apply-patch+yaml' ? 'application/yaml' : 'application/json');
  } catch (e) {
    if (e instanceof ApiError) throw new ApiError(400, 'BadRequest', e.message.replace("couldn't get version/kind; json parse error: ", ''));
    throw e;
  }
  const isApply = ct === 'application/apply-patch+yaml';
  const manager = isApply ? (r.query.get('fieldManager') ?? '') : managerOf(req, r.query);
  if (isApply && !manager) {
    throw ApiError.badRequest('PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch');
  }
  if (!isApply && r.query.get('force') !== null) {
    throw ApiError.invalid('PatchOptions', '', [{ type: 'FieldValueForbidden', field: 'force', detail: 'may not be specified for non-apply patch' }], 'meta.k8s.io');
  }
  if (isApply) {
    if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) throw ApiError.badRequest('error decoding patch: the apply patch must be an object');
    const ap = patch as KubeObject;
    if (!ap.metadata) ap.metadata = {};
    checkTypeMeta(served, ap);
    checkFields(served.def, ap, directive, res, false);
    checkNamespace(served, ap, target.namespace);
    checkName(ap, target.name!);
  }
  const force = r.query.get('force') === 'true';
  const { obj, created } = await served.registry.guaranteedUpdate(target.namespace, target.name!, (cur) => {
    if (!cur) {
      if (!isApply) throw served.registry.notFound(target.name!);
      return ext.apply!({ live: undefined, applied: structuredClone(patch as KubeObject), manager, force, served, now: ctx.clock.now(), subresource: target.subresource });
    }
    let patched: KubeObject;
    switch (ct) {
      case 'application/json-patch+json': patched = applyJsonPatch(cur, patch); break;
      case 'application/merge-patch+json':
        if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) throw ApiError.badRequest('error decoding patch: the merge patch must be a JSON object');
        patched = applyMergePatch(cur, patch);
        break;
      case 'application/strategic-merge-patch+json':
        if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) throw ApiError.badRequest('error decoding patch: the strategic merge patch must be a JSON object');
        patched = ext.strategicMerge!(cur, patch, served);
        break;
      default:
        patched = ext.apply!({ live: cur, applied: structuredClone(patch as KubeObject), manager, force, served, now: ctx.clock.now(), subresource: target.subresource });
    }
    if (!patched || typeof patched !== 'object' || !patched.metadata || typeof patched.metadata !== 'object') {
      throw ApiError.badRequest('the patch produced an object without metadata');
    }
    if (!isApply) checkFields(served.def, patched, directive, res, false);
    const rv = patched.metadata.resourceVersion;
    if (rv && rv !== cur.metadata.resourceVersion) throw served.registry.conflict(target.name!);
    if (patched.metadata.name !== undefined && patched.metadata.name !== target.name) {
      throw ApiError.badRequest(`the name of the object (${String(patched.metadata.name)}) does not match the name on the URL (${target.name})`);
    }
    if (patched.kind !== undefined && patched.kind !== served.def.kind) throw ApiError.badRequest(`the kind of the patched object (${String(patched.kind)}) does not match the resource (${served.def.kind})`);
    if (patched.apiVersion !== undefined && patched.apiVersion !== served.registry.apiVersion) {
      throw ApiError.badRequest(`the API version of the patched object (${String(patched.apiVersion)}) does not match the resource (${served.registry.apiVersion})`);
    }
    // apply records its own managedFields; other patches are Update operations of the manager
    return served.registry.prepareUpdate(patched, cur, target.subresource, isApply ? undefined : manager);
  }, { dryRun, allowCreate: isApply && target.subresource === undefined });
  writeObject(res, created ? 201 : 200, renderOne(ctx, served, obj, out, r.query), out.format);
}

/** DeleteOptions from the body (if any) merged with query parameters. */
export async function readDeleteOptions(req: IncomingMessage, query: URLSearchParams): Promise<DeleteOptions> {
  const buf = await readBody(req);
  let opts: DeleteOptions = {};
  if (buf.length > 0) {
    const v = parseDocument(buf, contentTypeOf(req) === 'application/yaml' ? 'application/yaml' : 'application/json');
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      if (o.kind !== undefined && o.kind !== 'DeleteOptions') throw ApiError.badRequest(`${String(o.kind)} in version "v1" cannot be handled as a DeleteOptions`);
      opts = o as DeleteOptions;
    }
  }
  const g = query.get('gracePeriodSeconds');
  if (g !== null) {
    const n = Number(g);
    if (!Number.isInteger(n)) throw ApiError.badRequest(`invalid gracePeriodSeconds: ${g}`);
    opts.gracePeriodSeconds = n;
  }
  const p = query.get('propagationPolicy');
  if (p !== null) opts.propagationPolicy = p as DeleteOptions['propagationPolicy'];
  const o = query.get('orphanDependents');
  if (o !== null) opts.orphanDependents = o === 'true';
  const d = query.getAll('dryRun');
  if (d.length) opts.dryRun = d;
  if (opts.propagationPolicy && !['Orphan', 'Background', 'Foreground'].includes(opts.propagationPolicy)) {
    throw ApiError.invalid('DeleteOptions', '', [{ type: 'FieldValueNotSupported', field: 'propagationPolicy', badValue: opts.propagationPolicy, detail: 'supported values: "Foreground", "Background", "Orphan", "nil"' }], 'meta.k8s.io');
  }
  if (opts.propagationPolicy && opts.orphanDependents !== undefined) {
    throw ApiError.invalid('DeleteOptions', '', [{ type: 'FieldValueInvalid', field: 'propagationPolicy', badValue: opts.propagationPolicy, detail: 'orphanDependents and deletionPropagation cannot be both set' }], 'meta.k8s.io');
  }
  for (const v of opts.dryRun ?? []) {
    if (v !== 'All') throw ApiError.invalid('DeleteOptions', '', [{ type: 'FieldValueNotSupported', field: 'dryRun', badValue: opts.dryRun, detail: 'supported values: "All"' }], 'meta.k8s.io');
  }
  if (opts.gracePeriodSeconds !== undefined && opts.gracePeriodSeconds < 0) opts.gracePeriodSeconds = 0;
  return opts;
}

/** The answer to a delete: the object (marked, or for kinds that return it) or a Success Status. */
export function deleteResponse(served: Served, obj: KubeObject, deleted: boolean): unknown {
  if (!deleted || served.def.strategy?.returnDeletedObject) return obj;
  return successStatus({ name: obj.metadata.name, group: served.def.group || undefined, kind: served.def.plural, uid: obj.metadata.uid });
}

export type Deleter = (served: Served, namespace: string | undefined, name: string, opts: DeleteOptions) => Promise<{ obj: KubeObject; deleted: boolean }>;

export async function handleDelete(ctx: RestContext, r: RestRequest, req: IncomingMessage, res: ServerResponse, deleter: Deleter): Promise<void> {
  const out = negotiateOutput(req.headers.accept);
  const opts = await readDeleteOptions(req, r.query);
  const { obj, deleted } = await deleter(r.served, r.target.namespace, r.target.name!, opts);
  const code = !deleted && opts.orphanDependents === false ? 202 : 200;
  const body = deleteResponse(r.served, obj, deleted);
  writeObject(res, code, (body as { kind?: string }).kind === 'Status' ? body : renderOne(ctx, r.served, obj, out, r.query), out.format);
}

export async function handleDeleteCollection(ctx: RestContext, r: RestRequest, req: IncomingMessage, res: ServerResponse, deleter: Deleter): Promise<void> {
  const out = negotiateOutput(req.headers.accept);
  const opts = await readDeleteOptions(req, r.query);
  const { served, target } = r;
  const filter = buildFilter(served.def, r.query);
  const prefix = served.registry.prefix(target.namespace);
  const page = await ctx.store.list(prefix);
  const items: KubeObject[] = [];
  for (const kv of page.kvs) {
    const obj = JSON.parse(kv.value) as KubeObject;
    if (!filter.matches(obj)) continue;
    try {
      const d = await deleter(served, obj.metadata.namespace, obj.metadata.name!, opts);
      items.push(d.obj);
    } catch (e) {
      if (e instanceof ApiError && e.code === 404) continue;
      throw e;
    }
  }
  const rev = await ctx.store.currentRevision();
  writeObject(res, 200, { kind: served.def.listKind, apiVersion: served.registry.apiVersion, metadata: { resourceVersion: String(rev) }, items }, out.format === 'yaml' ? 'yaml' : 'json');
}
