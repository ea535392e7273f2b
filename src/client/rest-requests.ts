/**
 * How a KubeClient call becomes a REST request and how its answer becomes a result or an error,
 * shared by both transports (http-client.ts, in-process-client.ts) so they cannot drift apart.
 */
import type { Status } from '../api/errors.js';
import { StatusError } from './errors.js';
import type { DeleteOptions, ListOptions, PatchType, ResourceRef, WatchOptions, WriteOptions } from './types.js';

export const patchContentTypes: Record<PatchType, string> = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
};

export function resourcePath(r: ResourceRef, namespace: string | undefined, name?: string, subresource?: string): string {
  let p = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
  if (r.namespaced && namespace) p += `/namespaces/${encodeURIComponent(namespace)}`;
  p += `/${r.resource}`;
  if (name !== undefined) p += `/${encodeURIComponent(name)}`;
  if (subresource) p += `/${subresource}`;
  return p;
}

export function queryString(params: Record<string, string | number | boolean | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

export const listQuery = (o: ListOptions): string => queryString({
  labelSelector: o.labelSelector, fieldSelector: o.fieldSelector, limit: o.limit, continue: o.continue, resourceVersion: o.resourceVersion, resourceVersionMatch: o.resourceVersionMatch,
});

export const watchQuery = (o: WatchOptions): string => queryString({
  watch: 'true', labelSelector: o.labelSelector, fieldSelector: o.fieldSelector, resourceVersion: o.resourceVersion, allowWatchBookmarks: o.allowWatchBookmarks, timeoutSeconds: o.timeoutSeconds,
});

export const writeQuery = (o: WriteOptions & { force?: boolean }): string => queryString({ dryRun: o.dryRun ? 'All' : undefined, fieldManager: o.fieldManager, force: o.force });

export const deleteBody = (o: DeleteOptions): Record<string, unknown> => ({ kind: 'DeleteOptions', apiVersion: 'v1', ...o, dryRun: o.dryRun ? ['All'] : undefined });

/** A finished answer: the parsed body for 2xx, else the server's Status as a StatusError. */
export function answerOf<T>(method: string, path: string, code: number, text: string): T {
  let parsed: unknown;
  try { parsed = text ? JSON.parse(text) : undefined; } catch { parsed = undefined; }
  if (code >= 200 && code < 300) return (parsed ?? text) as T;
  throw statusError(method, path, code, parsed, text);
}

export function statusError(method: string, path: string, code: number, parsed: unknown, text: string): StatusError {
  const status = parsed && (parsed as Status).kind === 'Status' ? (parsed as Status) : undefined;
  return new StatusError(code, status, status?.message ?? `${method} ${path}: HTTP ${code}: ${text.slice(0, 200)}`);
}
