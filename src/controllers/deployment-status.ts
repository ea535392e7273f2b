/**
 * Deployment status (Kubernetes' calculateStatus/syncDeploymentStatus): replica counts summed over
 * its ReplicaSets, the Available condition (MinimumReplicasAvailable / MinimumReplicasUnavailable),
 * and the paused/resumed Progressing condition (checkPausedConditions).
 */
import {
  availableReplicas, actualReplicas, readyReplicas, specReplicas, replicasOf, maxUnavailable, newCondition, setCondition,
  getCondition, hasProgressDeadline, canonicalJson, type Deployment, type DeploymentStatus, type ReplicaSet,
} from './deployment-util.js';
import { updateDeploymentStatus, type DeploymentContext } from './deployment-context.js';

export function calculateStatus(allRSs: (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined, d: Deployment, now: number): DeploymentStatus {
  const available = availableReplicas(allRSs);
  const total = specReplicas(allRSs);
  const status: DeploymentStatus = {
    observedGeneration: d.metadata.generation,
    replicas: actualReplicas(allRSs),
    updatedReplicas: actualReplicas([newRS]),
    readyReplicas: readyReplicas(allRSs),
    availableReplicas: available,
    unavailableReplicas: Math.max(0, total - available),
  };
  if (d.status?.collisionCount !== undefined) status.collisionCount = d.status.collisionCount;
  if (d.status?.conditions?.length) status.conditions = structuredClone(d.status.conditions);
  if (available >= replicasOf(d) - maxUnavailable(d)) {
    setCondition(status, newCondition('Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.', now));
  } else {
    setCondition(status, newCondition('Available', 'False', 'MinimumReplicasUnavailable', 'Deployment does not have minimum availability.', now));
  }
  return status;
}

/** Statuses compared as the API stores them (zero counts and absent fields alike). */
export function sameStatus(a: DeploymentStatus | undefined, b: DeploymentStatus | undefined): boolean {
  const norm = (s: DeploymentStatus | undefined) => ({
    ...s,
    replicas: s?.replicas ?? 0, updatedReplicas: s?.updatedReplicas ?? 0, readyReplicas: s?.readyReplicas ?? 0,
    availableReplicas: s?.availableReplicas ?? 0, unavailableReplicas: s?.unavailableReplicas ?? 0, observedGeneration: s?.observedGeneration ?? 0,
    conditions: s?.conditions ?? [],
  });
  return canonicalJson(norm(a)) === canonicalJson(norm(b));
}

export async function syncDeploymentStatus(ctx: DeploymentContext, allRSs: (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined): Promise<void> {
  const status = calculateStatus(allRSs, newRS, ctx.d, ctx.clock.now());
  if (sameStatus(ctx.d.status, status)) return;
  await updateDeploymentStatus(ctx, status);
}

/** checkPausedConditions: Progressing Unknown DeploymentPaused / DeploymentResumed (not over a timeout). */
export async function checkPausedConditions(ctx: DeploymentContext): Promise<void> {
  const d = ctx.d;
  if (!hasProgressDeadline(d)) return;
  const cond = getCondition(d.status, 'Progressing');
  if (cond?.reason === 'ProgressDeadlineExceeded') return;
  const pausedExists = cond?.reason === 'DeploymentPaused';
  const status = structuredClone(d.status ?? {});
  if (d.spec.paused && !pausedExists) {
    setCondition(status, newCondition('Progressing', 'Unknown', 'DeploymentPaused', 'Deployment is paused', ctx.clock.now()));
  } else if (!d.spec.paused && pausedExists) {
    setCondition(status, newCondition('Progressing', 'Unknown', 'DeploymentResumed', 'Deployment is resumed', ctx.clock.now()));
  } else return;
  await updateDeploymentStatus(ctx, status);
}
