/**
 * Store on etcd v3 (the HA backend): the Store revision IS etcd's revision, so a resourceVersion
 * read through one peapod server is valid on every other server of the same etcd.
 *
 *   create  txn(createRevision(k) == 0 → put k)                        else KeyExistsError
 *   update  txn(modRevision(k) == expected ∧ createRevision(k) > 0 → put k (prevKv))
 *           else range k → KeyNotFoundError (absent) | ConflictError (actual modRevision)
 *   delete  txn([modRevision(k) == expected ∧] createRevision(k) > 0 → delete k (prevKv)) else as update
 *   get/list/count  range (at a revision; limit; key order; `more`), linearizable reads
 *   watch   etcd watch with prevKv, resumed across broken streams (etcd-watch.ts)
 *   compact etcd compaction (physical: the call returns when the history is gone)
 *
 * Keys live under `prefix` (default "": a store key such as /registry/pods/ns/a is that etcd key,
 * as kube-apiserver and k3s lay them out). Reads are retried while etcd is unreachable (up to
 * readRetryMs); writes only when the error proves they were not applied (no connection, no raft
 * leader), since a lost answer to a write must not apply it twice; otherwise they fail with the
 * gRPC error.
 *
 * compactRevision: etcd does not report its compaction point, but a watch from revision 1 is
 * cancelled with it when history was compacted. So: a range at revision max(1, known) (cheap)
 * tells whether anything newer was compacted; only then a probe watch from 1 asks for the exact
 * revision. This store's own compactions and every CompactedError it sees update `known`.
 */
import type { Etcd3, ICompare, IRangeRequest, IRangeResponse, IRequestOp, ITxnRequest, ITxnResponse, IWatchResponse } from 'etcd3';
import {
  CompactedError, ConflictError, FutureRevisionError, KeyExistsError, KeyNotFoundError, StoreClosedError,
  type GetResult, type KeyValue, type ListOptions, type ListResult, type Store, type WatchOptions, type Watcher,
} from '../store.js';
import { checkKey, checkListOptions, checkRevision, checkValue } from '../validate.js';
import { logger, type Logger } from '../../util/log.js';
import { createEtcdClient, type EtcdConnectionOptions } from './etcd-client.js';
import { EtcdKeys } from './etcd-keys.js';
import { EtcdWatch, closeWatchStream, type WatchBackend } from './etcd-watch.js';

export interface EtcdStoreOptions extends EtcdConnectionOptions {
  /** Prefix of every etcd key this store writes (default ""). */
  prefix?: string;
  /** How long reads keep retrying while etcd is unreachable, ms (default 3000). */
  readRetryMs?: number;
  /** Deadline of one call, ms (default 30000). */
  callTimeoutMs?: number;
}

const isCompacted = (e: unknown): boolean => e instanceof Error && e.message.includes('required revision has been compacted');
const isFuture = (e: unknown): boolean => e instanceof Error && e.message.includes('required revision is a future revision');
/** gRPC UNAVAILABLE (code 14) as etcd3 reports it: no connection, member down, no leader. */
const isUnavailable = (e: unknown): boolean =>
  e instanceof Error && (e.constructor.name === 'GRPCUnavailableError' || /\b14 UNAVAILABLE\b|no leader|leader changed/i.test(e.message));

/**
 * Errors that prove a write was never applied, so that sending it again cannot apply it twice:
 * no connection was established, or the member refused it for want of a raft leader.
 */
const isUnsent = (e: unknown): boolean =>
  e instanceof Error && /No connection established|ECONNREFUSED|etcdserver: no leader/.test(e.message);

