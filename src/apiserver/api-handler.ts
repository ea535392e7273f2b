/**
 * The API server's REST core: everything after authentication. The HTTPS server (server.ts)
 * authenticates a request and calls handle(); this answers discovery, OpenAPI and every
 * resource verb from the resource definitions in src/api/resources/.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from '../api/errors.js';
import { builtinResources } from '../api/resources/index.js';
import { OpenApiDocuments } from '../api/openapi/index.js';
import type { TokenIssuer } from './auth/tokens.js';
import { applyStrategicMergePatch, resetFieldsFor, serverSideApply } from './patch/index.js';
import { rfc3339 } from './registry.js';
import { schemas } from './field-validation.js';
import { handleTokenRequest } from './token-request.js';
import { admitPodServiceAccount } from '../api/defaults/index.js';
import { createQuotaAdmission } from '../controllers/resourcequota-admission.js';
import type { KubeObject } from '../api/object.js';
import type { ResourceDef } from '../api/resources/types.js';
import type { Store } from '../storage/store.js';
import type { Clock } from '../util/clock.js';
import { realClock } from '../util/clock.js';
import { logger } from '../util/log.js';
import type { RestContext, RestRequest, Served } from './context.js';
import { aggregatedDiscovery, apiGroup, apiGroupList, apiResourceList, apiVersions, etagOf } from './discovery.js';
import { parseAccept, writeBody, writeObject, writeStatus } from './http-util.js';
import { NamespaceLifecycle } from './namespace-lifecycle.js';
import { ResourceRegistry, type DeleteOptions } from './registry.js';
import { parsePath, type ResourceRequest } from './request-info.js';
import { handleGet, handleList, handleWatch } from './rest-read.js';
import { handleCreate, handleDelete, handleDeleteCollection, handlePatch, handleUpdate, type Deleter, type PatchExtensions } from './rest-write.js';
import { resourcePrefix } from './storage-keys.js';
import { handleBinding, handleEphemeralContainers, handleEviction, handleFinalize, handleScale } from './subresources.js';
import type { UserInfo } from './user.js';
import { WatchCache } from './watch-cache.js';
import { EventTtl } from './event-ttl.js';
import { startAutoCompaction, type AutoCompactionOptions } from '../storage/auto-compaction.js';
import { ServiceAllocator } from './service-allocator.js';
import { ensureKubernetesService, type AdvertiseAddress } from './kubernetes-service.js';
import { handleSelfSubjectAccessReview, handleSelfSubjectReview, type Authorizer } from './reviews.js';

const log = logger('apiserver');

/** A handler for a subresource served elsewhere (log, exec, attach, token, ...). */
export type SubresourceHandler = (req: IncomingMessage, res: ServerResponse, r: { target: ResourceRequest; user: UserInfo; query: URLSearchParams; served: Served }) => Promise<void>;

export interface ApiHandlerDeps {
  store: Store;
  clock?: Clock;
  /** Resources to serve (default: all built-in resources). */
  resources?: ResourceDef[];
  /** Strategic merge patch and server-side apply, when available. */
  patch?: PatchExtensions;
  /** Subresources served by other parts of the server, keyed `pods/log`, `serviceaccounts/token`, ... */
  subresources?: Record<string, SubresourceHandler>;
  /** Issues service-account tokens for serviceaccounts/token. */
  tokenIssuer?: TokenIssuer;
  /** Version reported at /version. */
  version?: { major: string; minor: string; gitVersion: string };
  /** Interval between watch bookmarks in ms (default 60 s). */
  bookmarkIntervalMs?: number;
  /** Namespace controller retry interval in ms (default 1 s). */
  namespaceRetryMs?: number;
  /**
   * The ServiceAccount admission for pods (default 'enforce', as Kubernetes: the pod's service
   * account must exist; its token volume is mounted). 'off' skips it (unit tests without the
   * ServiceAccount controller).
   */
  serviceAccountAdmission?: 'enforce' | 'off';
  /**
   * Decides SelfSubjectAccessReviews (`kubectl auth can-i`). Default: everything is allowed, which
   * is what this server enforces while it has no authorizer.
   */
  authorize?: Authorizer;
  /** Where the API server is reached: creates and keeps the default/kubernetes Service and its endpoints. */
  advertise?: AdvertiseAddress;
  /** Service ClusterIPs come from this range (default 10.96.0.0/12). */
  serviceCIDR?: string;
  /** Service node ports come from this range (default 30000-32767). */
  nodePortRange?: [number, number];
  /**
   * Periodic store compaction (src/storage/auto-compaction.ts, as kube-apiserver compacts etcd).
   * Off unless given: whoever owns the store may start it there instead (SqliteStore.startAutoCompaction).
   */
  compaction?: AutoCompactionOptions;
  /** Events expire this long after their last write (kube-apiserver --event-ttl). Default 1 h; 0 = never. */
  eventTtlMs?: number;
  /** ResourceQuota admission on creates (default 'on'). */
  quotaAdmission?: 'on' | 'off';
  /** Skip creating default/kube-system/kube-public/kube-node-lease (tests). Default false. */
  skipBootstrap?: boolean;
}

