/** core/v1 Service and Endpoints. */
import { formatLabels } from '../selectors.js';
import { defineResource } from './define.js';
import { age, ageColumn, arr, col, get, nameColumn, num, str } from './print-util.js';

type Obj = Record<string, unknown>;

function externalIP(o: Obj): string {
  const spec = (o.spec ?? {}) as Obj;
  const ext = arr(spec.externalIPs) as unknown as string[];
  switch (str(spec.type) || 'ClusterIP') {
    case 'ClusterIP': case 'NodePort': return ext.length ? ext.join(',') : '<none>';
    case 'LoadBalancer': {
      const ing = arr(get(o, 'status', 'loadBalancer', 'ingress'));
      const set = [...new Set(ing.map((i) => str(i.ip) || str(i.hostname)).filter((x) => x))].sort();
      let lb = set.join(',');
      if (ext.length) return [...(lb ? lb.split(',') : []), ...ext].join(',');
      if (lb.length > 16) lb = lb.slice(0, 13) + '...';
      return lb || '<pending>';
    }
    case 'ExternalName': return str(spec.externalName);
  }
  return '<unknown>';
}

function ports(o: Obj): string {
  const s = arr(get(o, 'spec', 'ports')).map((p) => (num(p.nodePort) > 0 ? `${num(p.port)}:${num(p.nodePort)}/${str(p.protocol)}` : `${num(p.port)}/${str(p.protocol)}`)).join(',');
  return s || '<none>';
}

export const services = defineResource({
  group: '', version: 'v1', kind: 'Service', plural: 'services', namespaced: true, shortNames: ['svc'], categories: ['all'],
  subresources: { status: true, others: [{ name: 'proxy', verbs: ['create', 'delete', 'get', 'patch', 'update'], kind: 'ServiceProxyOptions' }] },
  columns: [
    nameColumn,
    col('Type', 'type determines how the Service is exposed.'),
    col('Cluster-IP', 'clusterIP is the IP address of the service and is usually assigned randomly.'),
    col('External-IP', 'externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.'),
    col('Port(s)', 'The list of ports that are exposed by this service.'),
    ageColumn,
    col('Selector', 'Route service traffic to pods with label keys and values matching this selector.', 1),
  ],
  row: (o, now) => {
    const ips = arr(get(o, 'spec', 'clusterIPs')) as unknown as string[];
    const internal = ips.length ? ips[0] : '<none>';
    return [o.metadata.name ?? '', str(get(o, 'spec', 'type')), internal, externalIP(o), ports(o), age(o, now), formatLabels(get(o, 'spec', 'selector') as Record<string, string>)];
  },
  fieldSelectors: { 'spec.clusterIP': (o) => str(get(o, 'spec', 'clusterIP')), 'spec.type': (o) => str(get(o, 'spec', 'type')) },
  strategy: { statusOnCreate: () => ({ loadBalancer: {} }), returnDeletedObject: true },
});

function formatEndpoints(o: Obj): string {
  const subsets = arr(o.subsets);
  if (subsets.length === 0) return '<none>';
  const list: string[] = [];
  const max = 3;
  let more = false;
  let count = 0;
  for (const ss of subsets) {
    const addrs = arr(ss.addresses);
    const ps = arr(ss.ports);
    if (ps.length === 0) {
      for (const a of addrs) { if (list.length === max) more = true; if (!more) list.push(str(a.ip)); count++; }
    }
    for (const p of ps) {
      for (const a of addrs) {
        if (list.length === max) more = true;
        if (!more) { const ip = str(a.ip); list.push(ip.includes(':') ? `[${ip}]:${num(p.port)}` : `${ip}:${num(p.port)}`); }
        count++;
      }
    }
  }
  const ret = list.join(',');
  return more ? `${ret} + ${count - max} more...` : ret;
}

export const endpoints = defineResource({
  group: '', version: 'v1', kind: 'Endpoints', plural: 'endpoints', namespaced: true, shortNames: ['ep'], singular: 'endpoints',
  columns: [nameColumn, col('Endpoints', 'The set of all endpoints is the union of all subsets.'), ageColumn],
  row: (o, now) => [o.metadata.name ?? '', formatEndpoints(o), age(o, now)],
});
