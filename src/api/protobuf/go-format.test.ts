import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatDuration, formatTime, parseDuration, parseTime } from './go-format.js';

test('formatTime: RFC 3339 in UTC, seconds for Time, 6 digits for MicroTime', () => {
  assert.equal(formatTime(0), '1970-01-01T00:00:00Z');
  assert.equal(formatTime(-1), '1969-12-31T23:59:59Z');
  assert.equal(formatTime(1700000000, 999999999), '2023-11-14T22:13:20Z');
  assert.equal(formatTime(1700000000, 999999999, true), '2023-11-14T22:13:20.999999Z');
  assert.equal(formatTime(1700000000, 1000, true), '2023-11-14T22:13:20.000001Z');
  assert.equal(formatTime(-62135596800), '0001-01-01T00:00:00Z', "Go's zero time");
  assert.throws(() => formatTime(253402300800), /out of range/, 'year 10000');
  assert.throws(() => formatTime(Number.MAX_SAFE_INTEGER), RangeError);
});

test('parseTime: offsets, fractions, early years; rejects other text', () => {
  assert.deepEqual(parseTime('2023-11-14T22:13:20Z'), { seconds: 1700000000, nanos: 0 });
  assert.deepEqual(parseTime('2023-11-14T23:13:20+01:00'), { seconds: 1700000000, nanos: 0 });
  assert.deepEqual(parseTime('2023-11-14T22:13:20.5Z'), { seconds: 1700000000, nanos: 500000000 });
  assert.deepEqual(parseTime('2023-11-14T22:13:20.000001Z'), { seconds: 1700000000, nanos: 1000 });
  assert.deepEqual(parseTime('0001-01-01T00:00:00Z'), { seconds: -62135596800, nanos: 0 });
  for (const bad of ['', 'yesterday', '2023-11-14', '2023-11-14T22:13:20', '2023-11-14 22:13:20Z']) assert.throws(() => parseTime(bad), RangeError, bad);
  for (const s of [0, 1, 86399, 1700000000, -62135596800, 253402300799]) assert.deepEqual(parseTime(formatTime(s)), { seconds: s, nanos: 0 });
});

test("formatDuration matches Go's time.Duration.String()", () => {
  const cases: Array<[number, string]> = [
    [0, '0s'], [1, '1ns'], [999, '999ns'], [1000, '1µs'], [1500, '1.5µs'], [1e6, '1ms'], [1.25e6, '1.25ms'],
    [1e9, '1s'], [1.5e9, '1.5s'], [59e9, '59s'], [60e9, '1m0s'], [90e9, '1m30s'], [3600e9, '1h0m0s'],
    [3661e9 + 1, '1h1m1.000000001s'], [-90e9, '-1m30s'], [100 * 3600e9, '100h0m0s'],
  ];
  for (const [ns, s] of cases) assert.equal(formatDuration(ns), s, String(ns));
});

test('parseDuration reads what Go writes and accepts', () => {
  for (const ns of [0, 1, 999, 1500, 1.25e6, 1.5e9, 60e9, 90e9, 3600e9, 3661e9 + 1, -90e9]) assert.equal(parseDuration(formatDuration(ns)), ns);
  assert.equal(parseDuration('1h30m'), 5400e9);
  assert.equal(parseDuration('300ms'), 3e8);
  assert.equal(parseDuration('2us'), 2000);
  assert.equal(parseDuration('+5s'), 5e9);
  for (const bad of ['', '5', '1x', 'h', '.s', '1h-1m']) assert.throws(() => parseDuration(bad), RangeError, bad);
});
