/**
 * batch/v1 validation (pkg/apis/batch/validation/validation.go): Job (generated selector,
 * spec, template restart policy, immutability of selector, template, completions and mode) and
 * CronJob (schedule, time zone, concurrency policy, job template).
 */
import type { FieldError } from '../errors.js';
import type { KubeObject } from '../object.js';
import { isDNS1123Label } from '../names.js';
import {
  asArr, asObj, child, forbidden, invalid, notSupported, type Obj, required, semanticEqual, str, validateImmutableField,
  validateNonnegativeField,
} from './field.js';
import { nameIsDNSSubdomain, validateObjectMeta, validateObjectMetaUpdate } from './objectmeta.js';
import { validatePodTemplateSpec } from './pod-spec.js';
import { validateLabelSelector, selectorIsEmpty, selectorMatches } from './selector.js';
import { parseCron } from './cron.js';

const LegacyControllerUidLabel = 'controller-uid';
const ControllerUidLabel = 'batch.kubernetes.io/controller-uid';
const maxParallelismForIndexedJob = 100000;
const maxCompletionsForIndexedJob = 100000;

function spec(o: KubeObject): Obj {
  return asObj(o.spec) ?? {};
}
function n(v: unknown): number | undefined {
  return typeof v === 'number' ? v : undefined;
}
function tplLabels(tpl: Obj | undefined): Record<string, string> {
  return (asObj(asObj(tpl?.metadata)?.labels) ?? {}) as Record<string, string>;
}

function validateHasLabel(labels: Record<string, string>, key: string, expected: string): FieldError[] {
  const field = `spec.template.metadata.labels[${key}]`;
  if (!(key in labels)) return [required(field, `must be '${expected}'`)];
  if (labels[key] !== expected) return [invalid(field, labels, `must be '${expected}'`)];
  return [];
}

/**
 * validateGeneratedSelector: unless spec.manualSelector, the template carries the generated
 * labels (legacy and, when requirePrefixed, batch.kubernetes.io/ ones) and the selector selects them.
 */
function validateGeneratedSelector(job: KubeObject, requirePrefixed: boolean): FieldError[] {
  const s = spec(job);
  if (s.manualSelector === true) return [];
  if (s.selector === undefined || s.selector === null) return [];
  const errs: FieldError[] = [];
  const uid = job.metadata.uid ?? '';
  const name = job.metadata.name ?? '';
  if (!uid) errs.push(required('metadata.uid'));
  const labels = tplLabels(asObj(s.template));
  errs.push(...validateHasLabel(labels, LegacyControllerUidLabel, uid));
  errs.push(...validateHasLabel(labels, 'job-name', name));
  const expected: Record<string, string> = {};
  if (requirePrefixed) {
    errs.push(...validateHasLabel(labels, ControllerUidLabel, uid));
    errs.push(...validateHasLabel(labels, 'batch.kubernetes.io/job-name', name));
    expected[ControllerUidLabel] = uid;
    expected['batch.kubernetes.io/job-name'] = name;
  }
  expected[LegacyControllerUidLabel] = uid;
  expected['job-name'] = name;
  if (!selectorMatches(s.selector, expected) && !selectorIsEmpty(s.selector)) {
    errs.push(invalid('spec.selector', s.selector, '`selector` not auto-generated'));
  }
  return errs;
}

