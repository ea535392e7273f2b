/** core/v1 Namespace: phase Active on create; status.phase field selector; the `kubernetes` finalizer. */
import { defineResource } from './define.js';
import { age, ageColumn, col, get, nameColumn, str } from './print-util.js';

export const namespaces = defineResource({
  group: '', version: 'v1', kind: 'Namespace', plural: 'namespaces', namespaced: false, shortNames: ['ns'],
  verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
  subresources: { status: true, others: [{ name: 'finalize', verbs: ['update'], kind: 'Namespace' }] },
  columns: [nameColumn, col('Status', 'The status of the namespace'), ageColumn],
  row: (o, now) => [o.metadata.name ?? '', str(get(o, 'status', 'phase')), age(o, now)],
  fieldSelectors: { 'status.phase': (o) => str(get(o, 'status', 'phase')) },
  strategy: {
    returnDeletedObject: true,
    blocksDeletion: (o) => ((o.spec as { finalizers?: string[] } | undefined)?.finalizers ?? []).length > 0,
    tracksGeneration: false,
    statusOnCreate: () => ({ phase: 'Active' }),
    prepareForCreate: (o) => {
      const spec = (o.spec ?? {}) as { finalizers?: string[] };
      const f = spec.finalizers ?? [];
      if (!f.includes('kubernetes')) f.push('kubernetes');
      o.spec = { ...spec, finalizers: f };
    },
    prepareForUpdate: (o, old) => { o.spec = old.spec; },
  },
});
