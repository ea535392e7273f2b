/**
 * The nftables program of the service proxy, as data → text (nft -f input). Kept free of I/O so the
 * rules can be unit-tested and diffed (nft-rules.test.ts loads them into a real test table). One
 * table per proxy:
 *
 *   map service_ips  { ipv4_addr . inet_proto . inet_service : verdict }   ClusterIP:port → goto svc chain
 *   map node_ports   { inet_proto . inet_service : verdict }               NodePort → goto svc chain
 *   set no_endpoint_node_ports { inet_proto . inet_service }               NodePorts without a ready endpoint
 *   chain svc-<id>      ip saddr { endpoint IPs } hairpin mark; meta l4proto tcp dnat to numgen random mod N map { i : IP . PORT }
 *   with sessionAffinity ClientIP, per endpoint instead:
 *   chain svc-<id>      ip saddr @aff-<id>-<i> goto ep-<id>-<i> ...; numgen random mod N vmap { i : goto ep-<id>-<i> }
 *   chain ep-<id>-<i>   hairpin mark; update @aff-<id>-<i> { ip saddr }; meta l4proto tcp dnat to IP:PORT
 *   set aff-<id>-<i>    the clients that last went to endpoint i (timeout = timeoutSeconds)
 *   chain services   ip daddr . meta l4proto . th dport vmap @service_ips
 *   chain node_port_services  fib daddr type local meta l4proto . th dport vmap @node_ports
 *   prerouting (nat, dstnat): services (only from the pod interface when one is given) + node ports
 *   output (nat, -100): services + node ports
 *   postrouting (nat, srcnat): masquerade hairpin (endpoint → its own service, marked in its ep chain)
 *     and loopback-sourced DNATed traffic (NodePort on 127.0.0.1, needs route_localnet=1)
 *   filter output + forward (priority 0, after every DNAT): anything still addressed to the service
 *     CIDR is rejected (TCP reset, else ICMP port unreachable) — a ClusterIP with no rule or no
 *     ready endpoint never leaves the machine and fails at once; filter input rejects NodePorts
 *     without endpoints the same way.
 *
 * A service port's commands are self-contained (`serviceRules(c, p, previous)`), so a change to one
 * service is one small transaction that never touches the others.
 */

export interface ProxyEndpoint { ip: string; port: number }
export interface ProxyServicePort {
  /** Stable id of this service port, e.g. `default/web:http:TCP` (hashed into chain names). */
  id: string;
  clusterIP?: string;
  port: number;
  nodePort?: number;
  protocol: 'TCP' | 'UDP' | 'SCTP';
  /** Ready endpoints (deduplicated, in a stable order). */
  endpoints: ProxyEndpoint[];
  sessionAffinityClientIP?: boolean;
  /** sessionAffinityConfig.clientIP.timeoutSeconds; default 10800. */
  affinityTimeoutSeconds?: number;
}

export interface ProxyConfig {
  table: string;
  serviceCidr: string;
  podCidr: string;
  /** When set, ClusterIP DNAT in prerouting applies only to traffic arriving on this interface (the pod bridge). */
  podInterface?: string;
}

/** The packet mark bit that asks postrouting to masquerade (hairpin), as kube-proxy's 0x4000. */
export const MASQ_MARK = 0x4000;

/** Short stable chain suffix for a service port id (FNV-1a, base36). */
export function chainId(id: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) { h ^= id.charCodeAt(i); h = Math.imul(h, 0x01000193) >>> 0; }
  return h.toString(36);
}

const proto = (p: ProxyServicePort) => p.protocol.toLowerCase();
const affinityTimeout = (p: ProxyServicePort) => p.affinityTimeoutSeconds ?? 10800;

