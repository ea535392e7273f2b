/**
 * `peapod store migrate --from sqlite:DIR/db/state.db --to etcd:URL[,URL]`: copy every live key of
 * one store into another, empty one (stop the server first: the SQLite file is opened exclusively).
 *
 * Order and resourceVersions: the source is read at one revision (a consistent snapshot) and the
 * keys are written to the target one by one in the order of their modRevision in the source, so
 * resourceVersions keep their order: the i-th oldest object gets the target's revision
 * base + i (base = the target's revision before the copy; with a fresh etcd, base = 1). The numbers
 * themselves change, as after an etcd restore: clients must list again (an old resourceVersion or
 * continue token means nothing on the new store). History (old versions, deleted keys) is not
 * copied; creationTimestamp, uid and every other field live in the values and are kept.
 *
 * Either side may be `sqlite:PATH` or `etcd:URL[,URL]` (with --etcd-cafile/--etcd-certfile/
 * --etcd-keyfile/--etcd-prefix for the etcd side).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { KeyValue, Store } from '../storage/store.js';
import { SqliteStore } from '../storage/sqlite/sqlite-store.js';
import { EtcdStore } from '../storage/etcd/etcd-store.js';

export const storeUsage = `usage: peapod store migrate --from SRC --to DST [options]

  SRC, DST                sqlite:PATH (e.g. sqlite:/var/lib/peapod/db/state.db) or etcd:URL[,URL]
  --etcd-cafile FILE      CA of the etcd members (https)
  --etcd-certfile FILE    client certificate for etcd (with --etcd-keyfile)
  --etcd-keyfile FILE     its key
  --etcd-prefix PREFIX    prefix of the etcd keys (default none)
  --page N                keys read per page from the source (default 500)

The target must be empty. Keys are written in the order of their source resourceVersion; the new
resourceVersions keep that order (base+1, base+2, …) but not the numbers: clients list again.
`;

export interface EtcdSideOptions { ca?: string; cert?: string; key?: string; prefix?: string }

export function openStoreUrl(spec: string, etcd: EtcdSideOptions, role: 'source' | 'target'): Store {
  const i = spec.indexOf(':');
  const kind = i < 0 ? '' : spec.slice(0, i);
  const rest = i < 0 ? '' : spec.slice(i + 1);
  if (kind === 'sqlite') {
    if (!rest) throw new Error(`${role} ${spec}: sqlite needs a path (sqlite:DIR/db/state.db)`);
    return new SqliteStore({ path: rest });
  }
  if (kind === 'etcd') {
    const endpoints = rest.split(',').map((s) => s.trim()).filter(Boolean);
    if (!endpoints.length) throw new Error(`${role} ${spec}: etcd needs endpoints (etcd:http://127.0.0.1:2379)`);
    return new EtcdStore({ endpoints, ...etcd, readRetryMs: 10_000 });
  }
  throw new Error(`${role} "${spec}": must be sqlite:PATH or etcd:URL[,URL]`);
}

export interface MigrateResult {
  keys: number;
  sourceRevision: number;
  /** Target revision before and after the copy. */
  targetBase: number;
  targetRevision: number;
}

/** Copy every live key of `from` (read at one revision) into the empty `to`, oldest first. */
export async function migrateStore(from: Store, to: Store, opts: { page?: number; onProgress?: (done: number, total: number) => void } = {}): Promise<MigrateResult> {
  const page = opts.page ?? 500;
  const existing = await to.count('');
  if (existing.count > 0) throw new Error(`the target store is not empty (${existing.count} keys): migrate into a new, empty store`);
  const sourceRevision = await from.currentRevision();
  const all: KeyValue[] = [];
  let startKey: string | undefined;
  for (;;) {
    const res = await from.list('', { revision: sourceRevision, limit: page, ...(startKey !== undefined ? { startKey } : {}) });
    all.push(...res.kvs);
    if (!res.more || res.kvs.length === 0) break;
    startKey = res.kvs.at(-1)!.key + '\u0000';
  }
  all.sort((a, b) => a.modRevision - b.modRevision || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const targetBase = await to.currentRevision();
  let targetRevision = targetBase;
  for (let i = 0; i < all.length; i++) {
    targetRevision = (await to.create(all[i]!.key, all[i]!.value)).modRevision;
    if (opts.onProgress && (i % 1000 === 999 || i === all.length - 1)) opts.onProgress(i + 1, all.length);
  }
  const copied = await to.count('');
  if (copied.count !== all.length) throw new Error(`copied ${all.length} keys but the target holds ${copied.count}: was it written to meanwhile?`);
  return { keys: all.length, sourceRevision, targetBase, targetRevision };
}

export async function run(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (!sub || sub === '-h' || sub === '--help') { process.stdout.write(storeUsage); return sub ? 0 : 2; }
  if (sub !== 'migrate') { process.stderr.write(`peapod store: unknown subcommand "${sub}"\n\n${storeUsage}`); return 2; }
  const { values } = parseArgs({
    args: rest,
    options: {
      from: { type: 'string' },
      to: { type: 'string' },
      'etcd-cafile': { type: 'string' },
      'etcd-certfile': { type: 'string' },
      'etcd-keyfile': { type: 'string' },
      'etcd-prefix': { type: 'string' },
      page: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) { process.stdout.write(storeUsage); return 0; }
  if (!values.from || !values.to) { process.stderr.write(`peapod store migrate: --from and --to are required\n\n${storeUsage}`); return 2; }
  const page = values.page === undefined ? 500 : Number(values.page);
  if (!Number.isInteger(page) || page < 1) throw new Error(`--page: must be a positive integer, not "${values.page}"`);
  const read = (flag: string, p?: string) => { if (p === undefined) return undefined; try { return readFileSync(p, 'utf8'); } catch (e) { throw new Error(`${flag} ${p}: ${(e as Error).message}`); } };
  const etcd: EtcdSideOptions = {
    ca: read('--etcd-cafile', values['etcd-cafile']), cert: read('--etcd-certfile', values['etcd-certfile']),
    key: read('--etcd-keyfile', values['etcd-keyfile']), prefix: values['etcd-prefix'],
  };
  const from = openStoreUrl(values.from, etcd, 'source');
  let to: Store | undefined;
  try {
    to = openStoreUrl(values.to, etcd, 'target');
    const started = Date.now();
    const r = await migrateStore(from, to, { page, onProgress: (d, n) => process.stderr.write(`copied ${d}/${n}\n`) });
    process.stdout.write(
      `migrated ${r.keys} keys from ${values.from} (revision ${r.sourceRevision}) to ${values.to} ` +
      `in ${((Date.now() - started) / 1000).toFixed(1)} s: new resourceVersions ${r.keys ? `${r.targetBase + 1}…${r.targetRevision}` : '(none)'}, ` +
      'in the old order; clients must list again\n');
    return 0;
  } finally {
    await to?.close();
    await from.close();
  }
}
