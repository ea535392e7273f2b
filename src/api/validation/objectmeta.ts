/**
 * ObjectMeta validation (k8s.io/apimachinery/pkg/api/validation/objectmeta.go and
 * pkg/apis/meta/v1/validation): names, namespace, labels, annotations, owner references,
 * finalizers, and what an update may not change.
 */
import type { FieldError } from '../errors.js';
import type { ObjectMeta } from '../object.js';
import { byteLen, isDNS1035Label, isDNS1123Label, isDNS1123Subdomain, isQualifiedName, isValidLabelValue } from '../names.js';
import { child, eachInvalid, forbidden, index, invalid, required, validateImmutableField, validateNonnegativeField } from './field.js';

/** A name check: (name, prefix) → problems. With prefix=true the value is a generateName (a trailing '-' is allowed). */
export type NameFn = (name: string, prefix: boolean) => string[];

/** As Kubernetes' maskTrailingDash (which replaces the last two characters — its own quirk — with 'a'). */
function maskTrailingDash(name: string): string {
  return name.length > 1 && name.endsWith('-') ? name.slice(0, -2) + 'a' : name;
}

export const nameIsDNSSubdomain: NameFn = (name, prefix) => isDNS1123Subdomain(prefix ? maskTrailingDash(name) : name);
export const nameIsDNSLabel: NameFn = (name, prefix) => isDNS1123Label(prefix ? maskTrailingDash(name) : name);
export const nameIsDNS1035Label: NameFn = (name, prefix) => isDNS1035Label(prefix ? maskTrailingDash(name) : name);

/** Path segment names: may not be '.', '..' or contain '/' or '%'. */
export function isValidPathSegmentName(name: string): string[] {
  if (name === '.' || name === '..') return [`may not be '${name}'`];
  const errs: string[] = [];
  for (const bad of ['/', '%']) if (name.includes(bad)) errs.push(`may not contain '${bad}'`);
  return errs;
}
export const namePathSegment: NameFn = (name, _prefix) => isValidPathSegmentName(name);

export const validateNamespaceName = nameIsDNSLabel;
export const validatePodName = nameIsDNSSubdomain;
export const validateNodeName = nameIsDNSSubdomain;
export const validateServiceAccountName = nameIsDNSSubdomain;
export const validateSecretName = nameIsDNSSubdomain;
export const validateConfigMapName = nameIsDNSSubdomain;
export const validateServiceName = nameIsDNS1035Label;

export function validateLabelName(k: string, field: string): FieldError[] {
  return eachInvalid(field, k, isQualifiedName(k));
}

export function validateLabels(labels: Record<string, string> | undefined, field: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(labels ?? {})) {
    errs.push(...validateLabelName(k, field));
    errs.push(...eachInvalid(field, v, isValidLabelValue(String(v))));
  }
  return errs;
}

export const TotalAnnotationSizeLimitB = 256 * 1024;

export function validateAnnotations(annotations: Record<string, string> | undefined, field: string): FieldError[] {
  const errs: FieldError[] = [];
  let size = 0;
  for (const [k, v] of Object.entries(annotations ?? {})) {
    errs.push(...eachInvalid(field, k, isQualifiedName(k.toLowerCase())));
    size += byteLen(k) + byteLen(String(v));
  }
  if (size > TotalAnnotationSizeLimitB) {
    errs.push({ type: 'FieldValueTooLong', field, detail: `may not be more than ${TotalAnnotationSizeLimitB} bytes` });
  }
  return errs;
}

export function validateOwnerReferences(refs: ObjectMeta['ownerReferences'], field: string): FieldError[] {
  const errs: FieldError[] = [];
  let firstController = '';
  for (const ref of refs ?? []) {
    const apiVersion = ref.apiVersion ?? '';
    const slash = apiVersion.indexOf('/');
    const group = slash < 0 ? '' : apiVersion.slice(0, slash);
    const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
    if (!version) errs.push(invalid(child(field, 'apiVersion'), apiVersion, 'version must not be empty'));
    if (!ref.kind) errs.push(invalid(child(field, 'kind'), ref.kind ?? '', 'must not be empty'));
    if (!ref.name) errs.push(invalid(child(field, 'name'), ref.name ?? '', 'must not be empty'));
    if (!ref.uid) errs.push(invalid(child(field, 'uid'), ref.uid ?? '', 'must not be empty'));
    if (group === '' && version === 'v1' && ref.kind === 'Event') {
      errs.push(invalid(field, ref, '/v1, Kind=Event is disallowed from being an owner'));
    }
    if (ref.controller === true) {
      const cur = `${ref.kind}/${ref.name}`;
      if (firstController) {
        errs.push(invalid(field, refs, `Only one reference can have Controller set to true. Found "true" in references for ${firstController} and ${cur}`));
      } else firstController = cur;
    }
  }
  return errs;
}

