import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runStoreContract } from '../store-contract.js';
import { SqliteStore } from './sqlite-store.js';
import { CompactedError } from '../store.js';

const root = mkdtempSync(join(tmpdir(), 'peapod-sqlite-test-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const newPath = () => join(root, `db-${n++}.sqlite`);

runStoreContract('sqlite', async () => new SqliteStore({ path: newPath() }), async (s) => {
  const p = (s as SqliteStore).path;
  for (const f of [p, `${p}-wal`, `${p}-shm`]) rmSync(f, { force: true });
});
runStoreContract('sqlite (replay page 7, compaction batch 3)', async () => new SqliteStore({ path: newPath(), watchPageSize: 7, compactBatch: 3 }));
