/**
 * EtcdStore against a real etcd (/usr/bin/etcd on free loopback ports, data under /dev/shm).
 *
 * The contract wants a fresh store at revision 1 for every case, and etcd's revision (which IS
 * the Store revision) cannot be reset; so every case gets its own etcd member. To keep this fast,
 * the next member is already starting while a case runs (one spare), and each member is stopped
 * and its data removed right after its case.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { runStoreContract } from '../store-contract.js';
import { CompactedError, StoreClosedError, type KeyValue, type Store, type WatchEvent } from '../store.js';
import { EtcdStore } from './etcd-store.js';
import { createCA, issueCert } from '../../pki/certs.js';
import { startTestEtcd, startTestEtcdCluster, type TestEtcd } from './test-etcd.js';

/** Fresh etcd members, one warming up ahead of use. */
class EtcdPool {
  private spare?: Promise<TestEtcd>;
  private readonly live = new Set<Promise<TestEtcd>>();

  private launch(): Promise<TestEtcd> {
    const p = startTestEtcd();
    this.live.add(p);
    p.catch(() => this.live.delete(p));
    return p;
  }

  async take(): Promise<TestEtcd> {
    const next = this.spare ?? this.launch();
    this.spare = this.launch();
    return next;
  }

  async release(e: TestEtcd): Promise<void> {
    for (const p of this.live) if (await p.catch(() => undefined) === e) this.live.delete(p);
    await e.stop();
  }

  async stopAll(): Promise<void> {
    const all = [...this.live];
    this.live.clear();
    this.spare = undefined;
    await Promise.all(all.map((p) => p.then((e) => e.stop(), () => undefined)));
  }
}

const pool = new EtcdPool();
after(() => pool.stopAll());
const owner = new WeakMap<Store, TestEtcd>();

runStoreContract('etcd', async () => {
  const etcd = await pool.take();
  const s = new EtcdStore({ endpoints: [etcd.endpoint] });
  owner.set(s, etcd);
  return s;
}, async (s) => { const e = owner.get(s); if (e) await pool.release(e); });

/** Collects a watch's events; `until` waits (bounded) for a condition. */
function watchAll(s: Store, prefix: string, fromRevision: number) {
  const events: WatchEvent[] = [];
  const progress: number[] = [];
  let error: Error | undefined;
  const waiters = new Set<() => void>();
  const poke = () => { for (const w of [...waiters]) w(); };
  const watcher = s.watch(prefix, {
    fromRevision,
    onEvent: (ev) => { events.push(ev); poke(); },
    onProgress: (r) => { progress.push(r); poke(); },
    onError: (e) => { error = e; poke(); },
  });
  return {
    events, progress, watcher,
    get error() { return error; },
    until(pred: () => boolean, what: string, ms = 20_000): Promise<void> {
      if (pred()) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const check = () => { if (pred()) { waiters.delete(check); clearTimeout(t); resolve(); } };
        const t = setTimeout(() => { waiters.delete(check); reject(new Error(`timed out waiting for ${what}; ${events.length} events, error ${error?.message}`)); }, ms);
        waiters.add(check);
      });
    },
  };
}

