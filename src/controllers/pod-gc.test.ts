/** Pod GC with a FakeClock: orphaned pods (node gone, after quarantine), unscheduled terminating pods, terminated pods above the threshold (oldest first). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { startTestApi } from '../testing/test-api.js';
import { Resources } from '../client/resources.js';
import { SharedInformers } from '../client/shared-informers.js';
import type { KubeObject } from '../api/object.js';
import { FakeClock } from '../util/clock.js';
import { PodGc } from './pod-gc.js';
import { waitFor } from '../scheduler/testing/fixtures.js';

test('pod GC', async (t) => {
  const clock = new FakeClock();
  const api = await startTestApi({ clock });
  const informers = new SharedInformers(api.client, clock);
  const gc = new PodGc({ client: api.client, informers, clock, terminatedPodThreshold: 2, periodMs: 1e12, quarantineMs: 40_000 });
  t.after(async () => { await gc.stop(); informers.stop(); await api.close(); });
  const c = api.client;
  await c.create(Resources.serviceaccounts, 'default', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default' } });
  await c.create(Resources.nodes, undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'live' } });
  const mk = async (name: string, nodeName?: string, phase?: string) => {
    await c.create(Resources.pods, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { nodeName, containers: [{ name: 'c', image: 'x' }] } } as KubeObject);
    if (phase) await c.patch(Resources.pods, 'default', name, 'merge', { status: { phase } }, { subresource: 'status' });
    await clock.advance(1000); // distinct creation times
  };
  await mk('done-1', 'live', 'Succeeded');
  await mk('done-2', 'live', 'Failed');
  await mk('done-3', 'live', 'Succeeded');
  await mk('done-4', 'live', 'Succeeded');
  await mk('orphan', 'gone');
  await mk('on-live', 'live');
  await c.create(Resources.pods, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'unsched-term', finalizers: ['example.com/hold'] }, spec: { containers: [{ name: 'c', image: 'x' }] } } as KubeObject);
  await c.delete(Resources.pods, 'default', 'unsched-term');
  await informers.start();
  const names = async () => (await c.list(Resources.pods, 'default')).items.map((p) => p.metadata.name!).sort();
  await waitFor('informer synced', () => informers.for(Resources.pods).list().length === 7);

  const first = await gc.gc();
  // the two oldest terminated pods go; the orphan waits out its quarantine
  assert.deepEqual(first.filter((k) => k.includes('done')).sort(), ['default/done-1', 'default/done-2']);
  assert.ok(!first.includes('default/orphan'));
  assert.ok(first.includes('default/unsched-term'), `first pass: ${first}`);
  await waitFor('gc results visible', async () => !(await names()).includes('done-1'));
  await clock.advance(41_000);
  const second = await gc.gc();
  assert.ok(second.includes('default/orphan'), `second pass: ${second}`);
  const left = await waitFor('orphan deleted', async () => { const n = await names(); return n.includes('orphan') ? undefined : n; });
  assert.ok(left.includes('on-live') && left.includes('done-3') && left.includes('done-4'));
  const term = await c.get(Resources.pods, 'default', 'unsched-term').catch(() => undefined) as Pod | undefined;
  // force-deleted: only its finalizer keeps it
  assert.ok(!term || term.metadata?.deletionGracePeriodSeconds === 0, JSON.stringify(term?.metadata));
});
