/**
 * The contract both KubeClient transports pass (HttpClient over HTTPS, InProcessClient straight
 * into the REST core). A transport's test file calls
 *
 *   runKubeClientContract('in-process', async () => ({ client, store, close }));
 *
 * The fixture is started once for the suite: a REST core over `store` with ServiceAccount admission
 * off and watch bookmarks every 200 ms (kubeClientFixtureDeps), reached through `client` as an
 * admin; each case works in its own namespace. `close` removes everything, also when a case fails.
 * Waits are bounded (10 s); nothing sleeps.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../api/object.js';
import type { ApiHandlerDeps } from '../apiserver/api-handler.js';
import type { Store } from '../storage/store.js';
import { StatusError, isAlreadyExists, isConflict, isGone, isNotFound } from './errors.js';
import { Resources } from './resources.js';
import type { KubeClient, WatchEvent, WatchHandle, WatchOptions } from './types.js';

export interface KubeClientFixture {
  client: KubeClient;
  /** The store behind the API (the contract compacts it to see 410s). */
  store: Store;
  close(): Promise<void>;
}

/** The REST core options every transport's fixture uses. */
export const kubeClientFixtureDeps: Partial<ApiHandlerDeps> = { serviceAccountAdmission: 'off', bookmarkIntervalMs: 200, skipBootstrap: false };

const T = 10_000;

async function until<V>(fn: () => V | undefined | false | Promise<V | undefined | false>, what: string): Promise<V> {
  const deadline = Date.now() + T;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** `p`, or a failure saying what was awaited after 10 s. */
async function within<V>(p: Promise<V>, what: string): Promise<V> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), T); })]);
  } finally {
    clearTimeout(timer);
  }
}

async function rejectsWith(p: Promise<unknown>, code: number, reason: string | undefined, what: string): Promise<StatusError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof StatusError, `${what}: a StatusError, got ${String(e)}`);
    assert.equal(e.code, code, `${what}: code (${e.message})`);
    if (reason !== undefined) assert.equal(e.reason, reason, `${what}: reason (${e.message})`);
    assert.equal(e.status?.kind, 'Status', `${what}: the server's Status is kept`);
    return e;
  }
  assert.fail(`${what}: expected ${code} ${reason ?? ''}`);
}

const cm = (name: string, labels: Record<string, string> = {}, data: Record<string, string> = {}): KubeObject =>
  ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels }, data });

const pod = (name: string, labels: Record<string, string> = {}): KubeObject =>
  ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, labels }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });

const deployment = (name: string, replicas: number): KubeObject => ({
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name },
  spec: { replicas, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
});

/** A watch whose events are collected; `until` waits (bounded) for a condition on them. */
function watchAll(client: KubeClient, ns: string, opts: WatchOptions, r = Resources.configmaps): { events: WatchEvent[]; handle: WatchHandle; seen(pred: (evs: WatchEvent[]) => boolean, what: string): Promise<void> } {
  const events: WatchEvent[] = [];
  const handle = client.watch(r, ns, opts, (ev) => { events.push(ev); });
  return { events, handle, seen: (pred, what) => until(() => pred(events), `${what} (have ${events.map((e) => `${e.type}:${e.object.metadata?.name ?? ''}`).join(' ')})`).then(() => undefined) };
}

const names = (evs: WatchEvent[], ...types: string[]) => evs.filter((e) => types.includes(e.type)).map((e) => `${e.type}:${e.object.metadata.name}`);

