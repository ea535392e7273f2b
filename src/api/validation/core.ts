/**
 * core/v1 kinds other than Pod: Namespace, ConfigMap, Secret, ServiceAccount, Service, Endpoints,
 * Node, Event, PersistentVolumeClaim, PersistentVolume, LimitRange, ResourceQuota,
 * ReplicationController — as pkg/apis/core/validation/validation.go, with its messages.
 */
import type { FieldError } from '../errors.js';
import type { KubeObject } from '../object.js';
import {
  byteLen, isConfigMapKey, isDNS1123Label, isDNS1123Subdomain, isQualifiedName, isValidCIDR, isValidLabelValue, isValidPortNum,
  parseIP,
} from '../names.js';
import { Quantity, tryParseQuantity } from '../quantity.js';
import {
  asArr, asObj, child, duplicate, eachInvalid, forbidden, index, invalid, key, notSupported, type Obj, required, semanticEqual,
  str, validateImmutableField, validateNonnegativeField,
} from './field.js';
import {
  nameIsDNS1035Label, nameIsDNSLabel, nameIsDNSSubdomain, validateLabelName, validateLabels, validateObjectMeta,
  validateObjectMetaUpdate,
} from './objectmeta.js';
import { accessModes, positiveQuantity, validatePVCSpec, validatePodTemplateSpec, validatePortNumOrName, validateResourceQuantityValue } from './pod-spec.js';
import { goServicePortKey } from './govalue.js';

export const MaxSecretSize = 1024 * 1024;
const immutableMsg = 'field is immutable when `immutable` is set';
const supportedPortProtocols = ['SCTP', 'TCP', 'UDP'];

function spec(o: KubeObject): Obj {
  return asObj(o.spec) ?? {};
}
function tooLong(field: string, max: number): FieldError {
  return { type: 'FieldValueTooLong', field, detail: `may not be more than ${max} bytes` };
}
function b64Len(v: unknown): number {
  const s = str(v).replace(/\s/g, '');
  const pad = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0;
  return Math.floor((s.length * 3) / 4) - pad;
}

// ---------------------------------------------------------------- Namespace

const standardFinalizers = new Set(['kubernetes', 'orphan', 'foregroundDeletion']);

export function validateNamespace(ns: KubeObject): FieldError[] {
  const errs = validateObjectMeta(ns.metadata, false, nameIsDNSLabel);
  for (const f of asArr(spec(ns).finalizers)) {
    const fin = str(f);
    errs.push(...eachInvalid('spec.finalizers', fin, isQualifiedName(fin)));
    if (!fin.includes('/') && !standardFinalizers.has(fin)) errs.push(invalid('spec.finalizers', fin, 'name is neither a standard finalizer name nor is it fully qualified'));
  }
  return errs;
}
export function validateNamespaceUpdate(ns: KubeObject, old: KubeObject): FieldError[] {
  return validateObjectMetaUpdate(ns.metadata, old.metadata);
}
export function validateNamespaceStatusUpdate(ns: KubeObject, old: KubeObject): FieldError[] {
  const errs = validateObjectMetaUpdate(ns.metadata, old.metadata);
  const phase = str(asObj(ns.status)?.phase);
  if (!ns.metadata.deletionTimestamp) {
    if (phase !== 'Active') errs.push(invalid('status.Phase', phase, "may only be 'Active' if `deletionTimestamp` is empty"));
  } else if (phase !== 'Terminating') {
    errs.push(invalid('status.Phase', phase, "may only be 'Terminating' if `deletionTimestamp` is not empty"));
  }
  return errs;
}

// ---------------------------------------------------------------- ConfigMap, Secret, ServiceAccount

export function validateConfigMap(cm: KubeObject): FieldError[] {
  const errs = validateObjectMeta(cm.metadata, true, nameIsDNSSubdomain);
  const data = asObj(cm.data) ?? {};
  const bin = asObj(cm.binaryData) ?? {};
  let total = 0;
  for (const [k, v] of Object.entries(data)) {
    errs.push(...eachInvalid(key('data', k), k, isConfigMapKey(k)));
    if (k in bin) errs.push(invalid(key('data', k), k, 'duplicate of key present in binaryData'));
    total += byteLen(str(v));
  }
  for (const [k, v] of Object.entries(bin)) {
    errs.push(...eachInvalid(key('binaryData', k), k, isConfigMapKey(k)));
    total += b64Len(v);
  }
  if (total > MaxSecretSize) errs.push(tooLong('', MaxSecretSize));
  return errs;
}
export function validateConfigMapUpdate(cm: KubeObject, old: KubeObject): FieldError[] {
  const errs = validateObjectMetaUpdate(cm.metadata, old.metadata);
  if (old.immutable === true) {
    if (cm.immutable !== true) errs.push(forbidden('immutable', immutableMsg));
    if (!semanticEqual(cm.data, old.data)) errs.push(forbidden('data', immutableMsg));
    if (!semanticEqual(cm.binaryData, old.binaryData)) errs.push(forbidden('binaryData', immutableMsg));
  }
  return errs.concat(validateConfigMap(cm));
}

