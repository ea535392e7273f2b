/**
 * Store compaction as the Kubernetes API server runs it (--etcd-compaction-interval, default
 * 5 min): at every tick, compact to the revision that was current at the previous tick, so that
 * history stays for one interval (watches and continue tokens older than that get 410 Expired).
 */
import { CompactedError, type Store } from '../storage/store.js';
import type { Clock, Timer } from '../util/clock.js';
import { logger } from '../util/log.js';

const log = logger('compactor');

export class Compactor {
  private timer?: Timer;
  private last = 0;
  private closed = false;

  constructor(private readonly store: Store, private readonly clock: Clock, private readonly intervalMs = 5 * 60_000) {}

  start(): void {
    const tick = () => {
      if (this.closed) return;
      this.step().catch((err) => log.warn('compaction failed', { err: err as Error })).finally(() => {
        if (!this.closed) this.timer = this.clock.setTimeout(tick, this.intervalMs);
      });
    };
    this.timer = this.clock.setTimeout(tick, this.intervalMs);
  }

  /** One tick: compact to the revision recorded at the previous tick, then record the current one. */
  async step(): Promise<void> {
    const target = this.last;
    this.last = await this.store.currentRevision();
    if (target <= 0) return;
    const compacted = await this.store.compactRevision();
    if (target <= compacted) return;
    try {
      await this.store.compact(target);
      log.debug('compacted', { revision: target });
    } catch (e) {
      if (!(e instanceof CompactedError)) throw e;
    }
  }

  close(): void {
    this.closed = true;
    this.timer?.cancel();
  }
}
