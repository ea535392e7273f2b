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
 * A ring event keeps only the stored JSON text of its object (and of the object before it); the
 * decoded objects and the wire text are made when first read and dropped again once the event has
 * been dispatched (trim), so that the ring's 10,000 events per resource hold one or two strings each
 * instead of text + parsed objects (a parsed pod with managedFields is ~3× its JSON). Most events
 * are never decoded at all: unfiltered watchers are sent `json`, spliced from the stored text (the
 * bytes JSON.stringify(object) gives); only selectors, tables and conversions read `object`, and
 * `prevObject` only selectors.
 */
class StoredEvent implements CachedEvent {
  private obj?: KubeObject;
  private prev?: KubeObject;
  private text?: string;

  constructor(
    readonly type: ApiEventType,
    readonly revision: number,
    readonly key: string,
    /** Stored JSON of `object` (without resourceVersion), and the revision that is its resourceVersion. */
    private stored: string,
    private readonly objectRevision: number,
    private readonly prevKv: { value: string; modRevision: number } | undefined,
  ) {}

  /**
   * The text before this event is `last`'s text (the key's previous event in the ring, when it is
   * still there): keep one string for both instead of two equal ones.
   */
  shareText(last: StoredEvent): void {
    const prev = this.prevKv;
    if (!prev || prev.value !== last.stored) return;
    // equal texts: point at last's string, so that this event's copy can be collected
    if (this.stored === prev.value) this.stored = last.stored;
    prev.value = last.stored;
  }

  get object(): KubeObject { return (this.obj ??= decodeObject({ value: this.stored, modRevision: this.objectRevision } as KeyValue, this.objectRevision)); }
  set object(o: KubeObject) { this.obj = o; }

  get prevObject(): KubeObject | undefined {
    if (!this.prevKv) return undefined;
    return (this.prev ??= decodeObject(this.prevKv as KeyValue));
  }

  get json(): string {
    if (this.text !== undefined) return this.text;
    return (this.text = this.obj ? JSON.stringify(this.obj) : withResourceVersion(this.stored, this.objectRevision));
  }
  set json(t: string | undefined) { this.text = t; }

  /** Forget what was decoded or serialized (it is made again when read). */
  trim(): void { this.obj = undefined; this.prev = undefined; this.text = undefined; }
}

/**
 * JSON.stringify(decodeObject(kv, revision)) without the round trip: the stored text (which
 * JSON.stringify made, and which has no resourceVersion) with `"resourceVersion":"N"` added as
 * the last key of the top-level metadata — where decodeObject's assignment puts it.
 */
export function withResourceVersion(json: string, revision: number): string {
  const marker = '"metadata":{';
  const at = json.indexOf(marker);
  // only when this is the top-level metadata (no object opened before it): else the round trip
  if (at < 0 || json.lastIndexOf('{', at) !== 0) return JSON.stringify(decodeObject({ value: json } as KeyValue, revision));
  // find the metadata's closing brace, skipping strings
  let depth = 0;
  let i = at + marker.length - 1;
  for (; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (c === 0x22 /* " */) {
      for (i++; i < json.length; i++) {
        const d = json.charCodeAt(i);
        if (d === 0x5c /* \ */) i++;
        else if (d === 0x22) break;
      }
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) depth++;
    else if (c === 0x7d /* } */ || c === 0x5d /* ] */) { if (--depth === 0) break; }
  }
  if (i >= json.length) return JSON.stringify(decodeObject({ value: json } as KeyValue, revision));
  const rv = `"resourceVersion":"${revision}"`;
  return json.slice(0, i) + (json.charCodeAt(i - 1) === 0x7b ? rv : ',' + rv) + json.slice(i);
}

export function toCachedEvent(ev: WatchEvent): CachedEvent {
  return toStoredEvent(ev);
}

function toStoredEvent(ev: WatchEvent): StoredEvent {
  if (ev.type === 'DELETE') {
    const last = ev.prevKv ?? ev.kv;
    return new StoredEvent('DELETED', ev.revision, ev.kv.key, last.value, ev.revision, ev.prevKv && { value: ev.prevKv.value, modRevision: ev.prevKv.modRevision });
  }
  const created = !ev.prevKv || ev.kv.createRevision === ev.kv.modRevision;
  return new StoredEvent(created ? 'ADDED' : 'MODIFIED', ev.revision, ev.kv.key, ev.kv.value, ev.kv.modRevision, created || !ev.prevKv ? undefined : { value: ev.prevKv.value, modRevision: ev.prevKv.modRevision });
}

interface Sub { keyPrefix: string; from: number; listener: WatchListener; active: boolean }

export class WatchCache {
  private ring: StoredEvent[] = [];
  /** The newest ring event of each key (for sharing its text with the key's next event). */
  private latest = new Map<string, StoredEvent>();
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
        this.latest.clear();
        this.watcher = this.store.watch(this.prefix, {
          fromRevision: rev,
          onEvent: (ev) => this.dispatch(toStoredEvent(ev)),
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

  private dispatch(ev: StoredEvent): void {
    const last = this.latest.get(ev.key);
    if (last) ev.shareText(last);
    if (ev.type === 'DELETED') this.latest.delete(ev.key); else this.latest.set(ev.key, ev);
    this.ring.push(ev);
    if (this.ring.length - this.ringStart > this.capacity) {
      const evicted = this.ring[this.ringStart];
      if (this.latest.get(evicted.key) === evicted) this.latest.delete(evicted.key);
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
    ev.trim();
    this.wakeWaiters();
  }

  private fail(err: Error): void {
    const subs = [...this.subs];
    this.subs.clear();
    this.watcher = undefined;
    this.ring = [];
    this.ringStart = 0;
    this.latest.clear();
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
      if (ev.key.startsWith(keyPrefix)) { listener.onEvent(ev); ev.trim(); }
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
