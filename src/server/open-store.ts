/** Opens the configured Store backend. */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Store } from '../storage/store.js';
import { SqliteStore } from '../storage/sqlite/sqlite-store.js';
import { EtcdStore } from '../storage/etcd/etcd-store.js';

export type StoreKind = 'sqlite' | 'etcd';

export interface OpenStoreOptions {
  dataDir: string;
  /** --store etcd: client URLs (http:// or https://). */
  etcdEndpoints?: string[];
  /** --store etcd over https: PEM files of the CA, and of a client certificate and key. */
  etcdCaFile?: string;
  etcdCertFile?: string;
  etcdKeyFile?: string;
  /** --store etcd: prefix of every key (default "", keys as /registry/...). */
  etcdPrefix?: string;
}

function readPem(flag: string, path: string | undefined): string | undefined {
  if (path === undefined) return undefined;
  try { return readFileSync(path, 'utf8'); } catch (e) { throw new Error(`${flag} ${path}: ${(e as Error).message}`); }
}

export async function openStore(kind: StoreKind, opts: OpenStoreOptions): Promise<Store> {
  if (kind === 'sqlite') {
    mkdirSync(join(opts.dataDir, 'db'), { recursive: true, mode: 0o700 });
    return new SqliteStore({ path: join(opts.dataDir, 'db', 'state.db') });
  }
  if (!opts.etcdEndpoints?.length) throw new Error('--store etcd needs --etcd-endpoints URL[,URL...]');
  const store = new EtcdStore({
    endpoints: opts.etcdEndpoints,
    ca: readPem('--etcd-cafile', opts.etcdCaFile),
    cert: readPem('--etcd-certfile', opts.etcdCertFile),
    key: readPem('--etcd-keyfile', opts.etcdKeyFile),
    prefix: opts.etcdPrefix,
  });
  try {
    await store.currentRevision(); // fail now, with the reason, when etcd cannot be reached
  } catch (e) {
    await store.close();
    throw new Error(`etcd at ${opts.etcdEndpoints.join(',')}: ${(e as Error).message}`);
  }
  return store;
}
