/**
 * A recording stand-in API server for finding out what the real `kubectl` sends.
 *
 * It answers legacy discovery (`/api`, `/apis`, `/api/v1`, `/apis/<group>/<version>`), 404s
 * `/openapi/*` (run kubectl with `--validate=false`), serves GET/list from a small in-memory set
 * of seed objects, and records every request's method, path, content type and body. Writes are
 * answered with a plausible object so kubectl finishes normally; nothing is validated.
 *
 * Used by `capture-fixtures.ts` (re-captures `fixtures/`) and by tests.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { KubeObject } from '../object.js';

export interface RecordedRequest {
  method: string;
  /** Path with query string. */
  path: string;
  contentType?: string;
  accept?: string;
  body: Buffer;
}

interface ResourceInfo {
  name: string;
  singularName: string;
  namespaced: boolean;
  kind: string;
  verbs: string[];
  shortNames?: string[];
  group?: string;
  version?: string;
}

const rw = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const sub = (name: string, kind: string, namespaced: boolean, verbs: string[]): ResourceInfo => ({ name, singularName: '', namespaced, kind, verbs });
const res = (name: string, singularName: string, kind: string, namespaced: boolean, shortNames?: string[]): ResourceInfo =>
  ({ name, singularName, namespaced, kind, verbs: rw, ...(shortNames ? { shortNames } : {}) });

/** The group versions and resources the recorder advertises (a subset of a real cluster's). */
export const recorderDiscovery: Record<string, ResourceInfo[]> = {
  v1: [
    res('namespaces', 'namespace', 'Namespace', false, ['ns']),
    res('nodes', 'node', 'Node', false, ['no']),
    res('pods', 'pod', 'Pod', true, ['po']),
    { ...sub('pods/eviction', 'Eviction', true, ['create']), group: 'policy', version: 'v1' },
    sub('pods/status', 'Pod', true, ['get', 'patch', 'update']),
    sub('pods/ephemeralcontainers', 'Pod', true, ['get', 'patch', 'update']),
    res('services', 'service', 'Service', true, ['svc']),
    res('configmaps', 'configmap', 'ConfigMap', true, ['cm']),
    res('secrets', 'secret', 'Secret', true),
    res('serviceaccounts', 'serviceaccount', 'ServiceAccount', true, ['sa']),
    sub('serviceaccounts/token', 'TokenRequest', true, ['create']),
    res('resourcequotas', 'resourcequota', 'ResourceQuota', true, ['quota']),
    res('events', 'event', 'Event', true, ['ev']),
    res('endpoints', 'endpoints', 'Endpoints', true, ['ep']),
    res('replicationcontrollers', 'replicationcontroller', 'ReplicationController', true, ['rc']),
    sub('replicationcontrollers/scale', 'Scale', true, ['get', 'patch', 'update']),
    res('persistentvolumeclaims', 'persistentvolumeclaim', 'PersistentVolumeClaim', true, ['pvc']),
  ],
  'apps/v1': [
    res('deployments', 'deployment', 'Deployment', true, ['deploy']),
    sub('deployments/scale', 'Scale', true, ['get', 'patch', 'update']),
    sub('deployments/status', 'Deployment', true, ['get', 'patch', 'update']),
    res('replicasets', 'replicaset', 'ReplicaSet', true, ['rs']),
    sub('replicasets/scale', 'Scale', true, ['get', 'patch', 'update']),
    res('statefulsets', 'statefulset', 'StatefulSet', true, ['sts']),
    sub('statefulsets/scale', 'Scale', true, ['get', 'patch', 'update']),
    res('daemonsets', 'daemonset', 'DaemonSet', true, ['ds']),
    res('controllerrevisions', 'controllerrevision', 'ControllerRevision', true),
  ],
  'batch/v1': [res('jobs', 'job', 'Job', true), res('cronjobs', 'cronjob', 'CronJob', true, ['cj'])],
  'policy/v1': [res('poddisruptionbudgets', 'poddisruptionbudget', 'PodDisruptionBudget', true, ['pdb'])],
  'scheduling.k8s.io/v1': [res('priorityclasses', 'priorityclass', 'PriorityClass', false, ['pc'])],
  'autoscaling/v2': [res('horizontalpodautoscalers', 'horizontalpodautoscaler', 'HorizontalPodAutoscaler', true, ['hpa'])],
  'autoscaling/v1': [res('horizontalpodautoscalers', 'horizontalpodautoscaler', 'HorizontalPodAutoscaler', true, ['hpa'])],
  'authentication.k8s.io/v1': [
    { name: 'selfsubjectreviews', singularName: 'selfsubjectreview', namespaced: false, kind: 'SelfSubjectReview', verbs: ['create'] },
    { name: 'tokenreviews', singularName: 'tokenreview', namespaced: false, kind: 'TokenReview', verbs: ['create'] },
  ],
  'authorization.k8s.io/v1': [
    { name: 'selfsubjectaccessreviews', singularName: 'selfsubjectaccessreview', namespaced: false, kind: 'SelfSubjectAccessReview', verbs: ['create'] },
  ],
  'coordination.k8s.io/v1': [res('leases', 'lease', 'Lease', true)],
  'discovery.k8s.io/v1': [res('endpointslices', 'endpointslice', 'EndpointSlice', true)],
  'events.k8s.io/v1': [res('events', 'event', 'Event', true, ['ev'])],
  'networking.k8s.io/v1': [res('ingresses', 'ingress', 'Ingress', true, ['ing'])],
  'certificates.k8s.io/v1': [
    res('certificatesigningrequests', 'certificatesigningrequest', 'CertificateSigningRequest', false, ['csr']),
    sub('certificatesigningrequests/approval', 'CertificateSigningRequest', false, ['get', 'patch', 'update']),
    sub('certificatesigningrequests/status', 'CertificateSigningRequest', false, ['get', 'patch', 'update']),
  ],
  'rbac.authorization.k8s.io/v1': [
    res('roles', 'role', 'Role', true),
    res('rolebindings', 'rolebinding', 'RoleBinding', true),
    res('clusterroles', 'clusterrole', 'ClusterRole', false),
    res('clusterrolebindings', 'clusterrolebinding', 'ClusterRoleBinding', false),
  ],
};

