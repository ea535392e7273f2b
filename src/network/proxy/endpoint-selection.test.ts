import { test } from 'node:test';
import assert from 'node:assert/strict';
import { conditionsOf, selectEndpoints, type EndpointCandidate } from './endpoint-selection.js';

const ep = (ip: string, state: 'ready' | 'terminating' | 'not-ready', local = false): EndpointCandidate => ({
  ip, port: 8080, local, ready: state === 'ready', servingTerminating: state === 'terminating',
});
const ips = (eps: { ip: string; local?: boolean; localOnly?: boolean }[]) => eps.map((e) => `${e.ip}${e.local ? ' local' : ''}${e.localOnly ? ' localOnly' : ''}`);

test('EndpointSlice conditions: unset means ready and serving, not terminating', () => {
  assert.deepEqual(conditionsOf(undefined), { ready: true, servingTerminating: false });
  assert.deepEqual(conditionsOf({}), { ready: true, servingTerminating: false });
  assert.deepEqual(conditionsOf({ ready: false, serving: true, terminating: true }), { ready: false, servingTerminating: true });
  assert.deepEqual(conditionsOf({ ready: false, terminating: true }), { ready: false, servingTerminating: true }, 'serving unset means serving');
  assert.deepEqual(conditionsOf({ ready: false, serving: false, terminating: true }), { ready: false, servingTerminating: false });
  assert.deepEqual(conditionsOf({ ready: false, serving: true, terminating: false }), { ready: false, servingTerminating: false }, 'serving but not terminating: not a fallback');
});

test('cluster set: ready endpoints; terminating ones are left out while any is ready', () => {
  const out = selectEndpoints([ep('10.0.0.1', 'terminating'), ep('10.0.0.2', 'ready'), ep('10.0.0.3', 'not-ready')], false);
  assert.deepEqual(ips(out), ['10.0.0.2']);
});

test('no ready endpoint anywhere: the serving terminating ones take the traffic', () => {
  const out = selectEndpoints([ep('10.0.0.1', 'terminating'), ep('10.0.0.2', 'not-ready'), ep('10.0.0.3', 'terminating', true)], false);
  assert.deepEqual(ips(out), ['10.0.0.1', '10.0.0.3 local']);
  assert.deepEqual(selectEndpoints([ep('10.0.0.2', 'not-ready')], false), [], 'not serving: nothing');
  assert.deepEqual(selectEndpoints([], true), []);
});

test('Local policy: this node\'s terminating endpoint when none of its endpoints is ready, even with ready ones elsewhere', () => {
  const cands = [ep('10.0.0.1', 'ready'), ep('10.0.0.2', 'terminating', true), ep('10.0.0.3', 'terminating')];
  assert.deepEqual(ips(selectEndpoints(cands, true)), ['10.0.0.1', '10.0.0.2 local localOnly']);
  // without a Local policy the local set is not needed, so the terminating endpoint is not programmed
  assert.deepEqual(ips(selectEndpoints(cands, false)), ['10.0.0.1']);
  // a ready local endpoint wins over the local terminating one
  assert.deepEqual(ips(selectEndpoints([...cands, ep('10.0.0.4', 'ready', true)], true)), ['10.0.0.1', '10.0.0.4 local']);
  // nothing ready anywhere: both sets fall back, the local one is part of the cluster set
  assert.deepEqual(ips(selectEndpoints([ep('10.0.0.2', 'terminating', true), ep('10.0.0.3', 'terminating')], true)), ['10.0.0.2 local', '10.0.0.3']);
  // nothing usable on this node: no local endpoint (Local traffic is dropped by the rules)
  assert.deepEqual(ips(selectEndpoints([ep('10.0.0.1', 'ready'), ep('10.0.0.5', 'not-ready', true)], true)), ['10.0.0.1']);
});