export function validateSecret(s: KubeObject): FieldError[] {
  const errs = validateObjectMeta(s.metadata, true, nameIsDNSSubdomain);
  const data = asObj(s.data) ?? {};
  let total = 0;
  for (const [k, v] of Object.entries(data)) {
    errs.push(...eachInvalid(key('data', k), k, isConfigMapKey(k)));
    total += b64Len(v);
  }
  if (total > MaxSecretSize) errs.push(tooLong('data', MaxSecretSize));
  const has = (k: string) => Object.prototype.hasOwnProperty.call(data, k);
  const decoded = (k: string) => Buffer.from(str(data[k]), 'base64').toString('utf8');
  switch (str(s.type)) {
    case 'kubernetes.io/service-account-token':
      if (!s.metadata.annotations?.['kubernetes.io/service-account.name']) errs.push(required(key('metadata.annotations', 'kubernetes.io/service-account.name')));
      break;
    case 'Opaque':
    case '':
      break;
    case 'kubernetes.io/dockercfg':
    case 'kubernetes.io/dockerconfigjson': {
      const k = s.type === 'kubernetes.io/dockercfg' ? '.dockercfg' : '.dockerconfigjson';
      if (!has(k)) { errs.push(required(key('data', k))); break; }
      try {
        const parsed: unknown = JSON.parse(decoded(k));
        if (!asObj(parsed)) throw new Error(`json: cannot unmarshal ${Array.isArray(parsed) ? 'array' : typeof parsed} into Go value of type map[string]interface {}`);
      } catch (e) {
        errs.push(invalid(key('data', k), '<secret contents redacted>', (e as Error).message));
      }
      break;
    }
    case 'kubernetes.io/basic-auth':
      if (!has('username') && !has('password')) {
        errs.push(required(key('data', 'username')));
        errs.push(required(key('data', 'password')));
      }
      break;
    case 'kubernetes.io/ssh-auth':
      if (!str(data['ssh-privatekey'])) errs.push(required(key('data', 'ssh-privatekey')));
      break;
    case 'kubernetes.io/tls':
      if (!has('tls.crt')) errs.push(required(key('data', 'tls.crt')));
      if (!has('tls.key')) errs.push(required(key('data', 'tls.key')));
      break;
    default:
      break;
  }
  return errs;
}
export function validateSecretUpdate(s: KubeObject, old: KubeObject): FieldError[] {
  const errs = validateObjectMetaUpdate(s.metadata, old.metadata);
  errs.push(...validateImmutableField(s.type ?? '', old.type ?? '', 'type'));
  if (old.immutable === true) {
    if (s.immutable !== true) errs.push(forbidden('immutable', immutableMsg));
    if (!semanticEqual(s.data, old.data)) errs.push(forbidden('data', immutableMsg));
  }
  return errs.concat(validateSecret(s));
}

export function validateServiceAccount(sa: KubeObject): FieldError[] {
  return validateObjectMeta(sa.metadata, true, nameIsDNSSubdomain);
}
export function validateServiceAccountUpdate(sa: KubeObject, old: KubeObject): FieldError[] {
  return validateObjectMetaUpdate(sa.metadata, old.metadata).concat(validateServiceAccount(sa));
}

// ---------------------------------------------------------------- Service

function isHeadless(s: Obj): boolean {
  const ips = asArr(s.clusterIPs);
  return ips.length > 0 && ips[0] === 'None';
}

function validateNonSpecialIP(ip: string, field: string): FieldError[] {
  const fam = parseIP(ip);
  if (!fam) return [invalid(field, ip, 'must be a valid IP address')];
  if (ip === '0.0.0.0' || ip === '::') return [invalid(field, ip, `may not be unspecified (${ip})`)];
  if ((fam === 4 && ip.startsWith('127.')) || ip === '::1') return [invalid(field, ip, 'may not be in the loopback range (127.0.0.0/8, ::1/128)')];
  if ((fam === 4 && ip.startsWith('224.0.0.')) || /^ff02:/i.test(ip)) return [invalid(field, ip, 'may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)')];
  if ((fam === 4 && ip.startsWith('169.254.')) || /^fe[89ab][0-9a-f]:/i.test(ip)) return [invalid(field, ip, 'may not be in the link-local range (169.254.0.0/16, fe80::/10)')];
  return [];
}

function validateIP(ip: string, field: string): FieldError[] {
  return parseIP(ip) ? [] : [invalid(field, ip, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)')];
}

function validateServicePort(sp: Obj, requireName: boolean, names: Set<string>, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const name = str(sp.name);
  if (requireName && !name) errs.push(required(child(field, 'name')));
  else if (name) {
    errs.push(...eachInvalid(child(field, 'name'), name, isDNS1123Label(name)));
    if (names.has(name)) errs.push(duplicate(child(field, 'name'), name));
    else names.add(name);
  }
  const port = Number(sp.port ?? 0);
  errs.push(...eachInvalid(child(field, 'port'), port, isValidPortNum(port)));
  const proto = str(sp.protocol);
  if (!proto) errs.push(required(child(field, 'protocol')));
  else if (!supportedPortProtocols.includes(proto)) errs.push(notSupported(child(field, 'protocol'), proto, supportedPortProtocols));
  errs.push(...validatePortNumOrName(sp.targetPort, child(field, 'targetPort')));
  if (typeof sp.appProtocol === 'string') errs.push(...eachInvalid(child(field, 'appProtocol'), sp.appProtocol, isQualifiedName(sp.appProtocol)));
  return errs;
}

function validateClusterIPsRelated(s: Obj): FieldError[] {
  if (s.type === 'ExternalName') return [];
  const errs: FieldError[] = [];
  const clusterIP = str(s.clusterIP);
  const ips = asArr(s.clusterIPs).map(str);
  if (clusterIP) {
    if (ips.length === 0) errs.push(required('spec.clusterIPs'));
    else if (ips[0] !== clusterIP) errs.push(invalid('spec.clusterIPs', ips, 'first value must match `clusterIP`'));
  } else if (ips.length !== 0) {
    errs.push(invalid('spec.clusterIPs', ips, 'must be empty when `clusterIP` is not specified'));
  }
  const seen = new Set<string>();
  asArr(s.ipFamilies).forEach((f, i) => {
    const fam = str(f);
    if (fam !== 'IPv4' && fam !== 'IPv6') errs.push(notSupported(index('spec.ipFamilies', i), fam, ['IPv4', 'IPv6']));
    if (seen.has(fam)) errs.push(duplicate(index('spec.ipFamilies', i), fam));
    seen.add(fam);
  });
  if (s.ipFamilyPolicy !== undefined && s.ipFamilyPolicy !== null) {
    const p = str(s.ipFamilyPolicy);
    const supported = ['PreferDualStack', 'RequireDualStack', 'SingleStack'];
    if (!supported.includes(p)) errs.push(notSupported('spec.ipFamilyPolicy', p, supported));
  }
  let bad = false;
  ips.forEach((ip, i) => {
    if (i === 0 && ip === 'None') {
      if (ips.length > 1) {
        bad = true;
        errs.push(invalid('spec.clusterIPs', ips, "'None' must be the first and only value"));
      }
      return;
    }
    const e = validateIP(ip, index('spec.clusterIPs', i));
    if (e.length) bad = true;
    errs.push(...e);
  });
  if (ips.length > 2) errs.push(invalid('spec.clusterIPs', ips, 'may only hold up to 2 values'));
  if (bad) return errs;
  if (ips.length > 1 && parseIP(ips[0]) === parseIP(ips[1])) errs.push(invalid('spec.clusterIPs', ips, 'may specify no more than one IP for each IP family'));
  if (!isHeadless(s) && ips.length > 0) {
    const fams = asArr(s.ipFamilies).map(str);
    ips.forEach((ip, i) => {
      if (i > fams.length - 1) return;
      const v6 = parseIP(ip) === 6;
      if (fams[i] === 'IPv4' && v6) errs.push(invalid(index('spec.clusterIPs', i), ip, `expected an IPv4 value as indicated by \`ipFamilies[${i}]\``));
      if (fams[i] === 'IPv6' && !v6) errs.push(invalid(index('spec.clusterIPs', i), ip, `expected an IPv6 value as indicated by \`ipFamilies[${i}]\``));
    });
  }
  return errs;
}

const supportedServiceTypes = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];

