// The OpenAPI documents: shape checks, and the real kubectl (1.27 and 1.33) reading them through
// `kubectl explain` from a small plain-HTTP server with hand-built discovery (test fixture).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import type { AddressInfo } from 'node:net';
import { OpenApiDocuments, V2_PROTOBUF, type ServedResource } from './documents.js';
import { decodeV2Protobuf } from './v2-protobuf.js';

const CRUD = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const resources: ServedResource[] = [
  { group: '', version: 'v1', kind: 'Pod', plural: 'pods', namespaced: true, verbs: CRUD, subresources: ['status', 'log', 'exec', 'attach', 'binding', 'eviction', 'ephemeralcontainers'] },
  { group: '', version: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true, verbs: CRUD, subresources: [] },
  { group: '', version: 'v1', kind: 'Namespace', plural: 'namespaces', namespaced: false, verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'], subresources: ['status'] },
  { group: 'apps', version: 'v1', kind: 'Deployment', plural: 'deployments', namespaced: true, verbs: CRUD, subresources: ['status', 'scale'] },
  { group: 'apps', version: 'v1', kind: 'ReplicaSet', plural: 'replicasets', namespaced: true, verbs: CRUD, subresources: ['status', 'scale'] },
  { group: 'batch', version: 'v1', kind: 'Job', plural: 'jobs', namespaced: true, verbs: CRUD, subresources: ['status'] },
];
const docs = new OpenApiDocuments(resources);

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const body = (url: string): Json => {
  const a = docs.serve(url);
  assert.ok(a, url);
  assert.equal(a.status, 200, url);
  return JSON.parse(a.body.toString('utf8')) as Json;
};

test('the v3 index lists every group-version with a hash that is the document\'s ETag', () => {
  const index = body('/openapi/v3');
  assert.deepEqual(Object.keys(index.paths).sort(), ['api', 'api/v1', 'apis', 'apis/apps', 'apis/apps/v1', 'apis/batch', 'apis/batch/v1']);
  const url: string = index.paths['apis/apps/v1'].serverRelativeURL;
  assert.match(url, /^\/openapi\/v3\/apis\/apps\/v1\?hash=[0-9A-F]{128}$/);
  const a = docs.serve(url)!;
  assert.equal(a.status, 200);
  assert.equal(a.contentType, 'application/json');
  assert.equal(url.split('hash=')[1], a.etag);
  assert.equal(a.headers['Cache-Control'], 'public, immutable');
  assert.equal(a.headers['Content-Type'], 'application/json');
  assert.equal(a.headers.ETag, `"${a.etag}"`);
  // the same answer, same buffer: serialized once
  assert.equal(docs.serve(url)!.body, a.body);
});

test('a stale hash redirects to the current one; If-None-Match answers 304; unknown paths 404', () => {
  const a = docs.serve('/openapi/v3/api/v1?hash=ABC')!;
  assert.equal(a.status, 301);
  assert.match(a.headers.Location, /^\/openapi\/v3\/api\/v1\?hash=[0-9A-F]{128}$/);
  const etag = docs.serve('/openapi/v3/api/v1')!.etag!;
  assert.equal(docs.serve('/openapi/v3/api/v1', 'application/json', `"${etag}"`)!.status, 304);
  assert.equal(docs.serve('/openapi/v3/apis/nope/v1')!.status, 404);
  assert.equal(docs.serve('/openapi/v2', 'text/html')!.status, 406);
  // content negotiation: wildcards, q=0, order of the header
  assert.equal(docs.serve('/openapi/v2', 'application/*')!.contentType, 'application/json');
  assert.equal(docs.serve('/openapi/v2', 'application/json;q=0, */*')!.contentType, 'application/json');
  assert.equal(docs.serve('/openapi/v2', `application/json;q=0, ${V2_PROTOBUF}`)!.contentType, V2_PROTOBUF);
  assert.equal(docs.serve('/openapi/v3', 'application/json;q=0')!.status, 406);
  assert.equal(docs.serve('/openapi/v3', '')!.status, 200);
  assert.equal(docs.serve('/apis'), undefined);
});

test('operations carry x-kubernetes-action, the kind, and write parameters', () => {
  const d = body('/openapi/v3/apis/apps/v1');
  assert.equal(d.openapi, '3.0.0');
  const coll = d.paths['/apis/apps/v1/namespaces/{namespace}/deployments'];
  assert.equal(coll.post.operationId, 'createAppsV1NamespacedDeployment');
  assert.equal(coll.post['x-kubernetes-action'], 'post');
  assert.deepEqual(coll.post['x-kubernetes-group-version-kind'], { group: 'apps', kind: 'Deployment', version: 'v1' });
  assert.equal(coll.get.operationId, 'listAppsV1NamespacedDeployment');
  assert.equal(coll.delete.operationId, 'deleteAppsV1CollectionNamespacedDeployment');
  const item = d.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'];
  for (const m of ['post', 'put', 'patch'] as const) {
    const op = m === 'post' ? coll.post : item[m];
    const names = op.parameters.map((p: Json) => p.name);
    for (const n of ['dryRun', 'fieldManager', 'fieldValidation']) assert.ok(names.includes(n), `${m} ${n}`);
  }
  assert.equal(item.patch['x-kubernetes-action'], 'patch');
  assert.deepEqual(Object.keys(item.patch.requestBody.content).sort(), ['application/apply-patch+yaml', 'application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json']);
  assert.deepEqual(item.parameters.map((p: Json) => p.name), ['name', 'namespace', 'pretty']);
  assert.equal(d.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale'].patch['x-kubernetes-group-version-kind'].kind, 'Scale');
  assert.equal(d.paths['/apis/apps/v1/deployments'].get.operationId, 'listAppsV1DeploymentForAllNamespaces');
  assert.equal(d.paths['/apis/apps/v1/watch/namespaces/{namespace}/deployments/{name}'].get['x-kubernetes-action'], 'watch');
  // the closure of referenced schemas is included, and only that
  const schemas = d.components.schemas;
  for (const n of ['io.k8s.api.apps.v1.Deployment', 'io.k8s.api.apps.v1.DeploymentList', 'io.k8s.api.core.v1.PodSpec',
    'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta', 'io.k8s.apimachinery.pkg.util.intstr.IntOrString', 'io.k8s.api.autoscaling.v1.Scale',
    'io.k8s.apimachinery.pkg.apis.meta.v1.Patch', 'io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions', 'io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent']) {
    assert.ok(schemas[n], n);
  }
  assert.equal(schemas['io.k8s.api.batch.v1.Job'], undefined);
  const text = JSON.stringify(d);
  for (const m of text.matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)) assert.ok(schemas[m[1]], `dangling ${m[1]}`);
});

test('core group paths: subresources, connect operations and cluster-scoped resources', () => {
  const d = body('/openapi/v3/api/v1');
  const p = d.paths;
  assert.equal(p['/api/v1/namespaces/{namespace}/pods/{name}/log'].get.operationId, 'readCoreV1NamespacedPodLog');
  assert.equal(p['/api/v1/namespaces/{namespace}/pods/{name}/exec'].post.operationId, 'connectCoreV1PostNamespacedPodExec');
  assert.equal(p['/api/v1/namespaces/{namespace}/pods/{name}/exec'].get['x-kubernetes-action'], 'connect');
  assert.equal(p['/api/v1/namespaces/{namespace}/pods/{name}/eviction'].post['x-kubernetes-group-version-kind'].group, 'policy');
  assert.equal(p['/api/v1/namespaces/{namespace}/pods/{name}/status'].put.operationId, 'replaceCoreV1NamespacedPodStatus');
  assert.equal(p['/api/v1/namespaces/{namespace}/pods/{name}/ephemeralcontainers'].patch.operationId, 'patchCoreV1NamespacedPodEphemeralContainers');
  assert.equal(p['/api/v1/namespaces/{name}'].get.operationId, 'readCoreV1Namespace');
  assert.equal(p['/api/v1/namespaces'].delete, undefined, 'namespaces have no deletecollection');
  assert.equal(p['/api/v1/watch/namespaces'].get.operationId, 'watchCoreV1NamespaceList');
});

test('the v2 document is swagger 2.0 with #/definitions references and v2 scalar forms', () => {
  const d = body('/openapi/v2');
  assert.equal(d.swagger, '2.0');
  const post = d.paths['/apis/batch/v1/namespaces/{namespace}/jobs'].post;
  assert.deepEqual(post.parameters[0], { name: 'body', in: 'body', required: true, schema: { $ref: '#/definitions/io.k8s.api.batch.v1.Job' } });
  assert.ok(post.parameters.some((x: Json) => x.name === 'fieldValidation' && x.in === 'query' && x.type === 'string'));
  assert.equal(post['x-kubernetes-action'], 'post');
  const meta = d.definitions['io.k8s.api.core.v1.Pod'].properties.metadata;
  assert.equal(meta.$ref, '#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta');
  assert.equal(meta.default, undefined);
  assert.deepEqual({ type: d.definitions['io.k8s.apimachinery.pkg.util.intstr.IntOrString'].type, format: d.definitions['io.k8s.apimachinery.pkg.util.intstr.IntOrString'].format }, { type: 'string', format: 'int-or-string' });
  assert.equal(d.definitions['io.k8s.apimachinery.pkg.api.resource.Quantity'].type, 'string');
  assert.ok(!JSON.stringify(d).includes('#/components/'));
});

test('/openapi/v2 in protobuf (what client-go asks for) decodes to the same document', () => {
  const a = docs.serve('/openapi/v2', 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf')!;
  assert.equal(a.status, 200);
  assert.equal(a.contentType, V2_PROTOBUF);
  const pb = decodeV2Protobuf(a.body) as Json;
  const json = body('/openapi/v2');
  assert.equal(pb.swagger, '2.0');
  assert.equal(pb.definitions.additional_properties.length, Object.keys(json.definitions).length);
  const pod = pb.definitions.additional_properties.find((d: Json) => d.name === 'io.k8s.api.core.v1.Pod').value;
  const gvk = pod.vendor_extension.find((e: Json) => e.name === 'x-kubernetes-group-version-kind');
  assert.deepEqual(JSON.parse(gvk.value.yaml), [{ group: '', kind: 'Pod', version: 'v1' }]);
  const meta = pod.properties.additional_properties.find((p: Json) => p.name === 'metadata').value;
  assert.equal(meta._ref, '#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta');
  const path = pb.paths.path.find((p: Json) => p.name === '/apis/apps/v1/namespaces/{namespace}/deployments/{name}').value;
  assert.equal(path.patch.operation_id, 'patchAppsV1NamespacedDeployment');
  assert.ok(path.patch.parameters.some((p: Json) => p.parameter.non_body_parameter?.query_parameter_sub_schema?.name === 'fieldValidation'));
  // JSON is still preferred when listed first
  assert.equal(docs.serve('/openapi/v2', `application/json, ${V2_PROTOBUF}`)!.contentType, 'application/json');
});

test('a kind without a built-in schema (custom resource) gets a permissive schema with its GVK', () => {
  const crd = new OpenApiDocuments([{ group: 'stable.example.com', version: 'v1', kind: 'CronTab', plural: 'crontabs', namespaced: true, verbs: CRUD, subresources: [] }]);
  const d = crd.v3('apis/stable.example.com/v1')!;
  const schemas = (d.components as Json).schemas;
  assert.equal(schemas['com.example.stable.v1.CronTab']['x-kubernetes-preserve-unknown-fields'], true);
  assert.deepEqual(schemas['com.example.stable.v1.CronTab']['x-kubernetes-group-version-kind'], [{ group: 'stable.example.com', version: 'v1', kind: 'CronTab' }]);
  assert.equal((d.paths as Json)['/apis/stable.example.com/v1/namespaces/{namespace}/crontabs'].post.operationId, 'createStableExampleComV1NamespacedCronTab');

  // with its schema given, the document carries it (and what it references)
  const withSchema = new OpenApiDocuments([{ group: 'stable.example.com', version: 'v1', kind: 'CronTab', plural: 'crontabs', namespaced: true, verbs: CRUD, subresources: [] }], {
    extraDefinitions: {
      'com.example.stable.v1.CronTab': {
        type: 'object',
        properties: { metadata: { allOf: [{ $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' }] }, spec: { type: 'object', properties: { cronSpec: { type: 'string' } } } },
        'x-kubernetes-group-version-kind': [{ group: 'stable.example.com', version: 'v1', kind: 'CronTab' }],
      },
    },
  });
  const s2 = (withSchema.v3('apis/stable.example.com/v1')!.components as Json).schemas;
  assert.equal(s2['com.example.stable.v1.CronTab'].properties.spec.properties.cronSpec.type, 'string');
  assert.ok(s2['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta']);
  assert.equal(s2['com.example.stable.v1.CronTabList']['x-kubernetes-preserve-unknown-fields'], true);
});

// ---------------------------------------------------------------------------------------------
// Real kubectl against a fixture server.

function kubectlDir(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const p = join(dir, 'kubectl');
    if (existsSync(p)) return dirname(realpathSync(p));
  }
  return undefined;
}

function apiResource(name: string, kind: string, namespaced: boolean, verbs: string[]) {
  return { name, singularName: kind.toLowerCase(), namespaced, kind, verbs };
}

/** The legacy discovery kubectl falls back to when /apis is not in the aggregated form. */
function discovery(path: string, port: number): unknown {
  const gv = (group: string) => resources.filter((r) => r.group === group);
  const list = (groupVersion: string, rs: ServedResource[]) => ({
    kind: 'APIResourceList', apiVersion: 'v1', groupVersion,
    resources: rs.flatMap((r) => [
      apiResource(r.plural, r.kind, r.namespaced, r.verbs),
      ...r.subresources.map((s) => apiResource(`${r.plural}/${s}`, r.kind, r.namespaced, ['get'])),
    ]),
  });
  switch (path) {
    case '/api': return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: `127.0.0.1:${port}` }] };
    case '/apis': return {
      kind: 'APIGroupList', apiVersion: 'v1',
      groups: ['apps', 'batch'].map((g) => ({ name: g, versions: [{ groupVersion: `${g}/v1`, version: 'v1' }], preferredVersion: { groupVersion: `${g}/v1`, version: 'v1' } })),
    };
    case '/api/v1': return list('v1', gv(''));
    case '/apis/apps/v1': return list('apps/v1', gv('apps'));
    case '/apis/batch/v1': return list('batch/v1', gv('batch'));
    case '/version': return { major: '1', minor: '30', gitVersion: 'v1.30.0', platform: 'linux/amd64' };
    default: return undefined;
  }
}

let server: Server;
let port = 0;
let tmp = '';
const requested: string[] = [];

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'openapi-kubectl-'));
  server = createServer((req, res) => {
    const url = req.url ?? '/';
    requested.push(req.method === 'GET' ? url : `${req.method} ${url}`);
    if (req.method === 'POST') {
      // create: echo the object back, as the API server would (the test looks at the query)
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        res.writeHead(201, { 'Content-Type': 'application/json' });
        res.end(Buffer.concat(chunks));
      });
      return;
    }
    const a = docs.serve(url, req.headers.accept ?? '*/*', req.headers['if-none-match']);
    if (a) {
      res.writeHead(a.status, a.headers).end(a.body);
      return;
    }
    const d = discovery(url.split('?')[0], port);
    if (d === undefined) {
      res.writeHead(404, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404 }));
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(d));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

