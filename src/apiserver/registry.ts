/**
 * The generic registry of one resource (as Kubernetes' generic registry Store): get, list pages,
 * create, guaranteed update (read → mutate → compare-and-swap, retried on conflicts), and delete
 * with preconditions, graceful deletion, finalizers and propagation policy. Strategy details come
 * from the ResourceDef; defaulting and validation from src/api/defaults and src/api/validation.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { ApiError, type FieldError } from '../api/errors.js';
import { applyDefaults } from '../api/defaults/index.js';
import { groupKind, type KubeObject } from '../api/object.js';
import type { ResourceDef } from '../api/resources/types.js';
import { validateCreate, validateStatusUpdate, validateUpdate } from '../api/validation/index.js';
import { ConflictError, KeyExistsError, type KeyValue, type Store } from '../storage/store.js';
import type { Clock } from '../util/clock.js';
import { asDecoded, cloneJson, decodeObject, encodeObject, jsonEqual } from './object-codec.js';
import { recordUpdateManagedFields, resetFieldsFor } from './patch/index.js';
import { schemas } from './field-validation.js';
import { listPrefix, objectKey } from './storage-keys.js';
import { toApiError } from './store-errors.js';

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  orphanDependents?: boolean;
  dryRun?: string[];
}

export interface WriteOptions {
  dryRun?: boolean;
  /** The field manager of the write (managedFields are recorded when set). */
  manager?: string;
}

export interface DeleteResult {
  /** The object: deleted (resourceVersion = the delete's revision) or marked for deletion. */
  obj: KubeObject;
  /** True when the object is gone; false when it waits for finalizers or graceful termination. */
  deleted: boolean;
}

/** Mutating admission on create, after defaulting and before validation (e.g. pod service accounts). */
export type CreateAdmission = (def: ResourceDef, obj: KubeObject, old?: KubeObject) => Promise<void>;

/** The namespace lifecycle check for creates (admission): throws 404/403. */
export type NamespaceCheck = (namespace: string, resource: string, group: string, name: string) => Promise<void>;

const nameChars = 'bcdfghjklmnpqrstvwxz2456789';

/** names.SimpleNameGenerator: base (truncated to 58 characters) + 5 random characters. */
export function generateName(base: string): string {
  const b = base.length > 58 ? base.slice(0, 58) : base;
  const bytes = randomBytes(5);
  let s = '';
  for (let i = 0; i < 5; i++) s += nameChars[bytes[i] % nameChars.length];
  return b + s;
}

/** RFC 3339 with second precision, as metav1.Time serializes. */
export function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** Everything outside metadata and status: the part whose change bumps metadata.generation. */
function specPart(o: KubeObject): Record<string, unknown> {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = o;
  void _m; void _s; void _a; void _k;
  return rest;
}

export class ResourceRegistry {
  readonly gk: string;
  readonly qualified: string;

  constructor(
    readonly def: ResourceDef,
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly namespaceCheck?: NamespaceCheck,
    private readonly admission?: CreateAdmission,
  ) {
    this.gk = groupKind(def.group, def.kind);
    this.qualified = def.group ? `${def.plural}.${def.group}` : def.plural;
  }

  /**
   * Validating admission on create, after validation and before the object is stored (ResourceQuota):
   * throws to refuse. Set by the API handler.
   */
  validateCreateAdmission?: (obj: KubeObject, namespace: string | undefined, dryRun: boolean) => Promise<void>;

  get apiVersion(): string { return this.def.group ? `${this.def.group}/${this.def.version}` : this.def.version; }

  key(namespace: string | undefined, name: string): string { return objectKey(this.def, namespace, name); }
  prefix(namespace?: string): string { return listPrefix(this.def, namespace); }

  notFound(name: string): ApiError { return ApiError.notFound(this.def.plural, name, this.def.group); }
  conflict(name: string, why = 'the object has been modified; please apply your changes to the latest version and try again'): ApiError {
    return ApiError.conflict(this.def.plural, name, why, this.def.group);
  }
  apiError(err: unknown, name?: string): ApiError {
    return toApiError(err, { resource: this.def.plural, group: this.def.group, name });
  }

