/**
 * A Store that records how long each operation takes (for /metrics), around any backend.
 * Watches are passed through untouched (they are long-running, not latency-bound).
 */
import type { Store, GetResult, ListResult, KeyValue, ListOptions, WatchOptions, Watcher } from './store.js';

export type ObserveFn = (operation: string, seconds: number) => void;

export function instrumentStore(store: Store, observe: ObserveFn): Store {
  const timed = async <T>(op: string, fn: () => Promise<T>): Promise<T> => {
    const t0 = process.hrtime.bigint();
    try {
      return await fn();
    } finally {
      observe(op, Number(process.hrtime.bigint() - t0) / 1e9);
    }
  };
  return {
    get: (key, opts) => timed<GetResult>('get', () => store.get(key, opts)),
    list: (prefix, opts?: ListOptions) => timed<ListResult>('list', () => store.list(prefix, opts)),
    count: (prefix) => timed('count', () => store.count(prefix)),
    create: (key, value) => timed<KeyValue>('create', () => store.create(key, value)),
    update: (key, value, rev) => timed<KeyValue>('update', () => store.update(key, value, rev)),
    delete: (key, rev) => timed<KeyValue>('delete', () => store.delete(key, rev)),
    watch: (prefix: string, opts: WatchOptions): Watcher => store.watch(prefix, opts),
    compact: (rev) => timed('compact', () => store.compact(rev)),
    currentRevision: () => store.currentRevision(),
    compactRevision: () => store.compactRevision(),
    close: () => store.close(),
  };
}
