/**
 * The kubelet's restart back-off (client-go flowcontrol.Backoff as the kubelet uses it): per key,
 * the first restart after a failure is immediate, then the wait doubles from 10 s up to 5 min.
 * While `now - finishedAt < backoff` the container is "in back-off" (CrashLoopBackOff). An entry not
 * touched for 2 × max (10 min: e.g. the container ran that long) starts over at the initial delay.
 */
import type { Clock } from '../../util/clock.js';

export interface BackoffOptions {
  /** Default 10 s. */
  initialMs?: number;
  /** Default 300 s. */
  maxMs?: number;
}

interface Entry { backoffMs: number; lastUpdate: number }

export class Backoff {
  private readonly entries = new Map<string, Entry>();
  readonly initialMs: number;
  readonly maxMs: number;

  constructor(private readonly clock: Clock, opts: BackoffOptions = {}) {
    this.initialMs = opts.initialMs ?? 10_000;
    this.maxMs = opts.maxMs ?? 300_000;
  }

  private expired(e: Entry, at: number): boolean {
    return at - e.lastUpdate > 2 * this.maxMs;
  }

  /** Current back-off of `key` (0 when none). */
  get(key: string): number {
    const e = this.entries.get(key);
    return e && !this.expired(e, this.clock.now()) ? e.backoffMs : 0;
  }

  /** True while a restart of something that finished at `eventTime` must wait. */
  isInBackOffSince(key: string, eventTime: number): boolean {
    const e = this.entries.get(key);
    if (!e || this.expired(e, this.clock.now())) return false;
    return this.clock.now() - eventTime < e.backoffMs;
  }

  /** When a restart of something that finished at `eventTime` may happen. */
  readyAt(key: string, eventTime: number): number {
    const e = this.entries.get(key);
    return e ? eventTime + e.backoffMs : eventTime;
  }

  /** Records a restart: the next wait starts at the initial delay or doubles (capped). */
  next(key: string, eventTime: number): void {
    const e = this.entries.get(key);
    if (!e || this.expired(e, eventTime)) {
      this.entries.set(key, { backoffMs: this.initialMs, lastUpdate: this.clock.now() });
      return;
    }
    e.backoffMs = Math.min(e.backoffMs * 2, this.maxMs);
    e.lastUpdate = this.clock.now();
  }

  reset(key: string): void { this.entries.delete(key); }

  /** Forgets every key starting with `prefix` (a pod that went away). */
  forgetPrefix(prefix: string): void {
    for (const k of [...this.entries.keys()]) if (k.startsWith(prefix)) this.entries.delete(k);
  }
}

/** "10s", "1m20s", "5m0s" as Go's time.Duration prints whole seconds. */
export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${s % 60}s`;
  return `${Math.floor(m / 60)}h${m % 60}m${s % 60}s`;
}
