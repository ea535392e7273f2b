/**
 * The OpenAPI documents the API server publishes, built from the served resources and the schemas:
 *
 *   /openapi/v2                 swagger 2.0, every served group-version in one document (JSON)
 *   /openapi/v3                 index: {"paths": {"api/v1": {"serverRelativeURL": "/openapi/v3/api/v1?hash=…"}}}
 *   /openapi/v3/api/v1          OpenAPI 3.0 document of one group-version: paths + components.schemas
 *   /openapi/v3/apis/apps/v1    (and "api", "apis", "apis/<group>" for the discovery endpoints)
 *
 * Operations carry x-kubernetes-action and x-kubernetes-group-version-kind, and POST/PUT/PATCH carry
 * the dryRun, fieldManager and fieldValidation query parameters, as Kubernetes' do: kubectl looks for
 * fieldValidation on a PATCH operation of the kind to decide it may leave unknown-field checks to the
 * server. Each document is built and serialized once, on first request, and kept with its hash
 * (SHA-512, upper-case hex, as Kubernetes computes it), which is also its ETag.
 */
import { createHash } from 'node:crypto';
import type { SchemaNode } from '../schema-node.js';
import { builtinSchemas, type DefinitionSchemaSet, REF_PREFIX } from './schema-set.js';
import { encodeV2Protobuf } from './v2-protobuf.js';

/**
 * The protobuf form of /openapi/v2. client-go asks for the older `…spec.v2@v1.0+protobuf`; the answer
 * is labelled with this name, as Kubernetes does (Go's mime parser rejects the '@').
 */
export const V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';
const V2_PROTOBUF_ASKED = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';

/** One served resource, as the API server registers it. */
export interface ServedResource {
  /** '' for the core group. */
  group: string;
  version: string;
  kind: string;
  /** e.g. 'pods' */
  plural: string;
  namespaced: boolean;
  /** Kubernetes verbs: get, list, watch, create, update, patch, delete, deletecollection. */
  verbs: string[];
  /** e.g. ['status', 'log', 'exec', 'binding', 'eviction', 'ephemeralcontainers'] */
  subresources: string[];
}

export interface OpenApiAnswer {
  status: number;
  contentType: string;
  body: Buffer;
  /** Without quotes; send it as `ETag: "<etag>"`. */
  etag?: string;
  /**
   * Every header to send: Content-Type, ETag (quoted) and, where they apply, Location, Vary,
   * Cache-Control, Expires. Mounting: `res.writeHead(a.status, a.headers).end(a.body)`.
   */
  headers: Record<string, string>;
}

export interface OpenApiDocumentsOptions {
  /** Schemas to draw from; default: the built-in Kubernetes schemas. */
  schemas?: DefinitionSchemaSet;
  /** info.version, e.g. the gitVersion the server reports at /version. */
  serverVersion?: string;
  /**
   * Further definitions by name, e.g. custom resources' schemas (with x-kubernetes-group-version-kind
   * so that their operations find them). Kinds with no schema at all get a permissive one.
   */
  extraDefinitions?: Readonly<Record<string, SchemaNode>>;
}

// ---------------------------------------------------------------------------------------------
// Operation model, rendered into v3 and v2.

type Method = 'get' | 'put' | 'post' | 'patch' | 'delete';
interface GVK { group: string; version: string; kind: string }
interface Param { name: string; in: 'query' | 'path'; type: 'string' | 'integer' | 'boolean'; description: string; required?: boolean }
interface Operation {
  method: Method;
  description: string;
  operationId: string;
  tag: string;
  /** x-kubernetes-action (get, list, watch, watchlist, post, put, patch, delete, deletecollection, connect); empty for discovery */
  action: string;
  gvk?: GVK;
  params: Param[];
  /** definition name, or a patch body */
  body?: { def: string; patch?: boolean };
  /** status → definition name, or 'string' for text answers */
  responses: { code: string; def: string | 'string' }[];
  /** list/watch answers also stream */
  streams?: boolean;
}
interface PathItem { path: string; params: Param[]; ops: Operation[] }

