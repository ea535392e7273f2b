import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../../api/errors.js';
import type { KubeObject } from '../../api/object.js';
import type { SchemaNode } from '../../api/schema-node.js';
import { builtinSchemas } from '../../api/openapi/schema-set.js';
import { applyStrategicMergePatch } from './strategic-merge-patch.js';
import { applyMergePatch } from './merge-patch.js';

const schemas = builtinSchemas();
const podSchema = schemas.forKind('', 'v1', 'Pod');
const deploySchema = schemas.forKind('apps', 'v1', 'Deployment');

function smpPod(doc: KubeObject, patch: unknown): KubeObject {
  return applyStrategicMergePatch(doc, patch, podSchema, schemas);
}
function smpDeploy(doc: KubeObject, patch: unknown): KubeObject {
  return applyStrategicMergePatch(doc, patch, deploySchema, schemas);
}

function livePod(): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', labels: { app: 'web', tier: 'front' }, finalizers: ['a.io/x', 'b.io/y'] },
    spec: {
      containers: [
        {
          name: 'web', image: 'nginx:1.24',
          ports: [{ containerPort: 80, protocol: 'TCP' }, { containerPort: 443, protocol: 'TCP' }],
          env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }],
          volumeMounts: [{ name: 'data', mountPath: '/data' }, { name: 'cfg', mountPath: '/etc/cfg' }],
        },
        { name: 'sidecar', image: 'busybox', args: ['sleep', '3600'] },
      ],
      volumes: [{ name: 'data', emptyDir: {} }, { name: 'cfg', configMap: { name: 'cfg' } }],
      tolerations: [{ key: 'k1', operator: 'Exists' }, { key: 'k2', operator: 'Exists' }],
      nodeSelector: { disk: 'ssd' },
    },
  };
}

type Spec = {
  containers: Record<string, unknown>[];
  volumes: Record<string, unknown>[];
  tolerations: unknown[];
  nodeSelector?: Record<string, string>;
};
const spec = (o: KubeObject): Spec => o.spec as Spec;
const names = (l: Record<string, unknown>[]): unknown[] => l.map((x) => x.name);

test('containers merge by name; other fields of the item and other items stay; input untouched', () => {
  const live = livePod();
  const before = structuredClone(live);
  const out = smpPod(live, { spec: { containers: [{ name: 'web', image: 'nginx:1.25' }] } });
  assert.deepEqual(live, before);
  const [web, side] = spec(out).containers;
  assert.equal(web.image, 'nginx:1.25');
  assert.deepEqual(web.ports, before.spec && (before.spec as Spec).containers[0].ports);
  assert.deepEqual(side, { name: 'sidecar', image: 'busybox', args: ['sleep', '3600'] });
});

test('a new list item goes before the server-only items it follows (patch order first)', () => {
  const out = smpPod(livePod(), { spec: { containers: [{ name: 'new', image: 'x' }] } });
  assert.deepEqual(names(spec(out).containers), ['new', 'web', 'sidecar']);
});

test('ports merge by containerPort, env by name, volumeMounts by mountPath, volumes by name', () => {
  const out = smpPod(livePod(), {
    spec: {
      containers: [{
        name: 'web',
        ports: [{ containerPort: 443, name: 'https' }, { containerPort: 8080 }],
        env: [{ name: 'B', value: '3' }, { name: 'C', value: '4' }],
        volumeMounts: [{ mountPath: '/etc/cfg', readOnly: true }],
      }],
      volumes: [{ name: 'cfg', configMap: { name: 'cfg2' } }],
    },
  });
  const web = spec(out).containers[0];
  assert.deepEqual(web.ports, [
    { containerPort: 80, protocol: 'TCP' },
    { containerPort: 443, protocol: 'TCP', name: 'https' },
    { containerPort: 8080 },
  ]);
  assert.deepEqual(web.env, [{ name: 'A', value: '1' }, { name: 'B', value: '3' }, { name: 'C', value: '4' }]);
  assert.deepEqual(web.volumeMounts, [{ name: 'data', mountPath: '/data' }, { name: 'cfg', mountPath: '/etc/cfg', readOnly: true }]);
  assert.deepEqual(spec(out).volumes, [{ name: 'data', emptyDir: {} }, { name: 'cfg', configMap: { name: 'cfg2' } }]);
});

test('finalizers merge as a set; $deleteFromPrimitiveList removes', () => {
  const out = smpPod(livePod(), { metadata: { finalizers: ['b.io/y', 'c.io/z'] } });
  assert.deepEqual(out.metadata.finalizers, ['a.io/x', 'b.io/y', 'c.io/z']);
  const del = smpPod(livePod(), { metadata: { '$deleteFromPrimitiveList/finalizers': ['a.io/x', 'nope'] } });
  assert.deepEqual(del.metadata.finalizers, ['b.io/y']);
  const both = smpPod(livePod(), {
    metadata: { '$deleteFromPrimitiveList/finalizers': ['a.io/x'], finalizers: ['c.io/z'] },
  });
  assert.deepEqual(both.metadata.finalizers, ['c.io/z', 'b.io/y']);
});

