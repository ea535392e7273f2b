/**
 * An informer keeps a local cache of one resource in sync with the API (list, then watch from the
 * list's resourceVersion; on 410 Gone or a broken watch, re-list and reconcile the cache) and tells
 * handlers what changed. Controllers read from the cache and never trust an event's content:
 * handlers only enqueue keys.
 */
import type { KubeObject } from '../api/object.js';
import type { KubeClient, ResourceRef, WatchEvent, WatchHandle } from './types.js';
import { isGone } from './errors.js';
import type { Clock, Timer } from '../util/clock.js';
import { realClock } from '../util/clock.js';
import { logger } from '../util/log.js';

const log = logger('informer');

export interface EventHandlers<T extends KubeObject> {
  onAdd?(obj: T): void;
  onUpdate?(oldObj: T, newObj: T): void;
  onDelete?(obj: T): void;
}

export type IndexFunc<T> = (obj: T) => string[];

export interface InformerOptions<T extends KubeObject = KubeObject> {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  clock?: Clock;
  /** Page size for the initial list (default 500). */
  pageSize?: number;
  /**
   * Applied to every object before it is cached or handed to handlers (client-go's
   * SetTransform), e.g. dropManagedFields: the cache then holds what the process reads, not
   * the whole object.
   */
  transform?: (obj: T) => T;
}

/**
 * Drop metadata.managedFields (as kube-controller-manager and kube-scheduler do to their
 * informers' objects): no controller reads them, and in a parsed pod they are a third of its JSON
 * and most of its objects. An update sent without managedFields keeps the stored ones.
 */
export function dropManagedFields<T extends KubeObject>(obj: T): T {
  if (obj.metadata && obj.metadata.managedFields !== undefined) delete obj.metadata.managedFields;
  return obj;
}

/** `namespace/name`, or `name` for cluster-scoped objects: the key controllers are told. */
export function objectKey(obj: KubeObject): string {
  return obj.metadata.namespace ? `${obj.metadata.namespace}/${obj.metadata.name}` : String(obj.metadata.name);
}

