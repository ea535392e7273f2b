/**
 * The scheduler: informers for pods, nodes, namespaces, PriorityClasses and PodDisruptionBudgets
 * feed the cache (assigned pods, nodes) and the queue (pending pods whose schedulerName is ours).
 * One loop pops the most important pending pod, runs the framework over the cache, assumes the pod
 * on the chosen node and writes the binding (POST pods/NAME/binding) in the background, so the next
 * pod is placed while earlier bindings are in flight. A pod that fits nowhere gets preemption, a
 * FailedScheduling event and a PodScheduled=False condition, and waits in the queue for an event
 * that may help it.
 */
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../api/object.js';
import type { KubeClient } from '../client/types.js';
import { Resources } from '../client/resources.js';
import { SharedInformers } from '../client/shared-informers.js';
import { dropManagedFields, type Informer } from '../client/informer.js';
import { isNotFound, isConflict } from '../client/errors.js';
import type { Clock } from '../util/clock.js';
import { realClock } from '../util/clock.js';
import { logger } from '../util/log.js';
import { SchedulerCache } from './cache.js';
import { Framework, type FrameworkOptions } from './framework.js';
import { fitErrorMessage } from './fit-error.js';
import { preempt } from './preemption.js';
import { SchedulingQueue, type QueuedPod } from './queue.js';
import { PodInfo } from './types.js';
import { createEventRecorder, type EventRecorder } from '../controllers/events.js';
import { makeLabelSelector, selectorFromMap, selectorFromSpec, type LabelSelector, type LabelSelectorSpec, type Requirement } from '../api/selectors.js';

const log = logger('scheduler');

export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';

export interface SchedulerOptions {
  client: KubeClient;
  /** Reuse the controller manager's informers (one cache per process); a new set otherwise. */
  informers?: SharedInformers;
  clock?: Clock;
  schedulerName?: string;
  /** Bindings written at once (default 256). */
  bindConcurrency?: number;
  framework?: FrameworkOptions;
  /** Backoff for unschedulable pods (default 1 s → 10 s). */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Write Scheduled/FailedScheduling events (default true). */
  events?: boolean;
}

export interface SchedulerStats {
  scheduled: number;
  failedAttempts: number;
  bindErrors: number;
  /** ms from first enqueue to a written binding, one entry per scheduled pod. */
  latenciesMs: number[];
  /** ms spent in the scheduling algorithm (filter + score) per attempt. */
  attemptMs: number[];
}

