/**
 * StatefulSet controller (Kubernetes pkg/controller/statefulset): pods NAME-0 … NAME-(n-1) with a
 * stable identity (hostname = pod name, subdomain = spec.serviceName, labels
 * statefulset.kubernetes.io/pod-name and apps.kubernetes.io/pod-index) and stable storage (one PVC
 * TEMPLATE-NAME-ORDINAL per volumeClaimTemplate, created before the pod and kept after it).
 *
 * podManagementPolicy OrderedReady: pods are created one at a time in ordinal order, each only
 * after its predecessors are Running and Ready (and available for minReadySeconds), and removed
 * in reverse order, one at a time. Parallel: all at once. Failed or succeeded pods are deleted
 * and made again.
 *
 * Updates: every template is recorded as a ControllerRevision (controller-revision.ts); pods carry
 * `controller-revision-hash` = the revision name. RollingUpdate replaces pods whose revision is not
 * the update revision from the highest ordinal down to `partition`, at most `maxUnavailable`
 * unavailable at a time; OnDelete only uses the new template for pods that were deleted.
 * Status: replicas, readyReplicas, currentReplicas, updatedReplicas, availableReplicas,
 * currentRevision, updateRevision, collisionCount, observedGeneration.
 */
import type { KubeObject } from '../api/object.js';
import type { StatefulSetSpec, StatefulSetStatus } from 'kubernetes-types/apps/v1.js';
import type { PersistentVolumeClaim, PodSpec, Volume } from 'kubernetes-types/core/v1.js';
import type { KubeClient } from '../client/types.js';
import { Resources } from '../client/resources.js';
import type { SharedInformers } from '../client/shared-informers.js';
import { objectKey, splitKey } from '../client/informer.js';
import { WorkQueue } from '../client/work-queue.js';
import { isAlreadyExists, isNotFound } from '../client/errors.js';
import { selectorFromSpec, type LabelSelectorSpec } from '../api/selectors.js';
import type { Clock } from '../util/clock.js';
import { realClock } from '../util/clock.js';
import { runController, type Reconciler, type RunningController } from './runner.js';
import { claimObjects, controllerOf, controllerRef, recheckOwner } from './owner-routing.js';
import { createEventRecorder, type EventRecorder } from './events.js';
import { podFromTemplate, isPodReady, isPodAvailable, podPhase, readyCondition, type PodTemplateSpec } from './pod-template.js';
import { podsByController, POD_CONTROLLER_INDEX } from './replicaset.js';
import { CONTROLLER_REVISION_HASH_LABEL, ensureUpdateRevision, truncateHistory } from './controller-revision.js';
import { OwnWrites } from './own-writes.js';

export const POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';
export const POD_INDEX_LABEL = 'apps.kubernetes.io/pod-index';
const REVISION_OWNER_INDEX = 'revision-controller-uid';

export interface StatefulSetControllerOptions {
  client: KubeClient;
  informers: SharedInformers;
  clock?: Clock;
  recorder?: EventRecorder;
  workers?: number;
}

export interface StatefulSetController extends RunningController { recorder: EventRecorder }

type Pod = KubeObject;

/** The ordinal of a pod named SET-N, or -1. */
export function ordinalOf(set: string, pod: Pod): number {
  const name = String(pod.metadata.name);
  if (!name.startsWith(`${set}-`)) return -1;
  const rest = name.slice(set.length + 1);
  return /^(0|[1-9]\d*)$/.test(rest) ? Number(rest) : -1;
}

const isTerminating = (p: Pod) => !!p.metadata.deletionTimestamp;
const isFinished = (p: Pod) => podPhase(p) === 'Failed' || podPhase(p) === 'Succeeded';
const isRunningAndReady = (p: Pod) => podPhase(p) === 'Running' && isPodReady(p);

/** An int or a percentage of `total` (rounded up, as intstr.GetScaledValueFromIntOrPercent with roundUp). */
function scaled(v: number | string | undefined, total: number, dflt: number): number {
  if (v === undefined || v === null) return dflt;
  if (typeof v === 'number') return v;
  const m = /^(\d+)%$/.exec(v);
  return m ? Math.ceil((Number(m[1]) * total) / 100) : Number(v) || dflt;
}

