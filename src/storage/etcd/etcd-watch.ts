/**
 * One Store watch on etcd: replay from a revision, then live, with no gap and no duplicate, and
 * resumption when the gRPC stream breaks (member restart, connection loss, leader change).
 *
 * The watch keeps one number, `seen`: every event under the prefix with a revision ≤ seen has been
 * delivered (or was at/below the requested fromRevision). Every etcd watch it opens starts AT `seen`
 * (not after it): etcd then cancels it with the compact revision exactly when `seen` < the
 * compaction point, which is the Store rule, and the one event at `seen` itself is dropped.
 *
 *   start / stream broke
 *          │ R := current revision (a read)
 *          ├── seen < R ──► CATCH-UP: watch the whole keyspace from `seen`, keep only this prefix.
 *          │                Every revision has at least one event somewhere, so an event at R
 *          │                arrives, after all events before it: the replay is complete →
 *          │                onProgress(seen), switch to LIVE from `seen`.
 *          └── seen ≥ R ──► LIVE: watch only the prefix from `seen` (with progress notifications).
 *
 * Why the catch-up detour: etcd 3.4 sends nothing when a replay finds no matching event, and its
 * explicit progress requests are answered out of order with events (fixed only in 3.4.26/3.5.8),
 * so a narrow watch cannot tell when its replay is over. The wide watch only runs between `seen`
 * and R, which for the API server's watches is usually nothing at all. (With etcd's RBAC turned
 * on, the user therefore needs read access to the whole keyspace, not only to the store prefix.)
 *
 * Broken streams are re-opened with backoff (50 ms doubling to 2 s) for as long as the watch is
 * wanted; the Store user sees nothing but a pause. Compaction past `seen` ends the watch with
 * CompactedError; closing the store ends it with StoreClosedError.
 */
import type { IDuplexStream, IWatchRequest, IWatchResponse } from 'etcd3';
import { CompactedError, type WatchEvent, type WatchOptions, type Watcher } from '../store.js';
import type { Logger } from '../../util/log.js';
import { everything, type ByteRange, type EtcdKeys } from './etcd-keys.js';

/**
 * Ends a watch stream we no longer want. etcd3 treats any 'error' on a watch stream that is still
 * writable as a failed connection (markFailed → resetAllServices): it closes the whole gRPC channel,
 * and every call still waiting on that channel (e.g. for a TLS handshake) fails with "14 UNAVAILABLE:
 * Channel closed before call started". Our own cancel() ends the stream with CANCELLED, so half-close
 * it first (no longer writable): the cancellation is then not taken for a broken connection.
 */
export function closeWatchStream(s: IDuplexStream<IWatchRequest, IWatchResponse>): void {
  try { s.end(); } catch { /* already gone */ }
  try { s.cancel(); } catch { /* already gone */ }
}

export interface WatchBackend {
  readonly keys: EtcdKeys;
  openWatchStream(): Promise<IDuplexStream<IWatchRequest, IWatchResponse>>;
  /** The newest revision (retried while etcd is unreachable for a short while). */
  currentRevision(): Promise<number>;
  /** Set once the store is closed: the error to end watches with. */
  closedError(): Error | undefined;
  readonly log: Logger;
  /** Where a live-only watch (fromRevision 0) starts: the newest revision this client knows of. */
  liveStart(): Promise<number>;
  /** Called when the watch ends for good (cancel, error, close). */
  release(w: EtcdWatch): void;
}

type Mode = 'catch-up' | 'live';

const MIN_BACKOFF = 50;
const MAX_BACKOFF = 2000;

export class EtcdWatch implements Watcher {
  private seen: number;
  private done = false;
  /** Bumped for every stream opened; events from an older stream are ignored. */
  private gen = 0;
  private stream?: IDuplexStream<IWatchRequest, IWatchResponse>;
  private backoff = MIN_BACKOFF;
  private retryTimer?: NodeJS.Timeout;
  private lastProgress = 0;
  /** fromRevision 0 and nothing delivered yet: a compaction past the start is not an error. */
  private liveOnlyStart: boolean;
  /** Streams opened (for tests: resumption shows as more than one). */
  streamsOpened = 0;

  constructor(private readonly be: WatchBackend, private readonly prefix: string, private readonly opts: WatchOptions) {
    this.seen = opts.fromRevision;
    this.liveOnlyStart = opts.fromRevision === 0;
  }

  /** Begin (asynchronously: watch() returns the handle before anything is delivered). */
  start(): void {
    if (this.seen !== 0) { queueMicrotask(() => void this.connect()); return; }
    // Live only: from the newest revision this client knows of (its own last write included),
    // so that a write made after watch() returns is seen.
    const gen = ++this.gen;
    this.be.liveStart().then((rev) => {
      if (gen !== this.gen || this.done) return;
      if (this.seen === 0) this.seen = rev;
      void this.connect();
    }, (err) => this.retry(gen, err));
  }

  cancel(): void {
    if (this.done) return;
    this.finish();
  }

  /** End with an error (store closed, compaction). */
  fail(err: Error): void {
    if (this.done) return;
    this.finish();
    try { this.opts.onError?.(err); } catch { /* the consumer's own */ }
  }

  private finish(): void {
    this.done = true;
    this.gen++;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.closeStream();
    this.be.release(this);
  }

