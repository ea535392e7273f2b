export * from './store.js';
export { MemoryStore, type MemoryStoreOptions } from './memory/memory-store.js';
export { SqliteStore, type SqliteStoreOptions } from './sqlite/sqlite-store.js';
export { startAutoCompaction, type AutoCompaction, type AutoCompactionOptions } from './auto-compaction.js';
export { WatchHub, type ReplaySource } from './watch-hub.js';
export { prefixEnd, keyRange } from './key-range.js';
