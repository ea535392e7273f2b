/**
 * get, list and watch. Lists stream page by page from the store (no whole-list copies); watches
 * come from the per-resource watch cache; Table and PartialObjectMetadata renderings on request.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from '../api/errors.js';
import type { KubeObject } from '../api/object.js';
import { parseFieldSelector, parseLabelSelector, SelectorError, type FieldSelector, type LabelSelector } from '../api/selectors.js';
import type { ResourceDef } from '../api/resources/types.js';
import { CompactedError, type KeyValue } from '../storage/store.js';
import type { RestContext, RestRequest, Served } from './context.js';
import { drain, negotiateOutput, serialize, contentTypeFor, writeObject, writeStatus, type OutputKind } from './http-util.js';
import { cloneJson, decodeObject, injectResourceVersion } from './object-codec.js';
import { columnDefinitions, parseIncludeObject, partialMetadata, tableRow } from './table.js';
import { toApiError, tooLargeResourceVersion } from './store-errors.js';
import { directWatch, type CachedEvent, type Subscription } from './watch-cache.js';

const pageSize = 500;

export interface Filter {
  label: LabelSelector;
  field: FieldSelector;
  matches(obj: KubeObject): boolean;
  trivial: boolean;
}

export function fieldValue(def: ResourceDef, obj: KubeObject, field: string): string | undefined {
  if (field === 'metadata.name') return obj.metadata.name ?? '';
  if (field === 'metadata.namespace') return obj.metadata.namespace ?? '';
  return def.fieldSelectors?.[field]?.(obj);
}

export function buildFilter(def: ResourceDef, query: URLSearchParams): Filter {
  let label: LabelSelector;
  let field: FieldSelector;
  try {
    label = parseLabelSelector(query.get('labelSelector') ?? '');
    field = parseFieldSelector(query.get('fieldSelector') ?? '');
  } catch (e) {
    if (e instanceof SelectorError) throw ApiError.badRequest(e.message);
    throw e;
  }
  for (const r of field.requirements) {
    if (r.field !== 'metadata.name' && r.field !== 'metadata.namespace' && !def.fieldSelectors?.[r.field]) {
      throw ApiError.badRequest(`field label not supported: ${r.field}`);
    }
  }
  return {
    label,
    field,
    trivial: label.empty() && field.empty(),
    matches: (obj) => label.matches(obj.metadata.labels) && field.matches((f) => fieldValue(def, obj, f)),
  };
}

interface ContinueToken { v: string; rv: number; start: string }

export function encodeContinue(rv: number, start: string): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv, start })).toString('base64url');
}

export function decodeContinue(token: string): ContinueToken {
  try {
    const t = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as ContinueToken;
    if (t.v !== 'meta.k8s.io/v1' || typeof t.rv !== 'number' || typeof t.start !== 'string') throw new Error('bad');
    return t;
  } catch {
    throw ApiError.badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  }
}

function invalidListOptions(field: string, value: unknown, detail: string, type: 'FieldValueInvalid' | 'FieldValueForbidden' = 'FieldValueInvalid'): ApiError {
  return ApiError.invalid('ListOptions', '', [{ type, field, badValue: value, detail }], 'meta.k8s.io');
}

function parseRV(v: string | null): number | undefined {
  if (v === null || v === '') return undefined;
  if (!/^\d+$/.test(v)) throw ApiError.badRequest(`invalid resource version: strconv.ParseUint: parsing ${JSON.stringify(v)}: invalid syntax`);
  return Number(v);
}

/** The ADDED/MODIFIED/DELETED a filtered watcher sees for one event (undefined = nothing). */
export function filteredEvent(ev: CachedEvent, f: Filter): 'ADDED' | 'MODIFIED' | 'DELETED' | undefined {
  if (f.trivial) return ev.type;
  const now = f.matches(ev.object);
  if (ev.type === 'ADDED') return now ? 'ADDED' : undefined;
  if (ev.type === 'DELETED') return now ? 'DELETED' : undefined;
  const before = ev.prevObject ? f.matches(ev.prevObject) : false;
  if (now && before) return 'MODIFIED';
  if (now) return 'ADDED';
  if (before) return 'DELETED';
  return undefined;
}

