/**
 * Node IPAM controller (Kubernetes pkg/controller/nodeipam, "RangeAllocator"): every Node without
 * `spec.podCIDR` is given the lowest free subnet of the cluster CIDR (`peapod server
 * --cluster-cidr`, default 10.42.0.0/16; a /24 per node by default) in `spec.podCIDR` and
 * `spec.podCIDRs`. Agents started without `--pod-cidr` wait for it and build their pod bridge on it;
 * the agents' route controllers route each node's podCIDR via its InternalIP.
 *
 * - Never twice: the allocation table is rebuilt from the Nodes in the informer cache (after it
 *   has synced) before the first allocation, and the Node is written with an Update on its
 *   resourceVersion (podCIDR is immutable once set, so a racing writer — e.g. a previous leader —
 *   makes this one fail with a conflict, and the retry sees the winner's CIDR).
 * - A Node that already has a podCIDR keeps it; one inside the cluster CIDR marks that subnet used
 *   (the embedded agent of `peapod server` registers with its own --pod-cidr, by default
 *   10.88.0.0/16, outside the default cluster CIDR, and is left alone).
 * - Deleting a Node releases its subnet.
 */
import type { KubeObject } from '../api/object.js';
import type { KubeClient } from '../client/types.js';
import { Resources } from '../client/resources.js';
import type { SharedInformers } from '../client/shared-informers.js';
import { WorkQueue } from '../client/work-queue.js';
import { isNotFound } from '../client/errors.js';
import type { Clock } from '../util/clock.js';
import { realClock } from '../util/clock.js';
import { logger } from '../util/log.js';
import { formatCidr, parseCidr, type Cidr } from '../network/cni/ipv4.js';
import { runController, type Reconciler, type RunningController } from './runner.js';

const log = logger('node-ipam');

export const DEFAULT_CLUSTER_CIDR = '10.42.0.0/16';
export const DEFAULT_NODE_CIDR_MASK = 24;

interface NodeSpecCidrs { podCIDR?: string; podCIDRs?: string[] }

/** The subnets of a cluster CIDR, handed out lowest first; pure bookkeeping (no API). */
export class CidrSet {
  readonly cluster: Cidr;
  readonly size: number;
  private readonly owner = new Map<number, string>();
  private readonly byNode = new Map<string, number>();

  constructor(clusterCidr: string, readonly nodeMask: number) {
    this.cluster = parseCidr(clusterCidr);
    if (nodeMask < this.cluster.bits || nodeMask > 30) throw new Error(`node CIDR mask /${nodeMask} does not fit the cluster CIDR ${formatCidr(this.cluster)}`);
    this.size = 2 ** (nodeMask - this.cluster.bits);
  }

  /** The index of `cidr` in this set, or undefined when it is not exactly one of its subnets. */
  indexOf(cidr: string): number | undefined {
    let c: Cidr;
    try { c = parseCidr(cidr); } catch { return undefined; }
    if (c.bits !== this.nodeMask) return undefined;
    const off = (c.base >>> 0) - (this.cluster.base >>> 0);
    const blk = 2 ** (32 - this.nodeMask);
    if (off < 0 || off % blk !== 0 || off / blk >= this.size) return undefined;
    return off / blk;
  }

  subnet(i: number): string { return formatCidr({ base: ((this.cluster.base >>> 0) + i * 2 ** (32 - this.nodeMask)) >>> 0, bits: this.nodeMask }); }

  /** Records `cidr` as `node`'s; false when it is outside the set or held by another node. */
  occupy(cidr: string, node: string): boolean {
    const i = this.indexOf(cidr);
    if (i === undefined) return false;
    const holder = this.owner.get(i);
    if (holder !== undefined && holder !== node) return false;
    this.owner.set(i, node);
    this.byNode.set(node, i);
    return true;
  }

