/**
 * PodSpec validation as pkg/apis/core/validation/validation.go does it: volumes, containers
 * (common, regular, init, ephemeral), ports, env, mounts, resources, probes, lifecycle,
 * security contexts, affinity, tolerations, DNS, and the pod-level fields — in Kubernetes' order
 * and with its messages. Works on the v1 JSON shape after defaulting.
 */
import type { FieldError } from '../errors.js';
import {
  isConfigMapKey, isDNS1123Label, isDNS1123Subdomain, isHTTPHeaderName, isQualifiedName,
  isRelaxedEnvVarName, isValidGroupID, byteLen, isValidIP, isValidLabelValue, isValidPortName, isValidPortNum,
  isValidUserID, inclusiveRangeError,
} from '../names.js';
import { Quantity, tryParseQuantity } from '../quantity.js';
import {
  asArr, asObj, child, duplicate, eachInvalid, forbidden, index, invalid, key, notFound, notSupported, type Obj,
  required, str, validateNonnegativeField,
} from './field.js';
import {
  validateAnnotations, validateLabelName, validateLabels, validateNamespaceName, validateNodeName,
  validateServiceAccountName, nameIsDNSSubdomain,
} from './objectmeta.js';
import { validateLabelSelector } from './selector.js';

export interface PodValidationOptions {
  /** The spec belongs to a Pod (not a template): stricter hostPort/hostNetwork rules. */
  resourceIsPod?: boolean;
}

const MaxInt32 = 2147483647;

function num(v: unknown): number | undefined {
  return typeof v === 'number' ? v : undefined;
}

// ---------------------------------------------------------------- paths

function isAbsPath(p: string): boolean {
  return p.startsWith('/');
}

export function validatePathNoBacksteps(p: string, field: string): FieldError[] {
  return p.split('/').includes('..') ? [invalid(field, p, "must not contain '..'")] : [];
}

export function validateLocalDescendingPath(p: string, field: string): FieldError[] {
  const errs: FieldError[] = [];
  if (isAbsPath(p)) errs.push(invalid(field, p, 'must be a relative path'));
  return errs.concat(validatePathNoBacksteps(p, field));
}

function validateLocalNonReservedPath(p: string, field: string): FieldError[] {
  const errs = validateLocalDescendingPath(p, field);
  if (p.startsWith('..') && !p.startsWith('../')) errs.push(invalid(field, p, "must not start with '..'"));
  return errs;
}

// ---------------------------------------------------------------- volumes

const supportedHostPathTypes = ['', 'BlockDevice', 'CharDevice', 'Directory', 'DirectoryOrCreate', 'File', 'FileOrCreate', 'Socket'];
/** Volume source fields in the order Kubernetes checks them, with the path its "more than 1" error names. */
const volumeSourceKeys: [string, string][] = [
  ['emptyDir', 'emptyDir'], ['hostPath', 'hostPath'], ['gitRepo', 'gitRepo'], ['gcePersistentDisk', 'gcePersistentDisk'],
  ['awsElasticBlockStore', 'awsElasticBlockStore'], ['secret', 'secret'], ['nfs', 'nfs'], ['iscsi', 'iscsi'], ['glusterfs', 'glusterfs'],
  ['flocker', 'flocker'], ['persistentVolumeClaim', 'persistentVolumeClaim'], ['rbd', 'rbd'], ['cinder', 'cinder'], ['cephfs', 'cephFS'],
  ['quobyte', 'quobyte'], ['downwardAPI', 'downwarAPI'], ['fc', 'fc'], ['flexVolume', 'flexVolume'], ['configMap', 'configMap'],
  ['azureFile', 'azureFile'], ['vsphereVolume', 'vsphereVolume'], ['photonPersistentDisk', 'photonPersistentDisk'],
  ['portworxVolume', 'portworxVolume'], ['azureDisk', 'azureDisk'], ['storageos', 'storageos'], ['projected', 'projected'],
  ['scaleIO', 'scaleIO'], ['csi', 'csi'], ['ephemeral', 'ephemeral'], ['image', 'image'],
];

function validateFileMode(mode: unknown, field: string): FieldError[] {
  const m = num(mode);
  if (m === undefined) return [];
  return m > 0o777 || m < 0 ? [invalid(field, m, 'must be a number between 0 and 0777 (octal), both inclusive')] : [];
}

function validateKeyToPath(kp: Obj, p: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!str(kp.key)) errs.push(required(child(p, 'key')));
  if (!str(kp.path)) errs.push(required(child(p, 'path')));
  errs.push(...validateLocalNonReservedPath(str(kp.path), child(p, 'path')));
  errs.push(...validateFileMode(kp.mode, child(p, 'mode')));
  return errs;
}

function validateKeyToPaths(items: unknown, field: string): FieldError[] {
  return asArr(items).flatMap((it, i) => validateKeyToPath(asObj(it) ?? {}, index(field, i)));
}

const validVolumeDownwardAPIFieldPaths = ['metadata.annotations', 'metadata.labels', 'metadata.name', 'metadata.namespace', 'metadata.uid'];
const validEnvDownwardAPIFieldPaths = ['metadata.name', 'metadata.namespace', 'metadata.uid', 'spec.nodeName', 'spec.serviceAccountName', 'status.hostIP', 'status.hostIPs', 'status.podIP', 'status.podIPs'];
const validContainerResourceFieldPaths = ['limits.cpu', 'limits.ephemeral-storage', 'limits.memory', 'requests.cpu', 'requests.ephemeral-storage', 'requests.memory'];
const downwardAPIConvertible = new Set(['metadata.annotations', 'metadata.labels', 'metadata.name', 'metadata.namespace', 'metadata.uid', 'spec.nodeName', 'spec.restartPolicy', 'spec.serviceAccountName', 'spec.schedulerName', 'status.phase', 'status.hostIP', 'status.hostIPs', 'status.podIP', 'status.podIPs']);

function splitSubscript(p: string): [string, string] | null {
  if (!p.endsWith(']')) return null;
  const i = p.indexOf('[');
  if (i < 0) return null;
  const sub = p.slice(i + 1, -1).replace(/^'|'$/g, '');
  return [p.slice(0, i), sub];
}

function validateObjectFieldSelector(fs: Obj, expressions: string[], field: string): FieldError[] {
  const apiVersion = str(fs.apiVersion);
  const fieldPath = str(fs.fieldPath);
  if (!apiVersion) return [required(child(field, 'apiVersion'))];
  if (!fieldPath) return [required(child(field, 'fieldPath'))];
  let internal = fieldPath;
  let convErr: string | undefined;
  if (apiVersion !== 'v1') convErr = `unsupported pod version: ${apiVersion}`;
  else {
    const sp = splitSubscript(fieldPath);
    if (sp) {
      if (sp[0] !== 'metadata.annotations' && sp[0] !== 'metadata.labels') convErr = `field label does not support subscript: ${fieldPath}`;
    } else if (fieldPath === 'spec.host') internal = 'spec.nodeName';
    else if (!downwardAPIConvertible.has(fieldPath)) convErr = `field label not supported: ${fieldPath}`;
  }
  if (convErr) return [invalid(child(field, 'fieldPath'), fieldPath, `error converting fieldPath: ${convErr}`)];
  const sp = splitSubscript(internal);
  if (sp) {
    const [path, sub] = sp;
    if (path === 'metadata.annotations') return eachInvalid(field, sub.toLowerCase(), isQualifiedName(sub.toLowerCase()));
    if (path === 'metadata.labels') return eachInvalid(field, sub, isQualifiedName(sub));
    return [invalid(field, path, 'does not support subscript')];
  }
  if (!expressions.includes(internal)) return [notSupported(child(field, 'fieldPath'), internal, expressions)];
  return [];
}

const memoryDivisors = ['1', '1k', '1M', '1G', '1T', '1P', '1E', '1Ki', '1Mi', '1Gi', '1Ti', '1Pi', '1Ei'];

const hugePageFieldPrefixes = ['limits.hugepages-', 'requests.hugepages-'];

function validateContainerResourceFieldSelector(fs: Obj, field: string, volume: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const resource = str(fs.resource);
  if (volume && !str(fs.containerName)) errs.push(required(child(field, 'containerName')));
  else if (!resource) errs.push(required(child(field, 'resource')));
  else if (!validContainerResourceFieldPaths.includes(resource) && !hugePageFieldPrefixes.some((p) => resource.startsWith(p))) {
    errs.push(notSupported(child(field, 'resource'), resource, validContainerResourceFieldPaths));
  }
  if (fs.divisor !== undefined && fs.divisor !== null) {
    const d = tryParseQuantity(fs.divisor);
    if (d && !d.isZero()) {
      // Kubernetes reports the resource name as the bad value here
      const text = d.toString();
      const dp = child(field, 'divisor');
      const bytesMsg = (what: string) => `only divisor's values 1, 1k, 1M, 1G, 1T, 1P, 1E, 1Ki, 1Mi, 1Gi, 1Ti, 1Pi, 1Ei are supported with the ${what} resource`;
      if (resource === 'limits.cpu' || resource === 'requests.cpu') {
        if (text !== '1m' && text !== '1') errs.push(invalid(dp, resource, "only divisor's values 1m and 1 are supported with the cpu resource"));
      } else if (resource === 'limits.memory' || resource === 'requests.memory') {
        if (!memoryDivisors.includes(text)) errs.push(invalid(dp, resource, bytesMsg('memory')));
      } else if (resource === 'limits.ephemeral-storage' || resource === 'requests.ephemeral-storage') {
        if (!memoryDivisors.includes(text)) errs.push(invalid(dp, resource, bytesMsg('local ephemeral storage')));
      }
      if (hugePageFieldPrefixes.some((p) => resource.startsWith(p)) && !memoryDivisors.includes(text)) errs.push(invalid(dp, resource, bytesMsg('hugepages')));
    }
  }
  return errs;
}

/** One downward API file; Kubernetes reports its errors under the volume (or projection) path, not the item's. */
function validateDownwardAPIFile(f: Obj, p: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!str(f.path)) errs.push(required(child(p, 'path')));
  errs.push(...validateLocalNonReservedPath(str(f.path), child(p, 'path')));
  const fr = asObj(f.fieldRef);
  const rr = asObj(f.resourceFieldRef);
  if (fr) {
    errs.push(...validateObjectFieldSelector(fr, validVolumeDownwardAPIFieldPaths, child(p, 'fieldRef')));
    if (rr) errs.push(invalid(p, 'resource', 'fieldRef and resourceFieldRef can not be specified simultaneously'));
  } else if (rr) {
    errs.push(...validateContainerResourceFieldSelector(rr, child(p, 'resourceFieldRef'), true));
  } else {
    errs.push(required(p, 'one of fieldRef and resourceFieldRef is required'));
  }
  errs.push(...validateFileMode(f.mode, child(p, 'mode')));
  return errs;
}

function validateDownwardAPIFiles(items: unknown, field: string): FieldError[] {
  return asArr(items).flatMap((it) => validateDownwardAPIFile(asObj(it) ?? {}, field));
}

