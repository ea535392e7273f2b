/**
 * Deployment sync (Kubernetes' sync.go): find or create the new ReplicaSet (NAME-<hash>), keep
 * revisions in step, scale proportionally when the Deployment is resized mid-rollout or paused,
 * and clean up old ReplicaSets beyond revisionHistoryLimit.
 */
import { Resources } from '../client/resources.js';
import { isAlreadyExists } from '../client/errors.js';
import {
  POD_TEMPLATE_HASH, REVISION, computeHash, equalIgnoreHash, findNewReplicaSet, findOldReplicaSets, maxRevision, replicasOf, maxSurge,
  isRollingUpdate, activeReplicaSets, specReplicas, desiredReplicasAnnotation, maxReplicasAnnotation, replicasAnnotationsNeedUpdate,
  setReplicasAnnotations, byCreation, revisionOf, getCondition, setCondition, newCondition, hasProgressDeadline,
  type Deployment, type ReplicaSet,
} from './deployment-util.js';
import { setNewReplicaSetAnnotations } from './deployment-rollback.js';
import { controllerOf, controllerRef } from './owner-routing.js';
import { syncDeploymentStatus } from './deployment-status.js';
import { updateDeploymentStatus, setDeploymentRevision, type DeploymentContext } from './deployment-context.js';

export interface ReplicaSets { newRS: ReplicaSet | undefined; oldRSs: ReplicaSet[] }

/** getAllReplicaSetsAndSyncRevision. */
export async function getAllReplicaSetsAndSyncRevision(ctx: DeploymentContext, rsList: ReplicaSet[], createIfMissing: boolean): Promise<ReplicaSets> {
  const oldRSs = findOldReplicaSets(ctx.d, rsList);
  const newRS = await getNewReplicaSet(ctx, rsList, oldRSs, createIfMissing);
  return { newRS, oldRSs };
}

