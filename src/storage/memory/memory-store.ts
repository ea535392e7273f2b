/**
 * In-memory Store with the full contract (revisions, CAS, snapshots at old revisions, watch
 * replay, compaction). For unit tests of controllers and the API server; nothing is persisted.
 *
 * Layout: one append-only log of rows (one per revision), the same rows indexed per key
 * (versions in revision order) and a sorted array of keys for prefix scans.
 */
import {
  CompactedError, ConflictError, FutureRevisionError, KeyExistsError, KeyNotFoundError, StoreClosedError,
  type GetResult, type KeyValue, type ListOptions, type ListResult, type Store, type WatchEvent, type WatchOptions, type Watcher,
} from '../store.js';
import { inRange, keyRange } from '../key-range.js';
import { WatchHub } from '../watch-hub.js';
import { checkKey, checkRevision, checkValue, checkListOptions, readRevisionAt } from '../validate.js';

interface Row {
  rev: number;
  key: string;
  value: string;
  createRev: number;
  deleted: boolean;
  /** The version this row replaced (absent for a create). */
  prev?: Row;
}

export interface MemoryStoreOptions {
  /** Events per watch replay page (default 1000). */
  watchPageSize?: number;
}

/** Index of the first element of a sorted array for which `lt(el)` is false. */
function lowerBound<T>(arr: readonly T[], lt: (el: T) => boolean): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (lt(arr[mid]!)) lo = mid + 1; else hi = mid;
  }
  return lo;
}

function toKv(r: Row): KeyValue {
  return { key: r.key, value: r.value, createRevision: r.createRev, modRevision: r.rev };
}

function toEvent(r: Row): WatchEvent {
  const ev: WatchEvent = { type: r.deleted ? 'DELETE' : 'PUT', kv: toKv(r), revision: r.rev };
  if (r.prev) ev.prevKv = toKv(r.prev);
  return ev;
}

export class MemoryStore implements Store {
  /** A new store is at revision 1, as etcd (so no resourceVersion is ever 0, which Kubernetes reads as "any"). */
  private rev = 1;
  private compacted = 0;
  private closed = false;
  private log: Row[] = [];
  private readonly versions = new Map<string, Row[]>();
  private keys: string[] = [];
  private readonly hub: WatchHub;

  constructor(opts: MemoryStoreOptions = {}) {
    this.hub = new WatchHub({
      replay: (prefix, after, upTo, limit) => this.replay(prefix, after, upTo, limit),
      currentRevision: () => this.rev,
      compactRevision: () => this.compacted,
    }, { pageSize: opts.watchPageSize });
  }

  async get(key: string, opts: { revision?: number } = {}): Promise<GetResult> {
    this.open();
    checkKey(key);
    const at = this.readRevision(opts.revision);
    const row = this.rowAt(key, at);
    return { kv: row && !row.deleted ? toKv(row) : undefined, revision: this.rev };
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    this.open();
    checkListOptions(prefix, opts);
    const at = this.readRevision(opts.revision);
    const range = keyRange(prefix, opts.startKey);
    const limit = opts.limit ?? 0;
    const kvs: KeyValue[] = [];
    let more = false;
    if (!range.empty) {
      for (let i = lowerBound(this.keys, (k) => k < range.lo); i < this.keys.length; i++) {
        const key = this.keys[i]!;
        if (!inRange(key, range)) break;
        const row = this.rowAt(key, at);
        if (!row || row.deleted) continue;
        if (limit > 0 && kvs.length === limit) { more = true; break; }
        kvs.push(toKv(row));
      }
    }
    return { kvs, revision: at, more };
  }

  async count(prefix: string): Promise<{ count: number; revision: number }> {
    this.open();
    checkListOptions(prefix, {});
    const range = keyRange(prefix);
    let count = 0;
    for (let i = lowerBound(this.keys, (k) => k < range.lo); i < this.keys.length; i++) {
      const key = this.keys[i]!;
      if (!inRange(key, range)) break;
      const row = this.latest(key);
      if (row && !row.deleted) count++;
    }
    return { count, revision: this.rev };
  }

  async create(key: string, value: string): Promise<KeyValue> {
    this.open();
    checkKey(key);
    checkValue(value);
    const cur = this.latest(key);
    if (cur && !cur.deleted) throw new KeyExistsError(key);
    const rev = this.rev + 1;
    return this.append({ rev, key, value, createRev: rev, deleted: false });
  }

