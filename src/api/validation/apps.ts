/**
 * apps/v1 validation (pkg/apis/apps/validation/validation.go and the strategies' selector
 * immutability): Deployment, ReplicaSet, StatefulSet, DaemonSet, ControllerRevision.
 */
import type { FieldError } from '../errors.js';
import type { KubeObject } from '../object.js';
import { isValidPercent } from '../names.js';
import {
  asObj, child, forbidden, invalid, notSupported, type Obj, required, semanticEqual, str, validateImmutableField,
  validateNonnegativeField,
} from './field.js';
import { nameIsDNSLabel, nameIsDNSSubdomain, validateAnnotations, validateLabels, validateObjectMeta, validateObjectMetaUpdate } from './objectmeta.js';
import { validatePodSpecificAnnotations, validatePodTemplateSpec } from './pod-spec.js';
import { validateLabelSelector, selectorIsEmpty, selectorMatches } from './selector.js';
import { validateReplicaStatus } from './core.js';
import { goLabelSelector } from './govalue.js';

function spec(o: KubeObject): Obj {
  return asObj(o.spec) ?? {};
}
function n(v: unknown): number | undefined {
  return typeof v === 'number' ? v : undefined;
}
function tplLabels(tpl: Obj | undefined): Record<string, string> {
  return (asObj(asObj(tpl?.metadata)?.labels) ?? {}) as Record<string, string>;
}

/** The template must carry the selector's labels: `selector` does not match template `labels`. */
function selectorMatchError(selector: unknown, tpl: Obj | undefined, field: string): FieldError[] {
  // a missing selector selects nothing (and so matches no template); an empty one selects everything
  if (selector === undefined || selector === null) return [invalid(field, tplLabels(tpl), '`selector` does not match template `labels`')];
  if (selectorIsEmpty(selector)) return [];
  return selectorMatches(selector, tplLabels(tpl)) ? [] : [invalid(field, tplLabels(tpl), '`selector` does not match template `labels`')];
}

function validateSelectorPresent(s: Obj, field: string, kindWord: string): FieldError[] {
  if (s.selector === undefined || s.selector === null) return [required(field)];
  const errs = validateLabelSelector(s.selector, field);
  if (selectorIsEmpty(s.selector)) errs.push({ ...invalid(field, s.selector, `empty selector is invalid for ${kindWord}`), badValueText: goLabelSelector(asObj(s.selector) ?? {}) });
  return errs;
}

/** ValidatePodTemplateSpecForReplicaSet (Deployment and ReplicaSet). */
function validateTemplateForReplicaSet(s: Obj, field: string, kindName: string): FieldError[] {
  const tpl = asObj(s.template);
  if (!tpl) return [required(field)];
  const errs = selectorMatchError(s.selector, tpl, child(field, 'metadata', 'labels'));
  errs.push(...validatePodTemplateSpec(tpl, field));
  const ts = asObj(tpl.spec) ?? {};
  const rp = str(ts.restartPolicy);
  if (rp !== 'Always') errs.push(notSupported(child(field, 'spec', 'restartPolicy'), rp, ['Always']));
  if (ts.activeDeadlineSeconds !== undefined && ts.activeDeadlineSeconds !== null) {
    errs.push(forbidden(child(field, 'spec', 'activeDeadlineSeconds'), `activeDeadlineSeconds in ${kindName} is not Supported`));
  }
  return errs;
}

function intOrPercentValue(v: unknown): { value: number; percent: boolean } {
  if (typeof v === 'number') return { value: v, percent: false };
  const s = str(v);
  if (s.endsWith('%')) return { value: Number.parseInt(s.slice(0, -1), 10) || 0, percent: true };
  return { value: Number.parseInt(s, 10) || 0, percent: false };
}

function validatePositiveIntOrPercent(v: unknown, field: string): FieldError[] {
  if (typeof v === 'string') return isValidPercent(v).map((m) => invalid(field, v, m));
  if (typeof v === 'number') return validateNonnegativeField(v, field);
  return [];
}

function isNotMoreThan100Percent(v: unknown, field: string): FieldError[] {
  const { value, percent } = intOrPercentValue(v);
  return percent && value > 100 ? [invalid(field, v, 'must not be greater than 100%')] : [];
}

