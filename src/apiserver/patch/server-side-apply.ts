/**
 * Server-side apply (`application/apply-patch+yaml`) and the managedFields bookkeeping of every
 * other write, as the Kubernetes API server's field manager does them (k8s.io/apimachinery
 * pkg/util/managedfields over sigs.k8s.io/structured-merge-diff):
 *
 *   apply:  version check → kubectl's client-side-apply upgrade (conflicts that only touch fields
 *           still equal to last-applied are taken over) → "before-first-apply" owns what an
 *           untracked object already has → merge + ownership + prune → bookkeeping fields are
 *           never owned → the applier's entry (operation Apply) gets the time when the object
 *           changed → kubectl's last-applied annotation follows the applied config.
 *   update: managedFields from the request (unless reset or a subresource), untracked existing
 *           objects stay untracked, the writer's Update entry gains what it set or changed and
 *           others lose it, at most ten Update entries ("ancient-changes" collects the oldest).
 */
import { ApiError } from '../../api/errors.js';
import type { KubeObject, ManagedFieldsEntry } from '../../api/object.js';
import { parseApiVersion } from '../../api/object.js';
import type { SchemaNode, SchemaSet } from '../../api/schema-node.js';
import { deepClone, isObject, stripNulls, type JsonObject } from './json-value.js';
import { FieldSet, fieldElement, goJson, pathString } from './managed-fields/field-set.js';
import { resolveNode } from './schema-walk.js';
import {
  capUpdateManagers, cloneManaged, decodeManagedFields, emptyManaged, encodeManagedFields, managerIdentifier,
  parseIdentifier, stripMeta, type Managed,
} from './managed-fields/managers.js';
import { compare, toFieldSet, TypedError, validateApplied, zeroObject } from './managed-fields/typed.js';
import { applyManaged, ConflictsError, updateManaged, type Conflict, type TypeContext } from './managed-fields/updater.js';

export const lastAppliedAnnotation = 'kubectl.kubernetes.io/last-applied-configuration';

export interface ServerSideApplyOptions {
  /** The stored object; undefined when the apply creates it. */
  live: KubeObject | undefined;
  /** The applied configuration (decoded YAML/JSON). */
  applied: KubeObject;
  /** `fieldManager` of the request. */
  manager: string;
  force: boolean;
  schema: SchemaNode | undefined;
  schemas: SchemaSet | undefined;
  /** RFC 3339 time of the request (for the managedFields entry). */
  now: string;
  /** The version the request is served at, e.g. `apps/v1`. */
  apiVersion: string;
  subresource?: string;
  /**
   * Fields the registry resets for this write (Kubernetes' ResetFieldsFor), as paths of field
   * names: e.g. [['status']] for the main resource and [['spec']] for /status. Nobody owns them
   * and they never conflict. See resetFieldsFor() for the usual choice. Default: none.
   */
  ignoredFields?: string[][];
}

export interface RecordUpdateOptions {
  /** The stored object; undefined on create. */
  old: KubeObject | undefined;
  /** The object about to be stored (after the write was applied). */
  updated: KubeObject;
  manager: string;
  now: string;
  apiVersion: string;
  subresource?: string;
  schema: SchemaNode | undefined;
  schemas: SchemaSet | undefined;
  /** As for serverSideApply. */
  ignoredFields?: string[][];
}

/**
 * The fields most Kubernetes strategies reset: `status` on the main resource and `spec` on
 * /status, when the schema has them (kinds without a status subresource reset nothing).
 */
export function resetFieldsFor(schema: SchemaNode | undefined, schemas: SchemaSet | undefined, subresource: string | undefined, hasStatusSubresource: boolean): string[][] {
  if (!hasStatusSubresource) return [];
  const props = resolveNode(schema, schemas)?.properties ?? {};
  if (!subresource) return props.status ? [['status']] : [];
  if (subresource === 'status') return props.spec ? [['spec']] : [];
  return [];
}

const objectMetaDefinition = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';

