/**
 * The KubeClient verbs as REST requests, once for both transports: a transport (http-client.ts,
 * in-process-client.ts) supplies `request` (one answer) and `watch` (a stream); get, list, create,
 * update, patch and delete are the same paths, queries and bodies over either.
 */
import type { KubeObject, KubeList } from '../api/object.js';
import { deleteBody, listQuery, patchContentTypes, resourcePath, writeQuery } from './rest-requests.js';
import type { KubeClient, ResourceRef, ListOptions, WatchOptions, WatchEvent, WatchHandle, WriteOptions, PatchType, DeleteOptions } from './types.js';

export abstract class RestClient implements KubeClient {
  /** Raw request: resolves with the parsed JSON answer; non-2xx → StatusError. */
  abstract request<T = unknown>(method: string, path: string, body?: unknown, contentType?: string): Promise<T>;

  abstract watch<T extends KubeObject>(r: ResourceRef, ns: string | undefined, o: WatchOptions, onEvent: (ev: WatchEvent<T>) => void): WatchHandle;

  get<T extends KubeObject>(r: ResourceRef, ns: string | undefined, name: string, opts: { subresource?: string } = {}): Promise<T> {
    return this.request<T>('GET', resourcePath(r, ns, name, opts.subresource));
  }

  list<T extends KubeObject>(r: ResourceRef, ns: string | undefined, o: ListOptions = {}): Promise<KubeList<T>> {
    return this.request<KubeList<T>>('GET', resourcePath(r, ns) + listQuery(o));
  }

  create<T extends KubeObject>(r: ResourceRef, ns: string | undefined, obj: KubeObject, o: WriteOptions & { name?: string } = {}): Promise<T> {
    const path = o.subresource ? resourcePath(r, ns, o.name ?? obj.metadata.name, o.subresource) : resourcePath(r, ns);
    return this.request<T>('POST', path + writeQuery(o), obj);
  }

  update<T extends KubeObject>(r: ResourceRef, ns: string | undefined, obj: T, o: WriteOptions = {}): Promise<T> {
    return this.request<T>('PUT', resourcePath(r, ns, obj.metadata.name, o.subresource) + writeQuery(o), obj);
  }

  patch<T extends KubeObject>(r: ResourceRef, ns: string | undefined, name: string, type: PatchType, patch: unknown, o: WriteOptions & { force?: boolean } = {}): Promise<T> {
    return this.request<T>('PATCH', resourcePath(r, ns, name, o.subresource) + writeQuery(o), patch, patchContentTypes[type]);
  }

  delete(r: ResourceRef, ns: string | undefined, name: string, o: DeleteOptions = {}): Promise<KubeObject> {
    return this.request<KubeObject>('DELETE', resourcePath(r, ns, name), deleteBody(o));
  }
}
