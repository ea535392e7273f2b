/**
 * A keyed work queue, as controller-runtime's: a key is never handed to two workers at once,
 * repeated adds of a waiting key coalesce, a key added while being worked on is re-queued when
 * done, and failures retry with per-key exponential backoff under an overall rate limit.
 */
import type { Clock, Timer } from '../util/clock.js';
import { realClock } from '../util/clock.js';

export interface WorkQueueOptions {
  clock?: Clock;
  /** Per-key backoff: base and cap in ms (default 5 ms → 1000 s, as client-go). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /**
   * Overall rate limit on retries (addRateLimited), a token bucket as client-go's
   * DefaultControllerRateLimiter: `qps` tokens a second, at most `burst` saved (default 10 qps, burst 100).
   * A retry waits for the longer of its key's backoff and its turn in the bucket.
   */
  qps?: number;
  burst?: number;
}

/** A token bucket on a clock: `reserve()` takes a token and says how long to wait for it (ms). */
export class TokenBucket {
  private tokens: number;
  private last: number;
  constructor(private readonly qps: number, private readonly burst: number, private readonly clock: Clock) {
    this.tokens = burst;
    this.last = clock.now();
  }
  reserve(): number {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.qps);
    this.last = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.qps) * 1000);
  }
}

export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly delayed = new Map<string, { at: number; timer: Timer }>();
  private readonly waiters: ((key: string | undefined) => void)[] = [];
  private readonly clock: Clock;
  private closed = false;
  private readonly bucket: TokenBucket;

  constructor(private readonly opts: WorkQueueOptions = {}) {
    this.clock = opts.clock ?? realClock;
    this.bucket = new TokenBucket(opts.qps ?? 10, opts.burst ?? 100, this.clock);
  }

  get length(): number { return this.queue.length; }
  get isShutDown(): boolean { return this.closed; }

  add(key: string): void {
    if (this.closed || this.dirty.has(key)) return;
    this.dirty.add(key);
    if (this.processing.has(key)) return; // re-queued by done()
    const waiter = this.waiters.shift();
    if (waiter) { this.dirty.delete(key); this.processing.add(key); waiter(key); return; }
    this.queue.push(key);
  }

  /** Add after a delay; an earlier pending delay for the key wins. */
  addAfter(key: string, ms: number): void {
    if (this.closed) return;
    if (ms <= 0) return this.add(key);
    const at = this.clock.now() + ms;
    const existing = this.delayed.get(key);
    if (existing && existing.at <= at) return;
    existing?.timer.cancel();
    const timer = this.clock.setTimeout(() => { this.delayed.delete(key); this.add(key); }, ms);
    this.delayed.set(key, { at, timer });
  }

  /** Re-queue after this key's next backoff delay (5 ms, 10 ms, 20 ms … capped), or later when the overall bucket is empty. */
  addRateLimited(key: string): void {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    const backoff = Math.min(this.opts.maxDelayMs ?? 1_000_000, (this.opts.baseDelayMs ?? 5) * 2 ** n);
    this.addAfter(key, Math.max(backoff, this.bucket.reserve()));
  }

  /** Number of consecutive failures recorded for the key. */
  retries(key: string): number { return this.failures.get(key) ?? 0; }

  /** Clear the key's backoff (call after a successful reconcile). */
  forget(key: string): void { this.failures.delete(key); }

  /** Next key to work on; undefined once shut down. */
  get(): Promise<string | undefined> {
    if (this.closed) return Promise.resolve(undefined);
    const key = this.queue.shift();
    if (key !== undefined) {
      this.dirty.delete(key);
      this.processing.add(key);
      return Promise.resolve(key);
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Mark the key's work finished; if it was added meanwhile, it is queued again. */
  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.has(key)) {
      this.dirty.delete(key);
      this.add(key);
    }
  }

  shutDown(): void {
    this.closed = true;
    for (const d of this.delayed.values()) d.timer.cancel();
    this.delayed.clear();
    for (const w of this.waiters.splice(0)) w(undefined);
  }
}