function rfc3339(ms: number): string { return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z'); }

function isTerminal(pod: Pod): boolean {
  const ph = pod.status?.phase;
  return ph === 'Succeeded' || ph === 'Failed';
}

export class Scheduler {
  readonly cache: SchedulerCache;
  readonly queue: SchedulingQueue;
  readonly framework: Framework;
  readonly stats: SchedulerStats = { scheduled: 0, failedAttempts: 0, bindErrors: 0, latenciesMs: [], attemptMs: [] };
  private readonly client: KubeClient;
  private readonly clock: Clock;
  private readonly informers: SharedInformers;
  private readonly ownInformers: boolean;
  private readonly name: string;
  private readonly pods: Informer<KubeObject>;
  private readonly nodes: Informer<KubeObject>;
  private readonly namespaces: Informer<KubeObject>;
  private readonly priorityClasses: Informer<KubeObject>;
  private readonly pdbs: Informer<KubeObject>;
  private readonly services: Informer<KubeObject>;
  private readonly replicaSets: Informer<KubeObject>;
  private readonly replicationControllers: Informer<KubeObject>;
  private readonly statefulSets: Informer<KubeObject>;
  private inflight = 0;
  private slotWaiters: (() => void)[] = [];
  private readonly pendingWrites = new Set<Promise<unknown>>();
  private loop?: Promise<void>;
  private stopped = false;
  /** Events through client-go's correlator steps (repeats counted, similar ones combined, spam filtered). */
  private readonly recorder: EventRecorder;

  constructor(private readonly opts: SchedulerOptions) {
    this.client = opts.client;
    this.clock = opts.clock ?? realClock;
    this.name = opts.schedulerName ?? DEFAULT_SCHEDULER_NAME;
    this.ownInformers = !opts.informers;
    this.informers = opts.informers ?? new SharedInformers(opts.client, this.clock, { transform: dropManagedFields });
    this.pods = this.informers.for(Resources.pods);
    this.nodes = this.informers.for(Resources.nodes);
    this.namespaces = this.informers.for(Resources.namespaces);
    this.priorityClasses = this.informers.for(Resources.priorityclasses);
    this.pdbs = this.informers.for(Resources.poddisruptionbudgets);
    this.services = this.informers.for(Resources.services);
    this.replicaSets = this.informers.for(Resources.replicasets);
    this.replicationControllers = this.informers.for(Resources.replicationcontrollers);
    this.statefulSets = this.informers.for(Resources.statefulsets);
    this.cache = new SchedulerCache((ns) => this.namespaces.get(ns)?.metadata.labels);
    this.queue = new SchedulingQueue({ clock: this.clock, initialBackoffMs: opts.initialBackoffMs, maxBackoffMs: opts.maxBackoffMs });
    this.framework = new Framework(opts.framework);
    this.recorder = createEventRecorder(this.client, this.name, this.clock);
    this.wire();
  }

  private wire(): void {
    this.nodes.addEventHandler({
      onAdd: (n) => { this.cache.addOrUpdateNode(n as Node); this.queue.moveAll(); },
      onUpdate: (o, n) => {
        this.cache.addOrUpdateNode(n as Node);
        if (nodeSchedulingChanged(o as Node, n as Node)) this.queue.moveAll();
      },
      onDelete: (n) => this.cache.removeNode(String(n.metadata.name)),
    });
    this.pods.addEventHandler({
      onAdd: (p) => this.podChanged(undefined, p as Pod),
      onUpdate: (o, p) => this.podChanged(o as Pod, p as Pod),
      onDelete: (p) => this.podDeleted(p as Pod),
    });
    this.priorityClasses.addEventHandler({ onAdd: () => this.queue.moveAll(), onUpdate: () => this.queue.moveAll() });
  }

  private key(p: Pod): string { return `${p.metadata?.namespace}/${p.metadata?.name}`; }

  private responsibleFor(p: Pod): boolean {
    return (p.spec?.schedulerName ?? DEFAULT_SCHEDULER_NAME) === this.name;
  }

  private podChanged(old: Pod | undefined, p: Pod): void {
    const key = this.key(p);
    if (p.spec?.nodeName) {
      this.queue.delete(key);
      this.cache.clearNominated(key);
      if (isTerminal(p)) { this.cache.removePod(key); this.queue.moveAll(); return; }
      const wasAssigned = !!old?.spec?.nodeName && !isTerminal(old);
      this.cache.addOrUpdatePod(p);
      // a new pod in a domain (or changed labels) can satisfy affinity terms of waiting pods
      if (!wasAssigned || JSON.stringify(old?.metadata?.labels ?? {}) !== JSON.stringify(p.metadata?.labels ?? {})) {
        this.queue.moveAll(['InterPodAffinity', 'PodTopologySpread']);
      }
      return;
    }
    if (!this.responsibleFor(p) || p.metadata?.deletionTimestamp || isTerminal(p) || (p.spec?.schedulingGates?.length ?? 0) > 0) {
      this.queue.delete(key);
      this.cache.clearNominated(key);
      return;
    }
    const nominated = p.status?.nominatedNodeName;
    if (nominated) this.cache.setNominated(new PodInfo(this.withPriority(p)), nominated);
    else this.cache.clearNominated(key);
    // our own status writes (conditions, nominatedNodeName) do not re-queue a pod
    if (old && JSON.stringify(old.spec) === JSON.stringify(p.spec) && JSON.stringify(old.metadata?.labels) === JSON.stringify(p.metadata?.labels) && this.queue.has(key)) return;
    this.queue.add(key, p);
  }

  private podDeleted(p: Pod): void {
    const key = this.key(p);
    this.queue.delete(key);
    this.cache.clearNominated(key);
    if (p.spec?.nodeName || this.cache.nodeOf(key) !== undefined) {
      this.cache.removePod(key);
      this.queue.moveAll();
    }
  }

  async start(): Promise<void> {
    if (this.ownInformers) await this.informers.start();
    else await Promise.all([this.pods, this.nodes, this.namespaces, this.priorityClasses, this.pdbs, this.services, this.replicaSets, this.replicationControllers, this.statefulSets].map((i) => i.start()));
    this.loop = this.run();
    log.info('scheduler started', { schedulerName: this.name, nodes: this.cache.nodes().length });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.queue.close();
    await this.loop;
    await Promise.allSettled([...this.pendingWrites]);
    await this.recorder.flush();
    if (this.ownInformers) this.informers.stop();
  }

  /** Resolve spec.priority from the PriorityClass when admission did not (and the preemption policy). */
  private withPriority(p: Pod): Pod {
    const spec = p.spec;
    if (!spec) return p;
    if (spec.priority !== undefined && spec.priority !== null && spec.preemptionPolicy) return p;
    let value = 0;
    let policy: string | undefined;
    const pcName = spec.priorityClassName;
    const pc = pcName ? this.priorityClasses.get(pcName) : this.priorityClasses.list().find((c) => (c as { globalDefault?: boolean }).globalDefault);
    if (pc) { value = (pc as { value?: number }).value ?? 0; policy = (pc as { preemptionPolicy?: string }).preemptionPolicy; }
    return { ...p, spec: { ...spec, priority: spec.priority ?? value, preemptionPolicy: spec.preemptionPolicy ?? policy ?? 'PreemptLowerPriority' } };
  }

  /**
   * Kubernetes' DefaultSelector: the selectors of the Services selecting the pod and of its
   * controller (ReplicaSet, ReplicationController, StatefulSet), ANDed.
   */
  private defaultSelector(p: Pod): LabelSelector | undefined {
    const ns = p.metadata?.namespace ?? 'default';
    const labels = (p.metadata?.labels ?? {}) as Record<string, string>;
    const reqs: Requirement[] = [];
    for (const svc of this.services.byIndex('namespace', ns)) {
      const sel = (svc.spec as { selector?: Record<string, string> } | undefined)?.selector;
      if (!sel || Object.keys(sel).length === 0) continue;
      const s = selectorFromMap(sel);
      if (s.matches(labels)) reqs.push(...s.requirements);
    }
    const ref = p.metadata?.ownerReferences?.find((r) => r.controller);
    if (ref) {
      const inf = ref.kind === 'ReplicaSet' ? this.replicaSets : ref.kind === 'ReplicationController' ? this.replicationControllers : ref.kind === 'StatefulSet' ? this.statefulSets : undefined;
      const owner = inf?.get(`${ns}/${ref.name}`);
      const sel = (owner?.spec as { selector?: unknown } | undefined)?.selector;
      try {
        if (sel && ref.kind === 'ReplicationController') reqs.push(...selectorFromMap(sel as Record<string, string>).requirements);
        else if (sel) reqs.push(...selectorFromSpec(sel as LabelSelectorSpec).requirements);
      } catch { /* an invalid selector adds nothing */ }
    }
    return reqs.length ? makeLabelSelector(reqs) : undefined;
  }

  private async run(): Promise<void> {
    for (;;) {
      const qp = await this.queue.pop();
      if (!qp || this.stopped) return;
      try {
        await this.scheduleOne(qp);
      } catch (err) {
        log.error('scheduling cycle failed', { pod: qp.key, err: err instanceof Error ? err.message : String(err) });
        this.queue.addBackoff(qp);
      }
    }
  }

  private async scheduleOne(qp: QueuedPod): Promise<void> {
    const current = this.pods.get(qp.key) as Pod | undefined;
    if (!current || current.spec?.nodeName || current.metadata?.deletionTimestamp) { this.queue.done(qp.key); return; }
    const info = new PodInfo(this.withPriority(current));
    if (!current.spec?.topologySpreadConstraints?.length) info.defaultSpreadSelector = this.defaultSelector(current);
    const t0 = performance.now();
    const result = this.framework.schedule(info, this.cache);
    this.record(this.stats.attemptMs, performance.now() - t0);
    if (result.node !== undefined) {
      this.cache.assume(info, result.node);
      await this.acquireSlot();
      this.track(this.bind(qp, info, result.node));
      return;
    }
    // unschedulable
    this.stats.failedAttempts++;
    const diagnosis = result.diagnosis;
    let nominated: string | undefined;
    if (result.numAllNodes > 0 && diagnosis.nodeToStatus.size > 0) {
      const pre = preempt(this.framework, info, diagnosis, this.cache, this.pdbs.list());
      diagnosis.postFilterMsg = pre.message || undefined;
      if (pre.nominatedNode) {
        nominated = pre.nominatedNode;
        this.cache.setNominated(info, nominated);
        for (const v of pre.victims) this.track(this.evictVictim(v, info, pre.nominatedNode));
      }
    }
    const message = result.numAllNodes === 0 ? 'no nodes available to schedule pods' : fitErrorMessage(result.numAllNodes, diagnosis);
    log.debug('unschedulable', { pod: qp.key, message });
    this.queue.addUnschedulable(qp, diagnosis.unschedulablePlugins.size ? diagnosis.unschedulablePlugins : new Set(['*']));
    this.track(this.recordFailure(current, message, nominated));
  }

  /** Keep the most recent samples only (a long-running server must not grow without bound). */
  private record(list: number[], v: number): void {
    list.push(v);
    if (list.length > 200_000) list.splice(0, 100_000);
  }

  private acquireSlot(): Promise<void> {
    const max = this.opts.bindConcurrency ?? 256;
    if (this.inflight < max) { this.inflight++; return Promise.resolve(); }
    return new Promise((r) => this.slotWaiters.push(() => { this.inflight++; r(); }));
  }

  private releaseSlot(): void {
    this.inflight--;
    const w = this.slotWaiters.shift();
    if (w) w();
  }

  private track(p: Promise<unknown>): void {
    this.pendingWrites.add(p);
    void p.finally(() => this.pendingWrites.delete(p));
  }

  private async bind(qp: QueuedPod, info: PodInfo, node: string): Promise<void> {
    try {
      await this.client.create(Resources.pods, info.namespace, {
        apiVersion: 'v1', kind: 'Binding',
        metadata: { name: info.name, namespace: info.namespace, uid: info.uid },
        target: { apiVersion: 'v1', kind: 'Node', name: node },
      } as KubeObject, { subresource: 'binding', name: info.name });
      this.stats.scheduled++;
      this.record(this.stats.latenciesMs, this.clock.now() - qp.initialAttemptAt);
      this.queue.done(qp.key);
      this.event(qp.pod, 'Normal', 'Scheduled', `Successfully assigned ${info.namespace}/${info.name} to ${node}`);
    } catch (err) {
      this.stats.bindErrors++;
      this.cache.forget(qp.key);
      if (isNotFound(err)) { this.queue.done(qp.key); return; }
      log.debug('binding failed', { pod: qp.key, node, err: err instanceof Error ? err.message : String(err) });
      if (isConflict(err) && /already assigned|being deleted/.test(err instanceof Error ? err.message : '')) { this.queue.done(qp.key); return; }
      this.queue.addBackoff(qp);
    } finally {
      this.releaseSlot();
    }
  }

  private async evictVictim(v: PodInfo, preemptor: PodInfo, node: string): Promise<void> {
    try {
      // as Kubernetes: the victim learns why (DisruptionTarget) before it is deleted
      const conds = (v.pod.status?.conditions ?? []).filter((c) => c.type !== 'DisruptionTarget');
      conds.push({ type: 'DisruptionTarget', status: 'True', reason: 'PreemptionByScheduler', message: `${this.name}: preempting to accommodate a higher priority pod`, lastTransitionTime: rfc3339(this.clock.now()) });
      await this.client.patch(Resources.pods, v.namespace, v.name, 'merge', { status: { conditions: conds } }, { subresource: 'status' }).catch(() => undefined);
      await this.client.delete(Resources.pods, v.namespace, v.name, { preconditions: { uid: v.uid } });
      this.event(v.pod, 'Normal', 'Preempted', `Preempted by pod ${preemptor.uid} on node ${node}`);
    } catch (err) {
      if (!isNotFound(err)) log.warn('preemption: deleting victim failed', { pod: v.key, err: err instanceof Error ? err.message : String(err) });
    }
  }

  /** PodScheduled=False (reason Unschedulable), nominatedNodeName, and the FailedScheduling event. */
  private async recordFailure(pod: Pod, message: string, nominated: string | undefined): Promise<void> {
    const ns = pod.metadata?.namespace ?? 'default';
    const name = pod.metadata?.name ?? '';
    const cond = (pod.status?.conditions ?? []).find((c) => c.type === 'PodScheduled');
    const statusPatch: Record<string, unknown> = {};
    if (!cond || cond.status !== 'False' || cond.message !== message || cond.reason !== 'Unschedulable') {
      statusPatch.conditions = [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message, lastProbeTime: null, lastTransitionTime: rfc3339(this.clock.now()) }];
    }
    if (nominated && pod.status?.nominatedNodeName !== nominated) statusPatch.nominatedNodeName = nominated;
    if (Object.keys(statusPatch).length) {
      try {
        await this.client.patch(Resources.pods, ns, name, 'strategic', { status: statusPatch }, { subresource: 'status' });
      } catch (err) {
        if (!isNotFound(err)) log.debug('updating pod status failed', { pod: `${ns}/${name}`, err: err instanceof Error ? err.message : String(err) });
      }
    }
    this.event(pod, 'Warning', 'FailedScheduling', message);
  }

  private event(pod: Pod, type: 'Normal' | 'Warning', reason: string, message: string): void {
    if (this.opts.events === false) return;
    this.recorder.event({ ...(pod as KubeObject), apiVersion: 'v1', kind: 'Pod' }, type, reason, message);
  }
}

function nodeSchedulingChanged(o: Node, n: Node): boolean {
  return JSON.stringify(o.status?.allocatable) !== JSON.stringify(n.status?.allocatable)
    || JSON.stringify(o.metadata?.labels) !== JSON.stringify(n.metadata?.labels)
    || JSON.stringify(o.spec?.taints) !== JSON.stringify(n.spec?.taints)
    || o.spec?.unschedulable !== n.spec?.unschedulable
    || JSON.stringify(o.status?.images) !== JSON.stringify(n.status?.images);
}

export async function startScheduler(opts: SchedulerOptions): Promise<Scheduler> {
  const s = new Scheduler(opts);
  await s.start();
  return s;
}
