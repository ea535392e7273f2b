/**
 * The `cluster.local` zone as Kubernetes' DNS specification defines it, answered from the API's
 * Services and EndpointSlices (kept current by informers):
 *   SVC.NS.svc.ZONE            A     ClusterIP; headless: the ready endpoints' IPs
 *   HOST.SVC.NS.svc.ZONE       A     the endpoint with that hostname (StatefulSet pods)
 *   _PORT._PROTO.SVC.NS.svc.ZONE SRV 0 100 PORT SVC.NS.svc.ZONE (headless: one per endpoint)
 *   A-B-C-D.NS.pod.ZONE        A     A.B.C.D
 *   ExternalName services      CNAME
 * Everything else in the zone is NXDOMAIN with the zone's SOA.
 */
import type { KubeObject } from '../../api/object.js';

export const DEFAULT_ZONE = 'cluster.local';
export const TTL = 5;

export interface ZoneView {
  service(namespace: string, name: string): KubeObject | undefined;
  /** EndpointSlices of a service. */
  slices(namespace: string, name: string): KubeObject[];
  namespaceExists(namespace: string): boolean;
}

export type ZoneRecord =
  | { type: 'A'; name: string; ttl: number; data: string }
  | { type: 'CNAME'; name: string; ttl: number; data: string }
  | { type: 'SRV'; name: string; ttl: number; data: { priority: number; weight: number; port: number; target: string } };

export type ZoneAnswer =
  | { rcode: 'NOERROR'; records: ZoneRecord[]; additionals?: ZoneRecord[] }
  | { rcode: 'NXDOMAIN' }
  | { rcode: 'NOTZONE' };

interface SliceEndpoint { addresses: string[]; conditions?: { ready?: boolean }; hostname?: string; targetRef?: { name?: string } }
interface SlicePort { name?: string; port?: number; protocol?: string }
interface ServiceSpec { clusterIP?: string; type?: string; externalName?: string; ports?: { name?: string; port: number; protocol?: string }[]; publishNotReadyAddresses?: boolean }

function readyEndpoints(view: ZoneView, ns: string, svc: string, publishNotReady: boolean): { ep: SliceEndpoint; ports: SlicePort[] }[] {
  const out: { ep: SliceEndpoint; ports: SlicePort[] }[] = [];
  for (const s of view.slices(ns, svc)) {
    for (const ep of (s.endpoints as SliceEndpoint[] | undefined) ?? []) {
      if (publishNotReady || ep.conditions?.ready !== false) out.push({ ep, ports: (s.ports as SlicePort[] | undefined) ?? [] });
    }
  }
  return out;
}

