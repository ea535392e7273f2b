/**
 * Pod networking through the standard CNI plugins, called directly (no CNI library): a chain of
 * `bridge` (+ `host-local` IPAM) and `portmap` (prevResult passed along, as a conflist runner does),
 * plus `loopback` for `lo`. DEL runs the chain in reverse and is idempotent, also once the netns is gone.
 * `setup()` installs the traffic guard before any pod is attached; `teardown()` removes the guard
 * and the bridge. The bridge's MAC is pinned at the first attach (./bridge-mac.ts).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { runCommand } from '../../runtime/oci/run-command.js';
import { isMountPoint } from '../../runtime/oci/mounts.js';
import { invokePlugin, type CniResult } from './plugin.js';
import { firstHost, formatCidr, parseCidr } from './ipv4.js';
import { guardInstalled, installGuard, removeGuard } from './traffic-guard.js';
import { pinBridgeMac } from './bridge-mac.js';

/** How long a seen guard table is trusted before the next attach lists it again. */
const GUARD_RECHECK_MS = 10_000;

export interface BridgeNetworkOptions {
  /** Host-local IPAM state dir (under the peapod data dir, e.g. DATA/cni). Required. */
  dataDir: string;
  /** Bridge name; default `peapod0`. */
  bridge?: string;
  /** Pod subnet; default `10.88.0.0/16`. */
  subnet?: string;
  /** Service range pods may send to (DNATed by the service proxy); default none. */
  serviceCidr?: string;
  /** The cluster CIDR: pods on other nodes the guard lets pods reach (routed by the host); default none. */
  clusterCidr?: string;
  /** CNI network name (host-local keys its state by it); default `peapod`. */
  networkName?: string;
  /** Plugin directory; default `/usr/lib/cni`. */
  pluginDir?: string;
  /** Hairpin mode on the bridge ports; default true. */
  hairpinMode?: boolean;
}

export interface PodPortMapping {
  hostPort: number;
  containerPort: number;
  protocol?: 'TCP' | 'UDP' | 'SCTP';
  hostIP?: string;
}

export interface AttachResult {
  ip: string;
  /** CNI result of the last plugin of the chain (keep it for DEL). */
  result: CniResult;
}

export class BridgeNetwork {
  readonly bridge: string;
  readonly subnet: string;
  readonly gateway: string;
  readonly name: string;
  private readonly pluginDir: string;
  private ready = false;
  /** When the guard table was last seen (or made) by this process; it is listed again after GUARD_RECHECK_MS. */
  private guardSeenAt = 0;
  private setupInFlight?: Promise<void>;
  /** The bridge's MAC was pinned by this process (it stays pinned: see ./bridge-mac.ts). */
  private macPinned = false;

  constructor(private readonly opts: BridgeNetworkOptions) {
    if (!opts.dataDir) throw new Error('BridgeNetwork: dataDir is required');
    this.bridge = opts.bridge ?? 'peapod0';
    if (!/^[A-Za-z0-9_.-]{1,15}$/.test(this.bridge)) throw new Error(`BridgeNetwork: invalid bridge name ${JSON.stringify(this.bridge)}`);
    const cidr = parseCidr(opts.subnet ?? '10.88.0.0/16');
    this.subnet = formatCidr(cidr);
    this.gateway = firstHost(cidr);
    if (opts.serviceCidr) parseCidr(opts.serviceCidr);
    if (opts.clusterCidr) parseCidr(opts.clusterCidr);
    this.name = opts.networkName ?? 'peapod';
    this.pluginDir = opts.pluginDir ?? '/usr/lib/cni';
  }

  /**
   * Installs the traffic guard (before any pod can send). Idempotent. Once installed, the table is
   * listed again (one `nft` launch) only when GUARD_RECHECK_MS have passed or an attach failed, not
   * on every attach; concurrent calls share one check.
   */
  async setup(): Promise<void> {
    if (this.ready && Date.now() - this.guardSeenAt < GUARD_RECHECK_MS) return;
    this.setupInFlight ??= this.checkOrInstallGuard().finally(() => { this.setupInFlight = undefined; });
    return this.setupInFlight;
  }

  private async checkOrInstallGuard(): Promise<void> {
    if (this.ready && await guardInstalled(this.bridge)) { this.guardSeenAt = Date.now(); return; }
    mkdirSync(this.opts.dataDir, { recursive: true });
    await installGuard({ bridge: this.bridge, podSubnet: this.subnet, serviceCidr: this.opts.serviceCidr, clusterCidr: this.opts.clusterCidr, gateway: this.gateway });
    this.ready = true;
    this.guardSeenAt = Date.now();
  }