function validateDeploymentStrategy(st: Obj, field: string): FieldError[] {
  const errs: FieldError[] = [];
  switch (st.type) {
    case 'Recreate':
      if (st.rollingUpdate !== undefined && st.rollingUpdate !== null) errs.push(forbidden(child(field, 'rollingUpdate'), "may not be specified when strategy `type` is 'Recreate'"));
      break;
    case 'RollingUpdate': {
      const ru = asObj(st.rollingUpdate);
      if (!ru) {
        errs.push(required(child(field, 'rollingUpdate'), 'this should be defaulted and never be nil'));
        break;
      }
      const rp = child(field, 'rollingUpdate');
      errs.push(...validatePositiveIntOrPercent(ru.maxUnavailable, child(rp, 'maxUnavailable')));
      errs.push(...validatePositiveIntOrPercent(ru.maxSurge, child(rp, 'maxSurge')));
      if (intOrPercentValue(ru.maxUnavailable).value === 0 && intOrPercentValue(ru.maxSurge).value === 0) {
        errs.push(invalid(child(rp, 'maxUnavailable'), ru.maxUnavailable, 'may not be 0 when `maxSurge` is 0'));
      }
      errs.push(...isNotMoreThan100Percent(ru.maxUnavailable, child(rp, 'maxUnavailable')));
      break;
    }
    default:
      errs.push(notSupported(field, st, ['Recreate', 'RollingUpdate']));
  }
  return errs;
}

export function validateDeploymentSpec(s: Obj, field: string): FieldError[] {
  const errs = validateNonnegativeField(n(s.replicas), child(field, 'replicas'));
  errs.push(...validateSelectorPresent(s, child(field, 'selector'), 'deployment'));
  errs.push(...validateTemplateForReplicaSet(s, child(field, 'template'), 'ReplicaSet'));
  errs.push(...validateDeploymentStrategy(asObj(s.strategy) ?? {}, child(field, 'strategy')));
  errs.push(...validateNonnegativeField(n(s.minReadySeconds), child(field, 'minReadySeconds')));
  errs.push(...validateNonnegativeField(n(s.revisionHistoryLimit), child(field, 'revisionHistoryLimit')));
  const pds = n(s.progressDeadlineSeconds);
  if (pds !== undefined) {
    errs.push(...validateNonnegativeField(pds, child(field, 'progressDeadlineSeconds')));
    if (pds <= (n(s.minReadySeconds) ?? 0)) errs.push(invalid(child(field, 'progressDeadlineSeconds'), pds, 'must be greater than minReadySeconds'));
  }
  return errs;
}

export function validateDeployment(d: KubeObject): FieldError[] {
  return validateObjectMeta(d.metadata, true, nameIsDNSSubdomain).concat(validateDeploymentSpec(spec(d), 'spec'));
}
export function validateDeploymentUpdate(d: KubeObject, old: KubeObject): FieldError[] {
  const errs = validateObjectMetaUpdate(d.metadata, old.metadata);
  errs.push(...validateDeploymentSpec(spec(d), 'spec'));
  return errs.concat(validateImmutableField(spec(d).selector, spec(old).selector, 'spec.selector'));
}
export function validateDeploymentStatusUpdate(d: KubeObject, old: KubeObject): FieldError[] {
  const errs = validateObjectMetaUpdate(d.metadata, old.metadata);
  const st = asObj(d.status) ?? {};
  for (const f of ['observedGeneration', 'replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas', 'unavailableReplicas']) {
    errs.push(...validateNonnegativeField(n(st[f]), child('status', f)));
  }
  if (n(st.collisionCount) !== undefined) errs.push(...validateNonnegativeField(n(st.collisionCount), 'status.collisionCount'));
  const msg = 'cannot be greater than status.replicas';
  if ((n(st.updatedReplicas) ?? 0) > (n(st.replicas) ?? 0)) errs.push(invalid('status.updatedReplicas', st.updatedReplicas, msg));
  if ((n(st.readyReplicas) ?? 0) > (n(st.replicas) ?? 0)) errs.push(invalid('status.readyReplicas', st.readyReplicas, msg));
  if ((n(st.availableReplicas) ?? 0) > (n(st.replicas) ?? 0)) errs.push(invalid('status.availableReplicas', st.availableReplicas, msg));
  if ((n(st.availableReplicas) ?? 0) > (n(st.readyReplicas) ?? 0)) errs.push(invalid('status.availableReplicas', st.availableReplicas, 'cannot be greater than readyReplicas'));
  const oc = n(asObj(old.status)?.collisionCount);
  const nc = n(st.collisionCount);
  if (oc !== undefined && (nc === undefined || nc < oc)) errs.push(invalid('status.collisionCount', nc ?? null, 'cannot be decremented'));
  return errs;
}

