/**
 * batch/v1 validation (pkg/apis/batch/validation/validation.go): Job (generated selector,
 * spec, template restart policy, immutability of selector, template, completions and mode) and
 * CronJob (schedule, time zone, concurrency policy, job template).
 */
import type { FieldError } from '../errors.js';
import type { KubeObject } from '../object.js';
import { isDNS1123Label, isDNS1123Subdomain, isQualifiedName } from '../names.js';
import {
  asArr, asObj, child, invalid, notSupported, type Obj, required, semanticEqual, str, validateImmutableField,
  validateNonnegativeField,
} from './field.js';
import { nameIsDNSSubdomain, validateObjectMeta, validateObjectMetaUpdate } from './objectmeta.js';
import { validatePodTemplateSpec } from './pod-spec.js';
import { validateLabelSelector, selectorIsEmpty, selectorMatches } from './selector.js';
import { parseCron } from './cron.js';
import { validateIndexesFormat } from './index-intervals.js';

const LegacyControllerUidLabel = 'controller-uid';
const ControllerUidLabel = 'batch.kubernetes.io/controller-uid';
const maxParallelismForIndexedJob = 100000;
const maxCompletionsForIndexedJob = 100000;
/** maxJobSuccessPolicySucceededIndexesLimit, maxSuccessPolicyRule. */
const maxSucceededIndexesLength = 64 * 1024;
const maxSuccessPolicyRules = 20;

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

const podFailurePolicyActions = ['Count', 'FailIndex', 'FailJob', 'Ignore'];
const goQuoteList = (v: string[]) => `[${v.map((x) => JSON.stringify(x)).join(' ')}]`;

function validatePodFailurePolicy(s: Obj, field: string): FieldError[] {
  const pfp = asObj(s.podFailurePolicy);
  if (!pfp) return [];
  const errs: FieldError[] = [];
  const rulesPath = child(field, 'rules');
  const rules = asArr(pfp.rules);
  if (rules.length > 20) errs.push({ type: 'FieldValueTooMany', field: rulesPath, badValue: rules.length, detail: 'must have at most 20 items' });
  const tspec = asObj(asObj(s.template)?.spec) ?? {};
  const containerNames = new Set([...asArr(tspec.containers), ...asArr(tspec.initContainers)].map((c) => str(asObj(c)?.name)));
  rules.forEach((r, i) => {
    const rule = asObj(r) ?? {};
    const rp = `${rulesPath}[${i}]`;
    const action = str(rule.action);
    if (!action) errs.push(required(child(rp, 'action'), `valid values: ${goQuoteList(podFailurePolicyActions)}`));
    else if (action === 'FailIndex') {
      if (s.backoffLimitPerIndex === undefined || s.backoffLimitPerIndex === null) errs.push(invalid(child(rp, 'action'), action, 'requires the backoffLimitPerIndex to be set'));
    } else if (!podFailurePolicyActions.includes(action)) errs.push(notSupported(child(rp, 'action'), action, podFailurePolicyActions));
    const exit = asObj(rule.onExitCodes);
    const conds = asArr(rule.onPodConditions);
    if (exit) {
      const ep = child(rp, 'onExitCodes');
      const op = str(exit.operator);
      if (!op) errs.push(required(child(ep, 'operator'), `valid values: ${goQuoteList(['In', 'NotIn'])}`));
      else if (op !== 'In' && op !== 'NotIn') errs.push(notSupported(child(ep, 'operator'), op, ['In', 'NotIn']));
      const cn = exit.containerName;
      if (typeof cn === 'string' && !containerNames.has(cn)) errs.push(invalid(child(ep, 'containerName'), cn, 'must be one of the container or initContainer names in the pod template'));
      const vp = child(ep, 'values');
      const values = asArr(exit.values).map(Number);
      if (values.length === 0) errs.push(invalid(vp, values, 'at least one value is required'));
      else if (values.length > 255) errs.push({ type: 'FieldValueTooMany', field: vp, badValue: values.length, detail: 'must have at most 255 items' });
      let ordered = true;
      const seen = new Set<number>();
      values.forEach((v, j) => {
        if (op === 'In' && v === 0) errs.push(invalid(`${vp}[${j}]`, v, 'must not be 0 for the In operator'));
        if (seen.has(v)) errs.push({ type: 'FieldValueDuplicate', field: `${vp}[${j}]`, badValue: v });
        else seen.add(v);
        if (j > 0 && values[j - 1] > v) ordered = false;
      });
      if (!ordered) errs.push(invalid(vp, values, 'must be ordered'));
    }
    if (conds.length > 0) {
      const cp = child(rp, 'onPodConditions');
      if (conds.length > 20) errs.push({ type: 'FieldValueTooMany', field: cp, badValue: conds.length, detail: 'must have at most 20 items' });
      conds.forEach((c, j) => {
        const pat = asObj(c) ?? {};
        const pp = `${cp}[${j}]`;
        const t = str(pat.type);
        errs.push(...isQualifiedName(t).map((m) => invalid(child(pp, 'type'), t, m)));
        const st = str(pat.status);
        const statuses = ['False', 'True', 'Unknown'];
        if (!st) errs.push(required(child(pp, 'status'), `valid values: ${goQuoteList(statuses)}`));
        else if (!statuses.includes(st)) errs.push(notSupported(child(pp, 'status'), st, statuses));
      });
    }
    // these two carry no value in Kubernetes' message
    if (exit && conds.length > 0) errs.push(invalid(rp, undefined, 'specifying both OnExitCodes and OnPodConditions is not supported'));
    if (!exit && conds.length === 0) errs.push(invalid(rp, undefined, 'specifying one of OnExitCodes and OnPodConditions is required'));
  });
  return errs;
}

