/**
 * CronJob controller (Kubernetes pkg/controller/cronjob, cronjob_controllerv2.go), driven by the
 * Clock: at each activation of spec.schedule (in spec.timeZone, else UTC) it creates the Job
 * NAME-<scheduled time in Unix minutes> from spec.jobTemplate, owned by the CronJob and annotated
 * with batch.kubernetes.io/cronjob-scheduled-timestamp. Missed activations: only the most recent
 * one runs, and not at all when it is older than startingDeadlineSeconds (MissSchedule).
 * concurrencyPolicy Forbid skips an activation while a Job is active; Replace deletes the active
 * Jobs first. status.active lists running Jobs; lastScheduleTime and lastSuccessfulTime; finished
 * Jobs beyond successfulJobsHistoryLimit / failedJobsHistoryLimit are deleted, oldest first.
 */
import type { KubeObject } from '../api/object.js';
import type { CronJobSpec, CronJobStatus, JobStatus } from 'kubernetes-types/batch/v1.js';
import type { ObjectReference } from 'kubernetes-types/core/v1.js';
import type { KubeClient } from '../client/types.js';
import { Resources } from '../client/resources.js';
import type { SharedInformers } from '../client/shared-informers.js';
import { objectKey, splitKey } from '../client/informer.js';
import { WorkQueue } from '../client/work-queue.js';
import { isAlreadyExists, isNotFound } from '../client/errors.js';
import type { Clock } from '../util/clock.js';
import { realClock } from '../util/clock.js';
import { runController, type Reconciler, type RunningController } from './runner.js';
import { controllerOf, controllerRef } from './owner-routing.js';
import { createEventRecorder, type EventRecorder } from './events.js';
import { isJobFinished, rfc3339 } from './job-util.js';
import { Schedule, mostRecentScheduleTime } from './cronjob-schedule.js';
import { OwnWrites } from './own-writes.js';

export const SCHEDULED_TIMESTAMP_ANNOTATION = 'batch.kubernetes.io/cronjob-scheduled-timestamp';
const JOB_OWNER_INDEX = 'cronjob-controller-uid';

export interface CronJobControllerOptions {
  client: KubeClient;
  informers: SharedInformers;
  clock?: Clock;
  recorder?: EventRecorder;
  workers?: number;
}

export interface CronJobController extends RunningController { recorder: EventRecorder }

/** The Job name for an activation: NAME-<Unix minutes> (getJobName). */
export function cronJobName(cj: string, scheduledMs: number): string {
  return `${cj}-${Math.floor(scheduledMs / 60_000)}`;
}

