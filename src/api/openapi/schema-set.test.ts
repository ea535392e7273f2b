// Checks the generated definitions (scripts/gen-openapi.mjs) and the SchemaSet over them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { builtinSchemas, DefinitionSchemaSet, REF_PREFIX } from './schema-set.js';
import type { SchemaNode } from '../schema-node.js';

const s = builtinSchemas();
const def = (n: string): SchemaNode => {
  const d = s.definition(n);
  assert.ok(d, `definition ${n}`);
  return d;
};
const prop = (n: string, p: string): SchemaNode => {
  const d = def(n).properties?.[p];
  assert.ok(d, `${n}.${p}`);
  return d;
};

test('top-level kinds carry x-kubernetes-group-version-kind and are found by forKind', () => {
  assert.deepEqual(def('io.k8s.api.core.v1.Pod')['x-kubernetes-group-version-kind'], [{ group: '', kind: 'Pod', version: 'v1' }]);
  assert.equal(s.forKind('apps', 'v1', 'Deployment'), def('io.k8s.api.apps.v1.Deployment'));
  assert.equal(s.forKind('batch', 'v1', 'Job'), def('io.k8s.api.batch.v1.Job'));
  assert.equal(s.forKind('', 'v1', 'ConfigMap'), def('io.k8s.api.core.v1.ConfigMap'));
  assert.equal(s.forKind('apps', 'v1', 'NoSuchKind'), undefined);
  assert.equal(def('io.k8s.api.core.v1.PodSpec')['x-kubernetes-group-version-kind'], undefined);
  // kinds every group-version registers
  assert.equal(s.forKind('', 'v1', 'Status'), def('io.k8s.apimachinery.pkg.apis.meta.v1.Status'));
  assert.equal(s.forKind('apps', 'v1', 'DeleteOptions'), def('io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions'));
  assert.equal(s.forKind('', 'v1', 'WatchEvent'), def('io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent'));
});