  async update(key: string, value: string, expectedRevision: number): Promise<KeyValue> {
    this.open();
    checkKey(key);
    checkValue(value);
    checkRevision('expectedRevision', expectedRevision);
    const cur = this.latest(key);
    if (!cur || cur.deleted) throw new KeyNotFoundError(key);
    if (cur.rev !== expectedRevision) throw new ConflictError(key, expectedRevision, cur.rev);
    return this.append({ rev: this.rev + 1, key, value, createRev: cur.createRev, deleted: false, prev: cur });
  }

  async delete(key: string, expectedRevision?: number): Promise<KeyValue> {
    this.open();
    checkKey(key);
    if (expectedRevision !== undefined) checkRevision('expectedRevision', expectedRevision);
    const cur = this.latest(key);
    if (!cur || cur.deleted) throw new KeyNotFoundError(key);
    if (expectedRevision !== undefined && cur.rev !== expectedRevision) throw new ConflictError(key, expectedRevision, cur.rev);
    return this.append({ rev: this.rev + 1, key, value: cur.value, createRev: cur.createRev, deleted: true, prev: cur });
  }

  watch(prefix: string, opts: WatchOptions): Watcher {
    return this.hub.watch(prefix, opts);
  }

  async compact(revision: number): Promise<void> {
    this.open();
    checkRevision('revision', revision);
    if (revision > this.rev) throw new FutureRevisionError(revision, this.rev);
    if (revision <= this.compacted) throw new CompactedError(revision, this.compacted);
    const drop = new Set<Row>();
    for (const row of this.log) {
      if (row.rev > revision) break;
      if (row.deleted) drop.add(row);
      if (row.prev) drop.add(row.prev); // superseded at or below `revision`
    }
    if (drop.size > 0) {
      this.log = this.log.filter((r) => !drop.has(r));
      const emptied: string[] = [];
      for (const row of drop) {
        const vs = this.versions.get(row.key);
        if (!vs) continue;
        const kept = vs.filter((r) => !drop.has(r));
        if (kept.length === 0) { this.versions.delete(row.key); emptied.push(row.key); } else this.versions.set(row.key, kept);
      }
      if (emptied.length > 0) {
        const gone = new Set(emptied);
        this.keys = this.keys.filter((k) => !gone.has(k));
      }
      // Rows at or below `revision` are never replayed again; drop their links to history so it
      // can be collected. (A row above it links to the newest version at or below it: kept.)
      for (const row of this.log) {
        if (row.rev > revision) break;
        row.prev = undefined;
      }
    }
    this.compacted = revision;
  }

  async currentRevision(): Promise<number> { this.open(); return this.rev; }
  async compactRevision(): Promise<number> { this.open(); return this.compacted; }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.hub.close();
  }

  private open(): void {
    if (this.closed) throw new StoreClosedError();
  }

  private readRevision(revision: number | undefined): number {
    return readRevisionAt(revision, this.rev, this.compacted);
  }

  private latest(key: string): Row | undefined {
    const vs = this.versions.get(key);
    return vs?.[vs.length - 1];
  }

  private rowAt(key: string, at: number): Row | undefined {
    const vs = this.versions.get(key);
    if (!vs) return undefined;
    const i = lowerBound(vs, (r) => r.rev <= at);
    return i > 0 ? vs[i - 1] : undefined;
  }

  private append(row: Row): KeyValue {
    this.rev = row.rev;
    this.log.push(row);
    const vs = this.versions.get(row.key);
    if (vs) vs.push(row);
    else {
      this.versions.set(row.key, [row]);
      this.keys.splice(lowerBound(this.keys, (k) => k < row.key), 0, row.key);
    }
    this.hub.publish(toEvent(row));
    return toKv(row);
  }

  private replay(prefix: string, after: number, upTo: number, limit: number): WatchEvent[] {
    if (after < this.compacted) throw new CompactedError(after, this.compacted);
    const out: WatchEvent[] = [];
    for (let i = lowerBound(this.log, (r) => r.rev <= after); i < this.log.length && out.length < limit; i++) {
      const row = this.log[i]!;
      if (row.rev > upTo) break;
      if (row.key.startsWith(prefix)) out.push(toEvent(row));
    }
    return out;
  }
}
