/**
 * The nftables program of the service proxy, as data → text (nft -f input). Kept free of I/O so the
 * rules can be unit-tested and diffed. Layout (one table per proxy):
 *
 *   map service_ips  { ipv4_addr . inet_proto . inet_service : verdict }   ClusterIP:port → goto svc chain
 *   map node_ports   { inet_proto . inet_service : verdict }               NodePort → goto svc chain
 *   chain svc-<id>   numgen random mod N vmap { i : goto ep-<id>-<i> }       (ClientIP affinity: jhash of saddr)
 *   chain ep-<id>-<i> meta l4proto tcp dnat to IP:PORT
 *   chain services   ip daddr . meta l4proto . th dport vmap @service_ips; fib daddr type local meta l4proto . th dport vmap @node_ports
 *   prerouting/output (nat) → services; postrouting: masquerade hairpin and loopback-sourced DNATed traffic
 *   filter (output + forward): anything still addressed to the service CIDR is rejected — a ClusterIP with
 *   no rule (or no endpoints) never leaves the machine.
 */

export interface ProxyEndpoint { ip: string; port: number }
export interface ProxyServicePort {
  /** Stable id of this service port, e.g. `default/web:http:TCP` (hashed into chain names). */
  id: string;
  clusterIP?: string;
  port: number;
  nodePort?: number;
  protocol: 'TCP' | 'UDP' | 'SCTP';
  endpoints: ProxyEndpoint[];
  sessionAffinityClientIP?: boolean;
}

export interface ProxyConfig {
  table: string;
  serviceCidr: string;
  podCidr: string;
}

/** Short stable chain suffix for a service port id (FNV-1a, base36). */
export function chainId(id: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) { h ^= id.charCodeAt(i); h = Math.imul(h, 0x01000193) >>> 0; }
  return h.toString(36);
}

const proto = (p: ProxyServicePort) => p.protocol.toLowerCase();

/** The table skeleton (created once; `flush` rules keep it idempotent). */
export function baseRules(c: ProxyConfig): string {
  return [
    `table ip ${c.table} {`,
    '  map service_ips {',
    '    type ipv4_addr . inet_proto . inet_service : verdict',
    '  }',
    '  map node_ports {',
    '    type inet_proto . inet_service : verdict',
    '  }',
    '  chain services {',
    '    ip daddr . meta l4proto . th dport vmap @service_ips',
    '    fib daddr type local meta l4proto . th dport vmap @node_ports',
    '  }',
    '  chain prerouting {',
    '    type nat hook prerouting priority dstnat; policy accept;',
    '    jump services',
    '  }',
    '  chain output {',
    '    type nat hook output priority -100; policy accept;',
    '    jump services',
    '  }',
    '  chain postrouting {',
    '    type nat hook postrouting priority srcnat; policy accept;',
    `    ip saddr ${c.podCidr} ip daddr ${c.podCidr} ct status dnat masquerade`,
    '    ip saddr 127.0.0.0/8 ct status dnat masquerade',
    '  }',
    '  chain reject_unserved {',
    '    type filter hook output priority 0; policy accept;',
    `    ip daddr ${c.serviceCidr} meta l4proto tcp reject with tcp reset`,
    `    ip daddr ${c.serviceCidr} reject with icmp type port-unreachable`,
    '  }',
    '  chain reject_unserved_fwd {',
    '    type filter hook forward priority 0; policy accept;',
    `    ip daddr ${c.serviceCidr} meta l4proto tcp reject with tcp reset`,
    `    ip daddr ${c.serviceCidr} reject with icmp type port-unreachable`,
    '  }',
    '}',
  ].join('\n') + '\n';
}

/** Commands that (re)program one service port: its chains and map elements. */
export function serviceRules(c: ProxyConfig, p: ProxyServicePort, previous?: ProxyServicePort): string {
  const id = chainId(p.id);
  const out: string[] = [];
  const svcChain = `svc-${id}`;
  out.push(`add chain ip ${c.table} ${svcChain}`);
  out.push(`flush chain ip ${c.table} ${svcChain}`);
  // endpoint chains: create/flush the ones in use, delete the surplus of the previous program
  p.endpoints.forEach((ep, i) => {
    const ch = `ep-${id}-${i}`;
    out.push(`add chain ip ${c.table} ${ch}`);
    out.push(`flush chain ip ${c.table} ${ch}`);
    out.push(`add rule ip ${c.table} ${ch} meta l4proto ${proto(p)} dnat to ${ep.ip}:${ep.port}`);
  });
  if (p.endpoints.length > 0) {
    const n = p.endpoints.length;
    const pick = p.sessionAffinityClientIP ? `jhash ip saddr mod ${n}` : `numgen random mod ${n}`;
    const vmap = p.endpoints.map((_, i) => `${i} : goto ep-${id}-${i}`).join(', ');
    out.push(`add rule ip ${c.table} ${svcChain} ${pick} vmap { ${vmap} }`);
  }
  const prevCount = previous?.endpoints.length ?? 0;
  for (let i = p.endpoints.length; i < prevCount; i++) out.push(`delete chain ip ${c.table} ep-${id}-${i}`);
  // map elements: remove stale keys, add current ones (only with endpoints: otherwise the reject chain answers)
  if (previous) out.push(...elementDeletes(c, previous));
  if (p.endpoints.length > 0) {
    if (p.clusterIP) out.push(`add element ip ${c.table} service_ips { ${p.clusterIP} . ${proto(p)} . ${p.port} : goto ${svcChain} }`);
    if (p.nodePort) out.push(`add element ip ${c.table} node_ports { ${proto(p)} . ${p.nodePort} : goto ${svcChain} }`);
  }
  return out.join('\n') + '\n';
}

function elementDeletes(c: ProxyConfig, p: ProxyServicePort): string[] {
  if (p.endpoints.length === 0) return [];
  const out: string[] = [];
  if (p.clusterIP) out.push(`delete element ip ${c.table} service_ips { ${p.clusterIP} . ${proto(p)} . ${p.port} }`);
  if (p.nodePort) out.push(`delete element ip ${c.table} node_ports { ${proto(p)} . ${p.nodePort} }`);
  return out;
}

/** Commands that remove one service port entirely. */
export function removeServiceRules(c: ProxyConfig, p: ProxyServicePort): string {
  const id = chainId(p.id);
  const out = elementDeletes(c, p);
  out.push(`flush chain ip ${c.table} svc-${id}`);
  for (let i = 0; i < p.endpoints.length; i++) out.push(`delete chain ip ${c.table} ep-${id}-${i}`);
  out.push(`delete chain ip ${c.table} svc-${id}`);
  return out.join('\n') + '\n';
}
