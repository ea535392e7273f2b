/**
 * Rollback. In apps/v1 there is no rollback subresource: `kubectl rollout undo` reads the
 * Deployment's ReplicaSets (those it controls), takes the one with the wanted
 * deployment.kubernetes.io/revision, and patches the Deployment's template with that ReplicaSet's
 * template (without the pod-template-hash label) and its annotations. The controller then finds
 * that old ReplicaSet as the "new" one (its template equals the Deployment's again) and gives it
 * the next revision; the revisions it had before are kept in deployment.kubernetes.io/revision-history
 * (SetNewReplicaSetAnnotations). That is this file.
 */
import {
  REVISION, REVISION_HISTORY, MAX_REV_HISTORY_CHARS, copyDeploymentAnnotations, setReplicasAnnotations, replicasOf, maxSurge,
  type Deployment, type ReplicaSet,
} from './deployment-util.js';

/**
 * SetNewReplicaSetAnnotations: copy the Deployment's annotations, move the revision forward to
 * `newRevision` (recording the replaced one in revision-history when an old ReplicaSet comes back),
 * and for a ReplicaSet being created set the replicas annotations. True when anything changed.
 */
export function setNewReplicaSetAnnotations(d: Deployment, rs: ReplicaSet, newRevision: string, exists: boolean, historyLimitChars = MAX_REV_HISTORY_CHARS): boolean {
  let changed = copyDeploymentAnnotations(d, rs);
  const ann = (rs.metadata.annotations ??= {});
  const oldRevision = ann[REVISION] ?? '';
  let oldInt = 0;
  if (oldRevision !== '') {
    oldInt = Number(oldRevision);
    if (!Number.isInteger(oldInt)) return false;
  }
  const newInt = Number(newRevision);
  if (oldInt < newInt) {
    ann[REVISION] = newRevision;
    changed = true;
  }
  if (oldRevision !== '' && oldInt < newInt) {
    const history = ann[REVISION_HISTORY] ?? '';
    const olds = history.split(',');
    if (olds[0].length === 0) {
      ann[REVISION_HISTORY] = oldRevision;
    } else {
      let total = history.length + oldRevision.length + 1;
      let start = 0;
      while (total > historyLimitChars && start < olds.length) { total -= olds[start].length + 1; start++; }
      if (total <= historyLimitChars) ann[REVISION_HISTORY] = [...olds.slice(start), oldRevision].join(',');
    }
  }
  if (!exists && setReplicasAnnotations(rs, replicasOf(d), replicasOf(d) + maxSurge(d))) changed = true;
  return changed;
}
