/**
 * Pieces of the Job controller (job.ts) that need no client: names of the labels, annotations and
 * finalizer it uses, its conditions, the pod it makes for an index, and when pods finished.
 */
import type { KubeObject } from '../api/object.js';
import type { JobCondition, JobSpec, JobStatus } from 'kubernetes-types/batch/v1.js';
import type { Container, PodSpec, PodStatus } from 'kubernetes-types/core/v1.js';
import { Resources } from '../client/resources.js';
import { podFromTemplate, type PodTemplateSpec } from './pod-template.js';
import { JOB_COMPLETION_INDEX } from './job-indexes.js';

export const JOB_TRACKING_FINALIZER = 'batch.kubernetes.io/job-tracking';
/** How many times this pod's index failed before it (backoffLimitPerIndex). */
export const JOB_INDEX_FAILURE_COUNT = 'batch.kubernetes.io/job-index-failure-count';
/** Pod failure backoff: 10 s, doubling per consecutive failure, at most 6 minutes (DefaultJobPodFailureBackOff, MaxJobPodFailureBackOff). */
export const JOB_BACKOFF_BASE_MS = 10_000;
export const JOB_BACKOFF_MAX_MS = 360_000;

export function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function hasTrackingFinalizer(pod: KubeObject): boolean {
  return (pod.metadata.finalizers ?? []).includes(JOB_TRACKING_FINALIZER);
}

/** The Job has a Complete or Failed condition with status True. */
export function isJobFinished(job: KubeObject): { type: 'Complete' | 'Failed'; time?: string } | undefined {
  for (const c of ((job.status ?? {}) as JobStatus).conditions ?? []) {
    if ((c.type === 'Complete' || c.type === 'Failed') && c.status === 'True') return { type: c.type, time: c.lastTransitionTime };
  }
  return undefined;
}

export function condition(type: string, reason: string, message: string, now: number): JobCondition {
  const ts = rfc3339(now);
  const c: JobCondition = { type, status: 'True', lastProbeTime: ts, lastTransitionTime: ts };
  if (reason) c.reason = reason;
  if (message) c.message = message;
  return c;
}

/** When the pod finished: the latest container finishedAt, else its deletionTimestamp, else now. */
export function finishedAt(pod: KubeObject, now: number): number {
  const st = (pod.status ?? {}) as PodStatus;
  let t = 0;
  for (const cs of [...(st.containerStatuses ?? []), ...(st.initContainerStatuses ?? [])]) {
    const f = cs.state?.terminated?.finishedAt;
    if (f) t = Math.max(t, Date.parse(f) || 0);
  }
  if (!t && pod.metadata.deletionTimestamp) t = Date.parse(pod.metadata.deletionTimestamp) || 0;
  return t ? Math.min(t, now) : now;
}

/** Sum of container restarts of active pods (restartPolicy OnFailure counts them toward backoffLimit). */
export function pastBackoffLimitOnFailure(spec: JobSpec, active: KubeObject[]): boolean {
  if (spec.template.spec?.restartPolicy !== 'OnFailure') return false;
  let restarts = 0;
  for (const p of active) {
    const st = (p.status ?? {}) as PodStatus;
    for (const cs of [...(st.initContainerStatuses ?? []), ...(st.containerStatuses ?? [])]) restarts += cs.restartCount ?? 0;
  }
  const limit = spec.backoffLimit ?? 6;
  return limit === 0 ? restarts > 0 : restarts >= limit;
}

/** A pod for the Job (Kubernetes' getPodFromTemplate plus the tracking finalizer; for Indexed Jobs the index annotation and label, hostname NAME-INDEX and JOB_COMPLETION_INDEX). */
export function jobPod(job: KubeObject, spec: JobSpec, index?: number, failureCount?: number): KubeObject {
  const name = String(job.metadata.name);
  const pod = podFromTemplate(spec.template as PodTemplateSpec, job, Resources.jobs, index === undefined ? `${name}-` : `${name}-${index}-`);
  pod.metadata.finalizers = [...(pod.metadata.finalizers ?? []), JOB_TRACKING_FINALIZER];
  if (index !== undefined) {
    pod.metadata.annotations = { ...(pod.metadata.annotations ?? {}), [JOB_COMPLETION_INDEX]: String(index) };
    if (spec.backoffLimitPerIndex !== undefined && spec.backoffLimitPerIndex !== null) pod.metadata.annotations[JOB_INDEX_FAILURE_COUNT] = String(failureCount ?? 0);
    pod.metadata.labels = { ...(pod.metadata.labels ?? {}), [JOB_COMPLETION_INDEX]: String(index) };
    const ps = pod.spec as PodSpec;
    if (!ps.hostname) ps.hostname = `${name}-${index}`;
    const env = { name: 'JOB_COMPLETION_INDEX', valueFrom: { fieldRef: { fieldPath: `metadata.annotations['${JOB_COMPLETION_INDEX}']` } } };
    for (const c of [...(ps.initContainers ?? []), ...(ps.containers ?? [])] as Container[]) {
      if (!(c.env ?? []).some((e) => e.name === env.name)) c.env = [...(c.env ?? []), structuredClone(env)];
    }
  }
  return pod;
}