/** validateSuccessPolicy + validateSuccessPolicyRule (Indexed Jobs only). */
function validateSuccessPolicy(sp: Obj, completions: number | undefined, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const rulesPath = child(field, 'rules');
  const rules = asArr(sp.rules);
  if (rules.length === 0) errs.push(required(rulesPath, 'at least one rules must be specified when the successPolicy is specified'));
  if (rules.length > maxSuccessPolicyRules) errs.push({ type: 'FieldValueTooMany', field: rulesPath, badValue: rules.length, detail: `must have at most ${maxSuccessPolicyRules} items` });
  rules.forEach((r, i) => {
    const rule = asObj(r) ?? {};
    const rp = `${rulesPath}[${i}]`;
    const count = n(rule.succeededCount);
    const hasIndexes = typeof rule.succeededIndexes === 'string';
    if (count === undefined && !hasIndexes) errs.push(required(rp, 'at least one of succeededCount or succeededIndexes must be specified'));
    let totalIndexes = 0;
    if (hasIndexes) {
      const ip = child(rp, 'succeededIndexes');
      const idx = rule.succeededIndexes as string;
      // field.TooLong of Kubernetes 1.30
      if (idx.length > maxSucceededIndexesLength) errs.push({ type: 'FieldValueTooLong', field: ip, detail: `must have at most ${maxSucceededIndexesLength} bytes` });
      if (completions !== undefined) {
        const r = validateIndexesFormat(idx, completions);
        if ('error' in r) errs.push(invalid(ip, idx, `error parsing succeededIndexes: ${r.error}`));
        else totalIndexes = r.total;
      }
    }
    if (count !== undefined) {
      const cp = child(rp, 'succeededCount');
      errs.push(...validateNonnegativeField(count, cp));
      if (completions !== undefined && count > completions) errs.push(invalid(cp, count, `must be less than or equal to ${completions} (the number of specified completions)`));
      if (hasIndexes && count > totalIndexes) errs.push(invalid(cp, count, `must be less than or equal to ${totalIndexes} (the number of indexes in the specified succeededIndexes field)`));
    }
  });
  return errs;
}

