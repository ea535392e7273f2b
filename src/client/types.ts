/**
 * The client seam: how controllers, the scheduler and agents read and write the API.
 * One interface, two transports: HTTP(S) to any peapod/Kubernetes API server (http-client.ts), and
 * direct calls into the REST core of the server's own process (in-process-client.ts, for the
 * controllers and the scheduler). Both pass one contract (kube-client.contract.ts). Everything goes
 * through the API; nothing reaches into the store.
 */
import type { KubeObject, KubeList } from '../api/object.js';

/** Which resource a call addresses. */
export interface ResourceRef {
  group: string;
  version: string;
  /** Plural resource name, e.g. `pods`. */
  resource: string;
  kind: string;
  namespaced: boolean;
}

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: 'Exact' | 'NotOlderThan';
}

export interface WatchOptions {
  labelSelector?: string;
  fieldSelector?: string;
  resourceVersion?: string;
  allowWatchBookmarks?: boolean;
  timeoutSeconds?: number;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchEvent<T = KubeObject> {
  type: WatchEventType;
  object: T;
}

export interface WatchHandle {
  stop(): void;
  /** Resolves when the watch ends (server closed it, stop() was called, or an error; see `error`). */
  done: Promise<void>;
  error?: Error;
}

export interface WriteOptions {
  dryRun?: boolean;
  fieldManager?: string;
  /** For update/patch: the subresource, e.g. `status`, `scale`. */
  subresource?: string;
}

export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
}

export interface KubeClient {
  get<T extends KubeObject = KubeObject>(r: ResourceRef, namespace: string | undefined, name: string, opts?: { subresource?: string }): Promise<T>;
  list<T extends KubeObject = KubeObject>(r: ResourceRef, namespace: string | undefined, opts?: ListOptions): Promise<KubeList<T>>;
  create<T extends KubeObject = KubeObject>(r: ResourceRef, namespace: string | undefined, obj: T | KubeObject, opts?: WriteOptions & { name?: string }): Promise<T>;
  update<T extends KubeObject = KubeObject>(r: ResourceRef, namespace: string | undefined, obj: T, opts?: WriteOptions): Promise<T>;
  patch<T extends KubeObject = KubeObject>(r: ResourceRef, namespace: string | undefined, name: string, type: PatchType, patch: unknown, opts?: WriteOptions & { force?: boolean }): Promise<T>;
  delete(r: ResourceRef, namespace: string | undefined, name: string, opts?: DeleteOptions): Promise<KubeObject>;
  watch<T extends KubeObject = KubeObject>(r: ResourceRef, namespace: string | undefined, opts: WatchOptions, onEvent: (ev: WatchEvent<T>) => void): WatchHandle;
}
