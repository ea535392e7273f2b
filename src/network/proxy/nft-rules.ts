/**
 * The nftables program of the service proxy, as data → text (nft -f input). Kept free of I/O so the
 * rules can be unit-tested and diffed (nft-rules.test.ts loads them into a real test table). One
 * table per proxy:
 *
 *   map service_ips  { ipv4_addr . inet_proto . inet_service : verdict }   ClusterIP / externalIP:port → goto a chain
 *   map node_ports   { inet_proto . inet_service : verdict }               NodePort → goto ext chain
 *   map no_endpoint_services   { ipv4_addr . inet_proto . inet_service : verdict }   drop / goto reject_service
 *   map no_endpoint_node_ports { inet_proto . inet_service : verdict }              NodePorts without a usable endpoint
 *   chain svc-<id>   cluster policy: ip saddr { endpoint IPs } hairpin mark; meta l4proto tcp dnat to numgen random mod N map { i : IP . PORT }
 *   chain loc-<id>   local policy: the same over this node's endpoints (internal/externalTrafficPolicy Local)
 *   chain ext-<id>   NodePort + externalIPs: Cluster → masquerade mark, goto svc; Local → this node's pods
 *                    and the node itself goto svc (the node masqueraded), everyone else goto loc (client IP kept)
 *   with sessionAffinity ClientIP, per endpoint instead:
 *   chain svc-<id> / loc-<id>   ip saddr @aff-<id>-<i> goto ep-<id>-<i> ...; numgen random mod N vmap { k : goto ep-<id>-<i> }
 *   chain ep-<id>-<i>   hairpin mark; update @aff-<id>-<i> { ip saddr }; meta l4proto tcp dnat to IP:PORT
 *   set aff-<id>-<i>    the clients that last went to endpoint i (timeout = timeoutSeconds)
 *   chain services   ip daddr . meta l4proto . th dport vmap @service_ips
 *   chain node_port_services  fib daddr type local meta l4proto . th dport vmap @node_ports
 *   prerouting (nat, dstnat): services (only from the pod interface when one is given, except externalIPs)
 *     + node ports
 *   output (nat, -100): services + node ports
 *   postrouting (nat, srcnat): masquerade marked traffic (hairpin, external traffic with policy Cluster,
 *     the node's own traffic to an external destination) and loopback-sourced DNATed traffic
 *     (NodePort on 127.0.0.1, needs route_localnet=1)
 *   filter output (-99) + forward (-110) + input (-110), after every DNAT: what is still addressed to
 *     a service without a usable endpoint is dropped or rejected by the no_endpoint maps
 *   filter output + forward (priority 0): anything else still addressed to the service CIDR is
 *     rejected (TCP reset, else ICMP port unreachable) — a ClusterIP with no rule or no ready
 *     endpoint never leaves the machine and fails at once.
 *
 * A service port's commands are self-contained (`serviceRules(c, p, previous)`), so a change to one
 * service is one small transaction that never touches the others.
 */

