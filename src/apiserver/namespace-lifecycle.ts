/**
 * Namespaces: the NamespaceLifecycle admission check (no content in missing or terminating
 * namespaces), deletion (phase Terminating until the `kubernetes` finalizer is removed), the
 * namespace controller's loop that deletes every namespaced object and then finalizes the
 * namespace (run inside the server for now), and the namespaces that exist from the first start.
 */
import { ApiError } from '../api/errors.js';
import type { KubeObject } from '../api/object.js';
import { logger } from '../util/log.js';
import type { Timer } from '../util/clock.js';
import type { RestContext, Served } from './context.js';
import type { DeleteOptions } from './registry.js';
import { rfc3339 } from './registry.js';
import type { Subscription } from './watch-cache.js';

const log = logger('namespace-controller');

export const systemNamespaces = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];
/** Namespaces that may not be deleted (as Kubernetes' NamespaceLifecycle). */
const immortal = new Set(['default', 'kube-system', 'kube-public']);

type Obj = Record<string, unknown>;

export class NamespaceLifecycle {
  private sub?: Subscription;
  private queue = new Set<string>();
  private running = false;
  private timers = new Map<string, Timer>();
  private closed = false;

  constructor(private readonly ctx: RestContext, private readonly namespaces: Served, private readonly deleteObject: (served: Served, ns: string | undefined, name: string, opts: DeleteOptions) => Promise<unknown>, private readonly retryMs = 1000) {}

  /** Admission: 404 for a missing namespace, 403 for a terminating one. */
  check = async (namespace: string, resource: string, group: string, name: string): Promise<void> => {
    const ns = await this.namespaces.registry.getStored(undefined, namespace);
    if (!ns) throw ApiError.notFound('namespaces', namespace);
    if (ns.obj.metadata.deletionTimestamp || (ns.obj.status as Obj | undefined)?.phase === 'Terminating') {
      const qualified = group ? `${resource}.${group}` : resource;
      const what = name ? `${qualified} ${JSON.stringify(name)}` : qualified;
      throw new ApiError(403, 'Forbidden', `${what} is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`, {
        name: name || undefined, group: group || undefined, kind: resource,
        causes: [{ reason: 'NamespaceTerminating', message: `namespace ${namespace} is being terminated`, field: 'metadata.namespace' }],
      });
    }
  };

