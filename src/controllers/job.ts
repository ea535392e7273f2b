/**
 * Job controller (Kubernetes pkg/controller/job, as of 1.30): runs pods from the template until
 * `completions` of them succeeded (NonIndexed), or one pod per completion index succeeded
 * (Indexed), at most `parallelism` at once.
 *
 * Pods carry the `batch.kubernetes.io/job-tracking` finalizer. A finished pod is first recorded
 * in status.uncountedTerminatedPods, then its finalizer is removed, then it moves into
 * status.succeeded / status.failed (completedIndexes for Indexed Jobs) — so a pod is counted once
 * even if it is deleted meanwhile.
 *
 * The Job fails (condition Failed) when more pods failed than backoffLimit (for restartPolicy
 * OnFailure, container restarts count too) — BackoffLimitExceeded —, when it ran longer than
 * activeDeadlineSeconds — DeadlineExceeded —, or when a podFailurePolicy FailJob rule matched — a
 * FailureTarget condition first, then Failed with reason PodFailurePolicy. It completes
 * (condition Complete, completionTime) when enough pods succeeded. Failed pods are replaced after a
 * backoff of 10 s doubling up to 6 min per consecutive failure. `suspend` deletes active pods
 * (condition Suspended); resuming resets startTime.
 *
 * An Indexed Job with a spec.successPolicy succeeds once a rule is met (job-success-policy.ts): a
 * SuccessCriteriaMet condition first, then its remaining pods are stopped (not counted as
 * failed), then Complete with the same reason and message once none is left.
 *
 * A Job whose spec.managedBy names another controller than kubernetes.io/job-controller is left
 * alone, its pods' finalizers too.
 */
import type { KubeObject } from '../api/object.js';
import type { Job, JobCondition, JobSpec, JobStatus } from 'kubernetes-types/batch/v1.js';
import type { PodSpec } from 'kubernetes-types/core/v1.js';
import type { KubeClient } from '../client/types.js';
import { Resources } from '../client/resources.js';
import type { SharedInformers } from '../client/shared-informers.js';
import { objectKey, splitKey } from '../client/informer.js';
import { WorkQueue } from '../client/work-queue.js';
import { isNotFound } from '../client/errors.js';
import { selectorFromSpec, type LabelSelectorSpec } from '../api/selectors.js';
import type { Clock } from '../util/clock.js';
import { realClock } from '../util/clock.js';
import { runController, type Reconciler, type RunningController } from './runner.js';
import { ControllerExpectations, EXPECTATIONS_TIMEOUT_MS } from './expectations.js';
import { claimObjects, controllerOf, recheckOwner } from './owner-routing.js';
import { createEventRecorder, type EventRecorder } from './events.js';
import { isPodActive, isPodReady, podPhase } from './pod-template.js';
import { podsByController, ORPHAN_POD_INDEX, POD_CONTROLLER_INDEX } from './replicaset.js';
import { slowStartBatch, WarmStart } from './slow-start.js';
import { formatIndexes, parseIndexes, podIndex } from './job-indexes.js';
import { matchPodFailurePolicy } from './job-pod-failure-policy.js';
import { matchSuccessPolicy } from './job-success-policy.js';
import { OwnWrites } from './own-writes.js';
import {
  JOB_TRACKING_FINALIZER, JOB_INDEX_FAILURE_COUNT, JOB_BACKOFF_BASE_MS, JOB_BACKOFF_MAX_MS,
  condition, finishedAt, hasTrackingFinalizer, isJobFinished, jobPod, pastBackoffLimitOnFailure, rfc3339,
} from './job-util.js';

export { JOB_TRACKING_FINALIZER, JOB_INDEX_FAILURE_COUNT, JOB_BACKOFF_BASE_MS, JOB_BACKOFF_MAX_MS, hasTrackingFinalizer, isJobFinished, rfc3339 };

/** Most pods created in one sync (MaxPodCreateDeletePerSync). */
const MAX_PER_SYNC = 500;
const ORPHAN_PREFIX = 'pod:';
/** spec.managedBy of Jobs this controller syncs (unset means the same). */
export const JOB_CONTROLLER_NAME = 'kubernetes.io/job-controller';

