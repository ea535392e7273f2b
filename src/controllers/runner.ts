/**
 * Runs a level-triggered reconciler over a work queue: N workers take keys, call reconcile(key),
 * and on failure re-queue the key with per-key exponential backoff; on success the backoff resets
 * and an optional `requeueAfterMs` schedules the next look.
 */
import { WorkQueue } from '../client/work-queue.js';
import { logger } from '../util/log.js';

export interface ReconcileResult { requeueAfterMs?: number }

export interface Reconciler {
  readonly name: string;
  reconcile(key: string): Promise<ReconcileResult | void>;
}

export interface RunningController {
  queue: WorkQueue;
  /** Stops taking keys; resolves when the workers have finished their current keys. */
  stop(): Promise<void>;
}

export function runController(reconciler: Reconciler, queue: WorkQueue, workers = 1): RunningController {
  const log = logger('controller', { controller: reconciler.name });
  const loops: Promise<void>[] = [];
  for (let i = 0; i < workers; i++) {
    loops.push((async () => {
      for (;;) {
        const key = await queue.get();
        if (key === undefined) return;
        try {
          const res = await reconciler.reconcile(key);
          queue.forget(key);
          if (res?.requeueAfterMs !== undefined) queue.addAfter(key, res.requeueAfterMs);
        } catch (err) {
          log.debug('reconcile failed; retrying with backoff', { key, retries: queue.retries(key), err: err instanceof Error ? err.message : String(err) });
          queue.addRateLimited(key);
        } finally {
          queue.done(key);
        }
      }
    })());
  }
  return {
    queue,
    async stop() {
      queue.shutDown();
      await Promise.all(loops);
    },
  };
}
