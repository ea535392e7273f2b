/**
 * The remaining groups: coordination.k8s.io Lease, discovery.k8s.io EndpointSlice,
 * events.k8s.io Event, policy PodDisruptionBudget, scheduling.k8s.io PriorityClass.
 */
import type { FieldError } from '../errors.js';
import type { KubeObject } from '../object.js';
import { isDNS1123Label, isDNS1123Subdomain, isQualifiedName, isValidPercent, parseIP } from '../names.js';
import {
  asArr, asObj, child, duplicate, eachInvalid, forbidden, index, invalid, notSupported, type Obj, required, str,
  validateImmutableField,
} from './field.js';
import { nameIsDNSSubdomain, validateObjectMeta, validateObjectMetaUpdate } from './objectmeta.js';
import { validateLabelSelector } from './selector.js';
import { validateEventV1 } from './core.js';

function spec(o: KubeObject): Obj {
  return asObj(o.spec) ?? {};
}

// ---------------------------------------------------------------- Lease

export function validateLease(l: KubeObject): FieldError[] {
  const errs = validateObjectMeta(l.metadata, true, nameIsDNSSubdomain);
  const s = spec(l);
  if (typeof s.leaseDurationSeconds === 'number' && s.leaseDurationSeconds <= 0) errs.push(invalid('spec.leaseDurationSeconds', s.leaseDurationSeconds, 'must be greater than 0'));
  if (typeof s.leaseTransitions === 'number' && s.leaseTransitions < 0) errs.push(invalid('spec.leaseTransitions', s.leaseTransitions, 'must be greater than or equal to 0'));
  if (s.strategy !== undefined && s.strategy !== null) {
    const st = str(s.strategy);
    if (st !== 'OldestEmulationVersion') errs.push(notSupported('spec.strategy', st, ['OldestEmulationVersion']));
  }
  if (str(s.preferredHolder) && !str(s.strategy)) errs.push(forbidden('spec.preferredHolder', 'may only be specified if `strategy` is defined'));
  return errs;
}
export function validateLeaseUpdate(l: KubeObject, old: KubeObject): FieldError[] {
  return validateObjectMetaUpdate(l.metadata, old.metadata).concat(validateLease(l));
}

// ---------------------------------------------------------------- EndpointSlice

const addressTypes = ['FQDN', 'IPv4', 'IPv6'];
const protocols = ['SCTP', 'TCP', 'UDP'];

function nonSpecial(ip: string, field: string): FieldError[] {
  if (ip === '0.0.0.0' || ip === '::') return [invalid(field, ip, `may not be unspecified (${ip})`)];
  if (ip.startsWith('127.') || ip === '::1') return [invalid(field, ip, 'may not be in the loopback range (127.0.0.0/8, ::1/128)')];
  if (ip.startsWith('224.0.0.') || /^ff02:/i.test(ip)) return [invalid(field, ip, 'may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)')];
  if (ip.startsWith('169.254.') || /^fe[89ab][0-9a-f]:/i.test(ip)) return [invalid(field, ip, 'may not be in the link-local range (169.254.0.0/16, fe80::/10)')];
  return [];
}

export function validateEndpointSlice(es: KubeObject): FieldError[] {
  const errs = validateObjectMeta(es.metadata, true, nameIsDNSSubdomain);
  const at = str(es.addressType);
  if (!at) errs.push(required('addressType'));
  else if (!addressTypes.includes(at)) errs.push(notSupported('addressType', at, addressTypes));
  const eps = asArr(es.endpoints);
  if (eps.length > 1000) errs.push({ type: 'FieldValueTooMany', field: 'endpoints', badValue: eps.length, detail: 'must have at most 1000 items' });
  eps.forEach((e, i) => {
    const ep = asObj(e) ?? {};
    const p = index('endpoints', i);
    const ap = child(p, 'addresses');
    const addrs = asArr(ep.addresses).map(str);
    if (addrs.length === 0) errs.push(required(ap, 'must contain at least 1 address'));
    else if (addrs.length > 100) errs.push({ type: 'FieldValueTooMany', field: ap, badValue: addrs.length, detail: 'must have at most 100 items' });
    addrs.forEach((a, j) => {
      const fp = index(ap, j);
      if (at === 'IPv4') {
        if (parseIP(a) !== 4) errs.push(invalid(fp, a, 'must be a valid IPv4 address'));
        else errs.push(...nonSpecial(a, fp));
      } else if (at === 'IPv6') {
        if (parseIP(a) !== 6) errs.push(invalid(fp, a, 'must be a valid IPv6 address'));
        else errs.push(...nonSpecial(a, fp));
      } else if (at === 'FQDN') {
        const name = a.endsWith('.') ? a.slice(0, -1) : a;
        if (!name) errs.push(required(fp));
        else {
          const sub = isDNS1123Subdomain(name);
          if (sub.length) errs.push(invalid(fp, name, sub.join(',')));
          else if (name.split('.').length < 2) errs.push(invalid(fp, name, 'should be a domain with at least two segments separated by dots'));
        }
      }
    });
    if (typeof ep.nodeName === 'string') errs.push(...eachInvalid(child(p, 'nodeName'), ep.nodeName, isDNS1123Subdomain(ep.nodeName)));
    if (typeof ep.hostname === 'string') errs.push(...eachInvalid(child(p, 'hostname'), ep.hostname, isDNS1123Label(ep.hostname)));
  });
  const names = new Set<string>();
  const ports = asArr(es.ports);
  if (ports.length > 20000) errs.push({ type: 'FieldValueTooMany', field: 'ports', badValue: ports.length, detail: 'must have at most 20000 items' });
  ports.forEach((pp, i) => {
    const port = asObj(pp) ?? {};
    const p = index('ports', i);
    const name = str(port.name);
    if (name) errs.push(...eachInvalid(child(p, 'name'), name, isDNS1123Label(name)));
    if (names.has(name)) errs.push(duplicate(child(p, 'name'), name));
    else names.add(name);
    if (port.protocol === undefined || port.protocol === null) errs.push(required(child(p, 'protocol')));
    else if (!protocols.includes(str(port.protocol))) errs.push(notSupported(child(p, 'protocol'), port.protocol, protocols));
    if (typeof port.appProtocol === 'string') errs.push(...eachInvalid(child(p, 'appProtocol'), port.appProtocol, isQualifiedName(port.appProtocol)));
  });
  return errs;
}
export function validateEndpointSliceUpdate(es: KubeObject, old: KubeObject): FieldError[] {
  const errs = validateObjectMetaUpdate(es.metadata, old.metadata).concat(validateEndpointSlice(es));
  return errs.concat(validateImmutableField(es.addressType, old.addressType, 'addressType'));
}