/**
 * Custom resource schemas describe `metadata` as a bare object; Kubernetes tracks it with the real
 * ObjectMeta schema (finalizers a set, ownerReferences keyed by uid), and so do we.
 */
function withObjectMeta(schema: SchemaNode | undefined, schemas: SchemaSet | undefined): SchemaNode | undefined {
  const root = resolveNode(schema, schemas);
  const meta = root?.properties?.metadata;
  if (!root || !meta || meta.$ref || meta.allOf || meta.properties) return schema;
  if (!schemas?.definition(objectMetaDefinition)) return schema;
  return { ...root, properties: { ...root.properties, metadata: { $ref: `#/components/schemas/${objectMetaDefinition}` } } };
}

function ignoredSet(paths: string[][] | undefined): FieldSet | undefined {
  if (!paths || paths.length === 0) return undefined;
  return FieldSet.of(...paths.map((p) => p.map((n) => fieldElement(n))));
}

/** RFC 3339 with whole seconds, as metav1.Time is written. */
function rfc3339(now: string): string {
  const ms = Date.parse(now);
  return Number.isNaN(ms) ? now : new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

function withoutManagedFields(o: KubeObject): KubeObject {
  const c = deepClone(o);
  if (isObject(c.metadata)) delete c.metadata.managedFields;
  return c;
}

/**
 * `o` without metadata.managedFields, sharing everything else with `o` (only metadata is copied):
 * for the Update bookkeeping, which only reads the objects, a deep copy of both (twice per write)
 * was wasted work.
 */
function withoutManagedFieldsShallow(o: KubeObject): KubeObject {
  const c = { ...o };
  if (isObject(o.metadata)) {
    const { managedFields: _mf, ...meta } = o.metadata;
    void _mf;
    c.metadata = meta;
  }
  return c;
}

function setManagedFields(o: KubeObject, entries: ManagedFieldsEntry[] | undefined): KubeObject {
  if (!isObject(o.metadata)) o.metadata = {};
  if (entries) o.metadata.managedFields = entries;
  else delete o.metadata.managedFields;
  return o;
}

/** GroupVersionKind.String(): `apps/v1, Kind=Deployment`, `/v1, Kind=Pod`. */
function gvkString(apiVersion: string | undefined, kind: string | undefined): string {
  const { group, version } = parseApiVersion(apiVersion ?? '');
  return `${group}/${version}, Kind=${kind ?? ''}`;
}

/** How Kubernetes names a manager in conflict messages. */
function printManager(id: string): string {
  const e = parseIdentifier(id);
  let s = JSON.stringify(e.manager ?? '');
  if (e.subresource) s += ` with subresource ${JSON.stringify(e.subresource)}`;
  if (e.operation === 'Update') s += ` using ${e.apiVersion ?? ''}`;
  return s;
}

/** 409 Conflict with one cause per conflicting field, worded as the API server words it. */
export function applyConflictError(conflicts: Conflict[]): ApiError {
  let message: string;
  if (conflicts.length === 1) {
    message = `Apply failed with 1 conflict: conflict with ${printManager(conflicts[0].manager)}: ${pathString(conflicts[0].path)}`;
  } else {
    const byManager = new Map<string, string[]>();
    for (const c of conflicts) {
      const l = byManager.get(c.manager) ?? [];
      l.push(pathString(c.path));
      byManager.set(c.manager, l);
    }
    const lines: string[] = [];
    for (const id of [...byManager.keys()].sort()) {
      lines.push(`conflicts with ${printManager(id)}:`);
      for (const p of byManager.get(id)!) lines.push(`- ${p}`);
    }
    message = `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
  }
  return new ApiError(409, 'Conflict', message, {
    causes: conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with ${printManager(c.manager)}`, field: pathString(c.path) })),
  });
}

/** A plain error of the field manager: the API server answers 500 with its text and no reason. */
function internal(message: string): ApiError {
  return new ApiError(500, '', message);
}

