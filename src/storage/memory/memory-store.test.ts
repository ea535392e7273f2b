import { describe, it } from 'node:test';
import { runStoreContract } from '../store-contract.js';
import { checkCompactionDuringReplay } from '../replay-compaction.js';
import { MemoryStore } from './memory-store.js';

runStoreContract('memory', async () => new MemoryStore());
runStoreContract('memory (replay page size 7)', async () => new MemoryStore({ watchPageSize: 7 }));

describe('MemoryStore watch', () => {
  it('a compaction that overtakes a running replay ends the watch with CompactedError', async (t) => {
    const s = new MemoryStore({ watchPageSize: 7 });
    t.after(() => s.close());
    await checkCompactionDuringReplay(s, 7);
  });
});
