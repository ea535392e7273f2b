/** Job spec.successPolicy and spec.managedBy validation, with Kubernetes' messages (pkg/apis/batch/validation). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../object.js';
import { applyDefaults, prepareJobForCreate } from '../defaults/index.js';
import { validateCreate } from './index.js';
import { fieldErrorString } from '../errors.js';
import { updateErrors, type Mutate } from './testutil.js';
import { validateIndexesFormat } from './index-intervals.js';

function job(mutate: Mutate = () => {}): KubeObject {
  const j: KubeObject = {
    metadata: { name: 'pi', namespace: 'default', uid: 'u-1' },
    spec: { completionMode: 'Indexed', completions: 5, parallelism: 5, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'pi', image: 'perl' }] } } },
  };
  mutate(j);
  applyDefaults('Job.batch', j);
  prepareJobForCreate(j, 'u-1');
  return j;
}
const errors = (mutate: Mutate) => validateCreate('Job.batch', job(mutate)).map(fieldErrorString);
const rules = (...r: Record<string, unknown>[]): Mutate => (j) => { j.spec.successPolicy = { rules: r }; };
const R = 'spec.successPolicy.rules';

const cases: [string, Mutate, string[]][] = [
  ['indexes and count', rules({ succeededIndexes: '0,2-4', succeededCount: 3 }), []],
  ['count alone', rules({ succeededCount: 5 }), []],
  ['indexes alone, several rules', rules({ succeededIndexes: '1' }, { succeededIndexes: '0-1,3' }), []],
  ['needs Indexed', (j) => { j.spec.completionMode = 'NonIndexed'; rules({ succeededCount: 1 })(j); }, ['spec.successPolicy: Invalid value: {"rules":[{"succeededCount":1}]}: requires indexed completion mode']],
  ['no rules', (j) => { j.spec.successPolicy = { rules: [] }; }, [`${R}: Required value: at least one rules must be specified when the successPolicy is specified`]],
  ['too many rules', rules(...Array.from({ length: 21 }, () => ({ succeededCount: 1 }))), [`${R}: Too many: 21: must have at most 20 items`]],
  ['empty rule', rules({}), [`${R}[0]: Required value: at least one of succeededCount or succeededIndexes must be specified`]],
  ['index too large', rules({ succeededIndexes: '0-5' }), [`${R}[0].succeededIndexes: Invalid value: "0-5": error parsing succeededIndexes: too large index: "5"`]],
  ['not a number', rules({ succeededIndexes: '1,a' }), [`${R}[0].succeededIndexes: Invalid value: "1,a": error parsing succeededIndexes: cannot convert string to integer for index: "a"`]],
  ['three parts', rules({ succeededIndexes: '1-2-3' }), [`${R}[0].succeededIndexes: Invalid value: "1-2-3": error parsing succeededIndexes: the fragment "1-2-3" violates the requirement that an index interval can have at most two parts separated by '-'`]],
  ['descending interval', rules({ succeededIndexes: '3-1' }), [`${R}[0].succeededIndexes: Invalid value: "3-1": error parsing succeededIndexes: non-increasing order, previous: 3, current: 1`]],
  ['overlapping intervals', rules({ succeededIndexes: '0-2,2' }), [`${R}[0].succeededIndexes: Invalid value: "0-2,2": error parsing succeededIndexes: non-increasing order, previous: 2, current: 2`]],
  ['count above completions', rules({ succeededCount: 6 }), [`${R}[0].succeededCount: Invalid value: 6: must be less than or equal to 5 (the number of specified completions)`]],
  ['count above the named indexes', rules({ succeededIndexes: '1,3', succeededCount: 3 }), [`${R}[0].succeededCount: Invalid value: 3: must be less than or equal to 2 (the number of indexes in the specified succeededIndexes field)`]],
  ['negative count', rules({ succeededCount: -1 }), [`${R}[0].succeededCount: Invalid value: -1: must be greater than or equal to 0`]],
  ['managedBy: a domain-prefixed path', (j) => { j.spec.managedBy = 'example.com/my-controller'; }, []],
  ['managedBy: not a path', (j) => { j.spec.managedBy = 'my-controller'; }, ['spec.managedBy: Invalid value: "my-controller": must be a domain-prefixed path (such as "acme.io/foo")']],
  ['managedBy: too long', (j) => { j.spec.managedBy = `example.com/${'a'.repeat(60)}`; }, ['spec.managedBy: Too long: may not be longer than 63']],
];
for (const [name, mutate, want] of cases) {
  test(`Job create: ${name}`, () => assert.deepEqual(errors(mutate), want));
}

test('succeededIndexes longer than 64 KiB is too long', () => {
  const long = Array.from({ length: 20_000 }, (_, i) => String(i * 2)).join(',');
  const errs = errors((j) => { j.spec.completions = 40_000; j.spec.parallelism = 1; rules({ succeededIndexes: long })(j); });
  assert.deepEqual(errs, [`${R}[0].succeededIndexes: Too long: must have at most 65536 bytes`]);
});

test('index intervals: totals and the empty string', () => {
  assert.deepEqual(validateIndexesFormat('', 3), { total: 0 });
  assert.deepEqual(validateIndexesFormat('0,2-4,7', 8), { total: 5 });
  assert.deepEqual(validateIndexesFormat('-1', 8), { error: 'cannot convert string to integer for index: ""' });
});

test('Job update: successPolicy and managedBy are immutable', () => {
  const base = () => job((j) => { j.spec.managedBy = 'example.com/ctl'; rules({ succeededCount: 1 })(j); });
  assert.deepEqual(updateErrors('Job.batch', base, (j) => { j.spec.managedBy = 'example.com/other'; }), ['spec.managedBy: Invalid value: "example.com/other": field is immutable']);
  const errs = updateErrors('Job.batch', base, (j) => { j.spec.successPolicy.rules[0].succeededCount = 2; });
  assert.equal(errs.length, 1);
  assert.match(errs[0], /^spec\.successPolicy: Invalid value: .*: field is immutable$/);
  assert.deepEqual(updateErrors('Job.batch', base, (j) => { j.spec.parallelism = 2; }), []);
});

test('Job status: SuccessCriteriaMet never beside Failed or FailureTarget; with a success policy Complete needs it', () => {
  const t = '2026-01-01T12:00:00Z';
  const cond = (type: string) => ({ type, status: 'True', lastTransitionTime: t, lastProbeTime: t });
  const base = () => job(rules({ succeededCount: 1 }));
  const status = (...types: string[]): Mutate => (j) => {
    j.status = { startTime: t, conditions: types.map(cond), ...(types.includes('Complete') ? { completionTime: t } : {}) };
  };
  assert.deepEqual(updateErrors('Job.batch', base, status('SuccessCriteriaMet', 'Complete'), true), []);
  assert.deepEqual(updateErrors('Job.batch', base, status('Complete'), true), ['status.conditions: Invalid value: cannot set Complete=True for Job with SuccessPolicy unless SuccessCriteriaMet=True']);
  assert.deepEqual(updateErrors('Job.batch', base, status('FailureTarget', 'SuccessCriteriaMet'), true), ['status.conditions: Invalid value: cannot set SuccessCriteriaMet=True and FailureTarget=true conditions']);
  assert.deepEqual(updateErrors('Job.batch', base, status('FailureTarget', 'SuccessCriteriaMet', 'Failed'), true), [
    'status.conditions: Invalid value: cannot set SuccessCriteriaMet=True and Failed=true conditions',
    'status.conditions: Invalid value: cannot set SuccessCriteriaMet=True and FailureTarget=true conditions',
  ]);
  // without a success policy a plain Complete is fine
  assert.deepEqual(updateErrors('Job.batch', () => job(), status('Complete'), true), []);
});