export function answer(view: ZoneView, qname: string, qtype: string, zone = DEFAULT_ZONE): ZoneAnswer {
  const name = qname.toLowerCase().replace(/\.$/, '');
  if (name !== zone && !name.endsWith(`.${zone}`)) return { rcode: 'NOTZONE' };
  const labels = name === zone ? [] : name.slice(0, -(zone.length + 1)).split('.');
  const wantA = qtype === 'A' || qtype === 'ANY';
  const wantSrv = qtype === 'SRV' || qtype === 'ANY';

  // A-B-C-D.NS.pod.ZONE
  if (labels.length === 3 && labels[2] === 'pod') {
    const ip = labels[0].replace(/-/g, '.');
    if (!/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.test(ip) || ip.split('.').some((o) => Number(o) > 255)) return { rcode: 'NXDOMAIN' };
    if (!view.namespaceExists(labels[1])) return { rcode: 'NXDOMAIN' };
    return { rcode: 'NOERROR', records: wantA ? [{ type: 'A', name, ttl: TTL, data: ip }] : [] };
  }
  const svcIdx = labels.lastIndexOf('svc');
  if (svcIdx < 0 || svcIdx !== labels.length - 1) {
    // `svc.ZONE`, `NS.svc.ZONE` exist as names without records
    return labels.length === 0 || (labels.length === 1 && (labels[0] === 'svc' || labels[0] === 'pod')) ? { rcode: 'NOERROR', records: [] } : { rcode: 'NXDOMAIN' };
  }
  const rest = labels.slice(0, svcIdx); // [..., SVC, NS]
  if (rest.length === 1) return view.namespaceExists(rest[0]) ? { rcode: 'NOERROR', records: [] } : { rcode: 'NXDOMAIN' };
  if (rest.length < 2) return { rcode: 'NXDOMAIN' };
  const ns = rest[rest.length - 1];
  const svcName = rest[rest.length - 2];
  const svc = view.service(ns, svcName);
  if (!svc) return { rcode: 'NXDOMAIN' };
  const spec = (svc.spec ?? {}) as ServiceSpec;
  const svcFqdn = `${svcName}.${ns}.svc.${zone}`;
  const headless = spec.clusterIP === 'None';
  const eps = () => readyEndpoints(view, ns, svcName, spec.publishNotReadyAddresses === true);

  if (rest.length === 2) {
    if (spec.type === 'ExternalName' && spec.externalName) return { rcode: 'NOERROR', records: [{ type: 'CNAME', name, ttl: TTL, data: spec.externalName.replace(/\.$/, '') }] };
    if (!wantA) return { rcode: 'NOERROR', records: [] };
    if (!headless) return { rcode: 'NOERROR', records: spec.clusterIP ? [{ type: 'A', name, ttl: TTL, data: spec.clusterIP }] : [] };
    const ips = [...new Set(eps().flatMap((e) => e.ep.addresses))].sort();
    return { rcode: 'NOERROR', records: ips.map((ip) => ({ type: 'A' as const, name, ttl: TTL, data: ip })) };
  }
  if (rest.length === 3 && !rest[0].startsWith('_')) {
    // HOST.SVC.NS.svc.ZONE (headless services: endpoint hostname, or the pod name's dashed IP form)
    const host = rest[0];
    const ips = eps().filter((e) => e.ep.hostname === host || e.ep.addresses.some((a) => a.replace(/\./g, '-') === host)).flatMap((e) => e.ep.addresses);
    if (ips.length === 0) return { rcode: 'NXDOMAIN' };
    return { rcode: 'NOERROR', records: wantA ? ips.map((ip) => ({ type: 'A' as const, name, ttl: TTL, data: ip })) : [] };
  }
  if (rest.length === 4 && rest[0].startsWith('_') && rest[1].startsWith('_')) {
    const portName = rest[0].slice(1);
    const proto = rest[1].slice(1).toUpperCase();
    const port = (spec.ports ?? []).find((p) => p.name === portName && (p.protocol ?? 'TCP') === proto);
    if (!port) return { rcode: 'NXDOMAIN' };
    if (!wantSrv) return { rcode: 'NOERROR', records: [] };
    if (!headless) {
      return {
        rcode: 'NOERROR',
        records: [{ type: 'SRV', name, ttl: TTL, data: { priority: 0, weight: 100, port: port.port, target: svcFqdn } }],
        additionals: spec.clusterIP ? [{ type: 'A', name: svcFqdn, ttl: TTL, data: spec.clusterIP }] : [],
      };
    }
    const records: ZoneRecord[] = [];
    const additionals: ZoneRecord[] = [];
    for (const { ep, ports } of eps()) {
      const p = ports.find((x) => x.name === portName && (x.protocol ?? 'TCP') === proto);
      if (!p?.port) continue;
      for (const ip of ep.addresses) {
        const host = ep.hostname ?? ip.replace(/\./g, '-');
        const target = `${host}.${svcFqdn}`;
        records.push({ type: 'SRV', name, ttl: TTL, data: { priority: 0, weight: 100, port: p.port, target } });
        additionals.push({ type: 'A', name: target, ttl: TTL, data: ip });
      }
    }
    return { rcode: 'NOERROR', records, additionals };
  }
  return { rcode: 'NXDOMAIN' };
}
