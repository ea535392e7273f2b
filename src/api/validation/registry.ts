/**
 * Which validator serves which GroupKind. Called once by index.ts with its map, so the
 * per-kind files never import the index (no import cycle).
 */
import type { FieldError } from '../errors.js';
import type { KubeObject } from '../object.js';
import type { KindValidator } from './index.js';
import * as core from './core.js';
import * as pod from './pod.js';
import * as apps from './apps.js';
import * as batch from './batch.js';
import * as others from './others.js';
import { fieldErrorString } from '../errors.js';
import { validateObjectMetaUpdate } from './objectmeta.js';

/** Drop errors whose text repeats an earlier one, as Kubernetes' ToAggregate does for the message. */
export function dedupe(errs: FieldError[]): FieldError[] {
  const seen = new Set<string>();
  return errs.filter((e) => {
    const s = fieldErrorString(e);
    if (seen.has(s)) return false;
    seen.add(s);
    return true;
  });
}

type Fn1 = (o: KubeObject) => FieldError[];
type Fn2 = (o: KubeObject, old: KubeObject) => FieldError[];

export function kind(create: Fn1, update: Fn2, updateStatus?: Fn2): KindValidator {
  const v: KindValidator = {
    create: (o) => dedupe(create(o)),
    update: (o, old) => dedupe(update(o, old)),
  };
  if (updateStatus) v.updateStatus = (o, old) => dedupe(updateStatus(o, old));
  return v;
}

/** Registers every kind's validator. */
export function registerValidators(m: Map<string, KindValidator>): void {
  m.set('Pod', kind(pod.validatePodCreate, pod.validatePodUpdate, pod.validatePodStatusUpdate));
  m.set('PodTemplate', kind(pod.validatePodTemplate, pod.validatePodTemplateUpdate));
  // pods/binding bodies (not stored; the API server may validate them like any create)
  m.set('Binding', kind(pod.validatePodBinding, pod.validatePodBinding));
  m.set('Namespace', kind(core.validateNamespace, core.validateNamespaceUpdate, core.validateNamespaceStatusUpdate));
  m.set('ConfigMap', kind(core.validateConfigMap, core.validateConfigMapUpdate));
  m.set('Secret', kind(core.validateSecret, core.validateSecretUpdate));
  m.set('ServiceAccount', kind(core.validateServiceAccount, core.validateServiceAccountUpdate));
  m.set('Service', kind(core.validateService, core.validateServiceUpdate));
  m.set('Endpoints', kind(core.validateEndpoints, core.validateEndpointsUpdate));
  m.set('Node', kind(core.validateNode, core.validateNodeUpdate));
  m.set('Event', kind(core.validateEventV1, core.validateEventV1Update));
  m.set('PersistentVolumeClaim', kind(core.validatePersistentVolumeClaim, core.validatePersistentVolumeClaimUpdate));
  m.set('PersistentVolume', kind(core.validatePersistentVolume, core.validatePersistentVolumeUpdate));
  m.set('LimitRange', kind(core.validateLimitRange, core.validateLimitRangeUpdate));
  m.set('ResourceQuota', kind(core.validateResourceQuota, core.validateResourceQuotaUpdate));
  m.set('ReplicationController', kind(core.validateReplicationController, core.validateReplicationControllerUpdate, core.validateReplicationControllerStatusUpdate));
  m.set('Deployment.apps', kind(apps.validateDeployment, apps.validateDeploymentUpdate, apps.validateDeploymentStatusUpdate));
  m.set('ReplicaSet.apps', kind(apps.validateReplicaSet, apps.validateReplicaSetUpdate, apps.validateReplicaSetStatusUpdate));
  m.set('StatefulSet.apps', kind(apps.validateStatefulSet, apps.validateStatefulSetUpdate, apps.validateStatefulSetStatusUpdate));
  m.set('DaemonSet.apps', kind(apps.validateDaemonSet, apps.validateDaemonSetUpdate, apps.validateDaemonSetStatusUpdate));
  m.set('ControllerRevision.apps', kind(apps.validateControllerRevision, apps.validateControllerRevisionUpdate));
  m.set('Job.batch', kind(batch.validateJob, batch.validateJobUpdate, batch.validateJobStatusUpdate));
  m.set('CronJob.batch', kind(batch.validateCronJob, batch.validateCronJobUpdate, (o, old) => validateObjectMetaUpdate(o.metadata, old.metadata)));
  m.set('Lease.coordination.k8s.io', kind(others.validateLease, others.validateLeaseUpdate));
  m.set('EndpointSlice.discovery.k8s.io', kind(others.validateEndpointSlice, others.validateEndpointSliceUpdate));
  m.set('Event.events.k8s.io', kind(others.validateEventsV1, others.validateEventsV1Update));
  m.set('PodDisruptionBudget.policy', kind(others.validatePodDisruptionBudget, others.validatePodDisruptionBudgetUpdate, others.validatePodDisruptionBudgetStatusUpdate));
  m.set('PriorityClass.scheduling.k8s.io', kind(others.validatePriorityClass, others.validatePriorityClassUpdate));
}
