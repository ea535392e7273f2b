import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { FakeClock } from '../../util/clock.js';
import { startTestApi } from '../../testing/test-api.js';
import { Resources } from '../../client/resources.js';
import { ObjectCache } from '../volumes/object-cache.js';
import { expand, resolveEnv, EnvError } from './env.js';

test('$(VAR) expansion: defined names, $$ escapes, unknown names stay', () => {
  const vars = new Map([['A', 'x'], ['B', 'y']]);
  assert.equal(expand('$(A)-$(B)', vars), 'x-y');
  assert.equal(expand('$$(A) $(C) $A', vars), '$(A) $(C) $A');
  assert.equal(expand('tail $(', vars), 'tail $(');
});

test('env: envFrom with prefix, fieldRef, resourceFieldRef, configMap/secret keys, optional refs, ordering', async (t) => {
  const api = await startTestApi();
  t.after(() => api.close());
  await api.client.create(Resources.configmaps, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm' }, data: { color: 'blue' } });
  await api.client.create(Resources.configmaps, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm2' }, data: { '1x': 'digit first', ok: 'yes' } });
  await api.client.create(Resources.secrets, 'default', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { pw: Buffer.from('hunter2').toString('base64') } });
  const objects = new ObjectCache(api.client, new FakeClock());
  const pod = {
    metadata: { name: 'p1', namespace: 'default', uid: 'u1', labels: { a: '1' } },
    spec: {
      nodeName: 'n1',
      containers: [{
        name: 'c', image: 'busybox', resources: { limits: { memory: '64Mi' } },
        envFrom: [{ configMapRef: { name: 'cm' }, prefix: 'CM_' }, { configMapRef: { name: 'cm2' } }],
        env: [
          { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
          { name: 'MEM', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
          { name: 'COLOR', valueFrom: { configMapKeyRef: { name: 'cm', key: 'color' } } },
          { name: 'PW', valueFrom: { secretKeyRef: { name: 's', key: 'pw' } } },
          { name: 'MISSING', valueFrom: { configMapKeyRef: { name: 'nope', key: 'k', optional: true } } },
          { name: 'MSG', value: '$(POD) on $(IP) likes $(CM_color)' },
        ],
      }],
    },
  } as unknown as Pod;
  const node = { cpuMillis: 2000, memoryBytes: 1 << 30, ephemeralBytes: 0 };
  const r = await resolveEnv(pod, pod.spec!.containers[0], objects, { podIP: '10.202.0.9' }, node);
  assert.deepEqual(Object.fromEntries(r.env.map((e) => [e.name, e.value])), {
    CM_color: 'blue', ok: 'yes', POD: 'p1', IP: '10.202.0.9', MEM: '64', COLOR: 'blue', PW: 'hunter2', MSG: 'p1 on 10.202.0.9 likes blue',
  });
  assert.deepEqual(r.invalidNames, ['1x']);
  const bad = { ...pod.spec!.containers[0], envFrom: [], env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'cm', key: 'nokey' } } }] };
  await assert.rejects(resolveEnv(pod, bad, objects, {}, node), (e: Error) => e instanceof EnvError && e.message === "couldn't find key nokey in ConfigMap default/cm");
});