export function validateReplicaSetSpec(s: Obj, field: string): FieldError[] {
  const errs = validateNonnegativeField(n(s.replicas), child(field, 'replicas'));
  errs.push(...validateNonnegativeField(n(s.minReadySeconds), child(field, 'minReadySeconds')));
  errs.push(...validateSelectorPresent(s, child(field, 'selector'), 'deployment'));
  errs.push(...validateTemplateForReplicaSet(s, child(field, 'template'), 'ReplicaSet'));
  return errs;
}
export function validateReplicaSet(rs: KubeObject): FieldError[] {
  return validateObjectMeta(rs.metadata, true, nameIsDNSSubdomain).concat(validateReplicaSetSpec(spec(rs), 'spec'));
}
export function validateReplicaSetUpdate(rs: KubeObject, old: KubeObject): FieldError[] {
  const errs = validateObjectMetaUpdate(rs.metadata, old.metadata).concat(validateReplicaSetSpec(spec(rs), 'spec'));
  return errs.concat(validateImmutableField(spec(rs).selector, spec(old).selector, 'spec.selector'));
}
export function validateReplicaSetStatusUpdate(rs: KubeObject, old: KubeObject): FieldError[] {
  return validateObjectMetaUpdate(rs.metadata, old.metadata).concat(validateReplicaStatus(asObj(rs.status) ?? {}, 'status'));
}

// ---------------------------------------------------------------- StatefulSet

export function validateStatefulSetSpec(s: Obj, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const pmp = str(s.podManagementPolicy);
  if (!pmp) errs.push(required(child(field, 'podManagementPolicy')));
  else if (pmp !== 'OrderedReady' && pmp !== 'Parallel') errs.push(invalid(child(field, 'podManagementPolicy'), pmp, "must be 'OrderedReady' or 'Parallel'"));
  const us = asObj(s.updateStrategy) ?? {};
  switch (str(us.type)) {
    case '':
      errs.push(required(child(field, 'updateStrategy')));
      break;
    case 'OnDelete':
      if (us.rollingUpdate !== undefined && us.rollingUpdate !== null) errs.push(invalid(child(field, 'updateStrategy', 'rollingUpdate'), us.rollingUpdate, "only allowed for updateStrategy 'RollingUpdate'"));
      break;
    case 'RollingUpdate': {
      const ru = asObj(us.rollingUpdate);
      if (ru) {
        const rp = child(field, 'updateStrategy', 'rollingUpdate');
        errs.push(...validateNonnegativeField(n(ru.partition), child(rp, 'partition')));
        if (ru.maxUnavailable !== undefined && ru.maxUnavailable !== null) {
          errs.push(...validatePositiveIntOrPercent(ru.maxUnavailable, child(rp, 'maxUnavailable')));
          if (intOrPercentValue(ru.maxUnavailable).value === 0) errs.push(invalid(child(rp, 'maxUnavailable'), ru.maxUnavailable, 'cannot be 0'));
          errs.push(...isNotMoreThan100Percent(ru.maxUnavailable, child(rp, 'maxUnavailable')));
        }
      }
      break;
    }
    default:
      errs.push(invalid(child(field, 'updateStrategy'), us, "must be 'RollingUpdate' or 'OnDelete'"));
  }
  const pol = asObj(s.persistentVolumeClaimRetentionPolicy);
  if (pol) {
    const pp = child(field, 'persistentVolumeClaimRetentionPolicy');
    for (const f of ['whenDeleted', 'whenScaled']) {
      const v = str(pol[f]);
      if (v !== 'Retain' && v !== 'Delete') errs.push(notSupported(child(pp, f), v, ['Retain', 'Delete']));
    }
  }
  errs.push(...validateNonnegativeField(n(s.replicas), child(field, 'replicas')));
  errs.push(...validateNonnegativeField(n(s.minReadySeconds), child(field, 'minReadySeconds')));
  const ord = asObj(s.ordinals);
  if (ord) errs.push(...validateNonnegativeField(n(ord.start), child(field, 'ordinals.start')));
  errs.push(...validateSelectorPresent(s, child(field, 'selector'), 'statefulset'));
  const tp = child(field, 'template');
  const tpl = asObj(s.template);
  if (!tpl) errs.push(required(tp));
  else {
    // Kubernetes checks only the template's labels and annotations here (its pod spec is validated
    // when the StatefulSet controller creates the pods, whose volumes come from volumeClaimTemplates)
    errs.push(...selectorMatchError(s.selector, tpl, child(tp, 'metadata', 'labels')));
    const meta = asObj(tpl.metadata) ?? {};
    errs.push(...validateLabels(asObj(meta.labels) as Record<string, string> | undefined, child(tp, 'labels')));
    errs.push(...validateAnnotations(asObj(meta.annotations) as Record<string, string> | undefined, child(tp, 'annotations')));
    errs.push(...validatePodSpecificAnnotations(asObj(meta.annotations) as Record<string, string> | undefined, asObj(tpl.spec) ?? {}, child(tp, 'annotations')));
  }
  const ts = asObj(tpl?.spec) ?? {};
  const rp = str(ts.restartPolicy);
  if (rp !== 'Always') errs.push(notSupported(child(tp, 'spec', 'restartPolicy'), rp, ['Always']));
  if (ts.activeDeadlineSeconds !== undefined && ts.activeDeadlineSeconds !== null) {
    errs.push(forbidden(child(tp, 'spec', 'activeDeadlineSeconds'), 'activeDeadlineSeconds in StatefulSet is not Supported'));
  }
  return errs;
}