function validatePodFailurePolicy(s: Obj, field: string): FieldError[] {
  const pfp = asObj(s.podFailurePolicy);
  if (!pfp) return [];
  const errs: FieldError[] = [];
  const rulesPath = child(field, 'rules');
  const rules = asArr(pfp.rules);
  if (rules.length > 20) errs.push({ type: 'FieldValueTooMany', field: rulesPath, badValue: rules.length, detail: 'must have at most 20 items' });
  const containerNames = new Set(asArr(asObj(asObj(s.template)?.spec)?.containers).map((c) => str(asObj(c)?.name)));
  for (const c of asArr(asObj(asObj(s.template)?.spec)?.initContainers)) containerNames.add(str(asObj(c)?.name));
  rules.forEach((r, i) => {
    const rule = asObj(r) ?? {};
    const rp = `${rulesPath}[${i}]`;
    const actions = ['Count', 'FailIndex', 'FailJob', 'Ignore'];
    const action = str(rule.action);
    if (!actions.includes(action)) errs.push(notSupported(child(rp, 'action'), action, actions));
    if (action === 'FailIndex' && s.backoffLimitPerIndex === undefined) errs.push(forbidden(child(rp, 'action'), 'requires the backoffLimitPerIndex to be set'));
    const exit = asObj(rule.onExitCodes);
    const conds = asArr(rule.onPodConditions);
    if (exit && conds.length) errs.push(invalid(rp, 'specifying both OnExitCodes and OnPodConditions is not supported', ''));
    else if (!exit && conds.length === 0) errs.push(invalid(rp, 'specifying one of OnExitCodes and OnPodConditions is required', ''));
    if (exit) {
      const ep = child(rp, 'onExitCodes');
      const cn = exit.containerName;
      if (typeof cn === 'string' && !containerNames.has(cn)) errs.push(invalid(child(ep, 'containerName'), cn, 'must be one of the container or initContainer names in the pod template'));
      const ops = ['In', 'NotIn'];
      if (!ops.includes(str(exit.operator))) errs.push(notSupported(child(ep, 'operator'), exit.operator ?? '', ops));
      const values = asArr(exit.values).map(Number);
      if (values.length === 0) errs.push(invalid(child(ep, 'values'), values, 'at least one value is required'));
      else if (values.length > 255) errs.push({ type: 'FieldValueTooMany', field: child(ep, 'values'), badValue: values.length, detail: 'must have at most 255 items' });
      values.forEach((v, j) => {
        if (exit.operator === 'In' && v === 0) errs.push(invalid(`${child(ep, 'values')}[${j}]`, v, 'must not be 0 for the In operator'));
        if (j > 0 && values[j - 1] === v) errs.push({ type: 'FieldValueDuplicate', field: `${child(ep, 'values')}[${j}]`, badValue: v });
        else if (j > 0 && values[j - 1] > v) errs.push(invalid(`${child(ep, 'values')}[${j}]`, v, 'must be ordered'));
      });
    }
    conds.forEach((c, j) => {
      const cp = `${child(rp, 'onPodConditions')}[${j}]`;
      const st = str(asObj(c)?.status);
      if (!['True', 'False', 'Unknown'].includes(st)) errs.push(notSupported(child(cp, 'status'), st, ['True', 'False', 'Unknown']));
      if (!str(asObj(c)?.type)) errs.push(required(child(cp, 'type')));
    });
  });
  return errs;
}

/** validateJobSpec: the parts shared by Jobs and CronJob job templates. */
function validateJobSpecBase(s: Obj, field: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const f of ['parallelism', 'completions', 'activeDeadlineSeconds', 'backoffLimit', 'ttlSecondsAfterFinished', 'backoffLimitPerIndex', 'maxFailedIndexes']) {
    errs.push(...validateNonnegativeField(n(s[f]), child(field, f)));
  }
  if (s.maxFailedIndexes !== undefined && s.maxFailedIndexes !== null && (s.backoffLimitPerIndex === undefined || s.backoffLimitPerIndex === null)) {
    errs.push(required(child(field, 'backoffLimitPerIndex'), 'when maxFailedIndexes is specified'));
  }
  const mode = s.completionMode;
  if (mode !== undefined && mode !== null) {
    if (mode !== 'NonIndexed' && mode !== 'Indexed') errs.push(notSupported(child(field, 'completionMode'), mode, ['NonIndexed', 'Indexed']));
    if (mode === 'Indexed') {
      if (n(s.completions) === undefined) errs.push(required(child(field, 'completions'), 'when completion mode is Indexed'));
      if ((n(s.parallelism) ?? 0) > maxParallelismForIndexedJob) {
        errs.push(invalid(child(field, 'parallelism'), s.parallelism, `must be less than or equal to ${maxParallelismForIndexedJob} when completion mode is Indexed`));
      }
      if ((n(s.completions) ?? 0) > maxCompletionsForIndexedJob && s.backoffLimitPerIndex !== undefined) {
        errs.push(invalid(child(field, 'completions'), s.completions, `must be less than or equal to ${maxCompletionsForIndexedJob} when backoffLimitPerIndex is specified`));
      }
    }
  }
  if (s.backoffLimitPerIndex !== undefined && s.backoffLimitPerIndex !== null && mode !== 'Indexed') {
    errs.push(invalid(child(field, 'backoffLimitPerIndex'), s.backoffLimitPerIndex, 'requires indexed completion mode'));
  }
  if (s.managedBy !== undefined && s.managedBy !== null) {
    const mb = str(s.managedBy);
    if (mb.length > 63) errs.push({ type: 'FieldValueTooLong', field: child(field, 'managedBy'), detail: 'may not be more than 63 bytes' });
  }
  errs.push(...validatePodFailurePolicy(s, child(field, 'podFailurePolicy')));
  const prp = s.podReplacementPolicy;
  if (prp !== undefined && prp !== null) {
    if (prp !== 'TerminatingOrFailed' && prp !== 'Failed') errs.push(notSupported(child(field, 'podReplacementPolicy'), prp, ['TerminatingOrFailed', 'Failed']));
    else if (prp !== 'Failed' && s.podFailurePolicy) errs.push(notSupported(child(field, 'podReplacementPolicy'), prp, ['Failed']));
  }
  const tp = child(field, 'template');
  const tpl = asObj(s.template) ?? {};
  errs.push(...validatePodTemplateSpec(tpl, tp));
  const ts = asObj(tpl.spec) ?? {};
  const rp = str(ts.restartPolicy);
  if (rp !== 'OnFailure' && rp !== 'Never') errs.push(notSupported(child(tp, 'spec', 'restartPolicy'), rp, ['OnFailure', 'Never']));
  else if (rp === 'OnFailure' && s.podFailurePolicy) errs.push(invalid(child(tp, 'spec', 'restartPolicy'), rp, 'only "Never" is supported when podFailurePolicy is specified'));
  if (ts.activeDeadlineSeconds !== undefined && ts.activeDeadlineSeconds !== null) {
    errs.push(invalid(child(tp, 'spec', 'activeDeadlineSeconds'), ts.activeDeadlineSeconds, 'activeDeadlineSeconds in ActiveDeadlineSeconds is not Supported'));
  }
  return errs;
}