function render(served: Served, obj: KubeObject, out: OutputKind, now: number, include: ReturnType<typeof parseIncludeObject>): unknown {
  const apiObj = served.registry.toApi(obj);
  if (out.as === 'Table') {
    return { kind: 'Table', apiVersion: `meta.k8s.io/${out.version}`, metadata: { resourceVersion: apiObj.metadata.resourceVersion }, columnDefinitions: columnDefinitions(served.def), rows: [tableRow(served.def, apiObj, now, include, out.version)] };
  }
  if (out.as === 'PartialObjectMetadata' || out.as === 'PartialObjectMetadataList') return partialMetadata(apiObj, out.version);
  return apiObj;
}

export async function handleGet(ctx: RestContext, r: RestRequest, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const out = negotiateOutput(req.headers.accept);
  const { target, served } = r;
  const stored = await served.registry.getStored(target.namespace, target.name!);
  if (!stored) throw served.registry.notFound(target.name!);
  const body = render(served, stored.obj, out, ctx.clock.now(), parseIncludeObject(r.query.get('includeObject')));
  writeObject(res, 200, body, out.format);
}

class ClientGone extends Error {}

/** A writer for a streamed list body: items are written as they are produced, with backpressure. */
class ListWriter {
  private first = true;
  private pending = '';
  constructor(private readonly res: ServerResponse) {}
  async item(s: string): Promise<void> {
    this.pending += (this.first ? '' : ',') + s;
    this.first = false;
    if (this.pending.length >= 65536) await this.flush();
  }
  async raw(s: string): Promise<void> {
    this.pending += s;
    if (this.pending.length >= 65536) await this.flush();
  }
  async flush(): Promise<void> {
    // the client went away: stop producing the list
    if (this.res.destroyed) throw new ClientGone();
    if (!this.pending) return;
    const ok = this.res.write(this.pending);
    this.pending = '';
    if (!ok) await drain(this.res);
  }
}

interface ListPlan {
  revision: number;
  startKey?: string;
  limit: number;
}

async function planList(ctx: RestContext, r: RestRequest): Promise<ListPlan> {
  const q = r.query;
  const rvParam = q.get('resourceVersion');
  const match = q.get('resourceVersionMatch');
  const cont = q.get('continue');
  const limitParam = q.get('limit');
  const limit = limitParam ? Number(limitParam) : 0;
  if (limitParam && (!Number.isInteger(limit) || limit < 0)) throw ApiError.badRequest(`invalid limit: ${limitParam}`);
  const rv = parseRV(rvParam);
  if (match && rvParam === null) throw invalidListOptions('resourceVersionMatch', match, 'resourceVersionMatch is forbidden unless resourceVersion is provided', 'FieldValueForbidden');
  if (match && match !== 'Exact' && match !== 'NotOlderThan') throw invalidListOptions('resourceVersionMatch', match, 'supported values: "Exact", "NotOlderThan"');
  if (cont) {
    if (rvParam && rvParam !== '0') throw invalidListOptions('resourceVersion', rvParam, 'specifying resource version is not allowed when using continue', 'FieldValueForbidden');
    if (match) throw invalidListOptions('resourceVersionMatch', match, 'resourceVersionMatch is forbidden when continue is provided', 'FieldValueForbidden');
    const t = decodeContinue(cont);
    const compacted = await ctx.store.compactRevision();
    if (t.rv <= compacted) {
      throw new ApiError(410, 'Expired', 'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.');
    }
    return { revision: t.rv, startKey: r.served.registry.prefix(r.target.namespace).replace(/\/$/, '') + '/' + t.start, limit };
  }
  if (match === 'Exact') {
    if (rv === 0) throw invalidListOptions('resourceVersionMatch', match, 'resourceVersionMatch "exact" is forbidden for resourceVersion "0"', 'FieldValueForbidden');
    return { revision: rv!, limit };
  }
  if (rv !== undefined && rv > 0) {
    // NotOlderThan: wait (bounded, as Kubernetes: 3 s) for the revision, then read the newest state
    const ok = await r.served.cache.waitForRevision(rv, 3000, (fn, ms) => ctx.clock.setTimeout(fn, ms));
    if (!ok) throw tooLargeResourceVersion(rv, await ctx.store.currentRevision());
  }
  return { revision: 0, limit };
}

