/**
 * @kubernetes/client-node against a real peapod server: list, watch and an informer.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { KubeConfig, CoreV1Api, Watch, makeInformer, type V1ConfigMap } from '@kubernetes/client-node';
import { startServer, type TestServer } from './harness.js';

let server: TestServer;
before(async () => { server = await startServer(); });
after(async () => { await server?.stop(); });

function waitFor<T>(what: string, ms: number, fn: (resolve: (v: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    fn((v) => { clearTimeout(t); resolve(v); });
  });
}

test('client-node: create, list, watch and informer on configmaps', async () => {
  const kc = new KubeConfig();
  kc.loadFromFile(server.kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);

  await core.createNamespace({ body: { metadata: { name: 'cn' } } });
  await core.createNamespacedConfigMap({ namespace: 'cn', body: { metadata: { name: 'one', labels: { app: 'x' } }, data: { a: '1' } } });
  const list = await core.listNamespacedConfigMap({ namespace: 'cn', labelSelector: 'app=x' });
  assert.deepEqual(list.items.map((c) => c.metadata?.name), ['one']);
  assert.ok(list.metadata?.resourceVersion, 'list carries a resourceVersion');

  // watch from the list's resourceVersion sees the next write
  const watch = new Watch(kc);
  const seen: string[] = [];
  let abort: AbortController | undefined;
  const added = waitFor<void>('watch ADDED two', 10_000, (resolve) => {
    void watch.watch('/api/v1/namespaces/cn/configmaps', { resourceVersion: list.metadata!.resourceVersion }, (phase, obj: V1ConfigMap) => {
      seen.push(`${phase} ${obj.metadata?.name}`);
      if (phase === 'ADDED' && obj.metadata?.name === 'two') resolve();
    }, () => undefined).then((a) => { abort = a; });
  });
  await core.createNamespacedConfigMap({ namespace: 'cn', body: { metadata: { name: 'two', labels: { app: 'x' } } } });
  await added;
  abort?.abort();
  assert.deepEqual(seen, ['ADDED two'], 'no replay of objects older than the resourceVersion');

  // informer: initial list, then add/update/delete events
  const informer = makeInformer(kc, '/api/v1/namespaces/cn/configmaps', () => core.listNamespacedConfigMap({ namespace: 'cn', labelSelector: 'app=x' }), 'app=x');
  const events: string[] = [];
  const deleted = waitFor<void>('informer delete of one', 15_000, (resolve) => {
    informer.on('add', (o: V1ConfigMap) => events.push(`add ${o.metadata?.name}`));
    informer.on('update', (o: V1ConfigMap) => events.push(`update ${o.metadata?.name}`));
    informer.on('delete', (o: V1ConfigMap) => { events.push(`delete ${o.metadata?.name}`); if (o.metadata?.name === 'one') resolve(); });
  });
  await informer.start();
  assert.deepEqual(informer.list().map((o) => o.metadata?.name).sort(), ['one', 'two']);
  // client-node 1.x sends patches as JSON patch (application/json-patch+json) by default
  await core.patchNamespacedConfigMap({ namespace: 'cn', name: 'two', body: [{ op: 'add', path: '/metadata/labels/extra', value: 'y' }] });
  await core.deleteNamespacedConfigMap({ namespace: 'cn', name: 'one' });
  await deleted;
  await informer.stop();
  assert.ok(events.includes('update two'), `informer saw the update (events: ${events.join(', ')})`);
  assert.equal(informer.get('one', 'cn'), undefined);
});
