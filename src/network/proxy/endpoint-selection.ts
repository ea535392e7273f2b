/**
 * Which endpoints of a service port the proxy uses, as kube-proxy's CategorizeEndpoints
 * (pkg/proxy/topology.go) without topology hints:
 * - the cluster set is the ready endpoints; when there is none anywhere, the endpoints that are
 *   terminating but still serving (KEP-1669 ProxyTerminatingEndpoints), so a rolling update or a
 *   scale-down to zero does not cut traffic off while the old pods drain;
 * - the local set (for `internalTrafficPolicy` / `externalTrafficPolicy: Local`) is this node's
 *   ready endpoints; when there is none, this node's serving terminating endpoints — even when
 *   other nodes have ready ones;
 * - an endpoint neither ready nor serving-and-terminating is never used.
 * EndpointSlice conditions left unset mean ready, serving, and not terminating (the API's meaning).
 */
import type { EndpointConditions } from 'kubernetes-types/discovery/v1.js';
import type { ProxyEndpoint } from './nft-rules.js';

export interface EndpointCandidate {
  ip: string;
  port: number;
  /** Runs on this node. */
  local: boolean;
  ready: boolean;
  /** Serving while terminating: usable only as the fallback. */
  servingTerminating: boolean;
}

/** An endpoint's usability from its EndpointSlice conditions. */
export function conditionsOf(c: EndpointConditions | undefined): { ready: boolean; servingTerminating: boolean } {
  const ready = c?.ready !== false;
  const serving = c?.serving !== false;
  const terminating = c?.terminating === true;
  return { ready, servingTerminating: serving && terminating };
}

/**
 * The endpoints to program, each at most once: the cluster set plus (with `usesLocal`, when a
 * Local traffic policy applies) the local set. `local` marks members of the local set;
 * `localOnly` marks a local-set member the cluster set leaves out (this node's terminating
 * endpoint while other nodes have ready ones). Input order is kept.
 */
export function selectEndpoints(cands: EndpointCandidate[], usesLocal: boolean): ProxyEndpoint[] {
  const ready = cands.filter((c) => c.ready);
  const cluster = new Set(ready.length ? ready : cands.filter((c) => c.servingTerminating));
  const localReady = ready.filter((c) => c.local);
  const local = new Set(!usesLocal ? [] : localReady.length ? localReady : cands.filter((c) => c.local && c.servingTerminating));
  const out: ProxyEndpoint[] = [];
  for (const c of cands) {
    if (!cluster.has(c) && !local.has(c)) continue;
    const ep: ProxyEndpoint = { ip: c.ip, port: c.port };
    // every local endpoint kept is in the local set (when the cluster set falls back, so does the local one)
    if (c.local) ep.local = true;
    if (!cluster.has(c)) ep.localOnly = true;
    out.push(ep);
  }
  return out;
}