function validateProjectedSources(src: Obj, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const allPaths = new Set<string>();
  const addPath = (p: string, value: unknown) => {
    if (!p) return;
    if (allPaths.has(p)) errs.push(invalid(field, value, 'conflicting duplicate paths'));
    else allPaths.add(p);
  };
  asArr(src.sources).forEach((s, i) => {
    const source = asObj(s) ?? {};
    const srcPath = index(child(field, 'sources'), i);
    let n = 0;
    for (const kind of ['secret', 'configMap']) {
      const ref = asObj(source[kind]);
      if (!ref) continue;
      n++;
      const p = child(srcPath, kind);
      if (!str(ref.name)) errs.push(required(child(p, 'name')));
      asArr(ref.items).forEach((it, j) => {
        const kp = asObj(it) ?? {};
        errs.push(...validateKeyToPath(kp, index(child(p, 'items'), j)));
        addPath(str(kp.path), str(ref.name));
      });
    }
    const da = asObj(source.downwardAPI);
    if (da) {
      n++;
      for (const it of asArr(da.items)) {
        const f = asObj(it) ?? {};
        errs.push(...validateDownwardAPIFile(f, child(srcPath, 'downwardAPI')));
        addPath(str(f.path), str(f.path));
      }
    }
    const sat = asObj(source.serviceAccountToken);
    if (sat) {
      n++;
      const p = child(srcPath, 'serviceAccountToken');
      const exp = num(sat.expirationSeconds) ?? 0;
      if (exp < 10 * 60) errs.push(invalid(child(p, 'expirationSeconds'), exp, 'may not specify a duration less than 10 minutes'));
      if (exp > 2 ** 32) errs.push(invalid(child(p, 'expirationSeconds'), exp, 'may not specify a duration larger than 2^32 seconds'));
      if (!str(sat.path)) errs.push(required(child(field, 'path')));
      else errs.push(...validateLocalNonReservedPath(str(sat.path), child(field, 'path')));
    }
    const ctb = asObj(source.clusterTrustBundle);
    if (ctb) {
      n++;
      const p = child(srcPath, 'clusterTrustBundle');
      const usingName = ctb.name !== undefined && ctb.name !== null;
      const usingSigner = ctb.signerName !== undefined && ctb.signerName !== null;
      if (usingName && usingSigner) errs.push(invalid(p, ctb, 'only one of name and signerName may be used'));
      else if (usingName) {
        if (!str(ctb.name)) errs.push(required(child(p, 'name'), 'must be a valid object name'));
        if (ctb.labelSelector !== undefined && ctb.labelSelector !== null) errs.push(invalid(child(p, 'labelSelector'), ctb.labelSelector, 'labelSelector must be unset if name is specified'));
      } else if (usingSigner) {
        if (!str(ctb.signerName)) errs.push(required(child(p, 'signerName'), 'must be a valid signer name'));
        errs.push(...validateLabelSelector(ctb.labelSelector, child(p, 'labelSelector')));
      } else errs.push(required(p, 'either name or signerName must be specified'));
      if (!str(ctb.path)) errs.push(required(child(p, 'path')));
      errs.push(...validateLocalNonReservedPath(str(ctb.path), child(p, 'path')));
      if (allPaths.has(str(ctb.path))) errs.push(invalid(field, str(ctb.path), 'conflicting duplicate paths'));
      else allPaths.add(str(ctb.path));
    }
    if (asObj(source.podCertificate)) n++;
    if (n > 1) errs.push(forbidden(srcPath, 'may not specify more than 1 volume type per source'));
  });
  return errs;
}

function validateVolumeSource(vol: Obj, field: string, volName: string, podName: string | undefined): FieldError[] {
  const errs: FieldError[] = [];
  let numVolumes = 0;
  for (const [k, forbiddenName] of volumeSourceKeys) {
    const v = vol[k];
    if (v === undefined || v === null) continue;
    const p = child(field, k);
    if (numVolumes > 0) {
      errs.push(forbidden(child(field, forbiddenName), 'may not specify more than 1 volume type'));
      continue;
    }
    numVolumes++;
    const src = asObj(v) ?? {};
    switch (k) {
      case 'hostPath': {
        const hp = str(src.path);
        if (!hp) { errs.push(required(child(p, 'path'))); break; }
        errs.push(...validatePathNoBacksteps(hp, child(p, 'path')));
        const t = src.type;
        if (t !== undefined && t !== null && !supportedHostPathTypes.includes(str(t))) errs.push(notSupported(child(p, 'type'), t, supportedHostPathTypes));
        break;
      }
      case 'emptyDir': {
        if (src.sizeLimit !== undefined && src.sizeLimit !== null) {
          const q = tryParseQuantity(src.sizeLimit);
          if (q && q.sign() < 0) errs.push(forbidden(child(p, 'sizeLimit'), 'SizeLimit field must be a valid resource quantity'));
        }
        break;
      }
      case 'secret': {
        if (!str(src.secretName)) errs.push(required(child(p, 'secretName')));
        errs.push(...validateFileMode(src.defaultMode, child(p, 'defaultMode')));
        errs.push(...validateKeyToPaths(src.items, child(p, 'items')));
        break;
      }
      case 'configMap': {
        if (!str(src.name)) errs.push(required(child(p, 'name')));
        errs.push(...validateFileMode(src.defaultMode, child(p, 'defaultMode')));
        errs.push(...validateKeyToPaths(src.items, child(p, 'items')));
        break;
      }
      case 'persistentVolumeClaim': {
        if (!str(src.claimName)) errs.push(required(child(p, 'claimName')));
        break;
      }
      case 'nfs': {
        if (!str(src.server)) errs.push(required(child(p, 'server')));
        if (!str(src.path)) errs.push(required(child(p, 'path')));
        else if (!isAbsPath(str(src.path))) errs.push(invalid(child(p, 'path'), src.path, 'must be an absolute path'));
        break;
      }
      case 'downwardAPI': {
        errs.push(...validateFileMode(src.defaultMode, child(p, 'defaultMode')));
        errs.push(...validateDownwardAPIFiles(src.items, p));
        break;
      }
      case 'projected': {
        errs.push(...validateFileMode(src.defaultMode, child(p, 'defaultMode')));
        errs.push(...validateProjectedSources(src, p));
        break;
      }
      case 'gitRepo': {
        if (!str(src.repository)) errs.push(required(child(p, 'repository')));
        errs.push(...validateLocalDescendingPath(str(src.directory), child(p, 'directory')));
        break;
      }
      case 'csi': {
        const driver = str(src.driver);
        if (!driver) errs.push(required(child(p, 'driver')));
        if (byteLen(driver) > 63) errs.push({ type: 'FieldValueTooLong', field: child(p, 'driver'), detail: 'may not be more than 63 bytes' });
        errs.push(...eachInvalid(child(p, 'driver'), driver, isDNS1123Subdomain(driver.toLowerCase())));
        const nps = asObj(src.nodePublishSecretRef);
        if (nps) {
          if (!str(nps.name)) errs.push(required(child(p, 'nodePublishSecretRef', 'name')));
          else errs.push(...eachInvalid(child(p, 'name'), nps.name, isDNS1123Subdomain(str(nps.name))));
        }
        break;
      }
      case 'ephemeral': {
        const vct = asObj(src.volumeClaimTemplate);
        if (!vct) errs.push(required(child(p, 'volumeClaimTemplate')));
        else {
          const vp = child(p, 'volumeClaimTemplate');
          const meta = asObj(vct.metadata) ?? {};
          errs.push(...validateAnnotations(asObj(meta.annotations) as Record<string, string> | undefined, child(vp, 'metadata', 'annotations')));
          errs.push(...validateLabels(asObj(meta.labels) as Record<string, string> | undefined, child(vp, 'metadata', 'labels')));
          for (const f of ['name', 'generateName', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'ownerReferences', 'finalizers', 'managedFields']) {
            const v = meta[f];
            if (v !== undefined && v !== null && v !== '' && !(Array.isArray(v) && v.length === 0)) errs.push(forbidden(child(vp, 'metadata', f), 'cannot be set'));
          }
          errs.push(...validatePVCSpec(asObj(vct.spec) ?? {}, child(vp, 'spec')));
        }
        if (podName && volName) {
          const pvcName = `${podName}-${volName}`;
          for (const m of isDNS1123Subdomain(pvcName)) errs.push(invalid(child(field, 'name'), volName, `PVC name ${JSON.stringify(pvcName)}: ${m}`));
        }
        break;
      }
      case 'image': {
        if (!str(src.reference)) errs.push(required(child(p, 'reference')));
        const pp = src.pullPolicy;
        if (pp !== undefined && pp !== '' && !['Always', 'IfNotPresent', 'Never'].includes(str(pp))) errs.push(notSupported(child(p, 'pullPolicy'), pp, ['Always', 'IfNotPresent', 'Never']));
        break;
      }
      default:
        break;
    }
  }
  if (numVolumes === 0) errs.push(required(field, 'must specify a volume type'));
  return errs;
}

/** ValidateVolumes: returns the valid volumes by name and the errors. */
export function validateVolumes(volumes: unknown, field: string, podName?: string): { vols: Map<string, Obj>; errs: FieldError[] } {
  const vols = new Map<string, Obj>();
  const errs: FieldError[] = [];
  asArr(volumes).forEach((v, i) => {
    const vol = asObj(v) ?? {};
    const p = index(field, i);
    const namePath = child(p, 'name');
    const name = str(vol.name);
    const el = validateVolumeSource(vol, p, name, podName);
    if (!name) el.push(required(namePath));
    else el.push(...eachInvalid(namePath, name, isDNS1123Label(name)));
    if (vols.has(name)) el.push(duplicate(namePath, name));
    if (el.length === 0) vols.set(name, vol);
    else errs.push(...el);
  });
  return { vols, errs };
}

// ---------------------------------------------------------------- containers

const supportedPortProtocols = ['SCTP', 'TCP', 'UDP'];

function validateContainerPorts(ports: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  asArr(ports).forEach((pp, i) => {
    const port = asObj(pp) ?? {};
    const p = index(field, i);
    const name = str(port.name);
    if (name) {
      const msgs = isValidPortName(name);
      if (msgs.length) errs.push(...eachInvalid(child(p, 'name'), name, msgs));
      else if (names.has(name)) errs.push(duplicate(child(p, 'name'), name));
      else names.add(name);
    }
    const cp = num(port.containerPort) ?? 0;
    if (cp === 0) errs.push(required(child(p, 'containerPort')));
    else errs.push(...eachInvalid(child(p, 'containerPort'), cp, isValidPortNum(cp)));
    const hp = num(port.hostPort) ?? 0;
    if (hp !== 0) errs.push(...eachInvalid(child(p, 'hostPort'), hp, isValidPortNum(hp)));
    const proto = str(port.protocol);
    if (!proto) errs.push(required(child(p, 'protocol')));
    else if (!supportedPortProtocols.includes(proto)) errs.push(notSupported(child(p, 'protocol'), proto, supportedPortProtocols));
  });
  return errs;
}