/** ms until the first ready pod becomes available (Ready for longer than minReadySeconds), if any. */
export function untilAvailable(pods: Pod[], minReadySeconds: number, now: number): number | undefined {
  let best: number | undefined;
  for (const p of pods) {
    if (!isPodReady(p) || isPodAvailable(p, minReadySeconds, now)) continue;
    const since = Date.parse(String(readyCondition(p)?.lastTransitionTime ?? ''));
    if (Number.isNaN(since)) continue;
    const wait = Math.max(1, since + minReadySeconds * 1000 + 1 - now);
    best = best === undefined ? wait : Math.min(best, wait);
  }
  return best;
}

export function startStatefulSetController(opts: StatefulSetControllerOptions): StatefulSetController {
  const { client } = opts;
  const clock = opts.clock ?? realClock;
  const recorder = opts.recorder ?? createEventRecorder(client, 'statefulset-controller', clock);
  const sets = opts.informers.for(Resources.statefulsets);
  const pods = podsByController(opts.informers);
  const revisions = opts.informers.for(Resources.controllerrevisions);
  revisions.addIndexer(REVISION_OWNER_INDEX, (r) => { const c = controllerOf(r); return c ? [c.uid] : []; });
  const pvcs = opts.informers.for(Resources.persistentvolumeclaims);
  const queue = new WorkQueue({ clock });
  const own = new OwnWrites();

  const ownerKey = (o: KubeObject) => {
    const r = controllerOf(o);
    if (!r || r.kind !== 'StatefulSet') return undefined;
    return `${o.metadata.namespace}/${r.name}`;
  };
  const enqueueOwner = (o: KubeObject) => { const k = ownerKey(o); if (k) queue.add(k); };
  const enqueueMatching = (p: Pod) => {
    if (controllerOf(p)) return;
    for (const s of sets.byIndex('namespace', String(p.metadata.namespace))) {
      try { if (selectorFromSpec((s.spec as StatefulSetSpec).selector as LabelSelectorSpec).matches(p.metadata.labels)) queue.add(objectKey(s)); } catch { /* invalid selector */ }
    }
  };
  sets.addEventHandler({ onAdd: (s) => queue.add(objectKey(s)), onUpdate: (_o, s) => queue.add(objectKey(s)), onDelete: (s) => queue.add(objectKey(s)) });
  pods.addEventHandler({
    onAdd: (p) => { enqueueOwner(p); enqueueMatching(p); },
    onUpdate: (o, p) => {
      enqueueOwner(p);
      if (controllerOf(o)?.uid !== controllerOf(p)?.uid) enqueueOwner(o);
      enqueueMatching(p);
      // becoming ready starts minReadySeconds: look again once it may be available
      const k = ownerKey(p);
      const mrs = k ? ((sets.get(k)?.spec as StatefulSetSpec | undefined)?.minReadySeconds ?? 0) : 0;
      if (k && mrs > 0 && !isPodReady(o) && isPodReady(p)) queue.addAfter(k, mrs * 1000 + 1000);
    },
    onDelete: enqueueOwner,
  });
  revisions.addEventHandler({ onAdd: enqueueOwner, onDelete: enqueueOwner });

  function claimName(set: KubeObject, tmpl: PersistentVolumeClaim, ordinal: number): string {
    return `${tmpl.metadata?.name}-${set.metadata.name}-${ordinal}`;
  }

  function newPod(set: KubeObject, revision: KubeObject, ordinal: number): Pod {
    const spec = (set.spec ?? {}) as StatefulSetSpec;
    const setName = String(set.metadata.name);
    // the pod comes from the revision's template (the current or the update one)
    const template = ((revision.data as { spec?: { template?: PodTemplateSpec } } | undefined)?.spec?.template ?? spec.template) as PodTemplateSpec & { $patch?: string };
    const { $patch: _p, ...tmpl } = template;
    void _p;
    const pod = podFromTemplate(tmpl, set, Resources.statefulsets);
    const name = `${setName}-${ordinal}`;
    delete pod.metadata.generateName;
    pod.metadata.name = name;
    pod.metadata.labels = { ...(pod.metadata.labels ?? {}), [POD_NAME_LABEL]: name, [POD_INDEX_LABEL]: String(ordinal), [CONTROLLER_REVISION_HASH_LABEL]: String(revision.metadata.name) };
    const ps = pod.spec as PodSpec;
    ps.hostname = name;
    if (spec.serviceName) ps.subdomain = spec.serviceName;
    const claims = spec.volumeClaimTemplates ?? [];
    if (claims.length) {
      const vols: Volume[] = (ps.volumes ?? []).filter((v) => !claims.some((c) => c.metadata?.name === v.name));
      for (const c of claims) vols.push({ name: String(c.metadata?.name), persistentVolumeClaim: { claimName: claimName(set, c, ordinal) } });
      ps.volumes = vols;
    }
    return pod;
  }

  async function ensureClaims(set: KubeObject, ordinal: number): Promise<void> {
    const spec = (set.spec ?? {}) as StatefulSetSpec;
    const ns = set.metadata.namespace;
    const retention = spec.persistentVolumeClaimRetentionPolicy;
    for (const t of spec.volumeClaimTemplates ?? []) {
      const name = claimName(set, t, ordinal);
      if (pvcs.get(`${ns}/${name}`)) continue;
      const claim: KubeObject = {
        apiVersion: 'v1', kind: 'PersistentVolumeClaim',
        metadata: {
          name, namespace: ns,
          labels: { ...(t.metadata?.labels ?? {}), ...(((spec.selector as LabelSelectorSpec | undefined)?.matchLabels) ?? {}) },
          ...(t.metadata?.annotations ? { annotations: { ...t.metadata.annotations } } : {}),
        },
        spec: structuredClone(t.spec ?? {}),
      };
      // WhenDeleted: Delete makes the claim follow the set (StatefulSetAutoDeletePVC)
      if (retention?.whenDeleted === 'Delete') claim.metadata.ownerReferences = [{ ...controllerRef(set, Resources.statefulsets), controller: true }];
      try {
        await client.create(Resources.persistentvolumeclaims, ns, claim);
        recorder.event(set, 'Normal', 'SuccessfulCreate', `create Claim ${name} Pod ${set.metadata.name}-${ordinal} in StatefulSet ${set.metadata.name} success`);
      } catch (err) {
        if (isAlreadyExists(err)) continue;
        recorder.event(set, 'Warning', 'FailedCreate', `create Claim ${name} for Pod ${set.metadata.name}-${ordinal} in StatefulSet ${set.metadata.name} failed error: ${err instanceof Error ? err.message : String(err)}`);
        throw err;
      }
    }
  }

  async function claimsFollowPod(set: KubeObject, pod: Pod): Promise<void> {
    const spec = (set.spec ?? {}) as StatefulSetSpec;
    const ordinal = ordinalOf(String(set.metadata.name), pod);
    for (const t of spec.volumeClaimTemplates ?? []) {
      const claim = pvcs.get(`${set.metadata.namespace}/${claimName(set, t, ordinal)}`);
      if (!claim || claim.metadata.ownerReferences?.some((r) => r.uid === pod.metadata.uid)) continue;
      const refs = [...(claim.metadata.ownerReferences ?? []), { apiVersion: 'v1', kind: 'Pod', name: String(pod.metadata.name), uid: String(pod.metadata.uid) }];
      try {
        await client.patch(Resources.persistentvolumeclaims, claim.metadata.namespace, String(claim.metadata.name), 'merge', { metadata: { ownerReferences: refs, resourceVersion: claim.metadata.resourceVersion } });
      } catch (err) { if (!isNotFound(err)) throw err; }
    }
  }

  async function createPod(set: KubeObject, revision: KubeObject, ordinal: number): Promise<boolean> {
    await ensureClaims(set, ordinal);
    const pod = newPod(set, revision, ordinal);
    try {
      await client.create(Resources.pods, set.metadata.namespace, pod);
      recorder.event(set, 'Normal', 'SuccessfulCreate', `create Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} successful`);
      return true;
    } catch (err) {
      if (isAlreadyExists(err)) return false; // our cache is behind: its event is on the way
      recorder.event(set, 'Warning', 'FailedCreate', `create Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} failed error: ${err instanceof Error ? err.message : String(err)}`);
      throw err;
    }
  }

  async function deletePod(set: KubeObject, pod: Pod): Promise<void> {
    try {
      await client.delete(Resources.pods, pod.metadata.namespace, String(pod.metadata.name), { preconditions: { uid: pod.metadata.uid } });
      recorder.event(set, 'Normal', 'SuccessfulDelete', `delete Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} successful`);
    } catch (err) {
      if (isNotFound(err)) return;
      recorder.event(set, 'Warning', 'FailedDelete', `delete Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} failed error: ${err instanceof Error ? err.message : String(err)}`);
      throw err;
    }
  }

  const reconciler: Reconciler = {
    name: 'statefulset',
    async reconcile(key) {
      const cachedSet = sets.get(key);
      if (!cachedSet) return;
      const set = own.latest(cachedSet);
      const { namespace } = splitKey(key);
      const spec = (set.spec ?? {}) as StatefulSetSpec;
      const prev = (set.status ?? {}) as StatefulSetStatus;
      const now = clock.now();
      const setName = String(set.metadata.name);
      let selector;
      try { selector = selectorFromSpec(spec.selector as LabelSelectorSpec); } catch { return; }
      const claimed = await claimObjects({
        client, owner: set, ownerRef: Resources.statefulsets, dependentRef: Resources.pods, selector,
        candidates: pods.byIndex('namespace', String(namespace)), canAdopt: recheckOwner(client, Resources.statefulsets, set),
      });
      // revisions
      const owned = revisions.byIndex(REVISION_OWNER_INDEX, String(set.metadata.uid));
      const { update, revisions: history, collisionCount } = await ensureUpdateRevision(client, set, Resources.statefulsets, owned, prev.collisionCount ?? 0);
      const current = history.find((r) => r.metadata.name === prev.currentRevision) ?? update;
      const updateName = String(update.metadata.name);
      const currentName = String(current.metadata.name);
      const revisionOf = (p: Pod) => p.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL];

      const replicasWanted = spec.replicas ?? 1;
      const start = spec.ordinals?.start ?? 0;
      const end = start + replicasWanted;
      const replicas = new Map<number, Pod>();
      const condemned: Pod[] = [];
      for (const p of claimed) {
        const o = ordinalOf(setName, p);
        if (o < 0) continue;
        if (o >= start && o < end) replicas.set(o, p);
        else condemned.push(p);
      }
      condemned.sort((a, b) => ordinalOf(setName, a) - ordinalOf(setName, b));
      const monotonic = spec.podManagementPolicy !== 'Parallel';
      const minReady = spec.minReadySeconds ?? 0;
      const rolling = (spec.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
      const partition = rolling ? (spec.updateStrategy?.rollingUpdate?.partition ?? 0) : 0;
      const counted = [...replicas.values(), ...condemned];

      const manage = async (): Promise<void> => {
        if (set.metadata.deletionTimestamp) return;
        // 1. replicas in ordinal order
        for (let o = start; o < end; o++) {
          let pod = replicas.get(o);
          if (pod && isFinished(pod) && !isTerminating(pod)) {
            // a failed or succeeded pod is made again
            await deletePod(set, pod);
            replicas.delete(o);
            if (monotonic) return;
            pod = undefined;
            continue;
          }
          if (!pod) {
            // new pods take the current revision below the partition (or the count of current pods), else the update revision
            const useCurrent = rolling && o < start + (spec.updateStrategy?.rollingUpdate ? partition : (prev.currentReplicas ?? 0));
            await createPod(set, useCurrent ? current : update, o);
            if (monotonic) return;
            continue;
          }
          if (isTerminating(pod)) { if (monotonic) return; continue; }
          if (!isRunningAndReady(pod) && monotonic) return;
          if (!isPodAvailable(pod, minReady, now) && monotonic) return;
          await ensureClaims(set, o);
        }
        // 2. condemned pods, highest ordinal first
        const firstUnhealthy = [...[...replicas.values()].sort((a, b) => ordinalOf(setName, a) - ordinalOf(setName, b)), ...condemned].find((p) => !isRunningAndReady(p) || isTerminating(p));
        for (let i = condemned.length - 1; i >= 0; i--) {
          const pod = condemned[i];
          if (isTerminating(pod)) { if (monotonic) return; continue; }
          if (!isRunningAndReady(pod) && monotonic && pod !== firstUnhealthy) return;
          // whenScaled: Delete — the claims of a removed ordinal go with its pod (the garbage collector follows the owner)
          if (spec.persistentVolumeClaimRetentionPolicy?.whenScaled === 'Delete') await claimsFollowPod(set, pod);
          await deletePod(set, pod);
          if (monotonic) return;
        }
        // 3. rolling update from the highest ordinal down to the partition
        if (!rolling) return;
        const maxUnavailable = Math.max(1, scaled(spec.updateStrategy?.rollingUpdate?.maxUnavailable as number | string | undefined, replicasWanted, 1));
        let unavailable = 0;
        for (const p of replicas.values()) if (isTerminating(p) || !isPodAvailable(p, minReady, now)) unavailable++;
        // ordinals without a pod (being created in this sync) are unavailable too
        for (let o = start; o < end; o++) if (!replicas.has(o)) unavailable++;
        for (let o = end - 1; o >= start + partition; o--) {
          const pod = replicas.get(o);
          if (!pod) continue;
          if (revisionOf(pod) !== updateName && !isTerminating(pod)) {
            if (unavailable >= maxUnavailable) return;
            await deletePod(set, pod);
            unavailable++;
            continue;
          }
          // wait for the pod just updated to be available before the next one
          if (!isPodAvailable(pod, minReady, now) || isTerminating(pod)) {
            if (unavailable >= maxUnavailable) return;
          }
        }
      };
      await manage();

      // status
      const status: StatefulSetStatus = { replicas: 0, availableReplicas: 0 };
      let ready = 0, available = 0, cur = 0, upd = 0;
      for (const p of counted) {
        if (isTerminating(p)) continue;
        status.replicas++;
        if (isRunningAndReady(p)) { ready++; if (isPodAvailable(p, minReady, now)) available++; }
        if (revisionOf(p) === currentName) cur++;
        if (revisionOf(p) === updateName) upd++;
      }
      status.observedGeneration = set.metadata.generation;
      status.readyReplicas = ready || undefined;
      status.availableReplicas = available;
      status.currentReplicas = cur || undefined;
      status.updatedReplicas = upd || undefined;
      status.currentRevision = currentName;
      status.updateRevision = updateName;
      status.collisionCount = collisionCount;
      // a finished rolling update makes the update revision current
      if (rolling && upd === status.replicas && ready === status.replicas && status.replicas === replicasWanted) {
        status.currentRevision = updateName;
        status.currentReplicas = upd || undefined;
      }
      if (prev.conditions) status.conditions = prev.conditions;
      for (const k of Object.keys(status) as (keyof StatefulSetStatus)[]) if (status[k] === undefined) delete status[k];
      if (JSON.stringify(status) !== JSON.stringify(prev)) {
        try { own.remember(await client.update(Resources.statefulsets, namespace, { ...set, status: status as unknown as Record<string, unknown> }, { subresource: 'status' })); } catch (err) { if (!isNotFound(err)) throw err; }
      }
      // history: keep revisions pods use, the current and the update one, and revisionHistoryLimit more
      const live = new Set<string>([String(status.currentRevision), updateName]);
      for (const p of counted) { const r = revisionOf(p); if (r) live.add(r); }
      await truncateHistory(client, history, live, spec.revisionHistoryLimit ?? 10);
      if (minReady > 0 && ready > available) {
        const wait = untilAvailable(counted, minReady, now);
        if (wait !== undefined) return { requeueAfterMs: wait };
      }
      return undefined;
    },
  };
  const running = runController(reconciler, queue, opts.workers ?? 5);
  return { ...running, recorder };
}

export { POD_CONTROLLER_INDEX };