  /** Stored form → this resource's form (events.k8s.io conversion), with apiVersion/kind set. */
  toApi(obj: KubeObject): KubeObject {
    const o = this.def.storage ? this.def.storage.fromStorage(obj) : obj;
    o.apiVersion = this.apiVersion;
    o.kind = this.def.kind;
    return o;
  }

  /**
   * The API form of what was just written as encodeObject(stored) at kv.modRevision: the stored
   * text is not parsed again when the stored form is the API form (no storage conversion).
   */
  private written(stored: KubeObject, kv: KeyValue): KubeObject {
    if (this.def.storage || typeof stored.apiVersion !== 'string' || typeof stored.kind !== 'string') return this.toApi(decodeObject(kv));
    return this.toApi(asDecoded(stored, kv.modRevision));
  }

  private toStored(obj: KubeObject): KubeObject {
    if (!this.def.storage) return obj;
    const s = this.def.storage.toStorage(obj);
    s.apiVersion = this.def.storage.group ? `${this.def.storage.group}/v1` : 'v1';
    return s;
  }

  /** The stored (storage-form) object or undefined. */
  async getStored(namespace: string | undefined, name: string): Promise<{ obj: KubeObject; kv: KeyValue } | undefined> {
    const r = await this.store.get(this.key(namespace, name)).catch((e) => { throw this.apiError(e, name); });
    if (!r.kv) return undefined;
    return { obj: decodeObject(r.kv), kv: r.kv };
  }

  async get(namespace: string | undefined, name: string): Promise<KubeObject> {
    const r = await this.getStored(namespace, name);
    if (!r) throw this.notFound(name);
    return this.toApi(r.obj);
  }

  /** Prepare a new object (metadata, status reset, defaults, validation). Mutates and returns `obj`. */
  /** managedFields for an Update operation by `manager` (Kubernetes' field manager), after defaulting. */
  recordManagedFields(old: KubeObject | undefined, updated: KubeObject, manager: string, subresource?: string): KubeObject {
    const set = schemas();
    const schema = set.forKind(this.def.group, this.def.version, this.def.kind);
    if (old && updated.metadata.managedFields === undefined && old.metadata.managedFields) updated.metadata.managedFields = old.metadata.managedFields;
    const out = recordUpdateManagedFields({
      old, updated, manager, now: rfc3339(this.clock.now()), apiVersion: this.apiVersion, subresource, schema, schemas: set,
      ignoredFields: resetFieldsFor(schema, set, subresource, !!this.def.subresources?.status),
    });
    return out;
  }

  /** Everything before validation on create: metadata, status reset, defaults, strategy, admission. */
  async prepareCreate(obj: KubeObject, namespace: string | undefined, manager?: string): Promise<KubeObject> {
    const m = obj.metadata;
    if (this.def.namespaced) m.namespace = namespace;
    else delete m.namespace;
    if (!m.name && m.generateName) m.name = generateName(m.generateName);
    m.uid = randomUUID();
    m.creationTimestamp = rfc3339(this.clock.now());
    delete m.deletionTimestamp;
    delete m.deletionGracePeriodSeconds;
    delete m.selfLink;
    if (this.def.strategy?.tracksGeneration) m.generation = 1; else delete m.generation;
    const st = this.def.strategy;
    obj.apiVersion = this.apiVersion;
    obj.kind = this.def.kind;
    // Kubernetes' order: defaulting (at decode), then the strategy's PrepareForCreate (status reset)
    applyDefaults(this.gk, obj);
    if (st?.statusOnCreate) {
      const s = st.statusOnCreate(obj);
      if (s === undefined) delete obj.status; else obj.status = s;
    }
    st?.prepareForCreate?.(obj);
    st?.prepareAfterDefaults?.(obj);
    if (this.admission) await this.admission(this.def, obj);
    if (manager !== undefined) {
      const withFields = this.recordManagedFields(undefined, obj, manager);
      obj.metadata.managedFields = withFields.metadata.managedFields;
      if (obj.metadata.managedFields === undefined) delete obj.metadata.managedFields;
    }
    const errs: FieldError[] = [];
    if (!m.name) errs.push({ type: 'FieldValueRequired', field: 'metadata.name', detail: 'name or generateName is required' });
    else {
      // path segment names (apimachinery's IsValidPathSegmentName): the name is part of the URL and the store key
      const bad = m.name === '.' || m.name === '..' ? `may not be '${m.name}'` : m.name.includes('/') ? "may not contain '/'" : m.name.includes('%') ? "may not contain '%'" : undefined;
      if (bad) errs.push({ type: 'FieldValueInvalid', field: 'metadata.name', badValue: m.name, detail: bad });
    }
    errs.push(...validateCreate(this.gk, obj));
    if (errs.length) throw ApiError.invalid(this.def.kind, m.name ?? '', dedupe(errs), this.def.group);
    return obj;
  }

