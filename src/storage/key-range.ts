/**
 * Key ranges for prefix scans. A prefix `p` covers the half-open range [p, prefixEnd(p)):
 * every key that starts with `p`, and nothing else (so '/registry/pods/' never matches
 * '/registry/podsx/...'). Keys compare as plain JS strings (UTF-16 code units); for the ASCII
 * keys the API server writes this is the same order as SQLite's BINARY collation.
 */

/** The smallest string greater than every string that starts with `prefix`; null = no upper bound. */
export function prefixEnd(prefix: string): string | null {
  let i = prefix.length - 1;
  while (i >= 0 && prefix.charCodeAt(i) === 0xffff) i--;
  if (i < 0) return null;
  return prefix.slice(0, i) + String.fromCharCode(prefix.charCodeAt(i) + 1);
}

export interface KeyRange {
  /** Inclusive lower bound. */
  lo: string;
  /** Exclusive upper bound; null = unbounded. */
  hi: string | null;
  /** True when the range is empty (startKey past the prefix). */
  empty: boolean;
}

/** The range of keys under `prefix`, starting at `startKey` (inclusive) when given. */
export function keyRange(prefix: string, startKey?: string): KeyRange {
  const hi = prefixEnd(prefix);
  let lo = prefix;
  if (startKey !== undefined && startKey > lo) lo = startKey;
  const empty = hi !== null && lo >= hi;
  return { lo, hi, empty };
}

export function inRange(key: string, r: KeyRange): boolean {
  return key >= r.lo && (r.hi === null || key < r.hi);
}
