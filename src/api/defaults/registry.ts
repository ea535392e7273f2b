/** Which defaulter serves which GroupKind; called once by index.ts with its map. */
import type { Defaulter } from './index.js';
import * as core from './core.js';
import * as apps from './apps.js';
import * as batch from './batch.js';
import * as others from './others.js';

export function registerDefaulters(m: Map<string, Defaulter>): void {
  m.set('Pod', core.defaultPod);
  m.set('PodTemplate', core.defaultPodTemplate);
  m.set('ReplicationController', core.defaultReplicationController);
  m.set('Service', core.defaultService);
  m.set('Endpoints', core.defaultEndpoints);
  m.set('Namespace', core.defaultNamespace);
  m.set('Secret', core.defaultSecret);
  m.set('Node', core.defaultNode);
  m.set('PersistentVolumeClaim', core.defaultPersistentVolumeClaim);
  m.set('PersistentVolume', core.defaultPersistentVolume);
  m.set('LimitRange', core.defaultLimitRange);
  m.set('ResourceQuota', core.defaultResourceQuota);
  m.set('Deployment.apps', apps.defaultDeployment);
  m.set('ReplicaSet.apps', apps.defaultReplicaSet);
  m.set('StatefulSet.apps', apps.defaultStatefulSet);
  m.set('DaemonSet.apps', apps.defaultDaemonSet);
  m.set('Job.batch', batch.defaultJob);
  m.set('CronJob.batch', batch.defaultCronJob);
  m.set('EndpointSlice.discovery.k8s.io', others.defaultEndpointSlice);
  m.set('PriorityClass.scheduling.k8s.io', others.defaultPriorityClass);
}
