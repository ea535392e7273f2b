/** Small core/v1 kinds: ConfigMap, Secret, ServiceAccount, LimitRange, ResourceQuota, PodTemplate. */
import { formatLabels } from '../selectors.js';
import { defineResource } from './define.js';
import { age, ageColumn, col, containerCells, get, nameColumn, str } from './print-util.js';

export const configmaps = defineResource({
  group: '', version: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true, shortNames: ['cm'],
  columns: [nameColumn, col('Data', 'Data contains the configuration data.'), ageColumn],
  row: (o, now) => [o.metadata.name ?? '', Object.keys((o.data ?? {}) as object).length + Object.keys((o.binaryData ?? {}) as object).length, age(o, now)],
});

export const secrets = defineResource({
  group: '', version: 'v1', kind: 'Secret', plural: 'secrets', namespaced: true,
  columns: [nameColumn, col('Type', 'Used to facilitate programmatic handling of secret data.'), col('Data', 'Data contains the secret data.'), ageColumn],
  row: (o, now) => [o.metadata.name ?? '', str(o.type), Object.keys((o.data ?? {}) as object).length, age(o, now)],
  fieldSelectors: { type: (o) => str(o.type) },
});

export const serviceaccounts = defineResource({
  group: '', version: 'v1', kind: 'ServiceAccount', plural: 'serviceaccounts', namespaced: true, shortNames: ['sa'],
  subresources: { others: [{ name: 'token', verbs: ['create'], kind: 'TokenRequest', group: 'authentication.k8s.io', version: 'v1' }] },
  columns: [nameColumn, col('Secrets', 'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.'), ageColumn],
  row: (o, now) => [o.metadata.name ?? '', Array.isArray(o.secrets) ? o.secrets.length : 0, age(o, now)],
});

export const limitranges = defineResource({
  group: '', version: 'v1', kind: 'LimitRange', plural: 'limitranges', namespaced: true, shortNames: ['limits'],
  columns: [nameColumn, { name: 'Created At', type: 'date', description: 'CreationTimestamp is a timestamp representing the server time when this object was created.', priority: 0 }],
  row: (o) => [o.metadata.name ?? '', o.metadata.creationTimestamp ? new Date(o.metadata.creationTimestamp).toISOString().replace(/\.\d{3}Z$/, 'Z') : '0001-01-01T00:00:00Z'],
});

function quotaCells(o: Record<string, unknown>): [string, string] {
  const hard = (get(o, 'status', 'hard') ?? get(o, 'spec', 'hard') ?? {}) as Record<string, unknown>;
  const used = (get(o, 'status', 'used') ?? {}) as Record<string, unknown>;
  let req = '';
  let lim = '';
  for (const name of Object.keys(hard).sort()) {
    const piece = `${name}: ${used[name] !== undefined ? str(used[name]) : '0'}/${str(hard[name])}, `;
    if (name.startsWith('limits.')) lim += piece; else req += piece;
  }
  return [req.replace(/, $/, ''), lim.replace(/, $/, '')];
}

export const resourcequotas = defineResource({
  group: '', version: 'v1', kind: 'ResourceQuota', plural: 'resourcequotas', namespaced: true, shortNames: ['quota'],
  subresources: { status: true },
  columns: [nameColumn, ageColumn, col('Request', 'Request represents a minimum amount of cpu/memory that a container may consume.'), col('Limit', 'Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.')],
  row: (o, now) => [o.metadata.name ?? '', age(o, now), ...quotaCells(o)],
  strategy: { statusOnCreate: () => undefined },
});

export const podtemplates = defineResource({
  group: '', version: 'v1', kind: 'PodTemplate', plural: 'podtemplates', namespaced: true,
  columns: [nameColumn, col('Containers', 'Names of each container in the template.'), col('Images', 'Images referenced by each container in the template.'), col('Pod Labels', 'The labels for the pod template.')],
  row: (o) => {
    const [names, images] = containerCells(get(o, 'template', 'spec'));
    return [o.metadata.name ?? '', names, images, formatLabels(get(o, 'template', 'metadata', 'labels') as Record<string, string>)];
  },
  strategy: { tracksGeneration: true },
});

/** POST-only `bindings` (the older form of pods/binding). */
export const bindings = defineResource({
  group: '', version: 'v1', kind: 'Binding', plural: 'bindings', namespaced: true, verbs: ['create'],
});