after(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => server ? server.close(() => resolve()) : resolve());
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

let runs = 0;
function kubectl(bin: string, args: string[], stdin?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  // a fresh home and cache per run: kubectl caches discovery and OpenAPI documents
  const home = join(tmp, `${bin.split('/').pop()!}-${++runs}`);
  requested.length = 0;
  return new Promise((resolve) => {
    execFile(bin, ['--server', `http://127.0.0.1:${port}`, '--cache-dir', join(home, 'cache'), ...args],
      { env: { PATH: process.env.PATH ?? '', HOME: home, KUBECONFIG: join(home, 'none') }, timeout: 60_000 },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }))
      .stdin!.end(stdin ?? '');
  });
}

const dir = kubectlDir();
// OPENAPI_KUBECTL_VERSIONS=1.27,1.28,... runs more versions (all of 1.27-1.33 pass).
for (const version of (process.env.OPENAPI_KUBECTL_VERSIONS ?? '1.27,1.33').split(',')) {
  const bin = dir ? join(dir, `kubectl.${version}`) : '';
  const skip = !dir || !existsSync(bin) ? `kubectl.${version} not installed` : false;

  test(`kubectl ${version} explain pods.spec.containers reads the v3 documents`, { skip }, async () => {
    const r = await kubectl(bin, ['explain', 'pods.spec.containers']);
    assert.equal(r.code, 0, r.stderr + '\nrequests: ' + requested.join(' '));
    assert.match(r.stdout, /KIND:\s+Pod/);
    assert.match(r.stdout, /VERSION:\s+v1/);
    assert.match(r.stdout, /FIELD:\s+containers <\[\]Container>/);
    assert.match(r.stdout, /List of containers belonging to the pod/);
    assert.match(r.stdout, /image\s+<string>/);
    assert.match(r.stdout, /Container image name/);
    assert.match(r.stdout, /name\s+<string> -required-/);
    assert.match(r.stdout, /ports\s+<\[\]ContainerPort>/);
    assert.match(r.stdout, /resources\s+<ResourceRequirements>/);
    // kubectl prints enums from 1.30 on
    if (Number(version.split('.')[1]) >= 30) assert.match(r.stdout, /imagePullPolicy\s+<string>\s*\n\s*enum: Always, IfNotPresent, Never/);
    assert.ok(requested.some((u) => u.startsWith('/openapi/v3/api/v1?hash=')), requested.join(' '));
    if (process.env.OPENAPI_TEST_VERBOSE) console.log(version, requested, r.stdout);
  });

  test(`kubectl ${version} explain deployments.spec.strategy --recursive`, { skip }, async () => {
    const r = await kubectl(bin, ['explain', 'deployments.spec.strategy', '--recursive']);
    assert.equal(r.code, 0, r.stderr + '\nrequests: ' + requested.join(' '));
    assert.match(r.stdout, /GROUP:\s+apps|VERSION:\s+apps\/v1|VERSION:\s+v1/);
    assert.match(r.stdout, /FIELD:\s+strategy <DeploymentStrategy>/);
    assert.match(r.stdout, /The deployment strategy to use to replace existing pods with new ones/);
    assert.match(r.stdout, /rollingUpdate\s+<RollingUpdateDeployment>/);
    assert.match(r.stdout, /maxSurge\s+<IntOrString>/);
    assert.match(r.stdout, /maxUnavailable\s+<IntOrString>/);
    assert.match(r.stdout, /type\s+<string>/);
  });

  test(`kubectl ${version} create -f finds fieldValidation on the kind's PATCH operation and sends Strict`, { skip }, async () => {
    const manifest = JSON.stringify({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default' },
      spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'busybox', bogus: 1 }] } } } });
    const r = await kubectl(bin, ['create', '-f', '-', '-o', 'name'], manifest);
    assert.equal(r.code, 0, r.stderr + '\nrequests: ' + requested.join(' '));
    const post = requested.find((u) => u.startsWith('POST /apis/apps/v1/namespaces/default/deployments'));
    assert.ok(post, requested.join(' '));
    assert.match(post, /[?&]fieldValidation=Strict(&|$)/);
    assert.ok(requested.some((u) => u.startsWith('/openapi/v3/apis/apps/v1?hash=')), requested.join(' '));
    assert.match(r.stdout, /deployment.apps\/web/);
  });

  test(`kubectl ${version} explain --output plaintext-openapiv2 reads the protobuf /openapi/v2`, { skip }, async () => {
    const r = await kubectl(bin, ['explain', 'deployments.spec.template.spec.containers.ports', '--output', 'plaintext-openapiv2']);
    assert.equal(r.code, 0, r.stderr + '\nrequests: ' + requested.join(' '));
    assert.match(r.stdout, /KIND:\s+Deployment/);
    assert.match(r.stdout, /RESOURCE:\s+ports <\[\]Object>/);
    assert.match(r.stdout, /containerPort\s+<integer> -required-/);
    assert.match(r.stdout, /Number of port to expose on the pod's IP address/);
    assert.match(r.stdout, /protocol\s+<string>/);
    assert.ok(!requested.some((u) => u.startsWith('/openapi/v3/')), requested.join(' '));
  });
}
