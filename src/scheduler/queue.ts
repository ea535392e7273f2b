/**
 * The scheduling queue (Kubernetes' PriorityQueue): three parts.
 *   activeQ          pods to schedule now, highest priority first, then oldest first;
 *   backoffQ         pods that failed and wait out their backoff (1 s doubling to 10 s);
 *   unschedulable    pods that failed and wait for a cluster event that may help them
 *                    (node added/changed, assigned pod deleted, …); flushed to active after 5 min.
 * A cluster event that arrives while a pod is being scheduled sends it to backoffQ rather than
 * unschedulable (so a change that happened during its cycle is not missed).
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { Clock, Timer } from '../util/clock.js';
import { realClock } from '../util/clock.js';

export interface QueuedPod {
  key: string;
  pod: Pod;
  priority: number;
  /** When the pod entered the queue (first time) — the latency clock starts here. */
  initialAttemptAt: number;
  /** Last time it was (re-)queued; FIFO order within a priority. */
  timestamp: number;
  attempts: number;
  /** Tie-breaker for equal timestamps (insertion order). */
  seq: number;
  unschedulablePlugins: Set<string>;
  backoffExpiry: number;
}

export interface QueueOptions {
  clock?: Clock;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** How long a pod may stay unschedulable without an event before it is retried. */
  maxUnschedulableMs?: number;
}

class Heap<T> {
  private readonly a: T[] = [];
  private readonly index = new Map<T, number>();
  constructor(private readonly less: (x: T, y: T) => boolean) {}
  get size(): number { return this.a.length; }
  peek(): T | undefined { return this.a[0]; }
  push(x: T): void { this.a.push(x); this.index.set(x, this.a.length - 1); this.up(this.a.length - 1); }
  pop(): T | undefined {
    if (this.a.length === 0) return undefined;
    const top = this.a[0];
    this.removeAt(0);
    return top;
  }
  remove(x: T): boolean {
    const i = this.index.get(x);
    if (i === undefined) return false;
    this.removeAt(i);
    return true;
  }
  private removeAt(i: number): void {
    const x = this.a[i];
    const last = this.a.pop()!;
    this.index.delete(x);
    if (i < this.a.length) {
      this.a[i] = last;
      this.index.set(last, i);
      this.down(i);
      this.up(i);
    }
  }
  private swap(i: number, j: number): void {
    const t = this.a[i]; this.a[i] = this.a[j]; this.a[j] = t;
    this.index.set(this.a[i], i); this.index.set(this.a[j], j);
  }
  private up(i: number): void {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(this.a[i], this.a[p])) break;
      this.swap(i, p); i = p;
    }
  }
  private down(i: number): void {
    for (;;) {
      const l = 2 * i + 1, r = l + 1;
      let m = i;
      if (l < this.a.length && this.less(this.a[l], this.a[m])) m = l;
      if (r < this.a.length && this.less(this.a[r], this.a[m])) m = r;
      if (m === i) return;
      this.swap(i, m); i = m;
    }
  }
}

export class SchedulingQueue {
  private readonly clock: Clock;
  private readonly active = new Heap<QueuedPod>((x, y) => x.priority > y.priority || (x.priority === y.priority && (x.timestamp < y.timestamp || (x.timestamp === y.timestamp && x.seq < y.seq))));
  private readonly backoff = new Heap<QueuedPod>((x, y) => x.backoffExpiry < y.backoffExpiry);
  private readonly unschedulable = new Map<string, QueuedPod>();
  /** Every pod the queue knows (in any part, or in flight). */
  private readonly all = new Map<string, QueuedPod>();
  private readonly where = new Map<string, 'active' | 'backoff' | 'unschedulable' | 'inflight'>();
  private waiters: ((p: QueuedPod | undefined) => void)[] = [];
  private backoffTimer?: Timer;
  private flushTimer?: Timer;
  private closed = false;
  /** Bumped on every move request; a pod popped before the last move goes to backoff, not unschedulable. */
  private moveCycle = 0;
  private readonly popCycle = new Map<string, number>();

  constructor(private readonly opts: QueueOptions = {}) {
    this.clock = opts.clock ?? realClock;
    this.scheduleFlush();
  }

  get lengths(): { active: number; backoff: number; unschedulable: number } {
    return { active: this.active.size, backoff: this.backoff.size, unschedulable: this.unschedulable.size };
  }

  has(key: string): boolean { return this.all.has(key); }

  /** A new or changed pending pod. */
  add(key: string, pod: Pod): void {
    if (this.closed) return;
    const existing = this.all.get(key);
    if (existing) {
      existing.pod = pod;
      existing.priority = pod.spec?.priority ?? 0;
      const w = this.where.get(key);
      if (w === 'unschedulable') {
        // an update to the pod itself may make it schedulable
        this.unschedulable.delete(key);
        this.toActiveOrBackoff(existing);
      } else if (w === 'active') {
        this.active.remove(existing);
        this.active.push(existing);
      } else if (w === 'inflight') {
        // changed while being scheduled: if this attempt fails, retry after backoff rather than wait
        this.popCycle.set(key, -1);
      }
      return;
    }
    const now = this.clock.now();
    const qp: QueuedPod = { key, pod, priority: pod.spec?.priority ?? 0, initialAttemptAt: now, timestamp: now, attempts: 0, seq: 0, unschedulablePlugins: new Set(), backoffExpiry: 0 };
    this.all.set(key, qp);
    this.pushActive(qp);
  }