const TEXT = {
  name: (kind: string) => `name of the ${kind}`,
  namespace: 'object name and auth scope, such as for teams and projects',
  pretty: 'If \'true\', then the output is pretty printed. Defaults to \'false\' unless the user-agent indicates a browser or command-line HTTP tool (curl and wget).',
};
const q = (name: string, type: Param['type'], description: string): Param => ({ name, in: 'query', type, description });
const P = {
  dryRun: q('dryRun', 'string', 'When present, the changes are validated but not persisted. Valid value: All (every dry-run stage is processed). Any other value is an error.'),
  fieldManager: q('fieldManager', 'string', 'fieldManager names the actor making these changes (at most 128 printable characters). Required for apply patches, optional otherwise.'),
  fieldValidation: q('fieldValidation', 'string', 'fieldValidation says how the server treats unknown or duplicate fields in the request body (POST/PUT/PATCH): Ignore drops them silently; Warn drops them and reports each in a Warning header (the default); Strict rejects the request with a BadRequest naming every unknown and duplicate field.'),
  force: q('force', 'boolean', 'Force makes an apply request take ownership of fields other managers own. Must be unset for other patch types.'),
  allowWatchBookmarks: q('allowWatchBookmarks', 'boolean', 'allowWatchBookmarks asks for watch events of type BOOKMARK. Servers may ignore it.'),
  continue: q('continue', 'string', 'The continue token from a previous list answer with identical query, to get the next chunk. An expired token answers 410 ResourceExpired.'),
  fieldSelector: q('fieldSelector', 'string', 'A selector to restrict the list of returned objects by their fields. Defaults to everything.'),
  labelSelector: q('labelSelector', 'string', 'A selector to restrict the list of returned objects by their labels. Defaults to everything.'),
  limit: q('limit', 'integer', 'limit is the most items to return; when more exist, metadata.continue is set for the next request.'),
  resourceVersion: q('resourceVersion', 'string', 'resourceVersion sets constraints on what resource versions a request may be served from. See https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-versions for details. Defaults to unset.'),
  resourceVersionMatch: q('resourceVersionMatch', 'string', 'resourceVersionMatch says how resourceVersion applies to list calls (NotOlderThan or Exact). Defaults to unset.'),
  sendInitialEvents: q('sendInitialEvents', 'boolean', 'With watch=true, sendInitialEvents=true starts the watch with synthetic ADDED events for the current state, then a BOOKMARK.'),
  timeoutSeconds: q('timeoutSeconds', 'integer', 'Timeout for the list/watch call, regardless of activity.'),
  watch: q('watch', 'boolean', 'Watch for changes to the described resources and return them as a stream of add, update, and remove notifications. Specify resourceVersion.'),
  gracePeriodSeconds: q('gracePeriodSeconds', 'integer', 'Seconds before the object is deleted (non-negative; zero deletes immediately). Unset means the kind\'s default.'),
  orphanDependents: q('orphanDependents', 'boolean', 'Deprecated: use propagationPolicy. Whether dependents are orphaned.'),
  propagationPolicy: q('propagationPolicy', 'string', 'Whether and how garbage collection deletes dependents: Orphan, Background or Foreground.'),
  ignoreStoreReadError: q('ignoreStoreReadErrorWithClusterBreakingPotential', 'boolean', 'Deletes an object that cannot be read from storage (unsafe: skips finalizers and preconditions). Defaults to false.'),
};
const WRITE_PARAMS = [P.dryRun, P.fieldManager, P.fieldValidation];
const LIST_PARAMS = [P.allowWatchBookmarks, P.continue, P.fieldSelector, P.labelSelector, P.limit, P.resourceVersion,
  P.resourceVersionMatch, P.sendInitialEvents, P.timeoutSeconds, P.watch];
const DELETE_PARAMS = [P.dryRun, P.gracePeriodSeconds, P.ignoreStoreReadError, P.orphanDependents, P.propagationPolicy];
const DELETECOLLECTION_PARAMS = [P.continue, P.dryRun, P.fieldSelector, P.gracePeriodSeconds, P.ignoreStoreReadError,
  P.labelSelector, P.limit, P.orphanDependents, P.propagationPolicy, P.resourceVersion, P.resourceVersionMatch,
  P.sendInitialEvents, P.timeoutSeconds];
const LOG_PARAMS = [
  q('container', 'string', 'The container for which to stream logs. Defaults to only container if there is one container in the pod.'),
  q('follow', 'boolean', 'Follow the log stream of the pod. Defaults to false.'),
  q('insecureSkipTLSVerifyBackend', 'boolean', 'Skip verifying the serving certificate of the backend when fetching logs.'),
  q('limitBytes', 'integer', 'The most bytes of log to return.'),
  q('previous', 'boolean', 'Return logs of the previous (terminated) instance of the container. Defaults to false.'),
  q('sinceSeconds', 'integer', 'Relative time in seconds before now from which to show logs.'),
  q('tailLines', 'integer', 'Number of lines from the end of the log to show.'),
  q('timestamps', 'boolean', 'Prefix every line with an RFC3339 timestamp. Defaults to false.'),
];
const EXEC_PARAMS = [
  q('command', 'string', 'Command is the remote command to execute; repeat the parameter for each argument. Not run in a shell.'),
  q('container', 'string', 'Container in which to execute the command. Defaults to only container if there is only one container in the pod.'),
  q('stderr', 'boolean', 'Redirect the standard error stream of the pod for this call.'),
  q('stdin', 'boolean', 'Redirect the standard input stream of the pod for this call. Defaults to false.'),
  q('stdout', 'boolean', 'Redirect the standard output stream of the pod for this call.'),
  q('tty', 'boolean', 'TTY if true indicates that a tty will be allocated for the exec call. Defaults to false.'),
];
const ATTACH_PARAMS = EXEC_PARAMS.filter((p) => p.name !== 'command');
const PORTFORWARD_PARAMS = [q('ports', 'integer', 'List of ports to forward.')];

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1.';
const PATCH_TYPES = ['application/apply-patch+yaml', 'application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json'];
const ANSWER_TYPES = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];
const STREAM_TYPES = ['application/json;stream=watch', 'application/vnd.kubernetes.protobuf;stream=watch'];

