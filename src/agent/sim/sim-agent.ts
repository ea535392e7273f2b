/**
 * A simulated agent: N nodes in one process, no containers. Each node registers a Node object
 * (capacity, Ready conditions), renews its Lease in kube-node-lease every 10 s, and moves the pods
 * bound to it through the lifecycle stages of src/runtime/sim/stages.ts (pending → running with
 * conditions and IPs; deleting → deleted with grace 0), writing through pods/status and DELETE.
 * When the node lifecycle controller has marked a node not Ready and the node is alive, it posts
 * Ready again. Simulated and real nodes can share a cluster (the sim only touches its own nodes' pods).
 */
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../../api/object.js';
import type { KubeClient } from '../../client/types.js';
import { Resources } from '../../client/resources.js';
import { Informer } from '../../client/informer.js';
import { isAlreadyExists, isNotFound, isConflict } from '../../client/errors.js';
import type { Clock, Timer } from '../../util/clock.js';
import { realClock } from '../../util/clock.js';
import { logger } from '../../util/log.js';
import { defaultPodStages, renderStatus, selectStage, stageDelay, type PodStage } from '../../runtime/sim/stages.js';

const log = logger('sim-agent');
export const LEASE_NAMESPACE = 'kube-node-lease';

export interface SimAgentOptions {
  client: KubeClient;
  clock?: Clock;
  /** Number of nodes (default 1). */
  nodes?: number;
  /** Node names are PREFIX + index (default "sim-node-"). */
  namePrefix?: string;
  /** Index of the first node (default 0). */
  firstIndex?: number;
  /** Capacity (= allocatable) of every node. Default cpu 32, memory 256Gi, pods 110. */
  capacity?: Record<string, string>;
  /** Extra labels on every node. */
  labels?: Record<string, string>;
  /** Spread nodes over this many zones (topology.kubernetes.io/zone=zone-K); 0 = no zone label. */
  zones?: number;
  /** Taints on every node at registration. */
  taints?: { key: string; value?: string; effect: string }[];
  leaseDurationSeconds?: number;
  /** Renew each node's Lease every leaseDuration/4 (default true); also posts node status every statusReportMs. */
  renewLeases?: boolean;
  /** How often an unchanged node status is posted again (the kubelet's nodeStatusReportFrequency, default 5 min). */
  statusReportMs?: number;
  /** Run the pod lifecycle stages (default true). Off: nodes only (scheduler benchmarks). */
  simulatePods?: boolean;
  stages?: PodStage[];
  random?: () => number;
}