function validateKeySelector(s: Obj, field: string): FieldError[] {
  const errs = eachInvalid(child(field, 'name'), str(s.name), nameIsDNSSubdomain(str(s.name), false));
  const k = str(s.key);
  if (!k) errs.push(required(child(field, 'key')));
  else errs.push(...eachInvalid(child(field, 'key'), k, isConfigMapKey(k)));
  return errs;
}

function validateEnvVarValueFrom(ev: Obj, field: string): FieldError[] {
  const vf = asObj(ev.valueFrom);
  if (!vf) return [];
  const errs: FieldError[] = [];
  let n = 0;
  const fr = asObj(vf.fieldRef);
  if (fr) { n++; errs.push(...validateObjectFieldSelector(fr, validEnvDownwardAPIFieldPaths, child(field, 'fieldRef'))); }
  const rr = asObj(vf.resourceFieldRef);
  if (rr) { n++; errs.push(...validateContainerResourceFieldSelector(rr, child(field, 'resourceFieldRef'), false)); }
  const cm = asObj(vf.configMapKeyRef);
  if (cm) { n++; errs.push(...validateKeySelector(cm, child(field, 'configMapKeyRef'))); }
  const sk = asObj(vf.secretKeyRef);
  if (sk) { n++; errs.push(...validateKeySelector(sk, child(field, 'secretKeyRef'))); }
  if (n === 0) errs.push(invalid(field, '', 'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`'));
  else if (str(ev.value)) errs.push(invalid(field, '', 'may not be specified when `value` is not empty'));
  else if (n > 1) errs.push(invalid(field, '', 'may not have more than one field specified at a time'));
  return errs;
}

export function validateEnv(vars: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  asArr(vars).forEach((v, i) => {
    const ev = asObj(v) ?? {};
    const p = index(field, i);
    const name = str(ev.name);
    if (!name) errs.push(required(child(p, 'name')));
    errs.push(...eachInvalid(child(p, 'name'), name, isRelaxedEnvVarName(name)));
    errs.push(...validateEnvVarValueFrom(ev, child(p, 'valueFrom')));
  });
  return errs;
}

function validateEnvFrom(vars: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  asArr(vars).forEach((v, i) => {
    const ev = asObj(v) ?? {};
    const p = index(field, i);
    const prefix = str(ev.prefix);
    if (prefix) errs.push(...eachInvalid(child(p, 'prefix'), prefix, isRelaxedEnvVarName(prefix)));
    let n = 0;
    for (const k of ['configMapRef', 'secretRef']) {
      const ref = asObj(ev[k]);
      if (!ref) continue;
      n++;
      const name = str(ref.name);
      if (!name) errs.push(required(child(p, k, 'name')));
      else errs.push(...eachInvalid(child(p, k, 'name'), name, nameIsDNSSubdomain(name, true)));
    }
    if (n === 0) errs.push(invalid(field, '', 'must specify one of: `configMapRef` or `secretRef`'));
    else if (n > 1) errs.push(invalid(field, '', 'may not have more than one field specified at a time'));
  });
  return errs;
}

function validateVolumeMounts(mounts: unknown, devices: Map<string, string>, vols: Map<string, Obj>, ctr: Obj, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const mountpoints = new Set<string>();
  const devicePaths = new Set(devices.values());
  asArr(mounts).forEach((m, i) => {
    const mnt = asObj(m) ?? {};
    const p = index(field, i);
    const name = str(mnt.name);
    const mountPath = str(mnt.mountPath);
    if (!name) errs.push(required(child(p, 'name')));
    if (!vols.has(name)) errs.push(notFound(child(p, 'name'), name));
    if (!mountPath) errs.push(required(child(p, 'mountPath')));
    if (mountpoints.has(mountPath)) errs.push(invalid(child(p, 'mountPath'), mountPath, 'must be unique'));
    mountpoints.add(mountPath);
    if (devices.has(name)) errs.push(invalid(child(p, 'name'), name, 'must not already exist in volumeDevices'));
    if (devicePaths.has(mountPath)) errs.push(invalid(child(p, 'mountPath'), mountPath, 'must not already exist as a path in volumeDevices'));
    if (asObj(vols.get(name)?.image)) {
      if (str(mnt.subPath)) errs.push(invalid(child(p, 'subPath'), mnt.subPath, 'not allowed in image volume sources'));
      if (str(mnt.subPathExpr)) errs.push(invalid(child(p, 'subPathExpr'), mnt.subPathExpr, 'not allowed in image volume sources'));
    }
    const subPath = str(mnt.subPath);
    if (subPath) errs.push(...validateLocalDescendingPath(subPath, child(field, 'subPath')));
    const subPathExpr = str(mnt.subPathExpr);
    if (subPathExpr) {
      if (subPath) errs.push(invalid(child(p, 'subPathExpr'), subPathExpr, 'subPathExpr and subPath are mutually exclusive'));
      errs.push(...validateLocalDescendingPath(subPathExpr, child(field, 'subPathExpr')));
    }
    const mp = mnt.mountPropagation;
    if (mp !== undefined && mp !== null) {
      const supported = ['Bidirectional', 'HostToContainer', 'None'];
      if (!supported.includes(str(mp))) errs.push(notSupported(child(field, 'mountPropagation'), mp, supported));
      else if (mp === 'Bidirectional' && asObj(ctr.securityContext)?.privileged !== true) {
        errs.push(forbidden(child(field, 'mountPropagation'), 'Bidirectional mount propagation is available only to privileged containers'));
      }
    }
    const rro = mnt.recursiveReadOnly;
    if (rro !== undefined && rro !== null) {
      const rp = child(field, 'recursiveReadOnly');
      const supported = ['Disabled', 'Enabled', 'IfPossible'];
      if (!supported.includes(str(rro))) errs.push(notSupported(rp, rro, supported));
      else if (rro !== 'Disabled') {
        if (!mnt.readOnly) errs.push(forbidden(rp, 'may only be specified when readOnly is true'));
        if (mp !== undefined && mp !== null && mp !== 'None') errs.push(forbidden(rp, 'may only be specified when mountPropagation is None or not specified'));
      }
    }
  });
  return errs;
}

function validateVolumeDevices(devs: unknown, mounts: Map<string, string>, vols: Map<string, Obj>, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const paths = new Set<string>();
  const names = new Set<string>();
  const mountPaths = new Set(mounts.values());
  asArr(devs).forEach((d, i) => {
    const dev = asObj(d) ?? {};
    const p = index(field, i);
    const name = str(dev.name);
    const devicePath = str(dev.devicePath);
    if (!name) errs.push(required(child(p, 'name')));
    if (names.has(name)) errs.push(invalid(child(p, 'name'), name, 'must be unique'));
    const vol = vols.get(name);
    if (vol && !asObj(vol.persistentVolumeClaim) && !asObj(vol.ephemeral)) errs.push(invalid(child(p, 'name'), name, 'can only use volume source type of PersistentVolumeClaim or Ephemeral for block mode'));
    if (!vol) errs.push(notFound(child(p, 'name'), name));
    if (!devicePath) errs.push(required(child(p, 'devicePath')));
    if (paths.has(devicePath)) errs.push(invalid(child(p, 'devicePath'), devicePath, 'must be unique'));
    if (devicePath && devicePath.split('/').includes('..')) errs.push(invalid(child(p, 'devicePath'), devicePath, "can not contain backsteps ('..')"));
    else paths.add(devicePath);
    if (mounts.has(name)) errs.push(invalid(child(p, 'name'), name, 'must not already exist in volumeMounts'));
    if (mountPaths.has(devicePath)) errs.push(invalid(child(p, 'devicePath'), devicePath, 'must not already exist as a path in volumeMounts'));
    if (name) names.add(name);
  });
  return errs;
}

function validatePullPolicy(policy: unknown, field: string): FieldError[] {
  const p = str(policy);
  if (p === 'Always' || p === 'IfNotPresent' || p === 'Never') return [];
  if (!p) return [required(field)];
  return [notSupported(field, policy, ['Always', 'IfNotPresent', 'Never'])];
}

// ---------------------------------------------------------------- resources

const standardContainerResources = new Set(['cpu', 'memory', 'ephemeral-storage']);
const standardResources = new Set([
  'cpu', 'memory', 'ephemeral-storage', 'requests.cpu', 'requests.memory', 'requests.ephemeral-storage', 'limits.cpu', 'limits.memory',
  'limits.ephemeral-storage', 'pods', 'services', 'replicationcontrollers', 'resourcequotas', 'secrets', 'persistentvolumeclaims',
  'storage', 'requests.storage', 'services.nodeports', 'services.loadbalancers', 'configmaps',
]);

function isHugePageResourceName(name: string): boolean {
  return name.startsWith('hugepages-');
}
/** IsHugePageResourceValueDivisible: the value is a whole number of pages of the size in the name. */
function hugePageDivisible(name: string, q: Quantity): boolean {
  const size = tryParseQuantity(name.slice('hugepages-'.length));
  if (!size || size.sign() <= 0 || size.milliValue() % 1000n !== 0n) return false;
  return q.value() % size.value() === 0n;
}
function isNativeResource(name: string): boolean {
  return !name.includes('/') || name.includes('kubernetes.io/');
}
function isExtendedResourceName(name: string): boolean {
  if (isNativeResource(name) || name.startsWith('requests.')) return false;
  return isQualifiedName('requests.' + name).length === 0;
}
/** Integer-only resources: extended resources (and object counts). */
function isIntegerResourceName(name: string): boolean {
  return isExtendedResourceName(name) || ['pods', 'services', 'replicationcontrollers', 'resourcequotas', 'secrets', 'configmaps', 'persistentvolumeclaims', 'services.nodeports', 'services.loadbalancers'].includes(name) || name.startsWith('count/');
}
/** Overcommit is allowed for native resources and hugepages are not overcommitable. */
function isOvercommitAllowed(name: string): boolean {
  return isNativeResource(name) && !isHugePageResourceName(name);
}

function validateResourceName(name: string, field: string): FieldError[] {
  const errs = eachInvalid(field, name, isQualifiedName(name));
  if (errs.length) return errs;
  if (!name.includes('/') && !standardResources.has(name) && !isHugePageResourceName(name)) {
    return [invalid(field, name, 'must be a standard resource type or fully qualified')];
  }
  return [];
}

function validateContainerResourceName(name: string, field: string): FieldError[] {
  const errs = validateResourceName(name, field);
  if (!name.includes('/')) {
    if (!standardContainerResources.has(name) && !isHugePageResourceName(name)) return errs.concat(invalid(field, name, 'must be a standard resource for containers'));
  } else if (!isNativeResource(name)) {
    if (!isExtendedResourceName(name)) return errs.concat(invalid(field, name, "doesn't follow extended resource name standard"));
  }
  return errs;
}

