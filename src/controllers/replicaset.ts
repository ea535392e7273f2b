/**
 * ReplicaSet controller (Kubernetes pkg/controller/replicaset): keeps `spec.replicas` active pods
 * matching the selector. Orphans that match are adopted, owned pods that stop matching are
 * released; missing pods are created in slow-start batches (1, 2, 4 …; warm after a fully successful run, slow-start.ts), surplus pods are deleted
 * least valuable first (replicaset-rank.ts). Expectations keep it from acting again on a key until
 * its own creations/deletions are seen. Terminating and failed/succeeded pods do not count, so a
 * pod deleted with its failed node is replaced. Status: replicas, fullyLabeledReplicas,
 * readyReplicas, availableReplicas (minReadySeconds), observedGeneration, ReplicaFailure.
 * The same code runs the ReplicationController controller (replicationcontroller.ts).
 */
import type { KubeObject } from '../api/object.js';
import type { KubeClient, ResourceRef } from '../client/types.js';
import { Resources } from '../client/resources.js';
import type { SharedInformers } from '../client/shared-informers.js';
import { objectKey, splitKey, type Informer } from '../client/informer.js';
import { WorkQueue } from '../client/work-queue.js';
import { isNotFound, isConflict } from '../client/errors.js';
import { selectorFromSpec, selectorFromMap, type LabelSelector, type LabelSelectorSpec } from '../api/selectors.js';
import type { Clock } from '../util/clock.js';
import { realClock } from '../util/clock.js';
import { runController, type Reconciler, type RunningController } from './runner.js';
import { ControllerExpectations } from './expectations.js';
import { claimObjects, controllerOf, recheckOwner } from './owner-routing.js';
import { createEventRecorder, type EventRecorder } from './events.js';
import { podFromTemplate, isPodActive, isPodReady, isPodAvailable, type PodTemplateSpec } from './pod-template.js';
import { podsToDelete } from './replicaset-rank.js';
import { slowStartBatch, WarmStart } from './slow-start.js';

export { slowStartBatch };

/** Most pods created or deleted in one sync (Kubernetes' BurstReplicas). */
export const BURST_REPLICAS = 500;
export const POD_CONTROLLER_INDEX = 'controller-uid';

export interface ReplicaSetControllerOptions {
  client: KubeClient;
  informers: SharedInformers;
  clock?: Clock;
  recorder?: EventRecorder;
  workers?: number;
}

export interface ReplicaController extends RunningController {
  expectations: ControllerExpectations;
  recorder: EventRecorder;
}

/** What differs between ReplicaSet and ReplicationController. */
export interface ReplicaKind {
  ref: ResourceRef;
  name: string;
  component: string;
  selector(obj: KubeObject): LabelSelector;
}

export const replicaSetKind: ReplicaKind = {
  ref: Resources.replicasets,
  name: 'replicaset',
  component: 'replicaset-controller',
  selector: (rs) => {
    try { return selectorFromSpec((rs.spec as { selector?: LabelSelectorSpec }).selector); } catch { return selectorFromSpec(null); }
  },
};

export const replicationControllerKind: ReplicaKind = {
  ref: Resources.replicationcontrollers,
  name: 'replicationcontroller',
  component: 'replication-controller',
  selector: (rc) => {
    const sel = (rc.spec as { selector?: Record<string, string> }).selector;
    return sel && Object.keys(sel).length ? selectorFromMap(sel) : selectorFromSpec(null);
  },
};

interface ReplicaSpec { replicas?: number; minReadySeconds?: number; template?: PodTemplateSpec }
interface ReplicaStatus {
  replicas?: number; fullyLabeledReplicas?: number; readyReplicas?: number; availableReplicas?: number;
  observedGeneration?: number; conditions?: { type: string; status: string; reason?: string; message?: string; lastTransitionTime?: string }[];
}

export const ORPHAN_POD_INDEX = 'orphan-namespace';

/**
 * Pods indexed by their controller's uid, and pods without a controller by namespace (shared by the
 * workload controllers): a controller claims from its own pods and the orphans only, not from every
 * pod in the namespace.
 */
export function podsByController(informers: SharedInformers): Informer {
  const pods = informers.for(Resources.pods);
  pods.addIndexer(POD_CONTROLLER_INDEX, (p) => { const r = controllerOf(p); return r ? [r.uid] : []; });
  pods.addIndexer(ORPHAN_POD_INDEX, (p) => (controllerOf(p) ? [] : [String(p.metadata.namespace)]));
  return pods;
}

/** Candidates for claimObjects: the owner's own pods and the orphans of its namespace (active only). */
export function claimCandidates(pods: Informer, owner: KubeObject): KubeObject[] {
  return [
    ...pods.byIndex(POD_CONTROLLER_INDEX, String(owner.metadata.uid)),
    ...pods.byIndex(ORPHAN_POD_INDEX, String(owner.metadata.namespace)),
  ].filter(isPodActive);
}

export function startReplicaSetController(opts: ReplicaSetControllerOptions): ReplicaController {
  return startReplicaController(replicaSetKind, opts);
}

