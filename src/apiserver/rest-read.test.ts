/** Paged lists: the items spliced from stored JSON are the bytes JSON.stringify would write. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApi } from '../testing/test-api.js';

test('a paged list (limit/continue) is byte-for-byte the serializer\'s output and pages through every object', async (t) => {
  const api = await startTestApi();
  t.after(() => api.close());
  const tricky = ['plain', 'ünïcødé 😀', 'quote " back\\slash', 'ctl \u0001\u001f', 'lone \ud800 surrogate', '</script>', '\u2028\u2029'];
  for (let i = 0; i < 7; i++) {
    const r = await fetch(`${api.url}/api/v1/namespaces/default/configmaps`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}`, labels: { i: String(i) }, annotations: { a: tricky[i] } }, data: { [`k${i}`]: tricky[i], n: '1e21' } }),
    });
    assert.equal(r.status, 201, await r.text());
  }
  const seen: string[] = [];
  let cont = '';
  let pages = 0;
  do {
    const r = await fetch(`${api.url}/api/v1/namespaces/default/configmaps?limit=3${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`);
    assert.equal(r.status, 200);
    const text = await r.text();
    assert.equal(text, JSON.stringify(JSON.parse(text)));
    assert.equal(Number(r.headers.get('content-length')), Buffer.byteLength(text));
    const body = JSON.parse(text) as { kind: string; apiVersion: string; metadata: { continue?: string; resourceVersion: string; remainingItemCount?: number }; items: { metadata: { name: string; resourceVersion: string; annotations: Record<string, string> } }[] };
    assert.deepEqual(Object.keys(body), ['kind', 'apiVersion', 'metadata', 'items']);
    assert.equal(body.kind, 'ConfigMapList');
    for (const it of body.items) {
      assert.ok(Number(it.metadata.resourceVersion) > 0);
      seen.push(it.metadata.name);
    }
    if (pages === 0) assert.equal(body.metadata.remainingItemCount, 4);
    cont = body.metadata.continue ?? '';
    pages++;
  } while (cont);
  assert.equal(pages, 3);
  assert.deepEqual(seen, ['cm-0', 'cm-1', 'cm-2', 'cm-3', 'cm-4', 'cm-5', 'cm-6']);
  // the same objects as a get of each answers
  const one = await (await fetch(`${api.url}/api/v1/namespaces/default/configmaps?limit=1`)).json() as { items: unknown[] };
  const got = await (await fetch(`${api.url}/api/v1/namespaces/default/configmaps/cm-0`)).json() as Record<string, unknown>;
  const item = one.items[0] as Record<string, unknown>;
  assert.deepEqual({ ...item, apiVersion: got.apiVersion, kind: got.kind }, got);
});
