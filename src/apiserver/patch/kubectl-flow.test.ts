// A whole client-side → server-side apply story with the patch kubectl really sends.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KubeObject } from '../../api/object.js';
import { builtinSchemas } from '../../api/openapi/schema-set.js';
import { applyStrategicMergePatch, lastAppliedAnnotation, recordUpdateManagedFields, serverSideApply } from './index.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixture = JSON.parse(readFileSync(join(here, '..', '..', '..', '..', 'src', 'apiserver', 'patch', 'testdata', 'kubectl-apply-three-way.json'), 'utf8')) as {
  d1: KubeObject; d2: KubeObject; patch: Record<string, unknown>;
};
const schemas = builtinSchemas();
const schema = schemas.forKind('apps', 'v1', 'Deployment');

type Container = { name: string; image: string; env?: unknown[]; ports?: unknown[]; args?: string[] };
type Spec = { replicas: number; strategy: unknown; template: { spec: { containers: Container[]; volumes: unknown[] } } };

test('kubectl client-side apply (recorded three-way patch), then kubectl apply --server-side takes over', () => {
  // 1. `kubectl apply` of d1 creates the object with its last-applied annotation
  const d1 = structuredClone(fixture.d1);
  d1.metadata.namespace = 'default';
  d1.metadata.annotations = { [lastAppliedAnnotation]: `${JSON.stringify({ ...fixture.d1, metadata: { ...fixture.d1.metadata, annotations: {}, namespace: 'default' } })}\n` };
  let live = recordUpdateManagedFields({ old: undefined, updated: d1, manager: 'kubectl-client-side-apply', now: '2026-01-01T00:00:00Z', apiVersion: 'apps/v1', schema, schemas });
  live = { ...live, metadata: { ...live.metadata, uid: 'u', resourceVersion: '1', creationTimestamp: '2026-01-01T00:00:00Z' } };

  // 2. `kubectl apply` of d2 sends the recorded patch
  const patched = applyStrategicMergePatch(live, fixture.patch, schema, schemas);
  const spec = patched.spec as Spec;
  assert.deepEqual(patched.metadata.labels, { app: 'web' });
  assert.equal(spec.replicas, 3);
  assert.deepEqual(spec.strategy, { type: 'Recreate' });
  assert.deepEqual(spec.template.spec.containers, [
    { name: 'sidecar', image: 'busybox', args: ['sleep', '7200'] },
    { name: 'web', image: 'nginx:1.25', env: [{ name: 'C', value: '3' }, { name: 'A', value: '1' }], ports: [{ containerPort: 443 }] },
  ]);
  assert.deepEqual(spec.template.spec.volumes, [{ name: 'data', secret: { secretName: 's' } }]);
  assert.equal(JSON.stringify(patched).includes('$'), false, 'no directive left in the object');
  live = recordUpdateManagedFields({ old: live, updated: patched, manager: 'kubectl-client-side-apply', now: '2026-01-01T00:01:00Z', apiVersion: 'apps/v1', schema, schemas });
  assert.deepEqual(live.metadata.managedFields?.map((e) => [e.manager, e.operation, e.time]), [['kubectl-client-side-apply', 'Update', '2026-01-01T00:01:00Z']]);

  // 3. `kubectl apply --server-side` of d2 with more replicas: the fields kubectl applied before are
  //    taken over without conflicts, and last-applied follows the new config
  const d3 = structuredClone(fixture.d2);
  (d3.spec as Spec).replicas = 5;
  const out = serverSideApply({ live, applied: d3, manager: 'kubectl', force: false, schema, schemas, now: '2026-01-01T00:02:00Z', apiVersion: 'apps/v1' });
  assert.equal((out.spec as Spec).replicas, 5);
  assert.deepEqual(out.metadata.managedFields?.map((e) => [e.manager, e.operation]), [['kubectl', 'Apply'], ['kubectl-client-side-apply', 'Update']]);
  assert.equal(JSON.parse(out.metadata.annotations![lastAppliedAnnotation]).spec.replicas, 5);
  // someone else changing replicas now conflicts with the applier
  assert.throws(() => serverSideApply({ live: out, applied: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 1 } }, manager: 'hpa', force: false, schema, schemas, now: '2026-01-01T00:03:00Z', apiVersion: 'apps/v1' }),
    { message: 'Apply failed with 1 conflict: conflict with "kubectl": .spec.replicas' });
});
