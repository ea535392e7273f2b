/** Handler-level tests of the REST core through a real HTTP server (memory store). */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { MemoryStore } from '../storage/memory/memory-store.js';
import { SqliteStore } from '../storage/sqlite/sqlite-store.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../util/clock.js';
import { generateKeyPairSync } from 'node:crypto';
import { TokenIssuer } from './auth/tokens.js';
import type { Store } from '../storage/store.js';
import { startTestServer, type TestServer } from './test-server.js';

export function runApiHandlerTests(makeStore: () => Store): void {
  let s: TestServer;
  before(async () => { s = await startTestServer(makeStore(), { namespaceRetryMs: 50 }); });
  after(async () => { await s.close(); await s.store.close(); });

  const pod = (name: string, labels: Record<string, string> = {}, extra: Record<string, unknown> = {}) => ({
    apiVersion: 'v1', kind: 'Pod', metadata: { name, labels }, spec: { containers: [{ name: 'c', image: 'busybox' }] }, ...extra,
  });

  test('version and legacy discovery', async () => {
    const v = await s.request('GET', '/version');
    assert.equal(v.status, 200);
    assert.equal(v.body.major, '1');
    const api = await s.request('GET', '/api');
    assert.deepEqual(api.body.versions, ['v1']);
    assert.equal(api.body.kind, 'APIVersions');
    const apis = await s.request('GET', '/apis');
    assert.equal(apis.body.kind, 'APIGroupList');
    assert.ok(apis.body.groups.some((g: { name: string }) => g.name === 'apps'));
    const v1 = await s.request('GET', '/api/v1');
    const pods = v1.body.resources.find((r: { name: string }) => r.name === 'pods');
    assert.deepEqual(pods.shortNames, ['po']);
    assert.equal(pods.singularName, 'pod');
    assert.ok(pods.storageVersionHash);
    assert.ok(v1.body.resources.some((r: { name: string }) => r.name === 'pods/status'));
    const ev = v1.body.resources.find((r: { name: string }) => r.name === 'pods/eviction');
    assert.equal(ev.group, 'policy');
    const apps = await s.request('GET', '/apis/apps/v1');
    const scale = apps.body.resources.find((r: { name: string }) => r.name === 'deployments/scale');
    assert.equal(scale.kind, 'Scale');
    assert.equal(scale.group, 'autoscaling');
    assert.equal((await s.request('GET', '/apis/nope')).status, 404);
  });

  test('aggregated discovery answers with its content type and an ETag', async () => {
    const accept = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json';
    const r = await s.request('GET', '/apis', undefined, { Accept: accept });
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
    assert.equal(r.body.kind, 'APIGroupDiscoveryList');
    const apps = r.body.items.find((i: { metadata: { name: string } }) => i.metadata.name === 'apps');
    const dep = apps.versions[0].resources.find((x: { resource: string }) => x.resource === 'deployments');
    assert.equal(dep.scope, 'Namespaced');
    assert.deepEqual(dep.shortNames, ['deploy']);
    assert.ok(dep.subresources.some((x: { subresource: string }) => x.subresource === 'scale'));
    const again = await s.request('GET', '/apis', undefined, { Accept: accept, 'If-None-Match': String(r.headers.etag) });
    assert.equal(again.status, 304);
    const old = await s.request('GET', '/api', undefined, { Accept: 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList' });
    assert.equal(old.headers['content-type'], 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList');
    assert.equal(old.body.items[0].metadata.name, '');
  });

  test('system namespaces exist from the start', async () => {
    const r = await s.request('GET', '/api/v1/namespaces');
    assert.equal(r.body.kind, 'NamespaceList');
    const names = r.body.items.map((n: { metadata: { name: string } }) => n.metadata.name).sort();
    assert.deepEqual(names, ['default', 'kube-node-lease', 'kube-public', 'kube-system']);
    assert.equal(r.body.items[0].status.phase, 'Active');
    assert.deepEqual(r.body.items[0].spec.finalizers, ['kubernetes']);
  });

  test('create, get, conflict, update, delete a configmap', async () => {
    const c = await s.request('POST', '/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm1' }, data: { a: '1' } });
    assert.equal(c.status, 201);
    assert.ok(c.body.metadata.uid);
    assert.match(c.body.metadata.creationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.ok(Number(c.body.metadata.resourceVersion) > 0);
    assert.equal(c.body.metadata.selfLink, undefined);
    const dup = await s.request('POST', '/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm1' } });
    assert.equal(dup.status, 409);
    assert.equal(dup.body.reason, 'AlreadyExists');
    assert.equal(dup.body.message, 'configmaps "cm1" already exists');
    const g = await s.request('GET', '/api/v1/namespaces/default/configmaps/cm1');
    assert.equal(g.body.data.a, '1');
    const stale = { ...g.body, data: { a: '2' }, metadata: { ...g.body.metadata, resourceVersion: '1' } };
    const conflict = await s.request('PUT', '/api/v1/namespaces/default/configmaps/cm1', stale);
    assert.equal(conflict.status, 409);
    assert.equal(conflict.body.message, 'Operation cannot be fulfilled on configmaps "cm1": the object has been modified; please apply your changes to the latest version and try again');
    const u = await s.request('PUT', '/api/v1/namespaces/default/configmaps/cm1', { ...g.body, data: { a: '2' } });
    assert.equal(u.status, 200);
    assert.equal(u.body.data.a, '2');
    assert.ok(Number(u.body.metadata.resourceVersion) > Number(g.body.metadata.resourceVersion));
    const d = await s.request('DELETE', '/api/v1/namespaces/default/configmaps/cm1');
    assert.equal(d.status, 200);
    assert.equal(d.body.kind, 'Status');
    assert.equal(d.body.status, 'Success');
    assert.equal(d.body.details.name, 'cm1');
    assert.equal(d.body.details.kind, 'configmaps');
    const gone = await s.request('GET', '/api/v1/namespaces/default/configmaps/cm1');
    assert.equal(gone.status, 404);
    assert.equal(gone.body.message, 'configmaps "cm1" not found');
  });

  test('bad bodies: malformed JSON, wrong kind, wrong namespace, name mismatch, unsupported type, too large', async () => {
    const bad = await s.request('POST', '/api/v1/namespaces/default/configmaps', '{"apiVersion":', { 'Content-Type': 'application/json' });
    assert.equal(bad.status, 400);
    assert.match(bad.body.message, /json parse error/);
    const kind = await s.request('POST', '/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x' } });
    assert.equal(kind.status, 400);
    const ver = await s.request('POST', '/api/v1/namespaces/default/configmaps', { apiVersion: 'apps/v1', kind: 'ConfigMap', metadata: { name: 'x' } });
    assert.equal(ver.status, 400);
    assert.equal(ver.body.message, 'the API version in the data (apps/v1) does not match the expected API version (v1)');
    const ns = await s.request('POST', '/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'other' } });
    assert.equal(ns.status, 400);
    assert.equal(ns.body.message, 'the namespace of the provided object does not match the namespace sent on the request');
    await s.request('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'nm' } });
    const nm = await s.request('PUT', '/api/v1/namespaces/default/configmaps/nm', { metadata: { name: 'other' } });
    assert.equal(nm.status, 400);
    assert.equal(nm.body.message, 'the name of the object (other) does not match the name on the URL (nm)');
    const meta = await s.request('POST', '/api/v1/namespaces/default/configmaps', { metadata: 'x' });
    assert.equal(meta.status, 400);
    assert.equal(meta.body.message, 'ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal string into Go struct field ConfigMap.metadata of type v1.ObjectMeta');
    const typed = await s.request('POST', '/api/v1/namespaces/default/pods', { metadata: { name: 'tp' }, spec: { containers: 'x' } });
    assert.equal(typed.status, 400);
    assert.equal(typed.body.message, 'Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal string into Go struct field PodSpec.spec.containers of type []v1.Container');
    const media = await s.request('POST', '/api/v1/namespaces/default/configmaps', 'x', { 'Content-Type': 'text/plain' });
    assert.equal(media.status, 415);
    const big = await s.request('POST', '/api/v1/namespaces/default/configmaps', JSON.stringify({ metadata: { name: 'big' }, data: { a: 'x'.repeat(3 * 1024 * 1024 + 10) } }));
    assert.equal(big.status, 413);
    const yaml = await s.request('POST', '/api/v1/namespaces/default/configmaps', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fromyaml\ndata:\n  k: v\n', { 'Content-Type': 'application/yaml' });
    assert.equal(yaml.status, 201);
    assert.equal(yaml.body.data.k, 'v');
  });

  test('generateName, dryRun and missing or terminating namespaces', async () => {
    const g = await s.request('POST', '/api/v1/namespaces/default/configmaps', { metadata: { generateName: 'gen-' } });
    assert.equal(g.status, 201);
    assert.match(g.body.metadata.name, /^gen-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    const dry = await s.request('POST', '/api/v1/namespaces/default/configmaps?dryRun=All', { metadata: { name: 'dry' } });
    assert.equal(dry.status, 201);
    assert.equal((await s.request('GET', '/api/v1/namespaces/default/configmaps/dry')).status, 404);
    const missing = await s.request('POST', '/api/v1/namespaces/nope/configmaps', { metadata: { name: 'x' } });
    assert.equal(missing.status, 404);
    assert.equal(missing.body.message, 'namespaces "nope" not found');
    const noName = await s.request('POST', '/api/v1/namespaces/default/configmaps', { metadata: {} });
    assert.equal(noName.status, 422);
    assert.match(noName.body.message, /metadata.name: Required value: name or generateName is required/);
  });

  test('pods: status reset on create, status subresource, graceful deletion of bound pods', async () => {
    const c = await s.request('POST', '/api/v1/namespaces/default/pods', pod('p1', {}, { status: { phase: 'Running' } }));
    assert.equal(c.status, 201);
    assert.equal(c.body.status.phase, 'Pending');
    assert.equal(c.body.status.qosClass, 'BestEffort');
    // QoS is computed after defaulting (requests default to limits)
    const g = await s.request('POST', '/api/v1/namespaces/default/pods', pod('guaranteed', {}, { spec: { containers: [{ name: 'c', image: 'i', resources: { limits: { cpu: '1', memory: '64Mi' } } }] } }));
    assert.equal(g.body.status.qosClass, 'Guaranteed', g.text);
    // a main-resource update keeps status; a status update keeps spec
    const upd = await s.request('PUT', '/api/v1/namespaces/default/pods/p1', { ...c.body, status: { phase: 'Failed' }, metadata: { ...c.body.metadata, labels: { x: 'y' } } });
    assert.equal(upd.status, 200, upd.text);
    assert.equal(upd.body.status.phase, 'Pending');
    assert.equal(upd.body.metadata.labels.x, 'y');
    const st = await s.request('PUT', '/api/v1/namespaces/default/pods/p1/status', { ...upd.body, spec: { ...upd.body.spec, nodeName: 'sneaky' }, status: { phase: 'Running', qosClass: 'BestEffort' } });
    assert.equal(st.status, 200, st.text);
    assert.equal(st.body.status.phase, 'Running');
    assert.equal(st.body.spec.nodeName, undefined);
    // binding
    const b = await s.request('POST', '/api/v1/namespaces/default/pods/p1/binding', { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'p1' }, target: { kind: 'Node', name: 'n1' } });
    assert.equal(b.status, 201);
    const b2 = await s.request('POST', '/api/v1/namespaces/default/pods/p1/binding', { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'p1' }, target: { kind: 'Node', name: 'n2' } });
    assert.equal(b2.status, 409);
    assert.equal(b2.body.message, 'Operation cannot be fulfilled on pods/binding "p1": pod p1 is already assigned to node "n1"');
    // graceful deletion: the bound pod stays with deletionTimestamp
    const d = await s.request('DELETE', '/api/v1/namespaces/default/pods/p1');
    assert.equal(d.status, 200);
    assert.equal(d.body.kind, 'Pod');
    assert.ok(d.body.metadata.deletionTimestamp);
    assert.equal(d.body.metadata.deletionGracePeriodSeconds, 30);
    const still = await s.request('GET', '/api/v1/namespaces/default/pods/p1', undefined, { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' });
    assert.equal(still.body.rows[0].cells[2], 'Terminating');
    const d0 = await s.request('DELETE', '/api/v1/namespaces/default/pods/p1', { gracePeriodSeconds: 0 });
    assert.equal(d0.status, 200);
    assert.equal((await s.request('GET', '/api/v1/namespaces/default/pods/p1')).status, 404);
    // an unbound pod goes at once
    await s.request('POST', '/api/v1/namespaces/default/pods', pod('p2'));
    const d2 = await s.request('DELETE', '/api/v1/namespaces/default/pods/p2');
    assert.equal(d2.status, 200);
    assert.equal(d2.body.metadata.deletionTimestamp, undefined);
    assert.equal((await s.request('GET', '/api/v1/namespaces/default/pods/p2')).status, 404);
  });

  test('finalizers keep an object until they are removed; preconditions', async () => {
    const c = await s.request('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'fin', finalizers: ['example.com/x'] } });
    const pre = await s.request('DELETE', '/api/v1/namespaces/default/configmaps/fin', { preconditions: { uid: 'wrong' } });
    assert.equal(pre.status, 409);
    assert.equal(pre.body.message, `Operation cannot be fulfilled on configmaps "fin": Precondition failed: UID in precondition: wrong, UID in object meta: ${c.body.metadata.uid}`);
    const d = await s.request('DELETE', '/api/v1/namespaces/default/configmaps/fin');
    assert.equal(d.status, 200);
    assert.ok(d.body.metadata.deletionTimestamp);
    const p = await s.request('PATCH', '/api/v1/namespaces/default/configmaps/fin', { metadata: { finalizers: null } }, { 'Content-Type': 'application/merge-patch+json' });
    assert.equal(p.status, 200);
    assert.equal((await s.request('GET', '/api/v1/namespaces/default/configmaps/fin')).status, 404);
    // orphan propagation adds the orphan finalizer
    await s.request('POST', '/apis/apps/v1/namespaces/default/replicasets', { metadata: { name: 'rs1' }, spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } } });
    const o = await s.request('DELETE', '/apis/apps/v1/namespaces/default/replicasets/rs1', { propagationPolicy: 'Orphan' });
    assert.deepEqual(o.body.metadata.finalizers, ['orphan']);
  });

  test('json and merge patches; generation bumps on spec changes only', async () => {
    const c = await s.request('POST', '/apis/apps/v1/namespaces/default/deployments', {
      metadata: { name: 'web' }, spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
      status: { replicas: 5 },
    });
    assert.equal(c.status, 201);
    assert.equal(c.body.metadata.generation, 1);
    assert.equal(c.body.status, undefined);
    const l = await s.request('PATCH', '/apis/apps/v1/namespaces/default/deployments/web', { metadata: { labels: { x: '1' } } }, { 'Content-Type': 'application/merge-patch+json' });
    assert.equal(l.body.metadata.generation, 1);
    const j = await s.request('PATCH', '/apis/apps/v1/namespaces/default/deployments/web', [{ op: 'replace', path: '/spec/replicas', value: 3 }], { 'Content-Type': 'application/json-patch+json' });
    assert.equal(j.status, 200);
    assert.equal(j.body.spec.replicas, 3);
    assert.equal(j.body.metadata.generation, 2);
    const stale = await s.request('PATCH', '/apis/apps/v1/namespaces/default/deployments/web', { metadata: { resourceVersion: '1' }, spec: { replicas: 4 } }, { 'Content-Type': 'application/merge-patch+json' });
    assert.equal(stale.status, 409);
    const scale = await s.request('GET', '/apis/apps/v1/namespaces/default/deployments/web/scale');
    assert.equal(scale.body.kind, 'Scale');
    assert.equal(scale.body.apiVersion, 'autoscaling/v1');
    assert.equal(scale.body.spec.replicas, 3);
    assert.equal(scale.body.status.selector, 'app=web');
    const scaleTable = await s.request('GET', '/apis/apps/v1/namespaces/default/deployments/web/scale', undefined, { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' });
    assert.deepEqual(scaleTable.body.columnDefinitions.map((c: { name: string }) => c.name), ['Name', 'Desired', 'Available']);
    assert.deepEqual(scaleTable.body.rows[0].cells, ['web', 3, 0]);
    const sp = await s.request('PATCH', '/apis/apps/v1/namespaces/default/deployments/web/scale', { spec: { replicas: 7 } }, { 'Content-Type': 'application/merge-patch+json' });
    assert.equal(sp.status, 200);
    assert.equal(sp.body.spec.replicas, 7);
    const after = await s.request('GET', '/apis/apps/v1/namespaces/default/deployments/web', undefined, { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' });
    assert.deepEqual(after.body.columnDefinitions.map((x: { name: string }) => x.name), ['Name', 'Ready', 'Up-to-date', 'Available', 'Age', 'Containers', 'Images', 'Selector']);
    assert.deepEqual(after.body.rows[0].cells.slice(0, 4), ['web', '0/7', 0, 0]);
    assert.equal(after.body.rows[0].object.kind, 'PartialObjectMetadata');
    const bad = await s.request('PATCH', '/apis/apps/v1/namespaces/default/deployments/web', '{}', { 'Content-Type': 'application/foo' });
    assert.equal(bad.status, 415);
  });

  test('list: label and field selectors, limit/continue with remainingItemCount, table, metadata-only', async () => {
    await s.request('POST', '/api/v1/namespaces', { metadata: { name: 'lists' } });
    for (let i = 0; i < 7; i++) {
      const r = await s.request('POST', '/api/v1/namespaces/lists/pods', pod(`p${i}`, { app: i % 2 ? 'odd' : 'even', idx: String(i) }));
      assert.equal(r.status, 201);
    }
    const all = await s.request('GET', '/api/v1/namespaces/lists/pods');
    assert.equal(all.body.kind, 'PodList');
    assert.equal(all.body.apiVersion, 'v1');
    assert.equal(all.body.items.length, 7);
    assert.ok(all.body.metadata.resourceVersion);
    assert.equal(all.body.items[0].kind, 'Pod');
    assert.ok(all.body.items[0].metadata.resourceVersion);
    const odd = await s.request('GET', '/api/v1/namespaces/lists/pods?labelSelector=' + encodeURIComponent('app=odd,idx notin (1)'));
    assert.deepEqual(odd.body.items.map((p: { metadata: { name: string } }) => p.metadata.name), ['p3', 'p5']);
    const f = await s.request('GET', '/api/v1/namespaces/lists/pods?fieldSelector=' + encodeURIComponent('metadata.name=p4'));
    assert.deepEqual(f.body.items.map((p: { metadata: { name: string } }) => p.metadata.name), ['p4']);
    const phase = await s.request('GET', '/api/v1/pods?fieldSelector=' + encodeURIComponent('status.phase!=Pending'));
    assert.equal(phase.body.items.length, 0);
    const badField = await s.request('GET', '/api/v1/pods?fieldSelector=spec.foo%3Dbar');
    assert.equal(badField.status, 400);
    assert.equal(badField.body.message, 'field label not supported: spec.foo');
    const badLabel = await s.request('GET', '/api/v1/pods?labelSelector=' + encodeURIComponent('a in (b'));
    assert.equal(badLabel.status, 400);
    const p1 = await s.request('GET', '/api/v1/namespaces/lists/pods?limit=3');
    assert.equal(p1.body.items.length, 3);
    assert.equal(p1.body.metadata.remainingItemCount, 4);
    assert.ok(p1.body.metadata.continue);
    // a write between pages does not show: the pages are one snapshot
    await s.request('POST', '/api/v1/namespaces/lists/pods', pod('p9'));
    const p2 = await s.request('GET', `/api/v1/namespaces/lists/pods?limit=3&continue=${encodeURIComponent(p1.body.metadata.continue)}`);
    const p3 = await s.request('GET', `/api/v1/namespaces/lists/pods?limit=3&continue=${encodeURIComponent(p2.body.metadata.continue)}`);
    const names = [...p1.body.items, ...p2.body.items, ...p3.body.items].map((p: { metadata: { name: string } }) => p.metadata.name);
    assert.deepEqual(names, ['p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6']);
    assert.equal(p3.body.metadata.continue, undefined);
    assert.equal(p1.body.metadata.resourceVersion, p3.body.metadata.resourceVersion);
    const t = await s.request('GET', '/api/v1/namespaces/lists/pods?labelSelector=app%3Deven', undefined, { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' });
    assert.equal(t.body.kind, 'Table');
    assert.deepEqual(t.body.columnDefinitions.map((x: { name: string }) => x.name), ['Name', 'Ready', 'Status', 'Restarts', 'Age', 'IP', 'Node', 'Nominated Node', 'Readiness Gates']);
    assert.deepEqual(t.body.rows[0].cells.slice(0, 4), ['p0', '0/1', 'Pending', '0']);
    assert.equal(t.body.rows.length, 4);
    const none = await s.request('GET', '/api/v1/namespaces/lists/pods?includeObject=None', undefined, { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' });
    assert.equal(none.body.rows[0].object, undefined);
    const pm = await s.request('GET', '/api/v1/namespaces/lists/pods', undefined, { Accept: 'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io' });
    assert.equal(pm.body.kind, 'PartialObjectMetadataList');
    assert.equal(pm.body.items[0].kind, 'PartialObjectMetadata');
    assert.equal(pm.body.items[0].spec, undefined);
    const exact = await s.request('GET', `/api/v1/namespaces/lists/pods?resourceVersion=${p1.body.metadata.resourceVersion}&resourceVersionMatch=Exact`);
    assert.equal(exact.body.items.length, 7);
    const future = await s.request('GET', `/api/v1/namespaces/lists/pods?resourceVersion=${Number(p1.body.metadata.resourceVersion) + 100000}&resourceVersionMatch=Exact`);
    assert.equal(future.status, 504);
    const yaml = await s.request('GET', '/api/v1/namespaces/lists/pods/p0', undefined, { Accept: 'application/yaml' });
    assert.match(yaml.text, /^apiVersion: v1\nkind: Pod\n/);
  });

  test('watch: initial events, live events with selector transitions, bookmarks-free ERROR on compaction', async () => {
    await s.request('POST', '/api/v1/namespaces', { metadata: { name: 'w' } });
    await s.request('POST', '/api/v1/namespaces/w/configmaps', { metadata: { name: 'a', labels: { sel: 'yes' } } });
    const w = openWatch(s, '/api/v1/namespaces/w/configmaps?watch=1&labelSelector=sel%3Dyes');
    t_after(w.close);
    const first = await w.next();
    assert.equal(first.type, 'ADDED');
    assert.equal(first.object.metadata.name, 'a');
    await s.request('PATCH', '/api/v1/namespaces/w/configmaps/a', { metadata: { labels: { sel: 'no' } } }, { 'Content-Type': 'application/merge-patch+json' });
    const gone = await w.next();
    assert.equal(gone.type, 'DELETED');
    await s.request('POST', '/api/v1/namespaces/w/configmaps', { metadata: { name: 'b', labels: { sel: 'yes' } } });
    const b = await w.next();
    assert.equal(b.type, 'ADDED');
    assert.equal(b.object.metadata.name, 'b');
    await s.request('DELETE', '/api/v1/namespaces/w/configmaps/b');
    const del = await w.next();
    assert.equal(del.type, 'DELETED');
    assert.ok(Number(del.object.metadata.resourceVersion) > Number(b.object.metadata.resourceVersion));
    w.close();
    // from an exact resourceVersion: only later events
    const w2 = openWatch(s, `/api/v1/watch/namespaces/w/configmaps?resourceVersion=${b.object.metadata.resourceVersion}`);
    t_after(w2.close);
    const e = await w2.next();
    assert.equal(e.type, 'DELETED');
    assert.equal(e.object.metadata.name, 'b');
    w2.close();
    // compacted history → ERROR with a 410 Status
    const cur = await s.store.currentRevision();
    await s.request('POST', '/api/v1/namespaces/w/configmaps', { metadata: { name: 'c' } });
    await s.store.compact(cur);
    const w3 = openWatch(s, `/api/v1/namespaces/w/configmaps?watch=true&resourceVersion=1`);
    t_after(w3.close);
    const err = await w3.next();
    assert.equal(err.type, 'ERROR');
    assert.equal(err.object.code, 410);
    assert.equal(err.object.reason, 'Expired');
    w3.close();
  });

  test('watch as Table and many watchers share one store watch', async () => {
    await s.request('POST', '/api/v1/namespaces', { metadata: { name: 'wt' } });
    const rv = (await s.request('GET', '/api/v1/namespaces/wt/pods')).body.metadata.resourceVersion;
    const ws = Array.from({ length: 20 }, () => openWatch(s, `/api/v1/namespaces/wt/pods?watch=1&resourceVersion=${rv}`, 'application/json;as=Table;v=v1;g=meta.k8s.io'));
    for (const w of ws) t_after(w.close);
    await s.request('POST', '/api/v1/namespaces/wt/pods', pod('x'));
    for (const w of ws) {
      const e = await w.next();
      assert.equal(e.type, 'ADDED');
      assert.equal(e.object.kind, 'Table');
      assert.equal(e.object.rows[0].cells[0], 'x');
      assert.ok(e.object.columnDefinitions.length > 0);
    }
    for (const w of ws) w.close();
  });

  test('namespace deletion: Terminating, 403 for new content, then gone with its content', async () => {
    await s.request('POST', '/api/v1/namespaces', { metadata: { name: 'doomed' } });
    await s.request('POST', '/api/v1/namespaces/doomed/configmaps', { metadata: { name: 'a' } });
    await s.request('POST', '/api/v1/namespaces/doomed/configmaps', { metadata: { name: 'held', finalizers: ['example.com/hold'] } });
    await s.request('POST', '/api/v1/namespaces/doomed/pods', pod('p'));
    const w = openWatch(s, '/api/v1/namespaces?watch=1&fieldSelector=metadata.name%3Ddoomed');
    t_after(w.close);
    assert.equal((await w.next()).type, 'ADDED');
    const d = await s.request('DELETE', '/api/v1/namespaces/doomed');
    assert.equal(d.status, 200);
    assert.equal(d.body.status.phase, 'Terminating');
    const no = await s.request('POST', '/api/v1/namespaces/doomed/configmaps', { metadata: { name: 'b' } });
    assert.equal(no.status, 403);
    assert.equal(no.body.message, 'configmaps "b" is forbidden: unable to create new content in namespace doomed because it is being terminated');
    // the held object is marked for deletion; the namespace waits for it
    for (;;) {
      const e = await w.next();
      if (e.object.status?.conditions?.some((c: { type: string }) => c.type === 'NamespaceContentRemaining')) break;
    }
    const held = await s.request('GET', '/api/v1/namespaces/doomed/configmaps/held');
    assert.ok(held.body.metadata.deletionTimestamp);
    assert.equal((await s.request('GET', '/api/v1/namespaces/doomed/configmaps/a')).status, 404);
    await s.request('PATCH', '/api/v1/namespaces/doomed/configmaps/held', [{ op: 'remove', path: '/metadata/finalizers' }], { 'Content-Type': 'application/json-patch+json' });
    for (;;) {
      const e = await w.next();
      if (e.type === 'DELETED') break;
    }
    assert.equal((await s.request('GET', '/api/v1/namespaces/doomed')).status, 404);
    assert.equal((await s.request('GET', '/api/v1/namespaces/doomed/configmaps')).body.items.length, 0);
    const def = await s.request('DELETE', '/api/v1/namespaces/default');
    assert.equal(def.status, 403);
    assert.equal(def.body.message, 'namespaces "default" is forbidden: this namespace may not be deleted');
    w.close();
  });

  test('namespace deletion waits for bound pods to be finalized by their node', async () => {
    await s.request('POST', '/api/v1/namespaces', { metadata: { name: 'nodens' } });
    await s.request('POST', '/api/v1/namespaces/nodens/pods', pod('bound'));
    await s.request('POST', '/api/v1/namespaces/nodens/pods/bound/binding', { metadata: { name: 'bound' }, target: { kind: 'Node', name: 'n1' } });
    const w = openWatch(s, '/api/v1/namespaces/nodens/pods?watch=1');
    t_after(w.close);
    assert.equal((await w.next()).type, 'ADDED');
    assert.equal((await s.request('DELETE', '/api/v1/namespaces/nodens')).status, 200);
    const marked = await w.next();
    assert.equal(marked.type, 'MODIFIED');
    assert.ok(marked.object.metadata.deletionTimestamp);
    assert.equal(marked.object.metadata.deletionGracePeriodSeconds, 30);
    assert.equal((await s.request('GET', '/api/v1/namespaces/nodens')).body.status.phase, 'Terminating');
    // the node agent finishes the pod: delete with grace 0
    const gone = await s.request('DELETE', '/api/v1/namespaces/nodens/pods/bound', { gracePeriodSeconds: 0, preconditions: { uid: marked.object.metadata.uid } });
    assert.equal(gone.status, 200, gone.text);
    assert.equal((await w.next()).type, 'DELETED');
    w.close();
    const nw = openWatch(s, '/api/v1/namespaces?watch=1&fieldSelector=metadata.name%3Dnodens');
    t_after(nw.close);
    for (;;) { const e = await nw.next(); if (e.type === 'DELETED') break; }
    assert.equal((await s.request('GET', '/api/v1/namespaces/nodens')).status, 404);
    nw.close();
  });

  test('eviction honours PodDisruptionBudgets', async () => {
    await s.request('POST', '/api/v1/namespaces', { metadata: { name: 'ev' } });
    const p = await s.request('POST', '/api/v1/namespaces/ev/pods', pod('victim', { app: 'db' }));
    const run = await s.request('PUT', '/api/v1/namespaces/ev/pods/victim/status', { ...p.body, status: { ...p.body.status, phase: 'Running' } });
    assert.equal(run.status, 200, run.text);
    const pdb = await s.request('POST', '/apis/policy/v1/namespaces/ev/poddisruptionbudgets', { metadata: { name: 'db' }, spec: { minAvailable: 1, selector: { matchLabels: { app: 'db' } } } });
    await s.request('PUT', '/apis/policy/v1/namespaces/ev/poddisruptionbudgets/db/status', { ...pdb.body, status: { observedGeneration: 1, disruptionsAllowed: 0, currentHealthy: 1, desiredHealthy: 1, expectedPods: 1 } });
    const e = await s.request('POST', '/api/v1/namespaces/ev/pods/victim/eviction', { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'victim', namespace: 'ev' } });
    assert.equal(e.status, 429, e.text);
    assert.equal(e.body.message, "Cannot evict pod as it would violate the pod's disruption budget.");
    assert.equal(e.body.details.causes[0].reason, 'DisruptionBudget');
    const cur = await s.request('GET', '/apis/policy/v1/namespaces/ev/poddisruptionbudgets/db');
    await s.request('PUT', '/apis/policy/v1/namespaces/ev/poddisruptionbudgets/db/status', { ...cur.body, status: { ...cur.body.status, disruptionsAllowed: 1 } });
    const ok = await s.request('POST', '/api/v1/namespaces/ev/pods/victim/eviction', { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'victim', namespace: 'ev' } });
    assert.equal(ok.status, 201);
    assert.equal((await s.request('GET', '/api/v1/namespaces/ev/pods/victim')).status, 404);
    const after2 = await s.request('GET', '/apis/policy/v1/namespaces/ev/poddisruptionbudgets/db');
    assert.equal(after2.body.status.disruptionsAllowed, 0);
    assert.ok(after2.body.status.disruptedPods.victim);
  });

  test('events.k8s.io/v1 shares storage with core events', async () => {
    const c = await s.request('POST', '/apis/events.k8s.io/v1/namespaces/default/events', {
      metadata: { name: 'e1' }, eventTime: '2026-01-01T00:00:00.000000Z', reportingController: 'me', reportingInstance: 'me-1', action: 'Test', reason: 'Tested', note: 'hello',
      type: 'Normal', regarding: { kind: 'Pod', name: 'p', namespace: 'default' },
    });
    assert.equal(c.status, 201);
    assert.equal(c.body.note, 'hello');
    assert.equal(c.body.apiVersion, 'events.k8s.io/v1');
    const core = await s.request('GET', '/api/v1/namespaces/default/events/e1');
    assert.equal(core.body.message, 'hello');
    assert.equal(core.body.involvedObject.name, 'p');
    assert.equal(core.body.reportingComponent, 'me');
    const sel = await s.request('GET', '/api/v1/namespaces/default/events?fieldSelector=' + encodeURIComponent('involvedObject.kind=Pod,reason=Tested'));
    assert.equal(sel.body.items.length, 1);
  });

  test('SelfSubjectReview and SelfSubjectAccessReview', async () => {
    const who = await s.request('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' });
    assert.equal(who.status, 201, who.text);
    assert.equal(who.body.status.userInfo.username, 'system:admin');
    assert.deepEqual(who.body.status.userInfo.groups, ['system:masters', 'system:authenticated']);
    const can = await s.request('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', { spec: { resourceAttributes: { verb: 'get', resource: 'pods', namespace: 'default' } } });
    assert.equal(can.status, 201, can.text);
    assert.equal(can.body.status.allowed, true);
    const bad = await s.request('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', { spec: {} });
    assert.equal(bad.status, 422);
    assert.equal((await s.request('GET', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews')).status, 405);
  });

  test('unknown paths and methods', async () => {
    const r = await s.request('GET', '/api/v1/nothings');
    assert.equal(r.status, 404);
    assert.equal(r.body.message, 'the server could not find the requested resource');
    const m = await s.request('POST', '/api/v1/namespaces/default/configmaps/x');
    assert.equal(m.status, 405);
    assert.equal((await s.request('GET', '/api/v1/namespaces/default/namespaces')).status, 404);
    assert.equal((await s.request('POST', '/api/v1/configmaps', { metadata: { name: 'x' } })).status, 405);
    assert.equal((await s.request('GET', '/api/v1/configmaps/x')).status, 404);
    assert.equal((await s.request('GET', '/api/v1/namespaces/default/nodes')).status, 404);
    // the older POST .../bindings form binds the pod the body names
    await s.request('POST', '/api/v1/namespaces/default/pods', { metadata: { name: 'bindme' }, spec: { containers: [{ name: 'c', image: 'i' }] } });
    const b = await s.request('POST', '/api/v1/namespaces/default/bindings', { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'bindme' }, target: { kind: 'Node', name: 'n9' } });
    assert.equal(b.status, 201, b.text);
    assert.equal((await s.request('GET', '/api/v1/namespaces/default/pods/bindme')).body.spec.nodeName, 'n9');
  });
}

interface WatchHandle { next(): Promise<any>; close(): void } // eslint-disable-line @typescript-eslint/no-explicit-any

const closers: (() => void)[] = [];
function t_after(fn: () => void): void { closers.push(fn); }
after(() => { for (const c of closers) c(); });

/** Open a watch and read its events one at a time (each wait bounded). */
export function openWatch(s: TestServer, path: string, accept = 'application/json'): WatchHandle {
  const queue: unknown[] = [];
  const waiters: ((v: unknown) => void)[] = [];
  let buf = '';
  let ended = false;
  const req = httpRequest({ host: '127.0.0.1', port: s.port, path, headers: { Accept: accept } }, (res) => {
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buf += chunk;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (!line.trim()) continue;
        const ev = JSON.parse(line);
        const w = waiters.shift();
        if (w) w(ev); else queue.push(ev);
      }
    });
    res.on('end', () => { ended = true; for (const w of waiters.splice(0)) w(undefined); });
  });
  req.on('error', () => { ended = true; for (const w of waiters.splice(0)) w(undefined); });
  req.end();
  return {
    next: () => {
      if (queue.length) return Promise.resolve(queue.shift());
      if (ended) return Promise.reject(new Error('watch ended'));
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no watch event within 5s on ${path}`)), 5000);
        waiters.push((v) => { clearTimeout(t); if (v === undefined) reject(new Error('watch ended')); else resolve(v); });
      });
    },
    close: () => { req.destroy(); },
  };
}

describe('api handler (memory store)', () => runApiHandlerTests(() => new MemoryStore()));

describe('api handler (sqlite store)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'peapod-apiserver-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  runApiHandlerTests(() => new SqliteStore({ path: join(dir, 'state.db') }));
});

describe('api handler: OpenAPI, field validation, strategic merge patch', () => {
  let s: TestServer;
  before(async () => { s = await startTestServer(new MemoryStore()); });
  after(async () => { await s.close(); await s.store.close(); });
  const dep = (extra: Record<string, unknown> = {}) => ({
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' },
    spec: { replicas: 1, selector: { matchLabels: { app: 'd' } }, template: { metadata: { labels: { app: 'd' } }, spec: { containers: [{ name: 'c', image: 'nginx', env: [{ name: 'A', value: '1' }] }] } }, ...extra },
  });

  test('/openapi/v3 index and a group document', async () => {
    const idx = await s.request('GET', '/openapi/v3');
    assert.equal(idx.status, 200);
    const url = idx.body.paths['apis/apps/v1'].serverRelativeURL;
    const doc = await s.request('GET', url);
    assert.equal(doc.status, 200);
    assert.ok(doc.body.components.schemas['io.k8s.api.apps.v1.Deployment']);
    assert.ok(doc.headers.etag);
    const v2 = await s.request('GET', '/openapi/v2', undefined, { Accept: 'application/json' });
    assert.equal(v2.status, 200);
    assert.equal(v2.body.swagger, '2.0');
  });

  test('fieldValidation Strict rejects, Warn warns, Ignore ignores unknown fields', async () => {
    const strict = await s.request('POST', '/apis/apps/v1/namespaces/default/deployments?fieldValidation=Strict', dep({ foo: 1 }));
    assert.equal(strict.status, 400);
    assert.equal(strict.body.message, 'Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.foo"');
    const warn = await s.request('POST', '/apis/apps/v1/namespaces/default/deployments', dep({ foo: 1 }));
    assert.equal(warn.status, 201);
    assert.equal(warn.headers.warning, '299 - "unknown field \\"spec.foo\\""');
    assert.equal(warn.body.spec.foo, undefined);
    assert.equal(warn.body.spec.replicas, 1);
    const ign = await s.request('PUT', '/apis/apps/v1/namespaces/default/deployments/d?fieldValidation=Ignore', { ...warn.body, spec: { ...warn.body.spec, bar: 2 } });
    assert.equal(ign.status, 200);
    assert.equal(ign.headers.warning, undefined);
    assert.equal(ign.body.spec.bar, undefined);
    const typeErr = await s.request('POST', '/apis/apps/v1/namespaces/default/deployments', { ...dep(), metadata: { name: 'd2' }, spec: { ...dep().spec, replicas: 'three' } });
    assert.equal(typeErr.status, 400);
  });

  test('strategic merge patch merges containers by name', async () => {
    await s.request('POST', '/apis/apps/v1/namespaces/default/deployments', { ...dep(), metadata: { name: 'smp' } });
    const p = await s.request('PATCH', '/apis/apps/v1/namespaces/default/deployments/smp', { spec: { template: { spec: { containers: [{ name: 'c', image: 'nginx:2' }] } } } }, { 'Content-Type': 'application/strategic-merge-patch+json' });
    assert.equal(p.status, 200);
    const c = p.body.spec.template.spec.containers;
    assert.equal(c.length, 1);
    assert.equal(c[0].image, 'nginx:2');
    assert.deepEqual(c[0].env, [{ name: 'A', value: '1' }]);
    assert.equal(p.body.metadata.generation, 2);
  });
});

describe('api handler: managedFields and server-side apply', () => {
  let s: TestServer;
  before(async () => { s = await startTestServer(new MemoryStore()); });
  after(async () => { await s.close(); await s.store.close(); });
  const applyCt = { 'Content-Type': 'application/apply-patch+yaml' };

  test('create and update record managedFields for the field manager', async () => {
    const c = await s.request('POST', '/api/v1/namespaces/default/configmaps?fieldManager=kubectl-create', { metadata: { name: 'mf' }, data: { a: '1' } });
    assert.equal(c.status, 201);
    assert.equal(c.body.metadata.managedFields.length, 1);
    const e = c.body.metadata.managedFields[0];
    assert.equal(e.manager, 'kubectl-create');
    assert.equal(e.operation, 'Update');
    assert.equal(e.apiVersion, 'v1');
    assert.ok(e.fieldsV1['f:data']['f:a']);
    const p = await s.request('PATCH', '/api/v1/namespaces/default/configmaps/mf', { data: { b: '2' } }, { 'Content-Type': 'application/merge-patch+json', 'User-Agent': 'kubectl/v1.32.0 (linux/amd64)' });
    assert.equal(p.status, 200);
    const managers = p.body.metadata.managedFields.map((x: { manager: string }) => x.manager).sort();
    assert.deepEqual(managers, ['kubectl', 'kubectl-create']);
  });

  test('apply creates, updates, and reports conflicts with another manager unless forced', async () => {
    const doc = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\ndata:\n  a: "1"\n';
    const c = await s.request('PATCH', '/api/v1/namespaces/default/configmaps/ssa?fieldManager=alice', doc, applyCt);
    assert.equal(c.status, 201, c.text);
    assert.equal(c.body.data.a, '1');
    assert.equal(c.body.metadata.managedFields[0].operation, 'Apply');
    const noMgr = await s.request('PATCH', '/api/v1/namespaces/default/configmaps/ssa', doc, applyCt);
    assert.equal(noMgr.status, 400);
    const bob = await s.request('PATCH', '/api/v1/namespaces/default/configmaps/ssa?fieldManager=bob', doc.replace('"1"', '"2"'), applyCt);
    assert.equal(bob.status, 409, bob.text);
    assert.match(bob.body.message, /conflict/i);
    const forced = await s.request('PATCH', '/api/v1/namespaces/default/configmaps/ssa?fieldManager=bob&force=true', doc.replace('"1"', '"2"'), applyCt);
    assert.equal(forced.status, 200, forced.text);
    assert.equal(forced.body.data.a, '2');
  });
});

describe('api handler: watch bookmarks, sendInitialEvents, timeouts (fake clock)', () => {
  let s: TestServer;
  let clock: FakeClock;
  before(async () => { clock = new FakeClock(); s = await startTestServer(new MemoryStore(), { clock, bookmarkIntervalMs: 1000 }); });
  after(async () => { await s.close(); await s.store.close(); });

  test('bookmarks carry the newest resourceVersion; timeoutSeconds ends the watch', async () => {
    const c = await s.request('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'bm' } });
    const w = openWatch(s, `/api/v1/namespaces/default/configmaps?watch=1&allowWatchBookmarks=true&timeoutSeconds=5&resourceVersion=${c.body.metadata.resourceVersion}`);
    t_after(w.close);
    await s.request('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'bm2' } });
    const added = await w.next();
    assert.equal(added.type, 'ADDED');
    await clock.advance(1000);
    const bm = await w.next();
    assert.equal(bm.type, 'BOOKMARK');
    assert.equal(bm.object.kind, 'ConfigMap');
    assert.ok(Number(bm.object.metadata.resourceVersion) >= Number(added.object.metadata.resourceVersion));
    await clock.advance(5000);
    await assert.rejects(async () => { for (;;) await w.next(); }, /watch ended/);
  });

  test('sendInitialEvents=true: initial ADDED events then a bookmark marking their end', async () => {
    await s.request('POST', '/api/v1/namespaces', { metadata: { name: 'sie' } });
    await s.request('POST', '/api/v1/namespaces/sie/configmaps', { metadata: { name: 'a' } });
    await s.request('POST', '/api/v1/namespaces/sie/configmaps', { metadata: { name: 'b' } });
    const bad = await s.request('GET', '/api/v1/namespaces/sie/configmaps?watch=1&sendInitialEvents=true');
    assert.equal(bad.status, 422);
    const w = openWatch(s, '/api/v1/namespaces/sie/configmaps?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true');
    t_after(w.close);
    assert.equal((await w.next()).object.metadata.name, 'a');
    assert.equal((await w.next()).object.metadata.name, 'b');
    const end = await w.next();
    assert.equal(end.type, 'BOOKMARK');
    assert.equal(end.object.metadata.annotations['k8s.io/initial-events-end'], 'true');
    w.close();
  });

  test('an expired continue token answers 410; deletecollection returns what it deleted', async () => {
    await s.request('POST', '/api/v1/namespaces', { metadata: { name: 'dc' } });
    for (const n of ['a', 'b', 'c']) await s.request('POST', '/api/v1/namespaces/dc/configmaps', { metadata: { name: n, labels: { g: n === 'c' ? '2' : '1' } } });
    const page = await s.request('GET', '/api/v1/namespaces/dc/configmaps?limit=1');
    await s.store.compact(await s.store.currentRevision());
    const expired = await s.request('GET', `/api/v1/namespaces/dc/configmaps?limit=1&continue=${encodeURIComponent(page.body.metadata.continue)}`);
    assert.equal(expired.status, 410);
    assert.equal(expired.body.reason, 'Expired');
    const bogus = await s.request('GET', '/api/v1/namespaces/dc/configmaps?limit=1&continue=xyz');
    assert.equal(bogus.status, 400);
    const dc = await s.request('DELETE', '/api/v1/namespaces/dc/configmaps?labelSelector=g%3D1');
    assert.equal(dc.status, 200);
    assert.equal(dc.body.kind, 'ConfigMapList');
    assert.deepEqual(dc.body.items.map((i: { metadata: { name: string } }) => i.metadata.name), ['a', 'b']);
    const left = await s.request('GET', '/api/v1/namespaces/dc/configmaps');
    assert.deepEqual(left.body.items.map((i: { metadata: { name: string } }) => i.metadata.name), ['c']);
  });

  test('ephemeral containers can be added but not changed', async () => {
    const p = await s.request('POST', '/api/v1/namespaces/default/pods', { metadata: { name: 'eph' }, spec: { containers: [{ name: 'c', image: 'i' }] } });
    const ec = { name: 'debug', image: 'busybox', terminationMessagePolicy: 'File', imagePullPolicy: 'IfNotPresent' };
    const add = await s.request('PATCH', '/api/v1/namespaces/default/pods/eph/ephemeralcontainers', { spec: { ephemeralContainers: [ec] } }, { 'Content-Type': 'application/strategic-merge-patch+json' });
    assert.equal(add.status, 200, add.text);
    assert.equal(add.body.spec.ephemeralContainers[0].name, 'debug');
    const get = await s.request('GET', '/api/v1/namespaces/default/pods/eph/ephemeralcontainers');
    assert.equal(get.body.kind, 'Pod');
    const change = await s.request('PUT', '/api/v1/namespaces/default/pods/eph/ephemeralcontainers', { ...get.body, spec: { ...get.body.spec, ephemeralContainers: [{ ...get.body.spec.ephemeralContainers[0], image: 'other' }] } });
    assert.equal(change.status, 422);
    assert.ok(Number(add.body.metadata.resourceVersion) > Number(p.body.metadata.resourceVersion));
  });
});

describe('api handler: serviceaccounts/token', () => {
  let s: TestServer;
  let issuer: TokenIssuer;
  before(async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    issuer = new TokenIssuer(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), publicKey.export({ type: 'spki', format: 'pem' }).toString());
    s = await startTestServer(new MemoryStore(), { tokenIssuer: issuer });
  });
  after(async () => { await s.close(); await s.store.close(); });

  test('issues a verifiable token, bound to a pod when asked', async () => {
    const sa = await s.request('POST', '/api/v1/namespaces/default/serviceaccounts', { metadata: { name: 'robot' } });
    assert.equal(sa.status, 201);
    const r = await s.request('POST', '/api/v1/namespaces/default/serviceaccounts/robot/token', { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { audiences: ['api'], expirationSeconds: 3600 } });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.body.kind, 'TokenRequest');
    const claims = await issuer.verify(r.body.status.token, ['api']);
    assert.equal(claims?.sub, 'system:serviceaccount:default:robot');
    assert.equal(claims?.['kubernetes.io'].serviceaccount.uid, sa.body.metadata.uid);
    const short = await s.request('POST', '/api/v1/namespaces/default/serviceaccounts/robot/token', { spec: { expirationSeconds: 60 } });
    assert.equal(short.status, 422);
    const pod = await s.request('POST', '/api/v1/namespaces/default/pods', { metadata: { name: 'user' }, spec: { serviceAccountName: 'robot', containers: [{ name: 'c', image: 'i' }] } });
    assert.equal(pod.status, 201, pod.text);
    const bound = await s.request('POST', '/api/v1/namespaces/default/serviceaccounts/robot/token', { spec: { boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'user', uid: pod.body.metadata.uid } } });
    assert.equal(bound.status, 201, bound.text);
    const bc = await issuer.verify(bound.body.status.token);
    assert.equal(bc?.['kubernetes.io'].pod?.name, 'user');
    const wrongUid = await s.request('POST', '/api/v1/namespaces/default/serviceaccounts/robot/token', { spec: { boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'user', uid: 'nope' } } });
    assert.equal(wrongUid.status, 409);
    const missing = await s.request('POST', '/api/v1/namespaces/default/serviceaccounts/ghost/token', { spec: {} });
    assert.equal(missing.status, 404);
    assert.equal(missing.body.message, 'serviceaccounts "ghost" not found');
  });
});

describe('api handler: admission on create', () => {
  let s: TestServer;
  before(async () => { s = await startTestServer(new MemoryStore(), { serviceAccountAdmission: 'enforce' }); });
  after(async () => { await s.close(); await s.store.close(); });

  test('pods need their service account; its token volume is mounted', async () => {
    const pod = { metadata: { name: 'sa-pod' }, spec: { containers: [{ name: 'c', image: 'i' }] } };
    const no = await s.request('POST', '/api/v1/namespaces/default/pods', pod);
    assert.equal(no.status, 403);
    assert.equal(no.body.message, 'pods "sa-pod" is forbidden: error looking up service account default/default: serviceaccount "default" not found');
    await s.request('POST', '/api/v1/namespaces/default/serviceaccounts', { metadata: { name: 'default' } });
    const ok = await s.request('POST', '/api/v1/namespaces/default/pods', pod);
    assert.equal(ok.status, 201, ok.text);
    assert.equal(ok.body.spec.serviceAccountName, 'default');
    assert.ok(ok.body.spec.volumes.some((v: { name: string }) => v.name.startsWith('kube-api-access-')));
    assert.ok(ok.body.spec.containers[0].volumeMounts.some((m: { mountPath: string }) => m.mountPath === '/var/run/secrets/kubernetes.io/serviceaccount'));
  });

  test('jobs get the generated controller-uid selector and labels', async () => {
    const j = await s.request('POST', '/apis/batch/v1/namespaces/default/jobs', { metadata: { name: 'j' }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'i' }] } } } });
    assert.equal(j.status, 201, j.text);
    const uid = j.body.metadata.uid;
    assert.equal(j.body.spec.selector.matchLabels['batch.kubernetes.io/controller-uid'], uid);
    assert.equal(j.body.spec.template.metadata.labels['batch.kubernetes.io/job-name'], 'j');
    assert.equal(j.body.spec.template.metadata.labels['controller-uid'], uid);
    const t = await s.request('GET', '/apis/batch/v1/namespaces/default/jobs/j', undefined, { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' });
    assert.deepEqual(t.body.columnDefinitions.map((c: { name: string }) => c.name), ['Name', 'Status', 'Completions', 'Duration', 'Age', 'Containers', 'Images', 'Selector']);
    assert.deepEqual(t.body.rows[0].cells.slice(0, 4), ['j', 'Running', '0/1', '']);
  });
});

describe('api handler: concurrency', () => {
  let s: TestServer;
  before(async () => { s = await startTestServer(new MemoryStore()); });
  after(async () => { await s.close(); await s.store.close(); });

  test('concurrent patches without resourceVersion all land (internal conflict retries)', async () => {
    await s.request('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'busy' } });
    const results = await Promise.all(Array.from({ length: 25 }, (_, i) =>
      s.request('PATCH', '/api/v1/namespaces/default/configmaps/busy', { metadata: { labels: { [`l${i}`]: 'x' } } }, { 'Content-Type': 'application/merge-patch+json' })));
    for (const r of results) assert.equal(r.status, 200, r.text);
    const final = await s.request('GET', '/api/v1/namespaces/default/configmaps/busy');
    assert.equal(Object.keys(final.body.metadata.labels).length, 25);
  });

  test('concurrent creates with the same generateName get distinct names', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, () => s.request('POST', '/api/v1/namespaces/default/configmaps', { metadata: { generateName: 'g-' } })));
    const names = new Set(results.map((r) => { assert.equal(r.status, 201, r.text); return r.body.metadata.name; }));
    assert.equal(names.size, 20);
  });
});

describe('api handler: event TTL', () => {
  let s: TestServer;
  let clock: FakeClock;
  before(async () => { clock = new FakeClock(); s = await startTestServer(new MemoryStore(), { clock, eventTtlMs: 60_000 }); });
  after(async () => { await s.close(); await s.store.close(); });

  test('events expire a TTL after their last write', async () => {
    const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const ev = (name: string, last: number) => ({ metadata: { name }, involvedObject: { kind: 'Pod', name: 'p', namespace: 'default' }, reason: 'R', message: 'm', type: 'Normal', firstTimestamp: iso(last), lastTimestamp: iso(last) });
    assert.equal((await s.request('POST', '/api/v1/namespaces/default/events', ev('old', clock.now()))).status, 201);
    await clock.advance(40_000);
    assert.equal((await s.request('POST', '/api/v1/namespaces/default/events', ev('young', clock.now()))).status, 201);
    await clock.advance(30_000);
    const deadline = Date.now() + 3000;
    while ((await s.request('GET', '/api/v1/namespaces/default/events/old')).status !== 404) {
      assert.ok(Date.now() < deadline, 'the expired event was not swept');
      await clock.advance(6_000);
    }
    assert.equal((await s.request('GET', '/api/v1/namespaces/default/events/young')).status, 200);
  });
});

describe('api handler: compaction', () => {
  let s: TestServer;
  let clock: FakeClock;
  before(async () => { clock = new FakeClock(); s = await startTestServer(new MemoryStore(), { clock, compaction: { intervalMs: 1000, keepRevisions: 0 }, eventTtlMs: 0 }); });
  after(async () => { await s.close(); await s.store.close(); });

  test('history older than one interval is compacted; a watch from it gets 410', async () => {
    const first = await s.request('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'h1' } });
    const rv = Number(first.body.metadata.resourceVersion);
    await clock.advance(1000); // records the current revision
    await s.request('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'h2' } });
    const deadline = Date.now() + 3000;
    while ((await s.store.compactRevision()) < rv) {
      assert.ok(Date.now() < deadline, 'not compacted');
      await clock.advance(1000);
    }
    const w = openWatch(s, `/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=${rv - 1}`);
    t_after(w.close);
    const e = await w.next();
    assert.equal(e.type, 'ERROR');
    assert.equal(e.object.code, 410);
    w.close();
  });
});

describe('api handler: service IP and node port allocation', () => {
  let s: TestServer;
  before(async () => { s = await startTestServer(new MemoryStore(), { serviceCIDR: '10.96.0.0/24', nodePortRange: [30000, 30002] }); });
  after(async () => { await s.close(); await s.store.close(); });
  const svc = (name: string, spec: Record<string, unknown> = {}) => ({ metadata: { name }, spec: { ports: [{ port: 80 }], selector: { app: name }, ...spec } });

  test('cluster IPs are allocated from the range, requested ones are honoured once', async () => {
    const a = await s.request('POST', '/api/v1/namespaces/default/services', svc('a'));
    assert.equal(a.status, 201, a.text);
    assert.match(a.body.spec.clusterIP, /^10\.96\.0\.\d+$/);
    assert.deepEqual(a.body.spec.clusterIPs, [a.body.spec.clusterIP]);
    assert.deepEqual(a.body.spec.ipFamilies, ['IPv4']);
    const fixed = await s.request('POST', '/api/v1/namespaces/default/services', svc('b', { clusterIP: '10.96.0.1' }));
    assert.equal(fixed.status, 201, fixed.text);
    assert.equal(fixed.body.spec.clusterIP, '10.96.0.1');
    const taken = await s.request('POST', '/api/v1/namespaces/default/services', svc('c', { clusterIP: '10.96.0.1' }));
    assert.equal(taken.status, 422);
    assert.equal(taken.body.message, 'Service "c" is invalid: spec.clusterIPs: Invalid value: []string{"10.96.0.1"}: failed to allocate IP 10.96.0.1: provided IP is already allocated');
    const out = await s.request('POST', '/api/v1/namespaces/default/services', svc('d', { clusterIP: '10.1.0.1' }));
    assert.equal(out.status, 422);
    assert.match(out.body.message, /the provided IP \(10\.1\.0\.1\) is not in the valid range\. The range of valid IPs is 10\.96\.0\.0\/24/);
    const headless = await s.request('POST', '/api/v1/namespaces/default/services', svc('e', { clusterIP: 'None' }));
    assert.equal(headless.status, 201, headless.text);
    assert.equal(headless.body.spec.clusterIP, 'None');
    const t = await s.request('GET', '/api/v1/namespaces/default/services/a', undefined, { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' });
    assert.deepEqual(t.body.rows[0].cells.slice(1, 5), ['ClusterIP', a.body.spec.clusterIP, '<none>', '80/TCP']);
    // the address is kept across updates, and free again once the service is gone
    const u = await s.request('PUT', '/api/v1/namespaces/default/services/b', { ...fixed.body, metadata: { ...fixed.body.metadata, labels: { x: 'y' } } });
    assert.equal(u.status, 200, u.text);
    assert.equal(u.body.spec.clusterIP, '10.96.0.1');
    await s.request('DELETE', '/api/v1/namespaces/default/services/b');
  });

  test('node ports for NodePort services, released when the type goes back to ClusterIP', async () => {
    const n = await s.request('POST', '/api/v1/namespaces/default/services', svc('np', { type: 'NodePort', ports: [{ name: 'a', port: 80 }, { name: 'b', port: 81, nodePort: 30001 }] }));
    assert.equal(n.status, 201, n.text);
    const ports = n.body.spec.ports.map((p: { nodePort: number }) => p.nodePort);
    assert.equal(ports[1], 30001);
    assert.ok(ports[0] >= 30000 && ports[0] <= 30002 && ports[0] !== 30001);
    const clash = await s.request('POST', '/api/v1/namespaces/default/services', svc('np2', { type: 'NodePort', ports: [{ port: 80, nodePort: 30001 }] }));
    assert.equal(clash.status, 422);
    assert.equal(clash.body.message, 'Service "np2" is invalid: spec.ports[0].nodePort: Invalid value: 30001: provided port is already allocated');
    const range = await s.request('POST', '/api/v1/namespaces/default/services', svc('np3', { type: 'NodePort', ports: [{ port: 80, nodePort: 80 }] }));
    assert.equal(range.status, 422);
    assert.match(range.body.message, /provided port is not in the valid range\. The range of valid ports is 30000-30002/);
    const tbl = await s.request('GET', '/api/v1/namespaces/default/services/np', undefined, { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' });
    assert.equal(tbl.body.rows[0].cells[4], `80:${ports[0]}/TCP,81:30001/TCP`);
    const back = await s.request('PATCH', '/api/v1/namespaces/default/services/np', { spec: { type: 'ClusterIP' } }, { 'Content-Type': 'application/merge-patch+json' });
    assert.equal(back.status, 200, back.text);
    assert.ok(back.body.spec.ports.every((p: { nodePort?: number }) => p.nodePort === undefined));
    const reuse = await s.request('POST', '/api/v1/namespaces/default/services', svc('np4', { type: 'NodePort', ports: [{ port: 80, nodePort: 30001 }] }));
    assert.equal(reuse.status, 201, reuse.text);
  });
});

describe('api handler: the kubernetes service', () => {
  let s: TestServer;
  before(async () => { s = await startTestServer(new MemoryStore(), { advertise: { address: '10.1.2.3', port: 6443 } }); });
  after(async () => { await s.close(); await s.store.close(); });

  test('default/kubernetes points at the advertised address', async () => {
    const svc = await s.request('GET', '/api/v1/namespaces/default/services/kubernetes');
    assert.equal(svc.status, 200, svc.text);
    assert.equal(svc.body.spec.clusterIP, '10.96.0.1');
    assert.deepEqual(svc.body.spec.ports.map((p: { port: number; targetPort: number }) => [p.port, p.targetPort]), [[443, 6443]]);
    const ep = await s.request('GET', '/api/v1/namespaces/default/endpoints/kubernetes');
    assert.equal(ep.body.subsets[0].addresses[0].ip, '10.1.2.3');
    const t = await s.request('GET', '/api/v1/namespaces/default/endpoints/kubernetes', undefined, { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' });
    assert.equal(t.body.rows[0].cells[1], '10.1.2.3:6443');
    const slice = await s.request('GET', '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/kubernetes');
    assert.deepEqual(slice.body.endpoints[0].addresses, ['10.1.2.3']);
    // a second server start on the same store changes nothing
    const again = await startTestServer(s.store, { advertise: { address: '10.1.2.3', port: 6443 } });
    const svc2 = await again.request('GET', '/api/v1/namespaces/default/services/kubernetes');
    assert.equal(svc2.body.metadata.resourceVersion, svc.body.metadata.resourceVersion);
    await again.close();
  });
});
