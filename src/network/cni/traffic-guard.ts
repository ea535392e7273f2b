/**
 * Traffic guard: pods must never reach addresses outside this machine. An nftables table
 * `inet peapod_guard_<bridge>` with a forward-hook chain rejects (ICMP admin-prohibited, so the
 * sender fails fast instead of timing out) anything forwarded from the pod subnet to an address
 * that is not in the pod subnet, the cluster CIDR (pods on other nodes, reached through the node
 * routes of ../routes.ts), the service range or the bridge's own address, and all IPv6 from
 * the bridge. Replies of connections that came in (hostPort) stay allowed.
 * Only this table is ever touched (never `flush ruleset`: iptables-nft and CNI portmap share it).
 */
import { runCommand } from '../../runtime/oci/run-command.js';

export interface GuardOptions {
  bridge: string;
  podSubnet: string;
  serviceCidr?: string;
  /** The pod subnets of all nodes (pod-to-pod across hosts); default none. */
  clusterCidr?: string;
  gateway: string;
}

export function guardTableName(bridge: string): string {
  return `peapod_guard_${bridge.replace(/[^A-Za-z0-9_]/g, '_')}`;
}

export function guardRuleset(o: GuardOptions): string {
  const allowed = [o.podSubnet, o.gateway, ...(o.clusterCidr ? [o.clusterCidr] : []), ...(o.serviceCidr ? [o.serviceCidr] : [])].join(', ');
  const table = guardTableName(o.bridge);
  return [
    `table inet ${table} {`,
    '  chain forward {',
    '    type filter hook forward priority -10; policy accept;',
    '    ct state established,related accept',
    `    ip saddr ${o.podSubnet} ip daddr { ${allowed} } accept`,
    // TCP gets a reset (the connect fails at once with ECONNREFUSED; Linux treats an ICMP error
    // to a SYN as soft and only reports it with the first retransmit, ~1 s later), the rest ICMP.
    `    ip saddr ${o.podSubnet} meta l4proto tcp counter reject with tcp reset`,
    `    ip saddr ${o.podSubnet} counter reject with icmpx type admin-prohibited`,
    `    iifname "${o.bridge}" meta nfproto ipv6 counter reject with icmpx type admin-prohibited`,
    '  }',
    '}',
    '',
  ].join('\n');
}

export async function guardInstalled(bridge: string): Promise<boolean> {
  const r = await runCommand('nft', ['list', 'table', 'inet', guardTableName(bridge)], { check: false });
  return r.code === 0;
}

/** Installs (or replaces) the guard table atomically. */
export async function installGuard(o: GuardOptions): Promise<void> {
  const table = guardTableName(o.bridge);
  // One transaction: create-if-missing, delete, recreate (so a re-install never leaves a gap).
  const script = `table inet ${table}\ndelete table inet ${table}\n${guardRuleset(o)}`;
  await runCommand('nft', ['-f', '-'], { input: script });
}

export async function removeGuard(bridge: string): Promise<void> {
  const r = await runCommand('nft', ['delete', 'table', 'inet', guardTableName(bridge)], { check: false });
  if (r.code !== 0 && !/No such file or directory/i.test(r.stderr)) throw new Error(`nft delete table: ${r.stderr.trim()}`);
}