/** ValidateResourceQuantityValue: non-negative, integer for integer resources. */
export function validateResourceQuantityValue(name: string, q: Quantity, field: string): FieldError[] {
  const errs: FieldError[] = [];
  if (q.sign() < 0) errs.push(invalid(field, q.toString(), 'must be greater than or equal to 0'));
  if (isIntegerResourceName(name) && q.milliValue() % 1000n !== 0n) errs.push(invalid(field, q.toString(), 'must be an integer'));
  return errs;
}

function quantityOf(v: unknown, field: string, errs: FieldError[]): Quantity | undefined {
  const q = tryParseQuantity(v);
  if (!q) errs.push(invalid(field, v, "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"));
  return q;
}

export function validateResourceRequirements(res: unknown, field: string, container = true): FieldError[] {
  const r = asObj(res) ?? {};
  const errs: FieldError[] = [];
  const limPath = child(field, 'limits');
  const reqPath = child(field, 'requests');
  const limits = asObj(r.limits) ?? {};
  const requests = asObj(r.requests) ?? {};
  let limCPUOrMem = false;
  let reqCPUOrMem = false;
  let limHuge = false;
  let reqHuge = false;
  const limQ = new Map<string, Quantity>();
  for (const [name, v] of Object.entries(limits)) {
    const fp = key(limPath, name);
    errs.push(...(container ? validateContainerResourceName(name, fp) : validateResourceName(name, fp)));
    const q = quantityOf(v, fp, errs);
    if (!q) continue;
    limQ.set(name, q);
    errs.push(...validateResourceQuantityValue(name, q, fp));
    if (isHugePageResourceName(name)) {
      limHuge = true;
      if (!hugePageDivisible(name, q)) errs.push(invalid(fp, q.toString(), `${q.toString()} is not positive integer multiple of ${name}`));
    }
    if (name === 'cpu' || name === 'memory') limCPUOrMem = true;
  }
  for (const [name, v] of Object.entries(requests)) {
    const fp = key(reqPath, name);
    errs.push(...(container ? validateContainerResourceName(name, fp) : validateResourceName(name, fp)));
    const q = quantityOf(v, fp, errs);
    if (!q) continue;
    errs.push(...validateResourceQuantityValue(name, q, fp));
    const lim = limQ.get(name);
    if (lim) {
      if (q.cmp(lim) !== 0 && !isOvercommitAllowed(name)) {
        errs.push(invalid(reqPath, q.toString(), `must be equal to ${name} limit of ${lim.toString()}`));
      } else if (q.cmp(lim) > 0) {
        errs.push(invalid(reqPath, q.toString(), `must be less than or equal to ${name} limit of ${lim.toString()}`));
      }
    } else if (!isOvercommitAllowed(name)) {
      errs.push(required(limPath, 'Limit must be set for non overcommitable resources'));
    }
    if (isHugePageResourceName(name)) {
      reqHuge = true;
      if (!hugePageDivisible(name, q)) errs.push(invalid(fp, q.toString(), `${q.toString()} is not positive integer multiple of ${name}`));
    }
    if (name === 'cpu' || name === 'memory') reqCPUOrMem = true;
  }
  if (!limCPUOrMem && !reqCPUOrMem && (reqHuge || limHuge)) errs.push(forbidden(field, 'HugePages require cpu or memory'));
  return errs;
}

function validateResizePolicy(policies: unknown, field: string, podRestartPolicy: string): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  asArr(policies).forEach((pp, i) => {
    const p = asObj(pp) ?? {};
    const rn = str(p.resourceName);
    if (seen.has(rn)) errs.push(duplicate(index(field, i), rn));
    seen.add(rn);
    if (rn !== 'cpu' && rn !== 'memory') {
      if (!rn) errs.push(required(field));
      else errs.push(notSupported(field, rn, ['cpu', 'memory']));
    }
    const rp = str(p.restartPolicy);
    if (rp !== 'NotRequired' && rp !== 'RestartContainer') {
      if (!rp) errs.push(required(field));
      else errs.push(notSupported(field, rp, ['NotRequired', 'RestartContainer']));
    }
    if (podRestartPolicy === 'Never' && rp !== 'NotRequired') {
      errs.push(invalid(field, rp, "must be 'NotRequired' when `restartPolicy` is 'Never'"));
    }
  });
  return errs;
}

// ---------------------------------------------------------------- persistent volume claims

export const accessModes = ['ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod'];

export function positiveQuantity(v: unknown, field: string): FieldError[] {
  const q = tryParseQuantity(v);
  if (!q) return [invalid(field, v, "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")];
  return q.sign() <= 0 ? [invalid(field, q.toString(), 'must be greater than zero')] : [];
}

export function validatePVCSpec(s: Obj, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const modes = asArr(s.accessModes).map(str);
  if (modes.length === 0) errs.push(required(child(field, 'accessModes'), 'at least 1 access mode is required'));
  if (asObj(s.selector)) errs.push(...validateLabelSelector(s.selector, child(field, 'selector')));
  let rwop = false;
  let other = false;
  for (const m of modes) {
    if (!accessModes.includes(m)) errs.push(notSupported(child(field, 'accessModes'), m, accessModes));
    if (m === 'ReadWriteOncePod') rwop = true; else other = true;
  }
  if (rwop && other) errs.push(forbidden(child(field, 'accessModes'), 'may not use ReadWriteOncePod with other access modes'));
  const storage = asObj(asObj(s.resources)?.requests)?.storage;
  const sp = key(child(field, 'resources'), 'storage');
  if (storage === undefined || storage === null) errs.push(required(sp));
  else {
    const e = positiveQuantity(storage, sp);
    if (e.length) errs.push(...e);
    else errs.push(...validateResourceQuantityValue('storage', tryParseQuantity(storage)!, sp));
  }
  if (typeof s.storageClassName === 'string' && s.storageClassName) {
    errs.push(...eachInvalid(child(field, 'storageClassName'), s.storageClassName, isDNS1123Subdomain(s.storageClassName)));
  }
  if (s.volumeMode !== undefined && s.volumeMode !== null && s.volumeMode !== 'Block' && s.volumeMode !== 'Filesystem') {
    errs.push(notSupported(child(field, 'volumeMode'), s.volumeMode, ['Block', 'Filesystem']));
  }
  const ds = asObj(s.dataSource);
  const dsr = asObj(s.dataSourceRef);
  const checkRef = (ref: Obj, p: string) => {
    if (!str(ref.name)) errs.push(required(child(p, 'name')));
    if (!str(ref.kind)) errs.push(required(child(p, 'kind')));
    const group = str(ref.apiGroup);
    if (!group && ref.kind !== 'PersistentVolumeClaim') errs.push(invalid(p, str(ref.kind), "must be 'PersistentVolumeClaim' when referencing the default apiGroup"));
    if (group) errs.push(...eachInvalid(child(p, 'apiGroup'), group, isDNS1123Subdomain(group)));
  };
  if (ds) checkRef(ds, child(field, 'dataSource'));
  if (dsr) {
    checkRef(dsr, child(field, 'dataSourceRef'));
    if (str(dsr.namespace)) errs.push(...eachInvalid(child(field, 'dataSourceRef', 'namespace'), dsr.namespace, isDNS1123Label(str(dsr.namespace))));
  }
  if (dsr && str(dsr.namespace)) {
    if (ds) errs.push(invalid(field, child(field, 'dataSource'), 'may not be specified when dataSourceRef.namespace is specified'));
  } else if (ds && dsr && !(str(ds.apiGroup) === str(dsr.apiGroup) && ds.kind === dsr.kind && ds.name === dsr.name)) {
    errs.push(invalid(field, child(field, 'dataSource'), 'must match dataSourceRef'));
  }
  if (typeof s.volumeAttributesClassName === 'string' && s.volumeAttributesClassName) {
    errs.push(...eachInvalid(child(field, 'volumeAttributesClassName'), s.volumeAttributesClassName, isDNS1123Subdomain(s.volumeAttributesClassName)));
  }
  return errs;
}

// ---------------------------------------------------------------- probes, lifecycle

export function validatePortNumOrName(port: unknown, field: string): FieldError[] {
  if (typeof port === 'number') return eachInvalid(field, port, isValidPortNum(port));
  if (typeof port === 'string') {
    return eachInvalid(field, port, isValidPortName(port));
  }
  return [{ type: 'InternalError', field, detail: `unknown type: ${typeof port}` }];
}

function validateHandler(h: Obj, field: string, kinds: string[], gracePeriod?: number): FieldError[] {
  const errs: FieldError[] = [];
  let n = 0;
  for (const kind of kinds) {
    const a = asObj(h[kind]);
    if (!a) continue;
    const p = child(field, kind);
    if (n > 0) {
      errs.push(forbidden(p, 'may not specify more than 1 handler type'));
      continue;
    }
    n++;
    switch (kind) {
      case 'exec':
        if (asArr(a.command).length === 0) errs.push(required(child(p, 'command')));
        break;
      case 'httpGet': {
        if (!str(a.path)) errs.push(required(child(p, 'path')));
        errs.push(...validatePortNumOrName(a.port, child(p, 'port')));
        const scheme = str(a.scheme);
        if (scheme !== 'HTTP' && scheme !== 'HTTPS') errs.push(notSupported(child(p, 'scheme'), scheme, ['HTTP', 'HTTPS']));
        for (const hh of asArr(a.httpHeaders)) {
          const name = str(asObj(hh)?.name);
          errs.push(...eachInvalid(child(p, 'httpHeaders'), name, isHTTPHeaderName(name)));
        }
        break;
      }
      case 'tcpSocket':
        errs.push(...validatePortNumOrName(a.port, child(p, 'port')));
        break;
      case 'grpc': {
        const port = num(a.port) ?? 0;
        errs.push(...eachInvalid(child(p, 'port'), port, isValidPortNum(port)));
        break;
      }
      case 'sleep': {
        const secs = num(a.seconds) ?? 0;
        if (gracePeriod !== undefined && (secs < 0 || secs > gracePeriod)) {
          errs.push(invalid(p, secs, `must be non-negative and less than terminationGracePeriodSeconds (${gracePeriod})`));
        }
        break;
      }
    }
  }
  if (n === 0) errs.push(required(field, 'must specify a handler type'));
  return errs;
}

function validateLifecycle(lc: Obj, field: string, gracePeriod?: number): FieldError[] {
  const errs: FieldError[] = [];
  for (const hook of ['postStart', 'preStop']) {
    const h = asObj(lc[hook]);
    if (h) errs.push(...validateHandler(h, child(field, hook), ['exec', 'httpGet', 'tcpSocket', 'sleep'], gracePeriod));
  }
  return errs;
}

function validateProbe(probe: Obj, field: string): FieldError[] {
  const errs = validateHandler(probe, field, ['exec', 'httpGet', 'tcpSocket', 'grpc']);
  for (const f of ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold']) {
    errs.push(...validateNonnegativeField(num(probe[f]), child(field, f)));
  }
  const tgp = num(probe.terminationGracePeriodSeconds);
  if (tgp !== undefined && tgp <= 0) errs.push(invalid(child(field, 'terminationGracePeriodSeconds'), tgp, 'must be greater than 0'));
  return errs;
}