export function splitKey(key: string): { namespace?: string; name: string } {
  const i = key.indexOf('/');
  return i < 0 ? { name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

export class Informer<T extends KubeObject = KubeObject> {
  private readonly items = new Map<string, T>();
  private readonly handlers: EventHandlers<T>[] = [];
  private readonly indexers = new Map<string, IndexFunc<T>>();
  /** index name → index value → keys */
  private readonly indices = new Map<string, Map<string, Set<string>>>();
  private readonly clock: Clock;
  private resourceVersion = '';
  private synced = false;
  private syncWaiters: (() => void)[] = [];
  private watch?: WatchHandle;
  private retryTimer?: Timer;
  private stopped = true;
  private failures = 0;

  constructor(private readonly client: KubeClient, readonly resource: ResourceRef, private readonly opts: InformerOptions<T> = {}) {
    this.clock = opts.clock ?? realClock;
    this.addIndexer('namespace', (o) => (o.metadata.namespace ? [o.metadata.namespace] : []));
  }

  addEventHandler(h: EventHandlers<T>): void {
    this.handlers.push(h);
    if (this.synced) for (const obj of this.items.values()) h.onAdd?.(obj);
  }

  addIndexer(name: string, fn: IndexFunc<T>): void {
    this.indexers.set(name, fn);
    const idx = new Map<string, Set<string>>();
    this.indices.set(name, idx);
    for (const [key, obj] of this.items) for (const v of fn(obj)) addTo(idx, v, key);
  }

  get(key: string): T | undefined { return this.items.get(key); }
  list(): T[] { return [...this.items.values()]; }
  byIndex(name: string, value: string): T[] {
    const keys = this.indices.get(name)?.get(value);
    if (!keys) return [];
    const out: T[] = [];
    for (const k of keys) { const o = this.items.get(k); if (o) out.push(o); }
    return out;
  }
  get hasSynced(): boolean { return this.synced; }
  get lastResourceVersion(): string { return this.resourceVersion; }

  waitForSync(): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise((r) => this.syncWaiters.push(r));
  }

  async start(): Promise<void> {
    if (!this.stopped) return this.waitForSync();
    this.stopped = false;
    void this.run();
    return this.waitForSync();
  }

  stop(): void {
    this.stopped = true;
    this.watch?.stop();
    this.retryTimer?.cancel();
  }

  private async run(): Promise<void> {
    if (this.stopped) return;
    try {
      if (!this.resourceVersion) await this.relist();
      await this.watchOnce();
      this.failures = 0;
    } catch (err) {
      if (isGone(err)) this.resourceVersion = '';
      else {
        this.failures++;
        log.debug('list/watch failed', { resource: this.resource.resource, err: err instanceof Error ? err.message : String(err) });
      }
    }
    if (this.stopped) return;
    const delay = this.failures === 0 ? 0 : Math.min(30_000, 100 * 2 ** Math.min(this.failures, 9));
    this.retryTimer = this.clock.setTimeout(() => void this.run(), delay);
  }

  private async relist(): Promise<void> {
    const fresh = new Map<string, T>();
    let cont: string | undefined;
    let rv = '';
    do {
      const page = await this.client.list<T>(this.resource, this.opts.namespace, {
        labelSelector: this.opts.labelSelector, fieldSelector: this.opts.fieldSelector, limit: this.opts.pageSize ?? 500, continue: cont,
      });
      for (let item of page.items) {
        if (this.opts.transform) item = this.opts.transform(item);
        if (!item.apiVersion) item.apiVersion = this.resource.group ? `${this.resource.group}/${this.resource.version}` : this.resource.version;
        if (!item.kind) item.kind = this.resource.kind;
        fresh.set(objectKey(item), item);
      }
      cont = page.metadata.continue || undefined;
      rv = page.metadata.resourceVersion ?? rv;
    } while (cont);
    // reconcile the cache with the fresh list: deletions, then adds/updates
    for (const [key, old] of [...this.items]) if (!fresh.has(key)) this.remove(key, old);
    for (const [key, obj] of fresh) this.upsert(key, obj);
    this.resourceVersion = rv;
    if (!this.synced) {
      this.synced = true;
      for (const w of this.syncWaiters.splice(0)) w();
    }
  }

  private watchOnce(): Promise<void> {
    return new Promise((resolve, reject) => {
      let gone = false;
      const h = this.client.watch<T>(this.resource, this.opts.namespace, {
        resourceVersion: this.resourceVersion,
        allowWatchBookmarks: true,
        labelSelector: this.opts.labelSelector,
        fieldSelector: this.opts.fieldSelector,
        timeoutSeconds: 300 + Math.floor(Math.random() * 300),
      }, (ev) => {
        if (ev.type === 'ERROR') {
          const st = ev.object as unknown as { code?: number };
          if (st.code === 410) { gone = true; this.resourceVersion = ''; }
          h.stop();
          return;
        }
        this.apply(ev);
      });
      this.watch = h;
      void h.done.then(() => {
        if (h.error && !this.stopped) reject(h.error);
        else if (gone) resolve();
        else resolve();
      });
    });
  }

  private apply(ev: WatchEvent<T>): void {
    let obj = ev.object;
    if (obj?.metadata?.resourceVersion) this.resourceVersion = obj.metadata.resourceVersion;
    if (ev.type === 'BOOKMARK') return;
    if (this.opts.transform) obj = this.opts.transform(obj);
    const key = objectKey(obj);
    if (ev.type === 'DELETED') {
      const old = this.items.get(key);
      this.remove(key, old ?? obj);
    } else {
      this.upsert(key, obj);
    }
  }

  private upsert(key: string, obj: T): void {
    const old = this.items.get(key);
    if (old && old.metadata.resourceVersion === obj.metadata.resourceVersion) return;
    if (old) this.unindex(key, old);
    this.items.set(key, obj);
    this.index(key, obj);
    for (const h of this.handlers) {
      try { if (old) h.onUpdate?.(old, obj); else h.onAdd?.(obj); } catch (err) { log.error('event handler failed', { err: String(err) }); }
    }
  }

  private remove(key: string, obj: T): void {
    const old = this.items.get(key);
    if (!old) return;
    this.unindex(key, old);
    this.items.delete(key);
    for (const h of this.handlers) {
      try { h.onDelete?.(obj); } catch (err) { log.error('event handler failed', { err: String(err) }); }
    }
  }

  private index(key: string, obj: T): void {
    for (const [name, fn] of this.indexers) for (const v of fn(obj)) addTo(this.indices.get(name)!, v, key);
  }

  private unindex(key: string, obj: T): void {
    for (const [name, fn] of this.indexers) {
      const idx = this.indices.get(name)!;
      for (const v of fn(obj)) {
        const set = idx.get(v);
        set?.delete(key);
        if (set && set.size === 0) idx.delete(v);
      }
    }
  }
}

function addTo(idx: Map<string, Set<string>>, value: string, key: string): void {
  let set = idx.get(value);
  if (!set) idx.set(value, (set = new Set()));
  set.add(key);
}
