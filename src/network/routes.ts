/**
 * Route controller of a node (the job of Kubernetes' cloud route controller / flannel's host-gw
 * backend, without any overlay): for every other Node that is Ready and has a `spec.podCIDR` and an
 * InternalIP, `ip route replace <podCIDR> via <InternalIP> proto 198` in this agent's network
 * namespace (its host), so pods reach pods on other hosts by pod IP through plain routing; the CNI
 * bridge plugin (isGateway) has enabled forwarding.
 *
 * - Only routes tagged with protocol 198 ("peapod") are ever replaced or deleted. At start the
 *   tagged routes left by an earlier run that no Node wants any more are deleted.
 * - A route stays while its Node exists (a Node going NotReady keeps its route: removing it would
 *   let traffic to its pods follow the default route off the host); it is removed when the Node is
 *   deleted, or replaced when its podCIDR or InternalIP changes.
 * - With `clusterCidr`, an `unreachable <clusterCidr>` route (also protocol 198) makes traffic to a
 *   pod subnet with no node route yet fail on this host instead of following its default route out.
 * - Skipped (never routed): this node; a Node whose InternalIP is loopback or this node's own IP
 *   (several nodes on one host); a podCIDR overlapping this node's own pod subnet; a destination for
 *   which a route not made by us exists (e.g. the connected route of a local bridge).
 */
import type { KubeObject } from '../api/object.js';
import type { KubeClient } from '../client/types.js';
import { Informer } from '../client/informer.js';
import { Resources } from '../client/resources.js';
import { runCommand } from '../runtime/oci/run-command.js';
import { formatCidr, parseCidr, parseIp, type Cidr } from './cni/ipv4.js';
import { logger } from '../util/log.js';

const log = logger('node-routes');

export const ROUTE_PROTO = '198';

export interface NodeRoute { dst: string; via: string; node: string }

interface NodeShape {
  spec?: { podCIDR?: string; podCIDRs?: string[] };
  status?: { addresses?: Array<{ type?: string; address?: string }>; conditions?: Array<{ type?: string; status?: string }> };
}

function overlaps(a: Cidr, b: Cidr): boolean {
  const bits = Math.min(a.bits, b.bits);
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return ((a.base & mask) >>> 0) === ((b.base & mask) >>> 0);
}

/** The route to `node`'s pods, or undefined when it gets none (see the file comment). */
export function routeFor(node: KubeObject, self: { nodeName: string; nodeIp: string; podCidr: string }): NodeRoute | undefined {
  const name = String(node.metadata.name);
  if (name === self.nodeName) return undefined;
  const n = node as unknown as NodeShape;
  const cidr = n.spec?.podCIDR || n.spec?.podCIDRs?.[0];
  const ip = n.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
  if (!cidr || !ip) return undefined;
  let dst: Cidr;
  try { dst = parseCidr(cidr); parseIp(ip); } catch { return undefined; }
  if (ip === self.nodeIp || ip.startsWith('127.')) return undefined;
  if (overlaps(dst, parseCidr(self.podCidr))) return undefined;
  return { dst: formatCidr(dst), via: ip, node: name };
}

