import { runStoreContract } from '../store-contract.js';
import { MemoryStore } from './memory-store.js';

runStoreContract('memory', async () => new MemoryStore());
runStoreContract('memory (replay page size 7)', async () => new MemoryStore({ watchPageSize: 7 }));