export function validateService(svc: KubeObject): FieldError[] {
  const errs = validateObjectMeta(svc.metadata, true, nameIsDNS1035Label);
  const s = spec(svc);
  const type = str(s.type);
  const ports = asArr(s.ports).map((p) => asObj(p) ?? {});
  const headless = isHeadless(s);
  if (ports.length === 0 && !headless && type !== 'ExternalName') errs.push(required('spec.ports'));
  if (type === 'LoadBalancer' && headless) errs.push(invalid('spec.clusterIPs[0]', asArr(s.clusterIPs)[0], "may not be set to 'None' for LoadBalancer services"));
  if (type === 'NodePort' && headless) errs.push(invalid('spec.clusterIPs[0]', asArr(s.clusterIPs)[0], "may not be set to 'None' for NodePort services"));
  if (type === 'ExternalName') {
    if (asArr(s.clusterIPs).length > 0) errs.push(forbidden('spec.clusterIPs', 'may not be set for ExternalName services'));
    if (asArr(s.ipFamilies).length > 0) errs.push(forbidden('spec.ipFamilies', 'may not be set for ExternalName services'));
    if (s.ipFamilyPolicy !== undefined && s.ipFamilyPolicy !== null) errs.push(forbidden('spec.ipFamilyPolicy', 'may not be set for ExternalName services'));
    const cname = str(s.externalName).replace(/\.$/, '');
    if (cname) errs.push(...eachInvalid('spec.externalName', cname, isDNS1123Subdomain(cname)));
    else errs.push(required('spec.externalName'));
  }
  const names = new Set<string>();
  ports.forEach((p, i) => errs.push(...validateServicePort(p, ports.length > 1, names, index('spec.ports', i))));
  if (asObj(s.selector)) errs.push(...validateLabels(asObj(s.selector) as Record<string, string>, 'spec.selector'));
  const sa = str(s.sessionAffinity);
  if (!sa) errs.push(required('spec.sessionAffinity'));
  else if (sa !== 'ClientIP' && sa !== 'None') errs.push(notSupported('spec.sessionAffinity', sa, ['ClientIP', 'None']));
  if (sa === 'ClientIP') {
    const cfg = asObj(s.sessionAffinityConfig);
    const cip = asObj(cfg?.clientIP);
    const fp = 'spec.sessionAffinityConfig';
    if (!cfg) errs.push(required(fp, 'when session affinity type is ClientIP'));
    else if (!cip) errs.push(required(child(fp, 'clientIP'), 'when session affinity type is ClientIP'));
    else if (cip.timeoutSeconds === undefined || cip.timeoutSeconds === null) errs.push(required(child(fp, 'clientIP', 'timeoutSeconds'), 'when session affinity type is ClientIP'));
    else {
      const t = Number(cip.timeoutSeconds);
      if (t <= 0 || t > 86400) errs.push(invalid(child(fp, 'clientIP', 'timeoutSeconds'), t, 'must be greater than 0 and less than 86400'));
    }
  } else if (sa === 'None' && s.sessionAffinityConfig !== undefined && s.sessionAffinityConfig !== null) {
    errs.push(forbidden('spec.sessionAffinityConfig', 'must not be set when session affinity is None'));
  }
  errs.push(...validateClusterIPsRelated(s));
  asArr(s.externalIPs).forEach((ip, i) => {
    const e = validateIP(str(ip), index('spec.externalIPs', i));
    errs.push(...(e.length ? e : validateNonSpecialIP(str(ip), index('spec.externalIPs', i))));
  });
  if (!type) errs.push(required('spec.type'));
  else if (!supportedServiceTypes.includes(type)) errs.push(notSupported('spec.type', type, supportedServiceTypes));
  if (type === 'ClusterIP') {
    ports.forEach((p, i) => {
      if (Number(p.nodePort ?? 0) !== 0) errs.push(forbidden(child(index('spec.ports', i), 'nodePort'), "may not be used when `type` is 'ClusterIP'"));
    });
  }
  const nodePorts = new Set<string>();
  ports.forEach((p, i) => {
    const np = Number(p.nodePort ?? 0);
    if (np === 0) return;
    const k = `${str(p.protocol)}/${np}`;
    if (nodePorts.has(k)) errs.push(duplicate(child(index('spec.ports', i), 'nodePort'), np));
    nodePorts.add(k);
  });
  const seenPorts = new Set<string>();
  ports.forEach((p, i) => {
    const k = `${str(p.protocol)}/${Number(p.port ?? 0)}`;
    if (seenPorts.has(k)) errs.push({ ...duplicate(index('spec.ports', i), { protocol: str(p.protocol), port: Number(p.port ?? 0) }), badValueText: goServicePortKey(str(p.protocol), Number(p.port ?? 0)) });
    seenPorts.add(k);
  });
  const ranges = asArr(s.loadBalancerSourceRanges);
  if (ranges.length > 0) {
    if (type !== 'LoadBalancer') errs.push(forbidden('spec.LoadBalancerSourceRanges', "may only be used when `type` is 'LoadBalancer'"));
    ranges.forEach((r, i) => {
      const v = str(r).trim();
      if (isValidCIDR(v).length) errs.push(invalid(index('spec.LoadBalancerSourceRanges', i), v, 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)'));
    });
  }
  if (s.allocateLoadBalancerNodePorts !== undefined && s.allocateLoadBalancerNodePorts !== null && type !== 'LoadBalancer') {
    errs.push(forbidden('spec.allocateLoadBalancerNodePorts', "may only be used when `type` is 'LoadBalancer'"));
  }
  if (type === 'LoadBalancer' && (s.allocateLoadBalancerNodePorts === undefined || s.allocateLoadBalancerNodePorts === null)) {
    errs.push(required('allocateLoadBalancerNodePorts'));
  }
  // apiservice.ExternallyAccessible: externalIPs count only on a ClusterIP service
  const external = type === 'NodePort' || type === 'LoadBalancer' || (type === 'ClusterIP' && asArr(s.externalIPs).length > 0);
  const etp = str(s.externalTrafficPolicy);
  if (!external) {
    if (etp) errs.push(invalid('spec.externalTrafficPolicy', etp, 'may only be set for externally-accessible services'));
  } else if (!etp) errs.push(required('spec.externalTrafficPolicy'));
  else if (etp !== 'Cluster' && etp !== 'Local') errs.push(notSupported('spec.externalTrafficPolicy', etp, ['Cluster', 'Local']));
  const hcnp = Number(s.healthCheckNodePort ?? 0);
  const needsHC = type === 'LoadBalancer' && etp === 'Local';
  if (!needsHC) {
    if (hcnp !== 0) errs.push(invalid('spec.healthCheckNodePort', hcnp, "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"));
  } else if (hcnp === 0) errs.push(required('spec.healthCheckNodePort'));
  else errs.push(...eachInvalid('spec.healthCheckNodePort', hcnp, isValidPortNum(hcnp)));
  const itp = s.internalTrafficPolicy;
  if (itp === undefined || itp === null) {
    if (type === 'NodePort' || type === 'LoadBalancer' || type === 'ClusterIP') errs.push(required('spec.internalTrafficPolicy'));
  } else if (itp !== 'Cluster' && itp !== 'Local') errs.push(notSupported('spec.internalTrafficPolicy', itp, ['Cluster', 'Local']));
  if (s.trafficDistribution !== undefined && s.trafficDistribution !== null) {
    const supported = ['PreferClose', 'PreferSameNode', 'PreferSameZone'];
    if (!supported.includes(str(s.trafficDistribution))) errs.push(notSupported('spec.trafficDistribution', s.trafficDistribution, supported));
  }
  return errs;
}

export function validateServiceUpdate(svc: KubeObject, old: KubeObject): FieldError[] {
  const errs = validateObjectMetaUpdate(svc.metadata, old.metadata);
  const s = spec(svc);
  const o = spec(old);
  const oldIPs = asArr(o.clusterIPs).map(str);
  const newIPs = asArr(s.clusterIPs).map(str);
  if (oldIPs.length > 0 && oldIPs[0] !== 'None' && s.type !== 'ExternalName' && o.type !== 'ExternalName') {
    if (newIPs.length === 0 || newIPs[0] !== oldIPs[0]) errs.push(invalid('spec.clusterIPs[0]', newIPs, 'may not change once set'));
    if (oldIPs.length > 1 && newIPs.length > 1 && newIPs[1] !== oldIPs[1]) errs.push(invalid('spec.clusterIPs[1]', newIPs, 'may not change once set'));
  }
  const oldFam = asArr(o.ipFamilies).map(str);
  const newFam = asArr(s.ipFamilies).map(str);
  if (oldFam.length > 0 && newFam.length > 0 && s.type !== 'ExternalName' && o.type !== 'ExternalName' && oldFam[0] !== newFam[0]) {
    errs.push(invalid('spec.ipFamilies[0]', newFam[0], 'may not change once set'));
  }
  const olbc = o.loadBalancerClass;
  const nlbc = s.loadBalancerClass;
  if (o.type === 'LoadBalancer' && s.type === 'LoadBalancer' && !semanticEqual(olbc, nlbc)) {
    errs.push(invalid('spec.loadBalancerClass', nlbc ?? null, 'may not change once set'));
  }
  const needsHC = (x: Obj) => x.type === 'LoadBalancer' && x.externalTrafficPolicy === 'Local';
  if (needsHC(o) && needsHC(s) && Number(s.healthCheckNodePort ?? 0) !== Number(o.healthCheckNodePort ?? 0)) {
    errs.push(forbidden('spec.healthCheckNodePort', 'field is immutable'));
  }
  return errs.concat(validateService(svc));
}

// ---------------------------------------------------------------- Endpoints

function validateEndpointAddress(a: Obj, field: string): FieldError[] {
  const ip = str(a.ip);
  const errs = validateIP(ip, child(field, 'ip'));
  if (str(a.hostname)) errs.push(...eachInvalid(child(field, 'hostname'), a.hostname, isDNS1123Label(str(a.hostname))));
  if (typeof a.nodeName === 'string') errs.push(...eachInvalid(child(field, 'nodeName'), a.nodeName, isDNS1123Subdomain(a.nodeName)));
  return errs.concat(validateNonSpecialIP(ip, child(field, 'ip')));
}

export function validateEndpoints(ep: KubeObject): FieldError[] {
  const errs = validateObjectMeta(ep.metadata, true, nameIsDNSSubdomain);
  asArr(ep.subsets).forEach((ss, i) => {
    const s = asObj(ss) ?? {};
    const p = index('subsets', i);
    if (asArr(s.addresses).length === 0 && asArr(s.notReadyAddresses).length === 0) errs.push(required(p, 'must specify `addresses` or `notReadyAddresses`'));
    asArr(s.addresses).forEach((a, j) => errs.push(...validateEndpointAddress(asObj(a) ?? {}, index(child(p, 'addresses'), j))));
    asArr(s.notReadyAddresses).forEach((a, j) => errs.push(...validateEndpointAddress(asObj(a) ?? {}, index(child(p, 'notReadyAddresses'), j))));
    const ports = asArr(s.ports);
    ports.forEach((pp, j) => {
      const port = asObj(pp) ?? {};
      const fp = index(child(p, 'ports'), j);
      const name = str(port.name);
      if (ports.length > 1 && !name) errs.push(required(child(fp, 'name')));
      else if (name) errs.push(...eachInvalid(child(fp, 'name'), name, isDNS1123Label(name)));
      const n = Number(port.port ?? 0);
      errs.push(...eachInvalid(child(fp, 'port'), n, isValidPortNum(n)));
      const proto = str(port.protocol);
      if (!proto) errs.push(required(child(fp, 'protocol')));
      else if (!supportedPortProtocols.includes(proto)) errs.push(notSupported(child(fp, 'protocol'), proto, supportedPortProtocols));
      if (typeof port.appProtocol === 'string') errs.push(...eachInvalid(child(fp, 'appProtocol'), port.appProtocol, isQualifiedName(port.appProtocol)));
    });
  });
  return errs;
}
export function validateEndpointsUpdate(ep: KubeObject, old: KubeObject): FieldError[] {
  return validateObjectMetaUpdate(ep.metadata, old.metadata).concat(validateEndpoints(ep));
}

// ---------------------------------------------------------------- Node

const taintEffects = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

function validateNodeTaints(taints: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const unique = new Map<string, Set<string>>();
  asArr(taints).forEach((t, i) => {
    const taint = asObj(t) ?? {};
    const p = index(field, i);
    const k = str(taint.key);
    errs.push(...validateLabelName(k, child(p, 'key')));
    const vErrs = isValidLabelValue(str(taint.value));
    if (vErrs.length) errs.push(invalid(child(p, 'value'), str(taint.value), vErrs.join(';')));
    const eff = str(taint.effect);
    if (!eff) errs.push(required(child(p, 'effect')));
    else if (!taintEffects.includes(eff)) errs.push(notSupported(child(p, 'effect'), eff, taintEffects));
    const set = unique.get(eff) ?? new Set<string>();
    if (set.has(k)) {
      errs.push({ type: 'FieldValueDuplicate', field: p, badValue: taint, detail: 'taints must be unique by key and effect pair' });
      return;
    }
    set.add(k);
    unique.set(eff, set);
  });
  return errs;
}

function validateNodeResources(node: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const status = asObj(node.status) ?? {};
  for (const which of ['capacity', 'allocatable']) {
    for (const [k, v] of Object.entries(asObj(status[which]) ?? {})) {
      const q = tryParseQuantity(v);
      if (q) errs.push(...validateResourceQuantityValue(k, q, `status.${which}.${k}`));
    }
  }
  return errs;
}

function validatePodCIDRs(s: Obj): FieldError[] {
  const errs: FieldError[] = [];
  const cidrs = asArr(s.podCIDRs).map(str);
  cidrs.forEach((c, i) => errs.push(...eachInvalid(index('spec.podCIDRs', i), c, isValidCIDR(c))));
  if (cidrs.length > 1) {
    const fam = (c: string) => parseIP(c.split('/')[0]);
    if (cidrs.length > 2 || fam(cidrs[0]) === fam(cidrs[1])) errs.push(invalid('spec.podCIDRs', cidrs, 'may specify no more than one CIDR for each IP family'));
    const seen = new Set<string>();
    cidrs.forEach((c, i) => {
      if (seen.has(c)) errs.push(duplicate(index('spec.podCIDRs', i), c));
      seen.add(c);
    });
  }
  return errs;
}

export function validateNode(node: KubeObject): FieldError[] {
  const errs = validateObjectMeta(node.metadata, false, nameIsDNSSubdomain);
  const s = spec(node);
  // Kubernetes reports taint errors under metadata.taints
  if (asArr(s.taints).length) errs.push(...validateNodeTaints(s.taints, 'metadata.taints'));
  errs.push(...validateNodeResources(node));
  if (asArr(s.podCIDRs).length) errs.push(...validatePodCIDRs(s));
  return errs;
}

export function validateNodeUpdate(node: KubeObject, old: KubeObject): FieldError[] {
  const errs = validateObjectMetaUpdate(node.metadata, old.metadata);
  errs.push(...validateNodeResources(node));
  const seen = new Set<string>();
  asArr(asObj(node.status)?.addresses).forEach((a, i) => {
    const k = JSON.stringify([str(asObj(a)?.type), str(asObj(a)?.address)]);
    if (seen.has(k)) errs.push(duplicate(index('status.addresses', i), a));
    seen.add(k);
  });
  const s = spec(node);
  const o = spec(old);
  const oc = asArr(o.podCIDRs).map(str);
  const nc = asArr(s.podCIDRs).map(str);
  if (oc.length > 0) {
    if (oc.length !== nc.length) errs.push(forbidden('spec.podCIDRs', 'may not change once set'));
    else oc.forEach((c, i) => { if (c !== nc[i]) errs.push(forbidden(index('spec.podCIDRs', i), 'may not change once set')); });
  }
  if (str(o.providerID) && str(o.providerID) !== str(s.providerID)) errs.push(forbidden('spec.providerID', 'must not be changed once set'));
  if (asArr(s.taints).length) errs.push(...validateNodeTaints(s.taints, 'metadata.taints'));
  if (str(s.externalID) !== str(o.externalID)) errs.push(forbidden('spec.externalID', 'may not be updated'));
  return errs;
}

// ---------------------------------------------------------------- Event (core/v1)

function zeroTime(v: unknown): boolean {
  return v === undefined || v === null || v === '' || v === '0001-01-01T00:00:00Z';
}

/** Legacy (core/v1) event validation, which is all a v1 Event gets. */
export function validateEventV1(ev: KubeObject, reportingControllerField = 'reportingComponent'): FieldError[] {
  const errs: FieldError[] = [];
  const ns = ev.metadata.namespace ?? '';
  const io = asObj(ev.involvedObject) ?? {};
  const ioNs = str(io.namespace);
  if (zeroTime(ev.eventTime)) {
    if (!ioNs) {
      if (ns !== '' && ns !== 'default') errs.push(invalid('involvedObject.namespace', ioNs, 'does not match event.namespace'));
    } else if (ns !== ioNs) errs.push(invalid('involvedObject.namespace', ioNs, 'does not match event.namespace'));
  } else {
    if (!ioNs && ns !== 'default' && ns !== 'kube-system') errs.push(invalid('involvedObject.namespace', ioNs, 'does not match event.namespace'));
    const rc = str(ev.reportingComponent);
    if (!rc) errs.push(required(reportingControllerField));
    errs.push(...eachInvalid(reportingControllerField, rc, isQualifiedName(rc)));
    const ri = str(ev.reportingInstance);
    if (!ri) errs.push(required('reportingInstance'));
    if (ri.length > 128) errs.push(invalid('reportingInstance', '', 'can have at most 128 characters'));
    const action = str(ev.action);
    if (!action) errs.push(required('action'));
    if (action.length > 128) errs.push(invalid('action', '', 'can have at most 128 characters'));
    const reason = str(ev.reason);
    if (!reason) errs.push(required('reason'));
    if (reason.length > 128) errs.push(invalid('reason', '', 'can have at most 128 characters'));
    if (str(ev.message).length > 1024) errs.push(invalid('message', '', 'can have at most 1024 characters'));
  }
  errs.push(...eachInvalid('namespace', ns, isDNS1123Subdomain(ns)));
  return errs;
}
/** core/v1 Event updates get only the legacy checks (Kubernetes keeps v1 events lenient). */
export function validateEventV1Update(ev: KubeObject, old: KubeObject): FieldError[] {
  void old;
  return validateEventV1(ev);
}

// ---------------------------------------------------------------- PVC, PV

export function validatePersistentVolumeClaim(pvc: KubeObject): FieldError[] {
  return validateObjectMeta(pvc.metadata, true, nameIsDNSSubdomain).concat(validatePVCSpec(spec(pvc), 'spec'));
}

export function validatePersistentVolumeClaimUpdate(pvc: KubeObject, old: KubeObject): FieldError[] {
  const errs = validateObjectMetaUpdate(pvc.metadata, old.metadata);
  errs.push(...validatePersistentVolumeClaim(pvc));
  const ns = structuredClone(spec(pvc));
  const os = structuredClone(spec(old));
  if (!str(os.volumeName)) os.volumeName = ns.volumeName;
  const bound = str(asObj(pvc.status)?.phase) === 'Bound';
  const nreq = asObj(asObj(ns.resources)?.requests);
  if (bound && nreq) nreq.storage = asObj(asObj(os.resources)?.requests)?.storage;
  if (bound) ns.volumeAttributesClassName = os.volumeAttributesClassName;
  const canon = (o: Obj) => {
    const r = asObj(asObj(o.resources)?.requests);
    if (r) for (const [k, v] of Object.entries(r)) { const q = tryParseQuantity(v); if (q) r[k] = q.toString(); }
  };
  canon(ns); canon(os);
  if (!semanticEqual(ns, os)) {
    const diff = Object.keys({ ...os, ...ns }).filter((k) => !semanticEqual(os[k], ns[k]))
      .map((k) => `- \t${k.charAt(0).toUpperCase() + k.slice(1)}: ${JSON.stringify(os[k] ?? null)},\n+ \t${k.charAt(0).toUpperCase() + k.slice(1)}: ${JSON.stringify(ns[k] ?? null)},`).join('\n');
    errs.push(forbidden('spec', `spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims\n  core.PersistentVolumeClaimSpec{\n${diff}\n  }\n`));
  }
  const oldSize = tryParseQuantity(asObj(asObj(spec(old).resources)?.requests)?.storage);
  const newSize = tryParseQuantity(asObj(asObj(spec(pvc).resources)?.requests)?.storage);
  if (oldSize && newSize && newSize.cmp(oldSize) < 0) {
    const statusSize = tryParseQuantity(asObj(asObj(old.status)?.capacity)?.storage) ?? new Quantity(0n);
    if (newSize.cmp(statusSize) <= 0) errs.push(forbidden('spec.resources.requests.storage', 'field can not be less than status.capacity'));
  }
  errs.push(...validateImmutableField(spec(pvc).volumeMode, spec(old).volumeMode, 'volumeMode'));
  return errs;
}

const pvSourceKeys = [
  'gcePersistentDisk', 'awsElasticBlockStore', 'hostPath', 'glusterfs', 'nfs', 'rbd', 'iscsi', 'cinder', 'cephfs', 'fc', 'flocker',
  'flexVolume', 'azureFile', 'vsphereVolume', 'quobyte', 'azureDisk', 'photonPersistentDisk', 'portworxVolume', 'scaleIO', 'local',
  'storageos', 'csi',
];

export function validatePersistentVolume(pv: KubeObject): FieldError[] {
  const errs = validateObjectMeta(pv.metadata, false, nameIsDNSSubdomain);
  const s = spec(pv);
  const modes = asArr(s.accessModes).map(str);
  if (modes.length === 0) errs.push(required('spec.accessModes'));
  for (const m of modes) if (!accessModes.includes(m)) errs.push(notSupported('spec.accessModes', m, accessModes));
  const cap = asObj(s.capacity) ?? {};
  if (Object.keys(cap).length === 0) errs.push(required('spec.capacity'));
  if (!('storage' in cap) || Object.keys(cap).length > 1) errs.push(notSupported('spec.capacity', cap, ['storage']));
  for (const [k, v] of Object.entries(cap)) errs.push(...positiveQuantity(v, key('spec.capacity', k)));
  const rp = str(s.persistentVolumeReclaimPolicy);
  if (rp && !['Delete', 'Recycle', 'Retain'].includes(rp)) errs.push(notSupported('spec.persistentVolumeReclaimPolicy', rp, ['Delete', 'Recycle', 'Retain']));
  let n = 0;
  for (const k of pvSourceKeys) {
    const src = asObj(s[k]);
    if (!src) continue;
    if (n > 0) { errs.push(forbidden(child('spec', k), 'may not specify more than 1 volume type')); continue; }
    n++;
    if (k === 'hostPath') {
      if (!str(src.path)) errs.push(required('spec.hostPath.path'));
      else if (str(src.path).split('/').includes('..')) errs.push(invalid('spec.hostPath.path', src.path, "must not contain '..'"));
    } else if (k === 'local') {
      if (!str(src.path)) errs.push(required('spec.local.path'));
    } else if (k === 'nfs') {
      if (!str(src.server)) errs.push(required('spec.nfs.server'));
      if (!str(src.path)) errs.push(required('spec.nfs.path'));
    } else if (k === 'csi') {
      if (!str(src.driver)) errs.push(required('spec.csi.driver'));
      if (!str(src.volumeHandle)) errs.push(required('spec.csi.volumeHandle'));
    }
  }
  if (n === 0) errs.push(required('spec', 'must specify a volume type'));
  if (asObj(s.local) && !asObj(s.nodeAffinity)) errs.push(required('spec.nodeAffinity', 'Local volume requires node affinity'));
  if (s.volumeMode !== undefined && s.volumeMode !== null && s.volumeMode !== 'Block' && s.volumeMode !== 'Filesystem') {
    errs.push(notSupported('spec.volumeMode', s.volumeMode, ['Block', 'Filesystem']));
  }
  if (typeof s.storageClassName === 'string' && s.storageClassName) {
    errs.push(...eachInvalid('spec.storageClassName', s.storageClassName, isDNS1123Subdomain(s.storageClassName)));
  }
  return errs;
}

export function validatePersistentVolumeUpdate(pv: KubeObject, old: KubeObject): FieldError[] {
  const errs = validateObjectMetaUpdate(pv.metadata, old.metadata).concat(validatePersistentVolume(pv));
  const s = spec(pv);
  const o = spec(old);
  for (const k of pvSourceKeys) {
    if (!semanticEqual(s[k], o[k]) && o[k] !== undefined) {
      errs.push(forbidden('spec.persistentvolumesource', 'spec.persistentvolumesource is immutable after creation'));
      break;
    }
  }
  errs.push(...validateImmutableField(s.volumeMode, o.volumeMode, 'volumeMode'));
  if (o.nodeAffinity !== undefined && o.nodeAffinity !== null) errs.push(...validateImmutableField(s.nodeAffinity, o.nodeAffinity, 'nodeAffinity'));
  return errs;
}

// ---------------------------------------------------------------- LimitRange, ResourceQuota

const limitTypes = new Set(['Container', 'Pod', 'PersistentVolumeClaim']);
const standardContainerResources = new Set(['cpu', 'memory', 'ephemeral-storage']);
const standardResources = new Set([
  'cpu', 'memory', 'ephemeral-storage', 'requests.cpu', 'requests.memory', 'requests.ephemeral-storage', 'limits.cpu', 'limits.memory',
  'limits.ephemeral-storage', 'pods', 'services', 'replicationcontrollers', 'resourcequotas', 'secrets', 'persistentvolumeclaims',
  'storage', 'requests.storage', 'services.nodeports', 'services.loadbalancers', 'configmaps',
]);
const standardQuotaResources = new Set([
  'cpu', 'memory', 'ephemeral-storage', 'requests.cpu', 'requests.memory', 'requests.storage', 'requests.ephemeral-storage',
  'limits.cpu', 'limits.memory', 'limits.ephemeral-storage', 'pods', 'services', 'replicationcontrollers', 'resourcequotas',
  'secrets', 'persistentvolumeclaims', 'configmaps', 'services.nodeports', 'services.loadbalancers',
]);

function validateResourceName(name: string, field: string): FieldError[] {
  const errs = eachInvalid(field, name, isQualifiedName(name));
  if (errs.length) return errs;
  if (!name.includes('/') && !standardResources.has(name) && !name.startsWith('hugepages-')) {
    return [invalid(field, name, 'must be a standard resource type or fully qualified')];
  }
  return [];
}

function validateLimitRangeResourceName(type: string, name: string, field: string): FieldError[] {
  if (type === 'Pod' || type === 'Container') {
    const errs = validateResourceName(name, field);
    if (!name.includes('/') && !standardContainerResources.has(name) && !name.startsWith('hugepages-')) {
      return errs.concat(invalid(field, name, 'must be a standard resource for containers'));
    }
    return errs;
  }
  return validateResourceName(name, field);
}

export function validateLimitRange(lr: KubeObject): FieldError[] {
  const errs = validateObjectMeta(lr.metadata, true, nameIsDNSSubdomain);
  const types = new Set<string>();
  asArr(spec(lr).limits).forEach((l, i) => {
    const limit = asObj(l) ?? {};
    const p = index('spec.limits', i);
    const type = str(limit.type);
    errs.push(...eachInvalid(child(p, 'type'), type, isQualifiedName(type)));
    if (!type.includes('/') && !limitTypes.has(type)) errs.push(invalid(child(p, 'type'), type, 'must be a standard limit type or fully qualified'));
    if (types.has(type)) errs.push(duplicate(child(p, 'type'), type));
    types.add(type);
    const keys = new Set<string>();
    const read = (which: string): Map<string, Quantity> => {
      const m = new Map<string, Quantity>();
      for (const [k, v] of Object.entries(asObj(limit[which]) ?? {})) {
        errs.push(...validateLimitRangeResourceName(type, k, key(child(p, which), k)));
        keys.add(k);
        const q = tryParseQuantity(v);
        if (q) m.set(k, q);
      }
      return m;
    };
    const max = read('max');
    const min = read('min');
    let defaults = new Map<string, Quantity>();
    let defReq = new Map<string, Quantity>();
    if (type === 'Pod') {
      if (Object.keys(asObj(limit.default) ?? {}).length) errs.push(forbidden(child(p, 'default'), "may not be specified when `type` is 'Pod'"));
      if (Object.keys(asObj(limit.defaultRequest) ?? {}).length) errs.push(forbidden(child(p, 'defaultRequest'), "may not be specified when `type` is 'Pod'"));
    } else {
      defaults = read('default');
      defReq = read('defaultRequest');
    }
    if (type === 'PersistentVolumeClaim' && !min.has('storage') && !max.has('storage')) {
      errs.push(required(child(p, 'limits'), 'either minimum or maximum storage value is required, but neither was provided'));
    }
    const ratios = read('maxLimitRequestRatio');
    for (const k of keys) {
      const mn = min.get(k);
      const mx = max.get(k);
      const df = defaults.get(k);
      const dr = defReq.get(k);
      const ratio = ratios.get(k);
      if (mn && mx && mn.cmp(mx) > 0) errs.push(invalid(key(child(p, 'min'), k), mn.toString(), `min value ${mn} is greater than max value ${mx}`));
      if (dr && mn && mn.cmp(dr) > 0) errs.push(invalid(key(child(p, 'defaultRequest'), k), dr.toString(), `min value ${mn} is greater than default request value ${dr}`));
      if (dr && mx && dr.cmp(mx) > 0) errs.push(invalid(key(child(p, 'defaultRequest'), k), dr.toString(), `default request value ${dr} is greater than max value ${mx}`));
      if (dr && df && dr.cmp(df) > 0) errs.push(invalid(key(child(p, 'defaultRequest'), k), dr.toString(), `default request value ${dr} is greater than default limit value ${df}`));
      if (df && mn && mn.cmp(df) > 0) errs.push(invalid(key(child(p, 'default'), k), mn.toString(), `min value ${mn} is greater than default value ${df}`));
      if (df && mx && df.cmp(mx) > 0) errs.push(invalid(key(child(p, 'default'), k), mx.toString(), `default value ${df} is greater than max value ${mx}`));
      if (ratio && ratio.cmp(new Quantity(1_000_000_000n)) < 0) errs.push(invalid(key(child(p, 'maxLimitRequestRatio'), k), ratio.toString(), `ratio ${ratio} is less than 1`));
      if (ratio && mn && mx) {
        const limitRatio = Number(mx.milliValue()) / Number(mn.milliValue());
        if (Number(ratio.milliValue()) / 1000 > limitRatio) {
          errs.push(invalid(key(child(p, 'maxLimitRequestRatio'), k), ratio.toString(), `ratio ${ratio} is greater than max/min = ${limitRatio.toFixed(6)}`));
        }
      }
      const overcommit = (!k.includes('/') || k.includes('kubernetes.io/')) && !k.startsWith('hugepages-');
      if (!overcommit && df && dr && df.cmp(dr) !== 0) {
        errs.push(invalid(key(child(p, 'defaultRequest'), k), dr.toString(), `default value ${df} must equal to defaultRequest value ${dr} in ${k}`));
      }
    }
  });
  return errs;
}
export function validateLimitRangeUpdate(lr: KubeObject, old: KubeObject): FieldError[] {
  return validateObjectMetaUpdate(lr.metadata, old.metadata).concat(validateLimitRange(lr));
}

const quotaScopes = ['BestEffort', 'CrossNamespacePodAffinity', 'NotBestEffort', 'NotTerminating', 'PriorityClass', 'Terminating', 'VolumeAttributesClass'];

function validateQuotaList(list: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(asObj(list) ?? {})) {
    const fp = key(field, k);
    const nameErrs = eachInvalid(fp, k, isQualifiedName(k));
    errs.push(...nameErrs);
    if (!nameErrs.length && !k.includes('/') && !standardQuotaResources.has(k) && !k.startsWith('hugepages-') && !k.startsWith('requests.hugepages-')) {
      errs.push(invalid(fp, k, 'must be a standard resource for quota'));
    }
    const q = tryParseQuantity(v);
    if (q) errs.push(...validateResourceQuantityValue(k, q, fp));
  }
  return errs;
}