export function validateStatefulSet(ss: KubeObject): FieldError[] {
  return validateObjectMeta(ss.metadata, true, nameIsDNSLabel).concat(validateStatefulSetSpec(spec(ss), 'spec'));
}

export function validateStatefulSetUpdate(ss: KubeObject, old: KubeObject): FieldError[] {
  const errs = validateObjectMetaUpdate(ss.metadata, old.metadata).concat(validateStatefulSetSpec(spec(ss), 'spec'));
  const ns = { ...spec(ss) };
  const os = spec(old);
  for (const f of ['replicas', 'template', 'updateStrategy', 'minReadySeconds', 'ordinals', 'persistentVolumeClaimRetentionPolicy']) ns[f] = os[f];
  if (!semanticEqual(ns, os)) {
    errs.push(forbidden('spec', "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"));
  }
  return errs;
}

export function validateStatefulSetStatusUpdate(ss: KubeObject, old: KubeObject): FieldError[] {
  const errs = validateObjectMetaUpdate(ss.metadata, old.metadata);
  const st = asObj(ss.status) ?? {};
  for (const f of ['replicas', 'readyReplicas', 'currentReplicas', 'updatedReplicas', 'availableReplicas', 'observedGeneration', 'collisionCount']) {
    errs.push(...validateNonnegativeField(n(st[f]), child('status', f)));
  }
  const r = n(st.replicas) ?? 0;
  for (const f of ['readyReplicas', 'currentReplicas', 'updatedReplicas', 'availableReplicas']) {
    if ((n(st[f]) ?? 0) > r) errs.push(invalid(child('status', f), st[f], 'cannot be greater than status.replicas'));
  }
  if ((n(st.availableReplicas) ?? 0) > (n(st.readyReplicas) ?? 0)) errs.push(invalid('status.availableReplicas', st.availableReplicas, 'cannot be greater than status.readyReplicas'));
  const oc = n(asObj(old.status)?.collisionCount);
  const nc = n(st.collisionCount);
  if (oc !== undefined && (nc === undefined || nc < oc)) errs.push(invalid('status.collisionCount', nc ?? null, 'cannot be decremented'));
  return errs;
}

// ---------------------------------------------------------------- DaemonSet

function validateDaemonSetUpdateStrategy(us: Obj, field: string): FieldError[] {
  const errs: FieldError[] = [];
  switch (us.type) {
    case 'OnDelete':
      break;
    case 'RollingUpdate': {
      const ru = asObj(us.rollingUpdate);
      if (!ru) return [required(child(field, 'rollingUpdate'))];
      const rp = child(field, 'rollingUpdate');
      errs.push(...validatePositiveIntOrPercent(ru.maxUnavailable, child(rp, 'maxUnavailable')));
      errs.push(...validatePositiveIntOrPercent(ru.maxSurge, child(rp, 'maxSurge')));
      errs.push(...isNotMoreThan100Percent(ru.maxUnavailable, child(rp, 'maxUnavailable')));
      errs.push(...isNotMoreThan100Percent(ru.maxSurge, child(rp, 'maxSurge')));
      const hasUnavailable = intOrPercentValue(ru.maxUnavailable).value !== 0;
      const hasSurge = intOrPercentValue(ru.maxSurge).value !== 0;
      if (hasUnavailable && hasSurge) errs.push(invalid(child(rp, 'maxSurge'), ru.maxSurge, 'may not be set when maxUnavailable is non-zero'));
      else if (!hasUnavailable && !hasSurge) errs.push(required(child(rp, 'maxUnavailable'), 'cannot be 0 when maxSurge is 0'));
      break;
    }
    default:
      errs.push(notSupported(field, us, ['RollingUpdate', 'OnDelete']));
  }
  return errs;
}

