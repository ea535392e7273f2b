/**
 * TTL-after-finished controller (Kubernetes pkg/controller/ttlafterfinished): a Job with
 * spec.ttlSecondsAfterFinished is deleted (propagationPolicy Foreground, uid precondition) that many
 * seconds after it finished — the lastTransitionTime of its Complete or Failed condition. Before
 * deleting, the Job is read again from the API, as Kubernetes does, so a TTL changed meanwhile wins.
 */
import type { KubeObject } from '../api/object.js';
import type { KubeClient } from '../client/types.js';
import { Resources } from '../client/resources.js';
import type { SharedInformers } from '../client/shared-informers.js';
import { objectKey, splitKey } from '../client/informer.js';
import { WorkQueue } from '../client/work-queue.js';
import { isNotFound, isConflict } from '../client/errors.js';
import type { Clock } from '../util/clock.js';
import { realClock } from '../util/clock.js';
import { runController, type Reconciler, type RunningController } from './runner.js';
import { isJobFinished } from './job-util.js';

export interface TtlAfterFinishedOptions {
  client: KubeClient;
  informers: SharedInformers;
  clock?: Clock;
  workers?: number;
}

/** When the Job expires (ms since the epoch), or undefined when it has no TTL or is not finished. */
export function jobExpiresAt(job: KubeObject): number | undefined {
  const ttl = (job.spec as { ttlSecondsAfterFinished?: number } | undefined)?.ttlSecondsAfterFinished;
  if (ttl === undefined || ttl === null || job.metadata.deletionTimestamp) return undefined;
  const fin = isJobFinished(job);
  if (!fin) return undefined;
  const at = fin.time ? Date.parse(fin.time) : NaN;
  if (Number.isNaN(at)) return undefined;
  return at + ttl * 1000;
}

export function startTtlAfterFinishedController(opts: TtlAfterFinishedOptions): RunningController {
  const { client } = opts;
  const clock = opts.clock ?? realClock;
  const jobs = opts.informers.for(Resources.jobs);
  const queue = new WorkQueue({ clock });
  const enqueue = (j: KubeObject) => { if (jobExpiresAt(j) !== undefined) queue.add(objectKey(j)); };
  jobs.addEventHandler({ onAdd: enqueue, onUpdate: (_o, j) => enqueue(j) });

  const reconciler: Reconciler = {
    name: 'ttl-after-finished',
    async reconcile(key) {
      const cached = jobs.get(key);
      if (!cached) return;
      let at = jobExpiresAt(cached);
      if (at === undefined) return;
      if (at > clock.now()) return { requeueAfterMs: at - clock.now() };
      const { namespace, name } = splitKey(key);
      let fresh: KubeObject;
      try { fresh = await client.get(Resources.jobs, namespace, name); } catch (err) { if (isNotFound(err)) return; throw err; }
      at = jobExpiresAt(fresh);
      if (at === undefined) return;
      if (at > clock.now()) return { requeueAfterMs: at - clock.now() };
      try {
        await client.delete(Resources.jobs, namespace, name, { propagationPolicy: 'Foreground', preconditions: { uid: fresh.metadata.uid } });
      } catch (err) {
        if (!isNotFound(err) && !isConflict(err)) throw err;
      }
      return undefined;
    },
  };
  return runController(reconciler, queue, opts.workers ?? 5);
}