export function runKubeClientContract(transport: string, start: () => Promise<KubeClientFixture>): void {
  describe(`KubeClient contract: ${transport}`, () => {
    let fx: KubeClientFixture;
    let c: KubeClient;
    let nsCount = 0;
    const watches: WatchHandle[] = [];
    before(async () => { fx = await start(); c = fx.client; });
    after(async () => { for (const w of watches) w.stop(); await fx?.close(); });
    const namespace = async (): Promise<string> => {
      const name = `contract-${++nsCount}`;
      await c.create(Resources.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
      return name;
    };
    const watch = (ns: string, opts: WatchOptions, r = Resources.configmaps) => { const w = watchAll(c, ns, opts, r); watches.push(w.handle); return w; };

    it('get: the object, a copy per call; a missing one is 404 NotFound with its details', async () => {
      const ns = await namespace();
      const created = await c.create(Resources.configmaps, ns, cm('a', { app: 'x' }, { k: 'v' }));
      const got = await c.get(Resources.configmaps, ns, 'a');
      assert.equal(got.metadata.uid, created.metadata.uid);
      assert.equal(got.metadata.resourceVersion, created.metadata.resourceVersion);
      assert.deepEqual((got as { data?: unknown }).data, { k: 'v' });
      (got as unknown as { data: Record<string, string> }).data.k = 'changed by the caller';
      const again = await c.get(Resources.configmaps, ns, 'a');
      assert.deepEqual((again as { data?: unknown }).data, { k: 'v' }, 'what a caller does to its object is not the server\'s');
      const e = await rejectsWith(c.get(Resources.configmaps, ns, 'missing'), 404, 'NotFound', 'get missing');
      assert.ok(isNotFound(e));
      assert.equal(e.status?.details?.name, 'missing');
      assert.equal(e.message, 'configmaps "missing" not found');
    });

    it('list: label and field selectors, limit and continue, resourceVersion and Exact', async () => {
      const ns = await namespace();
      for (let i = 0; i < 5; i++) await c.create(Resources.configmaps, ns, cm(`cm-${i}`, { tier: i % 2 === 0 ? 'even' : 'odd' }));
      const all = await c.list(Resources.configmaps, ns);
      assert.deepEqual(all.items.map((o) => o.metadata.name), ['cm-0', 'cm-1', 'cm-2', 'cm-3', 'cm-4']);
      assert.equal(all.kind, 'ConfigMapList');
      assert.match(String(all.metadata.resourceVersion), /^\d+$/);
      const even = await c.list(Resources.configmaps, ns, { labelSelector: 'tier=even' });
      assert.deepEqual(even.items.map((o) => o.metadata.name), ['cm-0', 'cm-2', 'cm-4']);
      const one = await c.list(Resources.configmaps, ns, { fieldSelector: 'metadata.name=cm-3' });
      assert.deepEqual(one.items.map((o) => o.metadata.name), ['cm-3']);
      await rejectsWith(c.list(Resources.configmaps, ns, { labelSelector: 'tier in (' }), 400, 'BadRequest', 'bad selector');
      await rejectsWith(c.list(Resources.configmaps, ns, { fieldSelector: 'data.k=v' }), 400, 'BadRequest', 'unsupported field');

      const p1 = await c.list(Resources.configmaps, ns, { limit: 2 });
      assert.deepEqual(p1.items.map((o) => o.metadata.name), ['cm-0', 'cm-1']);
      assert.ok(p1.metadata.continue, 'a continue token');
      assert.equal(p1.metadata.remainingItemCount, 3);
      // a change between pages is not seen: the pages are one snapshot
      await c.create(Resources.configmaps, ns, cm('cm-5'));
      const p2 = await c.list(Resources.configmaps, ns, { limit: 2, continue: p1.metadata.continue });
      assert.deepEqual(p2.items.map((o) => o.metadata.name), ['cm-2', 'cm-3']);
      assert.equal(p2.metadata.resourceVersion, p1.metadata.resourceVersion);
      const p3 = await c.list(Resources.configmaps, ns, { limit: 2, continue: p2.metadata.continue });
      assert.deepEqual(p3.items.map((o) => o.metadata.name), ['cm-4']);
      assert.equal(p3.metadata.continue, undefined);
      await rejectsWith(c.list(Resources.configmaps, ns, { continue: 'not-a-token' }), 400, 'BadRequest', 'bad continue');

      // Exact: the list as it was at that resourceVersion
      const old = await c.list(Resources.configmaps, ns, { resourceVersion: all.metadata.resourceVersion, resourceVersionMatch: 'Exact' });
      assert.equal(old.items.length, 5);
      assert.equal(old.metadata.resourceVersion, all.metadata.resourceVersion);
      const notOlder = await c.list(Resources.configmaps, ns, { resourceVersion: all.metadata.resourceVersion, resourceVersionMatch: 'NotOlderThan' });
      assert.equal(notOlder.items.length, 6);
      const any = await c.list(Resources.configmaps, ns, { resourceVersion: '0' });
      assert.equal(any.items.length, 6);
      await rejectsWith(c.list(Resources.configmaps, ns, { resourceVersion: 'abc' }), 400, 'BadRequest', 'bad resourceVersion');
      await rejectsWith(c.list(Resources.configmaps, ns, { resourceVersionMatch: 'Exact' }), 422, 'Invalid', 'resourceVersionMatch without resourceVersion');
    });

    it('create: generateName, dryRun, AlreadyExists, defaulting and field managers', async () => {
      const ns = await namespace();
      const gen = await c.create<KubeObject>(Resources.configmaps, ns, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'gen-' } });
      assert.match(String(gen.metadata.name), /^gen-[a-z0-9]{5}$/);
      assert.ok(gen.metadata.uid && gen.metadata.creationTimestamp && gen.metadata.resourceVersion);
      const dry = await c.create(Resources.configmaps, ns, cm('dry'), { dryRun: true });
      assert.equal(dry.metadata.name, 'dry');
      await rejectsWith(c.get(Resources.configmaps, ns, 'dry'), 404, 'NotFound', 'a dry run stores nothing');
      await c.create(Resources.configmaps, ns, cm('dup'));
      const e = await rejectsWith(c.create(Resources.configmaps, ns, cm('dup')), 409, 'AlreadyExists', 'second create');
      assert.ok(isAlreadyExists(e));
      const p = await c.create(Resources.pods, ns, pod('p'), { fieldManager: 'contract-test' });
      const spec = p.spec as { restartPolicy?: string; containers: { terminationMessagePath?: string }[] };
      assert.equal(spec.restartPolicy, 'Always', 'defaulted');
      assert.equal(spec.containers[0].terminationMessagePath, '/dev/termination-log');
      assert.deepEqual(p.metadata.managedFields?.map((m) => [m.manager, m.operation]), [['contract-test', 'Update']]);
      await rejectsWith(c.create(Resources.pods, ns, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'bad' }, spec: { containers: [] } }), 422, 'Invalid', 'validation');
      await rejectsWith(c.create(Resources.configmaps, 'no-such-namespace', cm('x')), 404, 'NotFound', 'create in a missing namespace');
    });

    it('update: a stale resourceVersion is 409 Conflict; the current one writes', async () => {
      const ns = await namespace();
      const v1 = await c.create(Resources.configmaps, ns, cm('u', {}, { n: '1' }));
      const v2 = await c.update(Resources.configmaps, ns, { ...v1, data: { n: '2' } } as KubeObject);
      assert.notEqual(v2.metadata.resourceVersion, v1.metadata.resourceVersion);
      const e = await rejectsWith(c.update(Resources.configmaps, ns, { ...v1, data: { n: '3' } } as KubeObject), 409, 'Conflict', 'stale update');
      assert.ok(isConflict(e));
      assert.match(e.message, /the object has been modified/);
      const dry = await c.update(Resources.configmaps, ns, { ...v2, data: { n: 'dry' } } as KubeObject, { dryRun: true });
      assert.deepEqual((dry as { data?: unknown }).data, { n: 'dry' });
      assert.deepEqual((await c.get(Resources.configmaps, ns, 'u') as { data?: unknown }).data, { n: '2' });
    });

    it('patch: json, merge, strategic, and apply with conflicts and force', async () => {
      const ns = await namespace();
      await c.create(Resources.configmaps, ns, cm('p', { a: '1' }, { x: '1' }));
      const j = await c.patch(Resources.configmaps, ns, 'p', 'json', [{ op: 'add', path: '/data/y', value: '2' }]);
      assert.deepEqual((j as { data?: unknown }).data, { x: '1', y: '2' });
      await rejectsWith(c.patch(Resources.configmaps, ns, 'p', 'json', [{ op: 'test', path: '/data/x', value: 'nope' }]), 422, undefined, 'failed json patch test');
      const m = await c.patch(Resources.configmaps, ns, 'p', 'merge', { data: { x: null, z: '3' } });
      assert.deepEqual((m as { data?: unknown }).data, { y: '2', z: '3' });
      await rejectsWith(c.patch(Resources.configmaps, ns, 'missing', 'merge', { data: {} }), 404, 'NotFound', 'patch missing');

      const d = await c.create(Resources.deployments, ns, deployment('web', 1));
      assert.ok(d.metadata.uid);
      const s = await c.patch(Resources.deployments, ns, 'web', 'strategic', { spec: { template: { spec: { containers: [{ name: 'side', image: 'pause' }] } } } });
      const containers = ((s.spec as { template: { spec: { containers: { name: string }[] } } }).template.spec.containers).map((x) => x.name);
      assert.deepEqual(containers.sort(), ['c', 'side'], 'containers merge by name');

      const applied = await c.patch(Resources.configmaps, ns, 'ap', 'apply', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ap' }, data: { k: 'mine' } }, { fieldManager: 'alice' });
      assert.deepEqual((applied as { data?: unknown }).data, { k: 'mine' }, 'apply creates');
      assert.ok(applied.metadata.managedFields?.some((f) => f.manager === 'alice' && f.operation === 'Apply'));
      const conflict = await rejectsWith(c.patch(Resources.configmaps, ns, 'ap', 'apply', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ap' }, data: { k: 'theirs' } }, { fieldManager: 'bob' }), 409, 'Conflict', 'apply over another manager');
      assert.match(conflict.message, /alice/);
      const forced = await c.patch(Resources.configmaps, ns, 'ap', 'apply', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ap' }, data: { k: 'theirs' } }, { fieldManager: 'bob', force: true });
      assert.deepEqual((forced as { data?: unknown }).data, { k: 'theirs' });
      assert.deepEqual(forced.metadata.managedFields?.filter((f) => f.operation === 'Apply').map((f) => f.manager), ['bob']);
      await rejectsWith(c.patch(Resources.configmaps, ns, 'ap', 'apply', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ap' } }), 400, 'BadRequest', 'apply without a field manager');
    });

    it('delete: preconditions, propagation finalizers, graceful deletion of a bound pod', async () => {
      const ns = await namespace();
      const a = await c.create(Resources.configmaps, ns, cm('a'));
      await rejectsWith(c.delete(Resources.configmaps, ns, 'a', { preconditions: { uid: 'not-the-uid' } }), 409, 'Conflict', 'uid precondition');
      await rejectsWith(c.delete(Resources.configmaps, ns, 'a', { preconditions: { resourceVersion: '1' } }), 409, 'Conflict', 'resourceVersion precondition');
      await c.delete(Resources.configmaps, ns, 'a', { dryRun: true });
      assert.ok(await c.get(Resources.configmaps, ns, 'a'), 'a dry-run delete keeps it');
      const st = await c.delete(Resources.configmaps, ns, 'a', { preconditions: { uid: a.metadata.uid } });
      assert.equal(st.kind, 'Status');
      assert.equal((st as { status?: string }).status, 'Success');
      await rejectsWith(c.get(Resources.configmaps, ns, 'a'), 404, 'NotFound', 'deleted');
      await rejectsWith(c.delete(Resources.configmaps, ns, 'a'), 404, 'NotFound', 'delete again');

      await c.create(Resources.configmaps, ns, cm('fg'));
      const fg = await c.delete(Resources.configmaps, ns, 'fg', { propagationPolicy: 'Foreground' });
      assert.ok(fg.metadata.deletionTimestamp, 'marked, not gone');
      assert.deepEqual(fg.metadata.finalizers, ['foregroundDeletion']);
      await c.create(Resources.configmaps, ns, cm('or'));
      const or = await c.delete(Resources.configmaps, ns, 'or', { propagationPolicy: 'Orphan' });
      assert.deepEqual(or.metadata.finalizers, ['orphan']);

      await c.create(Resources.pods, ns, pod('p'));
      await c.create(Resources.pods, ns, { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'p' }, target: { apiVersion: 'v1', kind: 'Node', name: 'n1' } }, { subresource: 'binding', name: 'p' });
      const graceful = await c.delete(Resources.pods, ns, 'p', { gracePeriodSeconds: 30 });
      assert.equal(graceful.metadata.deletionGracePeriodSeconds, 30);
      assert.ok(graceful.metadata.deletionTimestamp);
      assert.ok((await c.get(Resources.pods, ns, 'p')).metadata.deletionTimestamp, 'a bound pod waits for its node');
      await c.delete(Resources.pods, ns, 'p', { gracePeriodSeconds: 0 });
      await rejectsWith(c.get(Resources.pods, ns, 'p'), 404, 'NotFound', 'grace 0 removes it');
    });

    it('subresources: status, scale, binding, eviction', async () => {
      const ns = await namespace();
      const d = await c.create(Resources.deployments, ns, deployment('web', 2));
      const withStatus = await c.update(Resources.deployments, ns, { ...d, spec: { ...(d.spec as object), replicas: 9 }, status: { replicas: 2, observedGeneration: 1 } } as KubeObject, { subresource: 'status' });
      assert.deepEqual(withStatus.status, { replicas: 2, observedGeneration: 1 });
      assert.equal((withStatus.spec as { replicas: number }).replicas, 2, 'status writes leave spec alone');
      const plain = await c.update(Resources.deployments, ns, { ...withStatus, status: { replicas: 7 } } as KubeObject);
      assert.equal((plain.status as { replicas: number }).replicas, 2, 'spec writes leave status alone');
      const gotStatus = await c.get(Resources.deployments, ns, 'web', { subresource: 'status' });
      assert.equal(gotStatus.kind, 'Deployment');

      const scale = await c.get(Resources.deployments, ns, 'web', { subresource: 'scale' });
      assert.equal(scale.kind, 'Scale');
      assert.deepEqual(scale.spec, { replicas: 2 });
      assert.equal((scale.status as { selector?: string }).selector, 'app=web');
      const scaled = await c.update(Resources.deployments, ns, { ...scale, spec: { replicas: 5 } } as KubeObject, { subresource: 'scale' });
      assert.deepEqual(scaled.spec, { replicas: 5 });
      assert.equal(((await c.get(Resources.deployments, ns, 'web')).spec as { replicas: number }).replicas, 5);
      await rejectsWith(c.update(Resources.deployments, ns, { ...scale, spec: { replicas: 6 } } as KubeObject, { subresource: 'scale' }), 409, 'Conflict', 'stale scale');
      const patchedScale = await c.patch(Resources.deployments, ns, 'web', 'merge', { spec: { replicas: 1 } }, { subresource: 'scale' });
      assert.deepEqual(patchedScale.spec, { replicas: 1 });
      await rejectsWith(c.update(Resources.deployments, ns, { ...scaled, spec: { replicas: -1 }, metadata: { name: 'web' } } as KubeObject, { subresource: 'scale' }), 422, 'Invalid', 'negative replicas');

      await c.create(Resources.pods, ns, pod('p'));
      const bound = await c.create(Resources.pods, ns, { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'p' }, target: { apiVersion: 'v1', kind: 'Node', name: 'n1' } }, { subresource: 'binding', name: 'p' });
      assert.equal(bound.kind, 'Status');
      assert.equal(((await c.get(Resources.pods, ns, 'p')).spec as { nodeName?: string }).nodeName, 'n1');
      await rejectsWith(c.create(Resources.pods, ns, { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'p' }, target: { apiVersion: 'v1', kind: 'Node', name: 'n2' } }, { subresource: 'binding', name: 'p' }), 409, 'Conflict', 'second binding');

      const evicted = await c.create(Resources.pods, ns, { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'p' }, deleteOptions: { gracePeriodSeconds: 0 } }, { subresource: 'eviction', name: 'p' });
      assert.equal(evicted.kind, 'Status');
      await rejectsWith(c.get(Resources.pods, ns, 'p'), 404, 'NotFound', 'evicted');
      await rejectsWith(c.create(Resources.pods, ns, { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'p' } }, { subresource: 'eviction', name: 'p' }), 404, 'NotFound', 'evict a missing pod');
    });

    it('watch: ADDED/MODIFIED/DELETED in order, a copy per event, selectors, timeoutSeconds', async () => {
      const ns = await namespace();
      await c.create(Resources.configmaps, ns, cm('before'));
      const w = watch(ns, {});
      await w.seen((evs) => evs.length >= 1, 'the initial ADDED');
      assert.deepEqual(names(w.events, 'ADDED'), ['ADDED:before']);
      const sel = watch(ns, { labelSelector: 'app=web' });
      const one = watch(ns, { fieldSelector: 'metadata.name=w' });
      const a = await c.create(Resources.configmaps, ns, cm('w', { app: 'web' }));
      await c.update(Resources.configmaps, ns, { ...a, data: { v: '2' } } as KubeObject);
      const off = await c.patch(Resources.configmaps, ns, 'w', 'merge', { metadata: { labels: { app: 'other' } } });
      await c.create(Resources.configmaps, ns, cm('other', { app: 'web' }));
      await c.delete(Resources.configmaps, ns, 'w');
      await w.seen((evs) => evs.some((e) => e.type === 'DELETED'), 'the DELETED');
      assert.deepEqual(w.events.map((e) => `${e.type}:${e.object.metadata.name}`), ['ADDED:before', 'ADDED:w', 'MODIFIED:w', 'MODIFIED:w', 'ADDED:other', 'DELETED:w']);
      assert.equal(w.events[3].object.metadata.resourceVersion, off.metadata.resourceVersion, 'events carry the written resourceVersion');
      await sel.seen((evs) => evs.length >= 4, 'the selector watch');
      // leaving the selector is a DELETED, a new match an ADDED
      assert.deepEqual(sel.events.map((e) => `${e.type}:${e.object.metadata.name}`), ['ADDED:w', 'MODIFIED:w', 'DELETED:w', 'ADDED:other']);
      await one.seen((evs) => evs.some((e) => e.type === 'DELETED'), 'the name watch');
      assert.deepEqual(one.events.map((e) => e.type), ['ADDED', 'MODIFIED', 'MODIFIED', 'DELETED']);
      (w.events[1].object.metadata as { name: string }).name = 'changed by a watcher';
      assert.equal(sel.events[0].object.metadata.name, 'w', 'each watcher has its own objects');

      const timed = watch(ns, { resourceVersion: off.metadata.resourceVersion, timeoutSeconds: 1 });
      const t0 = Date.now();
      await within(timed.handle.done, 'timeoutSeconds to end the watch');
      assert.ok(Date.now() - t0 >= 900, 'not before the timeout');
      assert.equal(timed.handle.error, undefined);
      const stopped = watch(ns, {});
      stopped.handle.stop();
      await stopped.handle.done;
    });

    it('watch: resume from a resourceVersion, bookmarks, 410 Expired after compaction, bad requests', async () => {
      const ns = await namespace();
      await c.create(Resources.configmaps, ns, cm('one'));
      const list = await c.list(Resources.configmaps, ns);
      const rv = String(list.metadata.resourceVersion);
      await c.create(Resources.configmaps, ns, cm('two'));
      await c.create(Resources.configmaps, ns, cm('three'));
      const resumed = watch(ns, { resourceVersion: rv, allowWatchBookmarks: true });
      await resumed.seen((evs) => evs.filter((e) => e.type === 'ADDED').length >= 2 && evs.some((e) => e.type === 'BOOKMARK'), 'the later events and a bookmark');
      assert.deepEqual(names(resumed.events, 'ADDED', 'MODIFIED', 'DELETED'), ['ADDED:two', 'ADDED:three'], 'only changes after the resourceVersion');
      const bm = resumed.events.find((e) => e.type === 'BOOKMARK')!;
      assert.equal(bm.object.kind, 'ConfigMap');
      assert.ok(Number(bm.object.metadata.resourceVersion) >= Number(resumed.events.find((e) => e.object.metadata.name === 'three')!.object.metadata.resourceVersion));

      const rev = Number((await c.create(Resources.configmaps, ns, cm('four'))).metadata.resourceVersion);
      await fx.store.compact(rev);
      const expired = watch(ns, { resourceVersion: rv });
      await within(expired.handle.done, 'the expired watch to end');
      assert.equal(expired.events.length, 1);
      assert.equal(expired.events[0].type, 'ERROR');
      const status = expired.events[0].object as unknown as { kind: string; code: number; reason: string };
      assert.equal(status.kind, 'Status');
      assert.equal(status.code, 410);
      assert.equal(status.reason, 'Expired');
      assert.ok(isGone(new StatusError(status.code, undefined, '')));
      await rejectsWith(c.list(Resources.configmaps, ns, { resourceVersion: String(rev - 1), resourceVersionMatch: 'Exact' }), 410, 'Expired', 'an Exact list below the compaction');

      const bad = watch(ns, { labelSelector: 'a in (' });
      await within(bad.handle.done, 'the bad watch to end');
      assert.ok(bad.handle.error instanceof StatusError, `a StatusError, got ${String(bad.handle.error)}`);
      assert.equal(bad.handle.error.code, 400);
      const missing = watch(ns, {}, { ...Resources.configmaps, resource: 'nosuchthings' });
      await within(missing.handle.done, 'the 404 watch to end');
      assert.equal((missing.handle.error as StatusError | undefined)?.code, 404);
    });
  });
}
