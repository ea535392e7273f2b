import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from './memory/memory-store.js';
import { instrumentStore } from './instrumented-store.js';
import { runStoreContract } from './store-contract.js';

runStoreContract('instrumented memory store', async () => instrumentStore(new MemoryStore(), () => undefined));

test('instrumentStore observes every timed operation, also failed ones', async () => {
  const seen: string[] = [];
  const s = instrumentStore(new MemoryStore(), (op, secs) => { assert.ok(secs >= 0); seen.push(op); });
  const kv = await s.create('/a', '1');
  await s.get('/a');
  await s.update('/a', '2', kv.modRevision);
  await assert.rejects(s.create('/a', '3'));
  await s.list('/');
  await s.delete('/a');
  assert.deepEqual(seen, ['create', 'get', 'update', 'create', 'list', 'delete']);
  await s.close();
});