export function validateFinalizers(finalizers: string[] | undefined, field: string): FieldError[] {
  const errs: FieldError[] = [];
  let orphan = false;
  let del = false;
  for (const raw of finalizers ?? []) {
    const f = raw ?? ''; // Go decodes a null list item into "" (a 422 below, not a crash)
    errs.push(...eachInvalid(field, f, isQualifiedName(f)));
    if (f === 'orphan') orphan = true;
    if (f === 'foregroundDeletion') del = true;
  }
  if (orphan && del) errs.push(invalid(field, finalizers, 'finalizer orphan and foregroundDeletion cannot be both set'));
  return errs;
}

function validateManagedFields(entries: ObjectMeta['managedFields'], field: string): FieldError[] {
  const errs: FieldError[] = [];
  (entries ?? []).forEach((e, i) => {
    const p = index(field, i);
    if (e.operation !== 'Apply' && e.operation !== 'Update') {
      errs.push(invalid(child(p, 'operation'), e.operation ?? '', 'must be `Apply` or `Update`'));
    }
    if (e.fieldsType && e.fieldsType !== 'FieldsV1') {
      errs.push(invalid(child(p, 'fieldsType'), e.fieldsType, 'must be `FieldsV1`'));
    }
  });
  return errs;
}

function validateCommon(meta: ObjectMeta, namespaced: boolean, field: string): FieldError[] {
  const errs: FieldError[] = [];
  if (namespaced) {
    if (!meta.namespace) errs.push(required(child(field, 'namespace')));
    else errs.push(...eachInvalid(child(field, 'namespace'), meta.namespace, validateNamespaceName(meta.namespace, false)));
  } else if (meta.namespace) {
    errs.push(forbidden(child(field, 'namespace'), 'not allowed on this type'));
  }
  errs.push(...validateNonnegativeField(meta.generation, child(field, 'generation')));
  errs.push(...validateLabels(meta.labels, child(field, 'labels')));
  errs.push(...validateAnnotations(meta.annotations, child(field, 'annotations')));
  errs.push(...validateOwnerReferences(meta.ownerReferences, child(field, 'ownerReferences')));
  errs.push(...validateFinalizers(meta.finalizers, child(field, 'finalizers')));
  errs.push(...validateManagedFields(meta.managedFields, child(field, 'managedFields')));
  return errs;
}

/** ValidateObjectMeta: on create (after name generation). */
export function validateObjectMeta(meta: ObjectMeta | undefined, namespaced: boolean, nameFn: NameFn, field = 'metadata'): FieldError[] {
  const m = meta ?? {};
  const errs: FieldError[] = [];
  if (m.generateName) errs.push(...eachInvalid(child(field, 'generateName'), m.generateName, nameFn(m.generateName, true)));
  if (!m.name) errs.push(required(child(field, 'name'), 'name or generateName is required'));
  else errs.push(...eachInvalid(child(field, 'name'), m.name, nameFn(m.name, false)));
  return errs.concat(validateCommon(m, namespaced, field));
}

/** ValidateObjectMetaUpdate. */
export function validateObjectMetaUpdate(meta: ObjectMeta | undefined, old: ObjectMeta | undefined, field = 'metadata'): FieldError[] {
  const n = meta ?? {};
  const o = old ?? {};
  const errs: FieldError[] = [];
  if (o.deletionTimestamp) {
    const oldSet = new Set(o.finalizers ?? []);
    const extra = [...new Set((n.finalizers ?? []).filter((f) => !oldSet.has(f)))].sort();
    if (extra.length) {
      errs.push(forbidden(child(field, 'finalizers'), `no new finalizers can be added if the object is being deleted, found new finalizers []string{${extra.map((e) => JSON.stringify(e)).join(', ')}}`));
    }
  }
  if (!n.resourceVersion) errs.push(invalid(child(field, 'resourceVersion'), n.resourceVersion ?? '', 'must be specified for an update'));
  if ((n.generation ?? 0) < (o.generation ?? 0)) errs.push(invalid(child(field, 'generation'), n.generation ?? 0, 'must not be decremented'));
  errs.push(...validateImmutableField(n.name ?? '', o.name ?? '', child(field, 'name')));
  errs.push(...validateImmutableField(n.namespace ?? '', o.namespace ?? '', child(field, 'namespace')));
  errs.push(...validateImmutableField(n.uid ?? '', o.uid ?? '', child(field, 'uid')));
  errs.push(...validateImmutableField(n.creationTimestamp, o.creationTimestamp, child(field, 'creationTimestamp')));
  errs.push(...validateImmutableField(n.deletionTimestamp, o.deletionTimestamp, child(field, 'deletionTimestamp')));
  errs.push(...validateImmutableField(n.deletionGracePeriodSeconds, o.deletionGracePeriodSeconds, child(field, 'deletionGracePeriodSeconds')));
  errs.push(...validateLabels(n.labels, child(field, 'labels')));
  errs.push(...validateAnnotations(n.annotations, child(field, 'annotations')));
  errs.push(...validateOwnerReferences(n.ownerReferences, child(field, 'ownerReferences')));
  errs.push(...validateManagedFields(n.managedFields, child(field, 'managedFields')));
  return errs;
}
