/**
 * A backend-specific check shared by the memory and sqlite tests (not part of the general
 * contract, since it depends on replay paging): a compaction that overtakes a running replay
 * ends that watch with CompactedError instead of leaving a gap.
 */
import assert from 'node:assert/strict';
import { CompactedError, type Store, type WatchEvent } from './store.js';

/** `store` must replay in pages of `pageSize` (< 50) events. */
export async function checkCompactionDuringReplay(store: Store, pageSize: number): Promise<void> {
  const start = (await store.create('/seed/start', 'x')).modRevision;
  let kv = await store.create('/registry/pods/ns/a', '0');
  for (let i = 1; i < 50; i++) kv = await store.update('/registry/pods/ns/a', String(i), kv.modRevision);
  const events: WatchEvent[] = [];
  let compaction: Promise<void> | undefined;
  const error = await new Promise<Error>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no error after ${events.length} events`)), 10_000);
    store.watch('/registry/pods/', {
      fromRevision: start,
      onEvent: (ev) => {
        events.push(ev);
        if (events.length === 1) compaction = store.compact(kv.modRevision); // overtakes the replay
      },
      onError: (err) => { clearTimeout(timer); resolve(err); },
    });
  });
  await compaction;
  assert.ok(error instanceof CompactedError, `got ${error.constructor.name}: ${error.message}`);
  assert.equal(events.length, pageSize, 'the first page was delivered, nothing after the compaction');
  for (let i = 0; i < events.length; i++) assert.equal(events[i]!.revision, start + 1 + i);
}