test('references are wrapped in allOf with description and default, as in Kubernetes v3', () => {
  const meta = prop('io.k8s.api.core.v1.Pod', 'metadata');
  assert.deepEqual(meta.allOf, [{ $ref: REF_PREFIX + 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' }]);
  assert.deepEqual(meta.default, {});
  assert.match(meta.description ?? '', /Standard object's metadata/);
  assert.equal(s.resolve(meta), def('io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta'));
  // pointer structs have no default
  assert.equal(prop('io.k8s.api.core.v1.Container', 'securityContext').default, undefined);
  // array items of structs: allOf + default {}
  const containers = prop('io.k8s.api.core.v1.PodSpec', 'containers');
  assert.equal(containers.type, 'array');
  assert.deepEqual(containers.items, { allOf: [{ $ref: REF_PREFIX + 'io.k8s.api.core.v1.Container' }], default: {} });
  assert.equal(s.resolve(containers.items!), def('io.k8s.api.core.v1.Container'));
  // a map of Quantity values is a bare $ref
  const limits = prop('io.k8s.api.core.v1.ResourceRequirements', 'limits');
  assert.deepEqual(limits.additionalProperties, { $ref: REF_PREFIX + 'io.k8s.apimachinery.pkg.api.resource.Quantity' });
  // a node without a reference resolves to itself
  assert.equal(s.resolve(limits), limits);
});

test('scalar types, formats and required members', () => {
  assert.deepEqual(def('io.k8s.apimachinery.pkg.apis.meta.v1.Time').type, 'string');
  assert.equal(def('io.k8s.apimachinery.pkg.apis.meta.v1.Time').format, 'date-time');
  assert.deepEqual(def('io.k8s.apimachinery.pkg.api.resource.Quantity').oneOf, [{ type: 'string' }, { type: 'number' }]);
  const ios = def('io.k8s.apimachinery.pkg.util.intstr.IntOrString');
  assert.equal(ios.format, 'int-or-string');
  assert.deepEqual(ios.oneOf, [{ type: 'integer' }, { type: 'string' }]);
  assert.deepEqual(prop('io.k8s.api.core.v1.ServicePort', 'targetPort').allOf, [{ $ref: REF_PREFIX + 'io.k8s.apimachinery.pkg.util.intstr.IntOrString' }]);
  assert.equal(def('io.k8s.apimachinery.pkg.runtime.RawExtension')['x-kubernetes-preserve-unknown-fields'], true);

  assert.deepEqual({ ...prop('io.k8s.api.core.v1.ContainerPort', 'containerPort'), description: '' },
    { type: 'integer', format: 'int32', description: '', default: 0 });
  assert.equal(prop('io.k8s.api.core.v1.PodSpec', 'terminationGracePeriodSeconds').format, 'int64');
  assert.equal(prop('io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta', 'generation').format, 'int64');
  assert.deepEqual(prop('io.k8s.api.core.v1.PodSecurityContext', 'supplementalGroups').items, { type: 'integer', format: 'int64', default: 0 });
  assert.deepEqual(prop('io.k8s.api.core.v1.Secret', 'data').additionalProperties, { type: 'string', format: 'byte' });
  assert.deepEqual(prop('io.k8s.api.core.v1.Container', 'args').items, { type: 'string', default: '' });
  assert.equal(prop('io.k8s.api.core.v1.ContainerPort', 'protocol').default, 'TCP');
  assert.equal(prop('io.k8s.api.core.v1.Container', 'name').default, '');
  // zero defaults follow Go values without omitempty, not just "required"
  assert.equal(prop('io.k8s.api.apps.v1.StatefulSetOrdinals', 'start').default, 0);
  assert.equal(prop('io.k8s.api.apps.v1.StatefulSetStatus', 'availableReplicas').default, 0);
  assert.equal(prop('io.k8s.api.apps.v1.StatefulSetStatus', 'readyReplicas').default, undefined);
  assert.equal(prop('io.k8s.api.certificates.v1.CertificateSigningRequestSpec', 'request').default, undefined);
  assert.equal(prop('io.k8s.api.apps.v1.DaemonSetStatus', 'currentNumberScheduled').default, 0);
  assert.equal(prop('io.k8s.api.apps.v1.DaemonSetStatus', 'numberAvailable').default, undefined);
  assert.deepEqual(def('io.k8s.api.core.v1.Container').required, ['name']);
  assert.deepEqual(def('io.k8s.api.apps.v1.DeploymentSpec').required, ['selector', 'template']);
  assert.deepEqual(def('io.k8s.api.apps.v1.DaemonSetCondition').required, ['type', 'status']);
  assert.deepEqual(def('io.k8s.apimachinery.pkg.apis.meta.v1.OwnerReference').required, ['apiVersion', 'kind', 'name', 'uid']);
  assert.match(prop('io.k8s.api.core.v1.Container', 'image').description ?? '', /Container image name/);
  assert.equal(prop('io.k8s.api.core.v1.Container', 'stdin').type, 'boolean');
  assert.deepEqual(prop('io.k8s.api.core.v1.Container', 'imagePullPolicy').enum, ['Always', 'IfNotPresent', 'Never']);
  assert.deepEqual(prop('io.k8s.api.core.v1.PodSpec', 'restartPolicy').enum, ['Always', 'Never', 'OnFailure']);
  assert.match(prop('io.k8s.api.core.v1.Container', 'imagePullPolicy').description ?? '',
    /Cannot be updated\. More info: https:\/\/kubernetes\.io\/docs\/concepts\/containers\/images#updating-images\n\nPossible enum values:\n - `"Always"` means that kubelet always attempts to pull the latest image\. Container will fail If the pull fails\.\n - `"IfNotPresent"` means/);
  assert.deepEqual(prop('io.k8s.api.core.v1.PersistentVolumeClaimSpec', 'accessModes').items?.enum, ['ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod']);
});

test('patch and list extensions come from the patch-metadata table', () => {
  const c = prop('io.k8s.api.core.v1.PodSpec', 'containers');
  assert.equal(c['x-kubernetes-patch-strategy'], 'merge');
  assert.equal(c['x-kubernetes-patch-merge-key'], 'name');
  assert.equal(c['x-kubernetes-list-type'], 'map');
  assert.deepEqual(c['x-kubernetes-list-map-keys'], ['name']);
  assert.equal(prop('io.k8s.api.core.v1.PodSpec', 'volumes')['x-kubernetes-patch-strategy'], 'merge,retainKeys');
  const ports = prop('io.k8s.api.core.v1.Container', 'ports');
  assert.equal(ports['x-kubernetes-patch-merge-key'], 'containerPort');
  assert.deepEqual(ports['x-kubernetes-list-map-keys'], ['containerPort', 'protocol']);
  assert.equal(prop('io.k8s.api.core.v1.Container', 'args')['x-kubernetes-list-type'], 'atomic');
  assert.equal(prop('io.k8s.api.core.v1.PodSpec', 'nodeSelector')['x-kubernetes-map-type'], 'atomic');
  assert.equal(prop('io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta', 'finalizers')['x-kubernetes-patch-strategy'], 'merge');
  assert.equal(def('io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector')['x-kubernetes-map-type'], 'atomic');
  assert.equal(def('io.k8s.api.core.v1.LocalObjectReference')['x-kubernetes-map-type'], 'atomic');
  assert.equal(prop('io.k8s.api.apps.v1.DeploymentStatus', 'conditions')['x-kubernetes-patch-merge-key'], 'type');
  // inline-embedded members carry the embedded type's metadata
  assert.equal(prop('io.k8s.api.admissionregistration.v1.RuleWithOperations', 'apiGroups')['x-kubernetes-list-type'], 'atomic');
});

test('every patch-metadata and type-rules entry names an existing definition and member', async () => {
  const pm = await import('./patch-metadata.js');
  const tr = await import('./type-rules.js');
  const en = await import('./enums.js');
  const tables: Record<string, Readonly<Record<string, readonly string[] | Readonly<Record<string, unknown>>>>> = {
    fieldExtensions: pm.fieldExtensions, int64Members: tr.int64Members, doubleMembers: tr.doubleMembers,
    byteMembers: tr.byteMembers, valueStructMembers: tr.valueStructMembers, explicitDefaults: tr.explicitDefaults,
    zeroDefaultOptional: tr.zeroDefaultOptional, requiredWithoutDefault: tr.requiredWithoutDefault, enumMembers: en.enumMembers,
    requiredOrder: tr.requiredOrder,
  };
  const missing: string[] = [];
  for (const [t, table] of Object.entries(tables)) {
    for (const [name, members] of Object.entries(table)) {
      const d = s.definition(name);
      // kubernetes-types 1.30 lacks a few alpha types that k8s.io/api 1.30 has; skip those.
      if (!d) continue;
      const list = Array.isArray(members) ? members as string[] : Object.keys(members);
      for (const m of list) if (!d.properties?.[m]) missing.push(`${t}: ${name}.${m}`);
    }
  }
  assert.deepEqual(missing, []);
  for (const a of pm.atomicStructs) if (s.definition(a)) assert.equal(s.definition(a)!['x-kubernetes-map-type'], 'atomic', a);
});

test('integer and byte formats agree with @kubernetes/client-node (generated from the real spec)', async () => {
  const require = createRequire(import.meta.url);
  const pkg = require.resolve('@kubernetes/client-node/package.json');
  const dir = join(dirname(pkg), 'dist', 'gen', 'models');
  assert.ok(existsSync(dir), dir);
  const files = new Set(readdirSync(dir));
  let checked = 0;
  const mismatches: string[] = [];
  for (const name of s.names()) {
    const d = def(name);
    if (!d.properties) continue;
    const parts = name.split('.');
    const short = parts.pop()!, ver = parts.pop()!, grp = parts.pop()!;
    const V = ver[0].toUpperCase() + ver.slice(1);
    const file = [`${V}${short}.js`, `${grp[0].toUpperCase()}${grp.slice(1)}${V}${short}.js`].find((f) => files.has(f));
    if (!file) continue;
    const mod = await import(pathToFileURL(join(dir, file)).href) as Record<string, { attributeTypeMap?: { baseName: string; type: string; format: string }[] }>;
    const map = Object.values(mod)[0]?.attributeTypeMap;
    if (!map) continue;
    const byBase = new Map(map.map((a) => [a.baseName, a]));
    // only compare models that are the same type (same member names)
    if (!Object.keys(d.properties).every((k) => byBase.has(k))) continue;
    for (const [k, p] of Object.entries(d.properties)) {
      const a = byBase.get(k)!;
      const ours = p.format ?? p.items?.format ?? (typeof p.additionalProperties === 'object' ? p.additionalProperties.format : undefined) ?? '';
      if (a.type === 'number' || a.type === 'Array<number>' || a.format === 'byte' || ours === 'byte') {
        checked++;
        if ((a.format || '') !== ours) mismatches.push(`${name}.${k}: ours ${ours}, client-node ${a.format}`);
      }
    }
  }
  assert.ok(checked > 150, `compared ${checked} members`);
  assert.deepEqual(mismatches, []);
});

test('DefinitionSchemaSet resolves single-allOf wrappers and rejects dangling references', () => {
  const set = new DefinitionSchemaSet({
    'x.A': { type: 'object', properties: { b: { allOf: [{ $ref: REF_PREFIX + 'x.B' }], description: 'b' }, c: { $ref: REF_PREFIX + 'x.C' } } },
    'x.B': { type: 'object', properties: { n: { type: 'integer' } } },
  });
  const a = set.definition('x.A')!;
  assert.equal(set.resolve(a.properties!.b), set.definition('x.B'));
  assert.throws(() => set.resolve(a.properties!.c), /x\.C does not resolve/);
  set.add({ 'x.C': { type: 'string', 'x-kubernetes-group-version-kind': [{ group: 'g', version: 'v1', kind: 'C' }] } });
  assert.equal(set.resolve(a.properties!.c).type, 'string');
  assert.equal(set.forKind('g', 'v1', 'C'), set.definition('x.C'));
});

test('the definitions file is found relative to the compiled module', () => {
  assert.ok(existsSync(join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'openapi', 'definitions.json')));
});