export function validateJobSpec(s: Obj, field: string): FieldError[] {
  const errs = validateJobSpecBase(s, field);
  if (s.selector === undefined || s.selector === null) errs.push(required(child(field, 'selector')));
  else errs.push(...validateLabelSelector(s.selector, child(field, 'selector')));
  const tpl = asObj(s.template);
  const sel = s.selector;
  const matches = sel !== undefined && sel !== null && (selectorIsEmpty(sel) || selectorMatches(sel, tplLabels(tpl)));
  if (!matches) errs.push(invalid(child(field, 'template', 'metadata', 'labels'), tplLabels(tpl), '`selector` does not match template `labels`'));
  return errs;
}

export function validateJob(job: KubeObject): FieldError[] {
  const errs = validateObjectMeta(job.metadata, true, nameIsDNSSubdomain);
  errs.push(...validateGeneratedSelector(job, true));
  const s = spec(job);
  errs.push(...validateJobSpec(s, 'spec'));
  const completions = n(s.completions);
  if (s.completionMode === 'Indexed' && completions !== undefined && completions > 0) {
    const host = `${job.metadata.name ?? ''}-${completions - 1}`;
    if (isDNS1123Label(host).length > 0) errs.push(invalid('metadata.name', job.metadata.name ?? '', `will not able to create pod with invalid DNS label: ${host}`));
  }
  return errs;
}

export function validateJobUpdate(job: KubeObject, old: KubeObject): FieldError[] {
  const errs = validateObjectMetaUpdate(job.metadata, old.metadata);
  const s = spec(job);
  const o = spec(old);
  errs.push(...validateJobSpec(s, 'spec'));
  // completions may change only for Indexed jobs, together with parallelism (elastic indexed jobs)
  if (s.completionMode !== 'Indexed') errs.push(...validateImmutableField(s.completions, o.completions, 'spec.completions'));
  else if (!semanticEqual(s.completions, o.completions) && s.completions !== undefined && s.completions !== null && s.completions !== s.parallelism) {
    errs.push(invalid('spec.completions', s.completions, 'can only be modified in tandem with spec.parallelism'));
  }
  errs.push(...validateImmutableField(s.selector, o.selector, 'spec.selector'));
  // a suspended job that never started may change its scheduling directives
  const tpl = structuredClone(asObj(s.template) ?? {});
  const otpl = asObj(o.template) ?? {};
  const neverStarted = o.suspend === true && !asObj(old.status)?.startTime;
  if (neverStarted) {
    const ts = asObj(tpl.spec) ?? {};
    const os = asObj(otpl.spec) ?? {};
    for (const f of ['nodeSelector', 'affinity', 'tolerations', 'schedulingGates']) ts[f] = os[f];
    const tm = asObj(tpl.metadata) ?? {};
    const om = asObj(otpl.metadata) ?? {};
    tm.labels = om.labels;
    tm.annotations = om.annotations;
  }
  errs.push(...validateImmutableField(neverStarted ? tpl : s.template, o.template, 'spec.template'));
  errs.push(...validateImmutableField(s.completionMode, o.completionMode, 'spec.completionMode'));
  errs.push(...validateImmutableField(s.podFailurePolicy, o.podFailurePolicy, 'spec.podFailurePolicy'));
  errs.push(...validateImmutableField(s.backoffLimitPerIndex, o.backoffLimitPerIndex, 'spec.backoffLimitPerIndex'));
  errs.push(...validateImmutableField(s.managedBy, o.managedBy, 'spec.managedBy'));
  errs.push(...validateImmutableField(s.successPolicy, o.successPolicy, 'spec.successPolicy'));
  return errs;
}

