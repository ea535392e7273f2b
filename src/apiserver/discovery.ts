/**
 * Discovery documents built from the served resources: legacy (/api, /apis, /apis/<g>,
 * /api/v1, /apis/<g>/<v>) and aggregated (apidiscovery.k8s.io v2 and v2beta1).
 */
import { createHash } from 'node:crypto';
import type { ResourceDef } from '../api/resources/types.js';

/** Group order as Kubernetes' discovery priorities put them (core first, then these, then alphabetical). */
const groupOrder = ['', 'apps', 'events.k8s.io', 'authentication.k8s.io', 'authorization.k8s.io', 'autoscaling', 'batch', 'certificates.k8s.io',
  'networking.k8s.io', 'policy', 'rbac.authorization.k8s.io', 'storage.k8s.io', 'admissionregistration.k8s.io', 'apiextensions.k8s.io',
  'scheduling.k8s.io', 'coordination.k8s.io', 'node.k8s.io', 'discovery.k8s.io', 'flowcontrol.apiserver.k8s.io'];

export function groupsOf(defs: ResourceDef[]): { name: string; versions: string[] }[] {
  const m = new Map<string, string[]>();
  for (const d of defs) {
    const vs = m.get(d.group) ?? [];
    if (!vs.includes(d.version)) vs.push(d.version);
    m.set(d.group, vs);
  }
  const rank = (g: string) => { const i = groupOrder.indexOf(g); return i < 0 ? groupOrder.length : i; };
  return [...m.entries()].map(([name, versions]) => ({ name, versions })).sort((a, b) => rank(a.name) - rank(b.name) || (a.name < b.name ? -1 : 1));
}

export function storageVersionHash(group: string, version: string, kind: string): string {
  return createHash('sha256').update(`${group}/${version}/${kind}`).digest().subarray(0, 8).toString('base64');
}

export function apiVersions(serverAddress: string): Record<string, unknown> {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

function groupEntry(g: { name: string; versions: string[] }): Record<string, unknown> {
  const versions = g.versions.map((v) => ({ groupVersion: `${g.name}/${v}`, version: v }));
  return { name: g.name, versions, preferredVersion: versions[0] };
}

export function apiGroupList(defs: ResourceDef[]): Record<string, unknown> {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: groupsOf(defs).filter((g) => g.name !== '').map(groupEntry) };
}

export function apiGroup(defs: ResourceDef[], name: string): Record<string, unknown> | undefined {
  const g = groupsOf(defs).find((x) => x.name === name && name !== '');
  return g ? { kind: 'APIGroup', apiVersion: 'v1', ...groupEntry(g) } : undefined;
}

const statusVerbs = ['get', 'patch', 'update'];

export function apiResourceList(defs: ResourceDef[], group: string, version: string): Record<string, unknown> | undefined {
  const ds = defs.filter((d) => d.group === group && d.version === version);
  if (ds.length === 0) return undefined;
  const resources: Record<string, unknown>[] = [];
  for (const d of [...ds].sort((a, b) => (a.plural < b.plural ? -1 : 1))) {
    const r: Record<string, unknown> = { name: d.plural, singularName: d.singular, namespaced: d.namespaced, kind: d.kind, verbs: d.verbs };
    if (d.shortNames?.length) r.shortNames = d.shortNames;
    if (d.categories?.length) r.categories = d.categories;
    r.storageVersionHash = storageVersionHash(d.storage?.group ?? d.group, version, d.kind);
    resources.push(r);
    const subs: Record<string, unknown>[] = [];
    if (d.subresources?.status) subs.push({ name: `${d.plural}/status`, singularName: '', namespaced: d.namespaced, kind: d.kind, verbs: statusVerbs });
    if (d.subresources?.scale) subs.push({ name: `${d.plural}/scale`, singularName: '', namespaced: d.namespaced, group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: statusVerbs });
    for (const o of d.subresources?.others ?? []) {
      const e: Record<string, unknown> = { name: `${d.plural}/${o.name}`, singularName: '', namespaced: d.namespaced };
      if (o.group !== undefined) { e.group = o.group; e.version = o.version; }
      e.kind = o.kind;
      e.verbs = o.verbs;
      subs.push(e);
    }
    resources.push(...subs.sort((a, b) => (String(a.name) < String(b.name) ? -1 : 1)));
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group ? `${group}/${version}` : version, resources };
}

function discoveryResource(d: ResourceDef): Record<string, unknown> {
  const r: Record<string, unknown> = {
    resource: d.plural,
    responseKind: { group: '', version: '', kind: d.kind },
    scope: d.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: d.singular,
    verbs: d.verbs,
  };
  if (d.shortNames?.length) r.shortNames = d.shortNames;
  if (d.categories?.length) r.categories = d.categories;
  const subs: Record<string, unknown>[] = [];
  if (d.subresources?.status) subs.push({ subresource: 'status', responseKind: { group: '', version: '', kind: d.kind }, verbs: statusVerbs });
  if (d.subresources?.scale) subs.push({ subresource: 'scale', responseKind: { group: 'autoscaling', version: 'v1', kind: 'Scale' }, verbs: statusVerbs });
  for (const o of d.subresources?.others ?? []) {
    subs.push({ subresource: o.name, responseKind: { group: o.group ?? '', version: o.version ?? '', kind: o.kind }, verbs: o.verbs });
  }
  if (subs.length) r.subresources = subs.sort((a, b) => (String(a.subresource) < String(b.subresource) ? -1 : 1));
  return r;
}

/** apidiscovery APIGroupDiscoveryList: `legacy` = the core group only (/api), else every named group (/apis). */
export function aggregatedDiscovery(defs: ResourceDef[], legacy: boolean, version: 'v2' | 'v2beta1'): Record<string, unknown> {
  const items = groupsOf(defs).filter((g) => (legacy ? g.name === '' : g.name !== '')).map((g) => ({
    metadata: { name: g.name, creationTimestamp: null },
    versions: g.versions.map((v) => ({
      version: v,
      resources: defs.filter((d) => d.group === g.name && d.version === v).sort((a, b) => (a.plural < b.plural ? -1 : 1)).map(discoveryResource),
      freshness: 'Current',
    })),
  }));
  return { kind: 'APIGroupDiscoveryList', apiVersion: `apidiscovery.k8s.io/${version}`, metadata: {}, items };
}

export function etagOf(body: string): string {
  return `"${createHash('sha512').update(body).digest('hex').toUpperCase()}"`;
}
