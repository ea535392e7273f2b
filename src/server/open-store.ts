/** Opens the configured Store backend. */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Store } from '../storage/store.js';
import { SqliteStore } from '../storage/sqlite/sqlite-store.js';

export type StoreKind = 'sqlite' | 'etcd';

export async function openStore(kind: StoreKind, opts: { dataDir: string; etcdEndpoints?: string[] }): Promise<Store> {
  if (kind === 'sqlite') {
    mkdirSync(join(opts.dataDir, 'db'), { recursive: true, mode: 0o700 });
    return new SqliteStore({ path: join(opts.dataDir, 'db', 'state.db') });
  }
  throw new Error('--store etcd is not available yet (see the multi-server issue)');
}