export interface ProxyEndpoint {
  ip: string;
  port: number;
  /** Runs on this node (the endpoints `Local` traffic policies may use). */
  local?: boolean;
  /**
   * Only for `Local` policies, not in the cluster set: this node's serving terminating endpoint,
   * used because no endpoint of this node is ready while other nodes have ready ones.
   */
  localOnly?: boolean;
}
export interface ProxyServicePort {
  /** Stable id of this service port, e.g. `default/web:http:TCP` (hashed into chain names). */
  id: string;
  clusterIP?: string;
  port: number;
  nodePort?: number;
  protocol: 'TCP' | 'UDP' | 'SCTP';
  /** Usable endpoints (deduplicated, in a stable order): ready ones, else serving terminating ones (endpoint-selection.ts). */
  endpoints: ProxyEndpoint[];
  sessionAffinityClientIP?: boolean;
  /** sessionAffinityConfig.clientIP.timeoutSeconds; default 10800. */
  affinityTimeoutSeconds?: number;
  /** spec.externalIPs (IPv4): traffic to IP:port is handled like NodePort traffic. */
  externalIPs?: string[];
  /** spec.internalTrafficPolicy Local: ClusterIP traffic only to this node's endpoints. */
  internalLocal?: boolean;
  /** spec.externalTrafficPolicy Local: NodePort / externalIPs traffic only to this node's endpoints, client IP kept. */
  externalLocal?: boolean;
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
    '  map no_endpoint_services {',
    '    type ipv4_addr . inet_proto . inet_service : verdict',
    '  }',
    '  map no_endpoint_node_ports {',
    '    type inet_proto . inet_service : verdict',
    '  }',
    '  chain services {',
    '    ip daddr . meta l4proto . th dport vmap @service_ips',
    '  }',
    '  chain reject_service {',
    '    meta l4proto tcp reject with tcp reset',
    '    reject with icmp type port-unreachable',
    '  }',
    '  chain node_port_services {',
    '    fib daddr type local meta l4proto . th dport vmap @node_ports',
    '  }',
    '  chain prerouting {',
    '    type nat hook prerouting priority dstnat; policy accept;',
    // externalIPs are reached from anywhere; ClusterIPs only from the pod interface when one is given
    ...(c.podInterface ? [`    iifname "${c.podInterface}" jump services`, `    iifname != "${c.podInterface}" ip daddr != ${c.serviceCidr} jump services`] : ['    jump services']),
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
    // Services without a usable endpoint, after DNAT (output: just after the nat output hook) and
    // before any service-CIDR reject of this or another proxy's table (forward, input: as kube-proxy's -110)
    '  chain endpoint_check_out {',
    '    type filter hook output priority -99; policy accept;',
    '    ip daddr . meta l4proto . th dport vmap @no_endpoint_services',
    '  }',
    '  chain endpoint_check_fwd {',
    '    type filter hook forward priority -110; policy accept;',
    '    ip daddr . meta l4proto . th dport vmap @no_endpoint_services',
    '  }',
    '  chain endpoint_check_in {',
    '    type filter hook input priority -110; policy accept;',
    '    ip daddr . meta l4proto . th dport vmap @no_endpoint_services',
    '    fib daddr type local meta l4proto . th dport vmap @no_endpoint_node_ports',
    '  }',
    '  chain reject_unserved {',
    '    type filter hook output priority 0; policy accept;',
    ...reject,
    '  }',
    '  chain reject_unserved_fwd {',
    '    type filter hook forward priority 0; policy accept;',
    ...reject,
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

/** What one service port's program consists of: which chains route where, and the map elements. */
interface PortPlan {
  /** cluster policy chain (all endpoints), when anything uses it */
  cluster?: string;
  /** local policy chain (this node's endpoints), when a Local policy uses it */
  local?: string;
  /** external chain (NodePort / externalIPs traffic), when the service has endpoints */
  external?: string;
  /** endpoint indices with their own chain + affinity set (ClientIP affinity only) */
  endpointChains: number[];
  elements: { map: string; key: string; value?: string }[];
}

const externallyReachable = (p: ProxyServicePort) => !!p.nodePort || (p.externalIPs?.length ?? 0) > 0;
const localIndices = (p: ProxyServicePort) => p.endpoints.flatMap((e, i) => (e.local ? [i] : []));
const clusterIndices = (p: ProxyServicePort) => p.endpoints.flatMap((e, i) => (e.localOnly ? [] : [i]));

/**
 * kube-proxy's traffic policies as one plan. ClusterIP traffic goes to the cluster chain, or with
 * `internalTrafficPolicy: Local` to the local chain (no local endpoint: dropped). NodePort and
 * externalIPs traffic goes to the external chain, which masquerades and uses the cluster chain
 * (`externalTrafficPolicy: Cluster`), or keeps the client's address and uses the local chain
 * (`Local`; pods of this node and the node itself still reach every endpoint). External traffic
 * without a usable endpoint is rejected (no endpoint at all) or dropped (none on this node).
 */
function plan(p: ProxyServicePort): PortPlan {
  const id = chainId(p.id);
  // n: any usable endpoint anywhere (a localOnly endpoint implies ready ones in the cluster set)
  const n = p.endpoints.length;
  const nLocal = localIndices(p).length;
  const external = externallyReachable(p);
  const usesLocal = nLocal > 0 && (!!p.internalLocal || (external && !!p.externalLocal));
  const usesCluster = clusterIndices(p).length > 0 && (!p.internalLocal || external);
  const withChains = new Set([...(usesCluster ? clusterIndices(p) : []), ...(usesLocal ? localIndices(p) : [])]);
  const out: PortPlan = {
    cluster: usesCluster ? `svc-${id}` : undefined,
    local: usesLocal ? `loc-${id}` : undefined,
    external: n > 0 && external ? `ext-${id}` : undefined,
    endpointChains: !p.sessionAffinityClientIP ? [] : [...withChains].sort((a, b) => a - b),
    elements: [],
  };
  const pr = proto(p);
  const el = out.elements;
  if (p.clusterIP) {
    const key = `${p.clusterIP} . ${pr} . ${p.port}`;
    const internal = p.internalLocal ? out.local : out.cluster;
    if (internal) el.push({ map: 'service_ips', key, value: `goto ${internal}` });
    // no endpoint at all: the service CIDR reject answers; endpoints, but none here: dropped
    else if (n > 0) el.push({ map: 'no_endpoint_services', key, value: 'drop' });
  }
  const externalServed = n > 0 && (!p.externalLocal || nLocal > 0);
  const unserved = n === 0 ? 'goto reject_service' : 'drop';
  for (const ip of p.externalIPs ?? []) {
    const key = `${ip} . ${pr} . ${p.port}`;
    if (out.external) el.push({ map: 'service_ips', key, value: `goto ${out.external}` });
    if (!externalServed) el.push({ map: 'no_endpoint_services', key, value: unserved });
  }
  if (p.nodePort) {
    const key = `${pr} . ${p.nodePort}`;
    if (out.external) el.push({ map: 'node_ports', key, value: `goto ${out.external}` });
    if (!externalServed) el.push({ map: 'no_endpoint_node_ports', key, value: unserved });
  }
  return out;
}

function chainsOf(p: ProxyServicePort, pl: PortPlan): string[] {
  const id = chainId(p.id);
  return [...pl.endpointChains.map((i) => endpointChain(id, i)), ...[pl.cluster, pl.local, pl.external].filter((x): x is string => !!x)];
}

/**
 * Commands that (re)program one service port: its chains, affinity sets and map elements.
 * `previous` is what the table holds for this id now (omit for a new port).
 */
export function serviceRules(c: ProxyConfig, p: ProxyServicePort, previous?: ProxyServicePort): string {
  const t = `ip ${c.table}`;
  const id = chainId(p.id);
  const out: string[] = [];
  const mark = `meta mark set meta mark | 0x${MASQ_MARK.toString(16)}`;
  const pl = plan(p);
  const prev = previous ? plan(previous) : undefined;
  // stale map elements first (a map must not point at a chain while it is rebuilt or removed)
  if (previous && prev) out.push(...prev.elements.map((e) => elementDelete(t, e)));
  const chains = chainsOf(p, pl);
  for (const ch of chains) out.push(`add chain ${t} ${ch}`, `flush chain ${t} ${ch}`);
  // per-endpoint chains and affinity sets (ClientIP affinity)
  const prevAff = new Set(prev?.endpointChains ?? []);
  for (const i of pl.endpointChains) {
    const ep = p.endpoints[i];
    const ch = endpointChain(id, i);
    // a changed timeout needs a new set (an existing set's timeout cannot be changed)
    if (prevAff.has(i) && affinityTimeout(previous!) !== affinityTimeout(p)) out.push(`delete set ${t} ${affinitySet(id, i)}`);
    out.push(`add set ${t} ${affinitySet(id, i)} { type ipv4_addr; flags dynamic,timeout; timeout ${affinityTimeout(p)}s; }`);
    // another endpoint took this slot: its clients were stuck to the old one, forget them
    const was = previous?.endpoints[i];
    if (prevAff.has(i) && was && (was.ip !== ep.ip || was.port !== ep.port)) out.push(`flush set ${t} ${affinitySet(id, i)}`);
    out.push(`add rule ${t} ${ch} ip saddr ${ep.ip} ${mark}`);
    out.push(`add rule ${t} ${ch} update @${affinitySet(id, i)} { ip saddr }`);
    out.push(`add rule ${t} ${ch} meta l4proto ${proto(p)} dnat to ${ep.ip}:${ep.port}`);
  }
  // the policy chains: pick an endpoint of their set
  const pick = (chain: string, indices: number[]) => {
    if (p.sessionAffinityClientIP) {
      for (const i of indices) out.push(`add rule ${t} ${chain} ip saddr @${affinitySet(id, i)} goto ${endpointChain(id, i)}`);
      out.push(`add rule ${t} ${chain} numgen random mod ${indices.length} vmap { ${indices.map((i, k) => `${k} : goto ${endpointChain(id, i)}`).join(', ')} }`);
      return;
    }
    const eps = indices.map((i) => p.endpoints[i]);
    // hairpin: an endpoint sending to its own service is masqueraded (any endpoint of it, to keep one rule)
    out.push(`add rule ${t} ${chain} ip saddr { ${[...new Set(eps.map((e) => e.ip))].join(', ')} } ${mark}`);
    if (eps.length === 1) out.push(`add rule ${t} ${chain} meta l4proto ${proto(p)} dnat to ${eps[0].ip}:${eps[0].port}`);
    else out.push(`add rule ${t} ${chain} meta l4proto ${proto(p)} dnat to numgen random mod ${eps.length} map { ${eps.map((e, k) => `${k} : ${e.ip} . ${e.port}`).join(', ')} }`);
  };
  if (pl.cluster) pick(pl.cluster, clusterIndices(p));
  if (pl.local) pick(pl.local, localIndices(p));
  if (pl.external) {
    if (!p.externalLocal) {
      // the endpoint may be on another node: masquerade, so its reply comes back through here
      out.push(`add rule ${t} ${pl.external} ${mark}`);
      out.push(`add rule ${t} ${pl.external} goto ${pl.cluster}`);
    } else {
      // the client's address is kept; this node's pods and the node itself still reach every endpoint
      out.push(`add rule ${t} ${pl.external} ip saddr ${c.podCidr} goto ${pl.cluster}`);
      out.push(`add rule ${t} ${pl.external} fib saddr type local ${mark} goto ${pl.cluster}`);
      if (pl.local) out.push(`add rule ${t} ${pl.external} goto ${pl.local}`);
    }
  }
  // what the previous program had and this one has not (nothing references it any more)
  if (previous && prev) {
    const keep = new Set(chains);
    const stale = chainsOf(previous, prev).filter((ch) => !keep.has(ch));
    for (const ch of stale) out.push(`flush chain ${t} ${ch}`);
    for (const ch of stale) out.push(`delete chain ${t} ${ch}`);
    const keepSets = new Set(pl.endpointChains);
    for (const i of prev.endpointChains) if (!keepSets.has(i)) out.push(`delete set ${t} ${affinitySet(id, i)}`);
  }
  out.push(...pl.elements.map((e) => elementAdd(t, e)));
  return out.join('\n') + '\n';
}

function elementAdd(t: string, e: PortPlan['elements'][number]): string {
  return `add element ${t} ${e.map} { ${e.key}${e.value ? ` : ${e.value}` : ''} }`;
}

function elementDelete(t: string, e: PortPlan['elements'][number]): string {
  return `delete element ${t} ${e.map} { ${e.key} }`;
}

/** Commands that remove one service port entirely. */
export function removeServiceRules(c: ProxyConfig, p: ProxyServicePort): string {
  const t = `ip ${c.table}`;
  const id = chainId(p.id);
  const pl = plan(p);
  const chains = chainsOf(p, pl);
  const out = pl.elements.map((e) => elementDelete(t, e));
  for (const ch of chains) out.push(`flush chain ${t} ${ch}`);
  for (const ch of chains) out.push(`delete chain ${t} ${ch}`);
  for (const i of pl.endpointChains) out.push(`delete set ${t} ${affinitySet(id, i)}`);
  return out.join('\n') + '\n';
}

/** Removal of the table (idempotent: create-if-missing first). */
export function deleteTableRules(c: ProxyConfig): string {
  return `table ip ${c.table}\ndelete table ip ${c.table}\n`;
}
