/**
 * Node lifecycle controller (Kubernetes' nodelifecycle controller, without cloud parts):
 *
 *  - health: a node is healthy while its Lease in kube-node-lease is renewed or its Ready
 *    condition's heartbeat moves. After the grace period (40 s; 60 s for a node that never posted
 *    status) without either, its Ready/MemoryPressure/DiskPressure/PIDPressure conditions become
 *    Unknown ("NodeStatusUnknown", "Kubelet stopped posting node status.") and its pods NotReady.
 *  - taints: Ready False → node.kubernetes.io/not-ready, Unknown → node.kubernetes.io/unreachable,
 *    each with NoSchedule (at once) and NoExecute (rate limited per zone: --node-eviction-rate 0.1/s,
 *    0.01/s in a partially disrupted large zone, none in a partially disrupted small zone, and none
 *    at all when every zone is fully disrupted); pressure conditions and spec.unschedulable map to
 *    their NoSchedule taints. A Ready node loses them.
 *  - taint-based eviction (node-lifecycle-taint-eviction.ts) deletes pods that do not tolerate a
 *    NoExecute taint, at once or after their tolerationSeconds.
 * All timing goes through the Clock.
 */
import type { Node, NodeCondition, Taint, Pod } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../api/object.js';
import type { KubeClient } from '../client/types.js';
import { Resources } from '../client/resources.js';
import type { SharedInformers } from '../client/shared-informers.js';
import { WorkQueue } from '../client/work-queue.js';
import { isConflict, isNotFound } from '../client/errors.js';
import type { Clock, Timer } from '../util/clock.js';
import { realClock } from '../util/clock.js';
import { logger } from '../util/log.js';
import { runController, type RunningController } from './runner.js';
import { startTaintEviction, type TaintEviction } from './node-lifecycle-taint-eviction.js';
import { createEventRecorder, type EventRecorder } from './events.js';

const log = logger('node-lifecycle');

export const TaintNodeNotReady = 'node.kubernetes.io/not-ready';
export const TaintNodeUnreachable = 'node.kubernetes.io/unreachable';
export const TaintNodeUnschedulable = 'node.kubernetes.io/unschedulable';
const conditionTaints: Record<string, { status: string; key: string }[]> = {
  Ready: [{ status: 'False', key: TaintNodeNotReady }, { status: 'Unknown', key: TaintNodeUnreachable }],
  MemoryPressure: [{ status: 'True', key: 'node.kubernetes.io/memory-pressure' }],
  DiskPressure: [{ status: 'True', key: 'node.kubernetes.io/disk-pressure' }],
  PIDPressure: [{ status: 'True', key: 'node.kubernetes.io/pid-pressure' }],
  NetworkUnavailable: [{ status: 'True', key: 'node.kubernetes.io/network-unavailable' }],
};
const MANAGED_NOSCHEDULE = new Set([...Object.values(conditionTaints).flat().map((t) => t.key), TaintNodeUnschedulable]);
const ZONE_LABEL = 'topology.kubernetes.io/zone';
const REGION_LABEL = 'topology.kubernetes.io/region';

export interface NodeLifecycleOptions {
  client: KubeClient;
  informers: SharedInformers;
  clock?: Clock;
  /** Default 40 s (--node-monitor-grace-period). */
  nodeMonitorGracePeriodMs?: number;
  /** For nodes that never posted Ready. Default 60 s. */
  nodeStartupGracePeriodMs?: number;
  /** How often health is checked. Default 5 s. */
  nodeMonitorPeriodMs?: number;
  /** NoExecute taints per second per zone. Default 0.1. */
  evictionRate?: number;
  /** In a partially disrupted zone larger than largeClusterSizeThreshold. Default 0.01. */
  secondaryEvictionRate?: number;
  largeClusterSizeThreshold?: number;
  /** Fraction of not-Ready nodes that makes a zone partially disrupted. Default 0.55. */
  unhealthyZoneThreshold?: number;
}

type ZoneState = 'Normal' | 'PartialDisruption' | 'FullDisruption';

interface Health { probeAt: number; lease?: string; heartbeat?: string; everReady: boolean }