export async function handleList(ctx: RestContext, r: RestRequest, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const out = negotiateOutput(req.headers.accept);
  const { served, target } = r;
  const def = served.def;
  const filter = buildFilter(def, r.query);
  const plan = await planList(ctx, r);
  const include = parseIncludeObject(r.query.get('includeObject'));
  const now = ctx.clock.now();
  const prefix = served.registry.prefix(target.namespace);
  const nsFromField = def.namespaced ? filter.field.requiresExactMatch('metadata.namespace') : undefined;
  const exactName = filter.field.requiresExactMatch('metadata.name');

  const listKind = out.as === 'Table' ? 'Table' : out.as.startsWith('PartialObjectMetadata') ? 'PartialObjectMetadataList' : def.listKind;
  const listApiVersion = out.as === 'object' ? served.registry.apiVersion : `meta.k8s.io/${out.version}`;
  const fast = out.as === 'object' && out.format === 'json' && filter.trivial && !def.storage;

  // Collect (or stream) the items of one consistent snapshot.
  let revision = plan.revision;
  let startKey = plan.startKey ?? prefix;
  let more = false;
  let lastKey = '';
  let count = 0;
  const items: unknown[] = [];
  // the fast path keeps each item's JSON as stored (with its resourceVersion spliced in) and
  // concatenates: no parse and stringify again of every item of a page
  const itemTexts: string[] = [];
  const streaming = out.format === 'json' && plan.limit === 0;
  const w = new ListWriter(res);
  let headerWritten = false;
  const writeHeader = async (rev: number) => {
    headerWritten = true;
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
    let head = `{"kind":${JSON.stringify(listKind)},"apiVersion":${JSON.stringify(listApiVersion)},"metadata":{"resourceVersion":"${rev}"}`;
    if (out.as === 'Table') head += `,"columnDefinitions":${JSON.stringify(columnDefinitions(def))},"rows":[`;
    else head += ',"items":[';
    await w.raw(head);
  };
  const emit = async (kv: KeyValue) => {
    let itemJson: string | undefined;
    let item: unknown;
    if (fast) {
      itemJson = injectResourceVersion(kv.value, kv.modRevision);
    } else {
      const obj = decodeObject(kv);
      if (!filter.matches(obj)) return false;
      const apiObj = served.registry.toApi(obj);
      if (out.as === 'Table') item = tableRow(def, apiObj, now, include, out.version);
      else if (out.as === 'object') item = apiObj;
      else item = partialMetadata(apiObj, out.version);
    }
    if (streaming) await w.item(itemJson ?? JSON.stringify(item));
    else if (itemJson !== undefined) itemTexts.push(itemJson);
    else items.push(item);
    count++;
    return true;
  };

  try {
    if (exactName !== undefined && !plan.startKey && (!def.namespaced || target.namespace || nsFromField !== undefined)) {
      // a single key (kubectl get -w NAME uses metadata.name=NAME)
      const ns = target.namespace ?? nsFromField;
      const g = await ctx.store.get(served.registry.key(ns, exactName), plan.revision ? { revision: plan.revision } : undefined);
      revision = g.revision;
      if (streaming) await writeHeader(revision);
      if (g.kv) await emit(g.kv);
    } else {
      for (;;) {
        const want = plan.limit > 0 ? Math.min(pageSize, plan.limit - count) : pageSize;
        const page = await ctx.store.list(prefix, { revision: revision || undefined, startKey, limit: want });
        revision = page.revision;
        if (streaming && !headerWritten) await writeHeader(revision);
        for (let i = 0; i < page.kvs.length; i++) {
          const kv = page.kvs[i];
          lastKey = kv.key;
          await emit(kv);
          if (plan.limit > 0 && count >= plan.limit) {
            more = i < page.kvs.length - 1 || page.more;
            break;
          }
        }
        if (plan.limit > 0 && count >= plan.limit) break;
        if (!page.more || page.kvs.length === 0) break;
        startKey = page.kvs[page.kvs.length - 1].key + '\u0000';
      }
    }
  } catch (e) {
    if (e instanceof ClientGone) return;
    if (headerWritten) { res.destroy(); return; }
    if (e instanceof CompactedError) {
      if (plan.startKey) {
        throw new ApiError(410, 'Expired', 'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.');
      }
      throw ApiError.gone(`The resourceVersion for the provided list is too old.`);
    }
    throw toApiError(e, { resource: def.plural, group: def.group });
  }

  if (streaming) {
    try {
      if (!headerWritten) await writeHeader(revision);
      await w.raw(']}');
      await w.flush();
    } catch (e) {
      if (e instanceof ClientGone) return;
      throw e;
    }
    res.end();
    return;
  }
  const meta: Record<string, unknown> = { resourceVersion: String(revision) };
  if (more) {
    meta.continue = encodeContinue(revision, lastKey.slice(prefix.length) + '\u0000');
    if (filter.trivial && !plan.startKey) {
      const c = await ctx.store.count(prefix);
      if (c.revision === revision) meta.remainingItemCount = Math.max(0, c.count - count);
    }
  }
  const body: Record<string, unknown> = { kind: listKind, apiVersion: listApiVersion, metadata: meta };
  let text: string;
  if (fast) {
    // exactly JSON.stringify(body) with items: JSON.stringify(JSON.parse(t)) === t for stored JSON
    const head = JSON.stringify(body);
    text = `${head.slice(0, -1)},"items":[${itemTexts.join(',')}]}`;
  } else {
    if (out.as === 'Table') { body.columnDefinitions = columnDefinitions(def); body.rows = items; } else body.items = items;
    text = serialize(body, out.format);
  }
  res.writeHead(200, { 'Content-Type': contentTypeFor(out.format), 'Cache-Control': 'no-cache, private', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** Watch: newline-delimited JSON events, chunked, one write per event. */
export async function handleWatch(ctx: RestContext, r: RestRequest, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const out = negotiateOutput(req.headers.accept);
  const { served, target, query } = r;
  const def = served.def;
  const filter = buildFilter(def, query);
  const include = parseIncludeObject(query.get('includeObject'));
  const rvParam = query.get('resourceVersion');
  const rv = parseRV(rvParam);
  const bookmarks = query.get('allowWatchBookmarks') === 'true' || query.get('allowWatchBookmarks') === '1';
  const sendInitialParam = query.get('sendInitialEvents');
  const match = query.get('resourceVersionMatch');
  if (sendInitialParam !== null) {
    if (match !== 'NotOlderThan') throw invalidListOptions('resourceVersionMatch', match ?? '', "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan", 'FieldValueForbidden');
    if (!bookmarks && sendInitialParam === 'true') throw invalidListOptions('allowWatchBookmarks', false, 'sendInitialEvents requires setting allowWatchBookmarks to true', 'FieldValueForbidden');
  } else if (match) {
    throw invalidListOptions('resourceVersionMatch', match, 'resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided', 'FieldValueForbidden');
  }
  const sendInitial = sendInitialParam !== null ? sendInitialParam === 'true' : rv === undefined || rv === 0;
  const timeoutParam = query.get('timeoutSeconds');
  // timeoutSeconds unset or 0: Kubernetes' default, a random time between 30 and 60 minutes
  const timeoutSeconds = timeoutParam ? Number(timeoutParam) : 0;
  if (Number.isNaN(timeoutSeconds) || timeoutSeconds < 0) throw ApiError.badRequest(`invalid timeoutSeconds: ${timeoutParam}`);
  const timeoutMs = timeoutSeconds > 0 ? timeoutSeconds * 1000 : (1800 + Math.floor(Math.random() * 1800)) * 1000;
  const prefix = served.registry.prefix(target.namespace);
  const now = () => ctx.clock.now();
  const exactName = filter.field.requiresExactMatch('metadata.name');
  const namePrefix = exactName !== undefined && (target.namespace || !def.namespaced) ? served.registry.key(target.namespace, exactName) : undefined;

  res.writeHead(200, { 'Content-Type': contentTypeFor(out.format === 'yaml' ? 'json' : out.format), 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
  res.flushHeaders();

  let closed = false;
  let sub: Subscription | undefined;
  let lastSent = 0;
  let firstTable = true;
  const timers: { cancel(): void }[] = [];
  const finish = () => {
    if (closed) return;
    closed = true;
    sub?.cancel();
    for (const t of timers) t.cancel();
    res.end();
  };
  res.on('close', finish);
  req.on('close', () => { if (!res.writableEnded) finish(); });

  const write = (type: string, obj: unknown) => {
    if (closed) return;
    res.write(`{"type":"${type}","object":${typeof obj === 'string' ? obj : JSON.stringify(obj)}}\n`);
    if (res.writableLength > 64 * 1024 * 1024) finish(); // a watcher that does not read is dropped, as Kubernetes does
  };
  const objectFor = (ev: CachedEvent): unknown => {
    if (out.as === 'object') {
      if (!def.storage) return (ev.json ??= JSON.stringify(ev.object));
      return served.registry.toApi(cloneJson(ev.object));
    }
    const apiObj = def.storage ? served.registry.toApi(cloneJson(ev.object)) : ev.object;
    if (out.as === 'Table') {
      const t = { kind: 'Table', apiVersion: `meta.k8s.io/${out.version}`, metadata: { resourceVersion: apiObj.metadata.resourceVersion }, columnDefinitions: firstTable ? columnDefinitions(def) : null, rows: [tableRow(def, apiObj, now(), include, out.version)] };
      firstTable = false;
      return t;
    }
    return partialMetadata(apiObj, out.version);
  };
  const deliver = (ev: CachedEvent) => {
    if (namePrefix !== undefined && ev.key !== namePrefix) return;
    const type = filteredEvent(ev, filter);
    if (!type) return;
    lastSent = Math.max(lastSent, ev.revision);
    write(type, objectFor(ev));
  };
  const bookmark = (rev: number, initialEnd = false) => {
    const meta: Record<string, unknown> = { resourceVersion: String(rev), creationTimestamp: null };
    if (initialEnd) meta.annotations = { 'k8s.io/initial-events-end': 'true' };
    write('BOOKMARK', { kind: def.kind, apiVersion: served.registry.apiVersion, metadata: meta });
  };
  const fail = (err: Error) => {
    const e = err instanceof CompactedError ? ApiError.gone(`too old resource version: ${err.requested} (${err.compacted})`) : toApiError(err, { resource: def.plural, group: def.group });
    write('ERROR', e.toStatus());
    finish();
  };

  timers.push(ctx.clock.setTimeout(finish, timeoutMs));
  try {
    let from = rv ?? 0;
    if (sendInitial) {
      // the current state as ADDED events, then changes after it
      let startKey = namePrefix ?? prefix;
      let revision = 0;
      for (;;) {
        const page = namePrefix !== undefined
          ? await ctx.store.get(namePrefix).then((g) => ({ kvs: g.kv ? [g.kv] : [], revision: g.revision, more: false }))
          : await ctx.store.list(prefix, { revision: revision || undefined, startKey, limit: pageSize });
        revision = page.revision;
        for (const kv of page.kvs) {
          if (closed) return;
          const obj = decodeObject(kv);
          if (!filter.matches(obj)) continue;
          write('ADDED', objectFor({ type: 'ADDED', revision: kv.modRevision, key: kv.key, object: obj }));
        }
        if (!page.more || page.kvs.length === 0) break;
        startKey = page.kvs[page.kvs.length - 1].key + '\u0000';
        if (!res.write('')) await drain(res);
      }
      from = revision;
      lastSent = revision;
      if (sendInitialParam === 'true') bookmark(revision, true);
    } else if (rv !== undefined && rv > 0) {
      const compacted = await ctx.store.compactRevision();
      if (rv < compacted) { fail(new CompactedError(rv, compacted)); return; }
    }
    if (closed) return;
    const listener = { onEvent: deliver, onError: fail };
    sub = await served.cache.subscribe(namePrefix ?? prefix, from, listener);
    if (!sub) sub = directWatch(ctx.store, namePrefix ?? prefix, from, listener);
    if (closed) { sub.cancel(); return; }
    if (bookmarks) {
      const tick = () => {
        if (closed) return;
        bookmark(Math.max(lastSent, served.cache.lastRevision));
        timers.push(ctx.clock.setTimeout(tick, ctx.bookmarkIntervalMs));
      };
      timers.push(ctx.clock.setTimeout(tick, ctx.bookmarkIntervalMs));
    }
  } catch (e) {
    fail(e as Error);
  }
}

export { writeStatus };
