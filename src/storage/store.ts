/**
 * The storage seam: a revisioned, watchable key-value store with etcd/kine semantics.
 *
 * - Every successful write (create, update, delete) gets a new, strictly increasing global
 *   revision. A Kubernetes object's `resourceVersion` is the `modRevision` of its key.
 *   A new, empty store is at revision 1, as etcd is (so no resourceVersion is ever "0", which
 *   Kubernetes clients read as "any version"); a failed write uses no revision.
 * - `create` fails with KeyExistsError when the key exists (and is not deleted).
 * - `update` and `delete` are compare-and-swap on `modRevision` (pass `expectedRevision`);
 *   a mismatch throws ConflictError, a missing key throws KeyNotFoundError.
 * - `list` reads a consistent snapshot at a revision (default: current), in key order,
 *   from `startKey` (inclusive), at most `limit` entries, and says whether more follow.
 * - `watch` replays every event after `fromRevision` (exclusive), then streams live events,
 *   with no gap and no duplicate. A `fromRevision` below the compaction point ends the watch
 *   at once through `onError(CompactedError)`; one above the current revision simply waits
 *   for that revision (as etcd does).
 * - `get`/`list` at a revision above the current one throw FutureRevisionError.
 * - `compact(rev)` forgets history at and below `rev` (except the latest value of every live
 *   key); reads and watches at a compacted revision throw CompactedError.
 *   As in etcd, the state *at* `rev` itself stays readable: get/list with a revision below the
 *   compact revision, and watches from below it, fail with CompactedError; a read at exactly the
 *   compact revision, and a watch from it (events after it, with prevKv), still work.
 *   (`src/storage/store-contract.ts` is the executable form of these rules.)
 *
 * Keys are plain strings such as `/registry/pods/default/web`. Values are opaque strings
 * (the API server stores JSON).
 */

export interface KeyValue {
  key: string;
  value: string;
  /** Revision at which the key was created (since its last deletion). */
  createRevision: number;
  /** Revision of the last write to the key: the object's resourceVersion. */
  modRevision: number;
}

export type WatchEventType = 'PUT' | 'DELETE';

export interface WatchEvent {
  type: WatchEventType;
  /** For PUT: the new value. For DELETE: key + the deleted value, modRevision = the delete's revision. */
  kv: KeyValue;
  /** The value before this write (absent for a create). */
  prevKv?: KeyValue;
  /** The revision of this event (equals kv.modRevision). */
  revision: number;
}

export interface ListOptions {
  /** Read at this revision (0 or undefined = current). CompactedError if compacted. */
  revision?: number;
  /** First key to return (inclusive); used for pagination (`continue`). */
  startKey?: string;
  /** Maximum number of entries (0 or undefined = no limit). */
  limit?: number;
}

export interface ListResult {
  kvs: KeyValue[];
  /** The revision the list was read at. */
  revision: number;
  /** True when entries beyond `limit` exist. */
  more: boolean;
}

export interface GetResult {
  kv?: KeyValue;
  /** Current store revision when read. */
  revision: number;
}

export interface Watcher {
  /** Stop the watch; no events are delivered after it returns. */
  cancel(): void;
}

export interface WatchOptions {
  /** Replay events with revision > fromRevision, then live. 0 = only live events from now. */
  fromRevision: number;
  /** Called for every event, in revision order. Errors thrown by it are ignored by the store. */
  onEvent: (ev: WatchEvent) => void;
  /** Called once if the watch ends because of an error (e.g. the store closed, or compaction while replaying). */
  onError?: (err: Error) => void;
  /**
   * Called after replay is complete and with progress (revision with no matching events) so
   * that the API server can send bookmarks. Optional.
   */
  onProgress?: (revision: number) => void;
}

export interface Store {
  get(key: string, opts?: { revision?: number }): Promise<GetResult>;
  /** All keys starting with `prefix`. */
  list(prefix: string, opts?: ListOptions): Promise<ListResult>;
  /** Count of live keys under the prefix at the current revision. */
  count(prefix: string): Promise<{ count: number; revision: number }>;
  /** Returns the new KeyValue (its modRevision is the new revision). */
  create(key: string, value: string): Promise<KeyValue>;
  /** CAS on modRevision. Returns the new KeyValue. */
  update(key: string, value: string, expectedRevision: number): Promise<KeyValue>;
  /** CAS on modRevision when expectedRevision is given. Returns the deleted KeyValue with modRevision = delete revision. */
  delete(key: string, expectedRevision?: number): Promise<KeyValue>;
  watch(prefix: string, opts: WatchOptions): Watcher;
  /** Forget history at and below `revision`. */
  compact(revision: number): Promise<void>;
  /** The newest revision. */
  currentRevision(): Promise<number>;
  /** The newest compacted revision (0 if none). */
  compactRevision(): Promise<number>;
  close(): Promise<void>;
}

export class StoreError extends Error {}
export class KeyExistsError extends StoreError {
  constructor(readonly key: string) { super(`key exists: ${key}`); }
}
export class KeyNotFoundError extends StoreError {
  constructor(readonly key: string) { super(`key not found: ${key}`); }
}
export class ConflictError extends StoreError {
  constructor(readonly key: string, readonly expected: number, readonly actual: number) {
    super(`revision conflict on ${key}: expected ${expected}, actual ${actual}`);
  }
}
export class CompactedError extends StoreError {
  constructor(readonly requested: number, readonly compacted: number) {
    super(`revision ${requested} has been compacted (compacted revision ${compacted})`);
  }
}
export class FutureRevisionError extends StoreError {
  constructor(readonly requested: number, readonly current: number) {
    super(`revision ${requested} is in the future (current revision ${current})`);
  }
}
export class StoreClosedError extends StoreError {
  constructor() { super('store is closed'); }
}