function groupVersionPath(gv: string): string {
  return gv.includes('/') ? `/apis/${gv}` : `/api/${gv}`;
}

/** Key of an object in the recorder's store: its URL path. */
function objectPath(o: KubeObject): string {
  const gv = o.apiVersion ?? 'v1';
  const info = recorderDiscovery[gv]?.find((r) => r.kind === o.kind && !r.name.includes('/'));
  if (!info) throw new Error(`recorder: no resource for ${gv} ${o.kind}`);
  const ns = info.namespaced ? `/namespaces/${o.metadata.namespace ?? 'default'}` : '';
  return `${groupVersionPath(gv)}${ns}/${info.name}/${o.metadata.name}`;
}

export interface RecorderOptions {
  /** Objects the recorder serves to GET and list. */
  objects?: KubeObject[];
  /**
   * Turns a protobuf body into an object for the answer. Without it, protobuf creates are
   * answered with an object that carries only the kind.
   */
  decodeProtobuf?: (body: Buffer) => KubeObject;
}

export interface KubectlRecorder {
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Requests that are not discovery or OpenAPI. */
  writes(): RecordedRequest[];
  /**
   * Runs `kubectl.<version>` (or `kubectl` when version is undefined) against the recorder with a
   * private cache dir; resolves with exit code and output (never rejects on a non-zero exit).
   */
  kubectl(version: string | undefined, args: string[], opts?: { cwd?: string; timeoutMs?: number }): Promise<{ code: number; stdout: string; stderr: string }>;
  close(): Promise<void>;
}