  private closeStream(): void {
    const s = this.stream;
    this.stream = undefined;
    if (s) closeWatchStream(s);
  }

  private async connect(): Promise<void> {
    if (this.done) return;
    const closed = this.be.closedError();
    if (closed) { this.fail(closed); return; }
    const gen = ++this.gen;
    let current: number;
    try {
      current = await this.be.currentRevision();
    } catch (err) {
      if (gen === this.gen) this.retry(gen, err);
      return;
    }
    if (gen !== this.gen || this.done) return;
    if (this.seen === 0) this.seen = current; // live only: everything up to now counts as seen
    if (this.seen < current) void this.open('catch-up', current);
    else void this.open('live', current);
  }

  private async open(mode: Mode, target: number): Promise<void> {
    const gen = ++this.gen;
    this.closeStream();
    let stream: IDuplexStream<IWatchRequest, IWatchResponse>;
    try {
      stream = await this.be.openWatchStream();
    } catch (err) {
      if (gen === this.gen) this.retry(gen, err);
      return;
    }
    if (gen !== this.gen || this.done) { closeWatchStream(stream); return; }
    this.stream = stream;
    this.streamsOpened++;
    const range: ByteRange = mode === 'catch-up' ? everything : this.be.keys.range(this.prefix) ?? this.be.keys.all();
    stream.on('data', (res: IWatchResponse) => { if (gen === this.gen && !this.done) this.onResponse(gen, mode, target, res); });
    stream.on('error', (err: Error) => { if (gen === this.gen && !this.done) this.retry(gen, err); });
    stream.on('end', () => { if (gen === this.gen && !this.done) this.retry(gen, new Error('watch stream ended')); });
    stream.write({
      create_request: {
        key: range.key,
        range_end: range.range_end,
        start_revision: this.seen,
        prev_kv: true,
        progress_notify: mode === 'live',
      },
    });
  }

  private onResponse(gen: number, mode: Mode, target: number, res: IWatchResponse): void {
    if (res.canceled) {
      const compact = Number(res.compact_revision);
      if (compact > 0 && this.liveOnlyStart) {
        // A live-only watch started from the newest revision this client knew, which has been
        // compacted meanwhile: nothing was promised before "now", so start at the compaction point.
        this.seen = Math.max(this.seen, compact);
        this.retry(gen, new Error(`start revision compacted (at ${compact})`));
        return;
      }
      if (compact > 0) { this.fail(new CompactedError(this.seen, compact)); return; }
      this.retry(gen, new Error(`watch canceled by etcd: ${res.cancel_reason || 'no reason given'}`));
      return;
    }
    if (res.created) {
      this.backoff = MIN_BACKOFF;
      if (mode === 'live') this.liveOnlyStart = false;
      if (mode === 'live' && this.seen <= Number(res.header.revision)) this.progress(this.seen);
      return;
    }
    if (res.events.length === 0) {
      // A progress notification (live watches only): nothing under the prefix up to that revision.
      const rev = Number(res.header.revision);
      if (mode === 'live' && rev > this.seen) { this.seen = rev; this.progress(rev); }
      return;
    }
    const floor = this.seen;
    let top = floor;
    const keys = this.be.keys;
    const wanted = mode === 'catch-up' ? keys.encode(this.prefix) : undefined;
    for (const e of res.events) {
      const rev = Number(e.kv.mod_revision);
      if (rev <= floor) continue;
      if (rev > top) top = rev;
      if (wanted && !(keys.owns(e.kv.key) && e.kv.key.subarray(0, wanted.length).equals(wanted))) continue;
      const kv = keys.toKeyValue(e.kv);
      const ev: WatchEvent = { type: e.type === 'Delete' ? 'DELETE' : 'PUT', kv, revision: rev };
      if (e.prev_kv) {
        ev.prevKv = keys.toKeyValue(e.prev_kv);
        if (ev.type === 'DELETE') { kv.value = ev.prevKv.value; kv.createRevision = ev.prevKv.createRevision; }
      }
      this.liveOnlyStart = false;
      try { this.opts.onEvent(ev); } catch { /* the consumer's own (WatchOptions.onEvent) */ }
      if (this.done || gen !== this.gen) { this.seen = Math.max(this.seen, rev); return; }
    }
    this.seen = top;
    if (mode === 'catch-up' && this.seen >= target) {
      this.progress(this.seen);
      void this.open('live', target);
    }
  }

  private progress(rev: number): void {
    if (rev <= this.lastProgress || !this.opts.onProgress) return;
    this.lastProgress = rev;
    try { this.opts.onProgress(rev); } catch { /* the consumer's own */ }
  }

  private retry(gen: number, err: unknown): void {
    if (this.done || gen !== this.gen) return;
    this.gen++;
    this.closeStream();
    const closed = this.be.closedError();
    if (closed) { this.fail(closed); return; }
    const delay = this.backoff;
    this.backoff = Math.min(MAX_BACKOFF, this.backoff * 2);
    this.be.log.debug('etcd watch interrupted; resuming', { prefix: this.prefix, from: this.seen, inMs: delay, err: err instanceof Error ? err.message : String(err) });
    this.retryTimer = setTimeout(() => { this.retryTimer = undefined; void this.connect(); }, delay);
  }
}