const httpPathRe = /^[A-Za-z0-9/\-._~%!$&'()*+,;=:]+$/;
/** IsDomainPrefixedPath. */
function validateDomainPrefixedPath(v: string, field: string): FieldError[] {
  if (!v) return [required(field)];
  const i = v.indexOf('/');
  if (i <= 0 || i === v.length - 1) return [invalid(field, v, 'must be a domain-prefixed path (such as "acme.io/foo")')];
  const host = v.slice(0, i);
  const path = v.slice(i + 1);
  const errs = isDNS1123Subdomain(host).map((m) => invalid(field, host, m));
  if (!httpPathRe.test(path)) errs.push(invalid(field, path, "Invalid path (regex used for validation is '[A-Za-z0-9/\\-._~%!$&'()*+,;=:]+')"));
  return errs;
}

/** validateJobSpec: the parts shared by Jobs and CronJob job templates. */
function validateJobSpecBase(s: Obj, field: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const f of ['parallelism', 'completions', 'activeDeadlineSeconds', 'backoffLimit', 'ttlSecondsAfterFinished', 'backoffLimitPerIndex']) {
    errs.push(...validateNonnegativeField(n(s[f]), child(field, f)));
  }
  const has = (k: string) => s[k] !== undefined && s[k] !== null;
  if (has('maxFailedIndexes')) {
    errs.push(...validateNonnegativeField(n(s.maxFailedIndexes), child(field, 'maxFailedIndexes')));
    if (!has('backoffLimitPerIndex')) errs.push(required(child(field, 'backoffLimitPerIndex'), 'when maxFailedIndexes is specified'));
  }
  if (has('managedBy')) {
    const mb = str(s.managedBy);
    errs.push(...validateDomainPrefixedPath(mb, child(field, 'managedBy')));
    if (mb.length > 63) errs.push({ type: 'FieldValueTooLong', field: child(field, 'managedBy'), detail: 'may not be longer than 63' });
  }
  const mode = s.completionMode;
  const completions = n(s.completions);
  const parallelism = n(s.parallelism);
  const maxFailed = n(s.maxFailedIndexes);
  if (mode !== undefined && mode !== null) {
    if (mode !== 'NonIndexed' && mode !== 'Indexed') errs.push(notSupported(child(field, 'completionMode'), mode, ['NonIndexed', 'Indexed']));
    if (mode === 'Indexed') {
      if (completions === undefined) errs.push(required(child(field, 'completions'), 'when completion mode is Indexed'));
      if (parallelism !== undefined && parallelism > maxParallelismForIndexedJob) {
        errs.push(invalid(child(field, 'parallelism'), parallelism, `must be less than or equal to ${maxParallelismForIndexedJob} when completion mode is Indexed`));
      }
      if (completions !== undefined && maxFailed !== undefined && maxFailed > completions) errs.push(invalid(child(field, 'maxFailedIndexes'), maxFailed, 'must be less than or equal to completions'));
      if (maxFailed !== undefined && maxFailed > maxCompletionsForIndexedJob) errs.push(invalid(child(field, 'maxFailedIndexes'), maxFailed, `must be less than or equal to ${maxCompletionsForIndexedJob}`));
      if (completions !== undefined && completions > 100000 && has('backoffLimitPerIndex')) {
        if (maxFailed === undefined) errs.push(required(child(field, 'maxFailedIndexes'), 'must be specified when completions is above 100000'));
        if (parallelism !== undefined && parallelism > 10000) errs.push(invalid(child(field, 'parallelism'), parallelism, 'must be less than or equal to 10000 when completions are above 100000 and used with backoff limit per index'));
        if (maxFailed !== undefined && maxFailed > 10000) errs.push(invalid(child(field, 'maxFailedIndexes'), maxFailed, 'must be less than or equal to 10000 when completions are above 100000 and used with backoff limit per index'));
      }
    }
  }
  if (mode === undefined || mode === null || mode === 'NonIndexed') {
    if (has('backoffLimitPerIndex')) errs.push(invalid(child(field, 'backoffLimitPerIndex'), s.backoffLimitPerIndex, 'requires indexed completion mode'));
    if (has('maxFailedIndexes')) errs.push(invalid(child(field, 'maxFailedIndexes'), s.maxFailedIndexes, 'requires indexed completion mode'));
  }
  errs.push(...validatePodFailurePolicy(s, child(field, 'podFailurePolicy')));
  if (s.successPolicy !== undefined && s.successPolicy !== null) {
    if (mode !== 'Indexed') errs.push(invalid(child(field, 'successPolicy'), s.successPolicy, 'requires indexed completion mode'));
    else errs.push(...validateSuccessPolicy(asObj(s.successPolicy) ?? {}, completions, child(field, 'successPolicy')));
  }
  const prp = s.podReplacementPolicy;
  if (prp !== undefined && prp !== null) {
    if (s.podFailurePolicy) {
      if (prp !== 'Failed') errs.push(notSupported(child(field, 'podReplacementPolicy'), prp, ['Failed']));
    } else if (prp !== 'TerminatingOrFailed' && prp !== 'Failed') {
      errs.push(notSupported(child(field, 'podReplacementPolicy'), prp, ['Failed', 'TerminatingOrFailed']));
    }
  }
  const tp = child(field, 'template');
  const tpl = asObj(s.template) ?? {};
  errs.push(...validatePodTemplateSpec(tpl, tp));
  const ts = asObj(tpl.spec) ?? {};
  const rp = str(ts.restartPolicy);
  // an unset restartPolicy is defaulted to Always, so both read as "not chosen"
  if (rp === 'Always' || rp === '') errs.push(required(child(tp, 'spec', 'restartPolicy'), 'valid values: "OnFailure", "Never"'));
  else if (rp !== 'OnFailure' && rp !== 'Never') errs.push(notSupported(child(tp, 'spec', 'restartPolicy'), rp, ['OnFailure', 'Never']));
  else if (s.podFailurePolicy && rp !== 'Never') errs.push(invalid(child(tp, 'spec', 'restartPolicy'), rp, 'only "Never" is supported when podFailurePolicy is specified'));
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

function conditionTrue(status: Obj, type: string): boolean {
  return asArr(status.conditions).some((c) => asObj(c)?.type === type && asObj(c)?.status === 'True');
}

export function validateJobStatusUpdate(job: KubeObject, old: KubeObject): FieldError[] {
  const errs = validateObjectMetaUpdate(job.metadata, old.metadata);
  const st = asObj(job.status) ?? {};
  const ost = asObj(old.status) ?? {};
  for (const f of ['active', 'succeeded', 'failed', 'ready', 'terminating']) errs.push(...validateNonnegativeField(n(st[f]), child('status', f)));
  const seen = new Set<string>();
  for (const kind of ['succeeded', 'failed']) {
    asArr(asObj(st.uncountedTerminatedPods)?.[kind]).forEach((uid, i) => {
      const p = `status.uncountedTerminatedPods.${kind}[${i}]`;
      const u = str(uid);
      if (!u) errs.push(invalid(p, u, 'must not be empty'));
      else if (seen.has(u)) errs.push({ type: 'FieldValueDuplicate', field: p, badValue: u });
      else seen.add(u);
    });
  }
  const complete = conditionTrue(st, 'Complete');
  const failed = conditionTrue(st, 'Failed');
  const finished = complete || failed;
  if (complete && failed) errs.push(invalid('status.conditions', undefined, 'cannot set Complete=True and Failed=true conditions'));
  if (st.completionTime && !complete) errs.push(invalid('status.completionTime', st.completionTime, 'cannot set completionTime when there is no Complete=True condition'));
  if (!st.completionTime && complete) errs.push(required('status.completionTime', 'completionTime is required for Complete jobs'));
  if (st.startTime && st.completionTime && Date.parse(str(st.completionTime)) < Date.parse(str(st.startTime))) {
    errs.push(invalid('status.completionTime', st.completionTime, 'completionTime cannot be set before startTime'));
  }
  if ((n(st.active) ?? 0) > 0 && finished) errs.push(invalid('status.active', st.active, 'active>0 is invalid for finished job'));
  if (!st.startTime && finished) errs.push(required('status.startTime', 'startTime is required for finished job'));
  if ((n(st.terminating) ?? 0) > 0 && finished) errs.push(invalid('status.terminating', st.terminating, 'terminating>0 is invalid for finished job'));
  if (n(st.ready) !== undefined && (n(st.ready) ?? 0) > (n(st.active) ?? 0)) errs.push(invalid('status.ready', st.ready, 'cannot set more ready pods than active'));
  // SuccessCriteriaMet (Job success policy): never beside a failure; a Job with a success policy completes only through it
  const criteriaMet = conditionTrue(st, 'SuccessCriteriaMet');
  if (criteriaMet && failed) errs.push(invalid('status.conditions', undefined, 'cannot set SuccessCriteriaMet=True and Failed=true conditions'));
  if (criteriaMet && conditionTrue(st, 'FailureTarget')) errs.push(invalid('status.conditions', undefined, 'cannot set SuccessCriteriaMet=True and FailureTarget=true conditions'));
  if (spec(job).successPolicy && !criteriaMet && complete) errs.push(invalid('status.conditions', undefined, 'cannot set Complete=True for Job with SuccessPolicy unless SuccessCriteriaMet=True'));
  for (const t of ['Failed', 'Complete', 'FailureTarget']) {
    if (conditionTrue(ost, t) && !conditionTrue(st, t)) errs.push(invalid('status.conditions', undefined, `cannot disable the terminal ${t}=True condition`));
  }
  if ((n(st.failed) ?? 0) < (n(ost.failed) ?? 0)) errs.push(invalid('status.failed', n(st.failed) ?? 0, 'cannot decrease the failed counter'));
  if ((n(st.succeeded) ?? 0) < (n(ost.succeeded) ?? 0)) errs.push(invalid('status.succeeded', n(st.succeeded) ?? 0, 'cannot decrease the succeeded counter'));
  if (st.completionTime && ost.completionTime && st.completionTime !== ost.completionTime) errs.push(invalid('status.completionTime', st.completionTime, 'completionTime cannot be mutated'));
  if (ost.startTime && ost.startTime !== st.startTime && spec(job).suspend !== true) errs.push(required('status.startTime', 'startTime cannot be removed for unsuspended job'));
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

const timeZonePartRe = /^[A-Za-z.\-_0-9+]{1,14}$/;

function validateTimeZone(tz: unknown, field: string): FieldError[] {
  if (tz === undefined || tz === null) return [];
  const t = str(tz);
  if (!t) return [invalid(field, t, 'timeZone must be nil or non-empty string')];
  for (const part of t.split('/')) {
    if (part === '.' || part === '..' || part.startsWith('-') || !timeZonePartRe.test(part)) return [invalid(field, t, `unknown time zone ${t}`)];
  }
  const errs: FieldError[] = [];
  if (t.toLowerCase() === 'local') errs.push(invalid(field, t, 'timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones'));
  else if (!validTimeZone(t)) errs.push(invalid(field, t, `unknown time zone ${t}`));
  return errs;
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
  errs.push(...validateCronJobSpec(spec(cj), undefined, 'spec'));
  // the controller appends an 11-character suffix to make job names (at most 63 characters)
  const name = cj.metadata.name ?? '';
  if (name.length > 52) errs.push(invalid('metadata.name', name, 'must be no more than 52 characters'));
  return errs;
}

export function validateCronJobUpdate(cj: KubeObject, old: KubeObject): FieldError[] {
  const errs = validateObjectMetaUpdate(cj.metadata, old.metadata);
  errs.push(...validateCronJobSpec(spec(cj), spec(old), 'spec'));
  return errs;
}
