/**
 * ReplicationController controller: Kubernetes runs the ReplicaSet controller's code over
 * ReplicationControllers (a map selector, events from `replication-controller`), and so do we.
 */
import { startReplicaController, replicationControllerKind, type ReplicaController, type ReplicaSetControllerOptions } from './replicaset.js';

export function startReplicationControllerController(opts: ReplicaSetControllerOptions): ReplicaController {
  return startReplicaController(replicationControllerKind, opts);
}
