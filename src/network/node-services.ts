/**
 * A node's service plumbing: the service proxy (nftables) and the cluster DNS server, started next
 * to the node agent (`peapod server`'s embedded agent and `peapod agent`).
 *
 *   pod ──► 10.96.0.10:53 ──(proxy: kube-dns is node-local)──► DNS server on the bridge gateway
 *   pod ──► ClusterIP:port ──(proxy: random / ClientIP)──────► a ready endpoint
 *   127.0.0.1:NodePort ──(route_localnet on the bridge + loopback masquerade)──► an endpoint
 *
 * The DNS server binds the pod bridge's gateway address (pods reach it; nothing outside does), so
 * the bridge is created here if the first pod has not made it yet (the CNI bridge plugin accepts
 * an existing bridge with its gateway address). Each node's proxy sends kube-dns traffic to its own
 * DNS server, whatever the kube-dns endpoints say.
 */
import { writeFileSync, existsSync } from 'node:fs';
import type { KubeClient } from '../client/types.js';
import { SharedInformers } from '../client/shared-informers.js';
import { Resources } from '../client/resources.js';
import { runCommand } from '../runtime/oci/run-command.js';
import { firstHost, formatCidr, parseCidr } from './cni/ipv4.js';
import { ServiceProxy, type SyncInfo } from './proxy/service-proxy.js';
import { startDnsServer, type RunningDnsServer } from './dns/dns-server.js';
import { informerZoneView } from './dns/informer-view.js';
import { KUBE_DNS_NAME, KUBE_DNS_NAMESPACE } from './node-services-kube-dns.js';
import { logger } from '../util/log.js';

const log = logger('node-services');

export interface NodeServicesOptions {
  client: KubeClient;
  /** Reuse these informers (the controller manager's in `peapod server`); default: informers of our own. */
  informers?: SharedInformers;
  /** Pod subnet; default 10.88.0.0/16. The gateway (first host) is the DNS server's address. */
  podCidr?: string;
  /** This node's name: the service proxy's `Local` traffic policies use the endpoints on it. */
  nodeName?: string;
  /** Pod bridge; default peapod0. */
  bridge?: string;
  /** Service range; default 10.96.0.0/12. */
  serviceCidr?: string;
  /** nftables table of the proxy; default peapod_proxy_<bridge> (one per node/bridge). */
  table?: string;
  /** DNS port; default 53. */
  dnsPort?: number;
  /** Upstream resolvers for other names; default the host's /etc/resolv.conf. */
  dnsUpstream?: string[];
  /** Cluster domain; default cluster.local. */
  clusterDomain?: string;
  onProxySync?: (info: SyncInfo) => void;
}

export interface NodeServices {
  proxy: ServiceProxy;
  dns: RunningDnsServer;
  /** `IP:port` of this node's DNS server. */
  dnsAddress: { ip: string; port: number };
  stop(): Promise<void>;
}

/** Creates the bridge with its gateway address if it is not there yet (idempotent). */
export async function ensureBridge(bridge: string, gateway: string, prefix: number): Promise<void> {
  const link = await runCommand('ip', ['link', 'show', bridge], { check: false });
  if (link.code !== 0) {
    const add = await runCommand('ip', ['link', 'add', bridge, 'type', 'bridge'], { check: false });
    if (add.code !== 0 && !/exists/i.test(add.stderr)) throw new Error(`ip link add ${bridge}: ${add.stderr.trim()}`);
  }
  const addr = await runCommand('ip', ['addr', 'add', `${gateway}/${prefix}`, 'dev', bridge], { check: false });
  if (addr.code !== 0 && !/exists|already assigned/i.test(addr.stderr)) throw new Error(`ip addr add ${gateway}/${prefix} dev ${bridge}: ${addr.stderr.trim()}`);
  await runCommand('ip', ['link', 'set', bridge, 'up']);
}

export async function startNodeServices(o: NodeServicesOptions): Promise<NodeServices> {
  const bridge = o.bridge ?? 'peapod0';
  const cidr = parseCidr(o.podCidr ?? '10.88.0.0/16');
  const podCidr = formatCidr(cidr);
  const gateway = firstHost(cidr);
  const dnsPort = o.dnsPort ?? 53;
  await ensureBridge(bridge, gateway, cidr.bits);
  // NodePorts on 127.0.0.1: DNAT of a loopback-sourced packet out of the bridge needs route_localnet
  // on the outgoing device (the bridge); set per bridge, never globally.
  const localnet = `/proc/sys/net/ipv4/conf/${bridge}/route_localnet`;
  if (existsSync(localnet)) writeFileSync(localnet, '1');

  const own = !o.informers;
  const informers = o.informers ?? new SharedInformers(o.client);
  const view = informerZoneView(informers);
  const proxy = new ServiceProxy({
    informers, table: o.table ?? `peapod_proxy_${bridge.replace(/[^A-Za-z0-9_]/g, '_')}`.slice(0, 31),
    serviceCidr: o.serviceCidr, podCidr, podInterface: bridge, nodeName: o.nodeName,
    localOverrides: { [`${KUBE_DNS_NAMESPACE}/${KUBE_DNS_NAME}`]: { ip: gateway, targetPort: () => dnsPort } },
    onSync: o.onProxySync,
  });
  let dns: RunningDnsServer | undefined;
  try {
    await proxy.start();
    // the zone view's informers (services, endpointslices, namespaces): start whichever are not running
    await Promise.all([Resources.services, Resources.endpointslices, Resources.namespaces].map((r) => informers.for(r).start()));
    dns = await startDnsServer({ view, bind: gateway, port: dnsPort, zone: o.clusterDomain, upstream: o.dnsUpstream });
  } catch (err) {
    await proxy.stop().catch(() => undefined);
    if (own) informers.stop();
    throw err;
  }
  log.info('node services ready', { bridge, dns: `${gateway}:${dns.port}`, table: proxy.config.table });
  const running = dns;
  return {
    proxy, dns: running, dnsAddress: { ip: gateway, port: running.port },
    async stop() {
      await running.close().catch((e: unknown) => log.error('dns close failed', { err: String(e) }));
      await proxy.stop();
      if (own) informers.stop();
    },
  };
}
