/**
 * One store watch per resource, fanned out to every API watcher of that resource, with a ring of
 * recent events so that a watch from a recent resourceVersion replays from memory (as Kubernetes'
 * cacher does). Events are decoded once and shared; a watcher older than the ring falls back to a
 * watch of its own on the store (which answers CompactedError → 410 when history is gone).
 */
import type { KubeObject } from '../api/object.js';
import type { KeyValue, Store, WatchEvent, Watcher } from '../storage/store.js';
import { decodeObject } from './object-codec.js';

export type ApiEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface CachedEvent {
  type: ApiEventType;
  revision: number;
  key: string;
  /** The object after the event; for DELETED the last state with resourceVersion = the delete's revision. */
  object: KubeObject;
  /** The object before the event (absent for ADDED). */
  prevObject?: KubeObject;
  /** Memoized serialization of `object` (JSON), shared by all watchers. */
  json?: string;
}

export interface WatchListener {
  onEvent(ev: CachedEvent): void;
  onError(err: Error): void;
}

export interface Subscription { cancel(): void }

/**
 * `prevObject` is decoded when first read: only watchers with a selector look at it (to turn a
 * change into ADDED/DELETED), and most events reach none, so parsing it for every event was waste.
 */
function withLazyPrev(ce: Omit<CachedEvent, 'prevObject'>, prevKv: KeyValue | undefined): CachedEvent {
  if (!prevKv) return ce;
  let prev: KubeObject | undefined;
  return Object.defineProperty(ce, 'prevObject', {
    get: () => (prev ??= decodeObject(prevKv)),
    enumerable: true,
    configurable: true,
  }) as CachedEvent;
}

export function toCachedEvent(ev: WatchEvent): CachedEvent {
  if (ev.type === 'DELETE') {
    const last = ev.prevKv ?? ev.kv;
    const obj = decodeObject(last, ev.revision);
    return withLazyPrev({ type: 'DELETED', revision: ev.revision, key: ev.kv.key, object: obj }, ev.prevKv);
  }
  const obj = decodeObject(ev.kv);
  const created = !ev.prevKv || ev.kv.createRevision === ev.kv.modRevision;
  return withLazyPrev({ type: created ? 'ADDED' : 'MODIFIED', revision: ev.revision, key: ev.kv.key, object: obj }, created ? undefined : ev.prevKv);
}

interface Sub { keyPrefix: string; from: number; listener: WatchListener; active: boolean }

export class WatchCache {
  private ring: CachedEvent[] = [];
  private ringStart = 0; // index of the oldest event in `ring` (ring is an array used as a queue)
  private subs = new Set<Sub>();
  private watcher?: Watcher;
  private starting?: Promise<void>;
  /** All events with revision > coveredFrom are in the ring (or still to arrive). */
  private coveredFrom = 0;
  /** The newest revision known to the cache (events or progress). */
  lastRevision = 0;
  private revisionWaiters: { rev: number; resolve: () => void }[] = [];

  constructor(private readonly store: Store, readonly prefix: string, private readonly capacity = 10000) {}

  private ensureStarted(): Promise<void> {
    if (this.watcher) return Promise.resolve();
    if (!this.starting) {
      this.starting = (async () => {
        const rev = await this.store.currentRevision();
        this.coveredFrom = rev;
        this.lastRevision = Math.max(this.lastRevision, rev);
        this.ring = [];
        this.ringStart = 0;
        this.watcher = this.store.watch(this.prefix, {
          fromRevision: rev,
          onEvent: (ev) => this.dispatch(toCachedEvent(ev)),
          onProgress: (r) => this.progress(r),
          onError: (err) => this.fail(err),
        });
      })().finally(() => { this.starting = undefined; });
    }
    return this.starting;
  }

  private progress(rev: number): void {
    if (rev > this.lastRevision) this.lastRevision = rev;
    this.wakeWaiters();
  }