export class EtcdStore implements Store {
  readonly keys: EtcdKeys;
  private readonly client: Etcd3;
  private readonly log: Logger;
  private closed = false;
  private closing?: Promise<void>;
  private knownCompact = 0;
  /** The newest revision seen in any answer from etcd (a live watch starts from it). */
  private newestSeen = 0;
  /**
   * The first read of the current revision, made at construction; every call waits for it, so that
   * a live-only watch opened before this client's first write starts below that write.
   */
  private readonly ready: Promise<void>;
  private readonly watches = new Set<EtcdWatch>();
  private readonly watchBackend: WatchBackend;
  private readonly readRetryMs: number;
  private readonly callTimeoutMs: number;
  readonly endpoints: string[];

  constructor(opts: EtcdStoreOptions) {
    this.client = createEtcdClient(opts);
    this.endpoints = [...opts.endpoints];
    this.keys = new EtcdKeys(opts.prefix ?? '');
    this.readRetryMs = opts.readRetryMs ?? 3000;
    this.callTimeoutMs = opts.callTimeoutMs ?? 30_000;
    this.log = logger('etcd-store', { endpoints: opts.endpoints.join(',') });
    this.watchBackend = {
      keys: this.keys,
      openWatchStream: () => this.client.watchClient.watch(),
      currentRevision: () => this.currentRevision(),
      closedError: () => (this.closed ? new StoreClosedError() : undefined),
      log: this.log,
      release: (w) => { this.watches.delete(w); },
      liveStart: async () => {
        await this.ready;
        return this.newestSeen || this.currentRevision();
      },
    };
    this.ready = this.client.kv.range({ key: this.keys.encode('\0'), count_only: true }, this.deadline())
      .then((res) => this.saw(res.header.revision), () => undefined);
  }

  /** The etcd client (for tools beside the store: raw benchmarks, migration checks). */
  get etcd(): Etcd3 { return this.client; }

  /** Active watches (for tests). */
  get watchCount(): number { return this.watches.size; }

  private open(): void {
    if (this.closed) throw new StoreClosedError();
  }

  private deadline() { return { deadline: Date.now() + this.callTimeoutMs }; }

  /** A read, retried while etcd is unreachable (up to readRetryMs). */
  private async read<T>(fn: () => Promise<T>): Promise<T> {
    await this.ready;
    const until = Date.now() + this.readRetryMs;
    for (let delay = 25; ; delay = Math.min(delay * 2, 500)) {
      this.open();
      try {
        return await fn();
      } catch (e) {
        if (this.closed) throw new StoreClosedError();
        if (!isUnavailable(e) || Date.now() + delay > until) throw e;
      }
      await new Promise((r) => setTimeout(r, delay));
    }
  }

  /** A write: retried (within readRetryMs) only when etcd surely did not apply it (isUnsent). */
  private async write<T>(fn: () => Promise<T>): Promise<T> {
    this.open();
    await this.ready;
    const until = Date.now() + this.readRetryMs;
    for (let delay = 25; ; delay = Math.min(delay * 2, 500)) {
      this.open();
      try {
        return await fn();
      } catch (e) {
        if (this.closed) throw new StoreClosedError();
        if (!isUnsent(e) || Date.now() + delay > until) throw e;
      }
      await new Promise((r) => setTimeout(r, delay));
    }
  }

  private async range(req: IRangeRequest): Promise<IRangeResponse> {
    const res = await this.read(() => this.client.kv.range(req, this.deadline()));
    this.saw(res.header.revision);
    return res;
  }

  private async txn(req: ITxnRequest): Promise<ITxnResponse> {
    const res = await this.write(() => this.client.kv.txn(req, this.deadline()));
    this.saw(res.header.revision);
    return res;
  }

  private saw(rev: string): void {
    const n = Number(rev);
    if (n > this.newestSeen) this.newestSeen = n;
  }

  /** Map etcd's compacted / future-revision answers for a read at `rev` onto the Store errors. */
  private async revisionError(e: unknown, rev: number): Promise<never> {
    if (isCompacted(e)) throw new CompactedError(rev, await this.compactRevision());
    if (isFuture(e)) throw new FutureRevisionError(rev, await this.currentRevision());
    throw e;
  }