export function isReady(node: KubeObject): boolean {
  return ((node as unknown as NodeShape).status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/** `ip` in this process's network namespace, or in the named one (`ip -n NAME`, for tests). */
function ip(netns: string | undefined, args: string[], check = true) {
  return runCommand('ip', [...(netns ? ['-n', netns] : []), ...args], { check });
}

/** Our routes in this network namespace: destination → gateway. */
async function listOwnRoutes(netns: string | undefined): Promise<Map<string, string>> {
  const r = await ip(netns, ['-4', '-j', 'route', 'show', 'proto', ROUTE_PROTO]);
  const out = new Map<string, string>();
  for (const e of JSON.parse(r.stdout || '[]') as Array<{ dst?: string; gateway?: string; type?: string }>) {
    if (e.dst && e.type !== 'unreachable') out.set(e.dst.includes('/') ? e.dst : `${e.dst}/32`, e.gateway ?? '');
  }
  return out;
}

async function foreignRouteExists(netns: string | undefined, dst: string): Promise<boolean> {
  const r = await ip(netns, ['-4', '-j', 'route', 'show', 'exact', dst], false);
  if (r.code !== 0) return false;
  const routes = JSON.parse(r.stdout || '[]') as Array<{ protocol?: string }>;
  return routes.some((e) => e.protocol !== ROUTE_PROTO && e.protocol !== 'peapod');
}

export interface NodeRoutesOptions {
  client: KubeClient;
  nodeName: string;
  nodeIp: string;
  /** This node's pod subnet (never routed elsewhere). */
  podCidr: string;
  /** Manage the routes of this named network namespace instead of our own (tests). */
  netns?: string;
  /** The cluster CIDR: `unreachable` on this host except through the node routes. */
  clusterCidr?: string;
  onSync?: (routes: NodeRoute[]) => void;
}

export class NodeRoutes {
  private readonly informer: Informer;
  private readonly installed = new Map<string, NodeRoute>();
  private running: Promise<void> = Promise.resolve();
  private pending = false;
  private stopped = false;
  private retry?: NodeJS.Timeout;

  constructor(private readonly opts: NodeRoutesOptions) {
    this.informer = new Informer(opts.client, Resources.nodes);
    const kick = () => this.schedule();
    this.informer.addEventHandler({ onAdd: kick, onUpdate: kick, onDelete: kick });
  }

  routes(): NodeRoute[] { return [...this.installed.values()]; }

  async start(): Promise<void> {
    if (this.opts.clusterCidr) await ip(this.opts.netns, ['route', 'replace', 'unreachable', formatCidr(parseCidr(this.opts.clusterCidr)), 'proto', ROUTE_PROTO]);
    for (const [dst, via] of await listOwnRoutes(this.opts.netns)) this.installed.set(dst, { dst, via, node: '' });
    await this.informer.start();
    this.schedule();
    await this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    this.informer.stop();
    await this.running;
  }

  /** One sync at a time; events arriving during a sync cause one more. */
  private schedule(): void {
    if (this.pending || this.stopped) return;
    this.pending = true;
    this.running = this.running.then(async () => {
      this.pending = false;
      if (this.stopped) return;
      try { await this.sync(); } catch (err) {
        log.error('route sync failed; retrying in 1 s', { err: err instanceof Error ? err.message : String(err) });
        clearTimeout(this.retry);
        this.retry = setTimeout(() => this.schedule(), 1000);
        this.retry.unref();
      }
    });
  }

  private async sync(): Promise<void> {
    const want = new Map<string, NodeRoute>();
    for (const node of this.informer.list()) {
      const r = routeFor(node, this.opts);
      if (!r) continue;
      const have = this.installed.get(r.dst);
      // new routes need a Ready node; an existing one stays while its Node exists
      if (!isReady(node) && !(have && have.via === r.via)) continue;
      want.set(r.dst, r);
    }
    for (const [dst, r] of this.installed) {
      if (want.get(dst)?.via === r.via) continue;
      if (!want.has(dst)) {
        const del = await ip(this.opts.netns, ['route', 'del', dst, 'proto', ROUTE_PROTO], false);
        if (del.code !== 0 && !/No such process|not found/i.test(del.stderr)) throw new Error(`ip route del ${dst}: ${del.stderr.trim()}`);
        log.info('route removed', { dst, via: r.via });
      }
      this.installed.delete(dst);
    }
    // one node's route failing (e.g. an InternalIP not on any link of this host) does not hold up the others
    const failed: string[] = [];
    for (const [dst, r] of want) {
      if (this.installed.get(dst)?.via === r.via) { this.installed.set(dst, r); continue; }
      if (!this.installed.has(dst) && await foreignRouteExists(this.opts.netns, dst)) {
        log.warn('not routing a pod subnet that already has a route here', { dst, node: r.node });
        continue;
      }
      const res = await ip(this.opts.netns, ['route', 'replace', dst, 'via', r.via, 'proto', ROUTE_PROTO], false);
      if (res.code !== 0) { failed.push(`${dst} via ${r.via} (${r.node}): ${res.stderr.trim()}`); continue; }
      this.installed.set(dst, r);
      log.info('route installed', { dst, via: r.via, node: r.node });
    }
    this.opts.onSync?.(this.routes());
    if (failed.length) {
      log.warn('routes not installed; retrying in 10 s', { failed: failed.slice(0, 5), count: failed.length });
      clearTimeout(this.retry);
      this.retry = setTimeout(() => this.schedule(), 10_000);
      this.retry.unref();
    }
  }
}
