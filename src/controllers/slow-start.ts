/**
 * Kubernetes' slowStartBatch (pkg/controller/controller_utils.go): run `count` calls in batches of
 * 1, 2, 4 … so a create that is bound to fail (quota, admission) fails once, not 500 times.
 *
 * Unlike Kubernetes, a controller may start the next run where its last one left off
 * (`WarmStart`): when every batch of a key's previous run succeeded, the first batch of its next run
 * is as large as that run's last batch, instead of 1. A Job that replaces 500 finished pods a sync
 * would otherwise spend 9 round trips of a loaded API server on each sync (1 + 2 + … + 256); any
 * failure drops the key back to 1.
 */

export interface SlowStartResult {
  successes: number;
  error?: unknown;
  /** Size of the last batch in which every call succeeded (0 if none did). */
  lastFullBatch: number;
}

/** Run `count` calls in batches of `initial`, 2×, 4× … stopping after the first batch with an error. */
export async function slowStartBatch(count: number, initial: number, fn: () => Promise<void>): Promise<SlowStartResult> {
  let remaining = count;
  let successes = 0;
  let lastFullBatch = 0;
  for (let batch = Math.min(remaining, Math.max(1, initial)); batch > 0; batch = Math.min(2 * batch, remaining)) {
    const results = await Promise.allSettled(Array.from({ length: batch }, () => fn()));
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    successes += batch - failed.length;
    if (failed.length) return { successes, error: failed[0].reason, lastFullBatch };
    lastFullBatch = batch;
    remaining -= batch;
  }
  return { successes, lastFullBatch };
}

/** Per key: the first batch size of its next slow start (1 until a run fully succeeds; back to 1 after a failure). */
export class WarmStart {
  private readonly sizes = new Map<string, number>();
  constructor(private readonly max: number) {}

  initial(key: string): number { return this.sizes.get(key) ?? 1; }

  record(key: string, r: SlowStartResult): void {
    if (r.error !== undefined || r.lastFullBatch === 0) this.sizes.delete(key);
    else this.sizes.set(key, Math.min(this.max, r.lastFullBatch));
  }

  forget(key: string): void { this.sizes.delete(key); }
}