export function validateResourceQuota(rq: KubeObject): FieldError[] {
  const errs = validateObjectMeta(rq.metadata, true, nameIsDNSSubdomain);
  const s = spec(rq);
  errs.push(...validateQuotaList(s.hard, 'spec.hard'));
  asArr(s.scopes).forEach((sc) => {
    if (!quotaScopes.includes(str(sc))) errs.push(notSupported('spec.scopes', sc, quotaScopes));
  });
  const st = asObj(rq.status) ?? {};
  errs.push(...validateQuotaList(st.hard, 'status.hard'));
  errs.push(...validateQuotaList(st.used, 'status.used'));
  return errs;
}
export function validateResourceQuotaUpdate(rq: KubeObject, old: KubeObject): FieldError[] {
  return validateObjectMetaUpdate(rq.metadata, old.metadata).concat(validateResourceQuota(rq));
}

// ---------------------------------------------------------------- ReplicationController

export function validateReplicationControllerSpec(s: Obj, field: string): FieldError[] {
  const errs = validateNonnegativeField(typeof s.minReadySeconds === 'number' ? s.minReadySeconds : undefined, child(field, 'minReadySeconds'));
  const selector = (asObj(s.selector) ?? {}) as Record<string, string>;
  if (Object.keys(selector).length === 0) errs.push(required(child(field, 'selector')));
  errs.push(...validateNonnegativeField(typeof s.replicas === 'number' ? s.replicas : undefined, child(field, 'replicas')));
  const tpl = asObj(s.template);
  const tp = child(field, 'template');
  if (!tpl) errs.push(required(tp));
  else {
    const labels = (asObj(asObj(tpl.metadata)?.labels) ?? {}) as Record<string, string>;
    if (Object.keys(selector).length > 0 && !Object.entries(selector).every(([k, v]) => labels[k] === v)) {
      errs.push(invalid(child(tp, 'metadata', 'labels'), labels, '`selector` does not match template `labels`'));
    }
    errs.push(...validatePodTemplateSpec(tpl, tp));
    const rp = str(asObj(tpl.spec)?.restartPolicy);
    if (rp !== 'Always') errs.push(notSupported(child(tp, 'spec', 'restartPolicy'), rp, ['Always']));
    if (asObj(tpl.spec)?.activeDeadlineSeconds !== undefined && asObj(tpl.spec)?.activeDeadlineSeconds !== null) {
      errs.push(forbidden(child(tp, 'spec', 'activeDeadlineSeconds'), 'activeDeadlineSeconds in ReplicationController is not Supported'));
    }
  }
  return errs;
}

