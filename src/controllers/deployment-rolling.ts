/**
 * RollingUpdate (Kubernetes' rolling.go): scale the new ReplicaSet up within maxSurge, scale old
 * ones down within maxUnavailable (unhealthy old replicas first), clean up when complete.
 */
import {
  replicasOf, maxUnavailable, specReplicas, availableReplicas, activeReplicaSets, byCreation, deploymentComplete,
  type ReplicaSet,
} from './deployment-util.js';
import { getAllReplicaSetsAndSyncRevision, newRSNewReplicas, scaleReplicaSetAndRecordEvent, cleanupDeployment } from './deployment-sync.js';
import { syncRolloutStatus } from './deployment-progress.js';
import type { DeploymentContext } from './deployment-context.js';

export async function rolloutRolling(ctx: DeploymentContext, rsList: ReplicaSet[]): Promise<void> {
  const got = await getAllReplicaSetsAndSyncRevision(ctx, rsList, true);
  let newRS = got.newRS!;
  let oldRSs = got.oldRSs;
  // scale up the new ReplicaSet
  const up = await reconcileNewReplicaSet(ctx, [...oldRSs, newRS], newRS);
  newRS = up.rs;
  if (up.scaled) return syncRolloutStatus(ctx, [...oldRSs, newRS], newRS);
  // scale down old ReplicaSets
  const down = await reconcileOldReplicaSets(ctx, [...oldRSs, newRS], activeReplicaSets(oldRSs), newRS);
  oldRSs = oldRSs.map((rs) => down.updated.get(String(rs.metadata.uid)) ?? rs);
  if (down.scaled) return syncRolloutStatus(ctx, [...oldRSs, newRS], newRS);
  // as Kubernetes: judged on the status last written (the cleanup waits one sync after completion)
  if (deploymentComplete(ctx.d, ctx.d.status ?? {})) await cleanupDeployment(ctx, oldRSs);
  return syncRolloutStatus(ctx, [...oldRSs, newRS], newRS);
}

async function reconcileNewReplicaSet(ctx: DeploymentContext, allRSs: ReplicaSet[], newRS: ReplicaSet): Promise<{ scaled: boolean; rs: ReplicaSet }> {
  const want = replicasOf(ctx.d);
  const have = newRS.spec.replicas ?? 0;
  if (have === want) return { scaled: false, rs: newRS };
  if (have > want) return scaleReplicaSetAndRecordEvent(ctx, newRS, want);
  return scaleReplicaSetAndRecordEvent(ctx, newRS, newRSNewReplicas(ctx.d, allRSs, newRS));
}

export async function reconcileOldReplicaSets(ctx: DeploymentContext, allRSs: ReplicaSet[], oldRSs: ReplicaSet[], newRS: ReplicaSet): Promise<{ scaled: boolean; updated: Map<string, ReplicaSet> }> {
  const updated = new Map<string, ReplicaSet>();
  if (specReplicas(oldRSs) === 0) return { scaled: false, updated };
  const d = ctx.d;
  const allPods = specReplicas(allRSs);
  const minAvailable = replicasOf(d) - maxUnavailable(d);
  const newUnavailable = (newRS.spec.replicas ?? 0) - (newRS.status?.availableReplicas ?? 0);
  const maxScaledDown = allPods - minAvailable - newUnavailable;
  if (maxScaledDown <= 0) return { scaled: false, updated };
  // first the old replicas that are not available: removing them costs no availability
  let cleaned = 0;
  for (const rs of [...oldRSs].sort(byCreation)) {
    if (cleaned >= maxScaledDown) break;
    const size = rs.spec.replicas ?? 0;
    const avail = rs.status?.availableReplicas ?? 0;
    if (size === 0 || size === avail) continue;
    // status still counting pods from before the last scale-down (available > spec): never scale an
    // old ReplicaSet up. Kubernetes returns an error here and retries with backoff; we skip it, as its
    // status update enqueues the Deployment again anyway (the backoff slowed 1,000-pod rollouts).
    if (avail > size) continue;
    const n = Math.min(maxScaledDown - cleaned, size - avail);
    const r = await scaleReplicaSetAndRecordEvent(ctx, rs, size - n);
    updated.set(String(rs.metadata.uid), r.rs);
    cleaned += n;
  }
  const olds = oldRSs.map((rs) => updated.get(String(rs.metadata.uid)) ?? rs);
  // then available ones, as far as minAvailable allows
  const available = availableReplicas([...olds, newRS]);
  let scaledDown = 0;
  if (available > minAvailable) {
    const total = available - minAvailable;
    for (const rs of [...olds].sort(byCreation)) {
      if (scaledDown >= total) break;
      const size = rs.spec.replicas ?? 0;
      if (size === 0) continue;
      const n = Math.min(size, total - scaledDown);
      const r = await scaleReplicaSetAndRecordEvent(ctx, rs, size - n);
      updated.set(String(rs.metadata.uid), r.rs);
      scaledDown += n;
    }
  }
  return { scaled: cleaned + scaledDown > 0, updated };
}