export function validateDaemonSetSpec(s: Obj, field: string): FieldError[] {
  const errs = validateLabelSelector(s.selector, child(field, 'selector'));
  const tpl = asObj(s.template) ?? {};
  const sel = s.selector;
  if (sel === undefined || sel === null || !selectorMatches(sel, tplLabels(tpl))) {
    if (!(sel !== undefined && sel !== null && selectorIsEmpty(sel))) {
      errs.push(invalid(child(field, 'template', 'metadata', 'labels'), tplLabels(tpl), '`selector` does not match template `labels`'));
    }
  }
  if (sel !== undefined && sel !== null && selectorIsEmpty(sel)) errs.push({ ...invalid(child(field, 'selector'), sel, 'empty selector is invalid for daemonset'), badValueText: goLabelSelector(asObj(sel) ?? {}) });
  errs.push(...validatePodTemplateSpec(tpl, child(field, 'template')));
  const ts = asObj(tpl.spec) ?? {};
  const rp = str(ts.restartPolicy);
  if (rp !== 'Always') errs.push(notSupported(child(field, 'template', 'spec', 'restartPolicy'), rp, ['Always']));
  if (ts.activeDeadlineSeconds !== undefined && ts.activeDeadlineSeconds !== null) {
    errs.push(forbidden(child(field, 'template', 'spec', 'activeDeadlineSeconds'), 'activeDeadlineSeconds in DaemonSet is not Supported'));
  }
  errs.push(...validateNonnegativeField(n(s.minReadySeconds), child(field, 'minReadySeconds')));
  errs.push(...validateNonnegativeField(n(s.templateGeneration), child(field, 'templateGeneration')));
  errs.push(...validateDaemonSetUpdateStrategy(asObj(s.updateStrategy) ?? {}, child(field, 'updateStrategy')));
  errs.push(...validateNonnegativeField(n(s.revisionHistoryLimit), child(field, 'revisionHistoryLimit')));
  return errs;
}

export function validateDaemonSet(ds: KubeObject): FieldError[] {
  return validateObjectMeta(ds.metadata, true, nameIsDNSSubdomain).concat(validateDaemonSetSpec(spec(ds), 'spec'));
}
export function validateDaemonSetUpdate(ds: KubeObject, old: KubeObject): FieldError[] {
  const errs = validateObjectMetaUpdate(ds.metadata, old.metadata);
  errs.push(...validateDaemonSetSpec(spec(ds), 'spec'));
  return errs.concat(validateImmutableField(spec(ds).selector, spec(old).selector, 'spec.selector'));
}
export function validateDaemonSetStatusUpdate(ds: KubeObject, old: KubeObject): FieldError[] {
  const errs = validateObjectMetaUpdate(ds.metadata, old.metadata);
  const st = asObj(ds.status) ?? {};
  for (const f of ['currentNumberScheduled', 'numberMisscheduled', 'desiredNumberScheduled', 'numberReady', 'observedGeneration', 'updatedNumberScheduled', 'numberAvailable', 'numberUnavailable', 'collisionCount']) {
    errs.push(...validateNonnegativeField(n(st[f]), child('status', f)));
  }
  const oc = n(asObj(old.status)?.collisionCount);
  const nc = n(st.collisionCount);
  if (oc !== undefined && (nc === undefined || nc < oc)) errs.push(invalid('status.collisionCount', nc ?? null, 'cannot be decremented'));
  return errs;
}

// ---------------------------------------------------------------- ControllerRevision

export function validateControllerRevision(cr: KubeObject): FieldError[] {
  const errs = validateObjectMeta(cr.metadata, true, nameIsDNSSubdomain);
  if (cr.data === undefined || cr.data === null) errs.push(required('data', 'data is mandatory'));
  errs.push(...validateNonnegativeField(n(cr.revision), 'revision'));
  return errs;
}
export function validateControllerRevisionUpdate(cr: KubeObject, old: KubeObject): FieldError[] {
  const errs = validateObjectMetaUpdate(cr.metadata, old.metadata).concat(validateControllerRevision(cr));
  return errs.concat(validateImmutableField(cr.data, old.data, 'data'));
}
