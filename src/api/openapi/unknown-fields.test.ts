import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findDecodeProblems, strictDecodingError } from './unknown-fields.js';
import { builtinSchemas } from './schema-set.js';
import type { SchemaNode } from '../schema-node.js';

const schemas = builtinSchemas();
const DEPLOYMENT = 'io.k8s.api.apps.v1.Deployment';
const POD = 'io.k8s.api.core.v1.Pod';

type Obj = Record<string, unknown>;
const pod = (spec: Obj, extra: Obj = {}): Obj => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec, ...extra });
const container = (c: Obj = {}): Obj => ({ name: 'c', image: 'busybox', ...c });
const deployment = (podSpec: Obj, spec: Obj = {}): Obj => ({
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' },
  spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: podSpec }, ...spec },
});

interface Case { name: string; def: string; obj: unknown; unknown?: string[]; typeError?: string }
const cases: Case[] = [
  { name: 'a valid pod has no problems', def: POD, obj: pod({ containers: [container({ ports: [{ containerPort: 80, protocol: 'TCP' }], resources: { limits: { cpu: '500m', memory: 128974848 } } })] }) },
  { name: 'unknown field in a list item', def: POD, obj: pod({ containers: [container({ foo: 1 })] }), unknown: ['unknown field "spec.containers[0].foo"'] },
  { name: 'unknown fields at several depths, in document order', def: POD,
    obj: { apiVersion: 'v1', kind: 'Pod', bogus: true, metadata: { name: 'p', lables: { a: 'b' } }, spec: { containers: [container(), container({ name: 'd', imagePullPolicy: 'Always', tty: true, extra: 'x' })], nodeSelectr: {} } },
    unknown: ['unknown field "bogus"', 'unknown field "metadata.lables"', 'unknown field "spec.containers[1].extra"', 'unknown field "spec.nodeSelectr"'] },
  { name: 'field names are case-sensitive', def: POD, obj: pod({ Containers: [] }), unknown: ['unknown field "spec.Containers"'] },
  { name: 'maps take any key (labels, annotations, nodeSelector, resources)', def: POD,
    obj: pod({ nodeSelector: { 'kubernetes.io/os': 'linux' }, containers: [container({ resources: { requests: { 'example.com/gpu': '1' } } })] }, { metadata: { name: 'p', labels: { x: 'y' }, annotations: { 'a/b': 'c' } } }) },
  { name: 'unknown field inside a map of structs', def: 'io.k8s.api.core.v1.ConfigMap', obj: { metadata: { name: 'x', managedFields: [{ manager: 'm', fieldsV1: { 'f:data': { 'f:x': {} } }, nope: 1 }] } },
    unknown: ['unknown field "metadata.managedFields[0].nope"'] },
  { name: 'deeply nested in a deployment template', def: DEPLOYMENT, obj: deployment({ containers: [container({ livenessProbe: { httpGet: { port: 8080, pth: '/' } } })] }),
    unknown: ['unknown field "spec.template.spec.containers[0].livenessProbe.httpGet.pth"'] },
  { name: 'the same unknown field is reported once', def: POD, obj: pod({ containers: [container({ x: 1 })], initContainers: [] }, {}), unknown: ['unknown field "spec.containers[0].x"'] },
  { name: 'RawExtension keeps anything (preserve-unknown-fields)', def: 'io.k8s.api.apps.v1.ControllerRevision',
    obj: { metadata: { name: 'r' }, revision: 1, data: { anything: { goes: [1, 'two'] } } } },
  { name: 'int-or-string accepts both forms', def: DEPLOYMENT,
    obj: deployment({ containers: [container({ readinessProbe: { tcpSocket: { port: 'http' } }, livenessProbe: { tcpSocket: { port: 8080 } } })] }, { strategy: { rollingUpdate: { maxSurge: '25%', maxUnavailable: 1 } } }) },
  { name: 'int-or-string rejects a bool with its own message', def: DEPLOYMENT,
    obj: deployment({ containers: [container()] }, { strategy: { rollingUpdate: { maxSurge: true } } }),
    typeError: 'json: cannot unmarshal bool into Go value of type int32' },
  { name: 'string where an int32 goes', def: DEPLOYMENT, obj: deployment({ containers: [container()] }, { replicas: '3' }),
    typeError: 'json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32' },
  { name: 'string where a list item struct goes', def: DEPLOYMENT, obj: deployment({ containers: [container({ ports: ['80'] })] }),
    typeError: 'json: cannot unmarshal string into Go struct field Container.spec.template.spec.containers.ports of type v1.ContainerPort' },
  { name: 'object where a list goes', def: DEPLOYMENT, obj: deployment({ containers: [container({ env: { A: 'b' } })] }),
    typeError: 'json: cannot unmarshal object into Go struct field Container.spec.template.spec.containers.env of type []v1.EnvVar' },
  { name: 'array where a pointer struct goes', def: DEPLOYMENT, obj: deployment({ containers: [container({ livenessProbe: [] })] }),
    typeError: 'json: cannot unmarshal array into Go struct field Container.spec.template.spec.containers.livenessProbe of type v1.Probe' },
  { name: 'bool where a string goes', def: POD, obj: pod({ containers: [container({ name: true })] }),
    typeError: 'json: cannot unmarshal bool into Go struct field Container.spec.containers.name of type string' },
  { name: 'number into a named string type', def: POD, obj: pod({ containers: [container()], restartPolicy: 1 }),
    typeError: 'json: cannot unmarshal number into Go struct field PodSpec.spec.restartPolicy of type v1.RestartPolicy' },
  { name: 'fraction into an int64', def: POD, obj: pod({ containers: [container()], terminationGracePeriodSeconds: 1.5 }),
    typeError: 'json: cannot unmarshal number 1.5 into Go struct field PodSpec.spec.terminationGracePeriodSeconds of type int64' },
  { name: 'int32 overflow', def: POD, obj: pod({ containers: [container({ ports: [{ containerPort: 3000000000 }] })] }),
    typeError: 'json: cannot unmarshal number 3000000000 into Go struct field ContainerPort.spec.containers.ports.containerPort of type int32' },
  { name: 'number into a map value', def: POD, obj: pod({ containers: [container()] }, { metadata: { name: 'p', labels: { a: 1 } } }),
    typeError: 'json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string' },
  { name: 'the first type error wins; unknown fields are still listed', def: DEPLOYMENT,
    obj: deployment({ containers: [container({ zzz: 1 })] }, { replicas: 'x', paused: 'no' }),
    typeError: 'json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32',
    unknown: ['unknown field "spec.template.spec.containers[0].zzz"'] },
  { name: 'null is accepted anywhere', def: POD, obj: pod({ containers: [container({ ports: null, resources: null })], nodeSelector: null }) },
  { name: 'a bad quantity', def: POD, obj: pod({ containers: [container({ resources: { limits: { cpu: '1 core' } } })] }),
    typeError: "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'" },
  { name: 'a quantity with an unknown suffix', def: POD, obj: pod({ containers: [container({ resources: { requests: { memory: '1Kii' } } })] }),
    typeError: "unable to parse quantity's suffix" },
  { name: 'a quantity with a stray character', def: POD, obj: pod({ containers: [container({ resources: { requests: { memory: '1Kb' } } })] }),
    typeError: "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'" },
  { name: 'an empty quantity', def: POD, obj: pod({ containers: [container({ resources: { requests: { memory: '' } } })] }),
    typeError: "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'" },
  { name: 'a bool quantity', def: POD, obj: pod({ containers: [container({ resources: { requests: { memory: true } } })] }),
    typeError: "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'" },
  { name: 'quantities as numbers and in exponent form', def: POD, obj: pod({ containers: [container({ resources: { requests: { cpu: 0.5, memory: '1e9', 'ephemeral-storage': '2Gi', a: ' 100m ', b: '1.', c: '-0.5E-3', d: '+12', e: '000' } } })] }) },
  { name: 'a time that is not RFC 3339', def: POD, obj: pod({ containers: [container()] }, { metadata: { name: 'p', creationTimestamp: 'yesterday' } }),
    typeError: 'parsing time "yesterday" as "2006-01-02T15:04:05Z07:00": cannot parse "yesterday" as "2006"' },
  { name: 'a time that is a number', def: POD, obj: pod({ containers: [container()] }, { metadata: { name: 'p', creationTimestamp: 5 } }),
    typeError: 'json: cannot unmarshal number into Go value of type string' },
  { name: 'valid times', def: POD, obj: pod({ containers: [container()] }, { metadata: { name: 'p', creationTimestamp: '2024-02-29T10:00:00Z', deletionTimestamp: '2024-03-01T10:00:00.5+02:00' } }) },
  { name: 'base64 bytes in a secret', def: 'io.k8s.api.core.v1.Secret', obj: { metadata: { name: 's' }, data: { ok: 'aGVsbG8=', bad: 'not base64!' } },
    typeError: 'illegal base64 data at input byte 3' },
  { name: 'base64 without padding', def: 'io.k8s.api.core.v1.Secret', obj: { metadata: { name: 's' }, data: { short: 'abc' } },
    typeError: 'illegal base64 data at input byte 0' },
  { name: 'stringData takes plain strings', def: 'io.k8s.api.core.v1.Secret', obj: { metadata: { name: 's' }, stringData: { a: 'not base64!' }, type: 'Opaque' } },
];