export function validateReplicationController(rc: KubeObject): FieldError[] {
  return validateObjectMeta(rc.metadata, true, nameIsDNSSubdomain).concat(validateReplicationControllerSpec(spec(rc), 'spec'));
}
export function validateReplicationControllerUpdate(rc: KubeObject, old: KubeObject): FieldError[] {
  return validateObjectMetaUpdate(rc.metadata, old.metadata).concat(validateReplicationControllerSpec(spec(rc), 'spec'));
}
export function validateReplicationControllerStatusUpdate(rc: KubeObject, old: KubeObject): FieldError[] {
  const errs = validateObjectMetaUpdate(rc.metadata, old.metadata);
  return errs.concat(validateReplicaStatus(asObj(rc.status) ?? {}, 'status'));
}

/** Replica counts in a status (RC, ReplicaSet, Deployment share these rules). */
export function validateReplicaStatus(st: Obj, field: string, extra: string[] = []): FieldError[] {
  const errs: FieldError[] = [];
  for (const f of ['replicas', 'fullyLabeledReplicas', 'readyReplicas', 'availableReplicas', 'observedGeneration', ...extra]) {
    const v = st[f];
    if (typeof v === 'number') errs.push(...validateNonnegativeField(v, child(field, f)));
  }
  const n = (k: string) => (typeof st[k] === 'number' ? (st[k] as number) : 0);
  if ('fullyLabeledReplicas' in st && n('fullyLabeledReplicas') > n('replicas')) errs.push(invalid(child(field, 'fullyLabeledReplicas'), n('fullyLabeledReplicas'), 'cannot be greater than the number of replicas'));
  if (n('readyReplicas') > n('replicas')) errs.push(invalid(child(field, 'readyReplicas'), n('readyReplicas'), 'cannot be greater than the number of replicas'));
  if (n('availableReplicas') > n('replicas')) errs.push(invalid(child(field, 'availableReplicas'), n('availableReplicas'), 'cannot be greater than the number of replicas'));
  if (n('availableReplicas') > n('readyReplicas')) errs.push(invalid(child(field, 'availableReplicas'), n('availableReplicas'), 'cannot be greater than readyReplicas'));
  return errs;
}


