/**
 * core/v1 Event and events.k8s.io/v1 Event. Both are stored as core Events under /registry/events
 * (as Kubernetes does); the events.k8s.io form is converted on the way in and out.
 */
import type { KubeObject } from '../object.js';
import { defineResource } from './define.js';
import { col, get, nameColumn, num, since, str } from './print-util.js';
import type { FieldGetter, TableCell } from './types.js';

type Obj = Record<string, unknown>;

function eventRow(o: KubeObject, now: number): TableCell[] {
  let first = since(o.firstTimestamp, now);
  if (!o.firstTimestamp) first = since(o.eventTime, now);
  let last = o.lastTimestamp ? since(o.lastTimestamp, now) : first;
  let count = num(o.count);
  const series = o.series as Obj | undefined;
  if (series) { last = since(series.lastObservedTime, now); count = num(series.count); } else if (count === 0) count = 1;
  const inv = (o.involvedObject ?? {}) as Obj;
  const target = str(inv.name) ? `${str(inv.kind).toLowerCase()}/${str(inv.name)}` : str(inv.kind).toLowerCase();
  const src = (o.source ?? {}) as Obj;
  const component = str(src.component) || str(o.reportingComponent);
  const instance = str(src.host) || str(o.reportingInstance);
  return [last, str(o.type), str(o.reason), target, str(inv.fieldPath), instance ? `${component}, ${instance}` : component, str(o.message).trim(), first, count, o.metadata.name ?? ''];
}

const columns = [
  col('Last Seen', 'The time at which the most recent occurrence of this event was recorded.'),
  col('Type', 'Type of this event (Normal, Warning), new types could be added in the future'),
  col('Reason', 'This should be a short, machine understandable string that gives the reason for the transition into the object\'s current status.'),
  col('Object', 'The object that this event is about.'),
  col('Subobject', 'If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement, such as desiredState.manifest.containers[2].', 1),
  col('Source', 'The component reporting this event. Should be a short machine understandable string.', 1),
  col('Message', 'A human-readable description of the status of this operation.'),
  col('First Seen', 'The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)', 1),
  col('Count', 'The number of times this event has occurred.', 1),
  { ...nameColumn, priority: 1 as const },
];

const inv = (k: string): FieldGetter => (o) => str(get(o, 'involvedObject', k));
const coreFields: Record<string, FieldGetter> = {
  'involvedObject.kind': inv('kind'),
  'involvedObject.namespace': inv('namespace'),
  'involvedObject.name': inv('name'),
  'involvedObject.uid': inv('uid'),
  'involvedObject.apiVersion': inv('apiVersion'),
  'involvedObject.resourceVersion': inv('resourceVersion'),
  'involvedObject.fieldPath': inv('fieldPath'),
  reason: (o) => str(o.reason),
  reportingComponent: (o) => str(o.reportingComponent),
  source: (o) => str(get(o, 'source', 'component')),
  type: (o) => str(o.type),
};

export const events = defineResource({
  group: '', version: 'v1', kind: 'Event', plural: 'events', namespaced: true, shortNames: ['ev'],
  columns,
  row: eventRow,
  fieldSelectors: coreFields,
});

/** events.k8s.io/v1 ← core/v1 (the stored form). */
export function eventFromCore(o: KubeObject): KubeObject {
  const out: KubeObject = { apiVersion: 'events.k8s.io/v1', kind: 'Event', metadata: o.metadata };
  const set = (k: string, v: unknown) => { if (v !== undefined && v !== null && v !== '' && v !== 0) out[k] = v; };
  out.eventTime = o.eventTime ?? null;
  set('series', o.series);
  set('reportingController', o.reportingComponent);
  set('reportingInstance', o.reportingInstance);
  set('action', o.action);
  set('reason', o.reason);
  set('regarding', o.involvedObject);
  set('related', o.related);
  set('note', o.message);
  set('type', o.type);
  const src = o.source as Obj | undefined;
  if (src && Object.keys(src).length) out.deprecatedSource = src;
  set('deprecatedFirstTimestamp', o.firstTimestamp);
  set('deprecatedLastTimestamp', o.lastTimestamp);
  set('deprecatedCount', o.count);
  return out;
}

/** events.k8s.io/v1 → core/v1 (the stored form). */
export function eventToCore(o: KubeObject): KubeObject {
  const out: KubeObject = { apiVersion: 'v1', kind: 'Event', metadata: o.metadata };
  const set = (k: string, v: unknown) => { if (v !== undefined && v !== null) out[k] = v; };
  set('eventTime', o.eventTime);
  set('series', o.series);
  set('reportingComponent', o.reportingController);
  set('reportingInstance', o.reportingInstance);
  set('action', o.action);
  set('reason', o.reason);
  out.involvedObject = o.regarding ?? {};
  set('related', o.related);
  set('message', o.note);
  set('type', o.type);
  out.source = o.deprecatedSource ?? {};
  set('firstTimestamp', o.deprecatedFirstTimestamp);
  set('lastTimestamp', o.deprecatedLastTimestamp);
  set('count', o.deprecatedCount);
  return out;
}

const reg = (k: string): FieldGetter => (o) => str(get(o, 'involvedObject', k));

export const eventsV1 = defineResource({
  group: 'events.k8s.io', version: 'v1', kind: 'Event', plural: 'events', namespaced: true, shortNames: ['ev'],
  columns,
  // rows are printed from the stored (core) form, as Kubernetes' printer does
  row: (o, now) => eventRow(o.involvedObject === undefined && o.regarding !== undefined ? eventToCore(o) : o, now),
  fieldSelectors: {
    ...coreFields,
    'regarding.kind': reg('kind'), 'regarding.namespace': reg('namespace'), 'regarding.name': reg('name'), 'regarding.uid': reg('uid'),
    'regarding.apiVersion': reg('apiVersion'), 'regarding.resourceVersion': reg('resourceVersion'), 'regarding.fieldPath': reg('fieldPath'),
    reportingController: (o) => str(o.reportingComponent),
    'deprecatedSource.component': (o) => str(get(o, 'source', 'component')),
  },
  storage: { resource: 'events', group: '', fromStorage: eventFromCore, toStorage: eventToCore },
});
