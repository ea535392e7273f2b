import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../object.js';
import { prepareJobForCreate } from '../defaults/index.js';
import { applyDefaults } from '../defaults/index.js';
import { validateCreate } from './index.js';
import { fieldErrorString } from '../errors.js';
import { createErrors, updateErrors, type Mutate } from './testutil.js';

const template = () => ({ metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'nginx:1.25' }] } });
const deploy = (): KubeObject => ({ metadata: { name: 'web', namespace: 'default' }, spec: { selector: { matchLabels: { app: 'web' } }, template: template() } });
const rs = deploy;
const ds = deploy;
const sts = (): KubeObject => ({ metadata: { name: 'db', namespace: 'default' }, spec: { serviceName: 'db', selector: { matchLabels: { app: 'web' } }, template: template() } });
const rc = (): KubeObject => ({ metadata: { name: 'web', namespace: 'default' }, spec: { selector: { app: 'web' }, template: template() } });

const notMatch = 'spec.template.metadata.labels: Invalid value: map[string]string{"app":"other"}: `selector` does not match template `labels`';

const cases: [string, string, () => KubeObject, Mutate, string[]][] = [
  ['Deployment.apps', 'valid', deploy, () => {}, []],
  ['Deployment.apps', 'selector mismatch', deploy, (d) => { d.spec.template.metadata.labels = { app: 'other' }; }, [notMatch]],
  ['Deployment.apps', 'no selector', deploy, (d) => { delete d.spec.selector; }, ['spec.selector: Required value', 'spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`']],
  ['Deployment.apps', 'empty selector', deploy, (d) => { d.spec.selector = {}; }, ['spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment']],
  ['Deployment.apps', 'negative replicas', deploy, (d) => { d.spec.replicas = -1; }, ['spec.replicas: Invalid value: -1: must be greater than or equal to 0']],
  ['Deployment.apps', 'restartPolicy Never', deploy, (d) => { d.spec.template.spec.restartPolicy = 'Never'; }, ['spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"']],
  ['Deployment.apps', 'bad strategy', deploy, (d) => { d.spec.strategy = { type: 'Recreate', rollingUpdate: { maxSurge: 1 } }; }, ["spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'"]],
  ['Deployment.apps', 'both zero', deploy, (d) => { d.spec.strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 0 } }; }, ['spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0']],
  ['Deployment.apps', 'bad percent', deploy, (d) => { d.spec.strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25', maxUnavailable: '150%' } }; }, ["spec.strategy.rollingUpdate.maxSurge: Invalid value: \"25\": a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')", 'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: "150%": must not be greater than 100%']],
  ['Deployment.apps', 'progressDeadlineSeconds', deploy, (d) => { d.spec.minReadySeconds = 700; }, ['spec.progressDeadlineSeconds: Invalid value: 600: must be greater than minReadySeconds']],
  ['Deployment.apps', 'template container errors', deploy, (d) => { d.spec.template.spec.containers = []; }, ['spec.template.spec.containers: Required value']],
  ['Deployment.apps', 'template label syntax', deploy, (d) => { d.spec.template.metadata.labels['bad key!'] = 'x'; }, ["spec.template.labels: Invalid value: \"bad key!\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"]],
  ['ReplicaSet.apps', 'valid', rs, () => {}, []],
  ['ReplicaSet.apps', 'activeDeadlineSeconds', rs, (r) => { r.spec.template.spec.activeDeadlineSeconds = 5; }, ['spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in ReplicaSet is not Supported']],
  ['ReplicaSet.apps', 'empty selector says deployment, as Kubernetes does', rs, (r) => { r.spec.selector = {}; }, ['spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment']],
  ['ReplicationController', 'valid', rc, () => {}, []],
  ['ReplicationController', 'selector mismatch', rc, (r) => { r.spec.template.metadata.labels = { app: 'other' }; r.spec.selector = { app: 'web' }; }, [notMatch]],
  ['DaemonSet.apps', 'valid', ds, () => {}, []],
  ['DaemonSet.apps', 'no selector', ds, (d) => { delete d.spec.selector; }, ['spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`']],
  ['DaemonSet.apps', 'surge and unavailable', ds, (d) => { d.spec.updateStrategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } }; }, ['spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: 1: may not be set when maxUnavailable is non-zero']],
  ['DaemonSet.apps', 'activeDeadlineSeconds', ds, (d) => { d.spec.template.spec.activeDeadlineSeconds = 3; }, ['spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in DaemonSet is not Supported']],
  ['DaemonSet.apps', 'both zero', ds, (d) => { d.spec.updateStrategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 0 } }; }, ['spec.updateStrategy.rollingUpdate.maxUnavailable: Required value: cannot be 0 when maxSurge is 0']],
  ['StatefulSet.apps', 'valid with claim mounts', sts, (s) => { s.spec.volumeClaimTemplates = [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }]; s.spec.template.spec.containers[0].volumeMounts = [{ name: 'data', mountPath: '/data' }]; }, []],
  ['StatefulSet.apps', 'name must be a DNS label', sts, (s) => { s.metadata.name = 'db.primary'; }, ['metadata.name: Invalid value: "db.primary": must not contain dots']],
  ['StatefulSet.apps', 'podManagementPolicy', sts, (s) => { s.spec.podManagementPolicy = 'Sometimes'; }, ["spec.podManagementPolicy: Invalid value: \"Sometimes\": must be 'OrderedReady' or 'Parallel'"]],
  ['StatefulSet.apps', 'template pod spec is not validated, as in Kubernetes', sts, (s) => { s.spec.template.spec.containers[0].volumeMounts = [{ name: 'data', mountPath: '/data' }]; }, []],
  ['StatefulSet.apps', 'retention policy', sts, (s) => { s.spec.persistentVolumeClaimRetentionPolicy = { whenDeleted: 'Keep', whenScaled: 'Retain' }; }, ['spec.persistentVolumeClaimRetentionPolicy.whenDeleted: Unsupported value: "Keep": supported values: "Retain", "Delete"']],
];