function rfc3339(ms: number): string { return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z'); }
function microTime(ms: number): string { return new Date(ms).toISOString().replace(/Z$/, '000Z'); }

interface SimNode {
  name: string;
  index: number;
  ip: string;
  alive: boolean;
  leaseTimer?: Timer;
  statusTimer?: Timer;
  uid?: string;
  podCounter: number;
  leaseExists: boolean;
  postingStatus: boolean;
  lastRenew?: string;
}

export class SimAgent {
  private readonly client: KubeClient;
  private readonly clock: Clock;
  private readonly nodes = new Map<string, SimNode>();
  private readonly pods: Informer<KubeObject>;
  private readonly nodeInformer: Informer<KubeObject>;
  private readonly pending = new Map<string, { stage: string; uid: string; timer: Timer }>();
  private readonly writes = new Set<Promise<unknown>>();
  private readonly stages: PodStage[];
  private readonly random: () => number;
  private stopped = false;

  constructor(private readonly opts: SimAgentOptions) {
    this.client = opts.client;
    this.clock = opts.clock ?? realClock;
    this.stages = opts.stages ?? defaultPodStages;
    this.random = opts.random ?? Math.random;
    const n = opts.nodes ?? 1;
    const first = opts.firstIndex ?? 0;
    for (let i = first; i < first + n; i++) {
      const name = `${opts.namePrefix ?? 'sim-node-'}${i}`;
      this.nodes.set(name, { name, index: i, ip: `10.${64 + ((i >> 16) & 63)}.${(i >> 8) & 255}.${i & 255}`, alive: true, podCounter: 0, leaseExists: false, postingStatus: false });
    }
    this.pods = new Informer(this.client, Resources.pods, { clock: this.clock });
    this.nodeInformer = new Informer(this.client, Resources.nodes, { clock: this.clock });
  }

  get nodeNames(): string[] { return [...this.nodes.keys()]; }

  /** The renewTime last written to a node's Lease (tests wait for informers to see it). */
  lastRenew(name: string): string | undefined { return this.nodes.get(name)?.lastRenew; }

  /** Resolves when every write started so far has finished. */
  async settled(): Promise<void> { while (this.writes.size) await Promise.allSettled([...this.writes]); }

  async start(): Promise<void> {
    // register in batches to bound concurrent requests
    const all = [...this.nodes.values()];
    for (let i = 0; i < all.length; i += 50) await Promise.all(all.slice(i, i + 50).map((n) => this.register(n)));
    this.nodeInformer.addEventHandler({
      onAdd: (o) => this.nodeChanged(o as Node),
      onUpdate: (_o, n) => this.nodeChanged(n as Node),
    });
    await this.nodeInformer.start();
    if (this.opts.renewLeases !== false) for (const n of all) { this.scheduleLease(n, 0); this.scheduleStatus(n); }
    if (this.opts.simulatePods !== false) {
      this.pods.addEventHandler({
        onAdd: (p) => this.podChanged(p as Pod),
        onUpdate: (_o, p) => this.podChanged(p as Pod),
        onDelete: (p) => this.cancel(`${p.metadata.namespace}/${p.metadata.name}`),
      });
      await this.pods.start();
    }
    log.info('simulated nodes registered', { nodes: all.length, first: all[0]?.name });
  }

  /** Stop everything (as if the agent process died): no more leases, status or pod changes. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const n of this.nodes.values()) { n.leaseTimer?.cancel(); n.statusTimer?.cancel(); }
    for (const p of this.pending.values()) p.timer.cancel();
    this.pending.clear();
    this.pods.stop();
    this.nodeInformer.stop();
    await Promise.allSettled([...this.writes]);
  }

  /** Simulate one node's agent dying (true) or coming back (false → alive). */
  setNodeAlive(name: string, alive: boolean): void {
    const n = this.nodes.get(name);
    if (!n) throw new Error(`no simulated node ${name}`);
    n.alive = alive;
    n.leaseTimer?.cancel();
    n.statusTimer?.cancel();
    if (alive) {
      if (this.opts.renewLeases !== false) { this.scheduleLease(n, 0); this.scheduleStatus(n); }
      const node = this.nodeInformer.get(name) as Node | undefined;
      if (node) this.nodeChanged(node);
      for (const p of this.pods.list()) if ((p as Pod).spec?.nodeName === name) this.podChanged(p as Pod);
    } else {
      for (const [key, p] of this.pending) {
        const pod = this.pods.get(key) as Pod | undefined;
        if (pod?.spec?.nodeName === name) { p.timer.cancel(); this.pending.delete(key); }
      }
    }
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.writes.add(p);
    void p.finally(() => this.writes.delete(p)).catch(() => undefined);
    return p;
  }

  // ---------- nodes ----------

  private nodeLabels(n: SimNode): Record<string, string> {
    const labels: Record<string, string> = {
      'kubernetes.io/hostname': n.name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64',
      'beta.kubernetes.io/os': 'linux', 'beta.kubernetes.io/arch': 'amd64', 'type': 'sim',
      ...(this.opts.labels ?? {}),
    };
    if (this.opts.zones) labels['topology.kubernetes.io/zone'] = `zone-${n.index % this.opts.zones}`;
    return labels;
  }

  private nodeStatus(n: SimNode): Record<string, unknown> {
    const now = rfc3339(this.clock.now());
    const cap = this.opts.capacity ?? { cpu: '32', memory: '256Gi', pods: '110', 'ephemeral-storage': '100Gi' };
    const current = (this.nodeInformer.get(n.name) as Node | undefined)?.status?.conditions ?? [];
    // lastTransitionTime moves only when the status does
    const cond = (type: string, status: string, reason: string, message: string) => {
      const prev = current.find((c) => c.type === type);
      return { type, status, reason, message, lastHeartbeatTime: now, lastTransitionTime: prev && prev.status === status && prev.lastTransitionTime ? prev.lastTransitionTime : now };
    };
    return {
      capacity: cap, allocatable: cap,
      conditions: [
        cond('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
        cond('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
        cond('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
        cond('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
      ],
      addresses: [{ type: 'InternalIP', address: n.ip }, { type: 'Hostname', address: n.name }],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        machineID: '', systemUUID: '', bootID: '', kernelVersion: 'sim', osImage: 'peapod simulated node', containerRuntimeVersion: 'sim://1.0',
        kubeletVersion: 'v1.33.0-peapod-sim', kubeProxyVersion: '', operatingSystem: 'linux', architecture: 'amd64',
      },
      phase: 'Running',
    };
  }

  private async register(n: SimNode): Promise<void> {
    const body: KubeObject = {
      apiVersion: 'v1', kind: 'Node',
      metadata: { name: n.name, labels: this.nodeLabels(n), annotations: { 'node.alpha.kubernetes.io/ttl': '0', 'sim.peapod.io/simulated': 'true' } },
      spec: { podCIDR: `10.${128 + ((n.index >> 8) & 127)}.${n.index & 255}.0/24`, ...(this.opts.taints?.length ? { taints: this.opts.taints } : {}) },
    };
    let node: KubeObject;
    try {
      node = await this.client.create(Resources.nodes, undefined, body);
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
      node = await this.client.get(Resources.nodes, undefined, n.name);
    }
    n.uid = node.metadata.uid;
    await this.postStatus(n);
  }

  private async postStatus(n: SimNode): Promise<void> {
    if (n.postingStatus) return;
    n.postingStatus = true;
    try {
      await this.client.patch(Resources.nodes, undefined, n.name, 'merge', { status: this.nodeStatus(n) }, { subresource: 'status' });
    } finally {
      n.postingStatus = false;
    }
  }

  private nodeChanged(node: Node): void {
    const n = this.nodes.get(node.metadata?.name ?? '');
    if (!n || !n.alive || this.stopped) return;
    n.uid = node.metadata?.uid;
    const ready = (node.status?.conditions ?? []).find((c) => c.type === 'Ready');
    if (!ready || ready.status !== 'True') {
      void this.track(this.postStatus(n)).catch((e: unknown) => log.warn('posting node status failed', { node: n.name, err: String(e) }));
    }
  }

  private scheduleLease(n: SimNode, delayMs: number): void {
    if (this.stopped || !n.alive) return;
    n.leaseTimer = this.clock.setTimeout(() => {
      void this.track(this.renewLease(n)).catch((e: unknown) => log.debug('lease renewal failed', { node: n.name, err: String(e) }))
        .finally(() => this.scheduleLease(n, (this.opts.leaseDurationSeconds ?? 40) * 250));
    }, delayMs);
  }

  private scheduleStatus(n: SimNode): void {
    if (this.stopped || !n.alive) return;
    n.statusTimer = this.clock.setTimeout(() => {
      void this.track(this.postStatus(n)).catch((e: unknown) => log.debug('posting node status failed', { node: n.name, err: String(e) }))
        .finally(() => this.scheduleStatus(n));
    }, this.opts.statusReportMs ?? 300_000);
  }

  /** Renew (or create) the node's Lease. */
  async renewLease(n: SimNode): Promise<void> {
    if (!n.alive) return;
    const now = microTime(this.clock.now());
    if (n.leaseExists) {
      try {
        await this.client.patch(Resources.leases, LEASE_NAMESPACE, n.name, 'merge', { spec: { renewTime: now, holderIdentity: n.name } });
        n.lastRenew = now;
        return;
      } catch (e) {
        if (!isNotFound(e)) throw e;
        n.leaseExists = false;
      }
    }
    try {
      await this.client.create(Resources.leases, LEASE_NAMESPACE, {
        apiVersion: 'coordination.k8s.io/v1', kind: 'Lease',
        metadata: { name: n.name, namespace: LEASE_NAMESPACE, ...(n.uid ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: n.name, uid: n.uid }] } : {}) },
        spec: { holderIdentity: n.name, leaseDurationSeconds: this.opts.leaseDurationSeconds ?? 40, renewTime: now },
      });
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
      await this.client.patch(Resources.leases, LEASE_NAMESPACE, n.name, 'merge', { spec: { renewTime: now, holderIdentity: n.name } });
    }
    n.leaseExists = true;
    n.lastRenew = now;
  }

  // ---------- pods ----------

  private cancel(key: string): void {
    const p = this.pending.get(key);
    if (p) { p.timer.cancel(); this.pending.delete(key); }
  }

  private podChanged(pod: Pod): void {
    if (this.stopped) return;
    const nodeName = pod.spec?.nodeName;
    const n = nodeName ? this.nodes.get(nodeName) : undefined;
    const key = `${pod.metadata?.namespace}/${pod.metadata?.name}`;
    if (!n || !n.alive) return;
    const stage = selectStage(this.stages, pod);
    const cur = this.pending.get(key);
    if (!stage) { this.cancel(key); return; }
    if (cur && cur.stage === stage.name && cur.uid === pod.metadata?.uid) return;
    this.cancel(key);
    const uid = pod.metadata?.uid ?? '';
    const timer = this.clock.setTimeout(() => {
      this.pending.delete(key);
      void this.track(this.fire(key, uid, stage, n)).catch((e: unknown) => {
        log.debug('stage failed', { pod: key, stage: stage.name, err: String(e) });
        const again = this.pods.get(key) as Pod | undefined;
        if (again && !isNotFound(e)) this.clock.setTimeout(() => this.podChanged(again), 1000);
      });
    }, stageDelay(stage, pod, this.random));
    this.pending.set(key, { stage: stage.name, uid, timer });
  }

  private async fire(key: string, uid: string, stage: PodStage, n: SimNode): Promise<void> {
    const pod = this.pods.get(key) as Pod | undefined;
    if (!pod || pod.metadata?.uid !== uid || !n.alive || this.stopped) return;
    if (selectStage(this.stages, pod)?.name !== stage.name) { this.podChanged(pod); return; }
    const ns = pod.metadata?.namespace ?? 'default';
    const name = pod.metadata?.name ?? '';
    if (stage.next.kind === 'delete') {
      try {
        await this.client.delete(Resources.pods, ns, name, { gracePeriodSeconds: 0, preconditions: { uid } });
      } catch (e) {
        if (!isNotFound(e) && !isConflict(e)) throw e;
      }
      return;
    }
    const podIP = pod.status?.podIP || `10.${128 + ((n.index >> 8) & 127)}.${n.index & 255}.${(n.podCounter++ % 253) + 2}`;
    const status = renderStatus(pod, stage.next.status, this.clock.now(), n.ip, podIP);
    await this.client.patch(Resources.pods, ns, name, 'merge', { status }, { subresource: 'status' });
  }
}

export async function startSimAgent(opts: SimAgentOptions): Promise<SimAgent> {
  const a = new SimAgent(opts);
  await a.start();
  return a;
}