  async create(obj: KubeObject, namespace: string | undefined, opts: WriteOptions = {}): Promise<KubeObject> {
    if (obj.metadata.resourceVersion) throw ApiError.internal('resourceVersion should not be set on objects to be created');
    if (this.def.namespaced && this.namespaceCheck && namespace) {
      await this.namespaceCheck(namespace, this.def.plural, this.def.group, obj.metadata.name ?? '');
    }
    const generated = !obj.metadata.name && !!obj.metadata.generateName;
    await this.prepareCreate(obj, namespace, opts.manager);
    await this.validateCreateAdmission?.(obj, namespace, !!opts.dryRun);
    // a generated name that collides is generated again (Kubernetes' RetryGenerateName: up to 8 tries)
    for (let attempt = 0; ; attempt++) {
      const name = obj.metadata.name!;
      if (opts.dryRun) {
        const existing = await this.getStored(namespace, name);
        if (existing) throw ApiError.alreadyExists(this.def.plural, name, this.def.group);
        return obj;
      }
      try {
        const stored = this.toStored(obj);
        const kv = await this.store.create(this.key(namespace, name), encodeObject(stored));
        return this.written(stored, kv);
      } catch (e) {
        if (e instanceof KeyExistsError) {
          if (generated && attempt < 7) { obj.metadata.name = generateName(obj.metadata.generateName!); continue; }
          const err = ApiError.alreadyExists(this.def.plural, name, this.def.group);
          if (generated) {
            throw new ApiError(409, 'AlreadyExists', `${err.message}, the server was not able to generate a unique name for the object`, { ...err.details, retryAfterSeconds: 1 });
          }
          throw err;
        }
        throw this.apiError(e, name);
      }
    }
  }

  /**
   * Turn a candidate written to the main resource or a subresource into the object to store:
   * identity metadata from the old object, status/spec kept as the status subresource dictates,
   * generation, defaults and validation.
   */
  async prepareUpdate(candidate: KubeObject, old: KubeObject, subresource?: string, manager?: string): Promise<KubeObject> {
    const cm = candidate.metadata ?? {};
    if (cm.uid && cm.uid !== old.metadata.uid) {
      throw ApiError.invalid(this.def.kind, old.metadata.name ?? '', [{ type: 'FieldValueInvalid', field: 'metadata.uid', badValue: cm.uid, detail: 'field is immutable' }], this.def.group);
    }
    let obj: KubeObject;
    if (subresource === 'status') {
      obj = { ...old, metadata: { ...old.metadata, labels: cm.labels, annotations: cm.annotations } };
      if (candidate.status === undefined) delete obj.status; else obj.status = candidate.status;
    } else {
      obj = { ...candidate, metadata: { ...cm } };
      if (this.def.subresources?.status) {
        if (old.status === undefined) delete obj.status; else obj.status = old.status;
      }
    }
    const m = obj.metadata;
    m.name = old.metadata.name;
    if (this.def.namespaced) m.namespace = old.metadata.namespace; else delete m.namespace;
    m.uid = old.metadata.uid;
    m.creationTimestamp = old.metadata.creationTimestamp;
    if (old.metadata.deletionTimestamp) m.deletionTimestamp = old.metadata.deletionTimestamp; else delete m.deletionTimestamp;
    if (old.metadata.deletionGracePeriodSeconds !== undefined) m.deletionGracePeriodSeconds = old.metadata.deletionGracePeriodSeconds; else delete m.deletionGracePeriodSeconds;
    delete m.selfLink;
    m.resourceVersion = old.metadata.resourceVersion;
    if (old.metadata.generateName !== undefined && m.generateName === undefined) m.generateName = old.metadata.generateName;
    if (subresource !== 'status') this.def.strategy?.prepareForUpdate?.(obj, old);
    obj.apiVersion = this.apiVersion;
    obj.kind = this.def.kind;
    applyDefaults(this.gk, obj);
    if (old.metadata.generation !== undefined) {
      m.generation = old.metadata.generation;
      if (this.def.strategy?.tracksGeneration && !jsonEqual(specPart(obj), specPart(old))) m.generation = old.metadata.generation + 1;
    } else delete m.generation;
    if (m.managedFields === undefined && old.metadata.managedFields !== undefined) m.managedFields = old.metadata.managedFields;
    if (this.admission && subresource === undefined) await this.admission(this.def, obj, old);
    if (manager !== undefined) {
      const withFields = this.recordManagedFields(old, obj, manager, subresource);
      if (withFields.metadata.managedFields === undefined) delete m.managedFields; else m.managedFields = withFields.metadata.managedFields;
    }
    // pods/ephemeralcontainers is validated by its handler (only additions of ephemeral containers)
    const errs = subresource === 'status' ? validateStatusUpdate(this.gk, obj, old) : subresource === 'ephemeralcontainers' ? [] : validateUpdate(this.gk, obj, old);
    if (errs.length) throw ApiError.invalid(this.def.kind, m.name ?? '', dedupe(errs), this.def.group);
    return obj;
  }

