/**
 * The `default/kubernetes` Service and its endpoints, as the API server's bootstrap controller
 * keeps them: ClusterIP = the first address of the service range, port 443 → the API server's
 * advertised address and port (Endpoints and an EndpointSlice, since the Service has no selector).
 */
import { ApiError } from '../api/errors.js';
import type { KubeObject } from '../api/object.js';
import type { RestContext } from './context.js';

export interface AdvertiseAddress {
  /** IPv4 address other nodes and pods reach the API server at. */
  address: string;
  port: number;
}

type Obj = Record<string, unknown>;

async function ensure(ctx: RestContext, group: string, version: string, plural: string, desired: KubeObject, same: (cur: KubeObject) => boolean, apply: (cur: KubeObject) => KubeObject): Promise<void> {
  const s = ctx.lookup(group, version, plural);
  if (!s) return;
  const ns = desired.metadata.namespace;
  const name = desired.metadata.name!;
  const cur = await s.registry.getStored(ns, name);
  if (!cur) {
    try {
      await s.registry.create(structuredClone(desired), ns);
    } catch (e) {
      if (!(e instanceof ApiError && e.code === 409)) throw e;
    }
    return;
  }
  if (same(cur.obj)) return;
  await s.registry.guaranteedUpdate(ns, name, async (c) => {
    if (!c) throw s.registry.notFound(name);
    return s.registry.prepareUpdate(apply(structuredClone(c)), c);
  });
}

export async function ensureKubernetesService(ctx: RestContext, clusterIP: string, adv: AdvertiseAddress): Promise<void> {
  const port = { name: 'https', port: 443, protocol: 'TCP', targetPort: adv.port };
  const labels = { component: 'apiserver', provider: 'kubernetes' };
  await ensure(ctx, '', 'v1', 'services', {
    apiVersion: 'v1', kind: 'Service',
    metadata: { name: 'kubernetes', namespace: 'default', labels },
    spec: { type: 'ClusterIP', clusterIP, clusterIPs: [clusterIP], ports: [port], sessionAffinity: 'None' },
  }, (cur) => JSON.stringify((cur.spec as Obj).ports) === JSON.stringify([port]), (cur) => { (cur.spec as Obj).ports = [port]; return cur; });

  const subsets = [{ addresses: [{ ip: adv.address }], ports: [{ name: 'https', port: adv.port, protocol: 'TCP' }] }];
  await ensure(ctx, '', 'v1', 'endpoints', {
    apiVersion: 'v1', kind: 'Endpoints',
    metadata: { name: 'kubernetes', namespace: 'default', labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } },
    subsets,
  }, (cur) => JSON.stringify(cur.subsets) === JSON.stringify(subsets), (cur) => { cur.subsets = subsets; return cur; });

  const endpoints = [{ addresses: [adv.address], conditions: { ready: true } }];
  const ports = [{ name: 'https', port: adv.port, protocol: 'TCP' }];
  await ensure(ctx, 'discovery.k8s.io', 'v1', 'endpointslices', {
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
    metadata: { name: 'kubernetes', namespace: 'default', labels: { 'kubernetes.io/service-name': 'kubernetes' } },
    addressType: 'IPv4', endpoints, ports,
  }, (cur) => JSON.stringify(cur.endpoints) === JSON.stringify(endpoints) && JSON.stringify(cur.ports) === JSON.stringify(ports),
  (cur) => { cur.endpoints = endpoints; cur.ports = ports; return cur; });
}
