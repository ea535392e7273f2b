/** core/v1 Node: printNode's columns, spec.unschedulable field selector. */
import type { KubeObject } from '../object.js';
import { defineResource } from './define.js';
import { age, ageColumn, arr, col, get, nameColumn, str } from './print-util.js';

function nodeRoles(o: KubeObject): string {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(o.metadata.labels ?? {})) {
    if (k.startsWith('node-role.kubernetes.io/')) { const r = k.slice('node-role.kubernetes.io/'.length); if (r) roles.add(r); }
    else if (k === 'kubernetes.io/role' && v) roles.add(v);
  }
  return [...roles].sort().join(',') || '<none>';
}

function address(o: KubeObject, type: string): string {
  const a = arr(get(o, 'status', 'addresses')).find((x) => x.type === type);
  return a ? str(a.address) : '<none>';
}

export const nodes = defineResource({
  group: '', version: 'v1', kind: 'Node', plural: 'nodes', namespaced: false, shortNames: ['no'],
  subresources: { status: true, others: [{ name: 'proxy', verbs: ['create', 'delete', 'get', 'patch', 'update'], kind: 'NodeProxyOptions' }] },
  columns: [
    nameColumn,
    col('Status', 'The status of the node'),
    col('Roles', 'The roles of the node'),
    ageColumn,
    col('Version', 'Kubelet Version reported by the node.'),
    col('Internal-IP', 'List of addresses reachable to the node. Queried from cloud provider, if available.', 1),
    col('External-IP', 'List of addresses reachable to the node. Queried from cloud provider, if available.', 1),
    col('OS-Image', 'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).', 1),
    col('Kernel-Version', "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).", 1),
    col('Container-Runtime', 'ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).', 1),
  ],
  row: (o, now) => {
    const status: string[] = [];
    const ready = arr(get(o, 'status', 'conditions')).find((c) => c.type === 'Ready');
    if (ready) status.push(ready.status === 'True' ? 'Ready' : 'NotReady');
    if (status.length === 0) status.push('Unknown');
    if (get(o, 'spec', 'unschedulable') === true) status.push('SchedulingDisabled');
    const info = (get(o, 'status', 'nodeInfo') ?? {}) as Record<string, unknown>;
    return [
      o.metadata.name ?? '', status.join(','), nodeRoles(o), age(o, now), str(info.kubeletVersion),
      address(o, 'InternalIP'), address(o, 'ExternalIP'),
      str(info.osImage) || '<unknown>', str(info.kernelVersion) || '<unknown>', str(info.containerRuntimeVersion) || '<unknown>',
    ];
  },
  fieldSelectors: { 'spec.unschedulable': (o) => String(get(o, 'spec', 'unschedulable') === true) },
  strategy: { tracksGeneration: false },
});
