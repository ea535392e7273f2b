/**
 * Leader election on a FakeClock against the real API (REST core on a MemoryStore, plain HTTP):
 * one leader at a time, renewals keep it, a silent leader is replaced after leaseDuration of the
 * candidate's own time, a leader that cannot renew stops within renewDeadline, a released lease
 * is taken at once, and the work runs only while leading.
 */
import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../storage/memory/memory-store.js';
import { startTestServer } from '../apiserver/test-server.js';
import { HttpClient } from '../client/http-client.js';
import { Resources } from '../client/resources.js';
import type { KubeClient } from '../client/types.js';
import { FakeClock } from '../util/clock.js';
import { LeaderElector, microTime, type LeaseObject } from './leader-election.js';
import { runWhileLeader } from './leader-election-runner.js';

/** A client whose calls fail while `broken` (a crashed or partitioned server). */
function breakable(inner: KubeClient): KubeClient & { broken: boolean } {
  const c = { broken: false } as KubeClient & { broken: boolean };
  for (const m of ['get', 'list', 'create', 'update', 'patch', 'delete', 'watch'] as const) {
    (c as unknown as Record<string, unknown>)[m] = (...args: unknown[]) => {
      if (c.broken && m === 'watch') return { stop() {}, done: Promise.resolve(), error: new Error('connection refused') };
      if (c.broken) return Promise.reject(new Error('connection refused'));
      return (inner[m] as (...a: unknown[]) => unknown).apply(inner, args);
    };
  }
  return c;
}

async function setup(t: TestContext) {
  const store = new MemoryStore();
  const server = await startTestServer(store);
  t.after(async () => { await server.close(); await store.close(); });
  const clock = new FakeClock();
  const clients: HttpClient[] = [];
  const client = () => { const c = new HttpClient({ server: server.url }); clients.push(c); return breakable(c); };
  t.after(() => { for (const c of clients) c.close(); });
  const electors: LeaderElector[] = [];
  const log: string[] = [];
  const candidate = (id: string, c = client(), watchLease = true) => {
    const e = new LeaderElector({
      client: c, clock, identity: id, random: () => 0.5, watchLease,
      onStartedLeading: () => { log.push(`${id} started`); },
      onStoppedLeading: () => { log.push(`${id} stopped`); },
    });
    electors.push(e);
    t.after(() => e.stop());
    return { e, c };
  };
  /** Advance the clock in small steps, letting every attempt in flight finish in between. */
  const tick = async (ms: number, step = 250) => {
    for (let done = 0; done < ms; done += step) {
      await clock.advance(Math.min(step, ms - done));
      await Promise.all(electors.map((e) => e.idle()));
      await Promise.all(electors.map((e) => e.idle()));
    }
  };
  const lease = async () => (await new HttpClient({ server: server.url }).get<LeaseObject>(Resources.leases, 'kube-system', 'peapod-controllers'));
  return { clock, client, candidate, tick, lease, log };
}