  /**
   * Read → tryUpdate → CAS write, retried on conflicts (tryUpdate decides whether a stale
   * resourceVersion is a 409). `tryUpdate` receives the current object in API form (undefined when
   * missing) and returns the object to store, or throws.
   * Returns the stored object and whether it was created.
   */
  async guaranteedUpdate(
    namespace: string | undefined,
    name: string,
    tryUpdate: (current: KubeObject | undefined) => Promise<KubeObject> | KubeObject,
    opts: WriteOptions & { allowCreate?: boolean } = {},
  ): Promise<{ obj: KubeObject; created: boolean }> {
    const key = this.key(namespace, name);
    for (let attempt = 0; ; attempt++) {
      const cur = await this.getStored(namespace, name);
      if (!cur && !opts.allowCreate) throw this.notFound(name);
      const curApi = cur ? this.toApi(cloneJson(cur.obj)) : undefined;
      const next = await tryUpdate(curApi);
      if (!cur) {
        // create through update (PUT to a missing object where allowed, or apply)
        if (this.def.namespaced && this.namespaceCheck && namespace) await this.namespaceCheck(namespace, this.def.plural, this.def.group, name);
        next.metadata.name = name;
        delete next.metadata.resourceVersion;
        await this.prepareCreate(next, namespace, opts.manager);
        await this.validateCreateAdmission?.(next, namespace, !!opts.dryRun);
        if (opts.dryRun) return { obj: next, created: true };
        try {
          const stored = this.toStored(next);
          const kv = await this.store.create(key, encodeObject(stored));
          return { obj: this.written(stored, kv), created: true };
        } catch (e) {
          if (e instanceof KeyExistsError && attempt < 10) continue;
          throw this.apiError(e, name);
        }
      }
      // a copy of next's metadata is enough to set the resourceVersion on: nothing changes next after this
      const stored = this.def.storage ? this.toStored(cloneJson(next)) : { ...next, metadata: { ...next.metadata } };
      stored.metadata.resourceVersion = cur.obj.metadata.resourceVersion;
      if (jsonEqual(stored, cur.obj)) return { obj: curApi!, created: false };
      // an object marked for deletion whose last finalizer is removed goes away now
      // (ShouldDeleteDuringUpdate: no finalizers left and a deletion grace period of 0)
      const goes = !!stored.metadata.deletionTimestamp && (stored.metadata.finalizers ?? []).length === 0 && cur.obj.metadata.deletionGracePeriodSeconds === 0 &&
        !this.def.strategy?.blocksDeletion?.(stored);
      if (opts.dryRun) return { obj: next, created: false };
      try {
        if (goes) {
          const kv = await this.store.delete(key, cur.kv.modRevision);
          const gone = cloneJson(stored);
          gone.metadata.resourceVersion = String(kv.modRevision);
          return { obj: this.toApi(gone), created: false };
        }
        const kv = await this.store.update(key, encodeObject(stored), cur.kv.modRevision);
        return { obj: this.written(stored, kv), created: false };
      } catch (e) {
        if (e instanceof ConflictError && attempt < 50) continue;
        throw this.apiError(e, name);
      }
    }
  }