  async get(key: string, opts: { revision?: number } = {}): Promise<GetResult> {
    this.open();
    checkKey(key);
    if (opts.revision !== undefined) checkRevision('revision', opts.revision);
    const rev = opts.revision || 0;
    let res: IRangeResponse;
    try {
      res = await this.range({ key: this.keys.encode(key), revision: rev });
    } catch (e) { return this.revisionError(e, rev); }
    const kv = res.kvs[0];
    return { kv: kv ? this.keys.toKeyValue(kv) : undefined, revision: Number(res.header.revision) };
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    this.open();
    checkListOptions(prefix, opts);
    const rev = opts.revision || 0;
    const range = this.keys.range(prefix, opts.startKey);
    let res: IRangeResponse;
    try {
      // An empty range still reads (at the revision) so that compacted/future revisions are reported.
      res = await this.range(range
        ? { key: range.key, range_end: range.range_end, revision: rev, limit: opts.limit || 0 }
        : { key: this.keys.encode(prefix), revision: rev, count_only: true });
    } catch (e) { return this.revisionError(e, rev); }
    const kvs = range ? res.kvs.map((kv) => this.keys.toKeyValue(kv)) : [];
    return { kvs, revision: rev || Number(res.header.revision), more: !!range && res.more };
  }

  async count(prefix: string): Promise<{ count: number; revision: number }> {
    this.open();
    checkListOptions(prefix, {});
    const range = this.keys.range(prefix)!;
    const res = await this.range({ key: range.key, range_end: range.range_end, count_only: true });
    return { count: Number(res.count), revision: Number(res.header.revision) };
  }

  async create(key: string, value: string): Promise<KeyValue> {
    this.open();
    checkKey(key);
    checkValue(value);
    const k = this.keys.encode(key);
    const res = await this.txn({
      compare: [{ key: k, target: 'Create', result: 'Equal', create_revision: 0 }],
      success: [{ request_put: { key: k, value: Buffer.from(value, 'utf8') } }],
      failure: [],
    });
    if (!res.succeeded) throw new KeyExistsError(key);
    const rev = Number(res.header.revision);
    return { key, value, createRevision: rev, modRevision: rev };
  }

  /** The compares of a CAS on `key` (modRevision == expected, when given) and that the key exists. */
  private casCompares(k: Buffer, expected?: number): ICompare[] {
    const exists: ICompare = { key: k, target: 'Create', result: 'Greater', create_revision: 0 };
    return expected === undefined ? [exists] : [{ key: k, target: 'Mod', result: 'Equal', mod_revision: expected }, exists];
  }

  /** Why a CAS txn failed: the key is absent, or its modRevision differs. */
  private casFailure(key: string, expected: number | undefined, res: ITxnResponse): never {
    const cur = res.responses[0]?.response_range?.kvs[0];
    if (!cur || expected === undefined) throw new KeyNotFoundError(key);
    throw new ConflictError(key, expected, Number(cur.mod_revision));
  }

  async update(key: string, value: string, expectedRevision: number): Promise<KeyValue> {
    this.open();
    checkKey(key);
    checkValue(value);
    checkRevision('expectedRevision', expectedRevision);
    const k = this.keys.encode(key);
    const res = await this.txn({
      compare: this.casCompares(k, expectedRevision),
      success: [{ request_put: { key: k, value: Buffer.from(value, 'utf8'), prev_kv: true } }],
      failure: [{ request_range: { key: k } }],
    });
    if (!res.succeeded) this.casFailure(key, expectedRevision, res);
    const rev = Number(res.header.revision);
    const prev = res.responses[0]?.response_put?.prev_kv;
    return { key, value, createRevision: prev ? Number(prev.create_revision) : rev, modRevision: rev };
  }

