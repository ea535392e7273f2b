/**
 * ResourceQuota admission (Kubernetes plugin/pkg/admission/resourcequota), run by the REST core on
 * every create after defaulting and validation: the object's usage (resourcequota-usage.ts) is
 * added to status.used of each ResourceQuota in its namespace that limits one of the resources it
 * uses; if any would go over status.hard the create is refused with 403
 *   pods "x" is forbidden: exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2
 * otherwise the quotas' status.used is raised (compare-and-swap) before the object is stored, so
 * two creates cannot both take the last unit. A quota whose status the controller has not yet
 * filled refuses with "status unknown for quota"; a pod under a quota on compute resources must
 * state them ("failed quota: q: must specify limits.cpu for: c"). The controller
 * (resourcequota.ts) recomputes used from the objects, so units of failed creates come back.
 */
import type { KubeObject } from '../api/object.js';
import { ApiError } from '../api/errors.js';
import { parseQuantity, type Quantity } from '../api/quantity.js';
import { missingComputeResources, prettyPrint, quotaMatches, usageOf, type QuotaScopeSpec } from './resourcequota-usage.js';

export interface QuotaAccess {
  /** The ResourceQuotas of a namespace. */
  list(namespace: string): Promise<KubeObject[]>;
  /** Compare-and-swap status.used of one quota; `update` gets the current quota and returns the new used map, or throws. */
  updateUsed(namespace: string, name: string, update: (current: KubeObject) => Record<string, string>): Promise<void>;
  now(): number;
}

export type CreateAdmission = (resource: { plural: string; group: string }, obj: KubeObject, namespace: string, dryRun: boolean) => Promise<void>;

class Refusal extends Error {}

function forbidden(plural: string, group: string, name: string, message: string): ApiError {
  const qualified = group ? `${plural}.${group}` : plural;
  return new ApiError(403, 'Forbidden', `${qualified} "${name}" is forbidden: ${message}`, { name, group: group || undefined, kind: plural });
}

const COMPUTE = ['cpu', 'memory', 'requests.cpu', 'requests.memory', 'limits.cpu', 'limits.memory'];

export function createQuotaAdmission(access: QuotaAccess): CreateAdmission {
  return async (resource, obj, namespace, dryRun) => {
    const { plural, group } = resource;
    const name = String(obj.metadata.name ?? '');
    // most namespaces have no quota: the (cheap) list before the object's usage is worked out
    const listed = await access.list(namespace);
    if (!listed.length) return;
    const usage = usageOf(plural, group, obj, access.now());
    if (!usage.size) return;
    const quotas = listed.sort((a, b) => String(a.metadata.name).localeCompare(String(b.metadata.name)));
    const relevant: { quota: KubeObject; keys: string[] }[] = [];
    for (const quota of quotas) {
      const spec = (quota.spec ?? {}) as { hard?: Record<string, string> } & QuotaScopeSpec;
      const hard = Object.keys(spec.hard ?? {});
      const keys = hard.filter((k) => usage.has(k));
      // a pod must state the compute resources a quota limits, even when it uses none of them
      if (plural === 'pods' && group === '' && quotaMatches(spec, plural, group, obj)) {
        const missing = missingComputeResources(obj, hard.filter((k) => COMPUTE.includes(k)));
        if (missing.length) throw forbidden(plural, group, name, `failed quota: ${quota.metadata.name}: must specify ${missing.join('; ')}`);
      }
      if (!keys.length || !quotaMatches(spec, plural, group, obj)) continue;
      relevant.push({ quota, keys });
    }
    if (!relevant.length) return;
    const check = (quota: KubeObject, keys: string[]): Record<string, string> => {
      const st = (quota.status ?? {}) as { hard?: Record<string, string>; used?: Record<string, string> };
      const hard = (quota.spec as { hard?: Record<string, string> }).hard ?? {};
      const unknown = keys.filter((k) => st.hard?.[k] === undefined || st.used?.[k] === undefined);
      if (unknown.length) throw new Refusal(`status unknown for quota: ${quota.metadata.name}, resource: ${unknown.sort().join(',')}`);
      const requested = new Map<string, Quantity>(), used = new Map<string, string>(), limited = new Map<string, string>();
      const next: Record<string, string> = { ...(st.used ?? {}) };
      for (const k of keys) {
        const u = parseQuantity(st.used![k]);
        const want = u.add(usage.get(k)!);
        next[k] = want.toString();
        if (want.cmp(parseQuantity(hard[k])) > 0) {
          requested.set(k, usage.get(k)!);
          used.set(k, u.toString());
          limited.set(k, parseQuantity(hard[k]).toString());
        }
      }
      if (requested.size) {
        throw new Refusal(`exceeded quota: ${quota.metadata.name}, requested: ${prettyPrint(requested)}, used: ${prettyPrint(used)}, limited: ${prettyPrint(limited)}`);
      }
      return next;
    };
    try {
      // check every quota first, so a refusal leaves all of them untouched
      for (const { quota, keys } of relevant) check(quota, keys);
      if (dryRun) return;
      for (const { quota, keys } of relevant) {
        await access.updateUsed(namespace, String(quota.metadata.name), (cur) => check(cur, keys));
      }
    } catch (err) {
      if (err instanceof Refusal) throw forbidden(plural, group, name, err.message);
      throw err;
    }
  };
}