/** 'rbac.authorization.k8s.io' → 'RbacAuthorization'; '' → 'Core'. */
function groupWord(group: string): string {
  if (group === '') return 'Core';
  return group.replace(/\.k8s\.io$/, '').split('.').map(cap).join('');
}
function cap(s: string): string {
  return s.length ? s[0].toUpperCase() + s.slice(1) : s;
}
function tagOf(group: string, version: string): string {
  const g = groupWord(group);
  return `${g[0].toLowerCase()}${g.slice(1)}_${version}`;
}
function gvPath(group: string, version: string): string {
  return group === '' ? `api/${version}` : `apis/${group}/${version}`;
}

/** Subresources whose body is another kind. */
const SUBRESOURCE_KINDS: Record<string, { gvk: GVK; def: string; methods: Method[] }> = {
  scale: { gvk: { group: 'autoscaling', version: 'v1', kind: 'Scale' }, def: 'io.k8s.api.autoscaling.v1.Scale', methods: ['get', 'put', 'patch'] },
  binding: { gvk: { group: '', version: 'v1', kind: 'Binding' }, def: 'io.k8s.api.core.v1.Binding', methods: ['post'] },
  eviction: { gvk: { group: 'policy', version: 'v1', kind: 'Eviction' }, def: 'io.k8s.api.policy.v1.Eviction', methods: ['post'] },
  token: { gvk: { group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest' }, def: 'io.k8s.api.authentication.v1.TokenRequest', methods: ['post'] },
};
const CONNECT: Record<string, { kind: string; params: Param[]; methods: Method[] }> = {
  exec: { kind: 'PodExecOptions', params: EXEC_PARAMS, methods: ['get', 'post'] },
  attach: { kind: 'PodAttachOptions', params: ATTACH_PARAMS, methods: ['get', 'post'] },
  portforward: { kind: 'PodPortForwardOptions', params: PORTFORWARD_PARAMS, methods: ['get', 'post'] },
  proxy: { kind: 'PodProxyOptions', params: [q('path', 'string', 'Path is the URL path to use for the current proxy request.')], methods: ['get', 'put', 'post', 'patch', 'delete'] },
};

/** Builds and caches the documents; `serve` answers a request path. */
export class OpenApiDocuments {
  private readonly schemas: DefinitionSchemaSet;
  private readonly serverVersion: string;
  private readonly resources: ServedResource[];
  /** gv path ('api/v1', 'apis/apps/v1', 'api', 'apis', 'apis/apps') → its path items */
  private readonly groups = new Map<string, PathItem[]>();
  /** extra definitions for kinds without a built-in schema (custom resources) */
  private readonly extraDefs: Record<string, SchemaNode> = {};
  private readonly defByGvk = new Map<string, string>();
  private readonly cache = new Map<string, { body: Buffer; etag: string }>();

  constructor(resources: readonly ServedResource[], options: OpenApiDocumentsOptions = {}) {
    this.schemas = options.schemas ?? builtinSchemas();
    this.serverVersion = options.serverVersion ?? 'v1.30.0';
    this.resources = resources.map((r) => ({ ...r, verbs: [...r.verbs], subresources: [...r.subresources] }));
    for (const name of this.schemas.names()) {
      for (const g of this.schemas.definition(name)!['x-kubernetes-group-version-kind'] ?? []) {
        const key = `${g.group}/${g.version}/${g.kind}`;
        if (!this.defByGvk.has(key)) this.defByGvk.set(key, name);
      }
    }
    for (const [name, def] of Object.entries(options.extraDefinitions ?? {})) {
      this.extraDefs[name] = def;
      for (const g of def['x-kubernetes-group-version-kind'] ?? []) this.defByGvk.set(`${g.group}/${g.version}/${g.kind}`, name);
    }
    this.plan();
  }

  /** Definition name of a kind; kinds without a schema (custom resources) get a permissive one. */
  private defOf(gvk: GVK): string {
    const key = `${gvk.group}/${gvk.version}/${gvk.kind}`;
    const known = this.defByGvk.get(key);
    if (known) return known;
    const name = `${gvk.group.split('.').reverse().join('.')}.${gvk.version}.${gvk.kind}`;
    this.extraDefs[name] = {
      type: 'object',
      'x-kubernetes-preserve-unknown-fields': true,
      'x-kubernetes-group-version-kind': [{ ...gvk }],
    };
    this.defByGvk.set(key, name);
    return name;
  }

  private definition(name: string): SchemaNode | undefined {
    return this.extraDefs[name] ?? this.schemas.definition(name);
  }

  private plan(): void {
    const byGv = new Map<string, ServedResource[]>();
    for (const r of this.resources) {
      const k = gvPath(r.group, r.version);
      if (!byGv.has(k)) byGv.set(k, []);
      byGv.get(k)!.push(r);
    }
    const groupsSeen = new Set<string>();
    for (const [gv, rs] of [...byGv].sort(([a], [b]) => a.localeCompare(b))) {
      const items: PathItem[] = [];
      const { group, version } = rs[0];
      const prefix = '/' + gv;
      items.push({
        path: prefix + '/', params: [], ops: [{
          method: 'get', description: 'get available resources', operationId: `get${groupWord(group)}${cap(version)}APIResources`,
          tag: tagOf(group, version), action: '', params: [], responses: [{ code: '200', def: META + 'APIResourceList' }],
        }],
      });
      for (const r of [...rs].sort((a, b) => a.plural.localeCompare(b.plural))) items.push(...this.resourcePaths(r, prefix));
      items.sort((a, b) => a.path.localeCompare(b.path));
      this.groups.set(gv, items);
      groupsSeen.add(group);
    }
    if (groupsSeen.has('')) {
      this.groups.set('api', [{
        path: '/api/', params: [], ops: [{
          method: 'get', description: 'get available API versions', operationId: 'getCoreAPIVersions', tag: 'core', action: '',
          params: [], responses: [{ code: '200', def: META + 'APIVersions' }],
        }],
      }]);
    }
    this.groups.set('apis', [{
      path: '/apis/', params: [], ops: [{
        method: 'get', description: 'get available API versions', operationId: 'getAPIVersions', tag: 'apis', action: '',
        params: [], responses: [{ code: '200', def: META + 'APIGroupList' }],
      }],
    }]);
    for (const g of groupsSeen) {
      if (g === '') continue;
      const w = groupWord(g);
      this.groups.set(`apis/${g}`, [{
        path: `/apis/${g}/`, params: [], ops: [{
          method: 'get', description: 'get information of a group', operationId: `get${w}APIGroup`,
          tag: `${w[0].toLowerCase()}${w.slice(1)}`, action: '', params: [], responses: [{ code: '200', def: META + 'APIGroup' }],
        }],
      }]);
    }
  }

  private resourcePaths(r: ServedResource, prefix: string): PathItem[] {
    const gvk: GVK = { group: r.group, version: r.version, kind: r.kind };
    const def = this.defOf(gvk);
    const listDef = this.defOf({ ...gvk, kind: r.kind + 'List' });
    const G = groupWord(r.group), V = cap(r.version), K = r.kind, Ns = r.namespaced ? 'Namespaced' : '';
    const tag = tagOf(r.group, r.version);
    const has = (v: string) => r.verbs.includes(v);
    const pretty = q('pretty', 'string', TEXT.pretty);
    const nsParam: Param = { name: 'namespace', in: 'path', type: 'string', description: TEXT.namespace, required: true };
    const nameParam = (kind: string): Param => ({ name: 'name', in: 'path', type: 'string', description: TEXT.name(kind), required: true });
    const coll = r.namespaced ? `${prefix}/namespaces/{namespace}/${r.plural}` : `${prefix}/${r.plural}`;
    const item = `${coll}/{name}`;
    const collParams = r.namespaced ? [nsParam, pretty] : [pretty];
    const itemParams = r.namespaced ? [nameParam(K), nsParam, pretty] : [nameParam(K), pretty];
    const op = (o: Omit<Operation, 'tag'>): Operation => ({ tag, ...o });
    const out: PathItem[] = [];

    const collOps: Operation[] = [];
    if (has('list')) collOps.push(op({ method: 'get', description: `list or watch objects of kind ${K}`, operationId: `list${G}${V}${Ns}${K}`, action: 'list', gvk, params: LIST_PARAMS, responses: [{ code: '200', def: listDef }], streams: true }));
    if (has('create')) collOps.push(op({ method: 'post', description: `create a ${K}`, operationId: `create${G}${V}${Ns}${K}`, action: 'post', gvk, params: WRITE_PARAMS, body: { def }, responses: [{ code: '200', def }, { code: '201', def }, { code: '202', def }] }));
    if (has('deletecollection')) collOps.push(op({ method: 'delete', description: `delete collection of ${K}`, operationId: `delete${G}${V}Collection${Ns}${K}`, action: 'deletecollection', gvk, params: DELETECOLLECTION_PARAMS, body: { def: META + 'DeleteOptions' }, responses: [{ code: '200', def: META + 'Status' }] }));
    if (collOps.length) out.push({ path: coll, params: collParams, ops: collOps });

    const itemOps: Operation[] = [];
    if (has('get')) itemOps.push(op({ method: 'get', description: `read the specified ${K}`, operationId: `read${G}${V}${Ns}${K}`, action: 'get', gvk, params: [], responses: [{ code: '200', def }] }));
    if (has('update')) itemOps.push(op({ method: 'put', description: `replace the specified ${K}`, operationId: `replace${G}${V}${Ns}${K}`, action: 'put', gvk, params: WRITE_PARAMS, body: { def }, responses: [{ code: '200', def }, { code: '201', def }] }));
    if (has('patch')) itemOps.push(op({ method: 'patch', description: `partially update the specified ${K}`, operationId: `patch${G}${V}${Ns}${K}`, action: 'patch', gvk, params: [...WRITE_PARAMS, P.force], body: { def: META + 'Patch', patch: true }, responses: [{ code: '200', def }, { code: '201', def }] }));
    if (has('delete')) itemOps.push(op({ method: 'delete', description: `delete a ${K}`, operationId: `delete${G}${V}${Ns}${K}`, action: 'delete', gvk, params: DELETE_PARAMS, body: { def: META + 'DeleteOptions' }, responses: [{ code: '200', def: META + 'Status' }, { code: '202', def: META + 'Status' }] }));
    if (itemOps.length) out.push({ path: item, params: itemParams, ops: itemOps });

    if (r.namespaced && has('list')) {
      out.push({ path: `${prefix}/${r.plural}`, params: [pretty], ops: [op({ method: 'get', description: `list or watch objects of kind ${K}`, operationId: `list${G}${V}${K}ForAllNamespaces`, action: 'list', gvk, params: LIST_PARAMS, responses: [{ code: '200', def: listDef }], streams: true })] });
    }
    if (has('watch')) {
      const watchParams = LIST_PARAMS;
      const watchColl = r.namespaced ? `${prefix}/watch/namespaces/{namespace}/${r.plural}` : `${prefix}/watch/${r.plural}`;
      out.push({ path: watchColl, params: collParams, ops: [op({ method: 'get', description: `watch individual changes to a list of ${K}. deprecated: use the 'watch' parameter with a list operation instead.`, operationId: `watch${G}${V}${Ns}${K}List`, action: 'watchlist', gvk, params: watchParams, responses: [{ code: '200', def: META + 'WatchEvent' }], streams: true })] });
      out.push({ path: `${watchColl}/{name}`, params: itemParams, ops: [op({ method: 'get', description: `watch changes to an object of kind ${K}. deprecated: use the 'watch' parameter with a list operation instead, filtered to a single item with the 'fieldSelector' parameter.`, operationId: `watch${G}${V}${Ns}${K}`, action: 'watch', gvk, params: watchParams, responses: [{ code: '200', def: META + 'WatchEvent' }], streams: true })] });
      if (r.namespaced) {
        out.push({ path: `${prefix}/watch/${r.plural}`, params: [pretty], ops: [op({ method: 'get', description: `watch individual changes to a list of ${K}. deprecated: use the 'watch' parameter with a list operation instead.`, operationId: `watch${G}${V}${K}ListForAllNamespaces`, action: 'watchlist', gvk, params: watchParams, responses: [{ code: '200', def: META + 'WatchEvent' }], streams: true })] });
      }
    }

    for (const sub of r.subresources) {
      const S = sub === 'ephemeralcontainers' ? 'EphemeralContainers' : cap(sub);
      const path = `${item}/${sub}`;
      const ops: Operation[] = [];
      const other = SUBRESOURCE_KINDS[sub];
      const connect = CONNECT[sub];
      const subParams = r.namespaced ? [nameParam(other ? other.gvk.kind : K), nsParam, pretty] : [nameParam(other ? other.gvk.kind : K), pretty];
      if (connect) {
        const cgvk: GVK = { group: r.group, version: r.version, kind: connect.kind };
        for (const m of connect.methods) {
          const M = cap(m);
          ops.push(op({ method: m, description: `connect ${M} requests to ${sub} of ${K}`, operationId: `connect${G}${V}${M}${Ns}${K}${S}`, action: 'connect', gvk: cgvk, params: connect.params, responses: [{ code: '200', def: 'string' }] }));
        }
        out.push({ path, params: r.namespaced ? [nameParam(connect.kind), nsParam] : [nameParam(connect.kind)], ops });
        continue;
      }
      if (sub === 'log') {
        ops.push(op({ method: 'get', description: `read log of the specified ${K}`, operationId: `read${G}${V}${Ns}${K}Log`, action: 'get', gvk, params: LOG_PARAMS, responses: [{ code: '200', def: 'string' }] }));
        out.push({ path, params: subParams, ops });
        continue;
      }
      const sgvk = other ? other.gvk : gvk;
      const sdef = other ? other.def : def;
      const methods = other ? other.methods : ['get', 'put', 'patch'] as Method[];
      for (const m of methods) {
        if (m === 'get') ops.push(op({ method: 'get', description: `read ${sub} of the specified ${K}`, operationId: `read${G}${V}${Ns}${K}${S}`, action: 'get', gvk: sgvk, params: [], responses: [{ code: '200', def: sdef }] }));
        if (m === 'put') ops.push(op({ method: 'put', description: `replace ${sub} of the specified ${K}`, operationId: `replace${G}${V}${Ns}${K}${S}`, action: 'put', gvk: sgvk, params: WRITE_PARAMS, body: { def: sdef }, responses: [{ code: '200', def: sdef }, { code: '201', def: sdef }] }));
        if (m === 'patch') ops.push(op({ method: 'patch', description: `partially update ${sub} of the specified ${K}`, operationId: `patch${G}${V}${Ns}${K}${S}`, action: 'patch', gvk: sgvk, params: [...WRITE_PARAMS, P.force], body: { def: META + 'Patch', patch: true }, responses: [{ code: '200', def: sdef }, { code: '201', def: sdef }] }));
        if (m === 'post') ops.push(op({ method: 'post', description: `create ${sub} of a ${K}`, operationId: `create${G}${V}${Ns}${K}${S}`, action: 'post', gvk: sgvk, params: WRITE_PARAMS, body: { def: sdef }, responses: [{ code: '200', def: sdef }, { code: '201', def: sdef }, { code: '202', def: sdef }] }));
      }
      out.push({ path, params: subParams, ops });
    }
    return out;
  }

  // -------------------------------------------------------------------------------------------
  // Rendering

  /** Definition names reachable from the given roots. */
  private closure(roots: Iterable<string>): string[] {
    const seen = new Set<string>();
    const stack = [...roots];
    while (stack.length) {
      const n = stack.pop()!;
      if (seen.has(n)) continue;
      const d = this.definition(n);
      if (!d) continue;
      seen.add(n);
      walkRefs(d, (ref) => { if (!seen.has(ref)) stack.push(ref); });
    }
    return [...seen].sort();
  }

  private rootsOf(items: PathItem[]): string[] {
    const roots: string[] = [];
    for (const it of items) {
      for (const o of it.ops) {
        if (o.body) roots.push(o.body.def);
        for (const r of o.responses) if (r.def !== 'string') roots.push(r.def);
      }
    }
    return roots;
  }

  private v3Document(gv: string): Record<string, unknown> | undefined {
    const items = this.groups.get(gv);
    if (!items) return undefined;
    const paths: Record<string, unknown> = {};
    for (const it of items) {
      const entry: Record<string, unknown> = {};
      for (const o of it.ops) entry[o.method] = v3Operation(o);
      if (it.params.length) entry.parameters = it.params.map(v3Param);
      paths[it.path] = entry;
    }
    const schemas: Record<string, SchemaNode> = {};
    for (const n of this.closure(this.rootsOf(items))) schemas[n] = this.definition(n)!;
    return {
      openapi: '3.0.0',
      info: { title: 'Kubernetes', version: this.serverVersion },
      paths,
      components: {
        schemas,
        securitySchemes: { BearerToken: { type: 'apiKey', description: 'Bearer Token authentication', name: 'authorization', in: 'header' } },
      },
      security: [{ BearerToken: [] }],
    };
  }

  private v2Document(): Record<string, unknown> {
    const paths: Record<string, unknown> = {};
    const roots: string[] = [];
    for (const gv of [...this.groups.keys()].sort()) {
      const items = this.groups.get(gv)!;
      roots.push(...this.rootsOf(items));
      for (const it of items) {
        const entry: Record<string, unknown> = {};
        for (const o of it.ops) entry[o.method] = v2Operation(o);
        if (it.params.length) entry.parameters = it.params.map(v2Param);
        paths[it.path] = entry;
      }
    }
    const definitions: Record<string, unknown> = {};
    for (const n of this.closure(roots)) definitions[n] = toV2Schema(this.definition(n)!);
    return {
      swagger: '2.0',
      info: { title: 'Kubernetes', version: this.serverVersion },
      paths,
      definitions,
      securityDefinitions: { BearerToken: { description: 'Bearer Token authentication', type: 'apiKey', name: 'authorization', in: 'header' } },
      security: [{ BearerToken: [] }],
    };
  }

  private cached(key: string, build: () => unknown, encode?: () => Buffer): { body: Buffer; etag: string } {
    let c = this.cache.get(key);
    if (!c) {
      const body = encode ? encode() : Buffer.from(JSON.stringify(build()));
      c = { body, etag: createHash('sha512').update(body).digest('hex').toUpperCase() };
      this.cache.set(key, c);
    }
    return c;
  }

  /** The group-version paths in the v3 index, e.g. ['api', 'api/v1', 'apis', 'apis/apps', 'apis/apps/v1']. */
  v3Paths(): string[] {
    return [...this.groups.keys()].sort();
  }

  /** The parsed v3 document of one group-version path ('api/v1', 'apis/apps/v1'). */
  v3(gv: string): Record<string, unknown> | undefined {
    if (!this.groups.has(gv)) return undefined;
    return JSON.parse(this.cached('v3:' + gv, () => this.v3Document(gv)).body.toString('utf8')) as Record<string, unknown>;
  }

  /**
   * Answers GET `url` (path with optional query) under /openapi/. `accept` and `ifNoneMatch` are the
   * request's headers. Undefined when the path is not an OpenAPI path.
   */
  serve(url: string, accept = '*/*', ifNoneMatch?: string): OpenApiAnswer | undefined {
    const a = this.route(url, accept, ifNoneMatch);
    if (a) {
      a.headers['Content-Type'] = a.contentType;
      if (a.etag !== undefined) a.headers.ETag = `"${a.etag}"`;
    }
    return a;
  }

  private route(url: string, accept: string, ifNoneMatch: string | undefined): OpenApiAnswer | undefined {
    const qi = url.indexOf('?');
    const path = qi < 0 ? url : url.slice(0, qi);
    const query = new URLSearchParams(qi < 0 ? '' : url.slice(qi + 1));
    const json = 'application/json';
    const wantsJson = acceptsJson(accept);
    if (path === '/openapi/v2' || path === '/openapi/v2/') {
      const type = negotiate(accept, [json, V2_PROTOBUF_ASKED, V2_PROTOBUF]);
      if (type === undefined) return notAcceptable();
      const headers = { Vary: 'Accept' };
      if (type === json) return this.answer(this.cached('v2', () => this.v2Document()), json, ifNoneMatch, headers);
      const pb = this.cached('v2.pb', () => undefined, () => encodeV2Protobuf(JSON.parse(this.cached('v2', () => this.v2Document()).body.toString('utf8')) as Record<string, unknown>));
      return this.answer(pb, V2_PROTOBUF, ifNoneMatch, headers);
    }
    if (path === '/openapi/v3' || path === '/openapi/v3/') {
      if (!wantsJson) return notAcceptable();
      const index = this.cached('v3-index', () => {
        const paths: Record<string, { serverRelativeURL: string }> = {};
        for (const gv of this.v3Paths()) {
          const { etag } = this.cached('v3:' + gv, () => this.v3Document(gv));
          paths[gv] = { serverRelativeURL: `/openapi/v3/${gv}?hash=${etag}` };
        }
        return { paths };
      });
      return this.answer(index, json, ifNoneMatch, {});
    }
    if (path.startsWith('/openapi/v3/')) {
      const gv = path.slice('/openapi/v3/'.length).replace(/\/$/, '');
      if (!this.groups.has(gv)) return notFound();
      if (!wantsJson) return notAcceptable();
      const doc = this.cached('v3:' + gv, () => this.v3Document(gv));
      const hash = query.get('hash');
      const headers: Record<string, string> = { Vary: 'Accept' };
      if (hash !== null && hash !== '') {
        if (hash !== doc.etag) {
          return {
            status: 301, contentType: 'text/html; charset=utf-8', etag: doc.etag,
            headers: { Location: `/openapi/v3/${gv}?hash=${doc.etag}` },
            body: Buffer.from(`<a href="/openapi/v3/${gv}?hash=${doc.etag}">Moved Permanently</a>.\n`),
          };
        }
        headers['Cache-Control'] = 'public, immutable';
        headers.Expires = new Date(Date.now() + 365 * 24 * 3600 * 1000).toUTCString();
      }
      return this.answer(doc, json, ifNoneMatch, headers);
    }
    return undefined;
  }

  private answer(doc: { body: Buffer; etag: string }, contentType: string, ifNoneMatch: string | undefined, headers: Record<string, string>): OpenApiAnswer {
    if (ifNoneMatch !== undefined && ifNoneMatch.split(',').some((t) => t.trim().replace(/^W\//, '') === `"${doc.etag}"`)) {
      return { status: 304, contentType, body: Buffer.alloc(0), etag: doc.etag, headers };
    }
    return { status: 200, contentType, body: doc.body, etag: doc.etag, headers };
  }
}

function notFound(): OpenApiAnswer {
  return { status: 404, contentType: 'text/plain; charset=utf-8', body: Buffer.from('404 page not found\n'), headers: {} };
}
function notAcceptable(): OpenApiAnswer {
  return { status: 406, contentType: 'text/plain; charset=utf-8', body: Buffer.from('only application/json is served here\n'), headers: {} };
}

/** The first offered type the Accept header admits, in the header's order (then the offers' order). */
function negotiate(accept: string, offers: string[]): string | undefined {
  if (accept.trim() === '') return offers[0];
  for (const c of accept.split(',')) {
    const [type, ...params] = c.trim().split(';').map((x) => x.trim());
    if (params.some((p) => /^q=0(\.0*)?$/.test(p))) continue;
    const [t, sub] = type.split('/');
    const hit = offers.find((o) => {
      const [ot, osub] = o.split('/');
      return (t === '*' || t === ot) && (sub === '*' || sub === osub);
    });
    if (hit) return hit;
  }
  return undefined;
}

/** Whether an Accept header admits JSON (missing, *\/*, application/*, application/json). */
function acceptsJson(accept: string): boolean {
  if (accept.trim() === '') return true;
  return accept.split(',').some((c) => {
    const [type, ...params] = c.trim().split(';').map((s) => s.trim());
    if (params.some((p) => /^q=0(\.0*)?$/.test(p))) return false;
    return type === '*/*' || type === 'application/*' || type === 'application/json';
  });
}

function walkRefs(node: unknown, visit: (name: string) => void): void {
  if (Array.isArray(node)) {
    for (const n of node) walkRefs(n, visit);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  for (const [k, v] of Object.entries(node)) {
    if (k === '$ref' && typeof v === 'string' && v.startsWith(REF_PREFIX)) visit(v.slice(REF_PREFIX.length));
    else if (k !== 'default' && k !== 'enum') walkRefs(v, visit);
  }
}

// ---- v3 rendering

function v3Param(p: Param): Record<string, unknown> {
  return {
    name: p.name, in: p.in, description: p.description,
    ...(p.required ? { required: true } : {}),
    schema: { type: p.type, uniqueItems: true },
  };
}

function v3Operation(o: Operation): Record<string, unknown> {
  const out: Record<string, unknown> = { tags: [o.tag], description: o.description, operationId: o.operationId };
  if (o.params.length) out.parameters = o.params.map(v3Param);
  if (o.body) {
    const schema = { $ref: REF_PREFIX + o.body.def };
    const types = o.body.patch ? PATCH_TYPES : ['*/*'];
    out.requestBody = { content: Object.fromEntries(types.map((t) => [t, { schema }])), required: true };
  }
  const responses: Record<string, unknown> = {};
  for (const r of o.responses) {
    const schema = r.def === 'string' ? { type: 'string' } : { $ref: REF_PREFIX + r.def };
    const types = r.def === 'string' ? ['*/*'] : o.streams ? [...ANSWER_TYPES, ...STREAM_TYPES] : ANSWER_TYPES;
    responses[r.code] = { description: codeText(r.code), content: Object.fromEntries(types.map((t) => [t, { schema }])) };
  }
  responses['401'] = { description: 'Unauthorized' };
  out.responses = responses;
  // discovery operations (action '') carry neither extension, as in Kubernetes
  if (o.action !== '') out['x-kubernetes-action'] = o.action;
  if (o.gvk) out['x-kubernetes-group-version-kind'] = { group: o.gvk.group, kind: o.gvk.kind, version: o.gvk.version };
  return out;
}

function codeText(code: string): string {
  return ({ '200': 'OK', '201': 'Created', '202': 'Accepted' } as Record<string, string>)[code] ?? code;
}

// ---- v2 rendering

function v2Param(p: Param): Record<string, unknown> {
  return { uniqueItems: true, type: p.type, description: p.description, name: p.name, in: p.in, ...(p.required ? { required: true } : {}) };
}

function v2Operation(o: Operation): Record<string, unknown> {
  const out: Record<string, unknown> = { description: o.description };
  if (o.body) out.consumes = o.body.patch ? PATCH_TYPES : ['*/*'];
  const stringAnswer = o.responses.some((r) => r.def === 'string');
  out.produces = stringAnswer ? ['*/*'] : o.streams ? [...ANSWER_TYPES, ...STREAM_TYPES] : ANSWER_TYPES;
  out.schemes = ['https'];
  out.tags = [o.tag];
  out.operationId = o.operationId;
  const params: Record<string, unknown>[] = [];
  if (o.body) params.push({ name: 'body', in: 'body', required: true, schema: { $ref: '#/definitions/' + o.body.def } });
  params.push(...o.params.map(v2Param));
  if (params.length) out.parameters = params;
  const responses: Record<string, unknown> = {};
  for (const r of o.responses) {
    responses[r.code] = { description: codeText(r.code), schema: r.def === 'string' ? { type: 'string' } : { $ref: '#/definitions/' + r.def } };
  }
  responses['401'] = { description: 'Unauthorized' };
  out.responses = responses;
  if (o.action !== '') out['x-kubernetes-action'] = o.action;
  if (o.gvk) out['x-kubernetes-group-version-kind'] = { group: o.gvk.group, kind: o.gvk.kind, version: o.gvk.version };
  return out;
}

/** A v3 component schema in swagger 2.0 form: plain `$ref`s to #/definitions, no oneOf, no defaults. */
export function toV2Schema(node: SchemaNode): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  let src: SchemaNode = node;
  if (node.allOf && node.allOf.length === 1 && node.allOf[0].$ref) {
    const { allOf, ...rest } = node;
    src = { ...rest, $ref: allOf[0].$ref };
  }
  for (const [k, v] of Object.entries(src)) {
    if (k === 'default' || k === 'oneOf') continue;
    if (k === '$ref') out.$ref = (v as string).replace(REF_PREFIX, '#/definitions/');
    else if (k === 'properties') out.properties = Object.fromEntries(Object.entries(v as Record<string, SchemaNode>).map(([p, s]) => [p, toV2Schema(s)]));
    else if (k === 'items' || (k === 'additionalProperties' && typeof v === 'object')) out[k] = toV2Schema(v as SchemaNode);
    else if (k === 'allOf') out.allOf = (v as SchemaNode[]).map(toV2Schema);
    else out[k] = v;
  }
  if (node.oneOf) {
    // Kubernetes' v2 forms: IntOrString is {type: string, format: int-or-string}; Quantity {type: string}.
    out.type = 'string';
  }
  return out;
}
