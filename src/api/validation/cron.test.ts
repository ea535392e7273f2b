import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCron } from './cron.js';

test('cron: fields, ranges, steps, names', () => {
  const s = parseCron('*/15 9-17 * jan,Jul mon-fri');
  assert.deepEqual([...s.minute], [0, 15, 30, 45]);
  assert.deepEqual([...s.hour], [9, 10, 11, 12, 13, 14, 15, 16, 17]);
  assert.deepEqual([...s.month], [1, 7]);
  assert.deepEqual([...s.dow], [1, 2, 3, 4, 5]);
  assert.equal(s.domStar, true);
  assert.equal(s.dowStar, false);
  assert.deepEqual([...parseCron('5/20 * * * *').minute], [5, 25, 45]);
});

test('cron: descriptors', () => {
  assert.deepEqual([...parseCron('@hourly').minute], [0]);
  assert.equal(parseCron('@hourly').hour.size, 24);
  assert.equal(parseCron('@every 1h30m').everySeconds, 5400);
});

const bad: [string, string][] = [
  ['', 'empty spec string'],
  ['* * * *', 'expected exactly 5 fields, found 4: [* * * *]'],
  ['60 * * * *', 'end of range (60) above maximum (59): 60'],
  ['* * 0 * *', 'beginning of range (0) below minimum (1): 0'],
  ['5-1 * * * *', 'beginning of range (5) beyond end of range (1): 5-1'],
  ['*/0 * * * *', 'step of range should be a positive number: */0'],
  ['1-2-3 * * * *', 'too many hyphens: 1-2-3'],
  ['1/2/3 * * * *', 'too many slashes: 1/2/3'],
  ['a * * * *', 'failed to parse int from a: strconv.Atoi: parsing "a": invalid syntax'],
  ['@yearlyish', 'unrecognized descriptor: @yearlyish'],
  ['@every 5x', 'failed to parse duration @every 5x: time: invalid duration "5x"'],
];
for (const [spec, msg] of bad) test(`cron: rejects ${JSON.stringify(spec)}`, () => assert.throws(() => parseCron(spec), { message: msg }));
