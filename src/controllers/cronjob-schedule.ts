/**
 * When a CronJob's schedule fires, in its time zone: next() and previous() activation times for a
 * schedule parsed by src/api/validation/cron.ts (robfig/cron's standard parser, as Kubernetes).
 * Times are whole minutes; day-of-month and day-of-week combine as robfig/cron does (both must
 * match when either is `*`, else either may match). The wall clock of a zone comes from Intl, so
 * daylight-saving gaps and repeats behave as in Go's time package closely enough for minutes.
 */
import { parseCron, type CronSchedule } from '../api/validation/cron.js';

const MINUTE = 60_000;
/** robfig/cron gives up looking for a matching time after five years. */
const SEARCH_LIMIT_MS = 5 * 366 * 24 * 60 * MINUTE;

interface Wall { month: number; day: number; weekday: number; hour: number; minute: number }

const formatters = new Map<string, Intl.DateTimeFormat>();
const weekdays: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', month: 'numeric', day: 'numeric', weekday: 'short', hour: 'numeric', minute: 'numeric' });
    formatters.set(tz, f);
  }
  return f;
}

/** Throws RangeError for an unknown IANA zone name. */
export function checkTimeZone(tz: string): void { formatter(tz); }

function wall(ms: number, tz: string): Wall {
  if (tz === 'UTC' || tz === 'Etc/UTC') {
    const d = new Date(ms);
    return { month: d.getUTCMonth() + 1, day: d.getUTCDate(), weekday: d.getUTCDay(), hour: d.getUTCHours(), minute: d.getUTCMinutes() };
  }
  const w: Wall = { month: 0, day: 0, weekday: 0, hour: 0, minute: 0 };
  for (const p of formatter(tz).formatToParts(ms)) {
    if (p.type === 'month') w.month = Number(p.value);
    else if (p.type === 'day') w.day = Number(p.value);
    else if (p.type === 'weekday') w.weekday = weekdays[p.value] ?? 0;
    else if (p.type === 'hour') w.hour = Number(p.value);
    else if (p.type === 'minute') w.minute = Number(p.value);
  }
  return w;
}

function dayMatches(s: CronSchedule, w: Wall): boolean {
  const dom = s.dom.has(w.day);
  const dow = s.dow.has(w.weekday);
  return s.domStar || s.dowStar ? dom && dow : dom || dow;
}

export class Schedule {
  readonly spec: CronSchedule;
  constructor(readonly text: string, readonly timeZone = 'UTC') {
    this.spec = parseCron(text);
    checkTimeZone(timeZone);
  }

  /** The first activation strictly after `after` (ms), or undefined when none within five years. */
  next(after: number): number | undefined {
    const s = this.spec;
    if (s.everySeconds !== undefined) return Math.floor(after / 1000) * 1000 + s.everySeconds * 1000;
    let t = Math.floor(after / MINUTE) * MINUTE + MINUTE;
    const limit = after + SEARCH_LIMIT_MS;
    while (t <= limit) {
      const w = wall(t, this.timeZone);
      if (!s.month.has(w.month) || !dayMatches(s, w)) { t += (24 * 60 - (w.hour * 60 + w.minute)) * MINUTE; continue; }
      if (!s.hour.has(w.hour)) { t += (60 - w.minute) * MINUTE; continue; }
      if (!s.minute.has(w.minute)) { t += MINUTE; continue; }
      return t;
    }
    return undefined;
  }

  /** The latest activation at or before `at` (ms), or undefined when none within five years. */
  previous(at: number): number | undefined {
    const s = this.spec;
    if (s.everySeconds !== undefined) return undefined;
    let t = Math.floor(at / MINUTE) * MINUTE;
    const limit = at - SEARCH_LIMIT_MS;
    while (t >= limit) {
      const w = wall(t, this.timeZone);
      if (!s.month.has(w.month) || !dayMatches(s, w)) { t -= (w.hour * 60 + w.minute + 1) * MINUTE; continue; }
      if (!s.hour.has(w.hour)) { t -= (w.minute + 1) * MINUTE; continue; }
      if (!s.minute.has(w.minute)) { t -= MINUTE; continue; }
      return t;
    }
    return undefined;
  }
}

/**
 * Kubernetes' mostRecentScheduleTime: the latest activation in (earliest, now], and how many were
 * missed in that window (counted up to `cap`), or undefined when none is due.
 */
export function mostRecentScheduleTime(sched: Schedule, earliest: number, now: number, cap = 101): { time: number; missed: number } | undefined {
  const first = sched.next(earliest);
  if (first === undefined || first > now) return undefined;
  if (sched.spec.everySeconds !== undefined) {
    const period = sched.spec.everySeconds * 1000;
    const n = Math.floor((now - first) / period);
    return { time: first + n * period, missed: n + 1 };
  }
  const latest = sched.previous(now)!;
  let missed = 1;
  for (let t = first; t < latest && missed < cap;) {
    const n = sched.next(t);
    if (n === undefined || n > latest) break;
    t = n;
    missed++;
  }
  return { time: latest, missed };
}
