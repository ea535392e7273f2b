/** InProcessClient: the KubeClient contract straight into the REST core, plus its own metrics and close. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createApiHandler } from '../apiserver/api-handler.js';
import { ApiMetrics } from '../apiserver/metrics.js';
import { MemoryStore } from '../storage/memory/memory-store.js';
import { InProcessClient } from './in-process-client.js';
import { kubeClientFixtureDeps, runKubeClientContract } from './kube-client.contract.js';
import { Resources } from './resources.js';

const controllerManager = { username: 'system:kube-controller-manager', groups: ['system:masters', 'system:authenticated'] };

runKubeClientContract('in-process', async () => {
  const store = new MemoryStore();
  const handler = createApiHandler({ store, ...kubeClientFixtureDeps });
  await handler.ready;
  const client = new InProcessClient({ handler, user: controllerManager, userAgent: 'contract-test/1.0' });
  return { client, store, async close() { client.close(); await handler.close(); await store.close(); } };
});

test('in-process requests are counted in the server metrics by verb, resource and code; close ends the watches', async (t) => {
  const store = new MemoryStore();
  const handler = createApiHandler({ store, ...kubeClientFixtureDeps });
  t.after(async () => { await handler.close(); await store.close(); });
  await handler.ready;
  const metrics = new ApiMetrics();
  const client = new InProcessClient({ handler, user: controllerManager, userAgent: 'peapod-controller-manager/test', metrics });
  const created = await client.create(Resources.configmaps, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'm' }, data: { k: 'v' } });
  assert.equal(created.metadata.managedFields?.[0]?.manager, 'peapod-controller-manager', 'the User-Agent is the field manager, as over HTTP');
  await client.get(Resources.configmaps, 'default', 'm');
  await client.get(Resources.configmaps, 'default', 'missing').catch(() => undefined);
  await client.patch(Resources.configmaps, 'default', 'm', 'apply', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'm' }, data: { a: 'b' } }, { fieldManager: 'x' });
  const w = client.watch(Resources.configmaps, 'default', {}, () => undefined);
  const gauge = async () => (await metrics.watches.get()).values.find((v) => v.labels.verb === 'watch' && v.labels.resource === 'configmaps')?.value;
  assert.equal(await gauge(), 1, 'an open watch is a long-running request');
  client.close();
  await w.done;
  assert.equal(await gauge(), 0);
  const counts = (await metrics.requests.get()).values.map((v) => `${v.labels.verb} ${v.labels.resource} ${v.labels.code} ${v.value}`).sort();
  assert.deepEqual(counts, ['apply configmaps 200 1', 'create configmaps 201 1', 'get configmaps 200 1', 'get configmaps 404 1', 'watch configmaps 200 1']);
  await assert.rejects(client.get(Resources.configmaps, 'default', 'm'), /closed/);
});

test('at most maxInFlight requests are in the server at once; the rest wait their turn', async (t) => {
  const store = new MemoryStore();
  const handler = createApiHandler({ store, ...kubeClientFixtureDeps });
  t.after(async () => { await handler.close(); await store.close(); });
  await handler.ready;
  // each request takes a while, so that several would be in the server at once without the bound
  let now = 0;
  let most = 0;
  const counting = { ...handler, async handle(...args: Parameters<typeof handler.handle>) { most = Math.max(most, ++now); try { await new Promise((r) => setTimeout(r, 2)); await handler.handle(...args); } finally { now--; } } };
  const client = new InProcessClient({ handler: counting, user: controllerManager, maxInFlight: 3 });
  const made = await Promise.all(Array.from({ length: 20 }, (_, i) => client.create(Resources.configmaps, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `c${i}` } })));
  assert.equal(made.length, 20);
  assert.equal(most, 3);
  assert.equal((await client.list(Resources.configmaps, 'default')).items.length, 20);
});

test('each in-process client has its own bound: the scheduler is served while the controllers\' queue is full', async (t) => {
  const store = new MemoryStore();
  const handler = createApiHandler({ store, ...kubeClientFixtureDeps });
  t.after(async () => { await handler.close(); await store.close(); });
  await handler.ready;
  // the controllers' requests are held in the handler until released: a slow server under a burst
  let release!: () => void;
  const held = new Promise<void>((r) => { release = r; });
  let controllersIn = 0;
  const slow = { ...handler, async handle(...args: Parameters<typeof handler.handle>) {
    if (String(args[0].headers['user-agent']).startsWith('peapod-controller-manager')) { controllersIn++; await held; }
    await handler.handle(...args);
  } };
  const controllers = new InProcessClient({ handler: slow, user: controllerManager, userAgent: 'peapod-controller-manager', maxInFlight: 2 });
  const scheduler = new InProcessClient({ handler: slow, user: { username: 'system:kube-scheduler', groups: ['system:masters', 'system:authenticated'] }, userAgent: 'peapod-scheduler', maxInFlight: 2 });
  t.after(() => { controllers.close(); scheduler.close(); });
  const burst = Array.from({ length: 10 }, (_, i) => controllers.create(Resources.configmaps, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `burst-${i}` } }));
  while (controllersIn < 2) await new Promise((r) => setImmediate(r));
  // the controllers' two slots are taken and eight requests wait behind them; the scheduler's own go through
  const bound = await scheduler.create(Resources.configmaps, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'binding' }, data: { node: 'n1' } });
  assert.equal(bound.metadata.managedFields?.[0]?.manager, 'peapod-scheduler');
  assert.equal((await scheduler.get(Resources.configmaps, 'default', 'binding')).metadata.name, 'binding');
  assert.equal(controllersIn, 2, 'the controllers\' queue did not move meanwhile');
  release();
  assert.equal((await Promise.all(burst)).length, 10);
  assert.equal(controllersIn, 10);
  assert.equal((await scheduler.list(Resources.configmaps, 'default')).items.length, 11);
});
