import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../../api/errors.js';
import type { KubeObject, ManagedFieldsEntry } from '../../api/object.js';
import type { SchemaNode } from '../../api/schema-node.js';
import { builtinSchemas } from '../../api/openapi/schema-set.js';
import { recordUpdateManagedFields, serverSideApply, lastAppliedAnnotation, resetFieldsFor } from './server-side-apply.js';

const schemas = builtinSchemas();
const deploySchema = schemas.forKind('apps', 'v1', 'Deployment');
const podSchema = schemas.forKind('', 'v1', 'Pod');

const T0 = '2026-01-01T00:00:00Z';
const T1 = '2026-01-01T00:01:00Z';
const T2 = '2026-01-01T00:02:00Z';
const T3 = '2026-01-01T00:03:00Z';

function deployment(spec: Record<string, unknown> = {}, labels: Record<string, string> = { app: 'web' }): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', labels },
    spec: {
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image: 'nginx:1.25' }] } },
      ...spec,
    },
  };
}

function apply(live: KubeObject | undefined, applied: KubeObject, manager: string, now: string, force = false): KubeObject {
  return serverSideApply({ live, applied, manager, force, schema: deploySchema, schemas, now, apiVersion: 'apps/v1' });
}

function update(old: KubeObject | undefined, updated: KubeObject, manager: string, now: string, subresource?: string): KubeObject {
  return recordUpdateManagedFields({ old, updated, manager, now, apiVersion: 'apps/v1', subresource, schema: deploySchema, schemas });
}

/** What the store adds on create. */
function stored(o: KubeObject): KubeObject {
  return { ...o, metadata: { ...o.metadata, uid: 'uid-1', resourceVersion: '1', creationTimestamp: T0, generation: 1 } };
}

function entry(o: KubeObject, manager: string, operation: 'Apply' | 'Update' = 'Apply'): ManagedFieldsEntry | undefined {
  return o.metadata.managedFields?.find((e) => e.manager === manager && e.operation === operation);
}

function conflict(fn: () => unknown, message: string, causes: { message: string; field: string }[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ApiError, String(e));
    assert.equal(e.code, 409);
    assert.equal(e.reason, 'Conflict');
    assert.equal(e.message, message);
    assert.deepEqual(e.details, { causes: causes.map((c) => ({ reason: 'FieldManagerConflict', ...c })) });
    return true;
  });
}

test('create via apply: the applier owns what it set, operation Apply, time now, no bookkeeping fields', () => {
  const cfg = deployment({ replicas: 2 });
  const before = structuredClone(cfg);
  const out = apply(undefined, cfg, 'kubectl', T0);
  assert.deepEqual(cfg, before, 'config untouched');
  assert.equal(out.metadata.managedFields?.length, 1);
  const e = out.metadata.managedFields![0];
  assert.deepEqual({ ...e, fieldsV1: undefined }, { manager: 'kubectl', operation: 'Apply', apiVersion: 'apps/v1', time: T0, fieldsType: 'FieldsV1', fieldsV1: undefined });
  assert.deepEqual(e.fieldsV1, {
    'f:metadata': { 'f:labels': { 'f:app': {} } },
    'f:spec': {
      'f:replicas': {},
      'f:selector': {},
      'f:template': {
        'f:metadata': { 'f:labels': { 'f:app': {} } },
        'f:spec': { 'f:containers': { 'k:{"name":"nginx"}': { '.': {}, 'f:image': {}, 'f:name': {} } } },
      },
    },
  });
  assert.equal((out.spec as { replicas: number }).replicas, 2);
  // value structs of an empty Deployment are there, as in Kubernetes (status: {})
  assert.deepEqual(out.status, {});
});