  delete(key: string): void {
    const qp = this.all.get(key);
    if (!qp) return;
    const w = this.where.get(key);
    if (w === 'active') this.active.remove(qp);
    else if (w === 'backoff') this.backoff.remove(qp);
    else if (w === 'unschedulable') this.unschedulable.delete(key);
    this.all.delete(key);
    this.where.delete(key);
    this.popCycle.delete(key);
  }

  /** The next pod to schedule (waits while the active queue is empty). */
  pop(): Promise<QueuedPod | undefined> {
    if (this.closed) return Promise.resolve(undefined);
    const qp = this.active.pop();
    if (qp) return Promise.resolve(this.take(qp));
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private take(qp: QueuedPod): QueuedPod {
    this.where.set(qp.key, 'inflight');
    qp.attempts++;
    this.popCycle.set(qp.key, this.moveCycle);
    return qp;
  }

  /** The pod was bound (or gone): forget it. */
  done(key: string): void {
    if (this.where.get(key) === 'inflight') { this.all.delete(key); this.where.delete(key); this.popCycle.delete(key); }
  }

  /** The pod could not be scheduled: wait for an event (or backoff, if one came during its cycle). */
  addUnschedulable(qp: QueuedPod, plugins: Set<string>): void {
    if (this.closed || this.all.get(qp.key) !== qp) return;
    qp.unschedulablePlugins = plugins;
    qp.timestamp = this.clock.now();
    qp.backoffExpiry = this.clock.now() + this.backoffDuration(qp);
    if ((this.popCycle.get(qp.key) ?? -1) < this.moveCycle) {
      this.pushBackoff(qp);
    } else {
      this.where.set(qp.key, 'unschedulable');
      this.unschedulable.set(qp.key, qp);
    }
  }

  /** An error (e.g. the binding failed): retry after backoff. */
  addBackoff(qp: QueuedPod): void {
    if (this.closed || this.all.get(qp.key) !== qp) return;
    qp.timestamp = this.clock.now();
    qp.backoffExpiry = this.clock.now() + this.backoffDuration(qp);
    this.pushBackoff(qp);
  }

  /**
   * A cluster event that may make unschedulable pods fit: move those whose failing plugins are in
   * `plugins` (all when undefined) to active (or backoff while their backoff runs).
   */
  moveAll(plugins?: string[]): void {
    this.moveCycle++;
    for (const [key, qp] of this.unschedulable) {
      if (plugins && ![...qp.unschedulablePlugins].some((p) => plugins.includes(p))) continue;
      this.unschedulable.delete(key);
      this.toActiveOrBackoff(qp);
    }
  }

  close(): void {
    this.closed = true;
    this.backoffTimer?.cancel();
    this.flushTimer?.cancel();
    for (const w of this.waiters.splice(0)) w(undefined);
  }

  backoffDuration(qp: QueuedPod): number {
    const base = this.opts.initialBackoffMs ?? 1000;
    const max = this.opts.maxBackoffMs ?? 10_000;
    let d = base;
    for (let i = 1; i < qp.attempts && d < max; i++) d *= 2;
    return Math.min(d, max);
  }

  private toActiveOrBackoff(qp: QueuedPod): void {
    if (qp.backoffExpiry > this.clock.now()) this.pushBackoff(qp);
    else this.pushActive(qp);
  }

  private seq = 0;

  private pushActive(qp: QueuedPod): void {
    qp.seq = this.seq++;
    const w = this.waiters.shift();
    if (w) { w(this.take(qp)); return; }
    this.where.set(qp.key, 'active');
    this.active.push(qp);
  }

  private pushBackoff(qp: QueuedPod): void {
    this.where.set(qp.key, 'backoff');
    this.backoff.push(qp);
    this.armBackoffTimer();
  }

  private armBackoffTimer(): void {
    const head = this.backoff.peek();
    if (!head || this.closed) return;
    this.backoffTimer?.cancel();
    this.backoffTimer = this.clock.setTimeout(() => this.flushBackoff(), Math.max(0, head.backoffExpiry - this.clock.now()));
  }

  private flushBackoff(): void {
    const now = this.clock.now();
    for (let head = this.backoff.peek(); head && head.backoffExpiry <= now; head = this.backoff.peek()) {
      this.backoff.pop();
      this.pushActive(head);
    }
    this.armBackoffTimer();
  }

  /** Every 30 s: pods unschedulable for longer than 5 min are retried. */
  private scheduleFlush(): void {
    if (this.closed) return;
    this.flushTimer = this.clock.setTimeout(() => {
      const limit = this.opts.maxUnschedulableMs ?? 5 * 60_000;
      const now = this.clock.now();
      for (const [key, qp] of this.unschedulable) {
        if (now - qp.timestamp >= limit) { this.unschedulable.delete(key); this.toActiveOrBackoff(qp); }
      }
      this.scheduleFlush();
    }, 30_000);
  }
}
