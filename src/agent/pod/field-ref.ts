/**
 * Values of the downward API (env `fieldRef`/`resourceFieldRef` and downwardAPI volume items), as
 * the kubelet resolves them: metadata fields, labels/annotations (one `key="value"` line each,
 * sorted), spec.nodeName, spec.serviceAccountName, status.hostIP(s)/podIP(s); container resources
 * divided by a divisor and rounded up (limits fall back to node allocatable when unset).
 */
import type { Pod, Container, ObjectFieldSelector, ResourceFieldSelector } from 'kubernetes-types/core/v1.js';
import { parseQuantity } from '../../api/quantity.js';

export interface RuntimeFields { podIP?: string; podIPs?: string[]; hostIP?: string; nodeName?: string }

function formatMap(m: Record<string, string> | undefined): string {
  return Object.keys(m ?? {}).sort().map((k) => `${k}=${JSON.stringify(m![k])}`).join('\n');
}

export function fieldRefValue(pod: Pod, sel: ObjectFieldSelector, rt: RuntimeFields): string {
  const path = sel.fieldPath;
  const md = pod.metadata ?? {};
  const sub = /^metadata\.(labels|annotations)\['(.*)'\]$/.exec(path);
  if (sub) return (sub[1] === 'labels' ? md.labels : md.annotations)?.[sub[2]] ?? '';
  switch (path) {
    case 'metadata.name': return md.name ?? '';
    case 'metadata.namespace': return md.namespace ?? '';
    case 'metadata.uid': return md.uid ?? '';
    case 'metadata.labels': return formatMap(md.labels);
    case 'metadata.annotations': return formatMap(md.annotations);
    case 'spec.nodeName': return pod.spec?.nodeName ?? rt.nodeName ?? '';
    case 'spec.serviceAccountName': return pod.spec?.serviceAccountName ?? '';
    case 'status.hostIP': return rt.hostIP ?? '';
    case 'status.hostIPs': return rt.hostIP ?? '';
    case 'status.podIP': return rt.podIP ?? '';
    case 'status.podIPs': return (rt.podIPs ?? (rt.podIP ? [rt.podIP] : [])).join(',');
    default: throw new Error(`unsupported fieldPath: ${path}`);
  }
}

export interface NodeAllocatable { cpuMillis: number; memoryBytes: number; ephemeralBytes: number }

export function resourceFieldValue(pod: Pod, containerName: string | undefined, sel: ResourceFieldSelector, node: NodeAllocatable): string {
  const name = sel.containerName || containerName;
  const c: Container | undefined = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].find((x) => x.name === name);
  if (!c) throw new Error(`container "${name}" not found in pod`);
  const [kind, res] = sel.resource.split('.') as ['limits' | 'requests', string];
  const raw = c.resources?.[kind]?.[res];
  const divisor = sel.divisor !== undefined ? parseQuantity(String(sel.divisor)) : parseQuantity('1');
  const dn = Number(divisor.nanos) / 1e9 || 1;
  let value: number;
  if (raw !== undefined) value = Number(parseQuantity(String(raw)).nanos) / 1e9;
  else if (res === 'cpu') value = kind === 'limits' ? node.cpuMillis / 1000 : 0;
  else if (res === 'memory') value = kind === 'limits' ? node.memoryBytes : 0;
  else if (res === 'ephemeral-storage') value = kind === 'limits' ? node.ephemeralBytes : 0;
  else throw new Error(`unsupported resource: ${sel.resource}`);
  return String(Math.ceil(value / dn - 1e-9));
}
