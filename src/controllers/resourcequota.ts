/**
 * ResourceQuota controller (Kubernetes pkg/controller/resourcequota): status.hard is spec.hard and
 * status.used is recomputed from the objects in the quota's namespace (resourcequota-usage.ts),
 * for exactly the resources the quota limits. Admission (resourcequota-admission.ts) raises
 * status.used as objects are created; this controller gives units back when objects go away or
 * pods finish (replenishment, on informer events) and corrects drift on a 5-minute resync.
 */
import type { KubeObject } from '../api/object.js';
import type { KubeClient, ResourceRef } from '../client/types.js';
import { Resources } from '../client/resources.js';
import type { SharedInformers } from '../client/shared-informers.js';
import type { Informer } from '../client/informer.js';
import { objectKey, splitKey } from '../client/informer.js';
import { WorkQueue } from '../client/work-queue.js';
import { isNotFound } from '../client/errors.js';
import { builtinResources } from '../api/resources/index.js';
import { quantityFromInt, type Quantity } from '../api/quantity.js';
import type { Clock } from '../util/clock.js';
import { realClock } from '../util/clock.js';
import { runController, type Reconciler, type RunningController } from './runner.js';
import { refFor } from '../client/resources.js';
import { OwnWrites } from './own-writes.js';
import { quotaMatches, usageOf, type QuotaScopeSpec } from './resourcequota-usage.js';

export const QUOTA_RESYNC_MS = 5 * 60 * 1000;

export interface ResourceQuotaControllerOptions {
  client: KubeClient;
  informers: SharedInformers;
  clock?: Clock;
  workers?: number;
}

/** Kinds watched for replenishment (the rest are listed from the API at each sync). */
const WATCHED: ResourceRef[] = [
  Resources.pods, Resources.services, Resources.configmaps, Resources.secrets, Resources.persistentvolumeclaims,
  Resources.replicationcontrollers, Resources.resourcequotas, Resources.deployments, Resources.replicasets,
  Resources.statefulsets, Resources.daemonsets, Resources.jobs, Resources.cronjobs,
];

/** The resource (plural, group) a quota resource name counts, or undefined for compute/other names. */
function resourceFor(name: string): { plural: string; group: string } | undefined {
  const legacy: Record<string, string> = {
    pods: 'pods', services: 'services', 'services.loadbalancers': 'services', 'services.nodeports': 'services',
    configmaps: 'configmaps', secrets: 'secrets', replicationcontrollers: 'replicationcontrollers', resourcequotas: 'resourcequotas',
    persistentvolumeclaims: 'persistentvolumeclaims', 'requests.storage': 'persistentvolumeclaims',
  };
  if (legacy[name]) return { plural: legacy[name], group: '' };
  if (/^(requests|limits)\.(cpu|memory|ephemeral-storage)$/.test(name) || ['cpu', 'memory', 'ephemeral-storage'].includes(name)) return { plural: 'pods', group: '' };
  if (name.includes('.storageclass.storage.k8s.io/')) return { plural: 'persistentvolumeclaims', group: '' };
  const m = /^count\/([a-z0-9-]+)(?:\.(.+))?$/.exec(name);
  if (m) return { plural: m[1], group: m[2] ?? '' };
  return undefined;
}

export function startResourceQuotaController(opts: ResourceQuotaControllerOptions): RunningController {
  const { client } = opts;
  const clock = opts.clock ?? realClock;
  const quotas = opts.informers.for(Resources.resourcequotas);
  const watched = new Map<string, Informer>();
  for (const ref of WATCHED) watched.set(`${ref.group}/${ref.resource}`, opts.informers.for(ref));
  const queue = new WorkQueue({ clock });
  const own = new OwnWrites();

  const enqueueNs = (o: KubeObject) => { for (const q of quotas.byIndex('namespace', String(o.metadata.namespace))) queue.add(objectKey(q)); };
  quotas.addEventHandler({ onAdd: (q) => queue.add(objectKey(q)), onUpdate: (o, q) => { if (JSON.stringify(o.spec) !== JSON.stringify(q.spec) || !q.status) queue.add(objectKey(q)); } });
  for (const [id, inf] of watched) {
    if (id === '/resourcequotas') continue;
    inf.addEventHandler({
      onAdd: enqueueNs,
      onDelete: enqueueNs,
      onUpdate: (o, n) => {
        // what an object uses changes with its spec, or for pods with the phase and deletion
        if (JSON.stringify(o.spec) !== JSON.stringify(n.spec) || JSON.stringify((o.status as { phase?: string } | undefined)?.phase) !== JSON.stringify((n.status as { phase?: string } | undefined)?.phase) || o.metadata.deletionTimestamp !== n.metadata.deletionTimestamp) enqueueNs(n);
      },
    });
  }

  async function objectsOf(plural: string, group: string, namespace: string): Promise<KubeObject[]> {
    const inf = watched.get(`${group}/${plural}`);
    if (inf) return inf.byIndex('namespace', namespace);
    const def = builtinResources.find((d) => d.plural === plural && d.group === group && d.namespaced && !d.storage);
    if (!def) return [];
    return (await client.list(refFor(def), namespace)).items;
  }

  const reconciler: Reconciler = {
    name: 'resourcequota',
    async reconcile(key) {
      const cached = quotas.get(key);
      if (!cached) return;
      const quota = own.latest(cached);
      const { namespace } = splitKey(key);
      const ns = String(namespace);
      const spec = (quota.spec ?? {}) as { hard?: Record<string, string> } & QuotaScopeSpec;
      const hard = spec.hard ?? {};
      const now = clock.now();
      const used = new Map<string, Quantity>();
      for (const k of Object.keys(hard)) used.set(k, quantityFromInt(0));
      const byResource = new Map<string, { plural: string; group: string }>();
      for (const k of Object.keys(hard)) { const r = resourceFor(k); if (r) byResource.set(`${r.group}/${r.plural}`, r); }
      for (const { plural, group } of byResource.values()) {
        for (const obj of await objectsOf(plural, group, ns)) {
          if (!quotaMatches(spec, plural, group, obj)) continue;
          for (const [k, v] of usageOf(plural, group, obj, now)) if (used.has(k)) used.set(k, used.get(k)!.add(v));
        }
      }
      const status = { hard: { ...hard }, used: Object.fromEntries([...used].map(([k, v]) => [k, v.toString()])) };
      const prev = (quota.status ?? {}) as { hard?: Record<string, string>; used?: Record<string, string> };
      const same = JSON.stringify(Object.entries(prev.hard ?? {}).sort()) === JSON.stringify(Object.entries(status.hard).sort())
        && JSON.stringify(Object.entries(prev.used ?? {}).sort()) === JSON.stringify(Object.entries(status.used).sort());
      if (!same) {
        try {
          own.remember(await client.update(Resources.resourcequotas, ns, { ...quota, status }, { subresource: 'status' }));
        } catch (err) { if (!isNotFound(err)) throw err; }
      }
      return { requeueAfterMs: QUOTA_RESYNC_MS };
    },
  };
  return runController(reconciler, queue, opts.workers ?? 2);
}
