/** Input checks at the Store boundary, shared by the backends: errors say what was wrong. */
import { CompactedError, FutureRevisionError, type ListOptions } from './store.js';

export function checkKey(key: unknown): asserts key is string {
  if (typeof key !== 'string' || key.length === 0) throw new TypeError(`store: key must be a non-empty string, got ${JSON.stringify(key)}`);
}

export function checkValue(value: unknown): asserts value is string {
  if (typeof value !== 'string') throw new TypeError(`store: value must be a string, got ${typeof value}`);
}

export function checkRevision(name: string, rev: unknown): asserts rev is number {
  if (typeof rev !== 'number' || !Number.isSafeInteger(rev) || rev < 0) {
    throw new RangeError(`store: ${name} must be a non-negative integer, got ${String(rev)}`);
  }
}

/** The revision a read happens at: 0/undefined = current; FutureRevisionError above it, CompactedError below the compaction point. */
export function readRevisionAt(revision: number | undefined, current: number, compacted: number): number {
  if (revision === undefined || revision === 0) return current;
  checkRevision('revision', revision);
  if (revision > current) throw new FutureRevisionError(revision, current);
  if (revision < compacted) throw new CompactedError(revision, compacted);
  return revision;
}

export function checkListOptions(prefix: unknown, opts: ListOptions): void {
  if (typeof prefix !== 'string') throw new TypeError(`store: prefix must be a string, got ${typeof prefix}`);
  if (opts.revision !== undefined) checkRevision('revision', opts.revision);
  if (opts.limit !== undefined) checkRevision('limit', opts.limit);
  if (opts.startKey !== undefined && typeof opts.startKey !== 'string') throw new TypeError('store: startKey must be a string');
}