// ---------------------------------------------------------------- events.k8s.io Event

function zeroTime(v: unknown): boolean {
  return v === undefined || v === null || v === '' || v === '0001-01-01T00:00:00Z';
}

/** events.k8s.io/v1 Events get the strict validation (paths are the internal Event's field names, as Kubernetes reports them). */
export function validateEventsV1(ev: KubeObject): FieldError[] {
  // the legacy checks, on the internal shape
  const errs = validateEventV1(toInternalEvent(ev), 'reportingController');
  errs.push(...validateObjectMeta(ev.metadata, true, nameIsDNSSubdomain));
  const series = asObj(ev.series);
  if (series) {
    if (Number(series.count ?? 0) < 2) errs.push(invalid('series.count', '', 'should be at least 2'));
    if (zeroTime(series.lastObservedTime)) errs.push(required('series.lastObservedTime'));
  }
  if (zeroTime(ev.eventTime)) errs.push(required('eventTime'));
  const type = str(ev.type);
  if (type !== 'Normal' && type !== 'Warning') errs.push(invalid('type', '', `has invalid value: ${type}`));
  if (!zeroTime(ev.deprecatedFirstTimestamp)) errs.push(invalid('firstTimestamp', '', 'needs to be unset'));
  if (!zeroTime(ev.deprecatedLastTimestamp)) errs.push(invalid('lastTimestamp', '', 'needs to be unset'));
  if (Number(ev.deprecatedCount ?? 0) !== 0) errs.push(invalid('count', '', 'needs to be unset'));
  const src = asObj(ev.deprecatedSource);
  if (src && (str(src.component) || str(src.host))) errs.push(invalid('source', '', 'needs to be unset'));
  return errs;
}
function toInternalEvent(ev: KubeObject): KubeObject {
  return {
    metadata: ev.metadata,
    eventTime: ev.eventTime,
    involvedObject: ev.regarding,
    reportingComponent: ev.reportingController,
    reportingInstance: ev.reportingInstance,
    action: ev.action,
    reason: ev.reason,
    message: ev.note,
  };
}

/** ValidateEventUpdate for events.k8s.io: legacy checks, metadata, series, and the immutable fields. */
export function validateEventsV1Update(ev: KubeObject, old: KubeObject): FieldError[] {
  const errs = validateEventV1(toInternalEvent(ev), 'reportingController');
  errs.push(...validateObjectMetaUpdate(ev.metadata, old.metadata));
  const series = asObj(ev.series);
  if (!semanticEqualLoose(ev.series, old.series) && series) {
    if (Number(series.count ?? 0) < 2) errs.push(invalid('series.count', '', 'should be at least 2'));
    if (zeroTime(series.lastObservedTime)) errs.push(required('series.lastObservedTime'));
  }
  const pairs: [string, string][] = [
    ['regarding', 'involvedObject'], ['reason', 'reason'], ['note', 'message'], ['deprecatedSource', 'source'],
    ['deprecatedFirstTimestamp', 'firstTimestamp'], ['deprecatedLastTimestamp', 'lastTimestamp'], ['deprecatedCount', 'count'],
    ['reason', 'reason'], ['type', 'type'], ['eventTime', 'eventTime'], ['action', 'action'], ['related', 'related'],
    ['reportingController', 'reportingController'], ['reportingInstance', 'reportingInstance'],
  ];
  for (const [f, path] of pairs) errs.push(...validateImmutableField(ev[f], old[f], path));
  return errs;
}