async function getNewReplicaSet(ctx: DeploymentContext, rsList: ReplicaSet[], oldRSs: ReplicaSet[], createIfMissing: boolean): Promise<ReplicaSet | undefined> {
  const d = ctx.d;
  const existing = findNewReplicaSet(d, rsList);
  const newRevision = String(maxRevision(oldRSs) + 1);
  const now = ctx.clock.now();
  if (existing) {
    let rs = structuredClone(existing);
    const annotationsUpdated = setNewReplicaSetAnnotations(d, rs, newRevision, true);
    const minReadyChanged = (rs.spec.minReadySeconds ?? 0) !== (d.spec.minReadySeconds ?? 0);
    if (annotationsUpdated || minReadyChanged) {
      rs.spec.minReadySeconds = d.spec.minReadySeconds ?? 0;
      rs = await ctx.client.update<ReplicaSet>(Resources.replicasets, rs.metadata.namespace, rs);
      // later steps of this reconcile read the list again: give them what was written
      const i = rsList.indexOf(existing);
      if (i >= 0) rsList[i] = rs;
    }
    let needsStatus = false;
    await setDeploymentRevision(ctx, rs.metadata.annotations?.[REVISION] ?? '');
    const status = structuredClone(ctx.d.status ?? {});
    if (hasProgressDeadline(ctx.d) && !getCondition(status, 'Progressing')) {
      setCondition(status, newCondition('Progressing', 'True', 'FoundNewReplicaSet', `Found new replica set "${rs.metadata.name}"`, now));
      needsStatus = true;
    }
    if (needsStatus) await updateDeploymentStatus(ctx, status);
    return rs;
  }
  if (!createIfMissing) return undefined;

  const template = structuredClone(d.spec.template ?? {});
  const hash = computeHash(d.spec.template, d.status?.collisionCount);
  template.metadata = { ...template.metadata, labels: { ...template.metadata?.labels, [POD_TEMPLATE_HASH]: hash } };
  const selector = structuredClone(d.spec.selector ?? {});
  selector.matchLabels = { ...selector.matchLabels, [POD_TEMPLATE_HASH]: hash };
  const newRS: ReplicaSet = {
    apiVersion: 'apps/v1', kind: 'ReplicaSet',
    metadata: {
      name: `${d.metadata.name}-${hash}`,
      namespace: d.metadata.namespace,
      ownerReferences: [controllerRef(d, Resources.deployments)],
      labels: { ...template.metadata.labels },
    },
    spec: { replicas: 0, minReadySeconds: d.spec.minReadySeconds ?? 0, selector, template },
  };
  const newReplicas = newRSNewReplicas(d, [...oldRSs, newRS], newRS);
  newRS.spec.replicas = newReplicas;
  setNewReplicaSetAnnotations(d, newRS, newRevision, false);

  let created: ReplicaSet;
  let alreadyExists = false;
  try {
    created = await ctx.client.create<ReplicaSet>(Resources.replicasets, d.metadata.namespace, newRS);
  } catch (err) {
    if (isAlreadyExists(err)) {
      alreadyExists = true;
      const rs = await ctx.client.get<ReplicaSet>(Resources.replicasets, d.metadata.namespace, String(newRS.metadata.name));
      const ref = controllerOf(rs);
      if (ref && ref.uid === d.metadata.uid && equalIgnoreHash(d.spec.template, rs.spec.template)) {
        created = rs; // our own, not yet in the cache
      } else {
        // a hash collision: bump collisionCount so the next hash differs, and try again
        const status = structuredClone(d.status ?? {});
        status.collisionCount = (status.collisionCount ?? 0) + 1;
        await updateDeploymentStatus(ctx, status);
        throw err;
      }
    } else {
      const msg = `Failed to create new replica set "${newRS.metadata.name}": ${err instanceof Error ? err.message : String(err)}`;
      if (hasProgressDeadline(d)) {
        const status = structuredClone(d.status ?? {});
        setCondition(status, newCondition('Progressing', 'False', 'ReplicaSetCreateError', msg, now));
        await updateDeploymentStatus(ctx, status);
      }
      ctx.recorder.event(d, 'Warning', 'ReplicaSetCreateError', msg);
      throw err;
    }
  }
  if (!rsList.some((rs) => rs.metadata.uid === created.metadata.uid)) rsList.push(created);
  if (!alreadyExists && newReplicas > 0) {
    ctx.recorder.event(d, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${created.metadata.name} from 0 to ${newReplicas}`);
  }
  await setDeploymentRevision(ctx, newRevision);
  if (!alreadyExists && hasProgressDeadline(ctx.d)) {
    const status = structuredClone(ctx.d.status ?? {});
    setCondition(status, newCondition('Progressing', 'True', 'NewReplicaSetCreated', `Created new replica set "${created.metadata.name}"`, now));
    await updateDeploymentStatus(ctx, status);
  }
  return created;
}

/** NewRSNewReplicas: how big the new ReplicaSet may be now. */
export function newRSNewReplicas(d: Deployment, allRSs: ReplicaSet[], newRS: ReplicaSet): number {
  if (!isRollingUpdate(d)) return replicasOf(d);
  const current = specReplicas(allRSs);
  const maxTotal = replicasOf(d) + maxSurge(d);
  const cur = newRS.spec.replicas ?? 0;
  if (current >= maxTotal) return cur;
  const up = Math.min(maxTotal - current, replicasOf(d) - cur);
  return cur + up;
}

/** scaleReplicaSet: write size and replicas annotations; a ScalingReplicaSet event when the size moved. */
export async function scaleReplicaSet(ctx: DeploymentContext, rs: ReplicaSet, newScale: number): Promise<{ scaled: boolean; rs: ReplicaSet }> {
  const d = ctx.d;
  const oldScale = rs.spec.replicas ?? 0;
  const sizeChanged = oldScale !== newScale;
  const annChanged = replicasAnnotationsNeedUpdate(rs, replicasOf(d), replicasOf(d) + maxSurge(d));
  if (!sizeChanged && !annChanged) return { scaled: false, rs };
  const copy = structuredClone(rs);
  copy.spec.replicas = newScale;
  setReplicasAnnotations(copy, replicasOf(d), replicasOf(d) + maxSurge(d));
  const updated = await ctx.client.update<ReplicaSet>(Resources.replicasets, copy.metadata.namespace, copy);
  if (sizeChanged) {
    ctx.recorder.event(d, 'Normal', 'ScalingReplicaSet', `Scaled ${newScale > oldScale ? 'up' : 'down'} replica set ${rs.metadata.name} to ${newScale} from ${oldScale}`);
  }
  return { scaled: sizeChanged, rs: updated };
}

/** scaleReplicaSetAndRecordEvent: no-op when the size is already right. */
export async function scaleReplicaSetAndRecordEvent(ctx: DeploymentContext, rs: ReplicaSet, newScale: number): Promise<{ scaled: boolean; rs: ReplicaSet }> {
  if ((rs.spec.replicas ?? 0) === newScale) return { scaled: false, rs };
  return scaleReplicaSet(ctx, rs, newScale);
}

/** FindActiveOrLatest: the only active ReplicaSet, or the newest when none is active; undefined when several are. */
function findActiveOrLatest(newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]): ReplicaSet | undefined {
  if (!newRS && !oldRSs.length) return undefined;
  const olds = [...oldRSs].sort(byCreation).reverse();
  const active = activeReplicaSets([...olds, newRS]);
  if (active.length === 0) return newRS ?? olds[0];
  if (active.length === 1) return active[0];
  return undefined;
}

/** IsSaturated: the new ReplicaSet is at full size and fully available. */
function isSaturated(d: Deployment, rs: ReplicaSet | undefined): boolean {
  if (!rs) return false;
  const desired = desiredReplicasAnnotation(rs);
  return desired === replicasOf(d) && (rs.spec.replicas ?? 0) === replicasOf(d) && (rs.status?.availableReplicas ?? 0) === replicasOf(d);
}

/** getReplicaSetFraction / GetProportion: a ReplicaSet's share of a resize. */
function proportion(d: Deployment, rs: ReplicaSet, toAdd: number, added: number): number {
  const size = rs.spec.replicas ?? 0;
  if (size === 0 || toAdd === 0 || toAdd === added) return 0;
  let fraction: number;
  if (replicasOf(d) === 0) fraction = -size;
  else {
    const deploymentReplicas = replicasOf(d) + maxSurge(d);
    const annotated = maxReplicasAnnotation(rs) ?? (d.status?.replicas ?? 0);
    fraction = (annotated === 0 ? size : Math.round((size * deploymentReplicas) / annotated)) - size;
  }
  const allowed = toAdd - added;
  return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
}

/** scale: a resize while more than one ReplicaSet is active is spread proportionally. */
export async function scale(ctx: DeploymentContext, newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]): Promise<void> {
  const d = ctx.d;
  const target = findActiveOrLatest(newRS, oldRSs);
  if (target) {
    if ((target.spec.replicas ?? 0) === replicasOf(d)) return;
    await scaleReplicaSetAndRecordEvent(ctx, target, replicasOf(d));
    return;
  }
  if (isSaturated(d, newRS)) {
    for (const old of activeReplicaSets(oldRSs)) await scaleReplicaSetAndRecordEvent(ctx, old, 0);
    return;
  }
  if (!isRollingUpdate(d)) return;
  const all = activeReplicaSets([...oldRSs, newRS]);
  const current = specReplicas(all);
  const allowed = replicasOf(d) > 0 ? replicasOf(d) + maxSurge(d) : 0;
  const toAdd = allowed - current;
  if (toAdd > 0) {
    // ReplicaSetsBySizeNewer: larger first, newer first on ties
    all.sort((a, b) => (b.spec.replicas ?? 0) - (a.spec.replicas ?? 0) || byCreation(b, a));
  } else if (toAdd < 0) {
    // ReplicaSetsBySizeOlder: larger first, older first on ties
    all.sort((a, b) => (b.spec.replicas ?? 0) - (a.spec.replicas ?? 0) || byCreation(a, b));
  }
  let added = 0;
  const sizes = new Map<string, number>();
  for (const rs of all) {
    const p = toAdd !== 0 ? proportion(d, rs, toAdd, added) : 0;
    sizes.set(String(rs.metadata.name), (rs.spec.replicas ?? 0) + p);
    added += p;
  }
  if (toAdd !== 0 && added !== toAdd && all.length) {
    const first = String(all[0].metadata.name);
    sizes.set(first, Math.max(0, (sizes.get(first) ?? 0) + toAdd - added));
  }
  for (const rs of all) await scaleReplicaSet(ctx, rs, sizes.get(String(rs.metadata.name)) ?? 0);
}

/** isScalingEvent: some active ReplicaSet was sized for a different spec.replicas. */
export async function isScalingEvent(ctx: DeploymentContext, rsList: ReplicaSet[]): Promise<boolean> {
  const { newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(ctx, rsList, false);
  for (const rs of activeReplicaSets([...oldRSs, newRS])) {
    const desired = desiredReplicasAnnotation(rs);
    if (desired === undefined) continue;
    if (desired !== replicasOf(ctx.d)) return true;
  }
  return false;
}

/** sync: scaling (and cleanup while paused) without rolling out. */
export async function sync(ctx: DeploymentContext, rsList: ReplicaSet[]): Promise<void> {
  const { newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(ctx, rsList, false);
  await scale(ctx, newRS, oldRSs);
  if (ctx.d.spec.paused) await cleanupDeployment(ctx, oldRSs);
  // re-read sizes written by scale from the ReplicaSets we hold (status follows from the RS controller)
  await syncDeploymentStatus(ctx, [...oldRSs, newRS], newRS);
}

/** cleanupDeployment: delete the oldest idle ReplicaSets beyond revisionHistoryLimit. */
export async function cleanupDeployment(ctx: DeploymentContext, oldRSs: ReplicaSet[]): Promise<void> {
  const limit = ctx.d.spec.revisionHistoryLimit;
  if (limit === undefined || limit === null) return;
  const cleanable = oldRSs.filter((rs) => !rs.metadata.deletionTimestamp);
  const diff = cleanable.length - limit;
  if (diff <= 0) return;
  cleanable.sort((a, b) => revisionOf(a) - revisionOf(b) || byCreation(a, b));
  for (let i = 0; i < diff; i++) {
    const rs = cleanable[i];
    if ((rs.status?.replicas ?? 0) !== 0 || (rs.spec.replicas ?? 0) !== 0 || (rs.metadata.generation ?? 0) > (rs.status?.observedGeneration ?? 0)) continue;
    try {
      await ctx.client.delete(Resources.replicasets, rs.metadata.namespace, String(rs.metadata.name), { preconditions: { uid: rs.metadata.uid } });
    } catch (err) {
      if ((err as { code?: number }).code !== 404) throw err;
    }
  }
}