for (const [gk, name, base, mutate, want] of cases) {
  test(`${gk} create: ${name}`, () => assert.deepEqual(createErrors(gk, base, mutate), want));
}

test('selector immutability on update (Deployment, ReplicaSet, DaemonSet)', () => {
  for (const gk of ['Deployment.apps', 'ReplicaSet.apps', 'DaemonSet.apps']) {
    const errs = updateErrors(gk, deploy, (d) => { d.spec.selector = { matchLabels: { app: 'web', tier: 'x' } }; d.spec.template.metadata.labels.tier = 'x'; });
    assert.deepEqual(errs, ['spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"web", "tier":"x"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable'], gk);
  }
});

test('Deployment update: replicas and template may change', () => {
  assert.deepEqual(updateErrors('Deployment.apps', deploy, (d) => { d.spec.replicas = 3; d.spec.template.spec.containers[0].image = 'nginx:2'; }), []);
});

test('StatefulSet update: only some spec fields may change', () => {
  assert.deepEqual(updateErrors('StatefulSet.apps', sts, (s) => { s.spec.replicas = 5; s.spec.template.spec.containers[0].image = 'x'; }), []);
  assert.deepEqual(updateErrors('StatefulSet.apps', sts, (s) => { s.spec.serviceName = 'other'; }), ["spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"]);
});

// ---------------------------------------------------------------- Job, CronJob

function job(mutate: Mutate = () => {}): KubeObject {
  const j: KubeObject = { metadata: { name: 'pi', namespace: 'default', uid: 'u-1' }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'pi', image: 'perl' }] } } } };
  mutate(j);
  applyDefaults('Job.batch', j);
  prepareJobForCreate(j, 'u-1');
  return j;
}
const jobErrors = (mutate: Mutate) => validateCreate('Job.batch', job(mutate)).map(fieldErrorString);

test('Job create: valid with generated selector', () => assert.deepEqual(jobErrors(() => {}), []));
test('Job create: restartPolicy must be chosen (Always is what defaulting gives)', () => {
  assert.deepEqual(jobErrors((j) => { j.spec.template.spec.restartPolicy = 'Always'; }), ['spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"']);
  assert.deepEqual(jobErrors((j) => { j.spec.template.spec.restartPolicy = 'Sometimes'; }), [
    'spec.template.spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "Never", "OnFailure"',
    'spec.template.spec.restartPolicy: Unsupported value: "Sometimes": supported values: "OnFailure", "Never"',
  ]);
});
test('Job create: pod failure policy rules', () => {
  assert.deepEqual(jobErrors((j) => { j.spec.podFailurePolicy = { rules: [{ action: 'Panic', onExitCodes: { operator: 'In', values: [3, 0, 1] } }, { action: 'Ignore' }] }; }), [
    'spec.podFailurePolicy.rules[0].action: Unsupported value: "Panic": supported values: "Count", "FailIndex", "FailJob", "Ignore"',
    'spec.podFailurePolicy.rules[0].onExitCodes.values[1]: Invalid value: 0: must not be 0 for the In operator',
    'spec.podFailurePolicy.rules[0].onExitCodes.values: Invalid value: []int32{3, 0, 1}: must be ordered',
    'spec.podFailurePolicy.rules[1]: Invalid value: specifying one of OnExitCodes and OnPodConditions is required',
  ]);
});
test('Job create: negative fields', () => {
  assert.deepEqual(jobErrors((j) => { j.spec.parallelism = -1; j.spec.backoffLimit = -2; }), ['spec.parallelism: Invalid value: -1: must be greater than or equal to 0', 'spec.backoffLimit: Invalid value: -2: must be greater than or equal to 0']);
});
test('Job create: Indexed needs completions', () => {
  assert.deepEqual(jobErrors((j) => { j.spec.completionMode = 'Indexed'; j.spec.parallelism = 2; }), ['spec.completions: Required value: when completion mode is Indexed']);
});
test('Job create: manual selector must match', () => {
  assert.deepEqual(jobErrors((j) => { j.spec.manualSelector = true; j.spec.selector = { matchLabels: { a: 'b' } }; j.spec.template.metadata = { labels: { a: 'c' } }; }), ['spec.template.metadata.labels: Invalid value: map[string]string{"a":"c"}: `selector` does not match template `labels`']);
});
test('Job update: template and selector are immutable', () => {
  const base = () => job();
  const errs = updateErrors('Job.batch', base, (j) => { j.spec.template.spec.containers[0].image = 'perl:2'; });
  assert.equal(errs.length, 1);
  assert.match(errs[0], /^spec\.template: Invalid value: \{.*\}: field is immutable$/);
  assert.deepEqual(updateErrors('Job.batch', base, (j) => { j.spec.completions = 3; }), ['spec.completions: Invalid value: 3: field is immutable']);
  assert.deepEqual(updateErrors('Job.batch', base, (j) => { j.spec.parallelism = 3; }), []);
});