function validateLivenessOrStartup(probe: unknown, field: string): FieldError[] {
  const p = asObj(probe);
  if (!p) return [];
  const errs = validateProbe(p, field);
  if (num(p.successThreshold) !== 1) errs.push(invalid(child(field, 'successThreshold'), num(p.successThreshold) ?? 0, 'must be 1'));
  return errs;
}
function validateReadinessProbe(probe: unknown, field: string): FieldError[] {
  const p = asObj(probe);
  if (!p) return [];
  const errs = validateProbe(p, field);
  const tgp = num(p.terminationGracePeriodSeconds);
  if (tgp !== undefined) errs.push(invalid(child(field, 'terminationGracePeriodSeconds'), tgp, 'must not be set for readinessProbes'));
  return errs;
}

// ---------------------------------------------------------------- security context

const seccompTypes = ['Localhost', 'RuntimeDefault', 'Unconfined'];

function validateSeccompProfile(sp: unknown, field: string): FieldError[] {
  const s = asObj(sp);
  if (!s) return [];
  const errs: FieldError[] = [];
  const t = str(s.type);
  if (!t) errs.push(required(child(field, 'type'), 'type is required when seccompProfile is set'));
  else if (!seccompTypes.includes(t)) errs.push(notSupported(child(field, 'type'), t, seccompTypes));
  if (t === 'Localhost') {
    if (s.localhostProfile === undefined || s.localhostProfile === null) errs.push(required(child(field, 'localhostProfile'), 'must be set when seccomp type is Localhost'));
    else errs.push(...validateLocalDescendingPath(str(s.localhostProfile), child(field, 'localhostProfile')));
  } else if (s.localhostProfile !== undefined && s.localhostProfile !== null) {
    errs.push(invalid(child(field, 'localhostProfile'), s, 'can only be set when seccomp type is Localhost'));
  }
  return errs;
}

function validateAppArmorProfile(ap: unknown, field: string): FieldError[] {
  const a = asObj(ap);
  if (!a) return [];
  const errs: FieldError[] = [];
  const lp = a.localhostProfile;
  switch (str(a.type)) {
    case 'Localhost':
      if (lp === undefined || lp === null) errs.push(required(child(field, 'localhostProfile'), 'must be set when AppArmor type is Localhost'));
      else {
        const v = str(lp);
        if (v.trim() !== v) errs.push(invalid(child(field, 'localhostProfile'), v, 'must not be padded with whitespace'));
        else if (v === '') errs.push(required(child(field, 'localhostProfile'), 'must be set when AppArmor type is Localhost'));
        if (byteLen(v) > 4095) errs.push({ type: 'FieldValueTooLong', field: child(field, 'localhostProfile'), detail: 'may not be more than 4095 bytes' });
      }
      break;
    case 'RuntimeDefault':
    case 'Unconfined':
      if (lp !== undefined && lp !== null) errs.push(invalid(child(field, 'localhostProfile'), lp, 'can only be set when AppArmor type is Localhost'));
      break;
    case '':
      errs.push(required(child(field, 'type'), 'type is required when appArmorProfile is set'));
      break;
    default:
      errs.push(notSupported(child(field, 'type'), a.type, ['Localhost', 'RuntimeDefault', 'Unconfined']));
  }
  return errs;
}

export function validateSecurityContext(scv: unknown, field: string): FieldError[] {
  const sc = asObj(scv);
  if (!sc) return [];
  const errs: FieldError[] = [];
  const uid = num(sc.runAsUser);
  if (uid !== undefined) errs.push(...eachInvalid(child(field, 'runAsUser'), uid, isValidUserID(uid)));
  const gid = num(sc.runAsGroup);
  if (gid !== undefined) errs.push(...eachInvalid(child(field, 'runAsGroup'), gid, isValidGroupID(gid)));
  if (sc.procMount !== undefined && sc.procMount !== null) {
    const pm = str(sc.procMount);
    if (pm !== 'Default' && pm !== 'Unmasked') errs.push(notSupported(child(field, 'procMount'), sc.procMount, ['Default', 'Unmasked']));
  }
  errs.push(...validateSeccompProfile(sc.seccompProfile, child(field, 'seccompProfile')));
  if (sc.allowPrivilegeEscalation === false) {
    if (sc.privileged === true) errs.push(invalid(field, sc, 'cannot set `allowPrivilegeEscalation` to false and `privileged` to true'));
    for (const cap of asArr(asObj(sc.capabilities)?.add)) {
      if (cap === 'CAP_SYS_ADMIN') errs.push(invalid(field, sc, 'cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN'));
    }
  }
  errs.push(...validateAppArmorProfile(sc.appArmorProfile, child(field, 'appArmorProfile')));
  return errs;
}

const sysctlSegmentFmt = '[a-z0-9]([-_a-z0-9]*[a-z0-9])?';
const sysctlContainSlashFmt = `(${sysctlSegmentFmt}[\\./])*${sysctlSegmentFmt}`;
const sysctlRe = new RegExp(`^${sysctlContainSlashFmt}$`);
/** Sysctls whose kernel namespace the pod would share with the host under hostNetwork / hostIPC. */
function sysctlNamespace(name: string): 'net' | 'ipc' | undefined {
  const n = name.replace(/\//g, '.');
  if (n.startsWith('net.')) return 'net';
  if (n.startsWith('kernel.shm') || n.startsWith('kernel.msg') || n === 'kernel.sem' || n.startsWith('fs.mqueue.')) return 'ipc';
  return undefined;
}

function validatePodSecurityContext(scv: unknown, spec: Obj, field: string): FieldError[] {
  const sc = asObj(scv);
  if (!sc) return [];
  const errs: FieldError[] = [];
  const fsGroup = num(sc.fsGroup);
  if (fsGroup !== undefined) errs.push(...eachInvalid(child(field, 'fsGroup'), fsGroup, isValidGroupID(fsGroup)));
  const uid = num(sc.runAsUser);
  if (uid !== undefined) errs.push(...eachInvalid(child(field, 'runAsUser'), uid, isValidUserID(uid)));
  const gid = num(sc.runAsGroup);
  if (gid !== undefined) errs.push(...eachInvalid(child(field, 'runAsGroup'), gid, isValidGroupID(gid)));
  asArr(sc.supplementalGroups).forEach((g, i) => {
    errs.push(...eachInvalid(index(child(field, 'supplementalGroups'), i), g, isValidGroupID(Number(g))));
  });
  if (spec.shareProcessNamespace === true && spec.hostPID === true) {
    errs.push(invalid(child(field, 'shareProcessNamespace'), true, 'ShareProcessNamespace and HostPID cannot both be enabled'));
  }
  const names = new Set<string>();
  asArr(sc.sysctls).forEach((s, i) => {
    const sy = asObj(s) ?? {};
    const name = str(sy.name);
    const p = child(index(child(field, 'sysctls'), i), 'name');
    if (!name) errs.push(required(p));
    else if (name.length > 253 || !sysctlRe.test(name)) {
      errs.push(invalid(p, name, `must have at most 253 characters and match regex ^${sysctlContainSlashFmt}$`));
    } else if (names.has(name)) errs.push(duplicate(p, name));
    const ns = sysctlNamespace(name);
    if (spec.hostNetwork === true && ns === 'net') errs.push(invalid(p, name, "may not be specified when 'hostNetwork' is true"));
    else if (spec.hostIPC === true && ns === 'ipc') errs.push(invalid(p, name, "may not be specified when 'hostIPC' is true"));
    names.add(name);
  });
  if (sc.fsGroupChangePolicy !== undefined && sc.fsGroupChangePolicy !== null) {
    const v = str(sc.fsGroupChangePolicy);
    if (v !== 'Always' && v !== 'OnRootMismatch') errs.push(notSupported(child(field, 'fsGroupChangePolicy'), sc.fsGroupChangePolicy, ['Always', 'OnRootMismatch']));
  }
  errs.push(...validateSeccompProfile(sc.seccompProfile, child(field, 'seccompProfile')));
  errs.push(...validateAppArmorProfile(sc.appArmorProfile, child(field, 'appArmorProfile')));
  if (sc.supplementalGroupsPolicy !== undefined && sc.supplementalGroupsPolicy !== null) {
    const v = str(sc.supplementalGroupsPolicy);
    if (v !== 'Merge' && v !== 'Strict') errs.push(notSupported(child(field, 'supplementalGroupsPolicy'), sc.supplementalGroupsPolicy, ['Merge', 'Strict']));
  }
  if (sc.seLinuxChangePolicy !== undefined && sc.seLinuxChangePolicy !== null) {
    const v = str(sc.seLinuxChangePolicy);
    if (v !== 'MountOption' && v !== 'Recursive') errs.push(notSupported(child(field, 'seLinuxChangePolicy'), sc.seLinuxChangePolicy, ['MountOption', 'Recursive']));
  }
  return errs;
}

// ---------------------------------------------------------------- container kinds

function validateContainerCommon(ctr: Obj, vols: Map<string, Obj>, field: string, podRestartPolicy: string): FieldError[] {
  const errs: FieldError[] = [];
  const name = str(ctr.name);
  const namePath = child(field, 'name');
  if (!name) errs.push(required(namePath));
  else errs.push(...eachInvalid(namePath, name, isDNS1123Label(name)));
  if (!str(ctr.image)) errs.push(required(child(field, 'image')));
  const tmp = str(ctr.terminationMessagePolicy);
  if (tmp !== 'File' && tmp !== 'FallbackToLogsOnError') {
    if (!tmp) errs.push(required(child(field, 'terminationMessagePolicy')));
    else errs.push(notSupported(child(field, 'terminationMessagePolicy'), tmp, ['File', 'FallbackToLogsOnError']));
  }
  const mounts = new Map<string, string>();
  for (const m of asArr(ctr.volumeMounts)) mounts.set(str(asObj(m)?.name), str(asObj(m)?.mountPath));
  const devices = new Map<string, string>();
  for (const d of asArr(ctr.volumeDevices)) devices.set(str(asObj(d)?.name), str(asObj(d)?.devicePath));
  errs.push(...validateContainerPorts(ctr.ports, child(field, 'ports')));
  errs.push(...validateEnv(ctr.env, child(field, 'env')));
  errs.push(...validateEnvFrom(ctr.envFrom, child(field, 'envFrom')));
  errs.push(...validateVolumeMounts(ctr.volumeMounts, devices, vols, ctr, child(field, 'volumeMounts')));
  errs.push(...validateVolumeDevices(ctr.volumeDevices, mounts, vols, child(field, 'volumeDevices')));
  errs.push(...validatePullPolicy(ctr.imagePullPolicy, child(field, 'imagePullPolicy')));
  errs.push(...validateResourceRequirements(ctr.resources, child(field, 'resources')));
  errs.push(...validateResizePolicy(ctr.resizePolicy, child(field, 'resizePolicy'), podRestartPolicy));
  errs.push(...validateSecurityContext(ctr.securityContext, child(field, 'securityContext')));
  return errs;
}

function checkHostPortConflicts(containers: Obj[], field: string, offset = 0): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  containers.forEach((ctr, ci) => {
    asArr(ctr.ports).forEach((pp, pi) => {
      const port = asObj(pp) ?? {};
      const hp = num(port.hostPort) ?? 0;
      if (hp === 0) return;
      const s = `${str(port.protocol)}/${str(port.hostIP)}/${hp}`;
      const p = child(index(child(index(field, ci + offset), 'ports'), pi), 'hostPort');
      if (seen.has(s)) errs.push(duplicate(p, s));
      else seen.add(s);
    });
  });
  return errs;
}

