/**
 * Subresources other than status: scale (autoscaling/v1 Scale), pods/binding, pods/eviction
 * (with the PodDisruptionBudget check), pods/ephemeralcontainers and namespaces/finalize.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, successStatus, type FieldError, type Status } from '../api/errors.js';
import type { KubeObject } from '../api/object.js';
import { selectorFromMap, selectorFromSpec, type LabelSelectorSpec } from '../api/selectors.js';
import type { RestContext, RestRequest, Served } from './context.js';
import { contentTypeOf, decodeObjectBody, negotiateOutput, parseDocument, readBody, unsupportedMediaType, writeObject } from './http-util.js';
import { applyJsonPatch, applyMergePatch } from './patch/index.js';
import { rfc3339, type DeleteOptions } from './registry.js';
import { isDryRun, managerOf, renderOne, type Deleter, type PatchExtensions } from './rest-write.js';
import { partialMetadata } from './table.js';
import { cloneJson } from './object-codec.js';
import { nameColumn } from '../api/resources/print-util.js';

type Obj = Record<string, unknown>;

function getPath(obj: unknown, path: string): unknown {
  let cur = obj;
  for (const p of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Obj)[p];
  }
  return cur;
}

function setPath(obj: Obj, path: string, v: unknown): void {
  const parts = path.split('.');
  let cur = obj;
  for (const p of parts.slice(0, -1)) {
    if (cur[p] === null || typeof cur[p] !== 'object') cur[p] = {};
    cur = cur[p] as Obj;
  }
  cur[parts[parts.length - 1]] = v;
}

// ---------- scale ----------

export function toScale(served: Served, obj: KubeObject): KubeObject {
  const sc = served.def.subresources!.scale!;
  const replicas = getPath(obj, sc.specReplicasPath);
  const status: Obj = { replicas: (getPath(obj, sc.statusReplicasPath) as number | undefined) ?? 0 };
  if (sc.labelSelectorPath) {
    const sel = getPath(obj, sc.labelSelectorPath);
    if (sel && typeof sel === 'object') {
      try {
        const isSpec = 'matchLabels' in (sel as Obj) || 'matchExpressions' in (sel as Obj);
        status.selector = (isSpec ? selectorFromSpec(sel as LabelSelectorSpec) : selectorFromMap(sel as Record<string, string>)).toString();
      } catch { /* an invalid selector is left out */ }
    }
  }
  const m = obj.metadata;
  return {
    kind: 'Scale', apiVersion: 'autoscaling/v1',
    metadata: { name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion, creationTimestamp: m.creationTimestamp },
    spec: { replicas: typeof replicas === 'number' ? replicas : 0 },
    status,
  };
}

function scaleInvalid(name: string, errs: { field: string; badValue: unknown; detail: string }[]): ApiError {
  return ApiError.invalid('Scale', name, errs.map((e) => ({ type: 'FieldValueInvalid' as const, ...e })), 'autoscaling');
}

async function updateScale(ctx: RestContext, r: RestRequest, mutate: (scale: KubeObject) => KubeObject, dryRun: boolean, manager: string): Promise<KubeObject> {
  const { served, target } = r;
  const sc = served.def.subresources!.scale!;
  const { obj } = await served.registry.guaranteedUpdate(target.namespace, target.name!, (cur) => {
    if (!cur) throw served.registry.notFound(target.name!);
    const scale = mutate(toScale(served, cur));
    const rv = scale.metadata?.resourceVersion;
    if (rv && rv !== cur.metadata.resourceVersion) throw served.registry.conflict(target.name!);
    const replicas = (scale.spec as Obj | undefined)?.replicas;
    if (typeof replicas !== 'number' || !Number.isInteger(replicas)) {
      throw scaleInvalid(target.name!, [{ field: 'spec.replicas', badValue: replicas ?? null, detail: 'must be an integer' }]);
    }
    if (replicas < 0) throw scaleInvalid(target.name!, [{ field: 'spec.replicas', badValue: replicas, detail: 'must be greater than or equal to 0' }]);
    const next = cloneJson(cur);
    setPath(next as Obj, sc.specReplicasPath, replicas);
    return served.registry.prepareUpdate(next, cur, 'scale', manager);
  }, { dryRun });
  return toScale(served, obj);
}