/** The table skeleton (created once, at start). */
export function baseRules(c: ProxyConfig): string {
  const mark = `0x${MASQ_MARK.toString(16)}`;
  const reject = [
    `    ip daddr ${c.serviceCidr} meta l4proto tcp reject with tcp reset`,
    `    ip daddr ${c.serviceCidr} reject with icmp type port-unreachable`,
  ];
  return [
    `table ip ${c.table} {`,
    '  map service_ips {',
    '    type ipv4_addr . inet_proto . inet_service : verdict',
    '  }',
    '  map node_ports {',
    '    type inet_proto . inet_service : verdict',
    '  }',
    '  set no_endpoint_node_ports {',
    '    type inet_proto . inet_service',
    '  }',
    '  chain services {',
    '    ip daddr . meta l4proto . th dport vmap @service_ips',
    '  }',
    '  chain node_port_services {',
    '    fib daddr type local meta l4proto . th dport vmap @node_ports',
    '  }',
    '  chain prerouting {',
    '    type nat hook prerouting priority dstnat; policy accept;',
    c.podInterface ? `    iifname "${c.podInterface}" jump services` : '    jump services',
    '    jump node_port_services',
    '  }',
    '  chain output {',
    '    type nat hook output priority -100; policy accept;',
    '    jump services',
    '    jump node_port_services',
    '  }',
    '  chain postrouting {',
    '    type nat hook postrouting priority srcnat; policy accept;',
    `    meta mark & ${mark} == ${mark} meta mark set meta mark & 0x${(~MASQ_MARK >>> 0).toString(16)} masquerade`,
    '    ip saddr 127.0.0.0/8 ct status dnat masquerade',
    '  }',
    '  chain reject_unserved {',
    '    type filter hook output priority 0; policy accept;',
    ...reject,
    '  }',
    '  chain reject_unserved_fwd {',
    '    type filter hook forward priority 0; policy accept;',
    ...reject,
    '  }',
    '  chain reject_unserved_node_ports {',
    '    type filter hook input priority 0; policy accept;',
    '    fib daddr type local meta l4proto . th dport @no_endpoint_node_ports meta l4proto tcp reject with tcp reset',
    '    fib daddr type local meta l4proto . th dport @no_endpoint_node_ports reject with icmp type port-unreachable',
    '  }',
    '}',
  ].join('\n') + '\n';
}

/** Create-or-replace of the whole table in one transaction (no window without the reject chains). */
export function installBaseRules(c: ProxyConfig): string {
  return `table ip ${c.table}\ndelete table ip ${c.table}\n${baseRules(c)}`;
}

function endpointChain(id: string, i: number) { return `ep-${id}-${i}`; }
function affinitySet(id: string, i: number) { return `aff-${id}-${i}`; }

/**
 * Commands that (re)program one service port: its chains, affinity sets and map elements.
 * `previous` is what the table holds for this id now (omit for a new port).
 */
export function serviceRules(c: ProxyConfig, p: ProxyServicePort, previous?: ProxyServicePort): string {
  const t = `ip ${c.table}`;
  const id = chainId(p.id);
  const out: string[] = [];
  const cleanup: string[] = [];
  const svcChain = `svc-${id}`;
  const mark = `meta mark set meta mark | 0x${MASQ_MARK.toString(16)}`;
  const n = p.endpoints.length;
  // Per-endpoint chains (and affinity sets) only with ClientIP affinity; otherwise the service chain
  // picks and DNATs in one rule, so the table holds one chain per service port, not one per endpoint.
  const affinity = !!p.sessionAffinityClientIP && n > 0;
  const prevAffinity = !!previous?.sessionAffinityClientIP && (previous?.endpoints.length ?? 0) > 0;
  const prevCount = previous?.endpoints.length ?? 0;
  const prevChains = prevAffinity ? prevCount : 0;
  // stale map elements first (the map must not point at a chain while it is rebuilt or removed)
  if (previous) out.push(...elementDeletes(c, previous));
  out.push(`add chain ${t} ${svcChain}`);
  out.push(`flush chain ${t} ${svcChain}`);
  if (affinity) {
    p.endpoints.forEach((ep, i) => {
      const ch = endpointChain(id, i);
      out.push(`add chain ${t} ${ch}`);
      out.push(`flush chain ${t} ${ch}`);
      // a changed timeout needs a new set (an existing set's timeout cannot be changed)
      if (prevAffinity && i < prevCount && affinityTimeout(previous!) !== affinityTimeout(p)) out.push(`delete set ${t} ${affinitySet(id, i)}`);
      out.push(`add set ${t} ${affinitySet(id, i)} { type ipv4_addr; flags dynamic,timeout; timeout ${affinityTimeout(p)}s; }`);
      // another endpoint took this slot: its clients were stuck to the old one, forget them
      const was = previous?.endpoints[i];
      if (prevAffinity && was && (was.ip !== ep.ip || was.port !== ep.port)) out.push(`flush set ${t} ${affinitySet(id, i)}`);
      out.push(`add rule ${t} ${ch} ip saddr ${ep.ip} ${mark}`);
      out.push(`add rule ${t} ${ch} update @${affinitySet(id, i)} { ip saddr }`);
      out.push(`add rule ${t} ${ch} meta l4proto ${proto(p)} dnat to ${ep.ip}:${ep.port}`);
    });
    p.endpoints.forEach((_, i) => out.push(`add rule ${t} ${svcChain} ip saddr @${affinitySet(id, i)} goto ${endpointChain(id, i)}`));
    const vmap = p.endpoints.map((_, i) => `${i} : goto ${endpointChain(id, i)}`).join(', ');
    out.push(`add rule ${t} ${svcChain} numgen random mod ${n} vmap { ${vmap} }`);
  } else if (n > 0) {
    // hairpin: an endpoint sending to its own service is masqueraded (any endpoint of it, to keep one rule)
    out.push(`add rule ${t} ${svcChain} ip saddr { ${[...new Set(p.endpoints.map((e) => e.ip))].join(', ')} } ${mark}`);
    if (n === 1) out.push(`add rule ${t} ${svcChain} meta l4proto ${proto(p)} dnat to ${p.endpoints[0].ip}:${p.endpoints[0].port}`);
    else out.push(`add rule ${t} ${svcChain} meta l4proto ${proto(p)} dnat to numgen random mod ${n} map { ${p.endpoints.map((e, i) => `${i} : ${e.ip} . ${e.port}`).join(', ')} }`);
  }
  // surplus endpoint chains and affinity sets of the previous program (nothing references them now)
  for (let i = affinity ? n : 0; i < prevChains; i++) {
    cleanup.push(`flush chain ${t} ${endpointChain(id, i)}`, `delete chain ${t} ${endpointChain(id, i)}`);
  }
  if (prevAffinity) {
    for (let i = affinity ? n : 0; i < prevCount; i++) cleanup.push(`delete set ${t} ${affinitySet(id, i)}`);
  }
  out.push(...cleanup);
  out.push(...elementAdds(c, p));
  return out.join('\n') + '\n';
}

