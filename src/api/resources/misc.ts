/** coordination.k8s.io Lease, discovery.k8s.io EndpointSlice, policy PodDisruptionBudget, scheduling.k8s.io PriorityClass. */
import { defineResource } from './define.js';
import { age, ageColumn, arr, col, get, intOrString, nameColumn, num, str } from './print-util.js';

export const leases = defineResource({
  group: 'coordination.k8s.io', version: 'v1', kind: 'Lease', plural: 'leases', namespaced: true,
  columns: [nameColumn, col('Holder', 'holderIdentity contains the identity of the holder of a current lease.'), ageColumn],
  row: (o, now) => [o.metadata.name ?? '', str(get(o, 'spec', 'holderIdentity')), age(o, now)],
});

function moreList(list: string[], more: boolean, count: number, max: number): string {
  const ret = list.join(',');
  if (more) return `${ret} + ${count - max} more...`;
  return ret === '' ? '<unset>' : ret;
}

export const endpointslices = defineResource({
  group: 'discovery.k8s.io', version: 'v1', kind: 'EndpointSlice', plural: 'endpointslices', namespaced: true,
  columns: [nameColumn, col('AddressType', 'addressType specifies the type of address carried by this EndpointSlice.'),
    col('Ports', 'ports specifies the list of network ports exposed by each endpoint in this slice.'),
    col('Endpoints', 'endpoints is a list of unique endpoints in this slice.'), ageColumn],
  row: (o, now) => {
    const max = 3;
    const ports: string[] = []; let pmore = false; let pcount = 0;
    for (const p of arr(o.ports)) {
      if (ports.length < max) ports.push(typeof p.port === 'number' ? String(p.port) : typeof p.name === 'string' ? p.name : '*');
      else pmore = true;
      pcount++;
    }
    const eps: string[] = []; let emore = false; let ecount = 0;
    for (const e of arr(o.endpoints)) {
      for (const a of arr(e.addresses) as unknown as string[]) {
        if (eps.length < max) eps.push(a); else emore = true;
        ecount++;
      }
    }
    return [o.metadata.name ?? '', str(o.addressType), moreList(ports, pmore, pcount, max), moreList(eps, emore, ecount, max), age(o, now)];
  },
  strategy: { tracksGeneration: true },
});

export const poddisruptionbudgets = defineResource({
  group: 'policy', version: 'v1', kind: 'PodDisruptionBudget', plural: 'poddisruptionbudgets', namespaced: true, shortNames: ['pdb'],
  subresources: { status: true },
  columns: [nameColumn, col('Min Available', 'The minimum number of pods that must be available.'), col('Max Unavailable', 'The maximum number of pods that may be unavailable.'),
    col('Allowed Disruptions', 'Calculated number of pods that may be disrupted at this time.', 0, 'integer'), ageColumn],
  row: (o, now) => {
    const min = get(o, 'spec', 'minAvailable');
    const max = get(o, 'spec', 'maxUnavailable');
    return [o.metadata.name ?? '', min === undefined || min === null ? 'N/A' : intOrString(min), max === undefined || max === null ? 'N/A' : intOrString(max),
      num(get(o, 'status', 'disruptionsAllowed')), age(o, now)];
  },
  strategy: { tracksGeneration: true, statusOnCreate: () => ({ disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 }) },
});

export const priorityclasses = defineResource({
  group: 'scheduling.k8s.io', version: 'v1', kind: 'PriorityClass', plural: 'priorityclasses', namespaced: false, shortNames: ['pc'],
  columns: [nameColumn, col('Value', 'value represents the integer value of this priority class.', 0, 'integer'),
    col('Global-Default', 'globalDefault specifies whether this PriorityClass should be considered as the default priority for pods that do not have any priority class.', 0, 'boolean'),
    ageColumn, col('PreemptionPolicy', 'preemptionPolicy is the Policy for preempting pods with lower priority.')],
  row: (o, now) => [o.metadata.name ?? '', num(o.value), o.globalDefault === true, age(o, now), str(o.preemptionPolicy)],
});
