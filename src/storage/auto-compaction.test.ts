import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../util/clock.js';
import { setLogSink } from '../util/log.js';
import { startAutoCompaction } from './auto-compaction.js';
import { MemoryStore } from './memory/memory-store.js';
import { SqliteStore } from './sqlite/sqlite-store.js';
import type { Store } from './store.js';

setLogSink(() => {});

async function writes(s: Store, n: number): Promise<number> {
  let rev = 0;
  for (let i = 0; i < n; i++) rev = (await s.create(`/registry/pods/ns/p${await s.currentRevision()}`, 'x')).modRevision;
  return rev;
}

for (const [name, make] of [
  ['memory', async () => ({ store: new MemoryStore() as Store, done: async () => {} })],
  ['sqlite', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'peapod-autocompact-'));
    return { store: new SqliteStore({ path: join(dir, 'db') }) as Store, done: async () => rmSync(dir, { recursive: true, force: true }) };
  }],
] as const) {
  describe(`startAutoCompaction (${name})`, () => {
    it('compacts at each interval to the revision seen one interval earlier, keeping keepRevisions', async (t) => {
      const { store, done } = await make();
      t.after(async () => { await store.close(); await done(); });
      const clock = new FakeClock();
      const compacted: number[] = [];
      const ac = startAutoCompaction(store, { clock, intervalMs: 60_000, keepRevisions: 5, onCompacted: (r) => compacted.push(r) });
      t.after(() => ac.stop());
      const r1 = await writes(store, 20);
      await clock.advance(60_000); // first tick: nothing seen before, only records r1
      assert.deepEqual(compacted, []);
      assert.equal(await store.compactRevision(), 0);
      const r2 = await writes(store, 20);
      await clock.advance(60_000); // compacts to r1 (one interval of history kept)
      assert.deepEqual(compacted, [r1]);
      assert.equal(await store.compactRevision(), r1);
      await writes(store, 2);
      await clock.advance(60_000); // r2 would leave fewer than keepRevisions: stops at current-5
      const cur = await store.currentRevision();
      assert.deepEqual(compacted, [r1, Math.min(r2, cur - 5)]);
      await clock.advance(60_000); // no writes since: nothing new to compact beyond current-5
      assert.equal(compacted.length, 2);
      ac.stop();
      await writes(store, 20);
      await clock.advance(600_000);
      assert.equal(compacted.length, 2, 'no compaction after stop');
      assert.equal(clock.waiting, 0, 'no timer left');
    });

    if (name === 'sqlite') it('SqliteStore.startAutoCompaction runs it and close stops it', async (t) => {
      const { store, done } = await make();
      t.after(done);
      const clock = new FakeClock();
      const compacted: number[] = [];
      (store as SqliteStore).startAutoCompaction({ clock, intervalMs: 1000, keepRevisions: 1, onCompacted: (r) => compacted.push(r) });
      const r1 = await writes(store, 3);
      await clock.advance(1000);
      await writes(store, 3);
      await clock.advance(1000);
      assert.deepEqual(compacted, [r1]);
      await store.close();
      assert.equal(clock.waiting, 0, 'close stopped the timer');
    });

    it('stops by itself when the store is closed', async (t) => {
      const { store, done } = await make();
      t.after(done);
      const clock = new FakeClock();
      const ac = startAutoCompaction(store, { clock, intervalMs: 1000, keepRevisions: 0 });
      t.after(() => ac.stop());
      await writes(store, 3);
      await store.close();
      await clock.advance(1000);
      assert.equal(clock.waiting, 0);
    });
  });
}
