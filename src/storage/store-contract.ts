/**
 * The contract every Store backend passes. A backend's test file calls
 *
 *   runStoreContract('sqlite', async () => new SqliteStore({ path }), async () => rm(dir));
 *
 * Each case gets a fresh, empty store from `factory` (cases list '' and expect revision 1 at
 * the start, so a backend on a shared server must hand out a new one per case); afterwards the
 * store is closed (close must be idempotent) and `cleanup` runs (remove files, stop servers),
 * also when the case fails. Waits are bounded (10 s); nothing sleeps.
 *
 * Compaction follows etcd: after compact(C), reads at a revision below C and watches from a
 * revision below C fail with CompactedError; the state at C itself (the newest version at or below
 * C of every live key) stays readable, and a watch from C sees every later event with its prevKv.
 */
import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import {
  CompactedError, ConflictError, FutureRevisionError, KeyExistsError, KeyNotFoundError, StoreClosedError, StoreError,
  type KeyValue, type Store, type WatchEvent, type Watcher,
} from './store.js';

import { podValue } from './sample-values.js';

export { podValue };

const P = '/registry/pods/';

interface Collector {
  events: WatchEvent[];
  progress: number[];
  error?: Error;
  watcher: Watcher;
  /** Resolves when `pred` holds; rejects after `timeoutMs` saying what was awaited. */
  until(pred: () => boolean, what: string, timeoutMs?: number): Promise<void>;
}