export function startReplicaController(kind: ReplicaKind, opts: ReplicaSetControllerOptions): ReplicaController {
  const { client } = opts;
  const clock = opts.clock ?? realClock;
  const recorder = opts.recorder ?? createEventRecorder(client, kind.component, clock);
  const owners = opts.informers.for(kind.ref);
  const pods = podsByController(opts.informers);
  const queue = new WorkQueue({ clock });
  const expectations = new ControllerExpectations(clock);
  const warmStart = new WarmStart(BURST_REPLICAS);

  const ownerKeyOf = (pod: KubeObject): string | undefined => {
    const ref = controllerOf(pod);
    if (!ref || ref.kind !== kind.ref.kind) return undefined;
    const key = `${pod.metadata.namespace}/${ref.name}`;
    const owner = owners.get(key);
    return owner && owner.metadata.uid === ref.uid ? key : undefined;
  };
  const enqueueMatching = (pod: KubeObject) => {
    for (const o of owners.byIndex('namespace', String(pod.metadata.namespace))) {
      if (kind.selector(o).matches(pod.metadata.labels)) queue.add(objectKey(o));
    }
  };
  const podDeleted = (pod: KubeObject) => {
    const key = ownerKeyOf(pod);
    if (!key) return;
    expectations.deletionObserved(key, objectKey(pod));
    queue.add(key);
  };

  owners.addEventHandler({
    onAdd: (o) => queue.add(objectKey(o)),
    onUpdate: (_old, o) => queue.add(objectKey(o)),
    onDelete: (o) => queue.add(objectKey(o)),
  });
  pods.addEventHandler({
    onAdd(pod) {
      if (pod.metadata.deletionTimestamp) { podDeleted(pod); return; }
      const key = ownerKeyOf(pod);
      if (key) { expectations.creationObserved(key); queue.add(key); return; }
      if (!controllerOf(pod)) enqueueMatching(pod);
    },
    onUpdate(old, cur) {
      const labelsChanged = JSON.stringify(old.metadata.labels ?? {}) !== JSON.stringify(cur.metadata.labels ?? {});
      if (cur.metadata.deletionTimestamp) {
        podDeleted(cur);
        if (labelsChanged) podDeleted(old);
        return;
      }
      const oldRef = controllerOf(old), curRef = controllerOf(cur);
      if (oldRef && oldRef.uid !== curRef?.uid) { const k = ownerKeyOf(old); if (k) queue.add(k); }
      const key = ownerKeyOf(cur);
      if (key) {
        queue.add(key);
        // a pod that just became ready becomes available after minReadySeconds: look again then
        const mrs = ((owners.get(key)?.spec as ReplicaSpec | undefined)?.minReadySeconds) ?? 0;
        if (mrs > 0 && !isPodReady(old) && isPodReady(cur)) queue.addAfter(key, mrs * 1000 + 1000);
        return;
      }
      if (!curRef && (labelsChanged || oldRef)) enqueueMatching(cur);
    },
    onDelete: podDeleted,
  });

  const reconciler: Reconciler = {
    name: kind.name,
    async reconcile(key) {
      const owner = owners.get(key);
      if (!owner) { expectations.delete(key); warmStart.forget(key); return; }
      const { namespace } = splitKey(key);
      const spec = (owner.spec ?? {}) as ReplicaSpec;
      const needsSync = expectations.satisfied(key);
      const selector = kind.selector(owner);
      const active = claimCandidates(pods, owner);
      const claimed = await claimObjects({
        client, owner, ownerRef: kind.ref, dependentRef: Resources.pods, selector, candidates: active,
        canAdopt: recheckOwner(client, kind.ref, owner),
      });
      let manageErr: Error | undefined;
      if (needsSync && !owner.metadata.deletionTimestamp) {
        try { await manageReplicas(owner, spec, claimed, key); } catch (err) { manageErr = err instanceof Error ? err : new Error(String(err)); }
      }
      const status = calculateStatus(owner, spec, claimed, manageErr, clock.now());
      const cur = (owner.status ?? {}) as ReplicaStatus;
      status.observedGeneration = owner.metadata.generation;
      if (JSON.stringify(normalize(cur)) !== JSON.stringify(normalize(status))) {
        await updateStatus(owner, status);
      }
      if (manageErr) throw manageErr;
      const replicas = spec.replicas ?? 1;
      if ((spec.minReadySeconds ?? 0) > 0 && status.readyReplicas === replicas && status.availableReplicas !== replicas) {
        // a second past minReadySeconds: availability needs ready time + minReadySeconds < now, strictly
        return { requeueAfterMs: spec.minReadySeconds! * 1000 + 1000 };
      }
      return undefined;
    },
  };

  /** updateReplicaSetStatus: write the status; on a conflict read the latest object and try once more. */
  async function updateStatus(owner: KubeObject, status: ReplicaStatus): Promise<void> {
    let cur = owner;
    for (let attempt = 0; ; attempt++) {
      try {
        await client.update(kind.ref, cur.metadata.namespace, { ...cur, status }, { subresource: 'status' });
        return;
      } catch (err) {
        if (isNotFound(err)) return;
        if (!isConflict(err) || attempt >= 1) throw err;
      }
      try {
        cur = await client.get(kind.ref, owner.metadata.namespace, String(owner.metadata.name));
      } catch (err) {
        if (isNotFound(err)) return;
        throw err;
      }
      // the status is for this generation only
      if (cur.metadata.uid !== owner.metadata.uid || cur.metadata.generation !== owner.metadata.generation) throw new Error('replica set changed while its status was written');
    }
  }

  async function manageReplicas(owner: KubeObject, spec: ReplicaSpec, filtered: KubeObject[], key: string): Promise<void> {
    const ns = String(owner.metadata.namespace);
    let diff = filtered.length - (spec.replicas ?? 1);
    if (diff < 0) {
      diff = Math.min(-diff, BURST_REPLICAS);
      expectations.expectCreations(key, diff);
      const template = spec.template ?? {};
      const result = await slowStartBatch(diff, warmStart.initial(key), async () => {
        try {
          const pod = await client.create(Resources.pods, ns, podFromTemplate(template, owner, kind.ref));
          recorder.event(owner, 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata.name}`);
        } catch (err) {
          recorder.event(owner, 'Warning', 'FailedCreate', `Error creating: ${err instanceof Error ? err.message : String(err)}`);
          throw err;
        }
      });
      warmStart.record(key, result);
      // failed and skipped creations will never be observed: lower the expectation by them
      for (let i = result.successes; i < diff; i++) expectations.creationObserved(key);
      if (result.error) throw result.error;
    } else if (diff > 0) {
      diff = Math.min(diff, BURST_REPLICAS);
      const related = relatedPods(owner);
      const victims = podsToDelete(filtered, related, diff, clock.now());
      expectations.expectDeletions(key, victims.map(objectKey));
      const errors: unknown[] = [];
      await Promise.all(victims.map(async (pod) => {
        try {
          await client.delete(Resources.pods, ns, String(pod.metadata.name));
          recorder.event(owner, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`);
        } catch (err) {
          expectations.deletionObserved(key, objectKey(pod));
          if (isNotFound(err)) return;
          recorder.event(owner, 'Warning', 'FailedDelete', `Error deleting: ${err instanceof Error ? err.message : String(err)}`);
          errors.push(err);
        }
      }));
      if (errors.length) throw errors[0];
    }
  }

  /** Pods of the other ReplicaSets that share this one's controller (a Deployment's), to rank by node. */
  function relatedPods(owner: KubeObject): KubeObject[] {
    const ctrl = controllerOf(owner);
    if (!ctrl) return pods.byIndex(POD_CONTROLLER_INDEX, String(owner.metadata.uid));
    const out: KubeObject[] = [];
    for (const o of owners.byIndex('namespace', String(owner.metadata.namespace))) {
      if (controllerOf(o)?.uid === ctrl.uid) out.push(...pods.byIndex(POD_CONTROLLER_INDEX, String(o.metadata.uid)));
    }
    return out;
  }

  const running = runController(reconciler, queue, opts.workers ?? 5);
  return { ...running, expectations, recorder };
}

