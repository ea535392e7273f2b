/**
 * The ServiceAccount admission plugin's mutation of a new pod
 * (plugin/pkg/admission/serviceaccount): serviceAccountName 'default' when unset, image pull
 * secrets from the service account, and — unless automounting is turned off on the pod or the
 * service account — the projected `kube-api-access-xxxxx` volume (token, kube-root-ca.crt,
 * namespace) mounted read-only at /var/run/secrets/kubernetes.io/serviceaccount in every init
 * and regular container that does not already mount that path.
 */
import { randomInt } from 'node:crypto';
import type { KubeObject } from '../object.js';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : undefined);

export const DefaultServiceAccountName = 'default';
export const ServiceAccountVolumeName = 'kube-api-access';
export const DefaultAPITokenMountPath = '/var/run/secrets/kubernetes.io/serviceaccount';
export const MirrorPodAnnotationKey = 'kubernetes.io/config.mirror';
/** The token lifetime admission asks for (a warn-only bound token expiration). */
export const WarnOnlyBoundTokenExpirationSeconds = 3607;

export interface AdmitServiceAccountOptions {
  /** Name for a new token volume; default `kube-api-access-` + 5 random characters, as Kubernetes' name generator. */
  tokenVolumeName?: string;
  /** The pod's service account, when the caller has looked it up (automount and image pull secrets). */
  serviceAccount?: KubeObject;
}

const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
export function generateSuffix(n = 5): string {
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[randomInt(alphabet.length)];
  return s;
}

/** The projected volume source Kubernetes mounts for API access. */
export function tokenVolumeSource(): Obj {
  return {
    defaultMode: 420,
    sources: [
      { serviceAccountToken: { expirationSeconds: WarnOnlyBoundTokenExpirationSeconds, path: 'token' } },
      { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
      { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
    ],
  };
}

/** Mutates the pod. Mirror pods are left alone (the API server rejects service account use on them elsewhere). */
export function admitPodServiceAccount(pod: KubeObject, opts: AdmitServiceAccountOptions = {}): void {
  if (pod.metadata?.annotations && MirrorPodAnnotationKey in pod.metadata.annotations) return;
  const spec = (obj(pod.spec) ?? ((pod as Obj).spec = {})) as Obj;
  if (typeof spec.serviceAccountName !== 'string' || spec.serviceAccountName === '') spec.serviceAccountName = DefaultServiceAccountName;
  // the deprecated field mirrors it on the way out, as v1 conversion does
  spec.serviceAccount = spec.serviceAccountName;
  const sa = opts.serviceAccount as Obj | undefined;
  const saPullSecrets = Array.isArray(sa?.imagePullSecrets) ? (sa!.imagePullSecrets as unknown[]) : [];
  if ((!Array.isArray(spec.imagePullSecrets) || spec.imagePullSecrets.length === 0) && saPullSecrets.length > 0) {
    spec.imagePullSecrets = saPullSecrets.map((s) => ({ name: obj(s)?.name }));
  }
  let automount = true;
  if (typeof spec.automountServiceAccountToken === 'boolean') automount = spec.automountServiceAccountToken;
  else if (typeof sa?.automountServiceAccountToken === 'boolean') automount = sa.automountServiceAccountToken;
  if (!automount) return;

  const volumes = Array.isArray(spec.volumes) ? (spec.volumes as Obj[]) : [];
  let tokenVolumeName = '';
  let hasTokenVolume = false;
  for (const v of volumes) {
    const name = typeof v?.name === 'string' ? v.name : '';
    if (name.startsWith(ServiceAccountVolumeName + '-')) {
      tokenVolumeName = name;
      hasTokenVolume = true;
      break;
    }
  }
  if (!tokenVolumeName) tokenVolumeName = opts.tokenVolumeName ?? `${ServiceAccountVolumeName}-${generateSuffix()}`;
  let needsTokenVolume = false;
  for (const kind of ['initContainers', 'containers']) {
    for (const c of Array.isArray(spec[kind]) ? (spec[kind] as Obj[]) : []) {
      const mounts = Array.isArray(c.volumeMounts) ? (c.volumeMounts as Obj[]) : [];
      if (mounts.some((m) => m?.mountPath === DefaultAPITokenMountPath)) continue;
      c.volumeMounts = [...mounts, { name: tokenVolumeName, readOnly: true, mountPath: DefaultAPITokenMountPath }];
      needsTokenVolume = true;
    }
  }
  if (!hasTokenVolume && needsTokenVolume) {
    spec.volumes = [...volumes, { name: tokenVolumeName, projected: tokenVolumeSource() }];
  }
}