test('lists without a merge strategy (tolerations, args) are replaced', () => {
  const out = smpPod(livePod(), {
    spec: { tolerations: [{ key: 'k3', operator: 'Exists' }], containers: [{ name: 'sidecar', args: ['true'] }] },
  });
  assert.deepEqual(spec(out).tolerations, [{ key: 'k3', operator: 'Exists' }]);
  assert.deepEqual(spec(out).containers[1].args, ['true']);
});

test('null deletes a key; maps merge (labels, nodeSelector)', () => {
  const out = smpPod(livePod(), { metadata: { labels: { tier: null, env: 'prod' } }, spec: { nodeSelector: null } });
  assert.deepEqual(out.metadata.labels, { app: 'web', env: 'prod' });
  assert.equal(spec(out).nodeSelector, undefined);
});

test('$patch: delete removes a list item by merge key; $patch: replace replaces the list', () => {
  const del = smpPod(livePod(), { spec: { containers: [{ name: 'sidecar', $patch: 'delete' }] } });
  assert.deepEqual(names(spec(del).containers), ['web']);
  const rep = smpPod(livePod(), { spec: { volumes: [{ name: 'only', emptyDir: {} }, { $patch: 'replace' }] } });
  assert.deepEqual(spec(rep).volumes, [{ name: 'only', emptyDir: {} }]);
  const none = smpPod(livePod(), { spec: { volumes: [{ $patch: 'replace' }] } });
  assert.deepEqual(spec(none).volumes, []);
});

test('$patch on a map: replace swaps the map, delete empties it', () => {
  const rep = smpPod(livePod(), { metadata: { labels: { $patch: 'replace', only: 'this' } } });
  assert.deepEqual(rep.metadata.labels, { only: 'this' });
  const del = smpPod(livePod(), { spec: { nodeSelector: { $patch: 'delete' } } });
  assert.deepEqual(spec(del).nodeSelector, {});
});

test('kubectl apply three-way patch: $setElementOrder puts the list in the configured order', () => {
  // last-applied had [web, sidecar]; the new config is [sidecar, web] with a new image for web;
  // a third container was added by someone else on the server.
  const live = livePod();
  spec(live).containers.push({ name: 'injected', image: 'proxy' });
  const out = smpPod(live, {
    spec: {
      '$setElementOrder/containers': [{ name: 'sidecar' }, { name: 'web' }],
      containers: [{ name: 'web', image: 'nginx:1.25' }],
    },
  });
  assert.deepEqual(names(spec(out).containers), ['sidecar', 'web', 'injected']);
  assert.equal(spec(out).containers[1].image, 'nginx:1.25');
  assert.equal(spec(out).containers[1].ports !== undefined, true);
});

test('kubectl apply three-way patch: remove an item, add one, keep the server-only one in place', () => {
  // Golden case in the manner of strategicpatch's "add map and delete map from merging list".
  const live: KubeObject = {
    metadata: { name: 'p' },
    spec: { containers: [{ name: 'one' }, { name: 'two', image: 'b' }, { name: 'four', image: 'c' }] },
  };
  const out = smpPod(live, {
    spec: {
      '$setElementOrder/containers': [{ name: 'two' }, { name: 'three' }],
      containers: [{ name: 'three' }, { name: 'one', $patch: 'delete' }],
    },
  });
  assert.deepEqual(spec(out).containers, [{ name: 'two', image: 'b' }, { name: 'four', image: 'c' }, { name: 'three' }]);
});

test('$setElementOrder on a primitive list with deletions (finalizers)', () => {
  const live = livePod();
  live.metadata.finalizers = ['a', 'b', 'server'];
  const out = smpPod(live, {
    metadata: {
      '$setElementOrder/finalizers': ['c', 'a'],
      '$deleteFromPrimitiveList/finalizers': ['b'],
      finalizers: ['c'],
    },
  });
  assert.deepEqual(out.metadata.finalizers, ['c', 'a', 'server']);
});

test('$retainKeys: switching a Deployment from RollingUpdate to Recreate', () => {
  const live: KubeObject = {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' },
    spec: { replicas: 2, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } } },
  };
  const out = smpDeploy(live, { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate', rollingUpdate: null } } });
  assert.deepEqual((out.spec as { strategy: unknown }).strategy, { type: 'Recreate' });
  // keys not named in $retainKeys are cleared even when the patch does not null them
  const out2 = smpDeploy(live, { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } });
  assert.deepEqual((out2.spec as { strategy: unknown }).strategy, { type: 'Recreate' });
});

