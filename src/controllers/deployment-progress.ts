/**
 * Rollout progress (Kubernetes' progress.go): the Progressing condition with reasons
 * NewReplicaSetAvailable ("ReplicaSet "x" has successfully progressed."), ReplicaSetUpdated
 * ("ReplicaSet "x" is progressing."), ProgressDeadlineExceeded ("ReplicaSet "x" has timed out
 * progressing."), the ReplicaFailure condition copied from the ReplicaSets, and a requeue for the
 * moment the progress deadline would pass.
 */
import {
  getCondition, newCondition, setCondition, removeCondition, hasProgressDeadline, deploymentComplete, byCreation,
  type Deployment, type DeploymentStatus, type ReplicaSet, type Condition,
} from './deployment-util.js';
import { calculateStatus, sameStatus } from './deployment-status.js';
import { updateDeploymentStatus, requeueAfter, type DeploymentContext } from './deployment-context.js';

/** DeploymentProgressing: more updated, fewer old, more ready or more available replicas than before. */
export function deploymentProgressing(d: Deployment, s: DeploymentStatus): boolean {
  const old = d.status ?? {};
  const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
  const newOld = (s.replicas ?? 0) - (s.updatedReplicas ?? 0);
  return (s.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) || newOld < oldOld ||
    (s.readyReplicas ?? 0) > (old.readyReplicas ?? 0) || (s.availableReplicas ?? 0) > (old.availableReplicas ?? 0);
}

/** DeploymentTimedOut: no progress since the Progressing condition's lastUpdateTime plus the deadline. */
export function deploymentTimedOut(d: Deployment, s: DeploymentStatus, now: number): boolean {
  if (!hasProgressDeadline(d)) return false;
  const c = getCondition(s, 'Progressing');
  if (!c) return false;
  if (c.reason === 'NewReplicaSetAvailable') return false;
  if (c.reason === 'ProgressDeadlineExceeded') return true;
  const from = c.lastUpdateTime ? Date.parse(c.lastUpdateTime) : 0;
  return from + d.spec.progressDeadlineSeconds! * 1000 < now;
}

export async function syncRolloutStatus(ctx: DeploymentContext, allRSs: (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined): Promise<void> {
  const d = ctx.d;
  const now = ctx.clock.now();
  const status = calculateStatus(allRSs, newRS, d, now);
  if (!hasProgressDeadline(d)) removeCondition(status, 'Progressing');
  const current = getCondition(d.status, 'Progressing');
  const complete = status.replicas === status.updatedReplicas && current?.reason === 'NewReplicaSetAvailable';
  if (hasProgressDeadline(d) && !complete) {
    const name = newRS ? `ReplicaSet "${newRS.metadata.name}"` : `Deployment "${d.metadata.name}"`;
    if (deploymentComplete(d, status)) {
      setCondition(status, newCondition('Progressing', 'True', 'NewReplicaSetAvailable', `${name} has successfully progressed.`, now));
    } else if (deploymentProgressing(d, status)) {
      const c = newCondition('Progressing', 'True', 'ReplicaSetUpdated', `${name} is progressing.`, now);
      // keep the transition time of a Progressing=True condition, but always move lastUpdateTime
      if (current) {
        if (current.status === 'True') c.lastTransitionTime = current.lastTransitionTime;
        removeCondition(status, 'Progressing');
      }
      setCondition(status, c);
    } else if (deploymentTimedOut(d, status, now)) {
      setCondition(status, newCondition('Progressing', 'False', 'ProgressDeadlineExceeded', `${name} has timed out progressing.`, now));
    }
  }
  const failures = replicaFailures(allRSs, newRS);
  if (failures.length) setCondition(status, failures[0]);
  else removeCondition(status, 'ReplicaFailure');

  if (sameStatus(d.status, status)) {
    requeueStuck(ctx, status);
    return;
  }
  await updateDeploymentStatus(ctx, status);
}

/** getReplicaFailures: the new ReplicaSet's ReplicaFailure condition first, then the old ones'. */
function replicaFailures(allRSs: (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined): Condition[] {
  const out: Condition[] = [];
  const from = (rs: ReplicaSet) => {
    for (const c of rs.status?.conditions ?? []) {
      if (c.type === 'ReplicaFailure') out.push({ type: 'ReplicaFailure', status: c.status, lastUpdateTime: c.lastTransitionTime, lastTransitionTime: c.lastTransitionTime, reason: c.reason, message: c.message });
    }
  };
  if (newRS) from(newRS);
  if (out.length) return out;
  for (const rs of allRSs.filter((r): r is ReplicaSet => !!r && r !== newRS).sort(byCreation)) from(rs);
  return out;
}

/** requeueStuckDeployment: look again when the deadline would pass, so a stuck rollout is reported. */
function requeueStuck(ctx: DeploymentContext, status: DeploymentStatus): void {
  const d = ctx.d;
  const c = getCondition(d.status, 'Progressing');
  if (!hasProgressDeadline(d) || !c) return;
  if (deploymentComplete(d, status)) return;
  if (c.reason === 'ProgressDeadlineExceeded') return;
  const at = (c.lastUpdateTime ? Date.parse(c.lastUpdateTime) : 0) + d.spec.progressDeadlineSeconds! * 1000;
  const after = at - ctx.clock.now();
  requeueAfter(ctx, after < 1000 ? 1000 : after + 1000);
}