  /** Removes the guard table and the bridge. Pods must have been detached first. */
  async teardown(): Promise<void> {
    await removeGuard(this.bridge);
    const r = await runCommand('ip', ['link', 'del', this.bridge], { check: false });
    if (r.code !== 0 && !/Cannot find device|does not exist/i.test(r.stderr)) throw new Error(`ip link del ${this.bridge}: ${r.stderr.trim()}`);
    this.ready = false;
    this.guardSeenAt = 0;
    this.macPinned = false;
  }

  private bridgeConf(): Record<string, unknown> & { type: string } {
    return {
      cniVersion: '1.0.0', name: this.name, type: 'bridge', bridge: this.bridge,
      isGateway: true, ipMasq: false, hairpinMode: this.opts.hairpinMode ?? true,
      ipam: {
        type: 'host-local',
        ranges: [[{ subnet: this.subnet, gateway: this.gateway }]],
        routes: [{ dst: '0.0.0.0/0' }],
        dataDir: this.opts.dataDir,
      },
    };
  }

  private portmapConf(ports: PodPortMapping[], prevResult?: CniResult): Record<string, unknown> & { type: string } {
    return {
      cniVersion: '1.0.0', name: this.name, type: 'portmap',
      capabilities: { portMappings: true }, snat: true,
      runtimeConfig: {
        portMappings: ports.map((p) => ({
          hostPort: p.hostPort, containerPort: p.containerPort,
          protocol: (p.protocol ?? 'TCP').toLowerCase(), ...(p.hostIP ? { hostIP: p.hostIP } : {}),
        })),
      },
      ...(prevResult ? { prevResult } : {}),
    };
  }

  private loopbackConf(): Record<string, unknown> & { type: string } {
    return { cniVersion: '1.0.0', name: 'lo', type: 'loopback' };
  }

  /** Attaches a pod's netns: lo up (unless `opts.loopbackUp`), eth0 on the bridge with an address, hostPorts. */
  async attach(podId: string, netns: string, ports: PodPortMapping[] = [], opts: { loopbackUp?: boolean } = {}): Promise<AttachResult> {
    await this.setup();
    const base = { pluginDir: this.pluginDir, command: 'ADD' as const, containerId: podId, netns };
    try {
      // `loopbackUp`: the caller brought lo up when it made the namespace (one process launch less).
      if (!opts.loopbackUp) await invokePlugin({ ...base, ifName: 'lo', config: this.loopbackConf() });
      let result = await invokePlugin({ ...base, ifName: 'eth0', config: this.bridgeConf() });
      if (!result) throw new Error('bridge plugin returned no result');
      // before any container of this pod runs: a later pod's lower veth MAC must not move the gateway's MAC
      if (!this.macPinned) { await pinBridgeMac(this.bridge); this.macPinned = true; }
      if (ports.length) {
        const pm = await invokePlugin({ ...base, ifName: 'eth0', config: this.portmapConf(ports, result) });
        if (pm) result = pm;
      }
      const ip = result.ips?.find((i) => !i.address.includes(':'))?.address.split('/')[0];
      if (!ip) throw new Error(`bridge plugin gave no IPv4 address: ${JSON.stringify(result)}`);
      return { ip, result };
    } catch (e) {
      this.guardSeenAt = 0; // check the guard again at the next attach
      await this.detach(podId, netns, ports).catch(() => undefined);
      throw e;
    }
  }

  /** Detaches a pod (reverse order). Idempotent; works after the netns is gone. */
  async detach(podId: string, netns: string | undefined, ports: PodPortMapping[] = [], prevResult?: CniResult): Promise<void> {
    // Only a live namespace mount counts: after a reboot (or an unmount) the file may stay behind,
    // and the plugins reject a path that is not an nsfs file.
    const ns = netns && existsSync(netns) && isMountPoint(netns) ? netns : '';
    const base = { pluginDir: this.pluginDir, command: 'DEL' as const, containerId: podId, netns: ns };
    const errors: unknown[] = [];
    if (ports.length) {
      await invokePlugin({ ...base, ifName: 'eth0', config: this.portmapConf(ports, prevResult) }).catch((e) => errors.push(e));
    }
    await invokePlugin({ ...base, ifName: 'eth0', config: { ...this.bridgeConf(), ...(prevResult ? { prevResult } : {}) } }).catch((e) => errors.push(e));
    if (ns) await invokePlugin({ ...base, ifName: 'lo', config: this.loopbackConf() }).catch((e) => errors.push(e));
    if (errors.length) throw errors[0];
  }
}