test('re-apply without a field or list item removes it from the object', () => {
  const v1 = deployment({ replicas: 2, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image: 'nginx' }, { name: 'sidecar', image: 'busybox' }] } } },
    { app: 'web', tier: 'front' });
  const live = stored(apply(undefined, v1, 'kubectl', T0));
  const v2 = deployment({}, { app: 'web' });
  const out = apply(live, v2, 'kubectl', T1);
  assert.deepEqual(out.metadata.labels, { app: 'web' });
  assert.equal((out.spec as { replicas?: number }).replicas, undefined);
  const containers = ((out.spec as { template: { spec: { containers: { name: string }[] } } }).template.spec.containers);
  assert.deepEqual(containers.map((c) => c.name), ['nginx']);
  assert.equal(entry(out, 'kubectl')?.time, T1);
  assert.equal(out.metadata.uid, 'uid-1', 'bookkeeping fields stay');
});

test('a field two appliers set to the same value is shared; removing it from one config keeps it', () => {
  const a = stored(apply(undefined, deployment({ replicas: 3 }), 'a', T0));
  const b = apply(a, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 3 } }, 'b', T1);
  assert.deepEqual(entry(b, 'b')?.fieldsV1, { 'f:spec': { 'f:replicas': {} } });
  assert.ok((entry(b, 'a')?.fieldsV1 as { 'f:spec': Record<string, unknown> })['f:spec']['f:replicas']);
  const a2 = apply(b, deployment(), 'a', T2);
  assert.equal((a2.spec as { replicas: number }).replicas, 3, 'b still owns replicas');
  assert.equal((entry(a2, 'a')?.fieldsV1 as { 'f:spec': Record<string, unknown> })['f:spec']['f:replicas'], undefined);
});

test('conflict: another applier owns the field with a different value', () => {
  const a = stored(apply(undefined, deployment({ replicas: 3 }), 'a', T0));
  const cfg: KubeObject = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 5 } };
  conflict(() => apply(a, cfg, 'b', T1), 'Apply failed with 1 conflict: conflict with "a": .spec.replicas',
    [{ message: 'conflict with "a"', field: '.spec.replicas' }]);
});

test('force takes the field away from the other manager', () => {
  const a = stored(apply(undefined, deployment({ replicas: 3 }), 'a', T0));
  const cfg: KubeObject = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 5 } };
  const out = apply(a, cfg, 'b', T1, true);
  assert.equal((out.spec as { replicas: number }).replicas, 5);
  assert.deepEqual(entry(out, 'b')?.fieldsV1, { 'f:spec': { 'f:replicas': {} } });
  assert.equal((entry(out, 'a')?.fieldsV1 as { 'f:spec': Record<string, unknown> })['f:spec']['f:replicas'], undefined);
  // now a conflicts with b
  conflict(() => apply(stored(out), deployment({ replicas: 3 }), 'a', T2), 'Apply failed with 1 conflict: conflict with "b": .spec.replicas',
    [{ message: 'conflict with "b"', field: '.spec.replicas' }]);
});

test('apply after create and scale conflicts as in Kubernetes, several conflicts grouped by manager', () => {
  const created = stored(update(undefined, deployment({ replicas: 1 }), 'kubectl-create', T0));
  assert.deepEqual(created.metadata.managedFields?.map((e) => [e.manager, e.operation, e.time]), [['kubectl-create', 'Update', T0]]);
  const fields = created.metadata.managedFields![0].fieldsV1 as Record<string, Record<string, unknown>>;
  assert.deepEqual(fields['f:metadata'], { 'f:labels': { '.': {}, 'f:app': {} } }, 'added maps carry "."');
  assert.equal(fields['f:spec']['.'], undefined, 'spec exists in an empty Deployment');
  const scaled = update(created, { ...created, spec: { ...(created.spec as object), replicas: 4 } }, 'kubectl', T1, 'scale');
  assert.deepEqual(entry(scaled, 'kubectl', 'Update'), {
    manager: 'kubectl', operation: 'Update', apiVersion: 'apps/v1', time: T1, fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:replicas': {} } }, subresource: 'scale',
  });
  const cfg = deployment({ replicas: 2, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image: 'nginx:1.26' }] } } });
  conflict(() => apply(scaled, cfg, 'kubectl', T2),
    'Apply failed with 2 conflicts: conflicts with "kubectl" with subresource "scale" using apps/v1:\n- .spec.replicas\n' +
    'conflicts with "kubectl-create" using apps/v1:\n- .spec.template.spec.containers[name="nginx"].image',
    [
      { message: 'conflict with "kubectl" with subresource "scale" using apps/v1', field: '.spec.replicas' },
      { message: 'conflict with "kubectl-create" using apps/v1', field: '.spec.template.spec.containers[name="nginx"].image' },
    ]);
  // the same values are no conflict: ownership is shared
  const same = apply(scaled, deployment({ replicas: 4 }), 'kubectl', T2);
  assert.ok(entry(same, 'kubectl'));
  assert.ok(entry(same, 'kubectl-create', 'Update'));
  assert.ok(entry(same, 'kubectl', 'Update'));
});

