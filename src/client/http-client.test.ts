/** HttpClient.watch: many events per chunk are split into lines once each, in order. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApi } from '../testing/test-api.js';
import { Resources } from './resources.js';

test('watch delivers every event of a large initial burst exactly once, in order', async (t) => {
  const api = await startTestApi();
  t.after(() => api.close());
  const n = 300;
  await Promise.all(Array.from({ length: n }, (_, i) => api.client.create(Resources.configmaps, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${String(i).padStart(3, '0')}` }, data: { v: 'x'.repeat(i) } })));
  const names: string[] = [];
  let done!: () => void;
  const all = new Promise<void>((r) => { done = r; });
  const w = api.client.watch(Resources.configmaps, 'default', {}, (ev) => {
    if (ev.type === 'ADDED') names.push(String(ev.object.metadata.name));
    if (names.length === n) done();
  });
  t.after(() => w.stop());
  const timeout = new Promise<never>((_, rej) => { const h = setTimeout(() => rej(new Error(`only ${names.length} of ${n} events`)), 20_000); t.after(() => clearTimeout(h)); });
  await Promise.race([all, timeout]);
  assert.deepEqual(names, Array.from({ length: n }, (_, i) => `cm-${String(i).padStart(3, '0')}`));
  assert.equal(w.error, undefined);
});
