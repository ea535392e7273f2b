/**
 * Leader election through a coordination.k8s.io/v1 Lease, as client-go's leaderelection package
 * does it, so that several `peapod server`s on one etcd run the controllers and the scheduler
 * exactly once.
 *
 *   ┌──────────┐ acquired ┌─────────┐ renew failed for renewDeadline ┌──────┐
 *   │ standby  ├─────────►│ leading ├───────────────────────────────►│ lost │──► standby
 *   └──────────┘          └────┬────┘                                └──────┘
 *     try every retryPeriod    │ renew every retryPeriod
 *                              │ stop(): release (holder "", duration 1 s)
 *
 * - The Lease (default kube-system/peapod-controllers) holds holderIdentity, leaseDurationSeconds
 *   (15), acquireTime, renewTime and leaseTransitions. Writes are compare-and-swap on its
 *   resourceVersion, so two candidates can never both win.
 * - A candidate never trusts the renewTime written by someone else's clock: it notes when IT last
 *   saw the record change (observedTime) and takes over only when the record has not changed for
 *   leaseDurationSeconds of its own time (client-go's rule).
 * - The leader renews every retryPeriod (2 s); if it has not renewed for renewDeadline (10 s) it
 *   stops leading (its work must stop) and goes back to standby. Time comes from the Clock, with
 *   client-go's jitter (retryPeriod × [1, 1.2)) on the retries of a standby; a standby also wakes
 *   the moment the lease it watches would expire (client-go waits for its next retry), and it
 *   watches the Lease, so that its observedTime is the moment of the leader's last renewal rather
 *   than its next poll: a crashed leader is replaced leaseDuration after its last renewal.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { KubeClient, WatchHandle } from '../client/types.js';
import { Resources } from '../client/resources.js';
import { isAlreadyExists, isConflict, isNotFound } from '../client/errors.js';
import type { KubeObject } from '../api/object.js';
import type { Clock, Timer } from '../util/clock.js';
import { realClock } from '../util/clock.js';
import { logger } from '../util/log.js';

const log = logger('leader-election');

export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

export interface LeaseObject extends KubeObject {
  spec?: LeaseSpec;
}

export interface LeaderElectionOptions {
  client: KubeClient;
  clock?: Clock;
  /** This candidate's identity (default: host name + "_" + a random UUID, as client-go). */
  identity?: string;
  /** Lease namespace and name (default kube-system/peapod-controllers). */
  namespace?: string;
  name?: string;
  /** client-go defaults: 15 s, 10 s, 2 s. */
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  /** Called when this candidate becomes the leader. */
  onStartedLeading: () => void;
  /** Called when it stops leading (lost the lease, or stop(); stop() waits for it before it releases the lease). */
  onStoppedLeading: () => void | Promise<void>;
  /** Called whenever the observed leader changes (including to this candidate). */
  onNewLeader?: (identity: string) => void;
  /** Random source in [0, 1) for the jitter (tests pin it). */
  random?: () => number;
  /** Watch the Lease to see renewals as they happen (default true; see watchLease). */
  watchLease?: boolean;
}

