/**
 * batch/v1 defaulting (pkg/apis/batch/v1/defaults.go) for Job and CronJob, and the Job
 * strategy's PrepareForCreate: the generated `controller-uid` selector and pod labels.
 */
import type { KubeObject } from '../object.js';
import { defaultPodTemplateSpec } from './core.js';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : undefined);
function ensure(o: Obj, k: string): Obj {
  const v = obj(o[k]);
  if (v) return v;
  const n: Obj = {};
  o[k] = n;
  return n;
}
const unset = (v: unknown) => v === undefined || v === null;

export const LegacyControllerUidLabel = 'controller-uid';
export const ControllerUidLabel = 'batch.kubernetes.io/controller-uid';
export const LegacyJobNameLabel = 'job-name';
export const JobNameLabel = 'batch.kubernetes.io/job-name';

/** Marks job labels that were copied from the template, so PrepareForCreate adds to both (as Go's shared map does). */
const labelsFromTemplate = new WeakSet<object>();

export function defaultJob(job: KubeObject): void {
  const spec = ensure(job as Obj, 'spec');
  if (unset(spec.completions) && unset(spec.parallelism)) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  if (unset(spec.parallelism)) spec.parallelism = 1;
  if (unset(spec.backoffLimit)) spec.backoffLimit = unset(spec.backoffLimitPerIndex) ? 6 : 2147483647;
  const tpl = ensure(spec, 'template');
  const tplLabels = obj(obj(tpl.metadata)?.labels) as Record<string, string> | undefined;
  if (tplLabels && (!job.metadata.labels || Object.keys(job.metadata.labels).length === 0)) {
    job.metadata.labels = tplLabels;
    labelsFromTemplate.add(tplLabels);
  }
  if (unset(spec.completionMode)) spec.completionMode = 'NonIndexed';
  if (unset(spec.suspend)) spec.suspend = false;
  const pfp = obj(spec.podFailurePolicy);
  if (pfp) {
    for (const rule of Array.isArray(pfp.rules) ? pfp.rules : []) {
      for (const pat of Array.isArray(obj(rule)?.onPodConditions) ? (obj(rule)!.onPodConditions as unknown[]) : []) {
        const p = obj(pat);
        if (p && (p.status === undefined || p.status === '')) p.status = 'True';
      }
    }
  }
  if (unset(spec.podReplacementPolicy)) spec.podReplacementPolicy = pfp ? 'Failed' : 'TerminatingOrFailed';
  defaultPodTemplateSpec(tpl);
}

/**
 * The Job strategy's PrepareForCreate: clear status, generation 1, and unless
 * spec.manualSelector is true, label the template with the job name and uid and select on the uid.
 */
export function prepareJobForCreate(job: KubeObject, uid: string): void {
  const spec = ensure(job as Obj, 'spec');
  job.status = {};
  job.metadata.generation = 1;
  if (spec.manualSelector === true) return;
  const tpl = ensure(spec, 'template');
  const meta = ensure(tpl, 'metadata');
  const labels = (obj(meta.labels) ?? {}) as Record<string, string>;
  const shared = labelsFromTemplate.has(labels) && job.metadata.labels === labels;
  const name = job.metadata.name ?? '';
  const add: Record<string, string> = {};
  for (const k of [LegacyJobNameLabel, JobNameLabel]) if (!(k in labels)) add[k] = name;
  for (const k of [LegacyControllerUidLabel, ControllerUidLabel]) if (!(k in labels)) add[k] = uid;
  // keys in the order Go serializes a map: sorted
  const merged: Record<string, string> = {};
  for (const k of Object.keys({ ...labels, ...add }).sort()) merged[k] = k in labels ? labels[k] : add[k];
  meta.labels = merged;
  if (shared) job.metadata.labels = { ...merged };
  const sel = ensure(spec, 'selector');
  const ml = (obj(sel.matchLabels) ?? {}) as Record<string, string>;
  if (!(ControllerUidLabel in ml)) ml[ControllerUidLabel] = uid;
  sel.matchLabels = ml;
}

export function defaultCronJob(cj: KubeObject): void {
  const spec = ensure(cj as Obj, 'spec');
  if (unset(spec.concurrencyPolicy) || spec.concurrencyPolicy === '') spec.concurrencyPolicy = 'Allow';
  if (unset(spec.suspend)) spec.suspend = false;
  if (unset(spec.successfulJobsHistoryLimit)) spec.successfulJobsHistoryLimit = 3;
  if (unset(spec.failedJobsHistoryLimit)) spec.failedJobsHistoryLimit = 1;
  const jt = ensure(spec, 'jobTemplate');
  const jspec = ensure(jt, 'spec');
  defaultPodTemplateSpec(ensure(jspec, 'template'));
}