const cron = (): KubeObject => ({ metadata: { name: 'hello', namespace: 'default' }, spec: { schedule: '*/1 * * * *', jobTemplate: { spec: { template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'c', image: 'busybox' }] } } } } } });
const cronCases: [string, Mutate, string[]][] = [
  ['valid', () => {}, []],
  ['descriptor', (c) => { c.spec.schedule = '@hourly'; }, []],
  ['too few fields', (c) => { c.spec.schedule = 'foo'; }, ['spec.schedule: Invalid value: "foo": expected exactly 5 fields, found 1: [foo]']],
  ['out of range', (c) => { c.spec.schedule = '61 * * * *'; }, ['spec.schedule: Invalid value: "61 * * * *": end of range (61) above maximum (59): 61']],
  ['not a number', (c) => { c.spec.schedule = 'x * * * *'; }, ['spec.schedule: Invalid value: "x * * * *": failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax']],
  ['TZ in schedule', (c) => { c.spec.schedule = 'TZ=UTC 0 * * * *'; }, ['spec.schedule: Invalid value: "TZ=UTC 0 * * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead']],
  ['bad time zone', (c) => { c.spec.timeZone = 'Mars/Base'; }, ['spec.timeZone: Invalid value: "Mars/Base": unknown time zone Mars/Base']],
  ['concurrencyPolicy', (c) => { c.spec.concurrencyPolicy = 'Sometimes'; }, ['spec.concurrencyPolicy: Unsupported value: "Sometimes": supported values: "Allow", "Forbid", "Replace"']],
  ['selector in job template', (c) => { c.spec.jobTemplate.spec.selector = { matchLabels: { a: 'b' } }; }, ['spec.jobTemplate.spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"a":"b"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: `selector` will be auto-generated']],
  ['long name', (c) => { c.metadata.name = 'a'.repeat(53); }, [`metadata.name: Invalid value: "${'a'.repeat(53)}": must be no more than 52 characters`]],
  ['Always in job template', (c) => { c.spec.jobTemplate.spec.template.spec.restartPolicy = 'Always'; }, ['spec.jobTemplate.spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"']],
];
for (const [name, mutate, want] of cronCases) {
  test(`CronJob create: ${name}`, () => assert.deepEqual(createErrors('CronJob.batch', cron, mutate), want));
}

test('Job create: generated selector must carry the generated labels', () => {
  const j = job();
  j.spec = { ...(j.spec as object), selector: { matchLabels: { a: 'b' } } };
  (j.spec as any).template.metadata.labels = { a: 'b', 'job-name': 'other' }; // eslint-disable-line @typescript-eslint/no-explicit-any
  assert.deepEqual(validateCreate('Job.batch', j).map(fieldErrorString), [
    "spec.template.metadata.labels[controller-uid]: Required value: must be 'u-1'",
    "spec.template.metadata.labels[job-name]: Invalid value: map[string]string{\"a\":\"b\", \"job-name\":\"other\"}: must be 'pi'",
    "spec.template.metadata.labels[batch.kubernetes.io/controller-uid]: Required value: must be 'u-1'",
    "spec.template.metadata.labels[batch.kubernetes.io/job-name]: Required value: must be 'pi'",
    'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"a":"b"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: `selector` not auto-generated',
  ]);
});

test('Job status update: counters and terminal conditions', () => {
  const base = () => { const j = job(); j.status = { succeeded: 2, startTime: '2024-01-01T00:00:00Z', conditions: [{ type: 'FailureTarget', status: 'True' }] }; return j; };
  assert.deepEqual(updateErrors('Job.batch', base, (j) => { j.status.succeeded = 1; j.status.conditions = []; }, true), [
    'status.conditions: Invalid value: cannot disable the terminal FailureTarget=True condition',
    'status.succeeded: Invalid value: 1: cannot decrease the succeeded counter',
  ]);
  assert.deepEqual(updateErrors('Job.batch', base, (j) => { j.status.conditions.push({ type: 'Complete', status: 'True' }); }, true), ['status.completionTime: Required value: completionTime is required for Complete jobs']);
});