function semanticEqualLoose(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

// ---------------------------------------------------------------- PodDisruptionBudget

function intOrPercent(v: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  if (typeof v === 'string') {
    errs.push(...isValidPercent(v).map((m) => invalid(field, v, m)));
    const pct = /^(\d+)%$/.exec(v);
    if (pct && Number(pct[1]) > 100) errs.push(invalid(field, v, 'must not be greater than 100%'));
  } else if (typeof v === 'number' && v < 0) errs.push(invalid(field, v, 'must be greater than or equal to 0'));
  return errs;
}

export function validatePodDisruptionBudget(pdb: KubeObject): FieldError[] {
  const errs = validateObjectMeta(pdb.metadata, true, nameIsDNSSubdomain);
  const s = spec(pdb);
  const has = (k: string) => s[k] !== undefined && s[k] !== null;
  if (has('minAvailable') && has('maxUnavailable')) errs.push(invalid('spec', s, 'minAvailable and maxUnavailable cannot be both set'));
  if (has('minAvailable')) errs.push(...intOrPercent(s.minAvailable, 'spec.minAvailable'));
  if (has('maxUnavailable')) errs.push(...intOrPercent(s.maxUnavailable, 'spec.maxUnavailable'));
  errs.push(...validateLabelSelector(s.selector, 'spec.selector'));
  if (has('unhealthyPodEvictionPolicy') && !['AlwaysAllow', 'IfHealthyBudget'].includes(str(s.unhealthyPodEvictionPolicy))) {
    errs.push(notSupported('spec.unhealthyPodEvictionPolicy', s.unhealthyPodEvictionPolicy, ['AlwaysAllow', 'IfHealthyBudget']));
  }
  return errs;
}
export function validatePodDisruptionBudgetUpdate(pdb: KubeObject, old: KubeObject): FieldError[] {
  return validateObjectMetaUpdate(pdb.metadata, old.metadata).concat(validatePodDisruptionBudget(pdb));
}
export function validatePodDisruptionBudgetStatusUpdate(pdb: KubeObject, old: KubeObject): FieldError[] {
  const errs = validateObjectMetaUpdate(pdb.metadata, old.metadata);
  const st = asObj(pdb.status) ?? {};
  for (const f of ['disruptionsAllowed', 'currentHealthy', 'desiredHealthy', 'expectedPods']) {
    if (typeof st[f] === 'number' && (st[f] as number) < 0) errs.push(invalid(child('status', f), st[f], 'must be greater than or equal to 0'));
  }
  return errs;
}

// ---------------------------------------------------------------- PriorityClass

export const HighestUserDefinablePriority = 1000000000;
const systemPriorityClasses: Record<string, number> = { 'system-node-critical': 2000001000, 'system-cluster-critical': 2000000000 };

export function validatePriorityClass(pc: KubeObject): FieldError[] {
  const errs = validateObjectMeta(pc.metadata, false, nameIsDNSSubdomain);
  const name = pc.metadata.name ?? '';
  const value = Number(pc.value ?? 0);
  const globalDefault = pc.globalDefault === true;
  if (name.startsWith('system-')) {
    let why = '';
    if (!(name in systemPriorityClasses)) why = `${name} is not a known system priority class`;
    else if (systemPriorityClasses[name] !== value) why = `value of ${name} PriorityClass must be ${systemPriorityClasses[name]}`;
    else if (globalDefault) why = `globalDefault of ${name} PriorityClass must be false`;
    if (why) errs.push(forbidden('metadata.name', `priority class names with 'system-' prefix are reserved for system use only. error: ${why}`));
  } else if (value > HighestUserDefinablePriority) {
    errs.push(forbidden('value', `maximum allowed value of a user defined priority is ${HighestUserDefinablePriority}`));
  }
  if (pc.preemptionPolicy !== undefined && pc.preemptionPolicy !== null) {
    const pp = str(pc.preemptionPolicy);
    if (!pp) errs.push(required('preemptionPolicy'));
    else if (pp !== 'PreemptLowerPriority' && pp !== 'Never') errs.push(notSupported('preemptionPolicy', pp, ['PreemptLowerPriority', 'Never']));
  }
  return errs;
}
export function validatePriorityClassUpdate(pc: KubeObject, old: KubeObject): FieldError[] {
  const errs = validateObjectMetaUpdate(pc.metadata, old.metadata);
  if (Number(pc.value ?? 0) !== Number(old.value ?? 0)) errs.push(forbidden('value', 'may not be changed in an update.'));
  return errs.concat(validateImmutableField(pc.preemptionPolicy, old.preemptionPolicy, 'preemptionPolicy'));
}