test('conflicts with an Update manager of the same name as the applier', () => {
  const created = stored(update(undefined, deployment({ replicas: 1 }), 'kubectl-client-side-apply', T0));
  conflict(() => apply(created, deployment({ replicas: 3 }), 'kubectl-client-side-apply', T1),
    'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas',
    [{ message: 'conflict with "kubectl-client-side-apply" using apps/v1', field: '.spec.replicas' }]);
});

test('a no-op apply does not touch the time', () => {
  const live = stored(apply(undefined, deployment({ replicas: 2 }), 'kubectl', T0));
  const again = apply(live, deployment({ replicas: 2 }), 'kubectl', T1);
  assert.equal(entry(again, 'kubectl')?.time, T0);
  assert.deepEqual({ ...again, metadata: { ...again.metadata, managedFields: undefined } }, { ...live, metadata: { ...live.metadata, managedFields: undefined } });
});

test('an object nobody tracked: its fields go to "before-first-apply"', () => {
  const live = stored(deployment({ replicas: 1, paused: true }));
  const out = apply(live, deployment({ replicas: 1, minReadySeconds: 5 }), 'kubectl', T1);
  const before = entry(out, 'before-first-apply', 'Update');
  assert.ok(before);
  assert.equal(before.time, T1);
  const spec = (before.fieldsV1 as { 'f:spec': Record<string, unknown> })['f:spec'];
  assert.ok(spec['f:paused'] && spec['f:replicas']);
  assert.equal((out.spec as { paused: boolean }).paused, true);
  assert.equal((out.spec as { minReadySeconds: number }).minReadySeconds, 5);
  conflict(() => apply(live, deployment({ replicas: 2 }), 'kubectl', T1),
    'Apply failed with 1 conflict: conflict with "before-first-apply" using apps/v1: .spec.replicas',
    [{ message: 'conflict with "before-first-apply" using apps/v1', field: '.spec.replicas' }]);
});

test('kubectl moving from client-side apply: fields still as last applied are taken over; last-applied follows', () => {
  const cfg = deployment({ replicas: 2 });
  const lastApplied = JSON.stringify(cfg);
  const live0 = stored({ ...cfg, metadata: { ...cfg.metadata, annotations: { [lastAppliedAnnotation]: lastApplied } } });
  const live = update(undefined, live0, 'kubectl-client-side-apply', T0);
  const next = deployment({ replicas: 5 });
  const out = apply(stored({ ...live, metadata: { ...live.metadata, uid: 'uid-1' } }), next, 'kubectl', T1);
  assert.equal((out.spec as { replicas: number }).replicas, 5);
  assert.ok((entry(out, 'kubectl')?.fieldsV1 as { 'f:spec': Record<string, unknown> })['f:spec']['f:replicas']);
  assert.equal(out.metadata.annotations?.[lastAppliedAnnotation], JSON.stringify(sortKeys(next)) + '\n');
  // another manager gets no such pass
  conflict(() => apply(stored(live), deployment({ replicas: 5 }), 'helm', T1),
    'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas',
    [{ message: 'conflict with "kubectl-client-side-apply" using apps/v1', field: '.spec.replicas' }]);
});

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]));
  return v;
}

