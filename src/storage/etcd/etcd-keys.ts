/**
 * Store keys ↔ etcd keys. A store key `k` is the etcd key `prefix + k` (UTF-8 bytes); a prefix scan
 * is etcd's half-open byte range [start, end), where end is the prefix with its last byte that is
 * below 0xff incremented ("\0" = no upper bound, as etcd reads range_end). etcd orders keys by
 * bytes; for the ASCII keys the API server writes that is the order of JS strings too.
 */
import type { IKeyValue } from 'etcd3';
import type { KeyValue } from '../store.js';

const NUL = Buffer.from([0]);

/** The first byte string after every string that starts with `b`; "\0" when there is none. */
export function bytesPrefixEnd(b: Buffer): Buffer {
  for (let i = b.length - 1; i >= 0; i--) {
    if (b[i]! < 0xff) {
      const out = Buffer.from(b.subarray(0, i + 1));
      out[i]! += 1;
      return out;
    }
  }
  return NUL;
}

export interface ByteRange { key: Buffer; range_end: Buffer }

export class EtcdKeys {
  readonly prefix: Buffer;

  constructor(prefix: string) {
    this.prefix = Buffer.from(prefix, 'utf8');
  }

  encode(key: string): Buffer {
    return this.prefix.length ? Buffer.concat([this.prefix, Buffer.from(key, 'utf8')]) : Buffer.from(key, 'utf8');
  }

  decode(key: Buffer): string {
    return key.subarray(this.prefix.length).toString('utf8');
  }

  /** True when the etcd key belongs to this store. */
  owns(key: Buffer): boolean {
    return key.length >= this.prefix.length && key.subarray(0, this.prefix.length).equals(this.prefix);
  }

  /**
   * The etcd range of store keys under `prefix`, from `startKey` (inclusive) when it lies inside;
   * undefined when the range is empty (startKey at or past the end).
   */
  range(prefix: string, startKey?: string): ByteRange | undefined {
    const lo = this.encode(prefix);
    const end = bytesPrefixEnd(lo);
    let key = lo.length ? lo : NUL;
    if (startKey !== undefined) {
      const s = this.encode(startKey);
      if (Buffer.compare(s, key) > 0) key = s;
    }
    const bounded = !(end.length === 1 && end[0] === 0);
    if (bounded && Buffer.compare(key, end) >= 0) return undefined;
    return { key, range_end: end };
  }

  /** Every key of this store (the whole keyspace when the prefix is empty). */
  all(): ByteRange {
    return this.range('')!;
  }

  toKeyValue(kv: IKeyValue): KeyValue {
    return {
      key: this.decode(kv.key),
      value: kv.value.toString('utf8'),
      createRevision: Number(kv.create_revision),
      modRevision: Number(kv.mod_revision),
    };
  }
}

/** The whole etcd keyspace: key "\0", range_end "\0". */
export const everything: ByteRange = { key: NUL, range_end: NUL };
