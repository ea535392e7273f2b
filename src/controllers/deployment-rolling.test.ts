import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../api/object.js';
import type { KubeClient } from '../client/types.js';
import { FakeClock } from '../util/clock.js';
import { reconcileOldReplicaSets } from './deployment-rolling.js';
import type { Deployment, ReplicaSet } from './deployment-util.js';
import type { DeploymentContext } from './deployment-context.js';
import type { EventRecorder } from './events.js';

/** A client that only records ReplicaSet updates (the only call reconcileOldReplicaSets makes). */
function recordingClient(updates: KubeObject[]): KubeClient {
  const no = () => { throw new Error('unexpected call'); };
  return { get: no, list: no, create: no, patch: no, delete: no, watch: no, update: async (_r, _ns, obj) => { updates.push(obj); return obj as never; } } as KubeClient;
}

const rs = (name: string, replicas: number, available: number, created: string): ReplicaSet => ({
  apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name, namespace: 'default', uid: name, creationTimestamp: created },
  spec: { replicas }, status: { replicas: available, availableReplicas: available },
});

function ctxFor(d: Deployment, updates: KubeObject[], events: string[]): DeploymentContext {
  const recorder: EventRecorder = { event: (_o, _t, _r, m) => { events.push(m); }, flush: async () => undefined };
  return { client: recordingClient(updates), recorder, clock: new FakeClock(), pods: undefined as never, d };
}

const d: Deployment = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default', generation: 2 }, spec: { replicas: 4 } };

test('old ReplicaSets: unhealthy replicas go first, then available ones down to replicas - maxUnavailable', async () => {
  const updates: KubeObject[] = [], events: string[] = [];
  const old = rs('old', 4, 2, '2026-01-01T00:00:00Z'); // 2 of 4 not available
  const fresh = rs('new', 1, 1, '2026-01-01T01:00:00Z');
  // all 5, minAvailable 3, new unavailable 0 → up to 2 may go; both unhealthy ones first
  const r = await reconcileOldReplicaSets(ctxFor(d, updates, events), [old, fresh], [old], fresh);
  assert.equal(r.scaled, true);
  assert.deepEqual(events, ['Scaled down replica set old to 2 from 4']);
});

test('old ReplicaSets are never scaled up when their status still counts pods from before a scale-down', async () => {
  const updates: KubeObject[] = [], events: string[] = [];
  const old = rs('old', 3, 4, '2026-01-01T00:00:00Z'); // status lags: 4 available, spec already 3
  const fresh = rs('new', 2, 2, '2026-01-01T01:00:00Z');
  // 5 wanted, minAvailable 3: the lagging status must not turn into a scale-up (3 -> 4); the available
  // ones may still go down to minAvailable
  await reconcileOldReplicaSets(ctxFor(d, updates, events), [old, fresh], [old], fresh);
  for (const u of updates) assert.ok(((u.spec as { replicas: number }).replicas) <= 3, `scaled to ${(u.spec as { replicas: number }).replicas}`);
  assert.ok(events.every((e) => e.startsWith('Scaled down')), events.join());
});