export async function handleScale(ctx: RestContext, r: RestRequest, req: IncomingMessage, res: ServerResponse, ext: PatchExtensions): Promise<void> {
  const out = negotiateOutput(req.headers.accept);
  const { served, target } = r;
  if (req.method === 'GET') {
    const obj = await served.registry.get(target.namespace, target.name!);
    const scale = toScale(served, obj);
    if (out.as === 'Table') {
      // printScale's columns
      const row: Record<string, unknown> = { cells: [scale.metadata.name, (scale.spec as Obj).replicas, (scale.status as Obj).replicas] };
      const include = r.query.get('includeObject') ?? 'Metadata';
      if (include === 'Object') row.object = scale; else if (include !== 'None') row.object = partialMetadata(scale, out.version);
      writeObject(res, 200, {
        kind: 'Table', apiVersion: `meta.k8s.io/${out.version}`, metadata: { resourceVersion: scale.metadata.resourceVersion },
        columnDefinitions: [
          { name: 'Name', type: 'string', format: 'name', description: nameColumn.description, priority: 0 },
          { name: 'Desired', type: 'integer', format: '', description: 'Number of desired replicas', priority: 0 },
          { name: 'Available', type: 'integer', format: '', description: 'Number of actual replicas', priority: 0 },
        ],
        rows: [row],
      }, out.format);
      return;
    }
    writeObject(res, 200, out.as === 'object' ? scale : partialMetadata(scale, out.version), out.format);
    return;
  }
  if (req.method === 'PUT') {
    const dryRun = isDryRun(r.query, 'UpdateOptions');
    const body = decodeObjectBody(await readBody(req), contentTypeOf(req), { kind: 'Scale', version: 'v1' });
    if (body.kind && body.kind !== 'Scale') throw ApiError.badRequest(`${String(body.kind)} in version "v1" cannot be handled as a Scale`);
    if (body.metadata.name && body.metadata.name !== target.name) throw ApiError.badRequest(`the name of the object (${body.metadata.name}) does not match the name on the URL (${target.name})`);
    const scale = await updateScale(ctx, r, (s) => ({ ...s, spec: body.spec, metadata: { ...s.metadata, resourceVersion: body.metadata.resourceVersion } }), dryRun, managerOf(req, r.query));
    writeObject(res, 200, scale, out.format);
    return;
  }
  if (req.method === 'PATCH') {
    const dryRun = isDryRun(r.query, 'PatchOptions');
    const ct = contentTypeOf(req);
    const patch = parseDocument(await readBody(req), 'application/json');
    const scale = await updateScale(ctx, r, (s) => {
      const rvBefore = s.metadata.resourceVersion;
      let p: KubeObject;
      if (ct === 'application/json-patch+json') p = applyJsonPatch(s, patch);
      else if (ct === 'application/merge-patch+json') p = applyMergePatch(s, patch);
      else if (ct === 'application/strategic-merge-patch+json') p = ext.strategicMerge ? ext.strategicMerge(s, patch, served) : applyMergePatch(s, patch);
      else throw unsupportedMediaType(ct, ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json']);
      // a patch that does not name a resourceVersion applies to the newest object
      if (p.metadata?.resourceVersion === rvBefore) p.metadata.resourceVersion = undefined;
      return p;
    }, dryRun, managerOf(req, r.query));
    writeObject(res, 200, scale, out.format);
    return;
  }
  throw ApiError.methodNotAllowed(req.method ?? '', `${served.def.plural}/scale`);
}

// ---------- pods/binding ----------

export async function handleBinding(ctx: RestContext, r: RestRequest, req: IncomingMessage, res: ServerResponse, nameFromBody = false): Promise<void> {
  if (req.method !== 'POST') throw ApiError.methodNotAllowed(req.method ?? '', 'pods/binding');
  const dryRun = isDryRun(r.query);
  const body = decodeObjectBody(await readBody(req), contentTypeOf(req), { kind: 'Binding', version: 'v1' });
  const { served } = r;
  const target = nameFromBody ? { ...r.target, name: body.metadata.name } : r.target;
  if (!target.name) throw ApiError.invalid('Binding', '', [{ type: 'FieldValueRequired', field: 'metadata.name', detail: 'name or generateName is required' }]);
  if (body.kind && body.kind !== 'Binding') throw ApiError.badRequest(`${String(body.kind)} in version "v1" cannot be handled as a Binding`);
  if (body.metadata.name && body.metadata.name !== target.name) throw ApiError.badRequest('name in URL does not match name in Binding object');
  const node = (body.target as Obj | undefined)?.name;
  if (typeof node !== 'string' || node === '') {
    throw ApiError.invalid('Binding', target.name!, [{ type: 'FieldValueRequired', field: 'target.name', detail: '' }]);
  }
  const bindingConflict = (why: string) => new ApiError(409, 'Conflict', `Operation cannot be fulfilled on pods/binding "${target.name}": ${why}`, { name: target.name, kind: 'pods/binding' });
  await served.registry.guaranteedUpdate(target.namespace, target.name!, (cur) => {
    if (!cur) throw served.registry.notFound(target.name!);
    if (cur.metadata.deletionTimestamp) throw bindingConflict(`pod ${target.name} is being deleted, cannot be assigned to a host`);
    const spec = (cur.spec ?? {}) as Obj;
    if (spec.nodeName) throw bindingConflict(`pod ${target.name} is already assigned to node ${JSON.stringify(spec.nodeName)}`);
    if (Array.isArray(spec.schedulingGates) && spec.schedulingGates.length > 0) throw bindingConflict(`pod ${target.name} has non-empty .spec.schedulingGates`);
    const uid = body.metadata.uid;
    if (uid && uid !== cur.metadata.uid) throw bindingConflict(`Precondition failed: UID in precondition: ${uid}, UID in object meta: ${cur.metadata.uid}`);
    const next = cloneJson(cur);
    (next.spec as Obj).nodeName = node;
    if (body.metadata.annotations) next.metadata.annotations = { ...(next.metadata.annotations ?? {}), ...body.metadata.annotations };
    const status = (next.status ?? {}) as Obj;
    const conds = ((status.conditions as Obj[] | undefined) ?? []).filter((c) => c.type !== 'PodScheduled');
    conds.push({ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: rfc3339(ctx.clock.now()) });
    next.status = { ...status, conditions: conds };
    return next;
  }, { dryRun });
  const s: Status = { ...successStatus(), code: 201 };
  writeObject(res, 201, s);
}

// ---------- pods/eviction ----------

function disruptionBudgetStatus(message: string, cause?: string): ApiError {
  return new ApiError(429, 'TooManyRequests', message, {
    causes: cause ? [{ reason: 'DisruptionBudget', message: cause }] : undefined,
    retryAfterSeconds: 0,
  });
}

export async function handleEviction(ctx: RestContext, r: RestRequest, req: IncomingMessage, res: ServerResponse, deleter: Deleter): Promise<void> {
  if (req.method !== 'POST') throw ApiError.methodNotAllowed(req.method ?? '', 'pods/eviction');
  const body = decodeObjectBody(await readBody(req), contentTypeOf(req), { kind: 'Eviction', version: 'v1' });
  const { served, target } = r;
  if (body.kind && body.kind !== 'Eviction') throw ApiError.badRequest(`${String(body.kind)} in version "v1" cannot be handled as a Eviction`);
  if (body.metadata.name && body.metadata.name !== target.name) throw ApiError.badRequest('name in URL does not match name in Eviction object');
  const deleteOptions = ((body.deleteOptions ?? {}) as DeleteOptions);
  const dryRun = (deleteOptions.dryRun ?? []).includes('All') || isDryRun(r.query);
  const pod = await served.registry.get(target.namespace, target.name!);
  const phase = ((pod.status ?? {}) as Obj).phase;
  const skipPdb = phase === 'Succeeded' || phase === 'Failed' || phase === 'Pending' || !!pod.metadata.deletionTimestamp;
  const pdbs = ctx.byKind('policy', 'PodDisruptionBudget');
  if (!skipPdb && pdbs) {
    const list = await ctx.store.list(pdbs.registry.prefix(target.namespace));
    const matching: KubeObject[] = [];
    for (const kv of list.kvs) {
      const pdb = JSON.parse(kv.value) as KubeObject;
      pdb.metadata.resourceVersion = String(kv.modRevision);
      const sel = (pdb.spec as Obj | undefined)?.selector as LabelSelectorSpec | undefined;
      let matches = false;
      try { matches = !!sel && (Object.keys(sel).length > 0) && selectorFromSpec(sel).matches(pod.metadata.labels); } catch { matches = false; }
      if (matches) matching.push(pdb);
    }
    if (matching.length > 1) throw ApiError.internal('This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.');
    if (matching.length === 1) {
      const pdb = matching[0];
      const pdbName = pdb.metadata.name!;
      await pdbs.registry.guaranteedUpdate(target.namespace, pdbName, (cur) => {
        if (!cur) throw pdbs.registry.notFound(pdbName);
        const st = (cur.status ?? {}) as Obj;
        const observed = (st.observedGeneration as number | undefined) ?? 0;
        if (observed < (cur.metadata.generation ?? 0)) {
          throw disruptionBudgetStatus("Cannot evict pod as it would violate the pod's disruption budget.", `The disruption budget ${pdbName} is still being processed by the server.`);
        }
        const allowed = (st.disruptionsAllowed as number | undefined) ?? 0;
        if (allowed <= 0) {
          throw disruptionBudgetStatus("Cannot evict pod as it would violate the pod's disruption budget.",
            `The disruption budget ${pdbName} needs ${(st.desiredHealthy as number | undefined) ?? 0} healthy pods and has ${(st.currentHealthy as number | undefined) ?? 0} currently`);
        }
        const disrupted = { ...((st.disruptedPods as Obj | undefined) ?? {}) };
        if (Object.keys(disrupted).length > 2000) throw disruptionBudgetStatus('DisruptedPods map too big - too many evictions not confirmed by PDB controller');
        disrupted[target.name!] = rfc3339(ctx.clock.now());
        const next = cloneJson(cur);
        next.status = { ...st, disruptionsAllowed: allowed - 1, disruptedPods: disrupted };
        return next;
      }, { dryRun });
    }
  }
  if (!dryRun) await deleter(served, target.namespace, target.name!, deleteOptions);
  writeObject(res, 201, { ...successStatus(), code: 201 });
}

// ---------- pods/ephemeralcontainers ----------

function ecName(c: unknown): string { return String((c as Obj).name ?? ''); }

export async function handleEphemeralContainers(ctx: RestContext, r: RestRequest, req: IncomingMessage, res: ServerResponse, ext: PatchExtensions): Promise<void> {
  const out = negotiateOutput(req.headers.accept);
  const { served, target } = r;
  if (req.method === 'GET') {
    const obj = await served.registry.get(target.namespace, target.name!);
    writeObject(res, 200, renderOne(ctx, served, obj, out, r.query), out.format);
    return;
  }
  if (req.method !== 'PUT' && req.method !== 'PATCH') throw ApiError.methodNotAllowed(req.method ?? '', 'pods/ephemeralcontainers');
  const dryRun = isDryRun(r.query, req.method === 'PUT' ? 'UpdateOptions' : 'PatchOptions');
  const ct = contentTypeOf(req);
  const buf = await readBody(req);
  const body: unknown = req.method === 'PUT' ? decodeObjectBody(buf, ct, { kind: 'Pod', version: 'v1' }) : parseDocument(buf, 'application/json');
  const { obj } = await served.registry.guaranteedUpdate(target.namespace, target.name!, (cur) => {
    if (!cur) throw served.registry.notFound(target.name!);
    let wanted: KubeObject;
    if (req.method === 'PUT') {
      wanted = body as KubeObject;
      const rv = wanted.metadata.resourceVersion;
      if (rv && rv !== cur.metadata.resourceVersion) throw served.registry.conflict(target.name!);
    } else if (ct === 'application/json-patch+json') wanted = applyJsonPatch(cur, body);
    else if (ct === 'application/merge-patch+json') wanted = applyMergePatch(cur, body);
    else if (ct === 'application/strategic-merge-patch+json' && ext.strategicMerge) wanted = ext.strategicMerge(cur, body, served);
    else throw unsupportedMediaType(ct, ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json']);
    const oldEcs = (((cur.spec ?? {}) as Obj).ephemeralContainers as unknown[] | undefined) ?? [];
    const newEcs = (((wanted.spec ?? {}) as Obj).ephemeralContainers as unknown[] | undefined) ?? [];
    const byName = new Map(newEcs.map((c) => [ecName(c), c]));
    for (const old of oldEcs) {
      const now = byName.get(ecName(old));
      if (!now) {
        throw ApiError.invalid('Pod', target.name!, [{ type: 'FieldValueForbidden', field: 'spec.ephemeralContainers', detail: `existing ephemeral containers ${JSON.stringify(ecName(old))} may not be removed` }]);
      }
      if (JSON.stringify(now) !== JSON.stringify(old)) {
        throw ApiError.invalid('Pod', target.name!, [{ type: 'FieldValueForbidden', field: 'spec.ephemeralContainers', detail: `existing ephemeral containers ${JSON.stringify(ecName(old))} may not be changed` }]);
      }
    }
    const taken = new Set([...((((cur.spec ?? {}) as Obj).containers as Obj[] | undefined) ?? []), ...((((cur.spec ?? {}) as Obj).initContainers as Obj[] | undefined) ?? [])].map(ecName));
    const targets = new Set(taken); // a target is a container or init container, never another ephemeral one
    const errs: FieldError[] = [];
    newEcs.forEach((c, i) => {
      const n = ecName(c);
      const path = `spec.ephemeralContainers[${i}]`;
      if (!n) errs.push({ type: 'FieldValueRequired', field: `${path}.name`, detail: '' });
      else if (taken.has(n)) errs.push({ type: 'FieldValueDuplicate', field: `${path}.name`, badValue: n });
      taken.add(n);
      if (!(c as Obj).image) errs.push({ type: 'FieldValueRequired', field: `${path}.image`, detail: '' });
      const target = (c as Obj).targetContainerName;
      if (typeof target === 'string' && target && !targets.has(target)) errs.push({ type: 'FieldValueNotFound', field: `${path}.targetContainerName`, badValue: target });
      for (const f of ['ports', 'livenessProbe', 'readinessProbe', 'startupProbe', 'lifecycle', 'resources']) {
        const v = (c as Obj)[f];
        if (v !== undefined && !(f === 'resources' && v && typeof v === 'object' && Object.keys(v).length === 0)) {
          errs.push({ type: 'FieldValueForbidden', field: `${path}.${f}`, detail: 'cannot be set for an Ephemeral Container' });
        }
      }
    });
    if (errs.length) throw ApiError.invalid('Pod', target.name!, errs);
    const next = cloneJson(cur);
    (next.spec as Obj).ephemeralContainers = newEcs;
    if (newEcs.length === 0) delete (next.spec as Obj).ephemeralContainers;
    return served.registry.prepareUpdate(next, cur, 'ephemeralcontainers', managerOf(req, r.query));
  }, { dryRun });
  writeObject(res, 200, renderOne(ctx, served, obj, out, r.query), out.format);
}

// ---------- namespaces/finalize ----------

export async function handleFinalize(ctx: RestContext, r: RestRequest, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'PUT') throw ApiError.methodNotAllowed(req.method ?? '', 'namespaces/finalize');
  const out = negotiateOutput(req.headers.accept);
  const body = decodeObjectBody(await readBody(req), contentTypeOf(req), { kind: 'Namespace', version: 'v1' });
  const { served, target } = r;
  const { obj } = await served.registry.guaranteedUpdate(undefined, target.name!, (cur) => {
    if (!cur) throw served.registry.notFound(target.name!);
    const rv = body.metadata.resourceVersion;
    if (rv && rv !== cur.metadata.resourceVersion) throw served.registry.conflict(target.name!);
    const next = cloneJson(cur);
    const fin = ((body.spec as Obj | undefined)?.finalizers as string[] | undefined) ?? [];
    next.spec = { ...((next.spec as Obj) ?? {}), finalizers: fin };
    if (fin.length === 0) delete (next.spec as Obj).finalizers;
    return next;
  });
  writeObject(res, 200, renderOne(ctx, served, obj, out, r.query), out.format);
}