/** The Update of `id` from `live` to `next` through the field manager's layers (without skip logic). */
function recordUpdate(live: unknown, next: unknown, m: Managed, id: string, apiVersion: string, now: string, t: TypeContext): void {
  const self = 'current-operation';
  updateManaged(live, next, apiVersion, m, self, t);
  stripMeta(m, self);
  const vs = m.fields.get(self);
  if (vs) {
    m.fields.delete(self);
    const prev = m.fields.get(id);
    const merged = prev ? vs.set.union(prev.set) : vs.set;
    // the manager's unchanged set stays the same set, whose FieldsV1 is then not emitted again
    m.fields.set(id, { set: prev && merged.equals(prev.set) ? prev.set : merged, apiVersion: vs.apiVersion, applied: vs.applied });
    m.times.set(id, now);
  }
  capUpdateManagers(m);
}

/**
 * Record a non-apply write (create, update, patch, subresource update) in `metadata.managedFields`.
 * The returned object shares all but its metadata with `opts.updated`: read its managedFields.
 */
export function recordUpdateManagedFields(opts: RecordUpdateOptions): KubeObject {
  const t: TypeContext = { node: withObjectMeta(opts.schema, opts.schemas), schemas: opts.schemas, ignored: ignoredSet(opts.ignoredFields) };
  const now = rfc3339(opts.now);
  // the result shares all but its metadata with opts.updated (callers take its managedFields)
  const next = withoutManagedFieldsShallow(opts.updated);
  let managed: Managed;
  const fromOld = (): Managed => {
    try {
      return decodeManagedFields(opts.old?.metadata?.managedFields);
    } catch {
      return emptyManaged();
    }
  };
  const requested = opts.updated.metadata?.managedFields;
  if (opts.subresource) {
    managed = fromOld();
  } else if (requested !== undefined && (requested.length === 0 || (requested.length === 1 && Object.keys(requested[0]).length === 0))) {
    managed = emptyManaged();
  } else {
    try {
      managed = decodeManagedFields(requested);
      if (managed.fields.size === 0) managed = fromOld();
    } catch {
      managed = fromOld();
    }
  }
  // An existing object nobody tracked stays untracked.
  if (managed.fields.size === 0 && opts.old !== undefined) return next;
  const live: unknown = opts.old ? withoutManagedFieldsShallow(opts.old) : zeroObject(opts.schema, opts.schemas);
  const id = managerIdentifier({ manager: opts.manager || 'unknown', operation: 'Update', apiVersion: opts.apiVersion, subresource: opts.subresource });
  try {
    recordUpdate(live, next, managed, id, opts.apiVersion, now, t);
  } catch {
    // As UpdateNoErrors: keep the managedFields the object had.
    return setManagedFields(next, opts.old?.metadata?.managedFields ? deepClone(opts.old.metadata.managedFields) : undefined);
  }
  return setManagedFields(next, encodeManagedFields(managed));
}

/** Fields of last-applied that still hold their value in the live object (lastAppliedManager). */
function allowedFromLastApplied(live: KubeObject | undefined, apiVersion: string, t: TypeContext) {
  const text = live?.metadata?.annotations?.[lastAppliedAnnotation];
  if (!text) return undefined;
  let last: unknown;
  try {
    last = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObject(last) || last.apiVersion !== apiVersion) return undefined;
  const set = toFieldSet(last, t.node, t.schemas);
  const cmp = compare(last, live, t.node, t.schemas);
  return set.difference(cmp.modified).difference(cmp.added).difference(cmp.removed);
}

