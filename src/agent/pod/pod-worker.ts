/**
 * One worker per pod: a level-triggered loop that, on every trigger (pod changed, container
 * exited, probe result changed, timer, periodic resync), reads the runtime's state and moves the
 * pod one step toward what its spec asks, then reports the status.
 *
 *                 update / exit / probe / timer / resync
 *                          ┌──────┐
 *                          ▼      │  sync hooks top→bottom (podLifecycle), stop at the first that waits;
 *   (new) ──────────►  SYNCING ───┘  status → status manager
 *                          │
 *                          │ deletionTimestamp set, removed from its source, or phase Succeeded/Failed
 *                          ▼
 *                     TERMINATING    stop hooks bottom→top: probes off, preStop + stop signal, SIGKILL
 *                          │         after the grace period, sandbox (network) down; final status
 *                          ▼
 *                     TERMINATED ─── deleted in the API: delete the object (gracePeriodSeconds 0)
 *                          │
 *                          │ gone from its source (API object removed / manifest removed)
 *                          ▼
 *                      FINISHED      cleanup hooks: containers, sandbox, volumes, pod dir removed;
 *                                    the worker is forgotten
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { Timer } from '../../util/clock.js';
import { logger, type Logger } from '../../util/log.js';
import { podLifecycle } from './hooks/index.js';
import { gracePeriodOf } from './hooks/containers-hook.js';
import { PodRuntimeState } from './runtime-state.js';
import { podDesc, type AgentServices, type PodContext, type Waiting } from './pod-context.js';
import { generatePodStatus } from '../status/pod-status.js';
import type { StatusManager } from '../status/status-manager.js';
import { podTrace, podTraceOn } from './start-trace.js';

export type WorkerState = 'syncing' | 'terminating' | 'terminated' | 'finished';

export interface PodWorkerHost {
  svc: AgentServices;
  status: StatusManager;
  /** The API object the status goes to (the pod, or a static pod's mirror); undefined when none. */
  apiPod(uid: string): Pod | undefined;
  /** Deletes the pod object in the API once it stopped (graceful deletion confirmed). */
  confirmDeletion(pod: Pod): Promise<void>;
  finished(uid: string): void;
}

const RESYNC_MS = 10_000;

export class PodWorker {
  state: WorkerState = 'syncing';
  readonly ctx: PodContext;
  private removed = false;
  private pending = false;
  private running?: Promise<void>;
  private timer?: Timer;
  private wake = Infinity;
  /** Aborted when the pod is deleted or removed, so a sync stuck in an image pull lets go. */
  private readonly stopping = new AbortController();
  syncs = 0;
  readonly log: Logger;

  constructor(pod: Pod, private readonly host: PodWorkerHost) {
    const uid = pod.metadata!.uid!;
    this.log = logger('pod-worker', { pod: `${pod.metadata?.namespace}/${pod.metadata?.name}` });
    const waiting = new Map<string, Waiting>();
    const ctx: PodContext = {
      pod, uid, podDesc: podDesc(pod), state: new PodRuntimeState([], []), svc: host.svc, log: this.log, waiting, exitSeenAt: new Map(),
      wakeAt: (ms) => { if (ms < this.wake) this.wake = ms; },
      refresh: async () => { ctx.state = await PodRuntimeState.read(host.svc.runtime, uid); },
      stopping: this.stopping.signal,
    };
    this.ctx = ctx;
  }

  get uid(): string { return this.ctx.uid; }
  get pod(): Pod { return this.ctx.pod; }

  update(pod: Pod): void {
    this.ctx.pod = pod;
    if (pod.metadata?.deletionTimestamp) this.stopping.abort();
    this.trigger();
  }

  /** The pod is gone from its source: stop it and remove everything. */
  remove(): void {
    this.removed = true;
    this.stopping.abort();
    this.trigger();
  }

  trigger(): void {
    this.pending = true;
    if (!this.running) this.running = this.loop().finally(() => { this.running = undefined; });
  }