for (const c of cases) {
  test(`decode problems: ${c.name}`, () => {
    const got = findDecodeProblems(schemas, c.def, c.obj);
    assert.deepEqual(got.unknownFields, c.unknown ?? []);
    assert.equal(got.typeError, c.typeError);
  });
}

test('the root may be given as the node forKind returns', () => {
  const node = schemas.forKind('apps', 'v1', 'Deployment')!;
  const got = findDecodeProblems(schemas, node, deployment({ containers: [container({ q: 1 })] }, { replicas: '3' }));
  assert.equal(got.typeError, 'json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32');
  assert.deepEqual(got.unknownFields, ['unknown field "spec.template.spec.containers[0].q"']);
});

test('at most 100 unknown fields are reported', () => {
  const spec: Obj = { containers: [container()] };
  for (let i = 0; i < 150; i++) spec[`x${i}`] = i;
  const got = findDecodeProblems(schemas, POD, pod(spec));
  assert.equal(got.unknownFields.length, 100);
  assert.equal(got.unknownFields[99], 'unknown field "spec.x99"');
});

test('strictDecodingError joins the messages as Kubernetes does', () => {
  assert.equal(strictDecodingError(['unknown field "spec.a"', 'unknown field "spec.b"']),
    'strict decoding error: unknown field "spec.a", unknown field "spec.b"');
});