/** The Job belongs to another controller (spec.managedBy). */
export function managedByOther(job: KubeObject): boolean {
  const by = (job.spec as JobSpec | undefined)?.managedBy;
  return by !== undefined && by !== null && by !== JOB_CONTROLLER_NAME;
}

export interface JobControllerOptions {
  client: KubeClient;
  informers: SharedInformers;
  clock?: Clock;
  recorder?: EventRecorder;
  workers?: number;
}

export interface JobController extends RunningController {
  expectations: ControllerExpectations;
  recorder: EventRecorder;
}

type Pod = KubeObject;

export function startJobController(opts: JobControllerOptions): JobController {
  const { client } = opts;
  const clock = opts.clock ?? realClock;
  const recorder = opts.recorder ?? createEventRecorder(client, 'job-controller', clock);
  const jobs = opts.informers.for(Resources.jobs);
  const pods = podsByController(opts.informers);
  const queue = new WorkQueue({ clock });
  const own = new OwnWrites();
  const expectations = new ControllerExpectations(clock);
  const warmStart = new WarmStart(MAX_PER_SYNC);
  /** Per Job uid: consecutive failures since the last success, and when the last one finished. */
  const backoff = new Map<string, { failures: number; last: number }>();
  /** Pods whose finalizer this controller removed, until the cache shows it (so a stale pod is not counted twice). */
  const releasedUids = new Set<string>();
  /** A finish decided in an earlier sync whose pods are still being counted (its evidence, e.g. restart counts, may be gone). */
  const pendingFinish = new Map<string, JobCondition>();

  const jobKeyOf = (pod: Pod): string | undefined => {
    const ref = controllerOf(pod);
    if (!ref || ref.kind !== 'Job') return undefined;
    const key = `${pod.metadata.namespace}/${ref.name}`;
    const job = jobs.get(key);
    return job && job.metadata.uid === ref.uid ? key : undefined;
  };
  const podChanged = (pod: Pod, deleted = false) => {
    if (deleted || !hasTrackingFinalizer(pod)) releasedUids.delete(String(pod.metadata.uid));
    const key = jobKeyOf(pod);
    if (key) {
      if (deleted || pod.metadata.deletionTimestamp) expectations.deletionObserved(key, objectKey(pod));
      queue.add(key);
    } else if (hasTrackingFinalizer(pod) && !deleted) {
      // the Job is gone (or not yet seen): maybe the finalizer must go (checked against the API)
      queue.add(ORPHAN_PREFIX + objectKey(pod));
    }
  };

  jobs.addEventHandler({
    onAdd: (j) => queue.add(objectKey(j)),
    onUpdate: (_o, j) => queue.add(objectKey(j)),
    onDelete: (j) => {
      queue.add(objectKey(j));
      backoff.delete(String(j.metadata.uid));
      pendingFinish.delete(String(j.metadata.uid));
      // its pods keep no finalizer for a Job that is gone
      for (const p of pods.byIndex(POD_CONTROLLER_INDEX, String(j.metadata.uid))) if (hasTrackingFinalizer(p)) queue.add(ORPHAN_PREFIX + objectKey(p));
    },
  });
  pods.addEventHandler({
    onAdd: (p) => {
      const key = jobKeyOf(p);
      if (key && !p.metadata.deletionTimestamp) expectations.creationObserved(key);
      podChanged(p);
    },
    onUpdate: (_o, p) => podChanged(p),
    onDelete: (p) => podChanged(p, true),
  });

  async function removeFinalizer(pod: Pod): Promise<boolean> {
    const fins = pod.metadata.finalizers ?? [];
    const i = fins.indexOf(JOB_TRACKING_FINALIZER);
    if (i < 0) return true;
    try {
      await client.patch(Resources.pods, pod.metadata.namespace, String(pod.metadata.name), 'json', [
        { op: 'test', path: `/metadata/finalizers/${i}`, value: JOB_TRACKING_FINALIZER },
        { op: 'remove', path: `/metadata/finalizers/${i}` },
      ]);
      return true;
    } catch (err) {
      if (isNotFound(err)) return true;
      throw err;
    }
  }

  async function orphanPod(key: string): Promise<void> {
    const pod = pods.get(key);
    if (!pod || !hasTrackingFinalizer(pod)) return;
    const ref = controllerOf(pod);
    if (ref && ref.kind === 'Job') {
      try {
        const job = await client.get(Resources.jobs, pod.metadata.namespace, ref.name);
        if (job.metadata.uid === ref.uid && (managedByOther(job) || !isJobFinished(job))) return; // its Job (or its own controller) will handle it
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    await removeFinalizer(pod);
  }

  async function writeStatus(job: KubeObject, status: JobStatus): Promise<KubeObject> {
    return own.remember(await client.update(Resources.jobs, job.metadata.namespace, { ...job, status: status as Record<string, unknown> }, { subresource: 'status' }));
  }

  const newPod = jobPod;

  /** Create the pods (slow start); failures are returned, not thrown, so the sync still writes its status. */
  async function createPods(job: KubeObject, key: string, spec: JobSpec, indexes: (number | undefined)[], failureCounts?: Map<number, number>): Promise<{ created: number; error?: unknown }> {
    if (!indexes.length) return { created: 0 };
    const ns = job.metadata.namespace;
    expectations.expectCreations(key, indexes.length);
    let next = 0;
    const result = await slowStartBatch(indexes.length, warmStart.initial(key), async () => {
      const index = indexes[next++];
      try {
        const pod = await client.create(Resources.pods, ns, newPod(job, spec, index, index === undefined ? undefined : failureCounts?.get(index)));
        recorder.event(job, 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata.name}`);
      } catch (err) {
        recorder.event(job, 'Warning', 'FailedCreate', `Error creating: ${err instanceof Error ? err.message : String(err)}`);
        throw err;
      }
    });
    warmStart.record(key, result);
    for (let i = result.successes; i < indexes.length; i++) expectations.creationObserved(key);
    return { created: result.successes, error: result.error };
  }

  async function deletePods(job: KubeObject, key: string, victims: Pod[]): Promise<number> {
    if (!victims.length) return 0;
    expectations.expectDeletions(key, victims.map(objectKey));
    let deleted = 0;
    const errors: unknown[] = [];
    await Promise.all(victims.map(async (pod) => {
      try {
        await client.delete(Resources.pods, pod.metadata.namespace, String(pod.metadata.name));
        deleted++;
        recorder.event(job, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`);
      } catch (err) {
        expectations.deletionObserved(key, objectKey(pod));
        if (isNotFound(err)) { deleted++; return; }
        recorder.event(job, 'Warning', 'FailedDelete', `Error deleting: ${err instanceof Error ? err.message : String(err)}`);
        errors.push(err);
      }
    }));
    if (errors.length) throw errors[0];
    return deleted;
  }

  const reconciler: Reconciler = {
    name: 'job',
    async reconcile(key) {
      if (key.startsWith(ORPHAN_PREFIX)) { await orphanPod(key.slice(ORPHAN_PREFIX.length)); return; }
      const cachedJob = jobs.get(key);
      if (!cachedJob) { expectations.delete(key); warmStart.forget(key); return; }
      if (managedByOther(cachedJob)) return;
      let job: KubeObject = own.latest(cachedJob);
      const { namespace } = splitKey(key);
      const uid = String(job.metadata.uid);
      const spec = (job.spec ?? {}) as JobSpec;
      const now = clock.now();
      const owned = pods.byIndex(POD_CONTROLLER_INDEX, uid);
      if (isJobFinished(job)) {
        pendingFinish.delete(uid);
        // a finished Job keeps no pod from going away
        for (const p of owned) if (hasTrackingFinalizer(p)) await removeFinalizer(p);
        return;
      }
      // Its own creations and deletions are still on their way to the cache: sync once they are all
      // seen (each observation queues the Job again) rather than on a snapshot that misses them.
      // Kubernetes syncs anyway and only skips managing pods; here such a sync, busy counting finished
      // pods (a status write and a finalizer patch each), held the key while their replacements waited
      // for the sync after it: pod creation ran at half speed.
      if (!expectations.satisfied(key)) return { requeueAfterMs: EXPECTATIONS_TIMEOUT_MS };
      let selector;
      try { selector = selectorFromSpec(spec.selector as LabelSelectorSpec); } catch { return; }
      // its own pods and the orphans it may adopt, not every pod of the namespace (10,000 finished pods of a big Job are all its own)
      const candidates = [...owned, ...pods.byIndex(ORPHAN_POD_INDEX, String(namespace))];
      const all = await claimObjects({ client, owner: job, ownerRef: Resources.jobs, dependentRef: Resources.pods, selector, candidates, canAdopt: recheckOwner(client, Resources.jobs, job) });

      const prev = (job.status ?? {}) as JobStatus;
      const status: JobStatus = structuredClone(prev);
      const indexed = spec.completionMode === 'Indexed';
      const completions = spec.completions ?? undefined;
      const parallelism = spec.parallelism ?? 1;
      const suspended = spec.suspend === true;
      const onlyReplaceFailed = spec.podReplacementPolicy === 'Failed' || !!spec.podFailurePolicy;
      const uncSucceeded = new Set(prev.uncountedTerminatedPods?.succeeded ?? []);
      const uncFailed = new Set(prev.uncountedTerminatedPods?.failed ?? []);
      const completed = indexed ? parseIndexes(prev.completedIndexes, completions ?? 0) : new Set<number>();
      let conditions = [...(prev.conditions ?? [])];
      const events: [('Normal' | 'Warning'), string, string][] = [];

      // 1. finished pods that still carry the finalizer: record them as uncounted, then release them
      const isFailed = (p: Pod) => podPhase(p) === 'Failed' || (!onlyReplaceFailed && !!p.metadata.deletionTimestamp && podPhase(p) !== 'Succeeded');
      const toRelease: Pod[] = [];
      const indexOfUid = new Map<string, number>();
      let failJobMessage: string | undefined;
      const record = backoff.get(uid) ?? { failures: 0, last: 0 };
      const perIndex = indexed && spec.backoffLimitPerIndex !== undefined && spec.backoffLimitPerIndex !== null;
      const failedIdx = perIndex ? parseIndexes(prev.failedIndexes, completions ?? 0) : new Set<number>();
      /** backoffLimitPerIndex: failures so far of each index, and when the last one ended. */
      const indexFailures = new Map<number, { count: number; last: number }>();
      for (const p of all) {
        const pu = String(p.metadata.uid);
        const idx = podIndex(p);
        if (idx !== undefined) indexOfUid.set(pu, idx);
        const succeeded = podPhase(p) === 'Succeeded';
        const failed = !succeeded && isFailed(p);
        if (!succeeded && !failed) continue;
        const policy = failed && podPhase(p) === 'Failed' ? matchPodFailurePolicy(spec.podFailurePolicy, p) : undefined;
        if (policy?.action === 'FailJob' && !failJobMessage && hasTrackingFinalizer(p)) failJobMessage = policy.message;
        let indexFailureCount = 0;
        if (perIndex && failed && idx !== undefined && policy?.action !== 'Ignore') {
          indexFailureCount = (Number(p.metadata.annotations?.[JOB_INDEX_FAILURE_COUNT]) || 0) + 1;
          const f = indexFailures.get(idx) ?? { count: 0, last: 0 };
          indexFailures.set(idx, { count: Math.max(f.count, indexFailureCount), last: Math.max(f.last, finishedAt(p, now)) });
        }
        if (!hasTrackingFinalizer(p) || releasedUids.has(pu)) continue;
        toRelease.push(p);
        if (uncSucceeded.has(pu) || uncFailed.has(pu)) continue;
        if (succeeded) {
          if (indexed && (idx === undefined || idx >= (completions ?? 0))) continue; // an invalid index never counts
          uncSucceeded.add(pu);
          record.failures = 0;
        } else {
          if (policy?.action === 'Ignore') continue;
          uncFailed.add(pu);
          // the index has failed for good: FailIndex, or more failures than backoffLimitPerIndex
          if (perIndex && idx !== undefined && idx < (completions ?? 0) && (policy?.action === 'FailIndex' || indexFailureCount > spec.backoffLimitPerIndex!)) failedIdx.add(idx);
          record.failures++;
          record.last = Math.max(record.last, finishedAt(p, now));
        }
      }
      backoff.set(uid, record);

      const active = all.filter(isPodActive);
      const terminating = all.filter((p) => !!p.metadata.deletionTimestamp && podPhase(p) !== 'Succeeded' && podPhase(p) !== 'Failed');
      const failedCount = (prev.failed ?? 0) + uncFailed.size;
      const succeededIdx = new Set(completed);
      for (const u of uncSucceeded) { const i = indexOfUid.get(u); if (i !== undefined) succeededIdx.add(i); }
      const succeededCount = indexed ? succeededIdx.size : (prev.succeeded ?? 0) + uncSucceeded.size;

      // 2. is the Job finished?
      let finished: JobCondition | undefined;
      let requeueAfterMs: number | undefined;
      const failureTarget = conditions.find((c) => c.type === 'FailureTarget' && c.status === 'True');
      const criteriaMet = conditions.find((c) => c.type === 'SuccessCriteriaMet' && c.status === 'True');
      /** The SuccessCriteriaMet condition was added in this sync (written before any finalizer goes). */
      let criteriaMetAdded = false;
      if (pendingFinish.has(uid)) finished = pendingFinish.get(uid);
      // a success already recorded wins over any failure seen since
      else if (criteriaMet) finished = condition('Complete', criteriaMet.reason ?? '', criteriaMet.message ?? '', now);
      else if (failureTarget) finished = condition('Failed', failureTarget.reason ?? '', failureTarget.message ?? '', now);
      else if (failJobMessage) {
        conditions.push(condition('FailureTarget', 'PodFailurePolicy', failJobMessage, now));
        finished = condition('Failed', 'PodFailurePolicy', failJobMessage, now);
      }
      if (!finished) {
        const startMs = prev.startTime ? Date.parse(prev.startTime) : undefined;
        if (failedCount > (spec.backoffLimit ?? 6) || pastBackoffLimitOnFailure(spec, active)) {
          finished = condition('Failed', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit', now);
        } else if (spec.activeDeadlineSeconds != null && startMs !== undefined && !suspended && now - startMs >= spec.activeDeadlineSeconds * 1000) {
          finished = condition('Failed', 'DeadlineExceeded', 'Job was active longer than specified deadline', now);
        } else if (spec.activeDeadlineSeconds != null && startMs !== undefined && !suspended) {
          requeueAfterMs = startMs + spec.activeDeadlineSeconds * 1000 - now;
        }
      }
      if (!finished && perIndex) {
        const failedOnly = [...failedIdx].filter((i) => !succeededIdx.has(i)).length;
        if (spec.maxFailedIndexes !== undefined && spec.maxFailedIndexes !== null && failedOnly > spec.maxFailedIndexes) {
          finished = condition('Failed', 'MaxFailedIndexesExceeded', 'Job has exceeded the specified maximal number of failed indexes', now);
        } else if (failedOnly > 0 && failedOnly + succeededIdx.size >= (completions ?? 0)) {
          finished = condition('Failed', 'FailedIndexes', 'Job has failed indexes', now);
        }
      }
      if (!finished && indexed && completions !== undefined) {
        const matched = matchSuccessPolicy(spec.successPolicy, completions, succeededIdx);
        if (matched) {
          conditions.push(condition('SuccessCriteriaMet', 'SuccessPolicy', matched, now));
          criteriaMetAdded = true;
          finished = condition('Complete', 'SuccessPolicy', matched, now);
        }
      }
      let complete = false;
      if (!finished) {
        if (indexed) complete = completions !== undefined && succeededIdx.size >= completions;
        else if (completions === undefined) complete = succeededCount > 0 && active.length === 0;
        else complete = succeededCount >= completions && active.length === 0;
        if (complete) finished = condition('Complete', '', '', now);
      }

      if (finished) pendingFinish.set(uid, finished);
      // 3. manage pods; creations run while step 4 counts the finished pods (they do not depend on each other)
      let activeCount = active.length;
      let creating: Promise<{ created: number; error?: unknown }> | undefined;
      if (finished) {
        // failed or complete: no pod keeps running; a failed Job counts the ones it stops as failed
        if (active.length) {
          await deletePods(job, key, active);
          activeCount = 0;
          for (const p of active) {
            if (!hasTrackingFinalizer(p)) continue;
            if (finished.type === 'Failed') uncFailed.add(String(p.metadata.uid));
            // a met success policy stops the rest without counting them
            toRelease.push(p);
          }
        }
      } else if (suspended) {
        if (active.length) activeCount -= await deletePods(job, key, active);
        if (!conditions.some((c) => c.type === 'Suspended' && c.status === 'True')) {
          conditions = conditions.filter((c) => c.type !== 'Suspended');
          conditions.push(condition('Suspended', 'JobSuspended', 'Job suspended', now));
          events.push(['Normal', 'Suspended', 'Job suspended']);
        }
      } else if (!job.metadata.deletionTimestamp) {
        const sus = conditions.find((c) => c.type === 'Suspended' && c.status === 'True');
        if (sus) {
          conditions = conditions.map((c) => (c === sus ? { ...c, status: 'False', reason: 'JobResumed', message: 'Job resumed', lastTransitionTime: rfc3339(now), lastProbeTime: rfc3339(now) } : c));
          status.startTime = rfc3339(now);
          events.push(['Normal', 'Resumed', 'Job resumed']);
          // pods stopped by the suspension are not failures to back off from
          record.failures = 0;
        }
        const occupying = onlyReplaceFailed ? active.length + terminating.length : active.length;
        const remaining = record.failures > 0 ? record.last + Math.min(JOB_BACKOFF_MAX_MS, JOB_BACKOFF_BASE_MS * 2 ** (record.failures - 1)) - now : 0;
        if (indexed) {
          const n = completions ?? 0;
          const byIdx = new Map<number, Pod[]>();
          const extra: Pod[] = [];
          for (const p of active) {
            const i = podIndex(p);
            if (i === undefined || i >= n || succeededIdx.has(i) || failedIdx.has(i)) { extra.push(p); continue; }
            const list = byIdx.get(i) ?? [];
            if (list.length) extra.push(p); else list.push(p);
            byIdx.set(i, list);
          }
          const want = Math.min(parallelism, n - new Set([...succeededIdx, ...failedIdx]).size);
          const keep = [...byIdx.keys()].sort((a, b) => a - b);
          while (keep.length > want) extra.push(byIdx.get(keep.pop()!)![0]);
          if (extra.length) activeCount -= await deletePods(job, key, extra);
          else if (keep.length < want) {
            const busy = new Set(keep);
            if (onlyReplaceFailed) for (const p of terminating) { const i = podIndex(p); if (i !== undefined) busy.add(i); }
            const missing: number[] = [];
            const waitMs = perIndex ? 0 : remaining;
            for (let i = 0; i < n && missing.length < Math.min(want - keep.length, MAX_PER_SYNC); i++) {
              if (succeededIdx.has(i) || failedIdx.has(i) || busy.has(i)) continue;
              // with backoffLimitPerIndex each index backs off on its own failures
              const f = perIndex ? indexFailures.get(i) : undefined;
              const left = f ? f.last + Math.min(JOB_BACKOFF_MAX_MS, JOB_BACKOFF_BASE_MS * 2 ** (f.count - 1)) - now : 0;
              if (left > 0) { requeueAfterMs = Math.min(requeueAfterMs ?? Infinity, left); continue; }
              missing.push(i);
            }
            if (missing.length && waitMs > 0) requeueAfterMs = Math.min(requeueAfterMs ?? Infinity, waitMs);
            else creating = createPods(job, key, spec, missing, new Map([...indexFailures].map(([i, f]) => [i, f.count])));
          }
        } else {
          let want: number;
          if (completions === undefined) want = succeededCount > 0 ? Math.min(active.length, parallelism) : parallelism;
          else want = Math.max(0, Math.min(parallelism, completions - succeededCount));
          if (active.length > want) {
            // the least useful first: not yet scheduled, not ready, newest
            const rank = (p: Pod) => ((p.spec as PodSpec | undefined)?.nodeName ? 2 : 0) + (isPodReady(p) ? 1 : 0);
            const victims = [...active].sort((a, b) => rank(a) - rank(b) || String(b.metadata.creationTimestamp).localeCompare(String(a.metadata.creationTimestamp))).slice(0, active.length - want);
            activeCount -= await deletePods(job, key, victims);
          } else if (occupying < want) {
            const n = Math.min(want - occupying, MAX_PER_SYNC);
            if (remaining > 0) requeueAfterMs = Math.min(requeueAfterMs ?? Infinity, remaining);
            else creating = createPods(job, key, spec, Array.from({ length: n }, () => undefined));
          }
        }
      }
      // a suspended Job has no startTime; it is set when the Job (re)starts
      if (suspended && !finished) delete status.startTime;
      else if (!status.startTime) status.startTime = rfc3339(now);

      // 4. persist the uncounted pods before their finalizers go, then release them, then count them
      const uncountedChanged = uncSucceeded.size !== (prev.uncountedTerminatedPods?.succeeded ?? []).length || uncFailed.size !== (prev.uncountedTerminatedPods?.failed ?? []).length;
      if (perIndex) status.failedIndexes = formatIndexes(failedIdx);
      if (uncountedChanged || criteriaMetAdded) {
        status.uncountedTerminatedPods = { succeeded: [...uncSucceeded], failed: [...uncFailed] };
        if (!uncSucceeded.size) delete status.uncountedTerminatedPods.succeeded;
        if (!uncFailed.size) delete status.uncountedTerminatedPods.failed;
        status.conditions = conditions.length ? conditions : undefined;
        job = await writeStatus(job, status);
      }
      const released = new Set<string>();
      const errors: unknown[] = [];
      await Promise.all(toRelease.map(async (p) => {
        try {
          if (await removeFinalizer(p)) { released.add(String(p.metadata.uid)); if (pods.get(objectKey(p)) && hasTrackingFinalizer(pods.get(objectKey(p))!)) releasedUids.add(String(p.metadata.uid)); }
        } catch (err) { errors.push(err); }
      }));
      if (creating) {
        const c = await creating;
        activeCount += c.created;
        if (c.error !== undefined) errors.push(c.error);
      }
      const stillHeld = new Set(all.filter((p) => hasTrackingFinalizer(p) && !releasedUids.has(String(p.metadata.uid))).map((p) => String(p.metadata.uid)));
      let succeeded = prev.succeeded ?? 0;
      let failed = prev.failed ?? 0;
      for (const u of [...uncSucceeded]) {
        if (stillHeld.has(u) && !released.has(u)) continue;
        uncSucceeded.delete(u);
        const i = indexOfUid.get(u);
        if (indexed) { if (i !== undefined) completed.add(i); } else succeeded++;
      }
      for (const u of [...uncFailed]) {
        if (stillHeld.has(u) && !released.has(u)) continue;
        uncFailed.delete(u);
        failed++;
      }
      if (indexed) {
        succeeded = completed.size;
        const s = formatIndexes(completed);
        if (s) status.completedIndexes = s; else delete status.completedIndexes;
      }
      status.succeeded = succeeded || undefined;
      status.failed = failed || undefined;
      status.uncountedTerminatedPods = {};
      if (uncSucceeded.size) status.uncountedTerminatedPods.succeeded = [...uncSucceeded];
      if (uncFailed.size) status.uncountedTerminatedPods.failed = [...uncFailed];
      status.active = activeCount > 0 ? activeCount : undefined;
      status.ready = Math.min(activeCount, active.filter(isPodReady).length);
      // pods deleted in this sync are terminating until they are gone
      const stillTerminating = terminating.length + (finished ? active.length : 0);
      status.terminating = stillTerminating;
      if (finished && !uncSucceeded.size && !uncFailed.size && stillTerminating === 0 && !conditions.some((c) => c.type === finished!.type && c.status === 'True')) {
        // stamped when it is enacted (a finish decided earlier waited for its pods to go)
        finished = { ...finished, lastProbeTime: rfc3339(now), lastTransitionTime: rfc3339(now) };
        conditions.push(finished);
        if (finished.type === 'Complete') {
          status.completionTime = finished.lastTransitionTime;
          events.push(['Normal', 'Completed', 'Job completed']);
        } else {
          events.push(['Warning', finished.reason ?? 'Failed', finished.message ?? '']);
        }
        status.ready = 0;
        status.active = undefined;
      }
      status.conditions = conditions.length ? conditions : undefined;
      for (const k of Object.keys(status) as (keyof JobStatus)[]) if (status[k] === undefined) delete status[k];
      if (JSON.stringify(status) !== JSON.stringify(job.status ?? {})) {
        try { job = await writeStatus(job, status); } catch (err) { if (!isNotFound(err)) throw err; }
      }
      for (const [type, reason, message] of events) recorder.event(job, type, reason, message);
      if (errors.length) throw errors[0];
      if (finished) return undefined;
      return requeueAfterMs !== undefined && Number.isFinite(requeueAfterMs) ? { requeueAfterMs: Math.max(1, requeueAfterMs) } : undefined;
    },
  };

  const running = runController(reconciler, queue, opts.workers ?? 5);
  return { ...running, expectations, recorder };
}

export type { Job };
