/**
 * The controller manager: one set of shared informers, every controller registered below, started
 * together. Controllers talk to the API only through the client (see ARCHITECTURE.md).
 */
import type { KubeClient } from '../client/types.js';
import { SharedInformers } from '../client/shared-informers.js';
import { dropManagedFields } from '../client/informer.js';
import type { Clock } from '../util/clock.js';
import type { RunningController } from './runner.js';
import { startServiceAccountController } from './serviceaccount.js';
import { startEndpointsController } from './endpoints.js';
import { startEndpointSliceController } from './endpointslice.js';
import { startReplicaSetController } from './replicaset.js';
import { startReplicationControllerController } from './replicationcontroller.js';
import { startJobController } from './job.js';
import { startTtlAfterFinishedController } from './ttl-after-finished.js';
import { startCronJobController } from './cronjob.js';
import { startStatefulSetController } from './statefulset.js';
import { startDaemonSetController } from './daemonset.js';
import { startResourceQuotaController } from './resourcequota.js';
import { startDeploymentController } from './deployment.js';
import { startGarbageCollector } from './garbage-collector.js';
import { startNodeLifecycleController } from './node-lifecycle.js';
import { startPodGc } from './pod-gc.js';
import { startDisruptionController } from './disruption.js';
import { startNodeIpamController } from './node-ipam.js';

export interface ControllerManagerOptions {
  client: KubeClient;
  clock?: Clock;
  /** The cluster CA, published in every namespace as kube-root-ca.crt. */
  caPem: string;
  /** Node lifecycle: how long a node may go without a heartbeat before it is Unknown (default 40 s). */
  nodeMonitorGracePeriodMs?: number;
  /** Node IPAM: the cluster CIDR nodes get their spec.podCIDR from (default 10.42.0.0/16, a /24 each). */
  clusterCidr?: string;
}

export interface ControllerManager {
  informers: SharedInformers;
  stop(): Promise<void>;
}

export async function startControllerManager(opts: ControllerManagerOptions): Promise<ControllerManager> {
  // the informers keep objects without managedFields, as kube-controller-manager's do (no controller
  // reads them; a third of a pod's JSON and most of its parsed objects)
  const informers = new SharedInformers(opts.client, opts.clock, { transform: dropManagedFields });
  const controllers: RunningController[] = [
    startServiceAccountController(opts.client, informers, opts.caPem),
    startEndpointsController({ client: opts.client, informers, clock: opts.clock }),
    startEndpointSliceController({ client: opts.client, informers, clock: opts.clock }),
    startReplicaSetController({ client: opts.client, informers, clock: opts.clock }),
    startReplicationControllerController({ client: opts.client, informers, clock: opts.clock }),
    startJobController({ client: opts.client, informers, clock: opts.clock }),
    startTtlAfterFinishedController({ client: opts.client, informers, clock: opts.clock }),
    startCronJobController({ client: opts.client, informers, clock: opts.clock }),
    startStatefulSetController({ client: opts.client, informers, clock: opts.clock }),
    startDaemonSetController({ client: opts.client, informers, clock: opts.clock }),
    startResourceQuotaController({ client: opts.client, informers, clock: opts.clock }),
    startDeploymentController({ client: opts.client, informers, clock: opts.clock }),
    startGarbageCollector({ client: opts.client, informers, clock: opts.clock }),
    startDisruptionController({ client: opts.client, informers, clock: opts.clock }),
    startNodeIpamController({ client: opts.client, informers, clock: opts.clock, clusterCidr: opts.clusterCidr }),
    startNodeLifecycleController({ client: opts.client, informers, clock: opts.clock, nodeMonitorGracePeriodMs: opts.nodeMonitorGracePeriodMs }),
  ];
  const podGc = startPodGc({ client: opts.client, informers, clock: opts.clock });
  await informers.start();
  return {
    informers,
    async stop() {
      informers.stop();
      await Promise.all([...controllers, podGc].map((c) => c.stop()));
    },
  };
}