test('custom resource schemas: preserve-unknown-fields, embedded resources, no decode type errors', () => {
  const crd: SchemaNode = {
    type: 'object',
    properties: {
      apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object' },
      spec: {
        type: 'object',
        properties: {
          replicas: { type: 'integer' },
          template: { type: 'object', 'x-kubernetes-embedded-resource': true, properties: { spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } },
          free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { known: { type: 'object', properties: { a: { type: 'string' } } } } },
          port: { 'x-kubernetes-int-or-string': true },
        },
      },
    },
  };
  const got = findDecodeProblems(schemas, crd, {
    apiVersion: 'x/v1', kind: 'X', metadata: { name: 'n' },
    spec: {
      replicas: 'not an int', port: 'http',
      template: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'q', labelz: {} }, spec: { anything: 1 }, other: 1 },
      free: { whatever: 1, known: { a: 'x', b: 2 } },
      extra: 1,
    },
  });
  assert.equal(got.typeError, undefined);
  assert.deepEqual(got.unknownFields, [
    'unknown field "spec.template.metadata.labelz"',
    'unknown field "spec.template.other"',
    'unknown field "spec.free.known.b"',
    'unknown field "spec.extra"',
  ]);
});

test('custom resources: the root takes apiVersion, kind and an ObjectMeta even when the schema leaves them out', () => {
  const crd: SchemaNode = { type: 'object', properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } } } };
  const got = findDecodeProblems(schemas, crd, { apiVersion: 'x/v1', kind: 'X', metadata: { name: 'a', labels: { k: 'v' }, nmae: 'typo' }, spec: { size: 3 }, status: {} });
  assert.deepEqual(got.unknownFields, ['unknown field "metadata.nmae"', 'unknown field "status"']);
  // a schema that declares metadata as a bare object still gets ObjectMeta's members
  const crd2: SchemaNode = { type: 'object', properties: { metadata: { type: 'object' }, spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } };
  assert.deepEqual(findDecodeProblems(schemas, crd2, { metadata: { name: 'a', bogus: 1 }, spec: { anything: 1 } }).unknownFields, ['unknown field "metadata.bogus"']);
});

test('an unknown definition name is an error', () => {
  assert.throws(() => findDecodeProblems(schemas, 'io.k8s.api.core.v1.Nope', {}), /no schema for io\.k8s\.api\.core\.v1\.Nope/);
});
