import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ApiError } from '../errors.js';
import { decodeProtobufBody } from './decode.js';
import { encodeProtobufObject } from './encode.js';
import { sampleObjects } from './sample-objects.js';
import { k8sSchema } from './schema.js';
import { bodyBytes, loadCapture, protobufRequests } from './test-fixtures.js';

/** Drops what decoding adds by Go's rules (null, empty structs) so values can be compared. */
function prune(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(prune);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const p = prune(x);
      if (p === null || p === undefined) continue;
      if (typeof p === 'object' && !Array.isArray(p) && Object.keys(p).length === 0) continue;
      out[k] = p;
    }
    return out;
  }
  return v;
}

describe('re-encoding what kubectl sent gives the same bytes (Go field order and presence rules)', () => {
  for (const version of ['1.32', '1.33']) {
    for (const [name, , q] of protobufRequests(loadCapture(version))) {
      test(`kubectl ${version} ${name}`, () => {
        const sent = bodyBytes(q);
        const decoded = decodeProtobufBody(sent);
        const again = encodeProtobufObject(decoded);
        if (version === '1.32' && decoded.kind === 'Pod') {
          // Our schema has PodStatus.observedGeneration (field 17, Kubernetes 1.33), which Go
          // always writes; kubectl 1.32 does not know it. Everything else must be identical.
          assert.deepEqual(decodeProtobufBody(again), decoded);
          assert.equal(again.length, sent.length + 3);
          return;
        }
        assert.equal(again.toString('hex'), sent.toString('hex'));
      });
    }
  }
});

describe('round trip: decode(encode(object)) keeps every value', () => {
  for (const obj of sampleObjects) {
    test(`${obj.apiVersion} ${obj.kind}`, () => {
      const bytes = encodeProtobufObject(obj);
      assert.ok(bytes.subarray(0, 4).equals(Buffer.from('k8s\0', 'binary')));
      const back = decodeProtobufBody(bytes);
      assert.deepEqual(prune(back), prune(obj));
      assert.ok(encodeProtobufObject(back).equals(bytes), 'a second encoding is byte-identical');
    });
  }
});

describe('schema', () => {
  test('has every kind the API server must decode', () => {
    const kinds = ['v1 Pod', 'v1 Service', 'v1 Secret', 'v1 ConfigMap', 'v1 Namespace', 'v1 ServiceAccount', 'v1 ResourceQuota', 'v1 Node', 'v1 Event', 'v1 Endpoints', 'v1 ReplicationController', 'v1 LimitRange', 'v1 PersistentVolume', 'v1 PersistentVolumeClaim', 'v1 Binding', 'v1 PodList',
      'apps/v1 Deployment', 'apps/v1 ReplicaSet', 'apps/v1 StatefulSet', 'apps/v1 DaemonSet', 'apps/v1 ControllerRevision', 'batch/v1 Job', 'batch/v1 CronJob',
      'policy/v1 PodDisruptionBudget', 'policy/v1 Eviction', 'scheduling.k8s.io/v1 PriorityClass', 'authentication.k8s.io/v1 TokenRequest', 'authentication.k8s.io/v1 TokenReview', 'authentication.k8s.io/v1 SelfSubjectReview',
      'authorization.k8s.io/v1 SelfSubjectAccessReview', 'autoscaling/v1 Scale', 'autoscaling/v1 HorizontalPodAutoscaler', 'autoscaling/v2 HorizontalPodAutoscaler', 'coordination.k8s.io/v1 Lease',
      'discovery.k8s.io/v1 EndpointSlice', 'events.k8s.io/v1 Event', 'networking.k8s.io/v1 Ingress', 'networking.k8s.io/v1 NetworkPolicy', 'rbac.authorization.k8s.io/v1 Role', 'rbac.authorization.k8s.io/v1 ClusterRoleBinding', 'v1 DeleteOptions'];
    for (const k of kinds) {
      const [gv, kind] = k.split(' ');
      assert.ok(k8sSchema().kind(gv, kind), `no message for ${k}`);
    }
    assert.equal(k8sSchema().kind('v1', 'Container'), undefined);
    assert.equal(k8sSchema().kind('apps/v1beta1', 'Deployment'), undefined);
    assert.equal(k8sSchema().kind('apps.example.com/v1', 'Deployment'), undefined, 'a look-alike group');
    assert.equal(k8sSchema().kind('core/v1', 'Pod'), undefined, 'the core group has no name');
  });

  test('encoding a kind the schema does not have is a 406; wrong value types are errors', () => {
    assert.throws(() => encodeProtobufObject({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: {} }), (e: unknown) => e instanceof ApiError && e.code === 406 && /Widget/.test(e.message));
    assert.throws(() => encodeProtobufObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 5 as unknown as string } }), /ConfigMap\.metadata\.name.*not a string/);
    assert.throws(() => encodeProtobufObject({ apiVersion: 'v1', kind: 'Pod', metadata: {}, spec: { containers: {} } }), /containers.*not a list/);
  });
});