export function validateJobStatusUpdate(job: KubeObject, old: KubeObject): FieldError[] {
  const errs = validateObjectMetaUpdate(job.metadata, old.metadata);
  const st = asObj(job.status) ?? {};
  for (const f of ['active', 'succeeded', 'failed', 'ready', 'terminating']) errs.push(...validateNonnegativeField(n(st[f]), child('status', f)));
  const ost = asObj(old.status) ?? {};
  if (ost.completionTime && !semanticEqual(st.completionTime, ost.completionTime)) errs.push(invalid('status.completionTime', st.completionTime ?? null, 'field is immutable'));
  if (ost.startTime && st.startTime && !semanticEqual(st.startTime, ost.startTime)) errs.push(invalid('status.startTime', st.startTime, 'field is immutable'));
  return errs;
}

// ---------------------------------------------------------------- CronJob

function validateScheduleFormat(schedule: string, allowTZ: boolean, timeZone: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  try {
    parseCron(schedule);
  } catch (e) {
    errs.push(invalid(field, schedule, (e as Error).message));
  }
  if (allowTZ && schedule.includes('TZ') && timeZone !== undefined && timeZone !== null) {
    errs.push(invalid(field, schedule, 'cannot use both timeZone field and TZ or CRON_TZ in schedule'));
  } else if (!allowTZ && schedule.includes('TZ')) {
    errs.push(invalid(field, schedule, 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead'));
  }
  return errs;
}

function validTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

function validateTimeZone(tz: unknown, field: string): FieldError[] {
  if (tz === undefined || tz === null) return [];
  const t = str(tz);
  if (t.toLowerCase() === 'local') return [invalid(field, t, 'timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones')];
  if (!validTimeZone(t) || t === '') return [invalid(field, t, `unknown time zone ${t}`)];
  return [];
}

function validateJobTemplateSpec(jt: Obj, field: string): FieldError[] {
  const js = asObj(jt.spec) ?? {};
  const sp = child(field, 'spec');
  const errs = validateJobSpecBase(js, sp);
  if (js.selector !== undefined && js.selector !== null) errs.push(invalid(child(sp, 'selector'), js.selector, '`selector` will be auto-generated'));
  if (js.manualSelector === true) errs.push(notSupported(child(sp, 'manualSelector'), true, ['nil', 'false']));
  return errs;
}

function validateCronJobSpec(s: Obj, old: Obj | undefined, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const schedule = str(s.schedule);
  if (!schedule) errs.push(required(child(field, 'schedule')));
  else errs.push(...validateScheduleFormat(schedule, old ? str(old.schedule).includes('TZ') : false, s.timeZone, child(field, 'schedule')));
  errs.push(...validateNonnegativeField(n(s.startingDeadlineSeconds), child(field, 'startingDeadlineSeconds')));
  if (!old || !semanticEqual(old.timeZone, s.timeZone)) errs.push(...validateTimeZone(s.timeZone, child(field, 'timeZone')));
  const cp = str(s.concurrencyPolicy);
  if (!cp) errs.push(required(child(field, 'concurrencyPolicy')));
  else if (!['Allow', 'Forbid', 'Replace'].includes(cp)) errs.push(notSupported(child(field, 'concurrencyPolicy'), cp, ['Allow', 'Forbid', 'Replace']));
  errs.push(...validateJobTemplateSpec(asObj(s.jobTemplate) ?? {}, child(field, 'jobTemplate')));
  errs.push(...validateNonnegativeField(n(s.successfulJobsHistoryLimit), child(field, 'successfulJobsHistoryLimit')));
  errs.push(...validateNonnegativeField(n(s.failedJobsHistoryLimit), child(field, 'failedJobsHistoryLimit')));
  return errs;
}

export function validateCronJob(cj: KubeObject): FieldError[] {
  const errs = validateObjectMeta(cj.metadata, true, nameIsDNSSubdomain);
  const name = cj.metadata.name ?? '';
  if (name.length > 52) errs.push(invalid('metadata.name', name, 'must be no more than 52 characters'));
  return errs.concat(validateCronJobSpec(spec(cj), undefined, 'spec'));
}

export function validateCronJobUpdate(cj: KubeObject, old: KubeObject): FieldError[] {
  const errs = validateObjectMetaUpdate(cj.metadata, old.metadata);
  errs.push(...validateCronJobSpec(spec(cj), spec(old), 'spec'));
  return errs;
}
