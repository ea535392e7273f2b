/**
 * Runs work (the controller manager, the scheduler) only while this server holds the leader
 * lease: started when leadership is won, stopped when it is lost or on stop(). Transitions are
 * serialized, so the work is never started twice or stopped while it is still starting.
 */
import { LeaderElector, type LeaderElectionOptions } from './leader-election.js';
import { logger } from '../util/log.js';

const log = logger('leader-election');

export interface LeaderWork {
  stop(): Promise<void>;
}

export interface LeaderGate {
  readonly elector: LeaderElector;
  /** True while the work runs. */
  readonly running: boolean;
  /** Resolves when the current transition (start or stop of the work) is done. */
  settled(): Promise<void>;
  /** Stop campaigning, stop the work, give the lease up. */
  stop(): Promise<void>;
}

export function runWhileLeader(
  opts: Omit<LeaderElectionOptions, 'onStartedLeading' | 'onStoppedLeading'>,
  startWork: () => Promise<LeaderWork>,
): LeaderGate {
  let work: LeaderWork | undefined;
  let chain: Promise<void> = Promise.resolve();
  const enqueue = (fn: () => Promise<void>) => {
    chain = chain.then(fn).catch((err) => log.error('leader work transition failed', { err: err as Error }));
  };
  const stopWork = async () => {
    const w = work;
    work = undefined;
    if (w) {
      log.info('stopping leader-only work', { identity: elector.identity });
      await w.stop();
    }
  };
  const elector = new LeaderElector({
    ...opts,
    onStartedLeading: () => enqueue(async () => {
      if (work || !elector.isLeader) return;
      log.info('starting leader-only work', { identity: elector.identity });
      work = await startWork();
      if (!elector.isLeader) await stopWork(); // lost it while starting
    }),
    onStoppedLeading: () => { enqueue(stopWork); return chain; },
  });
  elector.start();
  return {
    elector,
    get running() { return work !== undefined; },
    settled: () => chain,
    async stop() {
      await elector.stop(); // stops the work (onStoppedLeading) before it gives the lease up
      enqueue(stopWork);
      await chain;
    },
  };
}