function elementAdds(c: ProxyConfig, p: ProxyServicePort): string[] {
  const t = `ip ${c.table}`;
  const out: string[] = [];
  const svcChain = `svc-${chainId(p.id)}`;
  if (p.endpoints.length > 0) {
    if (p.clusterIP) out.push(`add element ${t} service_ips { ${p.clusterIP} . ${proto(p)} . ${p.port} : goto ${svcChain} }`);
    if (p.nodePort) out.push(`add element ${t} node_ports { ${proto(p)} . ${p.nodePort} : goto ${svcChain} }`);
  } else if (p.nodePort) {
    out.push(`add element ${t} no_endpoint_node_ports { ${proto(p)} . ${p.nodePort} }`);
  }
  return out;
}

function elementDeletes(c: ProxyConfig, p: ProxyServicePort): string[] {
  const t = `ip ${c.table}`;
  const out: string[] = [];
  if (p.endpoints.length > 0) {
    if (p.clusterIP) out.push(`delete element ${t} service_ips { ${p.clusterIP} . ${proto(p)} . ${p.port} }`);
    if (p.nodePort) out.push(`delete element ${t} node_ports { ${proto(p)} . ${p.nodePort} }`);
  } else if (p.nodePort) {
    out.push(`delete element ${t} no_endpoint_node_ports { ${proto(p)} . ${p.nodePort} }`);
  }
  return out;
}

/** Commands that remove one service port entirely. */
export function removeServiceRules(c: ProxyConfig, p: ProxyServicePort): string {
  const t = `ip ${c.table}`;
  const id = chainId(p.id);
  const out = elementDeletes(c, p);
  out.push(`flush chain ${t} svc-${id}`);
  if (p.sessionAffinityClientIP) {
    for (let i = 0; i < p.endpoints.length; i++) out.push(`flush chain ${t} ${endpointChain(id, i)}`, `delete chain ${t} ${endpointChain(id, i)}`);
    for (let i = 0; i < p.endpoints.length; i++) out.push(`delete set ${t} ${affinitySet(id, i)}`);
  }
  out.push(`delete chain ${t} svc-${id}`);
  return out.join('\n') + '\n';
}

/** Removal of the table (idempotent: create-if-missing first). */
export function deleteTableRules(c: ProxyConfig): string {
  return `table ip ${c.table}\ndelete table ip ${c.table}\n`;
}