export interface ApiHandler {
  handle(req: IncomingMessage, res: ServerResponse, user: UserInfo): Promise<void>;
  resources(): ResourceDef[];
  close(): Promise<void>;
  /** Resolves when system namespaces exist and the namespace controller runs. */
  ready?: Promise<void>;
}

const notFound = () => new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});

const discoveryTypes = ['v2', 'v2beta1'] as const;

function wantsAggregated(accept: string | undefined): 'v2' | 'v2beta1' | undefined {
  for (const m of parseAccept(accept)) {
    if (m.type !== 'application/json') continue;
    if (m.params.as === 'APIGroupDiscoveryList' && m.params.g === 'apidiscovery.k8s.io') {
      const v = discoveryTypes.find((x) => x === m.params.v);
      if (v) return v;
      continue;
    }
    if (m.params.as === undefined) return undefined;
  }
  return undefined;
}

export function createApiHandler(deps: ApiHandlerDeps): ApiHandler {
  const clock = deps.clock ?? realClock;
  const defs = deps.resources ?? builtinResources;
  const store = deps.store;
  const caches = new Map<string, WatchCache>();
  const served = new Map<string, Served>();
  const byKind = new Map<string, Served>();
  const list: Served[] = [];
  let nsLifecycle: NamespaceLifecycle | undefined;

  /** Mutating admission on create (ServiceAccount for pods), as Kubernetes' admission chain. */
  async function admit(def: ResourceDef, obj: KubeObject, old?: KubeObject): Promise<void> {
    if (def.group === '' && def.kind === 'Service') { await serviceAllocator?.allocate(obj, old); return; }
    if (old || def.group !== '' || def.kind !== 'Pod' || deps.serviceAccountAdmission === 'off') return;
    if (obj.metadata.annotations?.['kubernetes.io/config.mirror'] !== undefined) return;
    const spec = (obj.spec ?? {}) as { serviceAccountName?: string };
    const saName = spec.serviceAccountName || 'default';
    const sas = byKind.get('/ServiceAccount');
    const sa = sas ? await sas.registry.getStored(obj.metadata.namespace, saName) : undefined;
    if (!sa) {
      const name = obj.metadata.name;
      throw new ApiError(403, 'Forbidden', `pods${name ? ` ${JSON.stringify(name)}` : ''} is forbidden: error looking up service account ${obj.metadata.namespace}/${saName}: serviceaccount ${JSON.stringify(saName)} not found`, { name: name || undefined, kind: 'pods' });
    }
    admitPodServiceAccount(obj, { serviceAccount: sa.obj });
  }

  const ctx: RestContext = {
    store,
    clock,
    lookup: (g, v, p) => served.get(`${g}/${v}/${p}`),
    byKind: (g, k) => byKind.get(`${g}/${k}`),
    all: () => list,
    bookmarkIntervalMs: deps.bookmarkIntervalMs ?? 60_000,
  };
  for (const def of defs) {
    const prefix = resourcePrefix(def) + '/';
    let cache = caches.get(prefix);
    if (!cache) { cache = new WatchCache(store, prefix); caches.set(prefix, cache); }
    const registry = new ResourceRegistry(def, store, clock, (ns, res, g, name) => nsLifecycle ? nsLifecycle.check(ns, res, g, name) : Promise.resolve(), admit);
    const s: Served = { def, registry, cache };
    served.set(`${def.group}/${def.version}/${def.plural}`, s);
    if (!def.storage || !byKind.has(`${def.group}/${def.kind}`)) byKind.set(`${def.group}/${def.kind}`, s);
    list.push(s);
  }

  // ResourceQuota admission (validating, on create) for every namespaced resource
  const quotaServed = served.get('/v1/resourcequotas');
  if (quotaServed && deps.quotaAdmission !== 'off') {
    const quota = createQuotaAdmission({
      now: () => clock.now(),
      list: async (ns) => (await store.list(quotaServed.registry.prefix(ns))).kvs.map((kv) => JSON.parse(kv.value) as KubeObject),
      updateUsed: async (ns, name, update) => {
        await quotaServed.registry.guaranteedUpdate(ns, name, (cur) => {
          if (!cur) throw quotaServed.registry.notFound(name);
          return { ...cur, status: { ...((cur.status ?? {}) as Record<string, unknown>), used: update(cur) } };
        });
      },
    });
    for (const s of list) {
      if (s.def.namespaced && !s.def.storage) s.registry.validateCreateAdmission = (obj, ns, dryRun) => quota({ plural: s.def.plural, group: s.def.group }, obj, String(ns), dryRun);
    }
  }

  const deleter: Deleter = async (s, ns, name, opts: DeleteOptions) => {
    if (nsLifecycle && s.def.group === '' && s.def.plural === 'namespaces') return nsLifecycle.delete(name, opts);
    return s.registry.delete(ns, name, opts, { dryRun: (opts.dryRun ?? []).includes('All') });
  };

  const nsServed = served.get('/v1/namespaces');
  if (nsServed) nsLifecycle = new NamespaceLifecycle(ctx, nsServed, deleter, deps.namespaceRetryMs ?? 1000);

  const servicesServed = served.get('/v1/services');
  const serviceAllocator = servicesServed ? new ServiceAllocator(store, servicesServed, clock, { serviceCIDR: deps.serviceCIDR, nodePortRange: deps.nodePortRange }) : undefined;
  const eventsServed = served.get('/v1/events');
  const eventTtl = eventsServed && deps.eventTtlMs !== 0 ? new EventTtl(ctx, eventsServed, deps.eventTtlMs ?? 3600_000) : undefined;
  eventTtl?.start();
  const compactor = deps.compaction ? startAutoCompaction(store, { clock, ...deps.compaction }) : undefined;

  const readyPromise = (async () => {
    if (!nsLifecycle) return;
    if (!deps.skipBootstrap) await nsLifecycle.bootstrap();
    await nsLifecycle.start();
    if (deps.advertise && serviceAllocator) {
      // not fatal: e.g. a loopback address is not a valid endpoint (Kubernetes' validation says so)
      await ensureKubernetesService(ctx, serviceAllocator.firstIP, deps.advertise).catch((err) => log.warn('cannot publish the kubernetes service', { err: err as Error }));
    }
  })();
  readyPromise.catch((e) => log.error('API handler start failed', { err: e as Error }));

  const version = deps.version ?? { major: '1', minor: '30', gitVersion: 'v1.30.0+peapod' };
  let openapi: OpenApiDocuments | undefined;
  const openapiDocs = () => (openapi ??= new OpenApiDocuments(defs.map((d) => ({
    group: d.group, version: d.version, kind: d.kind, plural: d.plural, namespaced: d.namespaced, verbs: d.verbs,
    subresources: [...(d.subresources?.status ? ['status'] : []), ...(d.subresources?.scale ? ['scale'] : []), ...(d.subresources?.others ?? []).map((o) => o.name)],
  })), { serverVersion: version.gitVersion }));
  const patchExt: PatchExtensions = {
    strategicMerge: (doc, patch, s) => applyStrategicMergePatch(doc, patch, schemas().forKind(s.def.group, s.def.version, s.def.kind), schemas()),
    apply: ({ live, applied, manager, force, served: s, now, subresource }) => {
      const set = schemas();
      const schema = set.forKind(s.def.group, s.def.version, s.def.kind);
      return serverSideApply({
        live, applied, manager, force, schema, schemas: set, now: rfc3339(now), apiVersion: s.registry.apiVersion, subresource,
        ignoredFields: resetFieldsFor(schema, set, subresource, !!s.def.subresources?.status),
      });
    },
    ...deps.patch,
  };

  function discovery(req: IncomingMessage, res: ServerResponse, legacy: boolean, fallback: () => unknown): void {
    const agg = wantsAggregated(req.headers.accept);
    const body = JSON.stringify(agg ? aggregatedDiscovery(defs, legacy, agg) : fallback());
    const etag = etagOf(body);
    const headers: Record<string, string> = { ETag: etag, Vary: 'Accept' };
    const ct = agg ? `application/json;g=apidiscovery.k8s.io;v=${agg};as=APIGroupDiscoveryList` : 'application/json';
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, { ...headers, 'Content-Type': ct });
      res.end();
      return;
    }
    writeBody(res, 200, body, ct, headers);
  }

  async function route(req: IncomingMessage, res: ServerResponse, user: UserInfo): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const target = parsePath(url.pathname);
    const method = req.method ?? 'GET';
    switch (target.kind) {
      case 'version':
        writeObject(res, 200, { ...version, gitCommit: '0000000000000000000000000000000000000000', gitTreeState: 'clean', buildDate: '2026-01-01T00:00:00Z', goVersion: 'go1.22.0', compiler: 'gc', platform: `linux/${process.arch === 'x64' ? 'amd64' : process.arch}` });
        return;
      case 'api':
        discovery(req, res, true, () => apiVersions(req.headers.host ?? 'localhost'));
        return;
      case 'apis':
        discovery(req, res, false, () => apiGroupList(defs));
        return;
      case 'group': {
        const g = apiGroup(defs, target.group);
        if (!g) throw notFound();
        writeObject(res, 200, g);
        return;
      }
      case 'groupVersion': {
        const l = apiResourceList(defs, target.group, target.version);
        if (!l) throw notFound();
        writeObject(res, 200, l);
        return;
      }
      case 'openapi': {
        const inm = req.headers['if-none-match'];
        const a = openapiDocs().serve(req.url ?? target.path, req.headers.accept ?? '*/*', typeof inm === 'string' ? inm : undefined);
        if (!a) throw notFound();
        const h: Record<string, string> = { 'Content-Type': a.contentType, ...a.headers };
        if (a.etag) h.ETag = `"${a.etag}"`;
        res.writeHead(a.status, h);
        res.end(a.body);
        return;
      }
      case 'unknown':
        throw notFound();
    }
    const s = ctx.lookup(target.group, target.version, target.resource);
    if (!s) throw notFound();
    if (!s.def.namespaced && target.namespace !== undefined) throw notFound();
    if (s.def.namespaced && target.namespace === undefined) {
      // across namespaces only list and watch exist (/api/v1/pods), as Kubernetes' routes
      if (target.name !== undefined && !target.watchPath) throw notFound();
      if (method !== 'GET') throw ApiError.methodNotAllowed(method, s.def.plural);
    }
    const r: RestRequest = { target, served: s, query: url.searchParams, user };
    const verbs = new Set<string>(s.def.verbs);
    const deny = (verb: string) => { if (!verbs.has(verb)) throw ApiError.methodNotAllowed(method, s.def.plural); };

    if (target.subresource) {
      const sub = target.subresource;
      if (target.watchPath) throw notFound();
      if (sub === 'status' && s.def.subresources?.status) {
        if (method === 'GET') return handleGet(ctx, r, req, res);
        if (method === 'PUT') return handleUpdate(ctx, r, req, res);
        if (method === 'PATCH') return handlePatch(ctx, r, req, res, patchExt);
        throw ApiError.methodNotAllowed(method, `${s.def.plural}/status`);
      }
      if (sub === 'scale' && s.def.subresources?.scale) return handleScale(ctx, r, req, res, patchExt);
      const external = deps.subresources?.[`${s.def.plural}/${sub}`];
      if (external) return external(req, res, { target, user, query: url.searchParams, served: s });
      if (s.def.group === '' && s.def.plural === 'pods') {
        if (sub === 'binding') return handleBinding(ctx, r, req, res);
        if (sub === 'eviction') return handleEviction(ctx, r, req, res, deleter);
        if (sub === 'ephemeralcontainers') return handleEphemeralContainers(ctx, r, req, res, patchExt);
      }
      if (s.def.group === '' && s.def.plural === 'serviceaccounts' && sub === 'token' && deps.tokenIssuer) return handleTokenRequest(ctx, r, req, res, deps.tokenIssuer);
      if (s.def.group === '' && s.def.plural === 'namespaces' && sub === 'finalize') return handleFinalize(ctx, r, req, res);
      throw notFound();
    }

    if (s.def.group === 'authentication.k8s.io' && s.def.plural === 'selfsubjectreviews' && target.name === undefined) return handleSelfSubjectReview(r, req, res);
    if (s.def.group === 'authorization.k8s.io' && s.def.plural === 'selfsubjectaccessreviews' && target.name === undefined) {
      return handleSelfSubjectAccessReview(r, req, res, deps.authorize ?? (async () => ({ allowed: true, reason: 'no authorizer is configured: every authenticated request is allowed' })));
    }
    if (s.def.group === '' && s.def.plural === 'bindings') {
      // POST /api/v1/namespaces/NS/bindings: the binding names its pod
      if (method !== 'POST' || target.name !== undefined || !target.namespace) throw ApiError.methodNotAllowed(method, 'bindings');
      const pods = ctx.lookup('', 'v1', 'pods');
      if (!pods) throw notFound();
      return handleBinding(ctx, { ...r, served: pods, target: { ...target, resource: 'pods', subresource: 'binding' } }, req, res, true);
    }
    const isWatch = target.watchPath || ['true', '1'].includes(url.searchParams.get('watch') ?? '');
    if (target.name !== undefined) {
      if (target.watchPath || (method === 'GET' && isWatch)) {
        // /watch/.../NAME: a watch of one object
        deny('watch');
        const q = new URLSearchParams(url.searchParams);
        const fs = q.get('fieldSelector');
        q.set('fieldSelector', fs ? `${fs},metadata.name=${target.name}` : `metadata.name=${target.name}`);
        return handleWatch(ctx, { ...r, query: q, target: { ...target, name: undefined } }, req, res);
      }
      switch (method) {
        case 'GET': deny('get'); return handleGet(ctx, r, req, res);
        case 'PUT': deny('update'); return handleUpdate(ctx, r, req, res);
        case 'PATCH': deny('patch'); return handlePatch(ctx, r, req, res, patchExt);
        case 'DELETE': deny('delete'); return handleDelete(ctx, r, req, res, deleter);
        default: throw ApiError.methodNotAllowed(method, s.def.plural);
      }
    }
    switch (method) {
      case 'GET':
        if (isWatch) { deny('watch'); return handleWatch(ctx, r, req, res); }
        deny('list');
        return handleList(ctx, r, req, res);
      case 'POST': deny('create'); return handleCreate(ctx, r, req, res);
      case 'DELETE': deny('deletecollection'); return handleDeleteCollection(ctx, r, req, res, deleter);
      default: throw ApiError.methodNotAllowed(method, s.def.plural);
    }
  }

  return {
    async handle(req, res, user) {
      try {
        await readyPromise;
        await route(req, res, user);
      } catch (e) {
        if (res.headersSent) { res.destroy(); return; }
        if (e instanceof ApiError) { writeStatus(res, e); return; }
        log.error('request failed', { method: req.method, url: req.url, err: e as Error, stack: (e as Error)?.stack });
        writeStatus(res, ApiError.internal((e as Error)?.message ?? String(e)));
      }
    },
    resources: () => defs,
    ready: readyPromise,
    async close() {
      nsLifecycle?.close();
      eventTtl?.close();
      compactor?.stop();
      for (const c of caches.values()) c.close();
    },
  };
}
