/**
 * `metadata.managedFields` decoded into per-manager field sets and encoded back, as the API
 * server's field manager does: a manager is identified by (manager, operation, apiVersion for
 * updates, subresource); entries are sorted by operation, time, manager, apiVersion, subresource.
 */
import type { ManagedFieldsEntry } from '../../../api/object.js';
import { FieldSet, fieldElement, type Path } from './field-set.js';
import { cloneJson } from '../../object-codec.js';

export interface VersionedSet {
  set: FieldSet;
  apiVersion: string;
  applied: boolean;
}

/** Manager identifier → fields, and identifier → time. */
export interface Managed {
  fields: Map<string, VersionedSet>;
  times: Map<string, string | undefined>;
}

export function emptyManaged(): Managed {
  return { fields: new Map(), times: new Map() };
}

export function cloneManaged(m: Managed): Managed {
  return { fields: new Map(m.fields), times: new Map(m.times) };
}

interface Identity {
  manager?: string;
  operation?: string;
  apiVersion?: string;
  subresource?: string;
}

/** The JSON identifier Kubernetes uses (ManagedFieldsEntry without fields and time; no apiVersion for Apply). */
export function managerIdentifier(e: Identity): string {
  const id: Record<string, string> = {};
  if (e.manager) id.manager = e.manager;
  if (e.operation) id.operation = e.operation;
  if (e.apiVersion && e.operation !== 'Apply') id.apiVersion = e.apiVersion;
  if (e.subresource) id.subresource = e.subresource;
  return JSON.stringify(id);
}

export function parseIdentifier(id: string): Identity {
  try {
    const v = JSON.parse(id) as Identity;
    return typeof v === 'object' && v !== null ? v : {};
  } catch {
    return { manager: id };
  }
}

/**
 * Decoded field sets by their FieldsV1 JSON, and each decoded set's FieldsV1: most writes leave
 * most managers' entries as they were, so the same few texts are decoded and encoded again on every
 * write of an object (a pod's status patch re-read the scheduler's, the kubelet's and the creator's
 * sets). FieldSets are never changed once built (every operation makes a new set), so one decoded
 * set may be shared by all the objects whose entry has that text.
 */
const decodedSets = new Map<string, FieldSet>();
/** Least recently used texts go first: entries unique to one object (a pod's podIPs key) pass through. */
const decodedSetsMax = 512;
const encodedSets = new WeakMap<FieldSet, Record<string, unknown>>();

function decodeSet(fields: unknown): FieldSet {
  if (fields === undefined || fields === null || typeof fields !== 'object' || Array.isArray(fields)) return FieldSet.fromFieldsV1(fields);
  const key = JSON.stringify(fields);
  let set = decodedSets.get(key);
  if (set === undefined) {
    set = FieldSet.fromFieldsV1(fields);
    if (decodedSets.size >= decodedSetsMax) decodedSets.delete(decodedSets.keys().next().value!);
  } else {
    decodedSets.delete(key);
  }
  decodedSets.set(key, set);
  return set;
}

/** set.toFieldsV1(), memoized per set (a fresh copy each time: callers own what they get). */
function encodeSet(set: FieldSet): Record<string, unknown> {
  let out = encodedSets.get(set);
  if (out === undefined) {
    out = set.toFieldsV1();
    encodedSets.set(set, out);
  }
  return cloneJson(out);
}

export function decodeManagedFields(entries: ManagedFieldsEntry[] | undefined): Managed {
  const m = emptyManaged();
  (entries ?? []).forEach((e, i) => {
    if (e.operation !== 'Apply' && e.operation !== 'Update') throw new Error('operation must be `Apply` or `Update`');
    if (!e.apiVersion) throw new Error('apiVersion must not be empty');
    if (e.fieldsType === undefined || (e.fieldsType as string) === '') throw new Error(`missing fieldsType in managed fields entry ${i}`);
    if (e.fieldsType !== 'FieldsV1') throw new Error(`invalid fieldsType ${JSON.stringify(e.fieldsType)} in managed fields entry ${i}`);
    const id = managerIdentifier(e);
    let set: FieldSet;
    try {
      set = decodeSet(e.fieldsV1 ?? {});
    } catch (err) {
      throw new Error(`error decoding versioned set from ${JSON.stringify(e)}: error decoding set: ${(err as Error).message}`);
    }
    m.fields.set(id, { set, apiVersion: e.apiVersion, applied: e.operation === 'Apply' });
    m.times.set(id, e.time);
  });
  return m;
}

function seconds(t: string | undefined): number {
  if (!t) return 0;
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? 0 : Math.floor(ms / 1000);
}