describe('LeaderElector', () => {
  it('the first candidate creates the Lease and leads; a second waits while the leader renews', async (t) => {
    const { clock, candidate, tick, lease, log } = await setup(t);
    const a = candidate('a');
    a.e.start();
    await tick(250);
    assert.equal(a.e.isLeader, true);
    let l = await lease();
    assert.equal(l.spec?.holderIdentity, 'a');
    assert.equal(l.spec?.leaseDurationSeconds, 15);
    assert.equal(l.spec?.leaseTransitions, 0);
    assert.equal(l.spec?.acquireTime, microTime(clock.now() - 250));
    assert.match(l.spec!.renewTime!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    const b = candidate('b');
    b.e.start();
    await tick(60_000);
    assert.equal(a.e.isLeader, true);
    assert.equal(b.e.isLeader, false);
    assert.equal(b.e.leader, 'a');
    l = await lease();
    assert.equal(l.spec?.holderIdentity, 'a');
    assert.equal(l.spec?.leaseTransitions, 0);
    assert.ok(Date.parse(l.spec!.renewTime!) >= clock.now() - 2_500, 'renewed every retry period');
    assert.deepEqual(log, ['a started']);
  });

  for (const watchLease of [true, false]) it(`a leader that cannot renew stops within renewDeadline; another takes over after leaseDuration (${watchLease ? 'watching' : 'polling'} the Lease)`, async (t) => {
    const { clock, candidate, tick, lease, log, client } = await setup(t);
    const a = candidate('a', client(), watchLease);
    a.e.start();
    await tick(250);
    const b = candidate('b', client(), watchLease);
    b.e.start();
    await tick(4_000);
    const lastRenew = Date.parse((await lease()).spec!.renewTime!);
    a.c.broken = true; // a is cut off from the API
    const cut = clock.now();
    let aStoppedAt = 0;
    let bLeadsAt = 0;
    for (let i = 0; i < 100 && !(aStoppedAt && bLeadsAt); i++) {
      await tick(250);
      if (!aStoppedAt && !a.e.isLeader) aStoppedAt = clock.now();
      if (!bLeadsAt && b.e.isLeader) bLeadsAt = clock.now();
    }
    assert.ok(aStoppedAt > 0 && aStoppedAt - lastRenew <= 10_000 + 2_250, `a stopped ${aStoppedAt - lastRenew} ms after its last renewal`);
    assert.ok(bLeadsAt - lastRenew >= 15_000, `b waited a full lease duration (${bLeadsAt - lastRenew} ms)`);
    assert.ok(bLeadsAt - cut <= 15_000 + 2_400 + 500, `b took over ${bLeadsAt - cut} ms after the cut`);
    // b saw a's last renewal when it happened (watching) or within one retry period (polling), and
    // woke as soon as the lease expired
    const bound = 15_000 + (watchLease ? 0 : 2_400) + 500;
    t.diagnostic(`b took over ${bLeadsAt - lastRenew} ms after a's last renewal, ${bLeadsAt - cut} ms after the cut`);
    assert.ok(bLeadsAt - lastRenew <= bound, `b took over ${bLeadsAt - lastRenew} ms after a's last renewal (bound ${bound})`);
    assert.ok(aStoppedAt < bLeadsAt, 'the old leader stopped before the new one started');
    const l = await lease();
    assert.equal(l.spec?.holderIdentity, 'b');
    assert.equal(l.spec?.leaseTransitions, 1);
    assert.deepEqual(log, ['a started', 'a stopped', 'b started']);
    // a comes back: it sees b renewing and stays a follower
    a.c.broken = false;
    await tick(30_000);
    assert.equal(a.e.isLeader, false);
    assert.equal(b.e.isLeader, true);
  });

  it('a leader whose API calls hang (no answer at all) still stops leading within renewDeadline', async (t) => {
    const { clock, candidate, tick, client } = await setup(t);
    const c = client();
    const hanging = { ...c, get: ((...args: Parameters<typeof c.get>) => (hang ? new Promise(() => {}) : c.get(...args))) as typeof c.get };
    let hang = false;
    const a = candidate('a', hanging as typeof c);
    a.e.start();
    await tick(4_000);
    assert.equal(a.e.isLeader, true);
    hang = true;
    const at = clock.now();
    // step the clock without waiting on the hung attempt
    for (let i = 0; i < 60 && a.e.isLeader; i++) { await clock.advance(250); await new Promise((r) => setImmediate(r)); }
    assert.equal(a.e.isLeader, false);
    assert.ok(clock.now() - at <= 10_000 + 250, `stopped ${clock.now() - at} ms after calls began to hang`);
  });

  it('stop() releases the lease, so the next candidate leads within one retry period', async (t) => {
    const { clock, candidate, tick, lease, log } = await setup(t);
    const a = candidate('a');
    a.e.start();
    await tick(250);
    const b = candidate('b');
    b.e.start();
    await tick(3_000);
    await a.e.stop();
    const released = await lease();
    assert.equal(released.spec?.holderIdentity, '');
    assert.equal(released.spec?.leaseDurationSeconds, 1);
    const at = clock.now();
    while (!b.e.isLeader && clock.now() - at < 5_000) await tick(250);
    assert.ok(b.e.isLeader && clock.now() - at <= 2_400 + 250, `b led ${clock.now() - at} ms after the release`);
    assert.equal((await lease()).spec?.leaseTransitions, 1);
    assert.deepEqual(log, ['a started', 'a stopped', 'b started']);
  });

  it('a candidate trusts its own clock, not the renewTime written by the leader', async (t) => {
    const { clock, candidate, tick, client } = await setup(t);
    // A lease renewed "long ago" by a leader whose clock is far behind: still fresh to us,
    // because we have only just seen it.
    const c = client();
    await c.create(Resources.leases, 'kube-system', {
      apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'peapod-controllers', namespace: 'kube-system' },
      spec: { holderIdentity: 'skewed', leaseDurationSeconds: 15, renewTime: microTime(clock.now() - 3_600_000), acquireTime: microTime(clock.now() - 3_600_000), leaseTransitions: 4 },
    });
    const b = candidate('b');
    b.e.start();
    await tick(10_000);
    assert.equal(b.e.isLeader, false, 'not taken over before leaseDuration of our own time');
    await tick(8_000);
    assert.equal(b.e.isLeader, true);
  });

  it('runWhileLeader runs the work only while leading and stops it on loss', async (t) => {
    const { clock, client, tick } = await setup(t);
    const c = client();
    const events: string[] = [];
    const gate = runWhileLeader({ client: c, clock, identity: 'a', random: () => 0 }, async () => {
      events.push('start');
      return { stop: async () => { events.push('stop'); } };
    });
    t.after(() => gate.stop());
    const step = async (ms: number) => { for (let i = 0; i < ms; i += 250) { await clock.advance(250); await gate.elector.idle(); await gate.settled(); } };
    await step(250);
    assert.equal(gate.running, true);
    c.broken = true;
    await step(12_500);
    assert.equal(gate.elector.isLeader, false);
    assert.equal(gate.running, false);
    c.broken = false;
    await step(20_000);
    assert.equal(gate.running, true);
    await gate.stop();
    assert.deepEqual(events, ['start', 'stop', 'start', 'stop']);
    void tick;
  });
});
