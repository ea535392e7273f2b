/**
 * Recreate (Kubernetes' recreate.go): scale every old ReplicaSet to zero, wait until none of their
 * pods is left running, then create/scale the new ReplicaSet to the full size.
 */
import type { KubeObject } from '../api/object.js';
import { replicasOf, activeReplicaSets, actualReplicas, deploymentComplete, type ReplicaSet } from './deployment-util.js';
import { getAllReplicaSetsAndSyncRevision, scaleReplicaSetAndRecordEvent, cleanupDeployment } from './deployment-sync.js';
import { syncRolloutStatus } from './deployment-progress.js';
import { POD_CONTROLLER_INDEX } from './replicaset.js';
import { podPhase } from './pod-template.js';
import type { DeploymentContext } from './deployment-context.js';

export async function rolloutRecreate(ctx: DeploymentContext, rsList: ReplicaSet[]): Promise<void> {
  let { newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(ctx, rsList, false);
  let scaledDown = false;
  const olds: ReplicaSet[] = [];
  for (const rs of oldRSs) {
    if ((rs.spec.replicas ?? 0) > 0 && activeReplicaSets([rs]).length) {
      const r = await scaleReplicaSetAndRecordEvent(ctx, rs, 0);
      scaledDown ||= r.scaled;
      olds.push(r.rs);
    } else olds.push(rs);
  }
  oldRSs = olds;
  if (scaledDown) return syncRolloutStatus(ctx, [...oldRSs, newRS], newRS);
  if (oldPodsRunning(ctx, newRS, oldRSs)) return syncRolloutStatus(ctx, [...oldRSs, newRS], newRS);
  if (!newRS) ({ newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(ctx, rsList, true));
  const up = await scaleReplicaSetAndRecordEvent(ctx, newRS!, replicasOf(ctx.d));
  newRS = up.rs;
  // as Kubernetes: judged on the status last written (the cleanup waits one sync after completion)
  if (deploymentComplete(ctx.d, ctx.d.status ?? {})) await cleanupDeployment(ctx, oldRSs);
  return syncRolloutStatus(ctx, [...oldRSs, newRS], newRS);
}

/** oldPodsRunning: old ReplicaSets still report pods, or a pod of theirs is not finished. */
function oldPodsRunning(ctx: DeploymentContext, newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]): boolean {
  if (actualReplicas(oldRSs) > 0) return true;
  for (const rs of oldRSs) {
    if (newRS && rs.metadata.uid === newRS.metadata.uid) continue;
    const pods: KubeObject[] = ctx.pods.byIndex(POD_CONTROLLER_INDEX, String(rs.metadata.uid));
    for (const p of pods) {
      const phase = podPhase(p);
      if (phase === 'Failed' || phase === 'Succeeded') continue;
      return true;
    }
  }
  return false;
}