/** Server-side apply of `applied` by `manager`; returns the object to store, managedFields set. */
export function serverSideApply(opts: ServerSideApplyOptions): KubeObject {
  const t: TypeContext = { node: withObjectMeta(opts.schema, opts.schemas), schemas: opts.schemas, ignored: ignoredSet(opts.ignoredFields) };
  const now = rfc3339(opts.now);
  const applied = opts.applied;
  if (!isObject(applied)) throw ApiError.badRequest('error decoding YAML: the applied configuration is not an object');
  const gvkList = opts.schema?.['x-kubernetes-group-version-kind'] ?? [];
  const { group, version } = parseApiVersion(opts.apiVersion);
  const expectedKind = opts.live?.kind ?? gvkList.find((g) => g.group === group && g.version === version)?.kind;
  if (applied.apiVersion !== opts.apiVersion || (expectedKind !== undefined && applied.kind !== expectedKind)) {
    throw ApiError.badRequest(`invalid object type: ${gvkString(applied.apiVersion, applied.kind)}`);
  }
  let managed: Managed;
  try {
    managed = decodeManagedFields(opts.live?.metadata?.managedFields);
  } catch (e) {
    throw internal(`failed to decode managed fields: ${(e as Error).message}`);
  }
  const live = (opts.live ? withoutManagedFields(opts.live) : zeroObject(opts.schema, opts.schemas)) as KubeObject;
  // A typed live object always carries its type; a stored one may not.
  if (opts.live) {
    if (live.apiVersion === undefined) live.apiVersion = applied.apiVersion;
    if (live.kind === undefined) live.kind = applied.kind;
  }

  const run = (force: boolean): { object: KubeObject; managed: Managed } => {
    const m = cloneManaged(managed);
    // An object whose fields nobody owns yet: what it has belongs to "before-first-apply".
    if (m.fields.size === 0 && opts.live) {
      const before = managerIdentifier({ manager: 'before-first-apply', operation: 'Update', apiVersion: opts.apiVersion, subresource: opts.subresource });
      recordUpdate(zeroObject(opts.schema, opts.schemas), live, m, before, opts.apiVersion, now, t);
    }
    if (applied.metadata?.managedFields !== undefined && applied.metadata.managedFields !== null) throw ApiError.badRequest('metadata.managedFields must be nil');
    const errs = validateApplied(applied, t.node, t.schemas);
    if (errs.length > 0) {
      const what = errs.length === 1 ? errs[0] : ['errors:', ...errs.map((e) => `  ${e}`)].join('\n');
      throw internal(`failed to create typed patch object (${applied.metadata?.namespace ?? ''}/${applied.metadata?.name ?? ''}; ${gvkString(applied.apiVersion, applied.kind)}): ${what}`);
    }
    const id = managerIdentifier({ manager: opts.manager || 'unknown', operation: 'Apply', subresource: opts.subresource });
    let result: unknown;
    try {
      result = applyManaged(live, applied, opts.apiVersion, m, id, force, t);
    } catch (e) {
      if (e instanceof TypedError) throw internal(`failed to merge config: ${e.message}`);
      throw e;
    }
    stripMeta(m, id);
    if (result !== undefined) {
      m.times.set(id, now);
      return { object: result as KubeObject, managed: m };
    }
    return { object: deepClone(live), managed: m };
  };

  let out: { object: KubeObject; managed: Managed };
  try {
    out = run(opts.force);
  } catch (e) {
    if (!(e instanceof ConflictsError)) throw e;
    if (opts.manager !== 'kubectl') throw applyConflictError(e.conflicts);
    // kubectl moving from client-side to server-side apply takes over the fields it set before.
    const allowed = allowedFromLastApplied(opts.live, opts.apiVersion, t);
    if (!allowed) throw applyConflictError(e.conflicts);
    const remaining = e.conflicts.filter((c) => !allowed.has(c.path));
    if (remaining.length > 0) throw applyConflictError(remaining);
    out = run(true);
  }

  const object = stripNulls(out.object);
  if (opts.manager === 'kubectl' && object.metadata?.annotations?.[lastAppliedAnnotation]) {
    const config = deepClone(applied) as JsonObject & KubeObject;
    if (config.metadata?.annotations) {
      delete config.metadata.annotations[lastAppliedAnnotation];
    }
    object.metadata.annotations[lastAppliedAnnotation] = `${goJson(config)}\n`;
  }
  return setManagedFields(object, encodeManagedFields(out.managed));
}
