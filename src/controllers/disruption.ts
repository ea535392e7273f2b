/**
 * Disruption controller (Kubernetes' pkg/controller/disruption): keeps each PodDisruptionBudget's
 * status — expectedPods, currentHealthy, desiredHealthy, disruptionsAllowed, observedGeneration,
 * the DisruptionAllowed condition — so the eviction API (and `kubectl drain`) can honour it.
 *   minAvailable N      → desiredHealthy N, expected = matching pods
 *   minAvailable P%     → desiredHealthy ceil(P% × expected), expected = replicas of the pods' controllers
 *   maxUnavailable N|P% → desiredHealthy expected − N (P% rounded up), expected as above
 * Healthy = Ready and not being deleted, and not in disruptedPods (evictions not yet seen, 2 min).
 */
import type { KubeObject } from '../api/object.js';
import type { KubeClient } from '../client/types.js';
import { Resources } from '../client/resources.js';
import type { SharedInformers } from '../client/shared-informers.js';
import { splitKey } from '../client/informer.js';
import { WorkQueue } from '../client/work-queue.js';
import { isNotFound, isConflict } from '../client/errors.js';
import { selectorFromSpec, type LabelSelectorSpec } from '../api/selectors.js';
import type { Clock } from '../util/clock.js';
import { realClock } from '../util/clock.js';
import { runController, type RunningController } from './runner.js';

type Obj = Record<string, unknown>;
const DELETION_TIMEOUT_MS = 2 * 60_000;

function rfc3339(ms: number): string { return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z'); }

function isReady(p: KubeObject): boolean {
  const conds = ((p.status as Obj | undefined)?.conditions as Obj[] | undefined) ?? [];
  return conds.some((c) => c.type === 'Ready' && c.status === 'True');
}

function intOrPercent(v: unknown, total: number, roundUp: boolean): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^\d+%$/.test(v)) {
    const f = (Number(v.slice(0, -1)) * total) / 100;
    return roundUp ? Math.ceil(f) : Math.floor(f);
  }
  if (typeof v === 'string' && /^\d+$/.test(v)) return Number(v);
  return undefined;
}

