import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../storage/memory/memory-store.js';
import type { Store, WatchOptions, Watcher } from '../storage/store.js';
import { WatchCache, type CachedEvent } from './watch-cache.js';

/** A store that counts the watches opened on it. */
function counting(store: Store): { store: Store; watches: () => number } {
  let n = 0;
  const wrapped = Object.create(store) as Store;
  wrapped.watch = (prefix: string, opts: WatchOptions): Watcher => { n++; return store.watch(prefix, opts); };
  return { store: wrapped, watches: () => n };
}

function collector() {
  const events: CachedEvent[] = [];
  let wake: (() => void) | undefined;
  return {
    events,
    listener: { onEvent: (e: CachedEvent) => { events.push(e); wake?.(); }, onError: (e: Error) => { throw e; } },
    async waitFor(n: number) {
      const deadline = Date.now() + 5000;
      while (events.length < n) {
        if (Date.now() > deadline) throw new Error(`only ${events.length} of ${n} events`);
        await new Promise<void>((r) => { wake = r; setTimeout(r, 50); });
      }
    },
  };
}

test('one store watch serves many subscribers; events are typed and filtered by key prefix', async (t) => {
  const mem = new MemoryStore();
  t.after(() => mem.close());
  const { store, watches } = counting(mem);
  const cache = new WatchCache(store, '/registry/configmaps/');
  t.after(() => cache.close());
  const rev = await mem.currentRevision();
  const cs = Array.from({ length: 50 }, () => collector());
  for (const c of cs) await cache.subscribe('/registry/configmaps/a/', rev, c.listener);
  const other = collector();
  await cache.subscribe('/registry/configmaps/b/', rev, other.listener);
  assert.equal(watches(), 1);
  const kv = await mem.create('/registry/configmaps/a/x', JSON.stringify({ metadata: { name: 'x' } }));
  await mem.update('/registry/configmaps/a/x', JSON.stringify({ metadata: { name: 'x' }, data: { k: 'v' } }), kv.modRevision);
  await mem.delete('/registry/configmaps/a/x');
  await mem.create('/registry/configmaps/b/y', JSON.stringify({ metadata: { name: 'y' } }));
  for (const c of cs) await c.waitFor(3);
  await other.waitFor(1);
  assert.deepEqual(cs[0].events.map((e) => e.type), ['ADDED', 'MODIFIED', 'DELETED']);
  assert.equal(cs[0].events[1].prevObject?.data, undefined);
  assert.equal(cs[0].events[2].object.metadata.resourceVersion, String(cs[0].events[2].revision));
  assert.equal(cs[0].events[0], cs[49].events[0], 'decoded once and shared');
  assert.equal(other.events[0].object.metadata.name, 'y');
  assert.equal(watches(), 1);
});

test('a late subscriber replays from the ring; one older than the ring is refused', async (t) => {
  const mem = new MemoryStore();
  t.after(() => mem.close());
  const cache = new WatchCache(mem, '/registry/configmaps/', 3);
  t.after(() => cache.close());
  const first = collector();
  const start = await mem.currentRevision();
  await cache.subscribe('/registry/configmaps/', start, first.listener);
  for (let i = 0; i < 5; i++) await mem.create(`/registry/configmaps/d/c${i}`, JSON.stringify({ metadata: { name: `c${i}` } }));
  await first.waitFor(5);
  const revs = first.events.map((e) => e.revision);
  const late = collector();
  const sub = await cache.subscribe('/registry/configmaps/', revs[2], late.listener);
  assert.ok(sub);
  assert.deepEqual(late.events.map((e) => e.object.metadata.name), ['c3', 'c4']);
  assert.equal(await cache.subscribe('/registry/configmaps/', revs[0], collector().listener), undefined);
  assert.ok(await cache.waitForRevision(revs[4], 1000, (fn, ms) => { const t2 = setTimeout(fn, ms); return { cancel: () => clearTimeout(t2) }; }));
  assert.equal(await cache.waitForRevision(revs[4] + 10, 20, (fn, ms) => { const t2 = setTimeout(fn, ms); return { cancel: () => clearTimeout(t2) }; }), false);
});

test('ring events keep stored text: json is the bytes JSON.stringify(object) gives, objects are decoded again after a trim', async (t) => {
  const mem = new MemoryStore();
  t.after(() => mem.close());
  const cache = new WatchCache(mem, '/registry/configmaps/');
  t.after(() => cache.close());
  const c = collector();
  await cache.subscribe('/registry/configmaps/', await mem.currentRevision(), c.listener);
  const odd = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', labels: { 'a"}': '{[\\' }, managedFields: [{ manager: 'm', fieldsV1: { 'f:data': { '.': {} } } }] }, data: { metadata: '{"x":1}' } };
  const kv = await mem.create('/registry/configmaps/a/x', JSON.stringify(odd));
  await mem.update('/registry/configmaps/a/x', JSON.stringify({ ...odd, metadata: { name: 'x' }, data: { k: 'é\u2028' } }), kv.modRevision);
  await mem.delete('/registry/configmaps/a/x');
  await mem.create('/registry/configmaps/a/y', JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: {} }));
  await c.waitFor(4);
  for (const e of c.events) assert.equal(e.json, JSON.stringify(e.object), `${e.type} ${e.key}`);
  assert.deepEqual(c.events.map((e) => e.object.metadata.resourceVersion), c.events.map((e) => String(e.revision)));
  assert.deepEqual(c.events[1].prevObject?.metadata.labels, odd.metadata.labels);
  assert.deepEqual(c.events[2].object.data, { k: 'é\u2028' }, 'DELETED carries the last state');
  // a replay from the ring gives the same events
  const late = collector();
  await cache.subscribe('/registry/configmaps/', c.events[0].revision - 1, late.listener);
  assert.deepEqual(late.events.map((e) => [e.type, e.json, e.prevObject]), c.events.map((e) => [e.type, e.json, e.prevObject]));
});
