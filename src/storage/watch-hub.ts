/**
 * Watch fan-out shared by the backends whose writes all pass through this process
 * (memory, sqlite). The write path calls `publish(event)` right after each commit, in revision
 * order; a watch replays history from its backend in pages, then goes live.
 *
 * No gap, no duplicate: when a watch starts, the hub reads the current revision `upTo`
 * (every write at or below it is committed, since writes are synchronous in this process).
 * History (fromRevision, upTo] is replayed from the backend page by page, yielding to the event
 * loop between pages so that writes carry on; live events (> upTo) that arrive meanwhile are
 * buffered and delivered after the replay. Every delivery is filtered by `revision > last
 * delivered`, which is the dedup at the seam.
 *
 * Ordering: events are queued and drained in order, so a watcher whose `onEvent` itself writes
 * to the store (re-entrant publish) cannot make other watchers see events out of order.
 */
import { CompactedError, StoreClosedError, type WatchEvent, type WatchOptions, type Watcher } from './store.js';

export interface ReplaySource {
  /**
   * Events with `after < revision <= upTo` under `prefix`, in revision order, at most `limit`.
   * Throws CompactedError when history after `after` is no longer complete.
   */
  replay(prefix: string, after: number, upTo: number, limit: number): WatchEvent[];
  currentRevision(): number;
  compactRevision(): number;
}

interface Entry {
  prefix: string;
  opts: WatchOptions;
  /** Revision of the last delivered (or skipped-as-not-wanted) event. */
  after: number;
  replaying: boolean;
  buffer: WatchEvent[];
  done: boolean;
}

const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export interface WatchHubOptions {
  /** Events read from the backend per replay page (default 1000). */
  pageSize?: number;
}

export class WatchHub {
  private readonly entries = new Set<Entry>();
  private readonly queue: WatchEvent[] = [];
  private draining = false;
  private closed = false;
  private readonly pageSize: number;

  constructor(private readonly source: ReplaySource, opts: WatchHubOptions = {}) {
    this.pageSize = opts.pageSize ?? 1000;
    if (!Number.isInteger(this.pageSize) || this.pageSize < 1) throw new RangeError(`WatchHub: pageSize must be a positive integer, got ${opts.pageSize}`);
  }

  /** Number of active watches. */
  get size(): number { return this.entries.size; }

  /** Hand a committed event to every matching watch. Must be called in revision order. */
  publish(ev: WatchEvent): void {
    if (this.closed || this.entries.size === 0) return;
    this.queue.push(ev);
    if (this.draining) return;
    this.draining = true;
    try {
      for (let i = 0; i < this.queue.length; i++) {
        const e = this.queue[i]!;
        for (const entry of this.entries) {
          if (entry.done || !e.kv.key.startsWith(entry.prefix)) continue;
          if (entry.replaying) entry.buffer.push(e);
          else this.deliver(entry, e);
        }
      }
    } finally {
      this.queue.length = 0;
      this.draining = false;
    }
  }

  watch(prefix: string, opts: WatchOptions): Watcher {
    if (typeof prefix !== 'string') throw new TypeError('watch: prefix must be a string');
    if (!Number.isInteger(opts.fromRevision) || opts.fromRevision < 0) {
      throw new RangeError(`watch: fromRevision must be a non-negative integer, got ${opts.fromRevision}`);
    }
    const entry: Entry = { prefix, opts, after: 0, replaying: false, buffer: [], done: false };
    const watcher: Watcher = { cancel: () => this.remove(entry) };
    if (this.closed) {
      entry.done = true;
      queueMicrotask(() => opts.onError?.(new StoreClosedError()));
      return watcher;
    }
    const from = opts.fromRevision;
    const current = this.source.currentRevision();
    const compacted = this.source.compactRevision();
    if (from !== 0 && from < compacted) {
      entry.done = true;
      queueMicrotask(() => opts.onError?.(new CompactedError(from, compacted)));
      return watcher;
    }
    this.entries.add(entry);
    if (from === 0 || from >= current) {
      // Live only; a future fromRevision waits: events at or below it are skipped.
      entry.after = from === 0 ? current : from;
      if (from <= current) queueMicrotask(() => this.progress(entry, Math.max(current, entry.after)));
      return watcher;
    }
    entry.after = from;
    entry.replaying = true;
    void this.replay(entry, current);
    return watcher;
  }

  /** End every watch with onError(StoreClosedError); later watches fail the same way. */
  close(): void {
    this.closed = true;
    for (const entry of [...this.entries]) this.fail(entry, new StoreClosedError());
  }

  private async replay(entry: Entry, upTo: number): Promise<void> {
    await yieldToLoop(); // let watch() return the handle before anything is delivered
    let cursor = entry.after;
    while (!entry.done && cursor < upTo) {
      let page: WatchEvent[];
      try {
        page = this.source.replay(entry.prefix, cursor, upTo, this.pageSize);
      } catch (err) {
        this.fail(entry, err instanceof Error ? err : new Error(String(err)));
        return;
      }
      for (const ev of page) {
        if (entry.done) return;
        this.deliver(entry, ev);
      }
      cursor = page.length < this.pageSize ? upTo : page[page.length - 1]!.revision;
      if (cursor < upTo) await yieldToLoop();
    }
    // Drain live events buffered during the replay. Still marked replaying, so events published
    // re-entrantly from an onEvent land at the end of the buffer and keep their order.
    for (let i = 0; i < entry.buffer.length && !entry.done; i++) this.deliver(entry, entry.buffer[i]!);
    entry.buffer = [];
    entry.replaying = false;
    if (!entry.done) this.progress(entry, Math.max(upTo, entry.after));
  }

  private deliver(entry: Entry, ev: WatchEvent): void {
    if (entry.done || ev.revision <= entry.after) return;
    entry.after = ev.revision;
    try {
      entry.opts.onEvent(ev);
    } catch {
      // Errors thrown by a consumer are its own business (see WatchOptions.onEvent).
    }
  }

  private progress(entry: Entry, revision: number): void {
    if (entry.done || !entry.opts.onProgress) return;
    try { entry.opts.onProgress(revision); } catch { /* consumer's own */ }
  }

  private remove(entry: Entry): void {
    entry.done = true;
    entry.buffer = [];
    this.entries.delete(entry);
  }

  private fail(entry: Entry, err: Error): void {
    if (entry.done) return;
    this.remove(entry);
    try { entry.opts.onError?.(err); } catch { /* consumer's own */ }
  }
}