  /** Create the system namespaces that are missing. */
  async bootstrap(): Promise<void> {
    for (const name of systemNamespaces) {
      if (await this.namespaces.registry.getStored(undefined, name)) continue;
      try {
        await this.namespaces.registry.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'kubernetes.io/metadata.name': name } } }, undefined);
      } catch (e) {
        if (!(e instanceof ApiError && e.code === 409)) throw e;
      }
    }
  }

  /** DELETE of a namespace: mark it Terminating (the controller empties and removes it). */
  async delete(name: string, opts: DeleteOptions): Promise<{ obj: KubeObject; deleted: boolean }> {
    if (immortal.has(name)) throw new ApiError(403, 'Forbidden', `namespaces "${name}" is forbidden: this namespace may not be deleted`, { name, kind: 'namespaces' });
    const reg = this.namespaces.registry;
    const dryRun = (opts.dryRun ?? []).includes('All');
    const { obj } = await reg.guaranteedUpdate(undefined, name, (cur) => {
      if (!cur) throw reg.notFound(name);
      const pre = opts.preconditions;
      if (pre?.uid && pre.uid !== cur.metadata.uid) throw reg.conflict(name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${cur.metadata.uid ?? ''}`);
      if (pre?.resourceVersion && pre.resourceVersion !== cur.metadata.resourceVersion) {
        throw reg.conflict(name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${cur.metadata.resourceVersion ?? ''}`);
      }
      if (cur.metadata.deletionTimestamp) return cur;
      const next = structuredClone(cur);
      next.metadata.deletionTimestamp = rfc3339(this.ctx.clock.now());
      next.metadata.deletionGracePeriodSeconds = 0;
      const fin = new Set(next.metadata.finalizers ?? []);
      if (opts.propagationPolicy === 'Orphan' || opts.orphanDependents === true) fin.add('orphan');
      if (fin.size) next.metadata.finalizers = [...fin];
      next.status = { ...((next.status as Obj) ?? {}), phase: 'Terminating' };
      return next;
    }, { dryRun });
    if (!dryRun) this.enqueue(name);
    return { obj, deleted: false };
  }

  /** Start the controller: watch namespaces, finalize the terminating ones. */
  async start(): Promise<void> {
    const rev = await this.ctx.store.currentRevision();
    const list = await this.ctx.store.list(this.namespaces.registry.prefix(), { revision: rev });
    for (const kv of list.kvs) {
      const o = JSON.parse(kv.value) as KubeObject;
      if (o.metadata.deletionTimestamp) this.enqueue(o.metadata.name!);
    }
    const sub = await this.namespaces.cache.subscribe(this.namespaces.registry.prefix(), list.revision, {
      onEvent: (ev) => { if (ev.type !== 'DELETED' && ev.object.metadata.deletionTimestamp) this.enqueue(ev.object.metadata.name!); },
      onError: (err) => { if (!this.closed) { log.warn('namespace watch ended; restarting', { err }); void this.start(); } },
    });
    if (this.closed) sub?.cancel(); else this.sub = sub;
  }

  private enqueue(name: string): void {
    if (this.closed) return;
    this.queue.add(name);
    void this.run();
  }

  private async run(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.queue.size && !this.closed) {
        const name = this.queue.values().next().value as string;
        this.queue.delete(name);
        try {
          const done = await this.reconcile(name);
          if (!done) this.later(name);
        } catch (e) {
          if (this.closed) return;
          log.warn('namespace deletion failed; retrying', { namespace: name, err: e as Error });
          this.later(name);
        }
      }
    } finally {
      this.running = false;
    }
  }

  private later(name: string): void {
    if (this.closed || this.timers.has(name)) return;
    this.timers.set(name, this.ctx.clock.setTimeout(() => { this.timers.delete(name); this.enqueue(name); }, this.retryMs));
  }

  /** One pass: delete the namespace's content; when none is left, finalize. Returns true when finished. */
  async reconcile(name: string): Promise<boolean> {
    const reg = this.namespaces.registry;
    const cur = await reg.getStored(undefined, name);
    if (!cur || !cur.obj.metadata.deletionTimestamp) return true;
    const remaining: string[] = [];
    let total = 0;
    for (const s of this.ctx.all()) {
      if (!s.def.namespaced || s.def.storage) continue;
      const page = await this.ctx.store.list(s.registry.prefix(name));
      if (page.kvs.length === 0) continue;
      for (const kv of page.kvs) {
        const o = JSON.parse(kv.value) as KubeObject;
        if (o.metadata.deletionTimestamp) continue;
        try {
          await this.deleteObject(s, name, o.metadata.name!, {});
        } catch (e) {
          if (!(e instanceof ApiError && e.code === 404)) throw e;
        }
      }
      const after = await this.ctx.store.count(s.registry.prefix(name));
      if (after.count > 0) { remaining.push(`${s.def.group ? `${s.def.plural}.${s.def.group}` : s.def.plural} has ${after.count} resource instances`); total += after.count; }
    }
    if (total > 0) {
      await this.setCondition(name, { type: 'NamespaceContentRemaining', status: 'True', reason: 'SomeResourcesRemain', message: `Some resources are remaining: ${remaining.join(', ')}` });
      return false;
    }
    // all content gone: remove the `kubernetes` finalizer (as /finalize does); the registry deletes
    // the namespace when no finalizer is left
    await reg.guaranteedUpdate(undefined, name, (c) => {
      if (!c) throw reg.notFound(name);
      const next = structuredClone(c);
      const spec = (next.spec ?? {}) as { finalizers?: string[] };
      next.spec = { ...spec, finalizers: (spec.finalizers ?? []).filter((f) => f !== 'kubernetes') };
      if ((next.spec as { finalizers: string[] }).finalizers.length === 0) delete (next.spec as { finalizers?: string[] }).finalizers;
      const st = (next.status ?? {}) as Obj;
      next.status = { ...st, conditions: ((st.conditions as Obj[] | undefined) ?? []).filter((c2) => c2.type !== 'NamespaceContentRemaining') };
      if ((next.status as Obj).conditions && ((next.status as Obj).conditions as Obj[]).length === 0) delete (next.status as Obj).conditions;
      return next;
    }).catch((e) => { if (!(e instanceof ApiError && e.code === 404)) throw e; });
    return true;
  }

  private async setCondition(name: string, cond: Obj): Promise<void> {
    const reg = this.namespaces.registry;
    await reg.guaranteedUpdate(undefined, name, (c) => {
      if (!c) throw reg.notFound(name);
      const next = structuredClone(c);
      const st = (next.status ?? {}) as Obj;
      const conds = ((st.conditions as Obj[] | undefined) ?? []).filter((x) => x.type !== cond.type);
      const old = ((st.conditions as Obj[] | undefined) ?? []).find((x) => x.type === cond.type);
      const same = old && old.status === cond.status && old.reason === cond.reason && old.message === cond.message;
      conds.push(same ? old : { ...cond, lastTransitionTime: rfc3339(this.ctx.clock.now()) });
      next.status = { ...st, conditions: conds };
      return next;
    }).catch((e) => { if (!(e instanceof ApiError && e.code === 404)) throw e; });
  }

  close(): void {
    this.closed = true;
    this.sub?.cancel();
    for (const t of this.timers.values()) t.cancel();
    this.timers.clear();
    this.queue.clear();
  }
}