function validateContainers(containers: unknown, vols: Map<string, Obj>, field: string, podRestartPolicy: string, gracePeriod?: number): FieldError[] {
  const list = asArr(containers).map((c) => asObj(c) ?? {});
  if (list.length === 0) return [required(field)];
  const errs: FieldError[] = [];
  const names = new Set<string>();
  list.forEach((ctr, i) => {
    const p = index(field, i);
    errs.push(...validateContainerCommon(ctr, vols, p, podRestartPolicy));
    const name = str(ctr.name);
    if (names.has(name)) errs.push(duplicate(child(p, 'name'), name));
    else names.add(name);
    const lc = asObj(ctr.lifecycle);
    if (lc) errs.push(...validateLifecycle(lc, child(p, 'lifecycle'), gracePeriod));
    errs.push(...validateLivenessOrStartup(ctr.livenessProbe, child(p, 'livenessProbe')));
    errs.push(...validateReadinessProbe(ctr.readinessProbe, child(p, 'readinessProbe')));
    errs.push(...validateLivenessOrStartup(ctr.startupProbe, child(p, 'startupProbe')));
    if (ctr.restartPolicy !== undefined && ctr.restartPolicy !== null) errs.push(forbidden(child(p, 'restartPolicy'), 'may not be set for non-init containers'));
  });
  errs.push(...checkHostPortConflicts(list, field));
  return errs;
}

function validateInitContainers(containers: unknown, regular: unknown, vols: Map<string, Obj>, field: string, podRestartPolicy: string, gracePeriod?: number): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set(asArr(regular).map((c) => str(asObj(c)?.name)));
  asArr(containers).forEach((c, i) => {
    const ctr = asObj(c) ?? {};
    const p = index(field, i);
    errs.push(...validateContainerCommon(ctr, vols, p, podRestartPolicy));
    let restartAlways = false;
    if (ctr.restartPolicy !== undefined && ctr.restartPolicy !== null) {
      if (ctr.restartPolicy === 'Always') restartAlways = true;
      else errs.push(notSupported(child(p, 'restartPolicy'), ctr.restartPolicy, ['Always']));
    }
    const name = str(ctr.name);
    if (names.has(name)) errs.push(duplicate(child(p, 'name'), name));
    else if (name) names.add(name);
    errs.push(...checkHostPortConflicts([ctr], field, i));
    if (restartAlways) {
      const lc = asObj(ctr.lifecycle);
      if (lc) errs.push(...validateLifecycle(lc, child(p, 'lifecycle'), gracePeriod));
      errs.push(...validateLivenessOrStartup(ctr.livenessProbe, child(p, 'livenessProbe')));
      errs.push(...validateReadinessProbe(ctr.readinessProbe, child(p, 'readinessProbe')));
      errs.push(...validateLivenessOrStartup(ctr.startupProbe, child(p, 'startupProbe')));
    } else {
      for (const f of ['lifecycle', 'livenessProbe', 'readinessProbe', 'startupProbe']) {
        if (ctr[f] !== undefined && ctr[f] !== null) errs.push(forbidden(child(p, f), 'may not be set for init containers without restartPolicy=Always'));
      }
    }
  });
  return errs;
}

/** Fields of an ephemeral container that are not in Kubernetes' allow list, in struct order. */
const ephemeralDisallowed = ['ports', 'resources', 'resizePolicy', 'restartPolicy', 'lifecycle', 'livenessProbe', 'readinessProbe', 'startupProbe'];

function isZero(v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.values(v as object).every(isZero);
  return v === '' || v === 0 || v === false;
}

function validateEphemeralContainers(ecs: unknown, containers: unknown, inits: unknown, vols: Map<string, Obj>, field: string, podRestartPolicy: string): FieldError[] {
  const list = asArr(ecs).map((c) => asObj(c) ?? {});
  if (list.length === 0) return [];
  const errs: FieldError[] = [];
  const other = new Set<string>();
  for (const c of [...asArr(containers), ...asArr(inits)]) other.add(str(asObj(c)?.name));
  const all = new Set(other);
  list.forEach((ec, i) => {
    const p = index(field, i);
    errs.push(...validateContainerCommon(ec, vols, p, podRestartPolicy));
    const image = str(ec.image);
    if (image.length !== image.trim().length) errs.push(invalid(child(p, 'image'), image, 'must not have leading or trailing whitespace'));
    const name = str(ec.name);
    if (all.has(name)) errs.push(duplicate(child(p, 'name'), name));
    else all.add(name);
    const target = str(ec.targetContainerName);
    if (target && !other.has(target)) errs.push(notFound(child(p, 'targetContainerName'), target));
    for (const f of ephemeralDisallowed) {
      if (!isZero(ec[f])) errs.push(forbidden(child(p, f), 'cannot be set for an Ephemeral Container'));
    }
    asArr(ec.volumeMounts).forEach((m, j) => {
      const vm = asObj(m) ?? {};
      if (str(vm.subPath)) errs.push(forbidden(child(index(child(p, 'volumeMounts'), j), 'subPath'), 'cannot be set for an Ephemeral Container'));
      if (str(vm.subPathExpr)) errs.push(forbidden(child(index(child(p, 'volumeMounts'), j), 'subPathExpr'), 'cannot be set for an Ephemeral Container'));
    });
  });
  return errs;
}

// ---------------------------------------------------------------- scheduling

