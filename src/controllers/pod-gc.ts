/**
 * Pod garbage collector (Kubernetes' podgc controller), every 20 s:
 *  - orphaned: pods bound to a node that does not exist (checked against the API after a 40 s
 *    quarantine, so a node that is just being created is not mistaken for a missing one) are marked
 *    Failed with a DisruptionTarget condition (DeletionByPodGC) and force-deleted;
 *  - unscheduled terminating: pods being deleted that were never bound are force-deleted;
 *  - terminated: when more than `terminatedPodThreshold` pods (default 12500) are Succeeded or
 *    Failed, the oldest are deleted down to the threshold.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../api/object.js';
import type { KubeClient } from '../client/types.js';
import { Resources } from '../client/resources.js';
import type { SharedInformers } from '../client/shared-informers.js';
import { isNotFound } from '../client/errors.js';
import type { Clock, Timer } from '../util/clock.js';
import { realClock } from '../util/clock.js';
import { logger } from '../util/log.js';

const log = logger('pod-gc');

export interface PodGcOptions {
  client: KubeClient;
  informers: SharedInformers;
  clock?: Clock;
  terminatedPodThreshold?: number;
  periodMs?: number;
  quarantineMs?: number;
}

function rfc3339(ms: number): string { return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z'); }
const isTerminated = (p: Pod) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';

export class PodGc {
  private readonly clock: Clock;
  private timer?: Timer;
  private running?: Promise<void>;
  private stopped = false;
  /** node name → when it was first seen missing */
  private readonly missingSince = new Map<string, number>();
  private readonly pods;
  private readonly nodes;

  constructor(private readonly opts: PodGcOptions) {
    this.clock = opts.clock ?? realClock;
    this.pods = opts.informers.for<KubeObject>(Resources.pods);
    this.nodes = opts.informers.for<KubeObject>(Resources.nodes);
  }

  start(): void { this.tick(); }

  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    await this.running;
  }

  private tick(): void {
    if (this.stopped) return;
    this.timer = this.clock.setTimeout(() => {
      this.running = this.gc().then(() => undefined, (e: unknown) => log.warn('pod gc failed', { err: String(e) })).finally(() => this.tick());
    }, this.opts.periodMs ?? 20_000);
  }

  /** One pass of every rule (exposed for tests). Returns the keys of deleted pods. */
  async gc(): Promise<string[]> {
    const deleted: string[] = [];
    const pods = this.pods.list() as Pod[];
    // terminated above the threshold, oldest first
    const threshold = this.opts.terminatedPodThreshold ?? 12500;
    if (threshold > 0) {
      const terminated = pods.filter((p) => isTerminated(p) && !p.metadata?.deletionTimestamp);
      if (terminated.length > threshold) {
        terminated.sort((a, b) => Date.parse(a.metadata?.creationTimestamp ?? '') - Date.parse(b.metadata?.creationTimestamp ?? '') || String(a.metadata?.name).localeCompare(String(b.metadata?.name)));
        for (const p of terminated.slice(0, terminated.length - threshold)) if (await this.forceDelete(p, undefined)) deleted.push(key(p));
      }
    }
    // orphaned: bound to a node that does not exist
    const now = this.clock.now();
    const missing = new Set<string>();
    for (const p of pods) {
      const n = p.spec?.nodeName;
      if (n && !this.nodes.get(n)) missing.add(n);
    }
    for (const n of [...this.missingSince.keys()]) if (!missing.has(n)) this.missingSince.delete(n);
    for (const n of missing) {
      const since = this.missingSince.get(n);
      if (since === undefined) { this.missingSince.set(n, now); continue; }
      if (now - since < (this.opts.quarantineMs ?? 40_000)) continue;
      // confirm with the API, not only the cache
      try { await this.opts.client.get(Resources.nodes, undefined, n); continue; } catch (e) { if (!isNotFound(e)) continue; }
      for (const p of pods) {
        if (p.spec?.nodeName !== n) continue;
        if (await this.forceDelete(p, { reason: 'DeletionByPodGC', message: 'PodGC: node no longer exists' })) deleted.push(key(p));
      }
      this.missingSince.delete(n);
    }
    // terminating and never scheduled
    for (const p of pods) {
      if (p.metadata?.deletionTimestamp && !p.spec?.nodeName && await this.forceDelete(p, undefined)) deleted.push(key(p));
    }
    return deleted;
  }

  private async forceDelete(p: Pod, condition: { reason: string; message: string } | undefined): Promise<boolean> {
    const ns = p.metadata?.namespace ?? 'default';
    const name = p.metadata?.name ?? '';
    try {
      if (condition && !isTerminated(p)) {
        const conds = (p.status?.conditions ?? []).filter((c) => c.type !== 'DisruptionTarget');
        conds.push({ type: 'DisruptionTarget', status: 'True', reason: condition.reason, message: condition.message, lastTransitionTime: rfc3339(this.clock.now()) });
        await this.opts.client.patch(Resources.pods, ns, name, 'merge', { status: { phase: 'Failed', conditions: conds } }, { subresource: 'status' }).catch(() => undefined);
      }
      await this.opts.client.delete(Resources.pods, ns, name, { gracePeriodSeconds: 0, preconditions: { uid: p.metadata?.uid } });
      log.info('deleted pod', { pod: `${ns}/${name}`, reason: condition?.reason ?? (p.metadata?.deletionTimestamp ? 'unscheduled terminating' : 'terminated pod threshold') });
      return true;
    } catch (e) {
      if (!isNotFound(e)) log.warn('deleting pod failed', { pod: `${ns}/${name}`, err: String(e) });
      return false;
    }
  }
}

function key(p: Pod): string { return `${p.metadata?.namespace}/${p.metadata?.name}`; }

export function startPodGc(opts: PodGcOptions): { stop(): Promise<void>; gc: PodGc } {
  const gc = new PodGc(opts);
  gc.start();
  return { gc, stop: () => gc.stop() };
}