/** The directory holding `kubectl.1.27` … `kubectl.1.33`, or undefined when kubectl is missing. */
export function kubectlDir(): string | undefined {
  try {
    const p = execFileSync('sh', ['-c', 'command -v kubectl'], { encoding: 'utf8' }).trim();
    if (!p) return undefined;
    let real = p;
    try { real = join(dirname(p), readlinkSync(p)); } catch { /* not a link */ }
    return dirname(execFileSync('readlink', ['-f', real], { encoding: 'utf8' }).trim());
  } catch {
    return undefined;
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function status(code: number, reason: string, message: string): Record<string, unknown> {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: code < 300 ? 'Success' : 'Failure', reason, message, code };
}

export async function startKubectlRecorder(options: RecorderOptions = {}): Promise<KubectlRecorder> {
  const requests: RecordedRequest[] = [];
  const store = new Map<string, KubeObject>();
  let uidCounter = 0;
  let rv = 100;
  for (const o of options.objects ?? []) store.set(objectPath(o), structuredClone(o));
  const cacheDir = mkdtempSync(join(tmpdir(), 'kubectl-recorder-'));
  writeFileSync(join(cacheDir, 'kubeconfig'), 'apiVersion: v1\nkind: Config\n');

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://x');
    const path = url.pathname;
    requests.push({
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      ...(req.headers['content-type'] ? { contentType: req.headers['content-type'] } : {}),
      ...(req.headers.accept ? { accept: req.headers.accept } : {}),
      body,
    });
    // Discovery.
    if (path === '/api') {
      return sendJson(res, 200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' }] });
    }
    if (path === '/apis') {
      const groups = new Map<string, string[]>();
      for (const gv of Object.keys(recorderDiscovery)) {
        if (!gv.includes('/')) continue;
        const [g, v] = gv.split('/');
        groups.set(g, [...(groups.get(g) ?? []), v]);
      }
      return sendJson(res, 200, {
        kind: 'APIGroupList', apiVersion: 'v1',
        groups: [...groups].map(([name, versions]) => ({
          name,
          versions: versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v })),
          preferredVersion: { groupVersion: `${name}/${versions[0]}`, version: versions[0] },
        })),
      });
    }
    for (const [gv, resources] of Object.entries(recorderDiscovery)) {
      if (path === groupVersionPath(gv)) {
        return sendJson(res, 200, { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: gv, resources });
      }
    }
    if (path.startsWith('/openapi') || path === '/version') {
      if (path === '/version') return sendJson(res, 200, { major: '1', minor: '32', gitVersion: 'v1.32.0' });
      return sendJson(res, 404, status(404, 'NotFound', 'the server could not find the requested resource'));
    }
    // Resources.
    const m = /^\/(?:api\/v1|apis\/([^/]+\/[^/]+))(?:\/namespaces\/([^/]+))?\/([^/]+)(?:\/([^/]+))?(?:\/([^/]+))?$/.exec(path);
    if (!m) return sendJson(res, 404, status(404, 'NotFound', `no route for ${path}`));
    const gv = m[1] ?? 'v1';
    const [, , ns, resource, name, subresource] = m;
    const info = recorderDiscovery[gv]?.find((r) => r.name === resource);
    if (!info) return sendJson(res, 404, status(404, 'NotFound', `the server could not find the requested resource (${resource})`));
    const base = `${groupVersionPath(gv)}${ns ? `/namespaces/${ns}` : ''}/${resource}`;
    const key = name ? `${base}/${name}` : undefined;
    const method = req.method ?? 'GET';
    if (method === 'GET' && !name) {
      const items = [...store.entries()].filter(([k]) => ns ? k.startsWith(base + '/') : k.includes(`/${resource}/`)).map(([, o]) => o);
      const selector = url.searchParams.get('labelSelector');
      const fieldSelector = url.searchParams.get('fieldSelector');
      const matches = items.filter((o) => {
        if (selector) {
          for (const term of selector.split(',')) {
            const [k, v] = term.split('=');
            if (o.metadata.labels?.[k] !== v) return false;
          }
        }
        if (fieldSelector) {
          for (const term of fieldSelector.split(',')) {
            const [k, v] = term.split('=');
            if (k === 'spec.nodeName' && (o.spec as { nodeName?: string } | undefined)?.nodeName !== v) return false;
            if (k === 'metadata.name' && o.metadata.name !== v) return false;
          }
        }
        return true;
      });
      return sendJson(res, 200, { kind: `${info.kind}List`, apiVersion: gv, metadata: { resourceVersion: String(rv) }, items: matches });
    }
    const existing = key ? store.get(key) : undefined;
    if (method === 'GET') {
      if (!existing) return sendJson(res, 404, status(404, 'NotFound', `${resource} "${name}" not found`));
      if (subresource === 'scale') {
        const spec = existing.spec as { replicas?: number } | undefined;
        return sendJson(res, 200, { kind: 'Scale', apiVersion: 'autoscaling/v1', metadata: { name, namespace: ns, resourceVersion: existing.metadata.resourceVersion }, spec: { replicas: spec?.replicas ?? 1 }, status: { replicas: spec?.replicas ?? 1 } });
      }
      return sendJson(res, 200, existing);
    }
    let obj: KubeObject | undefined;
    const ct = req.headers['content-type'] ?? '';
    try {
      if (ct.startsWith('application/vnd.kubernetes.protobuf')) {
        obj = options.decodeProtobuf ? options.decodeProtobuf(body) : { kind: info.kind, apiVersion: gv, metadata: {} };
      } else if (ct.includes('json') && body.length > 0) {
        obj = JSON.parse(body.toString('utf8')) as KubeObject;
      }
    } catch (e) {
      return sendJson(res, 400, status(400, 'BadRequest', `recorder could not read the body: ${(e as Error).message}`));
    }
    if (method === 'POST') {
      if (subresource === 'token') {
        return sendJson(res, 201, { ...(obj ?? {}), kind: 'TokenRequest', apiVersion: 'authentication.k8s.io/v1', status: { token: 'recorded-token', expirationTimestamp: '2030-01-01T00:00:00Z' } });
      }
      if (subresource === 'eviction') {
        if (key) store.delete(key);
        return sendJson(res, 201, status(201, '', ''));
      }
      const created: KubeObject = { ...(obj ?? { metadata: {} }) };
      created.metadata = { ...created.metadata, uid: `uid-${++uidCounter}`, resourceVersion: String(++rv), creationTimestamp: '2026-01-01T00:00:00Z' };
      if (!created.metadata.name) created.metadata.name = `${created.metadata.generateName ?? 'generated-'}abcde`;
      if (info.namespaced && !created.metadata.namespace) created.metadata.namespace = ns;
      if (!url.searchParams.get('dryRun')) store.set(`${base}/${created.metadata.name}`, created);
      return sendJson(res, 201, created);
    }
    if (method === 'DELETE') {
      if (!existing) return sendJson(res, 404, status(404, 'NotFound', `${resource} "${name}" not found`));
      if (key) store.delete(key);
      return sendJson(res, 200, existing);
    }
    if (method === 'PATCH' || method === 'PUT') {
      if (!existing && method === 'PATCH' && ct.startsWith('application/apply-patch')) {
        // server-side apply creates; the recorder keeps only the name
        const created: KubeObject = { apiVersion: gv, kind: info.kind, metadata: { name, ...(ns ? { namespace: ns } : {}), uid: `uid-${++uidCounter}`, resourceVersion: String(++rv) } };
        if (key) store.set(key, created);
        return sendJson(res, 201, created);
      }
      if (!existing) return sendJson(res, 404, status(404, 'NotFound', `${resource} "${name}" not found`));
      if (subresource === 'scale') {
        return sendJson(res, 200, { kind: 'Scale', apiVersion: 'autoscaling/v1', metadata: { name, namespace: ns }, spec: { replicas: 3 }, status: { replicas: 1 } });
      }
      const updated: KubeObject = method === 'PUT' && obj ? obj : (existing as KubeObject);
      updated.metadata = { ...updated.metadata, resourceVersion: String(++rv) };
      if (key) store.set(key, updated);
      return sendJson(res, 200, updated);
    }
    return sendJson(res, 405, status(405, 'MethodNotAllowed', `method ${method} not allowed`));
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => sendJson(res, 500, status(500, 'InternalError', String(e))));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const dir = kubectlDir();

  return {
    url,
    requests,
    writes: () => requests.filter((r) => r.method !== 'GET'),
    kubectl(version, args, opts = {}) {
      const bin = version ? join(dir ?? '', `kubectl.${version}`) : 'kubectl';
      return new Promise((resolve) => {
        execFile(bin, [`--server=${url}`, `--cache-dir=${join(cacheDir, 'cache')}`, ...args], {
          cwd: opts.cwd,
          timeout: opts.timeoutMs ?? 30_000,
          env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: cacheDir, KUBECONFIG: join(cacheDir, 'kubeconfig') },
          encoding: 'utf8',
        }, (err, stdout, stderr) => {
          const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
          resolve({ code, stdout, stderr });
        });
      });
    },
    close() {
      rmSync(cacheDir, { recursive: true, force: true });
      return new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
}
