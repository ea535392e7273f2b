/** apps/v1 defaulting (pkg/apis/apps/v1/defaults.go): Deployment, ReplicaSet, StatefulSet, DaemonSet. */
import type { KubeObject } from '../object.js';
import { defaultPVCSpec, defaultPodTemplateSpec } from './core.js';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : undefined);
function ensure(o: Obj, k: string): Obj {
  const v = obj(o[k]);
  if (v) return v;
  const n: Obj = {};
  o[k] = n;
  return n;
}
const unset = (v: unknown) => v === undefined || v === null || v === '';

export function defaultDeployment(d: KubeObject): void {
  const spec = ensure(d as Obj, 'spec');
  if (unset(spec.replicas)) spec.replicas = 1;
  const strategy = ensure(spec, 'strategy');
  if (unset(strategy.type)) strategy.type = 'RollingUpdate';
  if (strategy.type === 'RollingUpdate') {
    const ru = ensure(strategy, 'rollingUpdate');
    if (unset(ru.maxUnavailable)) ru.maxUnavailable = '25%';
    if (unset(ru.maxSurge)) ru.maxSurge = '25%';
  }
  if (unset(spec.revisionHistoryLimit)) spec.revisionHistoryLimit = 10;
  if (unset(spec.progressDeadlineSeconds)) spec.progressDeadlineSeconds = 600;
  defaultPodTemplateSpec(ensure(spec, 'template'));
}

export function defaultReplicaSet(rs: KubeObject): void {
  const spec = ensure(rs as Obj, 'spec');
  if (unset(spec.replicas)) spec.replicas = 1;
  defaultPodTemplateSpec(ensure(spec, 'template'));
}

export function defaultStatefulSet(ss: KubeObject): void {
  const spec = ensure(ss as Obj, 'spec');
  if (unset(spec.podManagementPolicy)) spec.podManagementPolicy = 'OrderedReady';
  const us = ensure(spec, 'updateStrategy');
  if (unset(us.type)) {
    us.type = 'RollingUpdate';
    ensure(us, 'rollingUpdate');
  }
  // partition is defaulted only when rollingUpdate is present
  const ru = obj(us.rollingUpdate);
  if (us.type === 'RollingUpdate' && ru && unset(ru.partition)) ru.partition = 0;
  const pol = ensure(spec, 'persistentVolumeClaimRetentionPolicy');
  if (unset(pol.whenDeleted)) pol.whenDeleted = 'Retain';
  if (unset(pol.whenScaled)) pol.whenScaled = 'Retain';
  if (unset(spec.replicas)) spec.replicas = 1;
  if (unset(spec.revisionHistoryLimit)) spec.revisionHistoryLimit = 10;
  defaultPodTemplateSpec(ensure(spec, 'template'));
  for (const t of Array.isArray(spec.volumeClaimTemplates) ? spec.volumeClaimTemplates : []) {
    const tpl = obj(t);
    if (!tpl) continue;
    defaultPVCSpec(ensure(tpl, 'spec'));
    const status = ensure(tpl, 'status');
    if (unset(status.phase)) status.phase = 'Pending';
  }
}

export function defaultDaemonSet(ds: KubeObject): void {
  const spec = ensure(ds as Obj, 'spec');
  const us = ensure(spec, 'updateStrategy');
  if (unset(us.type)) us.type = 'RollingUpdate';
  if (us.type === 'RollingUpdate') {
    const ru = ensure(us, 'rollingUpdate');
    if (unset(ru.maxUnavailable)) ru.maxUnavailable = 1;
    if (unset(ru.maxSurge)) ru.maxSurge = 0;
  }
  if (unset(spec.revisionHistoryLimit)) spec.revisionHistoryLimit = 10;
  defaultPodTemplateSpec(ensure(spec, 'template'));
}