export function startDisruptionController(opts: { client: KubeClient; informers: SharedInformers; clock?: Clock }): RunningController {
  const clock = opts.clock ?? realClock;
  const pdbs = opts.informers.for<KubeObject>(Resources.poddisruptionbudgets);
  const pods = opts.informers.for<KubeObject>(Resources.pods);
  const rss = opts.informers.for<KubeObject>(Resources.replicasets);
  const rcs = opts.informers.for<KubeObject>(Resources.replicationcontrollers);
  const sss = opts.informers.for<KubeObject>(Resources.statefulsets);
  const deps = opts.informers.for<KubeObject>(Resources.deployments);
  const queue = new WorkQueue({ clock });
  const enqueueNs = (ns: string | undefined) => { for (const p of pdbs.byIndex('namespace', ns ?? '')) queue.add(`${p.metadata.namespace}/${p.metadata.name}`); };
  pdbs.addEventHandler({ onAdd: (p) => queue.add(`${p.metadata.namespace}/${p.metadata.name}`), onUpdate: (_o, p) => queue.add(`${p.metadata.namespace}/${p.metadata.name}`) });
  pods.addEventHandler({ onAdd: (p) => enqueueNs(p.metadata.namespace), onUpdate: (_o, p) => enqueueNs(p.metadata.namespace), onDelete: (p) => enqueueNs(p.metadata.namespace) });
  for (const inf of [rss, rcs, sss, deps]) inf.addEventHandler({ onUpdate: (_o, x) => enqueueNs(x.metadata.namespace) });

  /** Replicas of the controller that owns the pod (Deployment above a ReplicaSet), or undefined. */
  const controllerScale = (pod: KubeObject): { uid: string; replicas: number } | undefined => {
    const ref = pod.metadata.ownerReferences?.find((r) => r.controller);
    if (!ref) return undefined;
    const ns = pod.metadata.namespace;
    if (ref.kind === 'ReplicaSet') {
      const rs = rss.get(`${ns}/${ref.name}`);
      if (!rs || rs.metadata.uid !== ref.uid) return undefined;
      const dref = rs.metadata.ownerReferences?.find((r) => r.controller && r.kind === 'Deployment');
      if (dref) {
        const d = deps.get(`${ns}/${dref.name}`);
        if (d && d.metadata.uid === dref.uid) return { uid: dref.uid, replicas: ((d.spec as Obj).replicas as number | undefined) ?? 1 };
      }
      return { uid: ref.uid, replicas: ((rs.spec as Obj).replicas as number | undefined) ?? 1 };
    }
    const inf = ref.kind === 'ReplicationController' ? rcs : ref.kind === 'StatefulSet' ? sss : undefined;
    const o = inf?.get(`${ns}/${ref.name}`);
    if (!o || o.metadata.uid !== ref.uid) return undefined;
    return { uid: ref.uid, replicas: ((o.spec as Obj).replicas as number | undefined) ?? 1 };
  };

  const reconcile = async (key: string): Promise<{ requeueAfterMs?: number } | void> => {
    const pdb = pdbs.get(key);
    if (!pdb) return;
    const { namespace } = splitKey(key);
    const spec = (pdb.spec ?? {}) as Obj;
    let sel;
    try { sel = selectorFromSpec(spec.selector as LabelSelectorSpec | undefined); } catch { sel = undefined; }
    const matching = sel && !sel.empty() ? pods.byIndex('namespace', namespace ?? '').filter((p) => sel!.matches(p.metadata.labels)) : [];
    const now = clock.now();
    const st = (pdb.status ?? {}) as Obj;
    const disrupted: Record<string, string> = {};
    let recheck: number | undefined;
    for (const [name, t] of Object.entries((st.disruptedPods as Record<string, string> | undefined) ?? {})) {
      const p = matching.find((x) => x.metadata.name === name);
      const expires = Date.parse(t) + DELETION_TIMEOUT_MS;
      if (!p || p.metadata.deletionTimestamp || expires <= now) continue;
      disrupted[name] = t;
      recheck = Math.min(recheck ?? Infinity, expires - now);
    }
    const healthy = matching.filter((p) => !p.metadata.deletionTimestamp && isReady(p) && !(String(p.metadata.name) in disrupted)).length;
    let expected = matching.length;
    let desired = 0;
    let ok = true;
    if (typeof spec.minAvailable === 'number' || (typeof spec.minAvailable === 'string' && !spec.minAvailable.endsWith('%'))) {
      desired = intOrPercent(spec.minAvailable, 0, true) ?? 0;
    } else {
      const scales = new Map<string, number>();
      for (const p of matching) {
        const s = controllerScale(p);
        if (!s) { ok = false; break; }
        scales.set(s.uid, s.replicas);
      }
      expected = [...scales.values()].reduce((a, b) => a + b, 0);
      if (spec.minAvailable !== undefined) desired = intOrPercent(spec.minAvailable, expected, true) ?? expected;
      else if (spec.maxUnavailable !== undefined) desired = Math.max(0, expected - (intOrPercent(spec.maxUnavailable, expected, true) ?? 0));
    }
    const allowed = ok ? Math.max(0, healthy - desired) : 0;
    const oldCond = ((st.conditions as Obj[] | undefined) ?? []).find((c) => c.type === 'DisruptionAllowed');
    const condStatus = allowed > 0 ? 'True' : 'False';
    const reason = !ok ? 'SyncFailed' : allowed > 0 ? 'SufficientPods' : 'InsufficientPods';
    const cond = {
      type: 'DisruptionAllowed', status: condStatus, reason, message: '', observedGeneration: pdb.metadata.generation,
      lastTransitionTime: oldCond && oldCond.status === condStatus ? oldCond.lastTransitionTime : rfc3339(now),
    };
    const status: Obj = {
      observedGeneration: pdb.metadata.generation, disruptionsAllowed: allowed, currentHealthy: healthy, desiredHealthy: desired, expectedPods: expected,
      conditions: [cond], ...(Object.keys(disrupted).length ? { disruptedPods: disrupted } : {}),
    };
    const same = st.observedGeneration === status.observedGeneration && st.disruptionsAllowed === allowed && st.currentHealthy === healthy
      && st.desiredHealthy === desired && st.expectedPods === expected && JSON.stringify(st.disruptedPods ?? {}) === JSON.stringify(disrupted)
      && oldCond?.status === condStatus && oldCond?.reason === reason;
    if (!same) {
      try {
        await opts.client.update(Resources.poddisruptionbudgets, namespace, { ...pdb, status } as KubeObject, { subresource: 'status' });
      } catch (e) {
        if (isNotFound(e)) return;
        if (isConflict(e)) return { requeueAfterMs: 50 };
        throw e;
      }
    }
    return recheck !== undefined ? { requeueAfterMs: recheck } : undefined;
  };
  return runController({ name: 'disruption', reconcile }, queue, 1);
}