test('lists: map lists merge by keys (ports by containerPort+protocol with the default), sets own values, atomic lists as a whole', () => {
  const podCfg = (containers: unknown[], finalizers: string[], tolerations: unknown[]): KubeObject => ({
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', finalizers }, spec: { containers, tolerations },
  });
  const applyPod = (live: KubeObject | undefined, cfg: KubeObject, manager: string, now: string): KubeObject =>
    serverSideApply({ live, applied: cfg, manager, force: false, schema: podSchema, schemas, now, apiVersion: 'v1' });
  const a = applyPod(undefined, podCfg([{ name: 'c', image: 'i', ports: [{ containerPort: 80 }] }], ['a.io/x'], [{ key: 'k', operator: 'Exists' }]), 'a', T0);
  assert.deepEqual(entry(a, 'a')?.fieldsV1, {
    'f:metadata': { 'f:finalizers': { 'v:"a.io/x"': {} } },
    'f:spec': {
      'f:containers': {
        'k:{"name":"c"}': {
          '.': {}, 'f:image': {}, 'f:name': {},
          'f:ports': { 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } },
        },
      },
      'f:tolerations': {},
    },
  });
  // b adds a container, a finalizer and replaces the atomic tolerations: conflict only on tolerations
  const bCfg = podCfg([{ name: 'd', image: 'j' }], ['b.io/y'], [{ key: 'other', operator: 'Exists' }]);
  conflict(() => applyPod(stored(a), bCfg, 'b', T1), 'Apply failed with 1 conflict: conflict with "a": .spec.tolerations',
    [{ message: 'conflict with "a"', field: '.spec.tolerations' }]);
  const b = applyPod(stored(a), { ...bCfg, spec: { containers: [{ name: 'd', image: 'j' }] } }, 'b', T1);
  const spec = b.spec as { containers: { name: string }[] };
  assert.deepEqual(spec.containers.map((c) => c.name), ['c', 'd']);
  assert.deepEqual(b.metadata.finalizers, ['a.io/x', 'b.io/y']);
  // a drops its container and finalizer; b's stay
  const a2 = applyPod(stored(b), podCfg([], [], [{ key: 'k', operator: 'Exists' }]), 'a', T2);
  assert.deepEqual((a2.spec as { containers: { name: string }[] }).containers.map((c) => c.name), ['d']);
  assert.deepEqual(a2.metadata.finalizers, ['b.io/y']);
});

test('errors: managedFields in the config, wrong version or kind, undeclared fields', () => {
  const bad = (cfg: KubeObject, code: number, message: string): void => {
    assert.throws(() => apply(undefined, cfg, 'm', T0), (e: unknown) => e instanceof ApiError && e.code === code && e.message === message);
  };
  bad({ ...deployment(), metadata: { name: 'web', managedFields: [] } }, 400, 'metadata.managedFields must be nil');
  bad({ ...deployment(), apiVersion: 'apps/v1beta1' }, 400, 'invalid object type: apps/v1beta1, Kind=Deployment');
  bad({ ...deployment(), kind: 'StatefulSet' }, 400, 'invalid object type: apps/v1, Kind=StatefulSet');
  bad(deployment({ bogus: 1 }), 500, 'failed to create typed patch object (default/web; apps/v1, Kind=Deployment): .spec.bogus: field not declared in schema');
  bad(deployment({ template: { spec: { containers: [{ name: 'a' }, { name: 'a' }] } } }), 500,
    'failed to create typed patch object (default/web; apps/v1, Kind=Deployment): .spec.template.spec.containers: duplicate entries for key [name="a"]');
});

