/**
 * The default, embedded Store: an append-only log of revisions in SQLite (better-sqlite3),
 * in the manner of kine. See dialect.ts for the table and every statement.
 *
 * - This process is the only writer: it assigns revisions (current + 1) and every write is one
 *   autocommitted INSERT. WAL with synchronous=NORMAL: an acknowledged write survives a crash of
 *   the process (SIGKILL, OOM); only a power loss may lose the last commits.
 * - better-sqlite3 is synchronous, so each call below runs to completion without interleaving;
 *   after a commit the write path hands the event to the in-process watch fan-out (WatchHub),
 *   which replays older history from the table.
 * - Compaction deletes the rows superseded at or below the target revision, and tombstones,
 *   in bounded transactions so that serving is never blocked for long.
 */
import Database from 'better-sqlite3';
import {
  CompactedError, ConflictError, FutureRevisionError, KeyExistsError, KeyNotFoundError, StoreClosedError,
  type GetResult, type KeyValue, type ListOptions, type ListResult, type Store, type WatchEvent, type WatchOptions, type Watcher,
} from '../store.js';
import { keyRange } from '../key-range.js';
import { logger } from '../../util/log.js';
import { WatchHub } from '../watch-hub.js';
import { checkKey, checkListOptions, checkRevision, checkValue, readRevisionAt } from '../validate.js';
import { startAutoCompaction, type AutoCompaction, type AutoCompactionOptions } from '../auto-compaction.js';
import { exclusivePragma, pragmas, schema, sql, SCHEMA_VERSION, type StatementName } from './dialect.js';

export interface SqliteStoreOptions {
  /** Database file (created if missing), or ':memory:'. */
  path: string;
  /** Events read per watch replay page (default 1000). */
  watchPageSize?: number;
  /** Revisions compacted per transaction (default 1000: about 20 ms of work with 1.5 KB values, so serving pauses briefly). */
  compactBatch?: number;
  /**
   * Own the file exclusively while open (default true): another process or store opening it
   * fails with an error saying so. Set false only to let other processes read the file
   * meanwhile (they must never write to it).
   */
  exclusive?: boolean;
  /** How long to wait at open for another owner to let go of the file, in ms (default 5000). */
  lockTimeoutMs?: number;
}

interface LogRow { id: number; name: string; deleted: number; create_revision: number; value: string }
interface LatestRow extends LogRow { prev_revision: number }
/** list/listOpen rows come back as arrays (`raw` mode: ~25% faster for pages of many rows). */
type ListRow = [id: number, name: string, createRevision: number, value: string];
interface ReplayRow extends LogRow { p_id: number | null; p_create_revision: number | null; p_value: string | null }

const log = logger('storage', { backend: 'sqlite' });

const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function kvOf(r: { id: number; name: string; create_revision: number; value: string }): KeyValue {
  return { key: r.name, value: r.value, createRevision: r.create_revision, modRevision: r.id };
}

export class SqliteStore implements Store {
  readonly path: string;
  private readonly db: Database.Database;
  private readonly st: Record<StatementName, Database.Statement>;
  private readonly hub: WatchHub;
  private readonly compactBatch: number;
  private rev: number;
  private compacted: number;
  /** Highest revision a compact() call asked for (compaction runs in the background chain). */
  private compactTarget: number;
  private compactChain: Promise<void> = Promise.resolve();
  private closed = false;
  private closing?: Promise<void>;
  private autoCompaction?: AutoCompaction;