/** MicroTime as Kubernetes writes it: RFC 3339 with microseconds, UTC. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export class LeaderElector {
  readonly identity: string;
  private readonly clock: Clock;
  private readonly ns: string;
  private readonly name: string;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly random: () => number;
  private timer?: Timer;
  private running = false;
  private leading = false;
  /** The record as last seen, and when (this clock) it last changed. */
  private observed?: LeaseObject;
  private observedKey = '';
  private observedTime = 0;
  /** When this leader last renewed successfully. */
  private lastRenew = 0;
  private reportedLeader = '';
  /** The attempt in flight (stop waits for it). */
  private inFlight: Promise<void> = Promise.resolve();
  /** A watch of the Lease: observes each renewal as it happens, not at the next retry. */
  private leaseWatch?: WatchHandle;
  private watchTimer?: Timer;

  constructor(private readonly opts: LeaderElectionOptions) {
    this.clock = opts.clock ?? realClock;
    this.identity = opts.identity ?? `${hostname()}_${randomUUID()}`;
    this.ns = opts.namespace ?? 'kube-system';
    this.name = opts.name ?? 'peapod-controllers';
    this.leaseDurationMs = opts.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = opts.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = opts.retryPeriodMs ?? 2_000;
    this.random = opts.random ?? Math.random;
    if (!(this.leaseDurationMs > this.renewDeadlineMs)) throw new Error('leader election: leaseDuration must be greater than renewDeadline');
    if (!(this.renewDeadlineMs > this.retryPeriodMs * 1.2)) throw new Error('leader election: renewDeadline must be greater than retryPeriod × 1.2');
    if (this.retryPeriodMs <= 0) throw new Error('leader election: retryPeriod must be positive');
  }

  get isLeader(): boolean { return this.leading; }

  /** Resolves when the attempt in flight (if any) is done (tests step the clock with it). */
  idle(): Promise<void> { return this.inFlight; }

  /** The holder of the lease as last observed ('' when none). */
  get leader(): string { return this.observed?.spec?.holderIdentity ?? ''; }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
    if (this.opts.watchLease !== false) this.watchLease();
  }

  /**
   * Keep a watch on the Lease: every change is observed when it happens, so that the expiry
   * (observedTime + leaseDuration) counts from the leader's last renewal rather than from when a
   * retry next looked (up to a retry period later). Polling stays the rule; the watch only
   * sharpens observedTime. A watch that ends is opened again after a retry period.
   */
  private watchLease(): void {
    if (!this.running) return;
    let handle: WatchHandle | undefined;
    try {
      handle = this.opts.client.watch<LeaseObject>(Resources.leases, this.ns, { fieldSelector: `metadata.name=${this.name}` }, (ev) => {
        if ((ev.type === 'ADDED' || ev.type === 'MODIFIED') && ev.object.metadata?.name === this.name) this.observe(ev.object);
      });
    } catch (err) {
      log.debug('lease watch failed', { err: err as Error });
    }
    this.leaseWatch = handle;
    const again = () => {
      if (!this.running || this.leaseWatch !== handle) return;
      this.watchTimer = this.clock.setTimeout(() => this.watchLease(), this.retryPeriodMs);
    };
    if (handle?.done instanceof Promise) void handle.done.then(again, again);
    else again();
  }

  /** Stop campaigning; a leader gives the lease up so that another candidate takes over at once. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.timer?.cancel();
    this.watchTimer?.cancel();
    this.leaseWatch?.stop();
    this.leaseWatch = undefined;
    await this.inFlight;
    if (this.leading) {
      this.leading = false;
      try { await this.opts.onStoppedLeading(); } catch (err) { log.error('leader callback failed', { err: err as Error }); }
      await this.release().catch((err) => log.warn('could not release the lease', { err: err as Error }));
    }
  }

  private schedule(ms: number): void {
    if (!this.running) return;
    this.timer = this.clock.setTimeout(() => {
      this.inFlight = this.step().catch((err) => log.warn('leader election step failed', { err: err as Error }));
    }, ms);
  }

  private async step(): Promise<void> {
    if (!this.running) return;
    // An attempt may hang (a server that does not answer): it counts as failed once the time left
    // before the renew deadline (for a leader; a whole renewDeadline for a candidate) has passed.
    const limit = this.leading ? Math.max(1, this.renewDeadlineMs - (this.clock.now() - this.lastRenew)) : this.renewDeadlineMs;
    let timer: Timer | undefined;
    const timedOut = new Promise<boolean>((resolve) => { timer = this.clock.setTimeout(() => resolve(false), limit); });
    const ok = await Promise.race([
      this.tryAcquireOrRenew().catch((err) => {
        log.debug('lease update failed', { lease: `${this.ns}/${this.name}`, err: err as Error });
        return false;
      }),
      timedOut,
    ]);
    timer?.cancel();
    if (!this.running) return;
    const now = this.clock.now();
    if (this.leading) {
      if (ok) this.lastRenew = now;
      else if (now - this.lastRenew >= this.renewDeadlineMs) {
        log.info('leader lost the lease (no renewal within the renew deadline)', { identity: this.identity, lease: `${this.ns}/${this.name}` });
        this.setLeading(false);
      }
      this.schedule(this.leading ? this.retryPeriodMs : this.jittered());
      return;
    }
    if (ok) {
      this.lastRenew = now;
      log.info('became the leader', { identity: this.identity, lease: `${this.ns}/${this.name}` });
      this.setLeading(true);
      this.schedule(this.retryPeriodMs);
      return;
    }
    this.schedule(Math.min(this.jittered(), this.untilExpiry(now)));
  }

  /**
   * Time until the lease held by another candidate expires in our view (observedTime +
   * leaseDuration), plus a millisecond: a candidate wakes then instead of up to a retry period later.
   */
  private untilExpiry(now: number): number {
    const spec = this.observed?.spec;
    if (!spec?.holderIdentity || spec.holderIdentity === this.identity) return Infinity;
    const duration = (spec.leaseDurationSeconds ?? Math.round(this.leaseDurationMs / 1000)) * 1000;
    return Math.max(0, this.observedTime + duration - now) + 1;
  }

  private jittered(): number {
    return this.retryPeriodMs * (1 + 0.2 * this.random());
  }

  private setLeading(v: boolean): void {
    if (this.leading === v) return;
    this.leading = v;
    try {
      const r = v ? this.opts.onStartedLeading() : this.opts.onStoppedLeading();
      if (r instanceof Promise) r.catch((err) => log.error('leader callback failed', { err: err as Error }));
    } catch (err) { log.error('leader callback failed', { err: err as Error }); }
  }

  private observe(lease: LeaseObject | undefined): void {
    const spec = lease?.spec ?? {};
    const key = JSON.stringify([spec.holderIdentity ?? '', spec.leaseDurationSeconds ?? 0, spec.acquireTime ?? '', spec.renewTime ?? '', spec.leaseTransitions ?? 0]);
    if (key !== this.observedKey) {
      this.observedKey = key;
      this.observedTime = this.clock.now();
    }
    this.observed = lease;
    const holder = spec.holderIdentity ?? '';
    if (holder && holder !== this.reportedLeader) {
      this.reportedLeader = holder;
      try { this.opts.onNewLeader?.(holder); } catch { /* the caller's own */ }
    }
  }

  /** One attempt, as client-go's tryAcquireOrRenew: true when this candidate holds the lease now. */
  private async tryAcquireOrRenew(): Promise<boolean> {
    const now = this.clock.now();
    const leaseSeconds = Math.round(this.leaseDurationMs / 1000);
    let current: LeaseObject | undefined;
    try {
      current = await this.opts.client.get<LeaseObject>(Resources.leases, this.ns, this.name);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    if (!current) {
      const lease: LeaseObject = {
        apiVersion: 'coordination.k8s.io/v1', kind: 'Lease',
        metadata: { name: this.name, namespace: this.ns },
        spec: { holderIdentity: this.identity, leaseDurationSeconds: leaseSeconds, acquireTime: microTime(now), renewTime: microTime(now), leaseTransitions: 0 },
      };
      try {
        this.observe(await this.opts.client.create<LeaseObject>(Resources.leases, this.ns, lease));
        return true;
      } catch (e) {
        if (isAlreadyExists(e)) return false;
        throw e;
      }
    }
    this.observe(current);
    const spec = current.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    const duration = (spec.leaseDurationSeconds ?? leaseSeconds) * 1000;
    const mine = holder === this.identity;
    if (holder && !mine && this.observedTime + duration > now) return false; // held by a live leader
    const next: LeaseSpec = mine
      ? { ...spec, leaseDurationSeconds: leaseSeconds, renewTime: microTime(now) }
      : {
          holderIdentity: this.identity, leaseDurationSeconds: leaseSeconds,
          acquireTime: microTime(now), renewTime: microTime(now),
          leaseTransitions: (spec.leaseTransitions ?? 0) + 1,
        };
    try {
      this.observe(await this.opts.client.update<LeaseObject>(Resources.leases, this.ns, { ...current, spec: next }));
      return true;
    } catch (e) {
      if (isConflict(e)) return false;
      throw e;
    }
  }

  /** Give the lease up (client-go ReleaseOnCancel): empty holder, 1 s duration. */
  private async release(): Promise<void> {
    const current = await this.opts.client.get<LeaseObject>(Resources.leases, this.ns, this.name);
    if (current.spec?.holderIdentity !== this.identity) return;
    const now = this.clock.now();
    await this.opts.client.update<LeaseObject>(Resources.leases, this.ns, {
      ...current,
      spec: { ...current.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: microTime(now), acquireTime: microTime(now) },
    });
  }
}