  private wakeWaiters(): void {
    if (this.revisionWaiters.length === 0) return;
    const ready = this.revisionWaiters.filter((w) => w.rev <= this.lastRevision);
    this.revisionWaiters = this.revisionWaiters.filter((w) => w.rev > this.lastRevision);
    for (const w of ready) w.resolve();
  }

  private dispatch(ev: CachedEvent): void {
    this.ring.push(ev);
    if (this.ring.length - this.ringStart > this.capacity) {
      const evicted = this.ring[this.ringStart];
      this.ringStart++;
      this.coveredFrom = evicted.revision;
      if (this.ringStart > 4096 && this.ringStart * 2 > this.ring.length) {
        this.ring = this.ring.slice(this.ringStart);
        this.ringStart = 0;
      }
    }
    if (ev.revision > this.lastRevision) this.lastRevision = ev.revision;
    for (const s of this.subs) {
      if (!s.active || ev.revision <= s.from || !ev.key.startsWith(s.keyPrefix)) continue;
      try { s.listener.onEvent(ev); } catch { /* a listener's failure is its own */ }
    }
    this.wakeWaiters();
  }

  private fail(err: Error): void {
    const subs = [...this.subs];
    this.subs.clear();
    this.watcher = undefined;
    this.ring = [];
    this.ringStart = 0;
    for (const s of subs) if (s.active) { s.active = false; s.listener.onError(err); }
  }

  /**
   * Events under `keyPrefix` with revision > fromRevision, replayed from the ring then live.
   * Returns undefined when fromRevision is older than the ring covers (use a direct store watch).
   */
  async subscribe(keyPrefix: string, fromRevision: number, listener: WatchListener): Promise<Subscription | undefined> {
    await this.ensureStarted();
    if (fromRevision < this.coveredFrom) return undefined;
    const sub: Sub = { keyPrefix, from: fromRevision, listener, active: true };
    // replay synchronously, then register: no event can slip between the two
    let lo = this.ringStart;
    let hi = this.ring.length;
    while (lo < hi) { const mid = (lo + hi) >>> 1; if (this.ring[mid].revision <= fromRevision) lo = mid + 1; else hi = mid; }
    for (let i = lo; i < this.ring.length; i++) {
      const ev = this.ring[i];
      if (ev.key.startsWith(keyPrefix)) listener.onEvent(ev);
    }
    this.subs.add(sub);
    return { cancel: () => { sub.active = false; this.subs.delete(sub); } };
  }

  /** Resolve once the cache has seen `rev` (or after timeoutMs with false). */
  async waitForRevision(rev: number, timeoutMs: number, setTimer: (fn: () => void, ms: number) => { cancel(): void }): Promise<boolean> {
    await this.ensureStarted();
    if (rev <= this.lastRevision) return true;
    const cur = await this.store.currentRevision();
    if (cur > this.lastRevision) this.progress(cur);
    if (rev <= this.lastRevision) return true;
    return new Promise<boolean>((resolve) => {
      const w = { rev, resolve: () => { t.cancel(); resolve(true); } };
      const t = setTimer(() => { this.revisionWaiters = this.revisionWaiters.filter((x) => x !== w); resolve(false); }, timeoutMs);
      this.revisionWaiters.push(w);
    });
  }

  get watcherCount(): number { return this.subs.size; }

  close(): void {
    this.watcher?.cancel();
    this.watcher = undefined;
    for (const s of this.subs) s.active = false;
    this.subs.clear();
    for (const w of this.revisionWaiters) w.resolve();
    this.revisionWaiters = [];
  }
}

/** A watch straight on the store (for resourceVersions older than the cache). */
export function directWatch(store: Store, keyPrefix: string, fromRevision: number, listener: WatchListener): Subscription {
  let active = true;
  const w = store.watch(keyPrefix, {
    fromRevision,
    onEvent: (ev) => { if (active) listener.onEvent(toCachedEvent(ev)); },
    onError: (err) => { if (active) { active = false; listener.onError(err); } },
  });
  return { cancel: () => { active = false; w.cancel(); } };
}
