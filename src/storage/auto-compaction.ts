/**
 * Periodic compaction, as the Kubernetes API server does it (`--etcd-compaction-interval`,
 * default 5 minutes): at every tick, compact to the revision that was current at the previous
 * tick, so at least one interval of history stays available to watches and paged lists; and
 * never closer than `keepRevisions` to the current revision. Works with any Store.
 */
import { realClock, type Clock, type Timer } from '../util/clock.js';
import { logger, type Logger } from '../util/log.js';
import { StoreClosedError, type Store } from './store.js';

export interface AutoCompactionOptions {
  /** Revisions of history always kept behind the current one (default 1000). */
  keepRevisions?: number;
  /** Time between compactions in ms (default 300000 = 5 minutes, as Kubernetes). */
  intervalMs?: number;
  /** Clock for the timer (default the real clock). */
  clock?: Clock;
  /** Called after each successful compaction with the compacted revision. */
  onCompacted?: (revision: number) => void;
  log?: Logger;
}

export interface AutoCompaction {
  /** Stop ticking. A compaction already running finishes. */
  stop(): void;
  /** Run one tick now (also what the timer runs); resolves to the compacted revision, if any. */
  tick(): Promise<number | undefined>;
}

export function startAutoCompaction(store: Store, opts: AutoCompactionOptions = {}): AutoCompaction {
  const keep = opts.keepRevisions ?? 1000;
  const intervalMs = opts.intervalMs ?? 300_000;
  const clock = opts.clock ?? realClock;
  const log = opts.log ?? logger('storage', { task: 'compaction' });
  if (!Number.isSafeInteger(keep) || keep < 0) throw new RangeError(`startAutoCompaction: keepRevisions must be a non-negative integer, got ${opts.keepRevisions}`);
  if (!Number.isFinite(intervalMs) || intervalMs <= 0) throw new RangeError(`startAutoCompaction: intervalMs must be positive, got ${opts.intervalMs}`);

  let previous = 0; // the revision seen at the previous tick
  let stopped = false;
  let timer: Timer | undefined;
  let running: Promise<number | undefined> | undefined;

  const compactOnce = async (): Promise<number | undefined> => {
    const current = await store.currentRevision();
    const compacted = await store.compactRevision();
    const target = Math.min(previous, current - keep);
    previous = current;
    if (target <= compacted) return undefined;
    const started = clock.now();
    await store.compact(target);
    log.info('compacted', { revision: target, current, ms: clock.now() - started });
    opts.onCompacted?.(target);
    return target;
  };

  const tick = (): Promise<number | undefined> => {
    // one at a time: a tick while one runs joins it
    running ??= compactOnce().finally(() => { running = undefined; });
    return running;
  };

  const schedule = () => {
    if (stopped) return;
    timer = clock.setTimeout(() => {
      tick().then(schedule, (err: unknown) => {
        if (err instanceof StoreClosedError) { stopped = true; return; }
        log.warn('compaction failed', { err });
        schedule();
      });
    }, intervalMs);
  };
  schedule();

  return {
    stop() { stopped = true; timer?.cancel(); },
    tick,
  };
}