  constructor(opts: SqliteStoreOptions) {
    if (!opts || typeof opts.path !== 'string' || opts.path === '') throw new TypeError('SqliteStore: options.path must be a file path or ":memory:"');
    this.path = opts.path;
    this.compactBatch = opts.compactBatch ?? 1000;
    if (!Number.isInteger(this.compactBatch) || this.compactBatch < 1) throw new RangeError(`SqliteStore: compactBatch must be a positive integer, got ${opts.compactBatch}`);
    const lockTimeoutMs = opts.lockTimeoutMs ?? 5000;
    if (!Number.isInteger(lockTimeoutMs) || lockTimeoutMs < 0) throw new RangeError(`SqliteStore: lockTimeoutMs must be a non-negative integer, got ${opts.lockTimeoutMs}`);
    this.hub = new WatchHub({
      replay: (prefix, after, upTo, limit) => this.replay(prefix, after, upTo, limit),
      currentRevision: () => this.rev,
      compactRevision: () => this.compacted,
    }, { pageSize: opts.watchPageSize });
    try {
      this.db = new Database(opts.path);
    } catch (err) {
      throw new Error(`SqliteStore: cannot open ${opts.path}: ${(err as Error).message}`, { cause: err });
    }
    try {
      this.db.pragma(`busy_timeout = ${lockTimeoutMs}`);
      if (opts.exclusive ?? true) this.db.pragma(exclusivePragma);
      for (const p of pragmas) this.db.pragma(p);
      // A write transaction at open: creates the schema, and takes the lock now rather than at the first write.
      this.db.exec('BEGIN IMMEDIATE');
      try {
        for (const s of schema) this.db.exec(s);
        this.db.exec('COMMIT');
      } catch (err) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw err;
      }
      const version = (this.db.prepare(sql.schemaVersion).get() as { value: number } | undefined)?.value;
      if (version !== SCHEMA_VERSION) throw new Error(`SqliteStore: ${opts.path} has schema version ${version}, this build knows ${SCHEMA_VERSION}`);
      const st = {} as Record<StatementName, Database.Statement>;
      for (const name of Object.keys(sql) as StatementName[]) st[name] = this.db.prepare(sql[name]);
      st.list.raw(true);
      st.listOpen.raw(true);
      this.st = st;
      // A new store is at revision 1, as etcd (so no resourceVersion is ever 0, which Kubernetes reads as "any").
      this.rev = Math.max(1, (this.st.currentRevision.get() as { rev: number }).rev);
      this.compacted = (this.st.compactRevision.get() as { value: number } | undefined)?.value ?? 0;
      this.compactTarget = this.compacted;
      log.debug('opened', { path: opts.path, revision: this.rev, compacted: this.compacted });
    } catch (err) {
      this.db.close();
      if ((err as { code?: string }).code === 'SQLITE_BUSY') {
        throw new Error(`SqliteStore: ${opts.path} is in use by another process or store (waited ${lockTimeoutMs} ms); only one may own it`, { cause: err });
      }
      throw err;
    }
  }

  async get(key: string, opts: { revision?: number } = {}): Promise<GetResult> {
    this.open();
    checkKey(key);
    const at = this.readRevision(opts.revision);
    const r = (at === this.rev ? this.st.latest.get({ name: key }) : this.st.at.get({ name: key, rev: at })) as LogRow | undefined;
    return { kv: r && !r.deleted ? kvOf(r) : undefined, revision: this.rev };
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    this.open();
    checkListOptions(prefix, opts);
    const at = this.readRevision(opts.revision);
    const range = keyRange(prefix, opts.startKey);
    if (range.empty) return { kvs: [], revision: at, more: false };
    const limit = opts.limit ?? 0;
    const params = { lo: range.lo, hi: range.hi, rev: at, limit: limit > 0 ? limit + 1 : -1 };
    const rows = (range.hi === null ? this.st.listOpen.all(params) : this.st.list.all(params)) as ListRow[];
    const more = limit > 0 && rows.length > limit;
    if (more) rows.length = limit;
    const kvs = new Array<KeyValue>(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]!;
      kvs[i] = { key: r[1], value: r[3], createRevision: r[2], modRevision: r[0] };
    }
    return { kvs, revision: at, more };
  }

  async count(prefix: string): Promise<{ count: number; revision: number }> {
    this.open();
    checkListOptions(prefix, {});
    const range = keyRange(prefix);
    const params = { lo: range.lo, hi: range.hi, rev: this.rev };
    const r = (range.hi === null ? this.st.countOpen.get(params) : this.st.count.get(params)) as { n: number };
    return { count: r.n, revision: this.rev };
  }

  async create(key: string, value: string): Promise<KeyValue> {
    this.open();
    checkKey(key);
    checkValue(value);
    const cur = this.st.latestDeleted.get({ name: key }) as { deleted: number } | undefined;
    if (cur && !cur.deleted) throw new KeyExistsError(key);
    const rev = this.rev + 1;
    this.st.insert.run({ id: rev, name: key, deleted: 0, createRevision: rev, prevRevision: 0, value });
    this.rev = rev;
    const kv: KeyValue = { key, value, createRevision: rev, modRevision: rev };
    this.hub.publish({ type: 'PUT', kv, revision: rev });
    return { ...kv };
  }

  async update(key: string, value: string, expectedRevision: number): Promise<KeyValue> {
    this.open();
    checkKey(key);
    checkValue(value);
    checkRevision('expectedRevision', expectedRevision);
    const cur = this.st.latest.get({ name: key }) as LatestRow | undefined;
    if (!cur || cur.deleted) throw new KeyNotFoundError(key);
    if (cur.id !== expectedRevision) throw new ConflictError(key, expectedRevision, cur.id);
    const rev = this.rev + 1;
    this.st.insert.run({ id: rev, name: key, deleted: 0, createRevision: cur.create_revision, prevRevision: cur.id, value });
    this.rev = rev;
    const kv: KeyValue = { key, value, createRevision: cur.create_revision, modRevision: rev };
    this.hub.publish({ type: 'PUT', kv, prevKv: kvOf(cur), revision: rev });
    return { ...kv };
  }

  async delete(key: string, expectedRevision?: number): Promise<KeyValue> {
    this.open();
    checkKey(key);
    if (expectedRevision !== undefined) checkRevision('expectedRevision', expectedRevision);
    const cur = this.st.latest.get({ name: key }) as LatestRow | undefined;
    if (!cur || cur.deleted) throw new KeyNotFoundError(key);
    if (expectedRevision !== undefined && cur.id !== expectedRevision) throw new ConflictError(key, expectedRevision, cur.id);
    const rev = this.rev + 1;
    this.st.insert.run({ id: rev, name: key, deleted: 1, createRevision: cur.create_revision, prevRevision: cur.id, value: cur.value });
    this.rev = rev;
    const kv: KeyValue = { key, value: cur.value, createRevision: cur.create_revision, modRevision: rev };
    this.hub.publish({ type: 'DELETE', kv, prevKv: kvOf(cur), revision: rev });
    return { ...kv };
  }

  watch(prefix: string, opts: WatchOptions): Watcher {
    return this.hub.watch(prefix, opts);
  }

  /**
   * Compact to `revision`. Resolves when done. Validated at call time (FutureRevisionError,
   * CompactedError when at or below a revision already compacted or being compacted); runs in
   * transactions of `compactBatch` revisions, yielding to the event loop between them.
   */
  async compact(revision: number): Promise<void> {
    this.open();
    checkRevision('revision', revision);
    if (revision > this.rev) throw new FutureRevisionError(revision, this.rev);
    if (revision <= this.compactTarget) throw new CompactedError(revision, this.compactTarget);
    this.compactTarget = revision;
    const run = this.compactChain.then(() => this.compactTo(revision));
    this.compactChain = run.catch(() => undefined);
    return run;
  }

  /**
   * Compact periodically (see auto-compaction.ts: every `intervalMs`, default 5 minutes, to the
   * revision seen one interval earlier, keeping at least `keepRevisions`). Stopped by close().
   */
  startAutoCompaction(opts: AutoCompactionOptions = {}): AutoCompaction {
    this.open();
    this.autoCompaction?.stop();
    this.autoCompaction = startAutoCompaction(this, opts);
    return this.autoCompaction;
  }

  async currentRevision(): Promise<number> { this.open(); return this.rev; }
  async compactRevision(): Promise<number> { this.open(); return this.compacted; }

  /** Ends every watch (onError StoreClosedError), stops compaction, closes the file. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      this.autoCompaction?.stop();
      this.hub.close();
      await this.compactChain; // a running compaction stops at its next batch
      this.db.close();
    })();
    return this.closing;
  }

  private open(): void {
    if (this.closed) throw new StoreClosedError();
  }

  private readRevision(revision: number | undefined): number {
    return readRevisionAt(revision, this.rev, this.compacted);
  }

  private async compactTo(target: number): Promise<void> {
    const step = this.db.transaction((from: number, to: number) => {
      this.st.compactSuperseded.run({ from, to });
      this.st.compactTombstones.run({ from, to });
      this.st.setCompactRevision.run({ rev: to });
    });
    while (this.compacted < target) {
      if (this.closed) throw new StoreClosedError();
      const to = Math.min(target, this.compacted + this.compactBatch);
      step(this.compacted, to);
      this.compacted = to;
      if (to < target) await yieldToLoop();
    }
  }

  private replay(prefix: string, after: number, upTo: number, limit: number): WatchEvent[] {
    if (this.closed) throw new StoreClosedError();
    if (after < this.compacted) throw new CompactedError(after, this.compacted);
    const range = keyRange(prefix);
    const params = { after, upTo, lo: range.lo, hi: range.hi, limit };
    const rows = (range.hi === null ? this.st.replayOpen.all(params) : this.st.replay.all(params)) as ReplayRow[];
    const out = new Array<WatchEvent>(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]!;
      const ev: WatchEvent = { type: r.deleted ? 'DELETE' : 'PUT', kv: kvOf(r), revision: r.id };
      if (r.p_id !== null) ev.prevKv = { key: r.name, value: r.p_value!, createRevision: r.p_create_revision!, modRevision: r.p_id };
      out[i] = ev;
    }
    return out;
  }
}