  /** Delete as Kubernetes' generic registry does (BeforeDelete, finalizers, graceful deletion). */
  async delete(namespace: string | undefined, name: string, options: DeleteOptions = {}, opts: WriteOptions = {}): Promise<DeleteResult> {
    const key = this.key(namespace, name);
    for (let attempt = 0; ; attempt++) {
      const cur = await this.getStored(namespace, name);
      if (!cur) throw this.notFound(name);
      const obj = cloneJson(cur.obj);
      const pre = options.preconditions;
      if (pre?.uid && pre.uid !== obj.metadata.uid) {
        throw this.conflict(name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${obj.metadata.uid ?? ''}`);
      }
      if (pre?.resourceVersion && pre.resourceVersion !== obj.metadata.resourceVersion) {
        throw this.conflict(name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${obj.metadata.resourceVersion ?? ''}`);
      }
      const m = obj.metadata;
      // graceful deletion (pods)
      let grace = 0;
      const g = this.def.strategy?.gracefulDelete?.(obj);
      if (g) {
        grace = options.gracePeriodSeconds ?? g.defaultGraceSeconds;
        if (!g.graceful) grace = 0;
        if (grace < 0) grace = 0;
      }
      // finalizers from the propagation policy
      const finalizers = new Set(m.finalizers ?? []);
      const policy = options.propagationPolicy ?? (options.orphanDependents === true ? 'Orphan' : options.orphanDependents === false ? 'Background' : undefined);
      let finalizersChanged = false;
      if (policy === 'Orphan' && !finalizers.has('orphan')) { finalizers.delete('foregroundDeletion'); finalizers.add('orphan'); finalizersChanged = true; }
      if (policy === 'Foreground' && !finalizers.has('foregroundDeletion')) { finalizers.delete('orphan'); finalizers.add('foregroundDeletion'); finalizersChanged = true; }
      if (policy === 'Background' && (finalizers.has('orphan') || finalizers.has('foregroundDeletion'))) {
        finalizers.delete('orphan'); finalizers.delete('foregroundDeletion'); finalizersChanged = true;
      }
      const hasFinalizers = finalizers.size > 0;
      const alreadyDeleting = !!m.deletionTimestamp;
      if (grace > 0 || hasFinalizers) {
        // mark for deletion
        let changed = finalizersChanged;
        if (finalizersChanged) m.finalizers = [...finalizers];
        if (!alreadyDeleting) {
          const when = this.clock.now() + grace * 1000;
          m.deletionTimestamp = rfc3339(when);
          m.deletionGracePeriodSeconds = grace;
          if (m.generation !== undefined && m.generation > 0) m.generation++;
          changed = true;
        } else if (grace > 0 && (m.deletionGracePeriodSeconds === undefined || grace < m.deletionGracePeriodSeconds)) {
          // a shorter grace period moves the deadline forward
          m.deletionTimestamp = rfc3339(this.clock.now() + grace * 1000);
          m.deletionGracePeriodSeconds = grace;
          changed = true;
        } else if (grace === 0 && !hasFinalizers) {
          changed = false;
        }
        if (grace > 0 || hasFinalizers) {
          if (!changed) return { obj: this.toApi(obj), deleted: false };
          if (opts.dryRun) return { obj: this.toApi(obj), deleted: false };
          try {
            const kv = await this.store.update(key, encodeObject(obj), cur.kv.modRevision);
            return { obj: this.written(obj, kv), deleted: false };
          } catch (e) {
            if (e instanceof ConflictError && attempt < 50) continue;
            throw this.apiError(e, name);
          }
        }
      }
      if (opts.dryRun) return { obj: this.toApi(obj), deleted: true };
      try {
        const kv = await this.store.delete(key, cur.kv.modRevision);
        obj.metadata.resourceVersion = String(kv.modRevision);
        return { obj: this.toApi(obj), deleted: true };
      } catch (e) {
        if (e instanceof ConflictError && attempt < 50) continue;
        throw this.apiError(e, name);
      }
    }
  }
}

function dedupe(errs: FieldError[]): FieldError[] {
  const seen = new Set<string>();
  return errs.filter((e) => { const k = `${e.field}\u0000${e.type}\u0000${e.detail ?? ''}`; if (seen.has(k)) return false; seen.add(k); return true; });
}