function calculateStatus(owner: KubeObject, spec: ReplicaSpec, filtered: KubeObject[], manageErr: Error | undefined, now: number): ReplicaStatus {
  const cur = (owner.status ?? {}) as ReplicaStatus;
  const templateLabels = selectorFromMap(spec.template?.metadata?.labels);
  let fully = 0, ready = 0, available = 0;
  for (const pod of filtered) {
    if (templateLabels.matches(pod.metadata.labels)) fully++;
    if (isPodReady(pod)) {
      ready++;
      if (isPodAvailable(pod, spec.minReadySeconds ?? 0, now)) available++;
    }
  }
  let conditions = [...(cur.conditions ?? [])];
  const failure = conditions.find((c) => c.type === 'ReplicaFailure');
  if (manageErr && !failure) {
    const diff = filtered.length - (spec.replicas ?? 1);
    const reason = diff < 0 ? 'FailedCreate' : diff > 0 ? 'FailedDelete' : '';
    conditions.push({ type: 'ReplicaFailure', status: 'True', lastTransitionTime: new Date(Math.floor(now / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'), reason, message: manageErr.message });
  } else if (!manageErr && failure) {
    conditions = conditions.filter((c) => c.type !== 'ReplicaFailure');
  }
  const status: ReplicaStatus = { replicas: filtered.length };
  if (fully) status.fullyLabeledReplicas = fully;
  if (ready) status.readyReplicas = ready;
  if (available) status.availableReplicas = available;
  if (cur.observedGeneration !== undefined) status.observedGeneration = cur.observedGeneration;
  if (conditions.length) status.conditions = conditions;
  return status;
}

/** Compare statuses with zero counts and absent fields alike (the API drops zeros). */
function normalize(s: ReplicaStatus): unknown {
  return {
    replicas: s.replicas ?? 0, fully: s.fullyLabeledReplicas ?? 0, ready: s.readyReplicas ?? 0, available: s.availableReplicas ?? 0,
    gen: s.observedGeneration ?? 0, conditions: s.conditions ?? [],
  };
}
