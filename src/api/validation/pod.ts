/**
 * Pod validation: ValidatePodCreate, ValidatePodUpdate (what a pod update may change, with the
 * spec diff Kubernetes appends), ValidatePodStatusUpdate, ValidatePodEphemeralContainersUpdate,
 * PodTemplate, Binding.
 */
import type { FieldError } from '../errors.js';
import type { KubeObject } from '../object.js';
import { isQualifiedName } from '../names.js';
import {
  asArr, asObj, eachInvalid, forbidden, index, invalid, key, notSupported, type Obj, required, semanticEqual, str,
  validateImmutableField,
} from './field.js';
import { validateNodeName, validateObjectMeta, validateObjectMetaUpdate, validatePodName } from './objectmeta.js';
import { validatePodSpec, validatePodSpecificAnnotations, validatePodTemplateSpec, validateTolerations } from './pod-spec.js';
import { isValidIP } from '../names.js';
import { podSpecDiff } from './specdiff.js';
export { podSpecDiff };

const MaxInt32 = 2147483647;
export const MirrorPodAnnotationKey = 'kubernetes.io/config.mirror';

const updatablePodSpecFields = [
  '`spec.containers[*].image`',
  '`spec.initContainers[*].image`',
  '`spec.activeDeadlineSeconds`',
  '`spec.tolerations` (only additions to existing tolerations)',
  '`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
];

function spec(o: KubeObject): Obj {
  return asObj(o.spec) ?? {};
}
function annotations(o: KubeObject): Record<string, string> {
  return o.metadata?.annotations ?? {};
}

function validatePodMetadataAndSpec(pod: KubeObject): FieldError[] {
  const errs = validateObjectMeta(pod.metadata, true, validatePodName, 'metadata');
  const s = spec(pod);
  errs.push(...validatePodSpecificAnnotations(pod.metadata?.annotations, s, 'metadata.annotations'));
  errs.push(...validatePodSpec(s, 'spec', { resourceIsPod: true }, pod.metadata?.name));
  if (!str(s.serviceAccountName)) {
    asArr(s.volumes).forEach((v, vi) => {
      const projected = asObj(asObj(v)?.projected);
      if (!projected) return;
      asArr(projected.sources).forEach((src, si) => {
        if (asObj(asObj(src)?.serviceAccountToken)) {
          errs.push(forbidden(`spec.volumes[${vi}].projected.sources[${si}].serviceAccountToken`, 'must not be specified when serviceAccountName is not set'));
        }
      });
    });
  }
  for (const kind of ['containers', 'initContainers']) {
    asArr(s[kind]).forEach((c, i) => {
      const image = str(asObj(c)?.image);
      if (image.length !== image.trim().length) errs.push(invalid(`spec.${kind}[${i}].image`, image, 'must not have leading or trailing whitespace'));
    });
  }
  return errs;
}

function validatePodSpecificAnnotationUpdates(n: KubeObject, o: KubeObject, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const na = annotations(n);
  const oa = annotations(o);
  for (const [k, v] of Object.entries(oa)) {
    if (k in na && na[k] === v) continue;
    if (k === MirrorPodAnnotationKey) errs.push(forbidden(key(field, k), 'may not remove or update mirror pod annotation'));
  }
  for (const k of Object.keys(na)) {
    if (k in oa) continue;
    if (k === MirrorPodAnnotationKey) errs.push(forbidden(key(field, k), 'may not add mirror pod annotation'));
  }
  return errs;
}

export function validatePodCreate(pod: KubeObject): FieldError[] {
  const errs = validatePodMetadataAndSpec(pod);
  const s = spec(pod);
  if (asArr(s.ephemeralContainers).length > 0) errs.push(forbidden('spec.ephemeralContainers', 'cannot be set on create'));
  if (str(s.nodeName) && asArr(s.schedulingGates).length > 0) errs.push(forbidden('spec.nodeName', 'cannot be set until all schedulingGates have been cleared'));
  return errs;
}

function validateContainerUpdates(nc: unknown, oc: unknown, field: string): { errs: FieldError[]; stop: boolean } {
  const n = asArr(nc);
  const o = asArr(oc);
  if (n.length !== o.length) return { errs: [forbidden(field, 'pod updates may not add or remove containers')], stop: true };
  const errs: FieldError[] = [];
  n.forEach((c, i) => {
    const image = str(asObj(c)?.image);
    if (!image) errs.push(required(`${field}[${i}].image`));
    if (image.trim().length !== image.length) errs.push(invalid(`${field}[${i}].image`, image, 'must not have leading or trailing whitespace'));
  });
  return { errs, stop: false };
}

