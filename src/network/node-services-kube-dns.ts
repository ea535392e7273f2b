/**
 * The `kube-system/kube-dns` Service (ClusterIP 10.96.0.10, dns/UDP 53 and dns-tcp/TCP 53) and its
 * Endpoints and EndpointSlice, pointing at a node's cluster DNS server. The Service has no
 * selector, so the Endpoints and EndpointSlice controllers leave them to us; the control plane
 * makes them at start. (Each node's proxy sends kube-dns traffic to its own DNS server anyway: see
 * node-services.ts.)
 */
import type { KubeObject } from '../api/object.js';
import type { KubeClient, ResourceRef } from '../client/types.js';
import { Resources } from '../client/resources.js';
import { isAlreadyExists, isConflict, isNotFound } from '../client/errors.js';

export const KUBE_DNS_NAMESPACE = 'kube-system';
export const KUBE_DNS_NAME = 'kube-dns';
export const DEFAULT_CLUSTER_DNS_IP = '10.96.0.10';
const MANAGED_BY = 'peapod-node-services';

export interface KubeDnsOptions {
  /** ClusterIP of kube-dns; default 10.96.0.10. */
  clusterIP?: string;
  /** Where the DNS server listens (a node's pod-bridge gateway). */
  dnsIp: string;
  /** Its port; default 53. */
  dnsPort?: number;
}

const ports = [{ name: 'dns', port: 53, protocol: 'UDP' }, { name: 'dns-tcp', port: 53, protocol: 'TCP' }];

/** Creates (or brings back in line) the kube-dns Service, Endpoints and EndpointSlice. */
export async function ensureKubeDns(client: KubeClient, o: KubeDnsOptions): Promise<void> {
  const clusterIP = o.clusterIP ?? DEFAULT_CLUSTER_DNS_IP;
  const dnsPort = o.dnsPort ?? 53;
  const labels = { 'k8s-app': 'kube-dns', 'kubernetes.io/cluster-service': 'true', 'kubernetes.io/name': 'CoreDNS' };
  const svcPorts = ports.map((p) => ({ ...p, targetPort: dnsPort }));
  await ensure(client, Resources.services, {
    apiVersion: 'v1', kind: 'Service',
    metadata: { name: KUBE_DNS_NAME, namespace: KUBE_DNS_NAMESPACE, labels },
    spec: { type: 'ClusterIP', clusterIP, clusterIPs: [clusterIP], ports: svcPorts, sessionAffinity: 'None' },
  }, (cur) => {
    const spec = cur.spec as { clusterIP?: string; ports?: unknown };
    if (spec.clusterIP !== clusterIP) throw new Error(`service ${KUBE_DNS_NAMESPACE}/${KUBE_DNS_NAME} has ClusterIP ${spec.clusterIP}, not ${clusterIP}: delete it to let peapod recreate it`);
    if (JSON.stringify(spec.ports) === JSON.stringify(svcPorts)) return undefined;
    return { ...cur, spec: { ...(cur.spec as object), ports: svcPorts } };
  });

  const epPorts = ports.map((p) => ({ name: p.name, port: dnsPort, protocol: p.protocol }));
  const subsets = [{ addresses: [{ ip: o.dnsIp }], ports: epPorts }];
  await ensure(client, Resources.endpoints, {
    apiVersion: 'v1', kind: 'Endpoints',
    metadata: { name: KUBE_DNS_NAME, namespace: KUBE_DNS_NAMESPACE, labels: { ...labels, 'endpointslice.kubernetes.io/skip-mirror': 'true' } },
    subsets,
  }, (cur) => (JSON.stringify(cur.subsets) === JSON.stringify(subsets) ? undefined : { ...cur, subsets }));

  const endpoints = [{ addresses: [o.dnsIp], conditions: { ready: true, serving: true, terminating: false } }];
  await ensure(client, Resources.endpointslices, {
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
    metadata: { name: KUBE_DNS_NAME, namespace: KUBE_DNS_NAMESPACE, labels: { ...labels, 'kubernetes.io/service-name': KUBE_DNS_NAME, 'endpointslice.kubernetes.io/managed-by': MANAGED_BY } },
    addressType: 'IPv4', endpoints, ports: epPorts,
  }, (cur) => (JSON.stringify(cur.endpoints) === JSON.stringify(endpoints) && JSON.stringify(cur.ports) === JSON.stringify(epPorts) ? undefined : { ...cur, endpoints, ports: epPorts }));
}

/** Create if missing; otherwise update when `fix` returns a changed object (retried on conflict). */
async function ensure(client: KubeClient, r: ResourceRef, desired: KubeObject, fix: (cur: KubeObject) => KubeObject | undefined): Promise<void> {
  const ns = desired.metadata.namespace;
  for (let attempt = 0; attempt < 5; attempt++) {
    const cur = await client.get(r, ns, desired.metadata.name!).catch((e: unknown) => { if (isNotFound(e)) return undefined; throw e; });
    if (!cur) {
      try { await client.create(r, ns, desired); return; } catch (e) { if (isAlreadyExists(e)) continue; throw e; }
    }
    const next = fix(cur);
    if (!next) return;
    try { await client.update(r, ns, next); return; } catch (e) { if (isConflict(e)) continue; throw e; }
  }
  throw new Error(`${r.resource} ${ns}/${desired.metadata.name}: kept conflicting`);
}