/** RFC 3339 wall time of `ms` in zone `tz` with its offset (Go's time.Format(time.RFC3339) after In(tz)). */
export function rfc3339InZone(ms: number, tz: string): string {
  if (tz === 'UTC' || tz === 'Etc/UTC') return rfc3339(ms);
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' }).formatToParts(ms);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '00';
  const local = Date.UTC(Number(get('year')), Number(get('month')) - 1, Number(get('day')), Number(get('hour')), Number(get('minute')), Number(get('second')));
  const off = Math.round((local - Math.floor(ms / 1000) * 1000) / 60_000);
  const sign = off < 0 ? '-' : '+';
  const a = Math.abs(off);
  const offStr = off === 0 ? 'Z' : `${sign}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
  return `${get('year')}-${get('month')}-${get('day')}T${get('hour')}:${get('minute')}:${get('second')}${offStr}`;
}

/** RFC 1123 with numeric zone, as Go's time.RFC1123Z in UTC ("Mon, 02 Jan 2006 15:04:05 +0000"). */
function rfc1123z(ms: number): string {
  return new Date(ms).toUTCString().replace('GMT', '+0000');
}

export function startCronJobController(opts: CronJobControllerOptions): CronJobController {
  const { client } = opts;
  const clock = opts.clock ?? realClock;
  const recorder = opts.recorder ?? createEventRecorder(client, 'cronjob-controller', clock);
  const cronjobs = opts.informers.for(Resources.cronjobs);
  const jobs = opts.informers.for(Resources.jobs);
  jobs.addIndexer(JOB_OWNER_INDEX, (j) => { const r = controllerOf(j); return r && r.kind === 'CronJob' ? [r.uid] : []; });
  const queue = new WorkQueue({ clock });
  const own = new OwnWrites();

  const enqueueOwner = (j: KubeObject) => {
    const r = controllerOf(j);
    if (r && r.kind === 'CronJob') queue.add(`${j.metadata.namespace}/${r.name}`);
  };
  cronjobs.addEventHandler({ onAdd: (o) => queue.add(objectKey(o)), onUpdate: (_o, n) => queue.add(objectKey(n)), onDelete: (o) => queue.add(objectKey(o)) });
  jobs.addEventHandler({ onAdd: enqueueOwner, onUpdate: (_o, n) => enqueueOwner(n), onDelete: enqueueOwner });

  async function deleteJob(cj: KubeObject, name: string): Promise<void> {
    try {
      await client.delete(Resources.jobs, cj.metadata.namespace, name, { propagationPolicy: 'Background' });
      recorder.event(cj, 'Normal', 'SuccessfulDelete', `Deleted job ${name}`);
    } catch (err) {
      if (isNotFound(err)) return;
      recorder.event(cj, 'Warning', 'FailedDelete', `Deleted job: ${err instanceof Error ? err.message : String(err)}`);
      throw err;
    }
  }

  const reconciler: Reconciler = {
    name: 'cronjob',
    async reconcile(key) {
      const inCache = cronjobs.get(key);
      if (!inCache) return;
      let cached = own.latest(inCache);
      const cj = structuredClone(cached);
      const { namespace } = splitKey(key);
      const spec = (cj.spec ?? {}) as CronJobSpec;
      const status = structuredClone((cj.status ?? {}) as CronJobStatus);
      const before = JSON.stringify(status);
      const now = clock.now();
      const owned = jobs.byIndex(JOB_OWNER_INDEX, String(cj.metadata.uid));
      let active = [...(status.active ?? [])];
      const inActive = (uid?: string) => active.some((r) => r.uid === uid);

      for (const j of owned) {
        const fin = isJobFinished(j);
        if (!inActive(j.metadata.uid) && !fin) {
          // our copy may be behind: ask the API before calling the Job unexpected (as Kubernetes does)
          let fresh: KubeObject | undefined;
          try { fresh = await client.get(Resources.cronjobs, namespace, String(cj.metadata.name)); } catch (err) { if (!isNotFound(err)) throw err; }
          const freshActive = ((fresh?.status ?? {}) as CronJobStatus).active ?? [];
          if (fresh && fresh.metadata.uid === cj.metadata.uid && freshActive.some((r) => r.uid === j.metadata.uid)) {
            Object.assign(status, structuredClone(fresh.status ?? {}));
            active = [...freshActive];
            cached = fresh;
            continue;
          }
          recorder.event(cj, 'Warning', 'UnexpectedJob', `Saw a job that the controller did not create or forgot: ${j.metadata.name}`);
        } else if (inActive(j.metadata.uid) && fin) {
          active = active.filter((r) => r.uid !== j.metadata.uid);
          recorder.event(cj, 'Normal', 'SawCompletedJob', `Saw completed job: ${j.metadata.name}, status: ${fin.type}`);
        }
        const completion = ((j.status ?? {}) as JobStatus).completionTime;
        if (fin?.type === 'Complete' && completion && (!status.lastSuccessfulTime || Date.parse(status.lastSuccessfulTime) < Date.parse(completion))) {
          status.lastSuccessfulTime = completion;
        }
      }
      // Jobs in the active list that no longer exist
      for (const ref of [...active]) {
        if (owned.some((j) => j.metadata.uid === ref.uid)) continue;
        try {
          const j = await client.get(Resources.jobs, ref.namespace ?? namespace, String(ref.name));
          if (j.metadata.uid === ref.uid) continue;
        } catch (err) { if (!isNotFound(err)) throw err; }
        recorder.event(cj, 'Normal', 'MissingJob', `Active job went missing: ${ref.name}`);
        active = active.filter((r) => r.uid !== ref.uid);
      }

      let requeueAfterMs: number | undefined;
      let created: KubeObject | undefined;
      let sched: Schedule | undefined;
      const schedule = async (): Promise<void> => {
        if (cj.metadata.deletionTimestamp || spec.suspend) return;
        const tz = spec.timeZone ?? 'UTC';
        try { sched = new Schedule(spec.schedule, tz); } catch (err) {
          if (err instanceof RangeError) recorder.event(cj, 'Warning', 'UnknownTimeZone', `invalid timeZone: "${tz}": unknown time zone ${tz}`);
          else recorder.event(cj, 'Warning', 'UnparseableSchedule', `unparseable schedule: "${spec.schedule}" : ${err instanceof Error ? err.message : String(err)}`);
          return;
        }
        const earliest = status.lastScheduleTime ? Date.parse(status.lastScheduleTime) : Date.parse(String(cj.metadata.creationTimestamp));
        let from = earliest;
        if (spec.startingDeadlineSeconds != null) from = Math.max(from, now - spec.startingDeadlineSeconds * 1000);
        const due = mostRecentScheduleTime(sched, from, now);
        if (!due) return;
        if (due.missed > 100) {
          recorder.event(cj, 'Warning', 'TooManyMissedTimes', 'too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew');
        }
        const t = due.time;
        if (spec.startingDeadlineSeconds != null && t + spec.startingDeadlineSeconds * 1000 < now) {
          recorder.event(cj, 'Warning', 'MissSchedule', `Missed scheduled time to start a job: ${rfc1123z(t)}`);
          return;
        }
        const name = cronJobName(String(cj.metadata.name), t);
        if (active.some((r) => r.name === name) || (status.lastScheduleTime && Date.parse(status.lastScheduleTime) === t)) return;
        if (spec.concurrencyPolicy === 'Forbid' && active.length > 0) {
          recorder.event(cj, 'Normal', 'JobAlreadyActive', 'Not starting job because prior execution is running and concurrency policy is Forbid');
          return;
        }
        if (spec.concurrencyPolicy === 'Replace') {
          for (const ref of [...active]) {
            await deleteJob(cj, String(ref.name));
            active = active.filter((r) => r.uid !== ref.uid);
          }
        }
        const tmpl = spec.jobTemplate ?? {};
        const job: KubeObject = {
          apiVersion: 'batch/v1', kind: 'Job',
          metadata: {
            name, namespace,
            labels: { ...(tmpl.metadata?.labels ?? {}) },
            annotations: { ...(tmpl.metadata?.annotations ?? {}), [SCHEDULED_TIMESTAMP_ANNOTATION]: rfc3339InZone(t, tz) },
            ownerReferences: [controllerRef(cj, Resources.cronjobs)],
          },
          spec: structuredClone(tmpl.spec ?? {}),
        };
        if (!Object.keys(job.metadata.labels!).length) delete job.metadata.labels;
        try {
          created = await client.create(Resources.jobs, namespace, job);
        } catch (err) {
          if (isAlreadyExists(err)) {
            // made by an earlier sync whose status write was lost: adopt it into the status if it is ours
            const existing = await client.get(Resources.jobs, namespace, name);
            if (controllerOf(existing)?.uid !== cj.metadata.uid) throw err;
            if (!isJobFinished(existing) && !inActive(existing.metadata.uid)) created = existing;
            status.lastScheduleTime = rfc3339(t);
            return;
          }
          recorder.event(cj, 'Warning', 'FailedCreate', `Error creating job: ${err instanceof Error ? err.message : String(err)}`);
          throw err;
        }
        recorder.event(cj, 'Normal', 'SuccessfulCreate', `Created job ${name}`);
        status.lastScheduleTime = rfc3339(t);
      };
      await schedule();
      if (created) {
        const ref: ObjectReference = { kind: 'Job', namespace, name: created.metadata.name, uid: created.metadata.uid, apiVersion: 'batch/v1', resourceVersion: created.metadata.resourceVersion };
        active.push(ref);
      }
      if (active.length) status.active = active; else delete status.active;
      if (JSON.stringify(status) !== before) {
        try {
          own.remember(await client.update(Resources.cronjobs, namespace, { ...cached, status: status as Record<string, unknown> }, { subresource: 'status' }));
        } catch (err) { if (!isNotFound(err)) throw err; }
      }
      // history limits (cleanupFinishedJobs): oldest first by start time, then name
      if (!cj.metadata.deletionTimestamp) {
        const finished = jobs.byIndex(JOB_OWNER_INDEX, String(cj.metadata.uid)).filter((j) => isJobFinished(j) && !j.metadata.deletionTimestamp);
        for (const [type, limit] of [['Complete', spec.successfulJobsHistoryLimit], ['Failed', spec.failedJobsHistoryLimit]] as const) {
          if (limit === undefined || limit === null) continue;
          const list = finished.filter((j) => isJobFinished(j)!.type === type).sort((a, b) => {
            const sa = ((a.status ?? {}) as JobStatus).startTime, sb = ((b.status ?? {}) as JobStatus).startTime;
            if (sa && sb && sa !== sb) return Date.parse(sa) - Date.parse(sb);
            if (!sa !== !sb) return sa ? -1 : 1;
            return String(a.metadata.name).localeCompare(String(b.metadata.name));
          });
          for (const j of list.slice(0, Math.max(0, list.length - limit))) await deleteJob(cj, String(j.metadata.name));
        }
      }
      if (sched && !cj.metadata.deletionTimestamp && !spec.suspend) {
        const next = sched.next(clock.now());
        if (next !== undefined) requeueAfterMs = next - clock.now() + 100;
      }
      return requeueAfterMs !== undefined ? { requeueAfterMs } : undefined;
    },
  };
  const running = runController(reconciler, queue, opts.workers ?? 5);
  return { ...running, recorder };
}