describe('EtcdStore on a real etcd', () => {
  it('a watch resumes across an etcd restart from the last delivered revision: no gap, no duplicate', async (t) => {
    const etcd = await startTestEtcd();
    t.after(() => etcd.stop());
    const s = new EtcdStore({ endpoints: [etcd.endpoint], readRetryMs: 10_000 });
    t.after(() => s.close());
    const start = (await s.create('/seed', 'x')).modRevision;
    const w = watchAll(s, '/registry/pods/', start);
    t.after(() => w.watcher.cancel());
    const live = watchAll(s, '/registry/pods/', 0);
    t.after(() => live.watcher.cancel());
    await live.until(() => live.progress.length > 0, 'the live watch to be established');
    const before: KeyValue[] = [];
    for (let i = 0; i < 20; i++) before.push(await s.create(`/registry/pods/ns/a${i}`, `v${i}`));
    await w.until(() => w.events.length === 20, '20 events before the restart');

    await etcd.restart();
    // Writes right after the member is back: the watches must pick them up.
    const afterRestart: KeyValue[] = [];
    const deadline = Date.now() + 20_000;
    while (afterRestart.length < 20) {
      try {
        afterRestart.push(await s.create(`/registry/pods/ns/b${afterRestart.length}`, 'x'));
      } catch (e) {
        if (Date.now() > deadline) throw e; // etcd is still coming up: retry the write (bounded)
        await new Promise((r) => setImmediate(r));
      }
    }
    const last = afterRestart.at(-1)!.modRevision;
    await w.until(() => (w.events.at(-1)?.revision ?? 0) >= last, 'events after the restart');
    await live.until(() => (live.events.at(-1)?.revision ?? 0) >= last, 'live events after the restart');
    const expected = [...before, ...afterRestart].map((kv) => kv.modRevision);
    assert.deepEqual(w.events.map((e) => e.revision), expected);
    assert.deepEqual(live.events.map((e) => e.revision), expected);
    assert.equal(w.error, undefined);
    assert.ok((w.watcher as unknown as { streamsOpened: number }).streamsOpened >= 2, 'the stream was re-opened');
  });

  it('on a 3-member cluster, members restarting one after another: writes go on, watches miss nothing', async (t) => {
    const cluster = await startTestEtcdCluster(3);
    t.after(() => cluster.stop());
    const s = new EtcdStore({ endpoints: cluster.endpoints, readRetryMs: 10_000, callTimeoutMs: 5000 });
    t.after(() => s.close());
    const start = await s.currentRevision();
    const w = watchAll(s, '/registry/pods/', start);
    t.after(() => w.watcher.cancel());
    let n = 0;
    const failures: string[] = [];
    const write = async (count: number) => {
      for (let i = 0; i < count; i++) {
        // a write whose answer is lost may or may not have happened: a fresh key each attempt,
        // and the final list (not our bookkeeping) says what exists
        try { await s.create(`/registry/pods/ns/k${n++}`, 'x'); } catch (e) { failures.push((e as Error).message); i--; await new Promise((r) => setTimeout(r, 50)); }
      }
    };
    await write(20);
    for (const m of [cluster.members[0]!, cluster.members[1]!, cluster.members[2]!]) {
      await m.kill();
      await write(20); // with one member down: the other two are a quorum
      await m.start();
    }
    await write(10);
    const stored = (await s.list('/registry/pods/')).kvs.map((kv) => kv.modRevision).sort((x, y) => x - y);
    assert.equal(stored.length >= 90, true, `${stored.length} keys stored`);
    await w.until(() => (w.events.at(-1)?.revision ?? 0) >= stored.at(-1)!, 'every stored key on the watch', 30_000);
    assert.deepEqual(w.events.map((e) => e.revision), stored, 'exactly the stored keys, in order, once');
    assert.equal(w.error, undefined);
    assert.ok((w.watcher as unknown as { streamsOpened: number }).streamsOpened >= 2, 'the watch stream was re-opened on another member');
    process.stderr.write(`# cluster test: ${failures.length} failed write attempts while members restarted: ${JSON.stringify([...new Set(failures)])}\n`);
  });

  it('a watch whose connection breaks while history is compacted ends with CompactedError (410)', async (t) => {
    const etcd = await startTestEtcd();
    t.after(() => etcd.stop());
    const proxy = await startProxy(etcd.clientPort);
    t.after(() => proxy.close());
    const s = new EtcdStore({ endpoints: [`http://127.0.0.1:${proxy.port}`], readRetryMs: 10_000 });
    t.after(() => s.close());
    const other = new EtcdStore({ endpoints: [etcd.endpoint] });
    t.after(() => other.close());
    const a = await s.create('/registry/pods/ns/a', '1');
    const w = watchAll(s, '/registry/pods/', a.modRevision);
    t.after(() => w.watcher.cancel());
    const b = await s.create('/registry/pods/ns/b', '1');
    await w.until(() => w.events.length === 1, 'the first event');
    assert.equal(w.events[0]!.revision, b.modRevision);
    // The connection breaks (and stays down); meanwhile another client writes and compacts.
    proxy.cut();
    let c = await other.update('/registry/pods/ns/a', '2', a.modRevision);
    c = await other.update('/registry/pods/ns/a', '3', c.modRevision);
    await other.compact(c.modRevision);
    proxy.resume();
    await w.until(() => w.error !== undefined, 'the compaction error');
    assert.ok(w.error instanceof CompactedError, `got ${w.error?.constructor.name}: ${w.error?.message}`);
    assert.equal(w.error.compacted, c.modRevision);
    assert.equal(w.error.requested, b.modRevision);
    assert.equal(w.events.length, 1, 'nothing after the gap was delivered');
    // A new watch from before the compaction point fails at once with the compact revision.
    const old = watchAll(s, '/registry/pods/', b.modRevision);
    await old.until(() => old.error !== undefined, 'onError');
    assert.ok(old.error instanceof CompactedError);
    assert.equal(old.error.compacted, c.modRevision);
    // get/list below it too, with the compact revision (learned from etcd, not from this client)
    await assert.rejects(s.get('/registry/pods/ns/a', { revision: b.modRevision }), (e: unknown) => e instanceof CompactedError && e.compacted === c.modRevision);
    await assert.rejects(s.list('/registry/pods/', { revision: b.modRevision }), CompactedError);
    assert.equal(await s.compactRevision(), c.modRevision);
    // and a watch from the compact revision itself works
    const fromC = watchAll(s, '/registry/pods/', c.modRevision);
    t.after(() => fromC.watcher.cancel());
    const d = await s.delete('/registry/pods/ns/b');
    await fromC.until(() => fromC.events.length === 1, 'the delete');
    assert.equal(fromC.events[0]!.revision, d.modRevision);
  });

  it('a watch resumes after its connection was cut, replaying what it missed', async (t) => {
    const etcd = await startTestEtcd();
    t.after(() => etcd.stop());
    const proxy = await startProxy(etcd.clientPort);
    t.after(() => proxy.close());
    const s = new EtcdStore({ endpoints: [`http://127.0.0.1:${proxy.port}`], readRetryMs: 10_000 });
    t.after(() => s.close());
    const other = new EtcdStore({ endpoints: [etcd.endpoint] });
    t.after(() => other.close());
    const w = watchAll(s, '/registry/', 0);
    t.after(() => w.watcher.cancel());
    await w.until(() => w.progress.length > 0, 'the watch to start');
    const first = await other.create('/registry/pods/ns/a', '1');
    await w.until(() => w.events.length === 1, 'the first event');
    proxy.cut();
    const missed: KeyValue[] = [];
    for (let i = 0; i < 10; i++) missed.push(await other.create(`/registry/pods/ns/m${i}`, 'x'));
    await other.create('/elsewhere', 'not watched'); // the newest revision is outside the prefix
    proxy.resume();
    await w.until(() => w.events.length === 11 && w.progress.at(-1)! > missed.at(-1)!.modRevision, 'the missed events and progress past them');
    assert.deepEqual(w.events.map((e) => e.revision), [first, ...missed].map((kv) => kv.modRevision));
    assert.equal(w.error, undefined);
  });

  it('a live-only watch does not fail when the newest revision this client knew was compacted', async (t) => {
    const etcd = await startTestEtcd();
    t.after(() => etcd.stop());
    const s1 = new EtcdStore({ endpoints: [etcd.endpoint] });
    t.after(() => s1.close());
    const s2 = new EtcdStore({ endpoints: [etcd.endpoint] });
    t.after(() => s2.close());
    await s1.create('/registry/pods/ns/a', '1'); // s1 knows this revision, and nothing newer
    let kv = await s2.create('/registry/pods/ns/b', '1');
    for (let i = 0; i < 5; i++) kv = await s2.update(kv.key, String(i), kv.modRevision);
    await s2.compact(kv.modRevision);
    const w = watchAll(s1, '/registry/pods/', 0);
    t.after(() => w.watcher.cancel());
    await w.until(() => w.progress.length > 0, 'the watch to go live');
    const next = await s2.update(kv.key, 'after', kv.modRevision);
    await w.until(() => w.events.length >= 1, 'the next write');
    assert.equal(w.error, undefined);
    assert.equal(w.events.at(-1)!.revision, next.modRevision);
  });

  it('compactRevision is learned from etcd when another client compacted', async (t) => {
    const etcd = await startTestEtcd();
    t.after(() => etcd.stop());
    const s1 = new EtcdStore({ endpoints: [etcd.endpoint] });
    t.after(() => s1.close());
    const s2 = new EtcdStore({ endpoints: [etcd.endpoint] });
    t.after(() => s2.close());
    let kv = await s1.create('/k', '0');
    for (let i = 1; i < 5; i++) kv = await s1.update('/k', String(i), kv.modRevision);
    assert.equal(await s2.compactRevision(), 0);
    await s1.compact(kv.modRevision - 2);
    assert.equal(await s2.compactRevision(), kv.modRevision - 2);
    await s1.compact(kv.modRevision);
    assert.equal(await s2.compactRevision(), kv.modRevision);
  });

  it('keys live under the configured prefix; two prefixes share one etcd without seeing each other', async (t) => {
    const etcd = await startTestEtcd();
    t.after(() => etcd.stop());
    const a = new EtcdStore({ endpoints: [etcd.endpoint], prefix: '/tenant-a' });
    t.after(() => a.close());
    const b = new EtcdStore({ endpoints: [etcd.endpoint], prefix: '/tenant-b' });
    t.after(() => b.close());
    const start = await a.currentRevision();
    const wb = watchAll(b, '', start);
    t.after(() => wb.watcher.cancel());
    await a.create('/registry/pods/ns/x', 'a');
    const kb = await b.create('/registry/pods/ns/x', 'b');
    assert.deepEqual((await a.list('')).kvs.map((kv) => kv.value), ['a']);
    assert.deepEqual((await b.list('/registry/')).kvs.map((kv) => `${kv.key}=${kv.value}`), ['/registry/pods/ns/x=b']);
    const raw = await a.etcd.getAll().prefix('/tenant-').keys();
    assert.deepEqual(raw.sort(), ['/tenant-a/registry/pods/ns/x', '/tenant-b/registry/pods/ns/x']);
    await wb.until(() => wb.events.length >= 1 && wb.progress.length > 0, "b's event");
    assert.deepEqual(wb.events.map((e) => e.revision), [kb.modRevision]);
    assert.equal(wb.events[0]!.kv.key, '/registry/pods/ns/x');
  });

  it('connects over TLS with a private CA and a client certificate (--client-cert-auth)', async (t) => {
    const ca = await createCA('etcd-test-ca');
    const serving = await issueCert(ca, { commonName: 'etcd', ips: ['127.0.0.1'], dnsNames: ['localhost'], usage: 'server+client' });
    const client = await issueCert(ca, { commonName: 'peapod', usage: 'client' });
    const etcd = await startTestEtcd({ tls: { ...serving, clientCa: ca.certPem } });
    t.after(() => etcd.stop());
    assert.match(etcd.endpoint, /^https:/);
    const s = new EtcdStore({ endpoints: [etcd.endpoint], ca: ca.certPem, cert: client.certPem, key: client.keyPem });
    t.after(() => s.close());
    const kv = await s.create('/registry/pods/ns/a', 'x');
    assert.deepEqual((await s.get('/registry/pods/ns/a')).kv, kv);
    const w = watchAll(s, '/registry/pods/', 0);
    t.after(() => w.watcher.cancel());
    await w.until(() => w.progress.length > 0, 'watch start');
    const kv2 = await s.update(kv.key, 'y', kv.modRevision);
    await w.until(() => w.events.length === 1, 'the event over TLS');
    assert.deepEqual(w.events[0]!.kv, kv2);
    // without the client certificate etcd refuses the connection
    const anon = new EtcdStore({ endpoints: [etcd.endpoint], ca: ca.certPem, readRetryMs: 0, callTimeoutMs: 3000 });
    t.after(() => anon.close());
    await assert.rejects(anon.get('/registry/pods/ns/a'));
    // and a client that does not trust the CA refuses etcd
    const other = await createCA('another-ca');
    const untrusting = new EtcdStore({ endpoints: [etcd.endpoint], ca: other.certPem, cert: client.certPem, key: client.keyPem, readRetryMs: 0, callTimeoutMs: 3000 });
    t.after(() => untrusting.close());
    await assert.rejects(untrusting.get('/registry/pods/ns/a'));
  });

  it('calls on an unreachable etcd fail instead of hanging, and the store still closes', async (t) => {
    const etcd = await startTestEtcd();
    t.after(() => etcd.stop());
    const s = new EtcdStore({ endpoints: [etcd.endpoint], readRetryMs: 300, callTimeoutMs: 2000 });
    await s.create('/k', 'v');
    await etcd.kill();
    await assert.rejects(s.get('/k'));
    await assert.rejects(s.create('/k2', 'v'));
    const w = watchAll(s, '/', 0);
    await s.close();
    await w.until(() => w.error !== undefined, 'StoreClosedError on close');
    assert.ok(w.error instanceof StoreClosedError);
  });
});

/** A TCP proxy to etcd whose connections the test can cut (and keep refusing until resume). */
async function startProxy(targetPort: number): Promise<{ port: number; cut(): void; resume(): void; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let open = true;
  const server = createServer((client) => {
    if (!open) { client.destroy(); return; }
    const upstream = connect(targetPort, '127.0.0.1');
    for (const [a, b] of [[client, upstream], [upstream, client]] as const) {
      sockets.add(a);
      a.on('error', () => b.destroy());
      a.on('close', () => { sockets.delete(a); b.destroy(); });
      a.pipe(b);
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    cut() { open = false; for (const s of sockets) s.destroy(); },
    resume() { open = true; },
    close: () => { for (const s of sockets) s.destroy(); return new Promise<void>((r) => server.close(() => r())); },
  };
}

async function retryWrite<T>(fn: () => Promise<T>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try { return await fn(); } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setImmediate(r));
    }
  }
}