  /** Resolves when no sync is running or pending. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  stopTimers(): void { this.timer?.cancel(); }

  private async loop(): Promise<void> {
    while (this.pending && this.state !== 'finished') {
      this.pending = false;
      try {
        await this.syncOnce();
      } catch (e) {
        this.log.warn('pod sync failed; retrying', { err: e instanceof Error ? e.stack ?? e.message : String(e) });
        this.ctx.wakeAt(this.host.svc.clock.now() + 2_000);
      }
      this.schedule();
    }
  }

  private schedule(): void {
    this.timer?.cancel();
    if (this.state === 'finished' || this.state === 'terminated') { if (!this.removed) return; }
    const clock = this.host.svc.clock;
    const at = Math.min(this.wake, clock.now() + RESYNC_MS);
    this.wake = Infinity;
    this.timer = clock.setTimeout(() => this.trigger(), Math.max(0, at - clock.now()));
  }

  private async syncOnce(): Promise<void> {
    const ctx = this.ctx;
    this.syncs++;
    await ctx.refresh();
    const deleting = !!ctx.pod.metadata?.deletionTimestamp;
    const phase = this.host.apiPod(ctx.uid)?.status?.phase ?? ctx.pod.status?.phase;
    // A pod that already finished (also before an agent restart) is never started again.
    if (this.state === 'syncing' && (deleting || this.removed || phase === 'Succeeded' || phase === 'Failed')) this.state = 'terminating';

    if (this.state === 'syncing') {
      if (podTraceOn) podTrace(ctx.podDesc, `sync${this.syncs}`);
      for (const hook of podLifecycle) {
        if (!hook.sync) continue;
        const go = await hook.sync(ctx);
        if (podTraceOn) podTrace(ctx.podDesc, `${hook.name}-done`);
        if (!go) break;
      }
      await ctx.refresh();
      const status = this.status(false);
      if (status.phase === 'Succeeded' || status.phase === 'Failed') {
        // The final status is written once everything is stopped (no Failed pod with a running container).
        this.state = 'terminating';
        this.pending = true;
        return;
      }
      await this.host.status.set(ctx.uid, this.host.apiPod(ctx.uid), status);
      if (podTraceOn) podTrace(ctx.podDesc, `status-written-${status.phase}`);
      return;
    }

    if (this.state === 'terminating') {
      const grace = ctx.pod.metadata?.deletionGracePeriodSeconds ?? gracePeriodOf(ctx);
      const errors: string[] = [];
      for (const hook of [...podLifecycle].reverse()) {
        if (!hook.stop) continue;
        try { await hook.stop(ctx, grace, deleting ? 'deleted' : 'completed'); } catch (e) { errors.push(`${hook.name}: ${(e as Error).message}`); }
      }
      await ctx.refresh();
      if (errors.length) {
        this.log.warn('stopping the pod failed; retrying', { errors: errors.join('; ') });
        ctx.wakeAt(this.host.svc.clock.now() + 2_000);
        return;
      }
      this.state = 'terminated';
      await this.host.status.set(ctx.uid, this.host.apiPod(ctx.uid), this.status(true));
      this.log.info('pod stopped', { deleting });
    }

    if (this.state === 'terminated') {
      if (deleting && !this.removed) {
        await this.host.status.flush(ctx.uid);
        await this.host.confirmDeletion(ctx.pod);
      }
      if (this.removed) {
        const errors: string[] = [];
        for (const hook of [...podLifecycle].reverse()) {
          if (!hook.cleanup) continue;
          try { await hook.cleanup(ctx); } catch (e) { errors.push(`${hook.name}: ${(e as Error).message}`); }
        }
        if (errors.length) {
          this.log.warn('pod cleanup failed; retrying', { errors: errors.join('; ') });
          ctx.wakeAt(this.host.svc.clock.now() + 2_000);
          return;
        }
        this.host.svc.backoff.forgetPrefix(`${ctx.uid}/`);
        this.host.svc.backoff.forgetPrefix(`pull/${ctx.uid}/`);
        this.host.status.forget(ctx.uid);
        this.state = 'finished';
        this.timer?.cancel();
        this.host.finished(ctx.uid);
        this.log.info('pod removed from the node');
      }
    }
  }

  private status(terminal: boolean) {
    const ctx = this.ctx;
    const probes = this.host.svc.probes;
    return generatePodStatus({
      pod: { ...ctx.pod, status: this.host.apiPod(ctx.uid)?.status ?? ctx.pod.status },
      state: ctx.state, waiting: ctx.waiting,
      ready: (id, c) => probes.ready(id, c),
      started: (id, c) => probes.started(id, c),
      nodeIp: this.host.svc.nodeIp,
      now: this.host.svc.clock.now(),
      failure: ctx.failure,
      terminal: terminal || this.state !== 'syncing',
    });
  }
}