test('updates: the writer gains what it changed, others lose it, entries merge per manager and version', () => {
  const created = stored(update(undefined, deployment({ replicas: 1 }), 'creator', T0));
  const u1 = update(created, { ...created, metadata: { ...created.metadata, labels: { app: 'web', x: 'y' } } }, 'labeler', T1);
  assert.deepEqual(entry(u1, 'labeler', 'Update')?.fieldsV1, { 'f:metadata': { 'f:labels': { 'f:x': {} } } });
  const u2 = update(u1, { ...u1, metadata: { ...u1.metadata, labels: { app: 'web', x: 'y', z: 'w' } }, spec: { ...(u1.spec as object), replicas: 9 } }, 'labeler', T2);
  assert.deepEqual(entry(u2, 'labeler', 'Update')?.fieldsV1, { 'f:metadata': { 'f:labels': { 'f:x': {}, 'f:z': {} } }, 'f:spec': { 'f:replicas': {} } });
  assert.equal(entry(u2, 'labeler', 'Update')?.time, T2);
  assert.equal((entry(u2, 'creator', 'Update')?.fieldsV1 as { 'f:spec': Record<string, unknown> })['f:spec']['f:replicas'], undefined);
  // a write that changes nothing leaves entries and times alone
  const u3 = update(u2, structuredClone(u2), 'someone', T3);
  assert.deepEqual(u3.metadata.managedFields, u2.metadata.managedFields);
  // a changed field leaves its old owner, who keeps the map itself
  const onlyLabels = stored(update(undefined, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', labels: { a: '1' } } }, 'first', T0));
  assert.deepEqual(entry(onlyLabels, 'first', 'Update')?.fieldsV1, { 'f:metadata': { 'f:labels': { '.': {}, 'f:a': {} } } });
  const taken = update(onlyLabels, { ...onlyLabels, metadata: { ...onlyLabels.metadata, labels: { a: '2' } } }, 'second', T1);
  assert.deepEqual(entry(taken, 'first', 'Update')?.fieldsV1, { 'f:metadata': { 'f:labels': {} } });
  assert.deepEqual(entry(taken, 'second', 'Update')?.fieldsV1, { 'f:metadata': { 'f:labels': { 'f:a': {} } } });
  // removing the last field an Update manager owned drops its entry
  const gone = update(stored(taken), { ...stored(taken), metadata: { ...stored(taken).metadata, labels: {} } }, 'third', T2);
  assert.equal(entry(gone, 'second', 'Update'), undefined);
  // entries are sorted: Apply before Update, then by time
  const applied = apply(stored(u2), { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', annotations: { n: 'v' } } }, 'zz', T3);
  assert.deepEqual(applied.metadata.managedFields?.map((e) => `${e.operation}/${e.manager}`), ['Apply/zz', 'Update/creator', 'Update/labeler']);
});

test('updates: untracked objects stay untracked, [{}] resets, subresources ignore the request managedFields', () => {
  const plain = stored(deployment());
  const u = update(plain, { ...plain, spec: { ...(plain.spec as object), replicas: 2 } }, 'x', T1);
  assert.equal(u.metadata.managedFields, undefined);
  const tracked = stored(update(undefined, deployment(), 'c', T0));
  const reset = update(tracked, { ...tracked, metadata: { ...tracked.metadata, managedFields: [{}] } }, 'x', T1);
  assert.equal(reset.metadata.managedFields, undefined);
  const fake: ManagedFieldsEntry[] = [{ manager: 'fake', operation: 'Update', apiVersion: 'apps/v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:paused': {} } } }];
  const viaMain = update(tracked, { ...tracked, metadata: { ...tracked.metadata, managedFields: fake } }, 'x', T1);
  assert.deepEqual(viaMain.metadata.managedFields?.map((e) => e.manager), ['fake']);
  const viaStatus = update(tracked, { ...tracked, metadata: { ...tracked.metadata, managedFields: fake }, status: { replicas: 1 } }, 'ctrl', T1, 'status');
  assert.deepEqual(viaStatus.metadata.managedFields?.map((e) => [e.manager, e.subresource]), [['c', undefined], ['ctrl', 'status']]);
});

test('more than ten Update managers: the oldest are folded into "ancient-changes"', () => {
  let o = stored(update(undefined, deployment(), 'm0', '2026-01-01T00:00:00Z'));
  for (let i = 1; i <= 11; i++) {
    o = update(o, { ...o, metadata: { ...o.metadata, labels: { ...o.metadata.labels, [`l${i}`]: 'v' } } }, `m${i}`, `2026-01-01T00:00:${String(i).padStart(2, '0')}Z`);
  }
  const managers = o.metadata.managedFields!.map((e) => e.manager);
  assert.equal(managers.length, 10);
  assert.ok(managers.includes('ancient-changes'));
  assert.ok(!managers.includes('m0') && !managers.includes('m1') && !managers.includes('m2'));
  const ancient = o.metadata.managedFields!.find((e) => e.manager === 'ancient-changes')!;
  const labels = (ancient.fieldsV1 as { 'f:metadata': { 'f:labels': Record<string, unknown> } })['f:metadata']['f:labels'];
  assert.ok(labels['f:app'] && labels['f:l1'] && labels['f:l2']);
});

test('without a schema: maps are granular, lists atomic', () => {
  const cm = (data: Record<string, string>, list: unknown[]): KubeObject => ({ apiVersion: 'v1', kind: 'Thing', metadata: { name: 't' }, data, list });
  const run = (live: KubeObject | undefined, cfg: KubeObject, manager: string): KubeObject =>
    serverSideApply({ live, applied: cfg, manager, force: false, schema: undefined, schemas: undefined, now: T0, apiVersion: 'v1' });
  const a = run(undefined, cm({ x: '1' }, [1, 2]), 'a');
  assert.deepEqual(entry(a, 'a')?.fieldsV1, { 'f:data': { '.': {}, 'f:x': {} }, 'f:list': {} });
  const b = run(stored(a), cm({ y: '2' }, [1, 2]), 'b');
  assert.deepEqual(b.data, { x: '1', y: '2' });
  conflict(() => run(stored(a), cm({}, [3]), 'b'), 'Apply failed with 1 conflict: conflict with "a": .list', [{ message: 'conflict with "a"', field: '.list' }]);
});

test('reset fields: status in an applied manifest is nobody\'s on the main resource, so status writers never conflict', () => {
  const withStatus = (replicas: number): KubeObject => ({ ...deployment({ replicas: 1 }), status: { replicas } });
  const mainReset = resetFieldsFor(deploySchema, schemas, undefined, true);
  const statusReset = resetFieldsFor(deploySchema, schemas, 'status', true);
  assert.deepEqual(mainReset, [['status']]);
  assert.deepEqual(statusReset, [['spec']]);
  assert.deepEqual(resetFieldsFor(deploySchema, schemas, undefined, false), []);
  const applyMain = (live: KubeObject | undefined, cfg: KubeObject, now: string, ignoredFields?: string[][]): KubeObject =>
    serverSideApply({ live, applied: cfg, manager: 'kubectl', force: false, schema: deploySchema, schemas, now, apiVersion: 'apps/v1', ignoredFields });
  const statusWrite = (old: KubeObject, replicas: number, ignoredFields?: string[][]): KubeObject =>
    recordUpdateManagedFields({ old, updated: { ...old, status: { replicas } }, manager: 'controller', now: T1, apiVersion: 'apps/v1', subresource: 'status', schema: deploySchema, schemas, ignoredFields });
  // with the reset fields: the applier owns no status, the controller owns status.replicas, re-apply is fine
  const a = stored(applyMain(undefined, withStatus(0), T0, mainReset));
  assert.equal((entry(a, 'kubectl')?.fieldsV1 as Record<string, unknown>)['f:status'], undefined);
  const s = stored(statusWrite(a, 1, statusReset));
  assert.deepEqual(entry(s, 'controller', 'Update')?.fieldsV1, { 'f:status': { 'f:replicas': {} } });
  applyMain(s, withStatus(0), T2, mainReset);
  // without them the manifest's status would collide with the controller
  const b = stored(applyMain(undefined, withStatus(0), T0));
  const sb = stored(statusWrite(b, 1));
  conflict(() => applyMain(sb, withStatus(0), T2), 'Apply failed with 1 conflict: conflict with "controller" with subresource "status" using apps/v1: .status.replicas',
    [{ message: 'conflict with "controller" with subresource "status" using apps/v1', field: '.status.replicas' }]);
});

test('kubectl upgrade: only fields that still hold their last-applied value are taken over', () => {
  const lastApplied = deployment({ replicas: 3 }, {});
  delete (lastApplied.metadata as { labels?: unknown }).labels;
  // live drifted from last-applied: a label was added and replicas changed by someone else
  const live0 = deployment({ replicas: 100 }, { app: 'web' });
  live0.metadata.annotations = { [lastAppliedAnnotation]: JSON.stringify(lastApplied) };
  const live = stored(update(undefined, live0, 'kubectl-client-side-apply', T0));
  const cfg = deployment({ replicas: 333, selector: { matchLabels: { app: 'web' } } }, { app: 'new' });
  (cfg.spec as { template: { spec: { containers: { image: string }[] } } }).template.spec.containers[0].image = 'nginx:2';
  conflict(() => apply(live, cfg, 'kubectl', T1),
    'Apply failed with 2 conflicts: conflicts with "kubectl-client-side-apply" using apps/v1:\n- .metadata.labels.app\n- .spec.replicas',
    [
      { message: 'conflict with "kubectl-client-side-apply" using apps/v1', field: '.metadata.labels.app' },
      { message: 'conflict with "kubectl-client-side-apply" using apps/v1', field: '.spec.replicas' },
    ]);
  // a last-applied of another version grants nothing
  const other = structuredClone(live);
  other.metadata.annotations![lastAppliedAnnotation] = JSON.stringify({ ...deployment({ replicas: 100 }), apiVersion: 'extensions/v1beta1' });
  conflict(() => apply(other, deployment({ replicas: 5 }), 'kubectl', T1),
    'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas',
    [{ message: 'conflict with "kubectl-client-side-apply" using apps/v1', field: '.spec.replicas' }]);
});

test('a stored object without apiVersion/kind: re-applying the same config is still a no-op', () => {
  const live = stored(apply(undefined, deployment({ replicas: 2 }), 'kubectl', T0));
  delete live.apiVersion;
  delete live.kind;
  const again = apply(live, deployment({ replicas: 2 }), 'kubectl', T1);
  assert.equal(entry(again, 'kubectl')?.time, T0);
});

test('custom resources: a bare metadata schema is tracked as ObjectMeta (finalizers are a set)', () => {
  const crd: SchemaNode = {
    type: 'object',
    properties: {
      apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object' },
      spec: { type: 'object', properties: { size: { type: 'integer' }, tags: { type: 'array', items: { type: 'string' } } } },
    },
  };
  const cr = (finalizers: string[], size?: number): KubeObject => ({
    apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', finalizers }, spec: size === undefined ? {} : { size },
  });
  const run = (live: KubeObject | undefined, cfg: KubeObject, manager: string): KubeObject =>
    serverSideApply({ live, applied: cfg, manager, force: false, schema: crd, schemas, now: T0, apiVersion: 'example.com/v1' });
  const a = stored(run(undefined, cr(['a.io/x'], 1), 'a'));
  assert.deepEqual(entry(a, 'a')?.fieldsV1, { 'f:metadata': { 'f:finalizers': { 'v:"a.io/x"': {} } }, 'f:spec': { 'f:size': {} } });
  const b = run(a, cr(['b.io/y']), 'b');
  assert.deepEqual(b.metadata.finalizers, ['a.io/x', 'b.io/y']);
  assert.throws(() => run(a, { ...cr([]), spec: { size: 2 } }, 'b'), { message: 'Apply failed with 1 conflict: conflict with "a": .spec.size' });
});