function tolerationKeyEqual(a: Obj, b: Obj): boolean {
  const strip = (t: Obj) => ({ ...t, tolerationSeconds: undefined });
  return semanticEqual(strip(a), strip(b));
}

function validateOnlyAddedTolerations(nt: unknown, ot: unknown, field: string): FieldError[] {
  const news = asArr(nt).map((t) => asObj(t) ?? {});
  for (const old of asArr(ot).map((t) => asObj(t) ?? {})) {
    // tolerationSeconds of an existing toleration may change; nothing else may
    if (!news.some((nw) => tolerationKeyEqual(old, nw))) {
      return [forbidden(field, 'existing toleration can not be modified except its tolerationSeconds')];
    }
  }
  return validateTolerations(nt, field);
}

function validateOnlyDeletedSchedulingGates(ng: unknown, og: unknown, field: string): FieldError[] {
  const old = new Set(asArr(og).map((g) => str(asObj(g)?.name)));
  const errs: FieldError[] = [];
  asArr(ng).forEach((g, i) => {
    const name = str(asObj(g)?.name);
    if (!old.has(name)) errs.push(forbidden(`${field}[${i}].name`, `only deletion is allowed, but found new scheduling gate '${name}'`));
  });
  return errs;
}

/** Go's field name for a JSON field, as cmp.Diff prints it. */
function goName(k: string): string {
  const special: Record<string, string> = {
    dnsPolicy: 'DNSPolicy', dnsConfig: 'DNSConfig', hostIPC: 'HostIPC', hostPID: 'HostPID', os: 'OS', nodeName: 'NodeName',
    hostNetwork: 'HostNetwork', terminationGracePeriodSeconds: 'TerminationGracePeriodSeconds',
  };
  return special[k] ?? k.charAt(0).toUpperCase() + k.slice(1);
}

