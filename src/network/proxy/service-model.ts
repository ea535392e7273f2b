/**
 * The service proxy's model: a Service and its EndpointSlices → the service ports the proxy
 * programs (ClusterIP, NodePort, externalIPs, protocol, the usable endpoints' IP:port — ready ones,
 * else serving terminating ones, see endpoint-selection.ts — and whether each runs on this node,
 * the internal/external traffic policies, ClientIP affinity). Pure, so it is tested without nftables.
 */
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { ProxyEndpoint, ProxyServicePort } from './nft-rules.js';
import { conditionsOf, selectEndpoints, type EndpointCandidate } from './endpoint-selection.js';

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

/**
 * Endpoints a node serves locally instead of what the slices say, per `namespace/name`: e.g. the
 * cluster DNS of this node for kube-system/kube-dns. `targetPort` maps a service port number to
 * the local port (default: the service port).
 */
export interface LocalOverride { ip: string; targetPort?: (servicePort: number, protocol: string) => number }

function isIPv4(s: string | undefined): s is string {
  return !!s && /^\d{1,3}(\.\d{1,3}){3}$/.test(s) && s.split('.').every((o) => Number(o) <= 255);
}

const PROTOCOLS = new Set(['TCP', 'UDP', 'SCTP']);
const isPort = (n: unknown): n is number => Number.isInteger(n) && (n as number) > 0 && (n as number) < 65536;

/**
 * The ports of one Service as the proxy programs them; [] for headless, ExternalName or IP-less
 * services. `nodeName` is this node: endpoints whose EndpointSlice `nodeName` is it are local (the
 * only ones `internalTrafficPolicy: Local` / `externalTrafficPolicy: Local` traffic may reach).
 */
export function servicePorts(svc: Service, slices: EndpointSlice[], local?: LocalOverride, nodeName?: string): ProxyServicePort[] {
  const spec = svc.spec ?? {};
  if (spec.type === 'ExternalName') return [];
  const clusterIP = isIPv4(spec.clusterIP) ? spec.clusterIP : undefined;
  const ns = svc.metadata?.namespace ?? 'default';
  const name = svc.metadata?.name ?? '';
  const withNodePorts = spec.type === 'NodePort' || spec.type === 'LoadBalancer';
  // externalIPs only with a ClusterIP (kube-proxy skips headless services altogether)
  const externalIPs = clusterIP ? [...new Set((spec.externalIPs ?? []).filter(isIPv4))].sort((a, b) => ipNum(a) - ipNum(b)) : [];
  const internalLocal = spec.internalTrafficPolicy === 'Local';
  const externalLocal = spec.externalTrafficPolicy === 'Local' && (withNodePorts || externalIPs.length > 0);
  const out: ProxyServicePort[] = [];
  for (const sp of spec.ports ?? []) {
    const protocol = (sp.protocol ?? 'TCP') as ProxyServicePort['protocol'];
    // only what nftables can be given safely (the API validates these; never trust it into a rule)
    if (!PROTOCOLS.has(protocol) || !isPort(sp.port)) continue;
    const nodePort = withNodePorts && isPort(sp.nodePort) ? sp.nodePort : undefined;
    if (!clusterIP && !nodePort) continue;
    let endpoints: ProxyEndpoint[];
    if (local) {
      endpoints = [{ ip: local.ip, port: local.targetPort ? local.targetPort(sp.port, protocol) : sp.port, local: true }];
    } else {
      const seen = new Map<string, EndpointCandidate>();
      const cands: EndpointCandidate[] = [];
      for (const slice of slices) {
        if (slice.addressType !== 'IPv4') continue;
        const port = (slice.ports ?? []).find((p) => (p.name ?? '') === (sp.name ?? '') && (p.protocol ?? 'TCP') === protocol);
        if (!isPort(port?.port)) continue;
        for (const ep of slice.endpoints ?? []) {
          const cond = conditionsOf(ep.conditions);
          if (!cond.ready && !cond.servingTerminating) continue;
          const local = !!nodeName && ep.nodeName === nodeName;
          for (const ip of ep.addresses ?? []) {
            const key = `${ip}:${port!.port}`;
            if (!isIPv4(ip)) continue;
            const dup = seen.get(key);
            // the same endpoint in two slices (during a slice update): the more usable reading wins
            if (dup) { dup.ready ||= cond.ready; dup.servingTerminating ||= cond.servingTerminating; dup.local ||= local; continue; }
            const c: EndpointCandidate = { ip, port: port!.port!, local, ...cond };
            seen.set(key, c);
            cands.push(c);
          }
        }
      }
      // a stable order, so an unchanged set of endpoints gives unchanged rules
      cands.sort((a, b) => (a.ip === b.ip ? a.port - b.port : ipNum(a.ip) - ipNum(b.ip)));
      endpoints = selectEndpoints(cands, internalLocal || externalLocal);
    }
    const affinity = spec.sessionAffinity === 'ClientIP';
    out.push({
      id: `${ns}/${name}:${sp.name ?? ''}:${protocol}`,
      clusterIP, port: sp.port, nodePort, protocol, endpoints,
      ...(externalIPs.length ? { externalIPs } : {}),
      ...(internalLocal ? { internalLocal } : {}),
      ...(externalLocal ? { externalLocal } : {}),
      ...(affinity ? { sessionAffinityClientIP: true, affinityTimeoutSeconds: spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? 10800 } : {}),
    });
  }
  return out;
}

function ipNum(ip: string): number {
  return ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
}

/** Equal programs (nothing to do when a service changed in ways the proxy does not see). */
export function samePort(a: ProxyServicePort | undefined, b: ProxyServicePort | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