test('$retainKeys inside a merging list item: a volume changes its source', () => {
  const out = smpPod(livePod(), {
    spec: {
      '$setElementOrder/volumes': [{ name: 'data' }, { name: 'cfg' }],
      volumes: [{ $retainKeys: ['name', 'secret'], name: 'data', secret: { secretName: 's' }, emptyDir: null }],
    },
  });
  assert.deepEqual(spec(out).volumes, [{ name: 'data', secret: { secretName: 's' } }, { name: 'cfg', configMap: { name: 'cfg' } }]);
});

test('directives never land in the object when a value is added whole', () => {
  const live: KubeObject = { metadata: { name: 'p' }, spec: {} };
  const out = smpPod(live, {
    spec: {
      '$setElementOrder/containers': [{ name: 'a' }],
      containers: [{ name: 'a', '$setElementOrder/env': [{ name: 'X' }], env: [{ name: 'X', value: 'y' }], image: null }],
    },
  });
  assert.deepEqual(out.spec, { containers: [{ name: 'a', env: [{ name: 'X', value: 'y' }] }] });
});

function fails(fn: () => unknown, code: number, message: string | RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ApiError, String(e));
    assert.equal(e.code, code);
    if (typeof message === 'string') assert.equal(e.message, message);
    else assert.match(e.message, message);
    return true;
  });
}

test('malformed patches answer with Kubernetes messages and codes', () => {
  fails(() => smpDeploy({ metadata: {}, spec: { strategy: { type: 'Recreate' } } },
    { spec: { strategy: { $retainKeys: ['type'], type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } } } }),
  400, 'invalid patch format of retainKeys');
  fails(() => smpPod(livePod(), { metadata: { '$deleteFromPrimitiveList': ['x'] } }), 400, 'invalid patch format of primitive list');
  fails(() => smpPod(livePod(), { spec: { '$setElementOrder': [] } }), 400, 'invalid patch format of setElementOrder list');
  fails(() => smpPod(livePod(), {
    spec: { '$setElementOrder/containers': [{ name: 'web' }], containers: [{ name: 'sidecar', image: 'x' }] },
  }), 500, /^The order in patch list:\n\[map\[image:x name:sidecar\]\]\n doesn't match \$setElementOrder list:\n\[map\[name:web\]\]\n$/);
  fails(() => smpPod(livePod(), { spec: { containers: [{ image: 'x' }] } }), 500,
    'map: map[image:x] does not contain declared merge key: name');
  fails(() => smpPod(livePod(), { spec: { containers: [{ name: 'web', $patch: 'merge' }] } }), 500,
    'merging lists cannot yet be specified in the patch');
  fails(() => smpPod(livePod(), { metadata: { labels: { $patch: 'frob' } } }), 500, 'unknown patch type: frob in map: map[$patch:frob]');
  const noFinalizers = livePod();
  noFinalizers.metadata.finalizers = [];
  fails(() => smpPod(noFinalizers, { metadata: { finalizers: [['x']] } }), 422, 'the server rejected our request due to an error in our request');
  fails(() => smpPod(livePod(), { metadata: { finalizers: [['x']] } }), 500, 'list element types are not identical: [[a.io/x b.io/y] [[x]]]');
  fails(() => smpPod(livePod(), [1]), 400, 'json: cannot unmarshal array into Go value of type map[string]interface {}');
});

test('without a schema a strategic merge patch acts as a JSON merge patch', () => {
  const cases: unknown[] = [
    { spec: { containers: [{ name: 'web', image: 'x' }] } },
    { metadata: { labels: { app: null, x: 'y' }, finalizers: ['z'] } },
    { spec: { tolerations: null, nodeSelector: { disk: null, zone: 'a' } } },
  ];
  for (const p of cases) {
    assert.deepEqual(applyStrategicMergePatch(livePod(), p, undefined, undefined), applyMergePatch(livePod(), p));
  }
});

test('hand-built schema without a SchemaSet: allOf-wrapped nodes are followed', () => {
  const item: SchemaNode = { type: 'object', properties: { name: { type: 'string' }, v: { type: 'string' } } };
  const root: SchemaNode = {
    type: 'object',
    properties: {
      spec: { allOf: [{ type: 'object', properties: { items: { type: 'array', items: item, 'x-kubernetes-patch-strategy': 'merge', 'x-kubernetes-patch-merge-key': 'name' } } }] },
    },
  };
  const out = applyStrategicMergePatch(
    { metadata: {}, spec: { items: [{ name: 'a', v: '1' }, { name: 'b', v: '2' }] } },
    { spec: { items: [{ name: 'b', v: '3' }] } }, root, undefined);
  assert.deepEqual(out.spec, { items: [{ name: 'a', v: '1' }, { name: 'b', v: '3' }] });
});