  /** `node`'s subnet: the one already recorded for it, else the lowest free one (undefined when full). */
  allocate(node: string): string | undefined {
    const had = this.byNode.get(node);
    if (had !== undefined) return this.subnet(had);
    for (let i = 0; i < this.size; i++) {
      if (!this.owner.has(i)) { this.owner.set(i, node); this.byNode.set(node, i); return this.subnet(i); }
    }
    return undefined;
  }

  release(node: string): string | undefined {
    const i = this.byNode.get(node);
    if (i === undefined) return undefined;
    this.byNode.delete(node);
    if (this.owner.get(i) === node) this.owner.delete(i);
    return this.subnet(i);
  }

  heldBy(node: string): string | undefined { const i = this.byNode.get(node); return i === undefined ? undefined : this.subnet(i); }
}

export interface NodeIpamOptions {
  client: KubeClient;
  informers: SharedInformers;
  clock?: Clock;
  /** Default 10.42.0.0/16. */
  clusterCidr?: string;
  /** Prefix length of each node's subnet; default 24. */
  nodeCidrMaskSize?: number;
}

export function nodePodCidr(node: KubeObject): string | undefined {
  const s = node.spec as NodeSpecCidrs | undefined;
  return s?.podCIDR || s?.podCIDRs?.[0] || undefined;
}

export function startNodeIpamController(opts: NodeIpamOptions): RunningController & { cidrs: CidrSet } {
  const { client } = opts;
  const clock = opts.clock ?? realClock;
  const cidrs = new CidrSet(opts.clusterCidr ?? DEFAULT_CLUSTER_CIDR, opts.nodeCidrMaskSize ?? DEFAULT_NODE_CIDR_MASK);
  const nodes = opts.informers.for(Resources.nodes);
  const queue = new WorkQueue({ clock });
  const enqueue = (n: KubeObject) => queue.add(String(n.metadata.name));
  nodes.addEventHandler({ onAdd: enqueue, onUpdate: (_o, n) => enqueue(n), onDelete: enqueue });
  let rebuilt = false;

  const rebuild = () => {
    for (const n of nodes.list()) {
      const c = nodePodCidr(n);
      if (c && cidrs.indexOf(c) !== undefined && !cidrs.occupy(c, String(n.metadata.name))) {
        log.error('podCIDR held by two nodes', { node: n.metadata.name, podCIDR: c });
      }
    }
    rebuilt = true;
  };

  const reconciler: Reconciler = {
    name: 'node-ipam',
    async reconcile(name) {
      if (!nodes.hasSynced) throw new Error('node informer not synced');
      if (!rebuilt) rebuild();
      const node = nodes.get(name);
      if (!node) {
        const freed = cidrs.release(name);
        if (freed) log.info('released podCIDR', { node: name, podCIDR: freed });
        return;
      }
      const have = nodePodCidr(node);
      if (have) {
        // keep the table true to the Node (a CIDR set by someone else, or our own write landing)
        const held = cidrs.heldBy(name);
        if (held && held !== have) cidrs.release(name);
        if (cidrs.indexOf(have) !== undefined && !cidrs.occupy(have, name)) log.error('podCIDR held by two nodes', { node: name, podCIDR: have });
        return;
      }
      const cidr = cidrs.allocate(name);
      if (!cidr) {
        log.error('cluster CIDR exhausted; node gets no podCIDR', { node: name, clusterCidr: formatCidr(cidrs.cluster) });
        return { requeueAfterMs: 30_000 };
      }
      try {
        await client.update(Resources.nodes, undefined, { ...node, spec: { ...(node.spec ?? {}), podCIDR: cidr, podCIDRs: [cidr] } });
        log.info('allocated podCIDR', { node: name, podCIDR: cidr });
      } catch (err) {
        if (isNotFound(err)) { cidrs.release(name); return; }
        throw err; // conflict: retried on the fresh Node (the allocation stays reserved for it)
      }
      return undefined;
    },
  };
  return { ...runController(reconciler, queue, 1), cidrs };
}