export function encodeManagedFields(m: Managed): ManagedFieldsEntry[] | undefined {
  if (m.fields.size === 0) return undefined;
  const out: ManagedFieldsEntry[] = [];
  for (const [id, vs] of m.fields) {
    const ident = parseIdentifier(id);
    const e: ManagedFieldsEntry = {};
    if (ident.manager) e.manager = ident.manager;
    e.operation = vs.applied ? 'Apply' : (ident.operation as 'Apply' | 'Update' | undefined) ?? 'Update';
    e.apiVersion = vs.apiVersion;
    const t = m.times.get(id);
    if (t) e.time = t;
    e.fieldsType = 'FieldsV1';
    e.fieldsV1 = encodeSet(vs.set);
    if (ident.subresource) e.subresource = ident.subresource;
    out.push(e);
  }
  const str = (s: string | undefined): string => s ?? '';
  out.sort((p, q) => {
    if (p.operation !== q.operation) return str(p.operation) < str(q.operation) ? -1 : 1;
    const ps = seconds(p.time);
    const qs = seconds(q.time);
    if (ps !== qs) return ps - qs;
    if (p.manager !== q.manager) return str(p.manager) < str(q.manager) ? -1 : 1;
    if (p.apiVersion !== q.apiVersion) return str(p.apiVersion) < str(q.apiVersion) ? -1 : 1;
    return str(p.subresource) < str(q.subresource) ? -1 : str(p.subresource) > str(q.subresource) ? 1 : 0;
  });
  return out;
}

/** Fields no manager keeps: identity and bookkeeping of the object (stripMetaManager). */
const stripPaths: Path[] = [
  [fieldElement('apiVersion')],
  [fieldElement('kind')],
  [fieldElement('metadata')],
  ...['name', 'namespace', 'creationTimestamp', 'selfLink', 'uid', 'clusterName', 'generation', 'managedFields', 'resourceVersion']
    .map((n) => [fieldElement('metadata'), fieldElement(n)]),
];
export const stripSet = FieldSet.of(...stripPaths);

/** Remove the bookkeeping fields from one manager's set; drop the manager when nothing is left. */
export function stripMeta(m: Managed, id: string): void {
  const vs = m.fields.get(id);
  if (!vs) return;
  const s = vs.set.difference(stripSet);
  if (s.empty()) m.fields.delete(id);
  else m.fields.set(id, { ...vs, set: s });
}

export const maxUpdateManagers = 10;

/** More than ten Update managers: the oldest are merged into "ancient-changes" per apiVersion. */
export function capUpdateManagers(m: Managed): void {
  const updaters = [...m.fields.entries()].filter(([, vs]) => !vs.applied).map(([id]) => id);
  if (updaters.length <= maxUpdateManagers) return;
  updaters.sort((a, b) => {
    const as = seconds(m.times.get(a));
    const bs = seconds(m.times.get(b));
    if (as !== bs) return as - bs;
    return a < b ? -1 : a > b ? 1 : 0;
  });
  const firstOfVersion = new Map<string, string>();
  let length = updaters.length;
  for (let i = 0; i < updaters.length && length > maxUpdateManagers; i++) {
    const id = updaters[i];
    const vs = m.fields.get(id);
    if (!vs) continue;
    const time = m.times.get(id);
    const bucket = managerIdentifier({ manager: 'ancient-changes', operation: 'Update', apiVersion: vs.apiVersion });
    const first = firstOfVersion.get(vs.apiVersion);
    if (first !== undefined) {
      if (!m.fields.has(bucket)) {
        const s = m.fields.get(first);
        m.fields.delete(first);
        if (s) m.fields.set(bucket, s);
      }
      const b = m.fields.get(bucket);
      m.fields.set(bucket, { set: vs.set.union(b ? b.set : new FieldSet()), apiVersion: vs.apiVersion, applied: vs.applied });
      m.fields.delete(id);
      length--;
      m.times.set(bucket, time);
    } else {
      firstOfVersion.set(vs.apiVersion, id);
    }
  }
}

/** Longest field manager name Kubernetes accepts. */
export const fieldManagerMaxLength = 128;

/**
 * The manager of a write: `?fieldManager=` when given, else the User-Agent up to its first `/`
 * without unprintable characters, cut at 128 bytes (Kubernetes' managerOrUserAgent).
 */
export function managerOrUserAgent(fieldManager: string | undefined, userAgent: string | undefined): string {
  if (fieldManager) return fieldManager;
  const prefix = (userAgent ?? '').split('/')[0];
  let out = '';
  let bytes = 0;
  for (const ch of prefix) {
    if (/[\p{Cc}\p{Cf}\p{Co}\p{Cn}\p{Zl}\p{Zp}]/u.test(ch) || (/\p{Zs}/u.test(ch) && ch !== ' ')) continue;
    const len = Buffer.byteLength(ch);
    if (bytes + len > fieldManagerMaxLength) break;
    out += ch;
    bytes += len;
  }
  return out;
}