function rfc3339(ms: number): string { return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z'); }
function zoneOf(n: Node): string {
  const l = n.metadata?.labels ?? {};
  return `${l[REGION_LABEL] ?? ''}:\x00:${l[ZONE_LABEL] ?? ''}`;
}
export function podNodeName(p: KubeObject): string[] {
  const n = (p as Pod).spec?.nodeName;
  return n ? [n] : [];
}

export function readyCondition(n: Node): NodeCondition | undefined {
  return (n.status?.conditions ?? []).find((c) => c.type === 'Ready');
}

/** A token bucket (burst 1) per zone, as Kubernetes' RateLimitedTimedQueue. */
class ZoneLimiter {
  private tokens = 1;
  private last: number;
  constructor(private qps: number, private readonly clock: Clock) { this.last = clock.now(); }
  setRate(qps: number): void { this.refill(); this.qps = qps; }
  private refill(): void {
    const now = this.clock.now();
    this.tokens = Math.min(1, this.tokens + ((now - this.last) / 1000) * this.qps);
    this.last = now;
  }
  tryAccept(): boolean {
    if (this.qps <= 0) return false;
    this.refill();
    if (this.tokens >= 1 - 1e-9) { this.tokens -= 1; return true; }
    return false;
  }
}

export class NodeLifecycleController {
  private readonly clock: Clock;
  private readonly health = new Map<string, Health>();
  private readonly limiters = new Map<string, ZoneLimiter>();
  readonly zoneStates = new Map<string, ZoneState>();
  /** Nodes waiting (in order) for a NoExecute taint, per zone. */
  private readonly taintQueue = new Map<string, string[]>();
  private timer?: Timer;
  private stopped = false;
  private monitoring?: Promise<void>;
  private readonly nodes;
  private readonly leases;
  private readonly pods;
  private readonly queue: WorkQueue;
  get noScheduleQueue(): WorkQueue { return this.queue; }
  private runner?: RunningController;
  readonly recorder: EventRecorder;
  /** Last Ready status seen per node, for the NodeReady/NodeNotReady events. */
  private readonly lastReady = new Map<string, string>();
  private eviction?: TaintEviction;

  constructor(private readonly opts: NodeLifecycleOptions) {
    this.clock = opts.clock ?? realClock;
    this.nodes = opts.informers.for<KubeObject>(Resources.nodes);
    this.leases = opts.informers.for<KubeObject>(Resources.leases);
    this.pods = opts.informers.for<KubeObject>(Resources.pods);
    this.pods.addIndexer('nodeName', podNodeName);
    this.queue = new WorkQueue({ clock: this.clock });
    this.recorder = createEventRecorder(opts.client, 'node-controller', this.clock);
    // NoSchedule taints follow conditions and spec.unschedulable at once (no rate limit)
    this.nodes.addEventHandler({
      onAdd: (n) => this.queue.add(String(n.metadata.name)),
      onUpdate: (_o, n) => this.queue.add(String(n.metadata.name)),
      onDelete: (n) => { this.health.delete(String(n.metadata.name)); },
    });
  }

  get gracePeriodMs(): number { return this.opts.nodeMonitorGracePeriodMs ?? 40_000; }

  start(): void {
    this.runner = runController({ name: 'node-lifecycle-noschedule', reconcile: (k) => this.reconcileNoSchedule(k) }, this.queue, 1);
    this.eviction = startTaintEviction({ client: this.opts.client, informers: this.opts.informers, clock: this.clock });
    this.tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    await this.monitoring;
    await this.runner?.stop();
    await this.eviction?.stop();
    await this.recorder.flush();
  }

  private tick(): void {
    if (this.stopped) return;
    this.timer = this.clock.setTimeout(() => {
      this.monitoring = this.monitorNodeHealth().catch((e: unknown) => log.warn('monitor failed', { err: String(e) })).finally(() => this.tick());
    }, this.opts.nodeMonitorPeriodMs ?? 5000);
  }

  /** One pass: update health, mark Unknown, recompute zone states, apply NoExecute taints. Exposed for tests. */
  async monitorNodeHealth(): Promise<void> {
    const now = this.clock.now();
    const nodes = this.nodes.list() as Node[];
    for (let idx = 0; idx < nodes.length; idx++) {
      const node = nodes[idx];
      const name = node.metadata?.name ?? '';
      const lease = this.leases.get(`kube-node-lease/${name}`) as { spec?: { renewTime?: string } } | undefined;
      const ready = readyCondition(node);
      const renew = lease?.spec?.renewTime;
      const hb = ready?.lastHeartbeatTime;
      let h = this.health.get(name);
      if (!h) {
        h = { probeAt: now, lease: renew, heartbeat: hb, everReady: !!ready };
        this.health.set(name, h);
      } else if (h.lease !== renew || h.heartbeat !== hb) {
        h.probeAt = now; h.lease = renew; h.heartbeat = hb;
      }
      if (ready) h.everReady = true;
      this.noteReadiness(node);
      const grace = h.everReady ? this.gracePeriodMs : (this.opts.nodeStartupGracePeriodMs ?? 60_000);
      if (now - h.probeAt > grace && ready?.status !== 'Unknown') {
        try { nodes[idx] = (await this.markUnknown(name)) ?? node; this.noteReadiness(nodes[idx]); } catch (e) { if (!isNotFound(e)) log.warn('marking node Unknown failed', { node: name, err: String(e) }); }
      }
    }
    await this.handleDisruption(nodes);
  }

  /** Kubernetes' RecordNodeStatusChange: "Node X status is now: NodeReady|NodeNotReady". */
  private noteReadiness(node: Node): void {
    const name = node.metadata?.name ?? '';
    const st = readyCondition(node)?.status === 'True' ? 'NodeReady' : 'NodeNotReady';
    const prev = this.lastReady.get(name);
    this.lastReady.set(name, st);
    if (prev === undefined || prev === st) return;
    this.recorder.event({ ...(node as KubeObject), apiVersion: 'v1', kind: 'Node' }, 'Normal', st, `Node ${name} status is now: ${st}`);
  }

  private async markUnknown(name: string): Promise<Node | undefined> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const node = await this.opts.client.get<KubeObject>(Resources.nodes, undefined, name) as Node;
      const now = rfc3339(this.clock.now());
      const conds = [...(node.status?.conditions ?? [])];
      for (const type of ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure']) {
        const i = conds.findIndex((c) => c.type === type);
        if (i < 0) {
          conds.push({ type, status: 'Unknown', reason: 'NodeStatusNeverUpdated', message: 'Kubelet never posted node status.', lastHeartbeatTime: now, lastTransitionTime: now });
        } else if (conds[i].status !== 'Unknown') {
          conds[i] = { ...conds[i], status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.', lastTransitionTime: now };
        }
      }
      try {
        const updated = await this.opts.client.update(Resources.nodes, undefined, { ...node, status: { ...node.status, conditions: conds } } as KubeObject, { subresource: 'status' }) as Node;
        log.info('node stopped posting status; conditions set to Unknown', { node: name });
        await this.markPodsNotReady(name);
        return updated;
      } catch (e) {
        if (!isConflict(e)) throw e;
      }
    }
    return undefined;
  }

  /** Pods of a node that stopped reporting are no longer Ready (endpoints drop them). */
  private async markPodsNotReady(nodeName: string): Promise<void> {
    const now = rfc3339(this.clock.now());
    for (const p of this.pods.byIndex('nodeName', nodeName) as Pod[]) {
      const conds = p.status?.conditions ?? [];
      const ready = conds.find((c) => c.type === 'Ready');
      if (!ready || ready.status === 'False') continue;
      const next = conds.map((c) => (c.type === 'Ready' ? { ...c, status: 'False', lastTransitionTime: now } : c));
      try {
        await this.opts.client.patch(Resources.pods, p.metadata?.namespace, p.metadata?.name ?? '', 'merge', { status: { conditions: next } }, { subresource: 'status' });
        this.recorder.event({ ...(p as KubeObject), apiVersion: 'v1', kind: 'Pod' }, 'Warning', 'NodeNotReady', 'Node is not ready');
      } catch (e) {
        if (!isNotFound(e)) log.debug('marking pod NotReady failed', { pod: p.metadata?.name, err: String(e) });
      }
    }
  }

  private async handleDisruption(nodes: Node[]): Promise<void> {
    const zones = new Map<string, Node[]>();
    for (const n of nodes) { const z = zoneOf(n); if (!zones.has(z)) zones.set(z, []); zones.get(z)!.push(n); }
    const notReady = (n: Node) => readyCondition(n)?.status !== 'True';
    let allFull = zones.size > 0;
    for (const [z, list] of zones) {
      const bad = list.filter(notReady).length;
      let state: ZoneState = 'Normal';
      if (bad > 0 && bad === list.length) state = 'FullDisruption';
      else if (bad > 2 && bad / list.length >= (this.opts.unhealthyZoneThreshold ?? 0.55)) state = 'PartialDisruption';
      if (state !== 'FullDisruption') allFull = false;
      if (this.zoneStates.get(z) !== state) log.info('zone state', { zone: z, state });
      this.zoneStates.set(z, state);
      let lim = this.limiters.get(z);
      if (!lim) this.limiters.set(z, (lim = new ZoneLimiter(this.opts.evictionRate ?? 0.1, this.clock)));
      const rate = state === 'PartialDisruption'
        ? (list.length > (this.opts.largeClusterSizeThreshold ?? 50) ? (this.opts.secondaryEvictionRate ?? 0.01) : 0)
        : (this.opts.evictionRate ?? 0.1);
      lim.setRate(rate);
    }
    for (const n of nodes) {
      const name = n.metadata?.name ?? '';
      const ready = readyCondition(n);
      const want = ready?.status === 'False' ? TaintNodeNotReady : ready?.status === 'Unknown' ? TaintNodeUnreachable : undefined;
      const has = (n.spec?.taints ?? []).filter((t) => t.effect === 'NoExecute' && (t.key === TaintNodeNotReady || t.key === TaintNodeUnreachable));
      if (!want || allFull) {
        // healthy again (or every zone down: assume the control plane lost the nodes, not the other way round)
        if (has.length) await this.setNoExecute(name, undefined);
        this.dequeue(zoneOf(n), name);
        continue;
      }
      if (has.length === 1 && has[0].key === want) continue;
      if (has.length > 0) { await this.setNoExecute(name, want); continue; } // swap not-ready ↔ unreachable at once
      const z = zoneOf(n);
      const q = this.taintQueue.get(z) ?? [];
      if (!q.includes(name)) q.push(name);
      this.taintQueue.set(z, q);
    }
    for (const [z, q] of this.taintQueue) {
      const lim = this.limiters.get(z);
      while (q.length && lim?.tryAccept()) {
        const name = q.shift()!;
        const n = this.nodes.get(name) as Node | undefined;
        const ready = n && readyCondition(n);
        const want = ready?.status === 'False' ? TaintNodeNotReady : ready?.status === 'Unknown' ? TaintNodeUnreachable : undefined;
        if (want) await this.setNoExecute(name, want);
      }
    }
  }

  private dequeue(zone: string, name: string): void {
    const q = this.taintQueue.get(zone);
    if (q) { const i = q.indexOf(name); if (i >= 0) q.splice(i, 1); }
  }

  private async setNoExecute(name: string, key: string | undefined): Promise<void> {
    await this.updateTaints(name, (taints) => {
      const keep = taints.filter((t) => !(t.effect === 'NoExecute' && (t.key === TaintNodeNotReady || t.key === TaintNodeUnreachable)));
      if (key) {
        const old = taints.find((t) => t.effect === 'NoExecute' && t.key === key);
        keep.push(old ?? { key, effect: 'NoExecute', timeAdded: rfc3339(this.clock.now()) });
      }
      return keep;
    });
  }

  private async reconcileNoSchedule(name: string): Promise<void> {
    const node = this.nodes.get(name) as Node | undefined;
    if (!node) return;
    const desired = new Set<string>();
    for (const c of node.status?.conditions ?? []) for (const m of conditionTaints[c.type] ?? []) if (c.status === m.status) desired.add(m.key);
    if (node.spec?.unschedulable) desired.add(TaintNodeUnschedulable);
    const current = new Set((node.spec?.taints ?? []).filter((t) => t.effect === 'NoSchedule' && MANAGED_NOSCHEDULE.has(t.key)).map((t) => t.key));
    if (desired.size === current.size && [...desired].every((k) => current.has(k))) return;
    await this.updateTaints(name, (taints) => {
      const out = taints.filter((t) => !(t.effect === 'NoSchedule' && MANAGED_NOSCHEDULE.has(t.key) && !desired.has(t.key)));
      // as Kubernetes: NoSchedule taints carry no timeAdded (only NoExecute ones do)
      for (const k of desired) if (!out.some((t) => t.effect === 'NoSchedule' && t.key === k)) out.push({ key: k, effect: 'NoSchedule' });
      return out;
    });
  }

  private async updateTaints(name: string, edit: (taints: Taint[]) => Taint[]): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      let node: Node;
      try { node = await this.opts.client.get<KubeObject>(Resources.nodes, undefined, name) as Node; } catch (e) { if (isNotFound(e)) return; throw e; }
      const before = node.spec?.taints ?? [];
      const after = edit([...before]);
      if (JSON.stringify(before) === JSON.stringify(after)) return;
      const spec = { ...(node.spec ?? {}), taints: after.length ? after : undefined };
      try {
        await this.opts.client.update(Resources.nodes, undefined, { ...node, spec } as KubeObject);
        return;
      } catch (e) {
        if (!isConflict(e) || attempt >= 4) throw e;
      }
    }
  }
}

export function startNodeLifecycleController(opts: NodeLifecycleOptions): RunningController & { controller: NodeLifecycleController } {
  const c = new NodeLifecycleController(opts);
  c.start();
  return { controller: c, queue: c.noScheduleQueue, stop: () => c.stop() };
}