  async delete(key: string, expectedRevision?: number): Promise<KeyValue> {
    this.open();
    checkKey(key);
    if (expectedRevision !== undefined) checkRevision('expectedRevision', expectedRevision);
    const k = this.keys.encode(key);
    const failure: IRequestOp[] = expectedRevision === undefined ? [] : [{ request_range: { key: k } }];
    const res = await this.txn({
      compare: this.casCompares(k, expectedRevision),
      success: [{ request_delete_range: { key: k, prev_kv: true } }],
      failure,
    });
    if (!res.succeeded) this.casFailure(key, expectedRevision, res);
    const prev = res.responses[0]?.response_delete_range?.prev_kvs[0];
    if (!prev) throw new KeyNotFoundError(key); // cannot happen: the compare saw the key
    const kv = this.keys.toKeyValue(prev);
    return { key, value: kv.value, createRevision: kv.createRevision, modRevision: Number(res.header.revision) };
  }

  watch(prefix: string, opts: WatchOptions): Watcher {
    if (typeof prefix !== 'string') throw new TypeError('watch: prefix must be a string');
    if (!Number.isInteger(opts.fromRevision) || opts.fromRevision < 0) {
      throw new RangeError(`watch: fromRevision must be a non-negative integer, got ${opts.fromRevision}`);
    }
    const w = new EtcdWatch(this.watchBackend, prefix, opts);
    if (this.closed) {
      queueMicrotask(() => w.fail(new StoreClosedError()));
      return w;
    }
    this.watches.add(w);
    w.start();
    return w;
  }

  async compact(revision: number): Promise<void> {
    this.open();
    checkRevision('revision', revision);
    try {
      await this.write(() => this.client.kv.compact({ revision, physical: true }, this.deadline()));
    } catch (e) {
      if (isCompacted(e)) throw new CompactedError(revision, await this.compactRevision());
      if (isFuture(e)) throw new FutureRevisionError(revision, await this.currentRevision());
      throw e;
    }
    if (revision > this.knownCompact) this.knownCompact = revision;
  }

  async currentRevision(): Promise<number> {
    this.open();
    const res = await this.range({ key: this.keys.encode('\0'), count_only: true });
    return Number(res.header.revision);
  }

  async compactRevision(): Promise<number> {
    this.open();
    try {
      await this.range({ key: this.keys.encode('\0'), revision: Math.max(1, this.knownCompact), count_only: true });
      return this.knownCompact; // nothing newer was compacted
    } catch (e) {
      if (!isCompacted(e)) throw e;
    }
    const rev = await this.probeCompactRevision();
    if (rev > this.knownCompact) this.knownCompact = rev;
    return this.knownCompact;
  }

  /** A watch from revision 1 on one key: etcd cancels it with its compact revision. */
  private async probeCompactRevision(): Promise<number> {
    const stream = await this.read(() => this.client.watchClient.watch());
    try {
      return await new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('etcd: no answer to the compaction probe within 10 s')), 10_000);
        const done = (fn: () => void) => { clearTimeout(timer); fn(); };
        stream.on('data', (res: IWatchResponse) => {
          if (res.canceled) done(() => (Number(res.compact_revision) > 0 ? resolve(Number(res.compact_revision)) : reject(new Error(`etcd: compaction probe cancelled: ${res.cancel_reason}`))));
        });
        stream.on('error', (err: Error) => done(() => reject(err)));
        stream.on('end', () => done(() => reject(new Error('etcd: compaction probe stream ended'))));
        stream.write({ create_request: { key: this.keys.encode('\0'), start_revision: 1 } });
      });
    } finally {
      closeWatchStream(stream);
    }
  }

  close(): Promise<void> {
    if (!this.closing) {
      this.closed = true;
      this.closing = (async () => {
        const err = new StoreClosedError();
        for (const w of [...this.watches]) w.fail(err);
        this.watches.clear();
        this.client.close();
      })();
    }
    return this.closing;
  }
}