function goValue(v: unknown): string {
  if (v === undefined || v === null) return 'nil';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

export function validatePodUpdate(pod: KubeObject, old: KubeObject): FieldError[] {
  const errs = validateObjectMetaUpdate(pod.metadata, old.metadata, 'metadata');
  errs.push(...validatePodMetadataAndSpec(pod));
  errs.push(...validatePodSpecificAnnotationUpdates(pod, old, 'metadata.annotations'));
  const ns = spec(pod);
  const os = spec(old);
  let r = validateContainerUpdates(ns.containers, os.containers, 'spec.containers');
  errs.push(...r.errs);
  if (r.stop) return errs;
  r = validateContainerUpdates(ns.initContainers, os.initContainers, 'spec.initContainers');
  errs.push(...r.errs);
  if (r.stop) return errs;
  const nads = ns.activeDeadlineSeconds;
  const oads = os.activeDeadlineSeconds;
  if (typeof nads === 'number') {
    if (nads < 0 || nads > MaxInt32) {
      errs.push(invalid('spec.activeDeadlineSeconds', nads, `must be between 0 and ${MaxInt32}, inclusive`));
      return errs;
    }
    if (typeof oads === 'number' && oads < nads) {
      errs.push(invalid('spec.activeDeadlineSeconds', nads, 'must be less than or equal to previous value'));
      return errs;
    }
  } else if (typeof oads === 'number') {
    errs.push(invalid('spec.activeDeadlineSeconds', null, 'must not update from a positive integer to nil value'));
  }
  errs.push(...validateOnlyAddedTolerations(ns.tolerations, os.tolerations, 'spec.tolerations'));
  errs.push(...validateOnlyDeletedSchedulingGates(ns.schedulingGates, os.schedulingGates, 'spec.schedulingGates'));
  if (semanticEqual(ns, os)) return errs;

  const munged: Obj = structuredClone(ns);
  const oc = asArr(os.containers);
  munged.containers = asArr(munged.containers).map((c, i) => ({ ...(asObj(c) ?? {}), image: asObj(oc[i])?.image }));
  const oic = asArr(os.initContainers);
  if (Array.isArray(munged.initContainers)) munged.initContainers = munged.initContainers.map((c, i) => ({ ...(asObj(c) ?? {}), image: asObj(oic[i])?.image }));
  munged.activeDeadlineSeconds = os.activeDeadlineSeconds;
  munged.schedulingGates = os.schedulingGates;
  munged.tolerations = os.tolerations;
  const otgp = os.terminationGracePeriodSeconds;
  if (typeof otgp === 'number' && otgp < 0 && munged.terminationGracePeriodSeconds === 1) munged.terminationGracePeriodSeconds = otgp;
  if (asArr(os.schedulingGates).length > 0) {
    // gated pods: additions to nodeSelector and node affinity changes are allowed
    const oldSel = asObj(os.nodeSelector) ?? {};
    const newSel = asObj(munged.nodeSelector) ?? {};
    if (!semanticEqual(oldSel, newSel)) {
      if (Object.entries(oldSel).some(([k, v]) => newSel[k] !== v)) {
        errs.push(invalid('spec.nodeSelector', newSel, 'only additions to spec.nodeSelector are allowed (no mutations or deletions)'));
      }
      munged.nodeSelector = os.nodeSelector;
    }
    const oa = asObj(os.affinity);
    const na = asObj(munged.affinity);
    if (!semanticEqual(oa?.nodeAffinity, na?.nodeAffinity)) {
      if (!na && oa?.nodeAffinity) munged.affinity = { nodeAffinity: oa.nodeAffinity };
      else if (na && !oa && !na.podAffinity && !na.podAntiAffinity) delete munged.affinity;
      else if (na) munged.affinity = { ...na, nodeAffinity: oa?.nodeAffinity };
    }
  }
  if (!semanticEqual(munged, os)) {
    errs.push(forbidden('spec', `pod updates may not change fields other than ${updatablePodSpecFields.join(',')}\n${podSpecDiff(os, munged)}`));
  }
  return errs;
}

function terminated(st: unknown): boolean {
  return !!asObj(asObj(asObj(st)?.state)?.terminated);
}
function exitCode(st: unknown): number {
  return Number(asObj(asObj(asObj(st)?.state)?.terminated)?.exitCode ?? 0);
}

function validateContainerStateTransition(ns: unknown, os: unknown, field: string, restartPolicy: string, restartable: (name: string) => boolean = () => false): FieldError[] {
  const errs: FieldError[] = [];
  if (restartPolicy === 'Always') return errs;
  asArr(os).forEach((o, i) => {
    if (!terminated(o)) return;
    if (exitCode(o) !== 0 && restartPolicy === 'OnFailure') return;
    const name = str(asObj(o)?.name);
    if (restartable(name)) return;
    for (const n of asArr(ns)) {
      if (str(asObj(n)?.name) === name && !terminated(n)) errs.push(forbidden(`${index(field, i)}.state`, 'may not be transitioned to non-terminated state'));
    }
  });
  return errs;
}

export function validatePodStatusUpdate(pod: KubeObject, old: KubeObject): FieldError[] {
  const errs = validateObjectMetaUpdate(pod.metadata, old.metadata, 'metadata');
  errs.push(...validatePodSpecificAnnotationUpdates(pod, old, 'metadata.annotations'));
  const status = asObj(pod.status) ?? {};
  const oldStatus = asObj(old.status) ?? {};
  const system = new Set(['PodScheduled', 'Ready', 'Initialized']);
  asArr(status.conditions).forEach((c, i) => {
    const t = str(asObj(c)?.type);
    if (system.has(t)) return;
    errs.push(...eachInvalid(`metadata.conditions[${i}].Type`, t, isQualifiedName(t)));
  });
  if (str(spec(pod).nodeName) !== str(spec(old).nodeName)) errs.push(forbidden('status.nodeName', 'may not be changed directly'));
  const nnn = str(status.nominatedNodeName);
  if (nnn && nnn !== str(oldStatus.nominatedNodeName)) errs.push(...eachInvalid('status.nominatedNodeName', nnn, validateNodeName(nnn, false)));
  errs.push(...validateImmutableField(status.qosClass ?? '', oldStatus.qosClass ?? '', 'status.qosClass'));
  const os = spec(old);
  const rp = str(os.restartPolicy);
  errs.push(...validateContainerStateTransition(status.containerStatuses, oldStatus.containerStatuses, 'status.containerStatuses', rp));
  const restartableInit = (name: string) => asArr(os.initContainers).some((c) => str(asObj(c)?.name) === name && asObj(c)?.restartPolicy === 'Always');
  errs.push(...validateContainerStateTransition(status.initContainerStatuses, oldStatus.initContainerStatuses, 'status.initContainerStatuses', rp, restartableInit));
  errs.push(...validateContainerStateTransition(status.ephemeralContainerStatuses, oldStatus.ephemeralContainerStatuses, 'status.ephemeralContainerStatuses', 'Never'));
  errs.push(...validateStatusIPs(status, 'podIP', 'podIPs'));
  errs.push(...validateStatusIPs(status, 'hostIP', 'hostIPs'));
  return errs;
}

/** validatePodIPs / validateHostIPs: valid IPs, at most one per family, no duplicates; hostIPs[0] equals hostIP. */
function validateStatusIPs(status: Obj, single: string, plural: string): FieldError[] {
  const errs: FieldError[] = [];
  const list = asArr(status[plural]);
  const ips = list.map((p) => str(asObj(p)?.ip));
  const field = `status.${plural}`;
  if (plural === 'hostIPs') {
    if (ips.length === 0) return errs;
    if (str(status[single]) !== ips[0]) errs.push(invalid(`${field}[0].ip`, ips[0], 'must be equal to `hostIP`'));
  }
  ips.forEach((ip, i) => errs.push(...eachInvalid(`${field}[${i}]`, ip, isValidIP(ip))));
  if (ips.length > 1) {
    const seen = new Set<string>();
    const dups: FieldError[] = [];
    ips.forEach((ip, i) => {
      if (seen.has(ip)) dups.push({ type: 'FieldValueDuplicate', field: `${field}[${i}]`, badValue: list[i] });
      seen.add(ip);
    });
    const dual = ips.length === 2 && ips[0].includes(':') !== ips[1].includes(':');
    const tooMany = !dual ? [invalid(field, list, 'may specify no more than one IP for each IP family')] : [];
    // Kubernetes checks dual-stack first for podIPs and duplicates first for hostIPs
    errs.push(...(plural === 'podIPs' ? [...tooMany, ...dups] : [...dups, ...tooMany]));
  }
  return errs;
}

/** Update through the `ephemeralcontainers` subresource. */
export function validatePodEphemeralContainersUpdate(pod: KubeObject, old: KubeObject): FieldError[] {
  const errs = validateObjectMetaUpdate(pod.metadata, old.metadata, 'metadata');
  errs.push(...validatePodMetadataAndSpec(pod));
  errs.push(...validatePodSpecificAnnotationUpdates(pod, old, 'metadata.annotations'));
  if (MirrorPodAnnotationKey in annotations(old)) return [forbidden('', 'static pods do not support ephemeral containers')];
  const byName = new Map<string, Obj>();
  for (const ec of asArr(spec(pod).ephemeralContainers)) byName.set(str(asObj(ec)?.name), asObj(ec) ?? {});
  for (const o of asArr(spec(old).ephemeralContainers)) {
    const oc = asObj(o) ?? {};
    const name = str(oc.name);
    const nc = byName.get(name);
    if (!nc) errs.push(forbidden('spec.ephemeralContainers', `existing ephemeral containers ${JSON.stringify(name)} may not be removed\n`));
    else if (!semanticEqual(oc, nc)) {
      const diff = Object.keys({ ...oc, ...nc }).filter((k) => !semanticEqual(oc[k], nc[k]))
        .map((k) => `- \t${goName(k)}: ${goValue(oc[k])},\n+ \t${goName(k)}: ${goValue(nc[k])},`).join('\n');
      errs.push(forbidden('spec.ephemeralContainers', `existing ephemeral containers ${JSON.stringify(name)} may not be changed\n  core.EphemeralContainer{\n${diff}\n  }\n`));
    }
  }
  return errs;
}

/** Binding (pods/binding). */
export function validatePodBinding(binding: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const target = asObj(binding.target) ?? {};
  const kind = str(target.kind);
  if (kind && kind !== 'Node') errs.push(notSupported('target.kind', kind, ['Node', '<empty>']));
  if (!str(target.name)) errs.push(required('target.name'));
  return errs;
}

export function validatePodTemplate(pt: KubeObject): FieldError[] {
  const errs = validateObjectMeta(pt.metadata, true, validatePodName, 'metadata');
  return errs.concat(validatePodTemplateSpec(pt.template, 'template'));
}
export function validatePodTemplateUpdate(pt: KubeObject, old: KubeObject): FieldError[] {
  const errs = validateObjectMetaUpdate(pt.metadata, old.metadata, 'metadata');
  return errs.concat(validatePodTemplateSpec(pt.template, 'template'));
}

