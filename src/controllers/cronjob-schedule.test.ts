import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Schedule, mostRecentScheduleTime } from './cronjob-schedule.js';
import { cronJobName, rfc3339InZone } from './cronjob.js';

const T = (s: string) => Date.parse(s);
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

test('next and previous activations of standard schedules and descriptors', () => {
  const every5 = new Schedule('*/5 * * * *');
  assert.equal(iso(every5.next(T('2026-01-01T12:00:00Z'))), '2026-01-01T12:05:00.000Z');
  assert.equal(iso(every5.next(T('2026-01-01T12:03:59Z'))), '2026-01-01T12:05:00.000Z');
  assert.equal(iso(every5.previous(T('2026-01-01T12:09:59Z'))), '2026-01-01T12:05:00.000Z');
  assert.equal(iso(new Schedule('@hourly').next(T('2026-01-01T12:00:00Z'))), '2026-01-01T13:00:00.000Z');
  assert.equal(iso(new Schedule('@daily').next(T('2026-01-01T12:00:00Z'))), '2026-01-02T00:00:00.000Z');
  assert.equal(iso(new Schedule('@weekly').next(T('2026-01-01T12:00:00Z'))), '2026-01-04T00:00:00.000Z'); // Sunday
  assert.equal(iso(new Schedule('@monthly').next(T('2026-01-01T12:00:00Z'))), '2026-02-01T00:00:00.000Z');
  assert.equal(iso(new Schedule('@yearly').next(T('2026-01-01T12:00:00Z'))), '2027-01-01T00:00:00.000Z');
  // weekdays at 09:30, named months and days
  assert.equal(iso(new Schedule('30 9 * * MON-FRI').next(T('2026-01-02T10:00:00Z'))), '2026-01-05T09:30:00.000Z');
  assert.equal(iso(new Schedule('0 0 1 feb *').next(T('2026-01-01T00:00:00Z'))), '2026-02-01T00:00:00.000Z');
  // day-of-month and day-of-week both restricted: either matches (robfig/cron, Vixie cron)
  assert.equal(iso(new Schedule('0 0 13 * 5').next(T('2026-01-01T00:00:00Z'))), '2026-01-02T00:00:00.000Z');
  // 31st of February never happens; 29 Feb waits for a leap year
  assert.equal(new Schedule('0 0 31 2 *').next(T('2026-01-01T00:00:00Z')), undefined);
  assert.equal(iso(new Schedule('0 0 29 2 *').next(T('2026-01-01T00:00:00Z'))), '2028-02-29T00:00:00.000Z');
});

test('time zones and daylight saving', () => {
  const tokyo = new Schedule('0 9 * * *', 'Asia/Tokyo');
  assert.equal(iso(tokyo.next(T('2026-01-01T12:00:00Z'))), '2026-01-02T00:00:00.000Z');
  const ny = new Schedule('30 2 * * *', 'America/New_York');
  // 2026-03-08 02:30 does not exist in New York (clocks jump 02:00 → 03:00): the next is the 9th
  assert.equal(iso(ny.next(T('2026-03-08T05:00:00Z'))), '2026-03-09T06:30:00.000Z');
  assert.equal(iso(new Schedule('0 12 * * *', 'America/New_York').next(T('2026-07-01T00:00:00Z'))), '2026-07-01T16:00:00.000Z');
  assert.throws(() => new Schedule('* * * * *', 'Mars/Olympus'), RangeError);
  assert.equal(rfc3339InZone(T('2026-01-02T00:00:00Z'), 'Asia/Tokyo'), '2026-01-02T09:00:00+09:00');
  assert.equal(rfc3339InZone(T('2026-01-02T00:00:00Z'), 'UTC'), '2026-01-02T00:00:00Z');
});

test('most recent schedule time counts missed activations; job names are Unix minutes', () => {
  const every5 = new Schedule('*/5 * * * *');
  assert.equal(mostRecentScheduleTime(every5, T('2026-01-01T12:00:00Z'), T('2026-01-01T12:04:00Z')), undefined);
  assert.deepEqual(mostRecentScheduleTime(every5, T('2026-01-01T12:00:00Z'), T('2026-01-01T12:05:00Z')), { time: T('2026-01-01T12:05:00Z'), missed: 1 });
  assert.deepEqual(mostRecentScheduleTime(every5, T('2026-01-01T12:00:00Z'), T('2026-01-01T12:31:00Z')), { time: T('2026-01-01T12:30:00Z'), missed: 6 });
  assert.equal(mostRecentScheduleTime(new Schedule('* * * * *'), T('2026-01-01T00:00:00Z'), T('2026-01-02T00:00:00Z'))!.missed, 101);
  assert.equal(cronJobName('hello', T('2026-01-01T12:05:00Z')), `hello-${T('2026-01-01T12:05:00Z') / 60000}`);
});