function validateNodeSelectorRequirement(rq: Obj, field: string, allowInvalidValues = false): FieldError[] {
  const errs: FieldError[] = [];
  const values = asArr(rq.values);
  switch (rq.operator) {
    case 'In':
    case 'NotIn':
      if (values.length === 0) errs.push(required(child(field, 'values'), "must be specified when `operator` is 'In' or 'NotIn'"));
      break;
    case 'Exists':
    case 'DoesNotExist':
      if (values.length > 0) errs.push(forbidden(child(field, 'values'), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
      break;
    case 'Gt':
    case 'Lt':
      if (values.length !== 1) errs.push(required(child(field, 'values'), "must be specified single value when `operator` is 'Lt' or 'Gt'"));
      break;
    default:
      errs.push(invalid(child(field, 'operator'), rq.operator ?? '', 'not a valid selector operator'));
  }
  errs.push(...validateLabelName(str(rq.key), child(field, 'key')));
  if (!allowInvalidValues) values.forEach((v, i) => errs.push(...eachInvalid(index(child(field, 'values'), i), v, isValidLabelValue(str(v)))));
  return errs;
}

function validateNodeFieldSelectorRequirement(rq: Obj, field: string): FieldError[] {
  const errs: FieldError[] = [];
  switch (rq.operator) {
    case 'In':
    case 'NotIn':
      if (asArr(rq.values).length !== 1) errs.push(required(child(field, 'values'), "must be only one value when `operator` is 'In' or 'NotIn' for node field selector"));
      break;
    default:
      errs.push(invalid(child(field, 'operator'), rq.operator ?? '', 'not a valid selector operator'));
  }
  if (rq.key !== 'metadata.name') errs.push(invalid(child(field, 'key'), rq.key ?? '', 'not a valid field selector key'));
  else asArr(rq.values).forEach((v, i) => errs.push(...eachInvalid(index(child(field, 'values'), i), v, isDNS1123Subdomain(str(v)))));
  return errs;
}

function validateNodeSelectorTerm(term: Obj, field: string, allowInvalidValues = false): FieldError[] {
  const errs: FieldError[] = [];
  asArr(term.matchExpressions).forEach((r, j) => errs.push(...validateNodeSelectorRequirement(asObj(r) ?? {}, index(child(field, 'matchExpressions'), j), allowInvalidValues)));
  asArr(term.matchFields).forEach((r, j) => errs.push(...validateNodeFieldSelectorRequirement(asObj(r) ?? {}, index(child(field, 'matchFields'), j))));
  return errs;
}

function validateNodeAffinity(na: Obj, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const req = asObj(na.requiredDuringSchedulingIgnoredDuringExecution);
  if (req) {
    const p = child(field, 'requiredDuringSchedulingIgnoredDuringExecution');
    const terms = asArr(req.nodeSelectorTerms);
    if (terms.length === 0) errs.push(required(child(p, 'nodeSelectorTerms'), 'must have at least one node selector term'));
    terms.forEach((t, i) => errs.push(...validateNodeSelectorTerm(asObj(t) ?? {}, index(child(p, 'nodeSelectorTerms'), i))));
  }
  asArr(na.preferredDuringSchedulingIgnoredDuringExecution).forEach((t, i) => {
    const term = asObj(t) ?? {};
    const p = index(child(field, 'preferredDuringSchedulingIgnoredDuringExecution'), i);
    const w = num(term.weight) ?? 0;
    if (w <= 0 || w > 100) errs.push(invalid(child(p, 'weight'), w, 'must be in the range 1-100'));
    // invalid label values are always allowed in preferred terms
    errs.push(...validateNodeSelectorTerm(asObj(term.preference) ?? {}, child(p, 'preference'), true));
  });
  return errs;
}

function validatePodAffinityTerm(term: Obj, field: string): FieldError[] {
  const errs = validateLabelSelector(term.labelSelector, child(field, 'labelSelector'));
  errs.push(...validateLabelSelector(term.namespaceSelector, child(field, 'namespaceSelector')));
  asArr(term.namespaces).forEach((ns) => errs.push(...eachInvalid(child(field, 'namespace'), ns, validateNamespaceName(str(ns), false))));
  const tk = str(term.topologyKey);
  if (!tk) errs.push(required(child(field, 'topologyKey'), 'can not be empty'));
  return errs.concat(validateLabelName(tk, child(field, 'topologyKey')));
}

function validatePodAffinityLike(a: Obj, field: string): FieldError[] {
  const errs: FieldError[] = [];
  asArr(a.requiredDuringSchedulingIgnoredDuringExecution).forEach((t, i) => {
    errs.push(...validatePodAffinityTerm(asObj(t) ?? {}, index(child(field, 'requiredDuringSchedulingIgnoredDuringExecution'), i)));
  });
  asArr(a.preferredDuringSchedulingIgnoredDuringExecution).forEach((t, i) => {
    const w = asObj(t) ?? {};
    const p = index(child(field, 'preferredDuringSchedulingIgnoredDuringExecution'), i);
    const weight = num(w.weight) ?? 0;
    if (weight <= 0 || weight > 100) errs.push(invalid(child(p, 'weight'), weight, 'must be in the range 1-100'));
    errs.push(...validatePodAffinityTerm(asObj(w.podAffinityTerm) ?? {}, child(p, 'podAffinityTerm')));
  });
  return errs;
}

function validateAffinity(av: unknown, field: string): FieldError[] {
  const a = asObj(av);
  if (!a) return [];
  const errs: FieldError[] = [];
  const na = asObj(a.nodeAffinity);
  if (na) errs.push(...validateNodeAffinity(na, child(field, 'nodeAffinity')));
  const pa = asObj(a.podAffinity);
  if (pa) errs.push(...validatePodAffinityLike(pa, child(field, 'podAffinity')));
  const paa = asObj(a.podAntiAffinity);
  if (paa) errs.push(...validatePodAffinityLike(paa, child(field, 'podAntiAffinity')));
  return errs;
}

const taintEffects = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

export function validateTolerations(tolerations: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  asArr(tolerations).forEach((t, i) => {
    const tol = asObj(t) ?? {};
    const p = index(field, i);
    const k = str(tol.key);
    const op = str(tol.operator);
    if (k) errs.push(...validateLabelName(k, child(p, 'key')));
    if (!k && op !== 'Exists') {
      errs.push(invalid(child(p, 'operator'), op, 'operator must be Exists when `key` is empty, which means "match all values and all keys"'));
    }
    if (tol.tolerationSeconds !== undefined && tol.tolerationSeconds !== null && tol.effect !== 'NoExecute') {
      errs.push(invalid(child(p, 'effect'), str(tol.effect), "effect must be 'NoExecute' when `tolerationSeconds` is set"));
    }
    switch (op) {
      case 'Equal':
      case '': {
        const vErrs = isValidLabelValue(str(tol.value));
        if (vErrs.length) errs.push(invalid(child(p, 'operator'), str(tol.value), vErrs.join(';')));
        break;
      }
      case 'Exists':
        if (str(tol.value)) errs.push(invalid(child(p, 'operator'), str(tol.value), "value must be empty when `operator` is 'Exists'"));
        break;
      default:
        errs.push(notSupported(child(p, 'operator'), op, ['Equal', 'Exists']));
    }
    const eff = str(tol.effect);
    if (eff && !taintEffects.includes(eff)) errs.push(notSupported(child(p, 'effect'), eff, taintEffects));
  });
  return errs;
}

function validateHostAliases(aliases: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  asArr(aliases).forEach((a, i) => {
    const ha = asObj(a) ?? {};
    const p = index(field, i);
    const ip = str(ha.ip);
    errs.push(...eachInvalid(child(p, 'ip'), ip, isValidIP(ip)));
    asArr(ha.hostnames).forEach((h, j) => errs.push(...eachInvalid(index(child(p, 'hostnames'), j), h, isDNS1123Subdomain(str(h)))));
  });
  return errs;
}

function validateTopologySpreadConstraints(tscs: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  asArr(tscs).forEach((c, i) => {
    const t = asObj(c) ?? {};
    const p = index(field, i);
    const maxSkew = num(t.maxSkew) ?? 0;
    if (maxSkew <= 0) errs.push(invalid(child(p, 'maxSkew'), maxSkew, 'must be greater than zero'));
    const minDomains = num(t.minDomains);
    if (minDomains !== undefined) {
      if (minDomains <= 0) errs.push(invalid(child(p, 'minDomains'), minDomains, 'must be greater than 0'));
      else if (t.whenUnsatisfiable !== 'DoNotSchedule') errs.push(invalid(child(p, 'minDomains'), minDomains, `can only use minDomains if whenUnsatisfiable=DoNotSchedule, not ${str(t.whenUnsatisfiable)}`));
    }
    const tk = str(t.topologyKey);
    if (!tk) errs.push(required(child(p, 'topologyKey'), 'can not be empty'));
    else errs.push(...validateLabelName(tk, child(p, 'topologyKey')));
    const wu = str(t.whenUnsatisfiable);
    if (!['DoNotSchedule', 'ScheduleAnyway'].includes(wu)) errs.push(notSupported(child(p, 'whenUnsatisfiable'), wu, ['DoNotSchedule', 'ScheduleAnyway']));
    const pair = `{${tk}, ${wu}}`;
    if (seen.has(pair)) errs.push(duplicate(child(p, '{topologyKey, whenUnsatisfiable}'), pair));
    seen.add(pair);
    for (const f of ['nodeAffinityPolicy', 'nodeTaintsPolicy']) {
      const v = t[f];
      if (v !== undefined && v !== null && v !== 'Honor' && v !== 'Ignore') errs.push(notSupported(child(p, f), v, ['Honor', 'Ignore']));
    }
    errs.push(...validateLabelSelector(t.labelSelector, child(p, 'labelSelector')));
  });
  return errs;
}

function validateDNSConfig(dcv: unknown, dnsPolicy: string, field: string): FieldError[] {
  const dc = asObj(dcv);
  if (dnsPolicy === 'None') {
    if (!dc) return [required(field, 'must provide `dnsConfig` when `dnsPolicy` is None')];
    if (asArr(dc.nameservers).length === 0) return [required(child(field, 'nameservers'), 'must provide at least one DNS nameserver when `dnsPolicy` is None')];
  }
  if (!dc) return [];
  const errs: FieldError[] = [];
  const ns = asArr(dc.nameservers);
  if (ns.length > 3) errs.push(invalid(child(field, 'nameservers'), ns, 'must not have more than 3 nameservers'));
  ns.forEach((n, i) => errs.push(...eachInvalid(index(child(field, 'nameservers'), i), n, isValidIP(str(n)))));
  const searches = asArr(dc.searches).map(str);
  if (searches.length > 32) errs.push(invalid(child(field, 'searches'), searches, 'must not have more than 32 search paths'));
  if (searches.join(' ').length > 2048) errs.push(invalid(child(field, 'searches'), searches, 'must not have more than 2048 characters (including spaces) in the search list'));
  searches.forEach((s, i) => {
    if (s === '.') return;
    const t = s.replace(/\.$/, '');
    const re = /^_?[a-z0-9]([-_a-z0-9]*[a-z0-9])?(\._?[a-z0-9]([-_a-z0-9]*[a-z0-9])?)*$/;
    const msgs: string[] = [];
    if (t.length > 253) msgs.push('must be no more than 253 characters');
    if (!re.test(t)) msgs.push("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '_', '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '_?[a-z0-9]([-_a-z0-9]*[a-z0-9])?(\\._?[a-z0-9]([-_a-z0-9]*[a-z0-9])?)*')");
    errs.push(...eachInvalid(index(child(field, 'searches'), i), t, msgs));
  });
  asArr(dc.options).forEach((o, i) => {
    if (!str(asObj(o)?.name)) errs.push(required(index(child(field, 'options'), i), 'must not be empty'));
  });
  return errs;
}

// ---------------------------------------------------------------- pod spec

/** ValidatePodSpec (v1 JSON, after defaulting). */
export function validatePodSpec(specv: unknown, field: string, opts: PodValidationOptions = {}, podName?: string): FieldError[] {
  const spec = asObj(specv) ?? {};
  const errs: FieldError[] = [];
  const restartPolicy = str(spec.restartPolicy);
  if (spec.terminationGracePeriodSeconds === undefined || spec.terminationGracePeriodSeconds === null) {
    errs.push(required(child(field, 'terminationGracePeriodSeconds')));
  }
  const { vols, errs: vErrs } = validateVolumes(spec.volumes, child(field, 'volumes'), podName);
  errs.push(...vErrs);
  const gracePeriod = num(spec.terminationGracePeriodSeconds);
  errs.push(...validateContainers(spec.containers, vols, child(field, 'containers'), restartPolicy, gracePeriod));
  errs.push(...validateInitContainers(spec.initContainers, spec.containers, vols, child(field, 'initContainers'), restartPolicy, gracePeriod));
  errs.push(...validateEphemeralContainers(spec.ephemeralContainers, spec.containers, spec.initContainers, vols, child(field, 'ephemeralContainers'), restartPolicy));
  if (spec.resources !== undefined && spec.resources !== null) {
    const pr = asObj(spec.resources) ?? {};
    if (pr.claims !== undefined && pr.claims !== null) errs.push(forbidden(child(field, 'resources', 'claims'), 'claims cannot be set for Resources at pod-level'));
    errs.push(...validateResourceRequirements(spec.resources, child(field, 'resources'), true));
    errs.push(...validatePodResourceConsistency(spec, child(field, 'resources')));
  }
  if (spec.hostNetwork === true) {
    asArr(spec.containers).forEach((c, i) => {
      asArr(asObj(c)?.ports).forEach((pp, j) => {
        const port = asObj(pp) ?? {};
        const hp = num(port.hostPort) ?? 0;
        const cp = num(port.containerPort) ?? 0;
        if ((opts.resourceIsPod || hp !== 0) && hp !== cp) {
          errs.push(invalid(child(index(child(index(child(field, 'containers'), i), 'ports'), j), 'hostPort'), hp, 'must match `containerPort` when `hostNetwork` is true'));
        }
      });
    });
  }
  // restartPolicy: Kubernetes lists the values Always, Never, OnFailure in the message.
  if (!['Always', 'OnFailure', 'Never'].includes(restartPolicy)) {
    if (!restartPolicy) errs.push(required(child(field, 'restartPolicy')));
    else errs.push(notSupported(child(field, 'restartPolicy'), restartPolicy, ['Always', 'Never', 'OnFailure']));
  }
  const dnsPolicy = str(spec.dnsPolicy);
  if (!['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'].includes(dnsPolicy)) {
    if (!dnsPolicy) errs.push(required(child(field, 'dnsPolicy')));
    else errs.push(notSupported(child(field, 'dnsPolicy'), dnsPolicy, ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None']));
  }
  errs.push(...validateLabels(asObj(spec.nodeSelector) as Record<string, string> | undefined, child(field, 'nodeSelector')));
  errs.push(...validatePodSecurityContext(spec.securityContext, spec, child(field, 'securityContext')));
  asArr(spec.imagePullSecrets).forEach((s, i) => {
    const o = asObj(s) ?? {};
    if (Object.keys(o).some((k) => k !== 'name')) errs.push(invalid(index(child(field, 'imagePullSecrets'), i), o, 'only name may be set'));
  });
  errs.push(...validateAffinity(spec.affinity, child(field, 'affinity')));
  errs.push(...validateDNSConfig(spec.dnsConfig, dnsPolicy, child(field, 'dnsConfig')));
  asArr(spec.readinessGates).forEach((g, i) => {
    const ct = str(asObj(g)?.conditionType);
    errs.push(...eachInvalid(child(index(child(field, 'readinessGates'), i), 'conditionType'), ct, isQualifiedName(ct)));
  });
  const gates = new Set<string>();
  asArr(spec.schedulingGates).forEach((g, i) => {
    const name = str(asObj(g)?.name);
    errs.push(...eachInvalid(index(child(field, 'schedulingGates'), i), name, isQualifiedName(name)));
    if (gates.has(name)) errs.push(duplicate(index(child(field, 'schedulingGates'), i), name));
    gates.add(name);
  });
  errs.push(...validateTopologySpreadConstraints(spec.topologySpreadConstraints, child(field, 'topologySpreadConstraints')));
  if (asObj(spec.securityContext)?.hostUsers === false || spec.hostUsers === false) {
    if (spec.hostNetwork === true) errs.push(forbidden(child(field, 'hostNetwork'), 'when `pod.Spec.HostUsers` is false'));
    if (spec.hostPID === true) errs.push(forbidden(child(field, 'HostPID'), 'when `pod.Spec.HostUsers` is false'));
    if (spec.hostIPC === true) errs.push(forbidden(child(field, 'HostIPC'), 'when `pod.Spec.HostUsers` is false'));
  }
  const sa = str(spec.serviceAccountName);
  if (sa) errs.push(...eachInvalid(child(field, 'serviceAccountName'), sa, validateServiceAccountName(sa, false)));
  const nodeName = str(spec.nodeName);
  if (nodeName) errs.push(...eachInvalid(child(field, 'nodeName'), nodeName, validateNodeName(nodeName, false)));
  const ads = num(spec.activeDeadlineSeconds);
  if (ads !== undefined && (ads < 1 || ads > MaxInt32)) errs.push(invalid(child(field, 'activeDeadlineSeconds'), ads, inclusiveRangeError(1, MaxInt32)));
  const hostname = str(spec.hostname);
  if (hostname) errs.push(...eachInvalid(child(field, 'hostname'), hostname, isDNS1123Label(hostname)));
  const subdomain = str(spec.subdomain);
  if (subdomain) errs.push(...eachInvalid(child(field, 'subdomain'), subdomain, isDNS1123Label(subdomain)));
  if (asArr(spec.tolerations).length) errs.push(...validateTolerations(spec.tolerations, child(field, 'tolerations')));
  if (asArr(spec.hostAliases).length) errs.push(...validateHostAliases(spec.hostAliases, child(field, 'hostAliases')));
  const pcn = str(spec.priorityClassName);
  if (pcn) errs.push(...eachInvalid(child(field, 'priorityClassName'), pcn, isDNS1123Subdomain(pcn)));
  if (typeof spec.runtimeClassName === 'string') {
    errs.push(...eachInvalid(child(field, 'runtimeClassName'), spec.runtimeClassName, isDNS1123Subdomain(spec.runtimeClassName)));
  }
  if (spec.preemptionPolicy !== undefined && spec.preemptionPolicy !== null) {
    const pp = str(spec.preemptionPolicy);
    if (!pp) errs.push(required(child(field, 'preemptionPolicy')));
    else if (pp !== 'PreemptLowerPriority' && pp !== 'Never') errs.push(notSupported(child(field, 'preemptionPolicy'), pp, ['PreemptLowerPriority', 'Never']));
  }
  const overhead = asObj(spec.overhead);
  if (overhead) {
    for (const [name, v] of Object.entries(overhead)) {
      const fp = key(child(field, 'overhead'), name);
      errs.push(...validateResourceName(name, fp));
      const q = quantityOf(v, fp, errs);
      if (q) errs.push(...validateResourceQuantityValue(name, q, fp));
    }
  }
  const os = asObj(spec.os);
  if (os) {
    const n = str(os.name);
    if (!n) errs.push(required(child(field, 'os', 'name')));
    else if (n !== 'linux' && n !== 'windows') errs.push(notSupported(child(field, 'os', 'name'), n, ['linux', 'windows']));
    else if (n === 'windows') errs.push(...validateWindows(spec, field));
    else if (n === 'linux') {
      if (asObj(asObj(spec.securityContext)?.windowsOptions)) errs.push(forbidden(child(field, 'securityContext', 'windowsOptions'), 'windows options cannot be set for a linux pod'));
      for (const kind of ['initContainers', 'containers', 'ephemeralContainers']) {
        asArr(spec[kind]).forEach((c, i) => {
          if (asObj(asObj(asObj(c)?.securityContext)?.windowsOptions)) {
            errs.push(forbidden(child(index(child(field, kind), i), 'securityContext', 'windowsOptions'), 'windows options cannot be set for a linux pod'));
          }
        });
      }
    }
  }
  return errs;
}

/** Pod-level requests cover the sum of container requests; container limits stay within pod limits. */
function validatePodResourceConsistency(spec: Obj, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const pr = asObj(spec.resources) ?? {};
  const podReq = parseResourceList(pr.requests);
  const podLim = parseResourceList(pr.limits);
  // aggregate container requests: sum of regular containers, or the largest init container if larger
  const sum = new Map<string, Quantity>();
  for (const c of asArr(spec.containers)) {
    for (const [k, q] of parseResourceList(asObj(asObj(c)?.resources)?.requests)) sum.set(k, sum.has(k) ? sum.get(k)!.add(q) : q);
  }
  for (const c of asArr(spec.initContainers)) {
    for (const [k, q] of parseResourceList(asObj(asObj(c)?.resources)?.requests)) if (!sum.has(k) || q.cmp(sum.get(k)!) > 0) sum.set(k, q);
  }
  for (const [k, q] of sum) {
    const pq = podReq.get(k) ?? new Quantity(0n);
    if (q.cmp(pq) > 0) errs.push(invalid(key(child(field, 'requests'), k), pq.toString(), `must be greater than or equal to aggregate container requests of ${q.toString()}`));
  }
  asArr(spec.containers).forEach((c, i) => {
    for (const [k, q] of parseResourceList(asObj(asObj(c)?.resources)?.limits)) {
      const pl = podLim.get(k);
      if (pl && q.cmp(pl) > 0) errs.push(invalid(child(key(index(child(field, 'containers'), i), k), 'limits'), q.toString(), `must be less than or equal to pod limits of ${pl.toString()}`));
    }
  });
  return errs;
}

function validateWindows(spec: Obj, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const msg = 'cannot be set for a windows pod';
  const sc = asObj(spec.securityContext);
  const set = (v: unknown) => v !== undefined && v !== null;
  if (sc) {
    const scp = child(field, 'securityContext');
    if (set(sc.appArmorProfile)) errs.push(forbidden(child(scp, 'appArmorProfile'), msg));
    if (set(sc.seLinuxOptions)) errs.push(forbidden(child(scp, 'seLinuxOptions'), msg));
    if (set(spec.hostUsers)) errs.push(forbidden(child(field, 'hostUsers'), msg));
    if (spec.hostPID === true) errs.push(forbidden(child(field, 'hostPID'), msg));
    if (spec.hostIPC === true) errs.push(forbidden(child(field, 'hostIPC'), msg));
    for (const f of ['seccompProfile', 'fsGroup', 'fsGroupChangePolicy']) if (set(sc[f])) errs.push(forbidden(child(scp, f), msg));
    if (asArr(sc.sysctls).length > 0) errs.push(forbidden(child(scp, 'sysctls'), msg));
    if (set(spec.shareProcessNamespace)) errs.push(forbidden(child(field, 'shareProcessNamespace'), msg));
    for (const f of ['runAsUser', 'runAsGroup', 'supplementalGroups', 'supplementalGroupsPolicy', 'seLinuxChangePolicy']) if (set(sc[f])) errs.push(forbidden(child(scp, f), msg));
  }
  for (const kind of ['initContainers', 'containers', 'ephemeralContainers']) {
    asArr(spec[kind]).forEach((c, i) => {
      const csc = asObj(asObj(c)?.securityContext);
      if (!csc) return;
      const cp = child(index(child(field, kind), i), 'securityContext');
      for (const f of ['appArmorProfile', 'seLinuxOptions', 'seccompProfile', 'capabilities', 'readOnlyRootFilesystem', 'privileged', 'allowPrivilegeEscalation', 'procMount', 'runAsUser', 'runAsGroup']) {
        if (set(csc[f])) errs.push(forbidden(child(cp, f), msg));
      }
    });
  }
  return errs;
}

/** ValidatePodSpecificAnnotations: mirror pods, pod deletion cost, seccomp profile annotations. */
export function validatePodSpecificAnnotations(annotations: Record<string, string> | undefined, spec: Obj, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const a = annotations ?? {};
  const mirror = 'kubernetes.io/config.mirror';
  if (mirror in a && !str(spec.nodeName)) errs.push(invalid(key(field, mirror), a[mirror], 'must set spec.nodeName if mirror pod annotation is set'));
  const cost = 'controller.kubernetes.io/pod-deletion-cost';
  if (cost in a) {
    const v = a[cost];
    const n = /^[+-]?\d+$/.test(v) ? Number(v) : NaN;
    if (!Number.isInteger(n) || n > 2147483647 || n < -2147483648) errs.push(invalid(key(field, cost), v, 'must be a 32bit integer'));
  }
  const seccomp = (p: string, fp: string) => {
    if (p === 'runtime/default' || p === 'docker/default' || p === 'unconfined') return;
    if (p.startsWith('localhost/')) errs.push(...validateLocalDescendingPath(p.slice('localhost/'.length), fp));
    else errs.push(invalid(fp, p, 'must be a valid seccomp profile'));
  };
  if ('seccomp.security.alpha.kubernetes.io/pod' in a) seccomp(a['seccomp.security.alpha.kubernetes.io/pod'], child(field, 'seccomp.security.alpha.kubernetes.io/pod'));
  for (const [k, v] of Object.entries(a)) {
    if (k.startsWith('container.seccomp.security.alpha.kubernetes.io/')) seccomp(v, child(field, k));
  }
  return errs;
}

/** ValidatePodTemplateSpec (templates inside workloads). */
export function validatePodTemplateSpec(tv: unknown, field: string): FieldError[] {
  const t = asObj(tv) ?? {};
  const meta = asObj(t.metadata) ?? {};
  // ObjectMeta is embedded in Go, so the paths are `<template>.labels`, `<template>.annotations`.
  const errs = validateLabels(asObj(meta.labels) as Record<string, string> | undefined, child(field, 'labels'));
  errs.push(...validateAnnotations(asObj(meta.annotations) as Record<string, string> | undefined, child(field, 'annotations')));
  errs.push(...validatePodSpecificAnnotations(asObj(meta.annotations) as Record<string, string> | undefined, asObj(t.spec) ?? {}, child(field, 'annotations')));
  errs.push(...validatePodSpec(t.spec, child(field, 'spec')));
  if (asArr(asObj(t.spec)?.ephemeralContainers).length > 0) {
    errs.push(forbidden(child(field, 'spec', 'ephemeralContainers'), 'ephemeral containers not allowed in pod template'));
  }
  return errs;
}

/** Parse a resource map's quantities (for callers comparing resources). */
export function parseResourceList(list: unknown): Map<string, Quantity> {
  const m = new Map<string, Quantity>();
  for (const [k, v] of Object.entries(asObj(list) ?? {})) {
    const q = tryParseQuantity(v);
    if (q) m.set(k, q);
  }
  return m;
}

