/**
 * The pod's /etc/resolv.conf and /etc/hosts, as the kubelet writes them.
 *
 * resolv.conf by dnsPolicy: ClusterFirst (default; Default behaviour with hostNetwork) and
 * ClusterFirstWithHostNet → `nameserver <cluster DNS>`, `search NS.svc.DOMAIN svc.DOMAIN DOMAIN` +
 * the host's search list, `options ndots:5`; Default → the host's resolv.conf; None → only
 * dnsConfig. dnsConfig is merged in (nameservers and searches appended without duplicates, at most
 * 3 nameservers and 32 searches; options override by name).
 *
 * /etc/hosts: the kubelet's managed file with the pod IP, hostname (and FQDN with a subdomain) and
 * hostAliases.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';

interface Resolv { nameservers: string[]; searches: string[]; options: string[] }

export function parseResolvConf(text: string): Resolv {
  const r: Resolv = { nameservers: [], searches: [], options: [] };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    if (!line) continue;
    const [key, ...rest] = line.split(/\s+/);
    if (key === 'nameserver' && rest[0]) r.nameservers.push(rest[0]);
    else if (key === 'search' || key === 'domain') r.searches = rest;
    else if (key === 'options') r.options.push(...rest);
  }
  return r;
}

function format(r: Resolv): string {
  let out = '';
  if (r.searches.length) out += `search ${r.searches.join(' ')}\n`;
  for (const n of r.nameservers) out += `nameserver ${n}\n`;
  if (r.options.length) out += `options ${r.options.join(' ')}\n`;
  return out;
}

const uniq = (xs: string[]) => [...new Set(xs)];

export function podResolvConf(pod: Pod, clusterDns: string, clusterDomain: string, hostResolv: string): string {
  const spec = pod.spec ?? { containers: [] };
  const ns = pod.metadata?.namespace ?? 'default';
  let policy = spec.dnsPolicy ?? 'ClusterFirst';
  if (policy === 'ClusterFirst' && spec.hostNetwork) policy = 'Default';
  if (policy === 'ClusterFirstWithHostNet') policy = 'ClusterFirst';
  const host = parseResolvConf(hostResolv);
  let r: Resolv;
  if (policy === 'None') r = { nameservers: [], searches: [], options: [] };
  else if (policy === 'Default') r = host;
  else r = { nameservers: [clusterDns], searches: [`${ns}.svc.${clusterDomain}`, `svc.${clusterDomain}`, clusterDomain, ...host.searches], options: ['ndots:5'] };
  const cfg = spec.dnsConfig;
  if (cfg) {
    r.nameservers = uniq([...r.nameservers, ...(cfg.nameservers ?? [])]);
    r.searches = uniq([...r.searches, ...(cfg.searches ?? [])]);
    const opts = new Map(r.options.map((o) => [o.split(':')[0], o]));
    for (const o of cfg.options ?? []) opts.set(o.name ?? '', o.value !== undefined ? `${o.name}:${o.value}` : (o.name ?? ''));
    r.options = [...opts.values()].filter(Boolean);
  }
  r.nameservers = r.nameservers.slice(0, 3);
  r.searches = uniq(r.searches).slice(0, 32);
  return format(r);
}

/** The pod's hostname (spec.hostname or the pod name, at most 63 characters) and FQDN with a subdomain. */
export function podHostname(pod: Pod, clusterDomain: string): { hostname: string; fqdn?: string } {
  const hostname = (pod.spec?.hostname || pod.metadata?.name || 'pod').slice(0, 63).replace(/[-.]+$/, '');
  const sub = pod.spec?.subdomain;
  return { hostname, ...(sub ? { fqdn: `${hostname}.${sub}.${pod.metadata?.namespace}.svc.${clusterDomain}` } : {}) };
}

export function podHostsFile(pod: Pod, podIP: string | undefined, clusterDomain: string): string {
  const { hostname, fqdn } = podHostname(pod, clusterDomain);
  let out = '# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\n';
  if (podIP) out += fqdn ? `${podIP}\t${fqdn}\t${hostname}\n` : `${podIP}\t${hostname}\n`;
  const aliases = pod.spec?.hostAliases ?? [];
  if (aliases.length) {
    out += '\n# Entries added by HostAliases.\n';
    for (const a of aliases) out += `${a.ip}\t${(a.hostnames ?? []).join('\t')}\n`;
  }
  return out;
}