function collect(store: Store, prefix: string, fromRevision: number, onEvent?: (ev: WatchEvent) => void): Collector {
  const checks = new Set<() => void>();
  const notify = () => { for (const c of [...checks]) c(); };
  const c: Collector = {
    events: [],
    progress: [],
    watcher: { cancel() {} },
    until(pred, what, timeoutMs = 10_000) {
      if (pred()) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const check = () => {
          if (!pred()) return;
          checks.delete(check);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          checks.delete(check);
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; have ${c.events.length} events` +
            ` (last revision ${c.events.at(-1)?.revision ?? '-'})${c.error ? `, error: ${c.error.message}` : ''}`));
        }, timeoutMs);
        checks.add(check);
      });
    },
  };
  c.watcher = store.watch(prefix, {
    fromRevision,
    onEvent: (ev) => { c.events.push(ev); onEvent?.(ev); notify(); },
    onError: (err) => { c.error = err; notify(); },
    onProgress: (rev) => { c.progress.push(rev); notify(); },
  });
  return c;
}

/**
 * Write one key outside every prefix the tests watch and return its revision: a watch from it
 * replays what follows (fromRevision 0 would mean "live only").
 */
async function seed(s: Store): Promise<number> {
  return (await s.create('/seed/start', 'x')).modRevision;
}

/** Resolve on the next turn of the event loop, so that other work (a watch replay) can run. */
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function rejectsWith<E extends Error>(p: Promise<unknown>, cls: new (...args: never[]) => E, check?: (e: E) => void): Promise<void> {
  let caught: unknown;
  try { await p; } catch (e) { caught = e; }
  assert.ok(caught !== undefined, `expected ${cls.name}, but the call succeeded`);
  assert.ok(caught instanceof cls, `expected ${cls.name}, got ${caught instanceof Error ? `${caught.constructor.name}: ${caught.message}` : String(caught)}`);
  assert.ok(caught instanceof StoreError, `${cls.name} must be a StoreError`);
  check?.(caught);
}

function assertStrictlyIncreasing(events: WatchEvent[]): void {
  for (let i = 1; i < events.length; i++) {
    assert.ok(events[i]!.revision > events[i - 1]!.revision, `event ${i} revision ${events[i]!.revision} after ${events[i - 1]!.revision}`);
  }
}

function assertEventShape(events: WatchEvent[]): void {
  for (const ev of events) assert.equal(ev.revision, ev.kv.modRevision, `event revision equals kv.modRevision (${ev.kv.key})`);
}

export function runStoreContract(name: string, factory: () => Promise<Store>, cleanup?: (s: Store) => Promise<void>): void {
  async function fresh(t: TestContext): Promise<Store> {
    const s = await factory();
    t.after(async () => {
      try { await s.close(); } finally { await cleanup?.(s); }
    });
    return s;
  }

  describe(`Store contract: ${name}`, () => {
    describe('single keys', () => {
      it('create then get returns the value with create and mod revision equal to the new revision', async (t) => {
        const s = await fresh(t);
        const before = await s.currentRevision();
        const kv = await s.create(`${P}default/web`, podValue('default', 'web'));
        assert.equal(kv.key, `${P}default/web`);
        assert.equal(kv.value, podValue('default', 'web'));
        assert.ok(kv.modRevision > before);
        assert.equal(kv.createRevision, kv.modRevision);
        assert.equal(await s.currentRevision(), kv.modRevision);
        const got = await s.get(`${P}default/web`);
        assert.deepEqual(got.kv, kv);
        assert.equal(got.revision, kv.modRevision);
      });

      it('get of a missing key has no kv and reports the current revision', async (t) => {
        const s = await fresh(t);
        const kv = await s.create(`${P}default/a`, '{}');
        const got = await s.get(`${P}default/missing`);
        assert.equal(got.kv, undefined);
        assert.equal(got.revision, kv.modRevision);
      });

      it('values round-trip exactly (unicode, large, empty)', async (t) => {
        const s = await fresh(t);
        const big = JSON.stringify({ data: 'x'.repeat(200_000), u: 'é ✓ 𝄞 \u0000 "q" \\' });
        await s.create(`${P}default/big`, big);
        await s.create(`${P}default/empty`, '');
        assert.equal((await s.get(`${P}default/big`)).kv?.value, big);
        assert.equal((await s.get(`${P}default/empty`)).kv?.value, '');
      });

      it('create of an existing key throws KeyExistsError and does not write', async (t) => {
        const s = await fresh(t);
        const kv = await s.create(`${P}default/web`, 'a');
        await rejectsWith(s.create(`${P}default/web`, 'b'), KeyExistsError, (e) => assert.equal(e.key, `${P}default/web`));
        assert.equal(await s.currentRevision(), kv.modRevision);
        assert.equal((await s.get(`${P}default/web`)).kv?.value, 'a');
      });

      it('update is compare-and-swap on modRevision and keeps createRevision', async (t) => {
        const s = await fresh(t);
        const c = await s.create(`${P}default/web`, 'v1');
        const u1 = await s.update(`${P}default/web`, 'v2', c.modRevision);
        assert.ok(u1.modRevision > c.modRevision);
        assert.equal(u1.createRevision, c.createRevision);
        assert.equal(u1.value, 'v2');
        await rejectsWith(s.update(`${P}default/web`, 'stale', c.modRevision), ConflictError, (e) => {
          assert.equal(e.key, `${P}default/web`);
          assert.equal(e.expected, c.modRevision);
          assert.equal(e.actual, u1.modRevision);
        });
        assert.equal(await s.currentRevision(), u1.modRevision, 'a failed CAS does not use a revision');
        const u2 = await s.update(`${P}default/web`, 'v2', u1.modRevision); // same value still writes
        assert.ok(u2.modRevision > u1.modRevision);
        assert.equal(u2.createRevision, c.createRevision);
        assert.deepEqual((await s.get(`${P}default/web`)).kv, u2);
      });

      it('update of a missing or deleted key throws KeyNotFoundError', async (t) => {
        const s = await fresh(t);
        await rejectsWith(s.update(`${P}default/nope`, 'x', 1), KeyNotFoundError, (e) => assert.equal(e.key, `${P}default/nope`));
        const c = await s.create(`${P}default/web`, 'v1');
        const d = await s.delete(`${P}default/web`);
        await rejectsWith(s.update(`${P}default/web`, 'x', c.modRevision), KeyNotFoundError);
        await rejectsWith(s.update(`${P}default/web`, 'x', d.modRevision), KeyNotFoundError);
      });

      it('delete returns the deleted value at the delete revision; CAS when a revision is given', async (t) => {
        const s = await fresh(t);
        const c = await s.create(`${P}default/web`, 'v1');
        const u = await s.update(`${P}default/web`, 'v2', c.modRevision);
        await rejectsWith(s.delete(`${P}default/web`, c.modRevision), ConflictError, (e) => {
          assert.equal(e.expected, c.modRevision);
          assert.equal(e.actual, u.modRevision);
        });
        assert.equal((await s.get(`${P}default/web`)).kv?.value, 'v2');
        const d = await s.delete(`${P}default/web`, u.modRevision);
        assert.equal(d.key, `${P}default/web`);
        assert.equal(d.value, 'v2');
        assert.ok(d.modRevision > u.modRevision);
        assert.equal(d.createRevision, c.createRevision);
        assert.equal(await s.currentRevision(), d.modRevision);
        assert.equal((await s.get(`${P}default/web`)).kv, undefined);
        await rejectsWith(s.delete(`${P}default/web`), KeyNotFoundError);
        await rejectsWith(s.delete(`${P}default/never`), KeyNotFoundError);
        const c2 = await s.create(`${P}default/other`, 'o');
        const d2 = await s.delete(`${P}default/other`); // unconditional
        assert.equal(d2.value, 'o');
        assert.ok(d2.modRevision > c2.modRevision);
      });

      it('createRevision is renewed when a key is deleted and created again', async (t) => {
        const s = await fresh(t);
        const c1 = await s.create(`${P}default/web`, 'a');
        await s.delete(`${P}default/web`);
        const c2 = await s.create(`${P}default/web`, 'b');
        assert.ok(c2.createRevision > c1.createRevision);
        assert.equal(c2.createRevision, c2.modRevision);
        const u = await s.update(`${P}default/web`, 'c', c2.modRevision);
        assert.equal(u.createRevision, c2.createRevision);
      });

      it('invalid input is rejected with an error, not stored', async (t) => {
        const s = await fresh(t);
        const before = await s.currentRevision();
        await assert.rejects(s.create('', 'x'));
        await assert.rejects(s.create(`${P}a`, undefined as unknown as string));
        await assert.rejects(s.update(`${P}a`, 'x', -1));
        await assert.rejects(s.get(`${P}a`, { revision: -1 }));
        await assert.rejects(s.list(P, { limit: -5 }));
        assert.equal(await s.currentRevision(), before, 'no revision was used');
        assert.equal((await s.list('')).kvs.length, 0);
      });
    });

    describe('revisions', () => {
      it('one global revision counter increases with every write to any key', async (t) => {
        const s = await fresh(t);
        const revs: number[] = [];
        const a = await s.create('/registry/pods/default/a', '1'); revs.push(a.modRevision);
        const b = await s.create('/registry/services/default/b', '1'); revs.push(b.modRevision);
        revs.push((await s.update('/registry/pods/default/a', '2', a.modRevision)).modRevision);
        revs.push((await s.delete('/registry/services/default/b')).modRevision);
        revs.push((await s.create('/registry/services/default/b', '3')).modRevision);
        for (let i = 1; i < revs.length; i++) assert.ok(revs[i]! > revs[i - 1]!, `revisions increase: ${revs.join(',')}`);
        assert.equal(await s.currentRevision(), revs.at(-1));
        assert.equal(await s.compactRevision(), 0);
      });

      it('a new store is at revision 1, as etcd (a resourceVersion is never 0)', async (t) => {
        const s = await fresh(t);
        assert.equal(await s.currentRevision(), 1);
        assert.equal((await s.list('')).revision, 1);
        assert.equal((await s.get('/a')).revision, 1);
        const kv = await s.create('/a', 'x');
        assert.ok(kv.modRevision > 1);
      });

      it('get and list at a future revision throw FutureRevisionError', async (t) => {
        const s = await fresh(t);
        const kv = await s.create(`${P}default/a`, '1');
        await rejectsWith(s.get(`${P}default/a`, { revision: kv.modRevision + 1 }), FutureRevisionError, (e) => {
          assert.equal(e.requested, kv.modRevision + 1);
          assert.equal(e.current, kv.modRevision);
        });
        await rejectsWith(s.list(P, { revision: kv.modRevision + 5 }), FutureRevisionError);
        assert.equal((await s.get(`${P}default/a`, { revision: kv.modRevision })).kv?.value, '1');
      });

      it('get at an old revision returns the value then (or nothing before create / after delete)', async (t) => {
        const s = await fresh(t);
        const other = await s.create(`${P}default/other`, 'o');
        const c = await s.create(`${P}default/a`, 'v1');
        const u = await s.update(`${P}default/a`, 'v2', c.modRevision);
        const d = await s.delete(`${P}default/a`);
        await s.create(`${P}default/z`, 'z');
        assert.equal((await s.get(`${P}default/a`, { revision: other.modRevision })).kv, undefined);
        assert.deepEqual((await s.get(`${P}default/a`, { revision: c.modRevision })).kv, c);
        assert.deepEqual((await s.get(`${P}default/a`, { revision: u.modRevision - 0 })).kv, u);
        assert.equal((await s.get(`${P}default/a`, { revision: d.modRevision })).kv, undefined);
        assert.equal((await s.get(`${P}default/a`)).kv, undefined);
      });
    });

    describe('list and count', () => {
      it('lists a prefix in key order and never matches a longer sibling prefix', async (t) => {
        const s = await fresh(t);
        const keys = ['/registry/pods/ns2/b', '/registry/podsx/ns/a', '/registry/pods/ns1/z', '/registry/pods/ns1/a',
          '/registry/pods', '/registry/pods/ns1/a-1', '/registry/pod/ns/a', '/registry/pods/ns1/a/b', '/registry/pods0/x'];
        for (const k of keys) await s.create(k, `v:${k}`);
        const res = await s.list('/registry/pods/');
        assert.deepEqual(res.kvs.map((kv) => kv.key), ['/registry/pods/ns1/a', '/registry/pods/ns1/a-1', '/registry/pods/ns1/a/b', '/registry/pods/ns1/z', '/registry/pods/ns2/b']);
        for (const kv of res.kvs) assert.equal(kv.value, `v:${kv.key}`);
        assert.equal(res.revision, await s.currentRevision());
        assert.equal(res.more, false);
        assert.deepEqual((await s.list('/registry/pods/ns1/')).kvs.map((kv) => kv.key), ['/registry/pods/ns1/a', '/registry/pods/ns1/a-1', '/registry/pods/ns1/a/b', '/registry/pods/ns1/z']);
        assert.equal((await s.list('/registry/')).kvs.length, keys.length);
        assert.equal((await s.list('/registry/pods')).kvs.length, 8);
        assert.equal((await s.list('')).kvs.length, keys.length);
        assert.deepEqual((await s.list('/registry/nothing/')).kvs, []);
      });

      it('lists only live keys, with their newest values and revisions', async (t) => {
        const s = await fresh(t);
        const a = await s.create(`${P}ns/a`, 'a1');
        await s.create(`${P}ns/b`, 'b1');
        const a2 = await s.update(`${P}ns/a`, 'a2', a.modRevision);
        await s.delete(`${P}ns/b`);
        const c = await s.create(`${P}ns/c`, 'c1');
        assert.deepEqual((await s.list(P)).kvs, [a2, c]);
      });

      it('a list at an old revision is a consistent snapshot', async (t) => {
        const s = await fresh(t);
        const a = await s.create(`${P}ns/a`, 'a1');
        const b = await s.create(`${P}ns/b`, 'b1');
        const snap = b.modRevision;
        await s.update(`${P}ns/a`, 'a2', a.modRevision);
        await s.create(`${P}ns/c`, 'c1');
        await s.delete(`${P}ns/b`);
        await s.create(`${P}ns/0`, 'first');
        const old = await s.list(P, { revision: snap });
        assert.equal(old.revision, snap);
        assert.deepEqual(old.kvs, [a, b], 'old values, no later creates, later-deleted keys still there');
        assert.deepEqual((await s.list(P)).kvs.map((kv) => `${kv.key}=${kv.value}`), [`${P}ns/0=first`, `${P}ns/a=a2`, `${P}ns/c=c1`]);
      });

      it('limit and startKey page through a fixed revision while writes go on', async (t) => {
        const s = await fresh(t);
        const created: KeyValue[] = [];
        for (let i = 0; i < 25; i++) created.push(await s.create(`${P}ns/p-${String(i).padStart(2, '0')}`, `v${i}`));
        await s.create('/registry/podsx/ns/p-99', 'not mine');
        const first = await s.list(P, { limit: 10 });
        assert.equal(first.kvs.length, 10);
        assert.equal(first.more, true);
        const at = first.revision;
        const pages = [first.kvs];
        let last = first;
        while (last.more) {
          // writes between pages: none of them may show up in the pages read at `at`
          await s.create(`${P}ns/p-${String(pages.length * 10 + 5).padStart(2, '0')}x`, 'late');
          await s.delete(created[pages.length * 10 + 3]!.key);
          await s.update(created[pages.length * 10 + 4]!.key, 'changed', created[pages.length * 10 + 4]!.modRevision);
          const startKey = last.kvs.at(-1)!.key + '\u0000';
          last = await s.list(P, { revision: at, startKey, limit: 10 });
          assert.equal(last.revision, at);
          pages.push(last.kvs);
        }
        assert.deepEqual(pages.map((p) => p.length), [10, 10, 5]);
        assert.deepEqual(pages.flat(), created);
        // exact fit: no `more` when the limit equals what is left
        const exact = await s.list(P, { revision: at, startKey: created[15]!.key, limit: 10 });
        assert.equal(exact.kvs.length, 10);
        assert.equal(exact.kvs[0]!.key, created[15]!.key, 'startKey is inclusive');
        assert.equal(exact.more, false);
        // startKey before the prefix starts at the prefix; after it yields nothing
        assert.equal((await s.list(P, { revision: at, startKey: '/a', limit: 1 })).kvs[0]?.key, created[0]!.key);
        assert.deepEqual((await s.list(P, { revision: at, startKey: '/registry/podsx/' })).kvs, []);
        // limit 0 means no limit
        assert.equal((await s.list(P, { revision: at, limit: 0 })).kvs.length, 25);
      });

      it('count counts live keys under the prefix', async (t) => {
        const s = await fresh(t);
        for (let i = 0; i < 7; i++) await s.create(`${P}ns/p${i}`, 'x');
        await s.create('/registry/podsx/ns/p', 'x');
        await s.delete(`${P}ns/p3`);
        const k = await s.create(`${P}ns/p9`, 'x');
        await s.update(`${P}ns/p9`, 'y', k.modRevision);
        const c = await s.count(P);
        assert.equal(c.count, 7);
        assert.equal(c.revision, await s.currentRevision());
        assert.equal((await s.count('/registry/')).count, 8);
        assert.equal((await s.count('/registry/services/')).count, 0);
      });
    });

    describe('watch', () => {
      it('replays history after fromRevision, then streams live events', async (t) => {
        const s = await fresh(t);
        const start = await seed(s);
        const a = await s.create(`${P}ns/a`, 'a1');
        const a2 = await s.update(`${P}ns/a`, 'a2', a.modRevision);
        const b = await s.create(`${P}ns/b`, 'b1');
        const w = collect(s, P, a.modRevision);
        t.after(() => w.watcher.cancel());
        await w.until(() => w.events.length >= 2, 'replayed events');
        assert.deepEqual(w.events.map((e) => e.revision), [a2.modRevision, b.modRevision], 'replay is exclusive of fromRevision');
        const d = await s.delete(`${P}ns/a`);
        await w.until(() => w.events.length >= 3, 'live delete');
        assert.equal(w.events[2]!.revision, d.modRevision);
        // a second watch from the very start sees everything once
        const all = collect(s, P, start);
        t.after(() => all.watcher.cancel());
        await all.until(() => all.events.length >= 4, 'full replay');
        assert.deepEqual(all.events.map((e) => `${e.type}@${e.revision}`), [`PUT@${a.modRevision}`, `PUT@${a2.modRevision}`, `PUT@${b.modRevision}`, `DELETE@${d.modRevision}`]);
        assertEventShape(all.events);
      });

      it('events carry prevKv: none on create, the old value on update, the deleted value on delete', async (t) => {
        const s = await fresh(t);
        const start = await seed(s);
        const w = collect(s, P, 0);
        t.after(() => w.watcher.cancel());
        const c = await s.create(`${P}ns/a`, 'v1');
        const u = await s.update(`${P}ns/a`, 'v2', c.modRevision);
        const d = await s.delete(`${P}ns/a`);
        const c2 = await s.create(`${P}ns/a`, 'v3');
        await w.until(() => w.events.length >= 4, '4 live events');
        const check = (events: WatchEvent[]) => {
          const [e1, e2, e3, e4] = events;
          assert.equal(e1!.type, 'PUT');
          assert.deepEqual(e1!.kv, c);
          assert.equal(e1!.prevKv, undefined);
          assert.equal(e2!.type, 'PUT');
          assert.deepEqual(e2!.kv, u);
          assert.deepEqual(e2!.prevKv, c);
          assert.equal(e3!.type, 'DELETE');
          assert.equal(e3!.revision, d.modRevision);
          assert.equal(e3!.kv.key, `${P}ns/a`);
          assert.equal(e3!.kv.modRevision, d.modRevision);
          assert.equal(e3!.kv.value, 'v2');
          assert.deepEqual(e3!.prevKv, u);
          assert.equal(e4!.type, 'PUT');
          assert.deepEqual(e4!.kv, c2);
          assert.equal(e4!.prevKv, undefined, 'a create after delete has no prevKv');
        };
        check(w.events);
        // the same from replay
        const r = collect(s, P, start);
        t.after(() => r.watcher.cancel());
        await r.until(() => r.events.length >= 4, '4 replayed events');
        check(r.events);
      });

      it('matches only its prefix', async (t) => {
        const s = await fresh(t);
        const start = await seed(s);
        const w = collect(s, '/registry/pods/', 0);
        t.after(() => w.watcher.cancel());
        await s.create('/registry/podsx/ns/a', 'x');
        await s.create('/registry/pod', 'x');
        await s.create('/registry/services/ns/a', 'x');
        const mine = await s.create('/registry/pods/ns/a', 'x');
        await w.until(() => w.events.length >= 1, 'the matching event');
        const r = collect(s, '/registry/pods/', start);
        t.after(() => r.watcher.cancel());
        await r.until(() => r.events.length >= 1, 'the matching replayed event');
        const everything = collect(s, '', start);
        t.after(() => everything.watcher.cancel());
        await everything.until(() => everything.events.length >= 4, 'all four writes on a watch of every key');
        assert.deepEqual(everything.events.map((e) => e.kv.key), ['/registry/podsx/ns/a', '/registry/pod', '/registry/services/ns/a', '/registry/pods/ns/a']);
        const later = await s.create('/registry/pods/ns/b', 'x');
        await w.until(() => w.events.length >= 2, 'second event');
        await r.until(() => r.events.length >= 2, 'second event on replayed watch');
        assert.deepEqual(w.events.map((e) => e.kv.key), ['/registry/pods/ns/a', '/registry/pods/ns/b']);
        assert.deepEqual(r.events.map((e) => e.revision), [mine.modRevision, later.modRevision]);
      });

      it('has no gap and no duplicate while writes run concurrently with the replay', async (t) => {
        const s = await fresh(t);
        const start = await seed(s);
        const live: KeyValue[] = [];
        for (let i = 0; i < 2500; i++) live.push(await s.create(`${P}ns/k${i}`, `v${i}`));
        await s.create('/registry/services/ns/s', 'other prefix');
        const w = collect(s, P, start);
        t.after(() => w.watcher.cancel());
        // Writes interleaved with the replay (yield to the event loop between them).
        let last = 0;
        for (let i = 0; i < 400; i++) {
          const k = live[i]!;
          if (i % 3 === 0) last = (await s.update(k.key, `u${i}`, k.modRevision)).modRevision;
          else if (i % 3 === 1) last = (await s.delete(k.key)).modRevision;
          else last = (await s.create(`${P}ns/new${i}`, `n${i}`)).modRevision;
          if (i % 7 === 0) await s.create('/registry/services/ns/s' + i, 'other prefix');
          if (i % 5 === 0) await turn();
        }
        await w.until(() => (w.events.at(-1)?.revision ?? 0) >= last, `events up to revision ${last}`);
        assertStrictlyIncreasing(w.events);
        assertEventShape(w.events);
        for (const ev of w.events) assert.ok(ev.kv.key.startsWith(P));
        assert.equal(w.events.length, 2500 + 400, 'every write under the prefix exactly once');
        // revisions of writes under the prefix, in order, from the store itself
        const expected = [...live.map((k) => k.modRevision)];
        const seen = new Set(w.events.map((e) => e.revision));
        for (const r of expected) assert.ok(seen.has(r), `create at ${r} delivered`);
        assert.equal(w.events.at(-1)!.revision, last);
        assert.equal(w.error, undefined);
      });

      it('a watch from a future revision waits for it', async (t) => {
        const s = await fresh(t);
        const cur = await s.currentRevision();
        const w = collect(s, P, cur + 2);
        t.after(() => w.watcher.cancel());
        const writes: KeyValue[] = [];
        for (let i = 0; i < 4; i++) writes.push(await s.create(`${P}ns/f${i}`, 'x'));
        await w.until(() => w.events.length >= writes.filter((k) => k.modRevision > cur + 2).length && w.events.length > 0, 'events after the future revision');
        assert.deepEqual(w.events.map((e) => e.revision), writes.map((k) => k.modRevision).filter((r) => r > cur + 2));
        assert.equal(w.error, undefined);
      });

      it('reports progress once the replay is complete', async (t) => {
        const s = await fresh(t);
        const start = await seed(s);
        for (let i = 0; i < 5; i++) await s.create(`${P}ns/a${i}`, 'x');
        const other = await s.create('/registry/services/ns/x', 'x');
        const w = collect(s, P, start);
        t.after(() => w.watcher.cancel());
        await w.until(() => w.progress.length > 0, 'a progress notification');
        assert.equal(w.events.length, 5, 'progress comes after the replayed events');
        assert.ok(w.progress[0]! >= other.modRevision, `progress ${w.progress[0]} covers the replay (${other.modRevision})`);
      });

      it('cancel stops delivery', async (t) => {
        const s = await fresh(t);
        const start = await seed(s);
        await s.create(`${P}ns/a`, 'x');
        const cancelledEarly = collect(s, P, start); // replay pending
        cancelledEarly.watcher.cancel();
        const cancelledLive = collect(s, P, 0);
        const keep = collect(s, P, 0);
        t.after(() => keep.watcher.cancel());
        const b = await s.create(`${P}ns/b`, 'x');
        await cancelledLive.until(() => cancelledLive.events.length === 1, 'the first live event');
        cancelledLive.watcher.cancel();
        const c = await s.create(`${P}ns/c`, 'x');
        await keep.until(() => keep.events.length >= 2, 'events on the watch that was kept');
        assert.deepEqual(keep.events.map((e) => e.revision), [b.modRevision, c.modRevision]);
        assert.equal(cancelledEarly.events.length, 0);
        assert.deepEqual(cancelledLive.events.map((e) => e.revision), [b.modRevision]);
        assert.equal(cancelledEarly.error, undefined);
        assert.equal(cancelledLive.error, undefined);
      });

      it('keeps revision order for every watcher when a watcher writes from its event handler', async (t) => {
        const s = await fresh(t);
        let writes = 0;
        const writer = collect(s, P, 0, (ev) => {
          if (ev.kv.key.endsWith('/trigger') && writes++ < 3) void s.create(`${P}ns/echo-${ev.revision}`, 'echo');
        });
        t.after(() => writer.watcher.cancel());
        const observer = collect(s, P, 0);
        t.after(() => observer.watcher.cancel());
        const trig = await s.create(`${P}ns/trigger`, '1');
        const trig2 = await s.update(`${P}ns/trigger`, '2', trig.modRevision);
        await s.update(`${P}ns/trigger`, '3', trig2.modRevision);
        await observer.until(() => observer.events.length >= 6, '3 triggers and 3 echoes');
        await writer.until(() => writer.events.length >= 6, '3 triggers and 3 echoes on the writer');
        assertStrictlyIncreasing(observer.events);
        assertStrictlyIncreasing(writer.events);
        assert.deepEqual(observer.events.map((e) => e.revision), writer.events.map((e) => e.revision));
      });

      it('close ends watches with StoreClosedError, and later calls fail', async (t) => {
        const s = await fresh(t);
        const w = collect(s, P, 0);
        await s.create(`${P}ns/a`, 'x');
        await w.until(() => w.events.length === 1, 'one event');
        await s.close();
        await w.until(() => w.error !== undefined, 'onError after close');
        assert.ok(w.error instanceof StoreClosedError, `got ${w.error?.constructor.name}`);
        await rejectsWith(s.get(`${P}ns/a`), StoreClosedError);
        await rejectsWith(s.create(`${P}ns/b`, 'x'), StoreClosedError);
        const after = collect(s, P, 0);
        await after.until(() => after.error !== undefined, 'onError for a watch on a closed store');
        assert.ok(after.error instanceof StoreClosedError);
      });
    });

    describe('compaction', () => {
      it('forgets history below the compacted revision but keeps the state at it', async (t) => {
        const s = await fresh(t);
        const a = await s.create(`${P}ns/a`, 'a1');
        const b = await s.create(`${P}ns/b`, 'b1');
        const early = b.modRevision;
        const a2 = await s.update(`${P}ns/a`, 'a2', a.modRevision);
        await s.delete(`${P}ns/b`);
        const c = await s.create(`${P}ns/c`, 'c1');
        const atC = await s.list(P, { revision: c.modRevision });
        const a3 = await s.update(`${P}ns/a`, 'a3', a2.modRevision);
        await s.compact(c.modRevision);
        assert.equal(await s.compactRevision(), c.modRevision);
        await rejectsWith(s.get(`${P}ns/a`, { revision: early }), CompactedError, (e) => {
          assert.equal(e.requested, early);
          assert.equal(e.compacted, c.modRevision);
        });
        await rejectsWith(s.list(P, { revision: early }), CompactedError);
        await rejectsWith(s.list(P, { revision: c.modRevision - 1, limit: 1 }), CompactedError);
        assert.deepEqual(await s.list(P, { revision: c.modRevision }), atC, 'the state at the compacted revision stays readable');
        assert.deepEqual((await s.list(P)).kvs, [a3, c]);
        assert.deepEqual((await s.get(`${P}ns/c`)).kv, c);
        assert.equal((await s.get(`${P}ns/b`)).kv, undefined);
        assert.equal((await s.count(P)).count, 2);
        // writes go on with the same counter; a deleted-and-compacted key can be created again
        const b2 = await s.create(`${P}ns/b`, 'b2');
        assert.ok(b2.modRevision > a3.modRevision);
        assert.equal(b2.createRevision, b2.modRevision);
      });

      it('rejects compacting twice or into the future', async (t) => {
        const s = await fresh(t);
        const a = await s.create(`${P}ns/a`, '1');
        await s.update(`${P}ns/a`, '2', a.modRevision);
        const cur = await s.currentRevision();
        await rejectsWith(s.compact(cur + 1), FutureRevisionError);
        await s.compact(a.modRevision);
        await rejectsWith(s.compact(a.modRevision), CompactedError);
        await s.compact(cur);
        assert.equal(await s.compactRevision(), cur);
      });

      it('a watch from below the compacted revision ends with CompactedError; from it, sees everything after', async (t) => {
        const s = await fresh(t);
        const a = await s.create(`${P}ns/a`, 'a1');
        const a2 = await s.update(`${P}ns/a`, 'a2', a.modRevision);
        const b = await s.create(`${P}ns/b`, 'b1');
        await s.compact(a2.modRevision);
        const old = collect(s, P, a.modRevision);
        await old.until(() => old.error !== undefined, 'onError for a compacted watch');
        assert.ok(old.error instanceof CompactedError, `got ${old.error?.constructor.name}: ${old.error?.message}`);
        assert.equal(old.events.length, 0);
        const a3 = await s.update(`${P}ns/a`, 'a3', a2.modRevision);
        const db = await s.delete(`${P}ns/b`);
        const w = collect(s, P, a2.modRevision);
        t.after(() => w.watcher.cancel());
        await w.until(() => w.events.length >= 3, 'events after the compacted revision');
        assert.deepEqual(w.events.map((e) => e.revision), [b.modRevision, a3.modRevision, db.modRevision]);
        assert.deepEqual(w.events[1]!.prevKv, a2, 'prevKv of an update just past the compaction point is kept');
        assert.deepEqual(w.events[2]!.prevKv, b);
        assert.equal(w.error, undefined);
      });

      it('compacting a large history keeps every live key readable and watchable', async (t) => {
        const s = await fresh(t);
        const kvs = new Map<string, KeyValue>();
        for (let i = 0; i < 300; i++) { const kv = await s.create(`${P}ns/k${i}`, `v0-${i}`); kvs.set(kv.key, kv); }
        for (let round = 1; round <= 3; round++) {
          for (let i = 0; i < 300; i += round) {
            const key = `${P}ns/k${i}`;
            const kv = await s.update(key, `v${round}-${i}`, kvs.get(key)!.modRevision);
            kvs.set(key, kv);
          }
        }
        for (let i = 0; i < 300; i += 10) { await s.delete(`${P}ns/k${i}`); kvs.delete(`${P}ns/k${i}`); }
        const before = await s.list(P);
        const cur = await s.currentRevision();
        await s.compact(cur);
        const after = await s.list(P);
        assert.deepEqual(after, before);
        assert.equal(after.kvs.length, 270);
        assert.deepEqual(after.kvs.map((kv) => kv.value).sort(), [...kvs.values()].map((kv) => kv.value).sort());
        const w = collect(s, P, cur);
        t.after(() => w.watcher.cancel());
        const k1 = kvs.get(`${P}ns/k1`)!;
        const u = await s.update(k1.key, 'after', k1.modRevision);
        await w.until(() => w.events.length === 1, 'one live event');
        assert.deepEqual(w.events[0]!.prevKv, k1);
        assert.deepEqual(w.events[0]!.kv, u);
      });
    });
  });
}
