/**
 * Standard cron schedules as the CronJob controller parses them (robfig/cron/v3 ParseStandard):
 * five fields (minute hour day-of-month month day-of-week) or a descriptor (@hourly, @every 5m),
 * with that parser's error messages, which Kubernetes shows for spec.schedule.
 */

export interface CronSchedule {
  minute: Set<number>;
  hour: Set<number>;
  dom: Set<number>;
  month: Set<number>;
  dow: Set<number>;
  /** Day-of-month or day-of-week given as '*' (robfig's star bit), which changes how the two combine. */
  domStar: boolean;
  dowStar: boolean;
  /** For `@every <duration>`: the period in seconds. */
  everySeconds?: number;
}

interface Bounds { min: number; max: number; names?: Record<string, number> }
const months: Record<string, number> = { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 };
const days: Record<string, number> = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };
const B = {
  minute: { min: 0, max: 59 }, hour: { min: 0, max: 23 }, dom: { min: 1, max: 31 },
  month: { min: 1, max: 12, names: months }, dow: { min: 0, max: 6, names: days },
} satisfies Record<string, Bounds>;

function mustParseInt(expr: string): number {
  if (!/^[+-]?\d+$/.test(expr)) throw new Error(`failed to parse int from ${expr}: strconv.Atoi: parsing ${JSON.stringify(expr)}: invalid syntax`);
  const n = Number.parseInt(expr, 10);
  if (n < 0) throw new Error(`negative number (${n}) not allowed: ${expr}`);
  return n;
}
function parseIntOrName(expr: string, names?: Record<string, number>): number {
  if (names && expr.toLowerCase() in names) return names[expr.toLowerCase()];
  return mustParseInt(expr);
}

function getRange(expr: string, r: Bounds, out: Set<number>): boolean {
  const rangeAndStep = expr.split('/');
  const lowAndHigh = rangeAndStep[0].split('-');
  const single = lowAndHigh.length === 1;
  let start: number;
  let end: number;
  let star = false;
  if (lowAndHigh[0] === '*' || lowAndHigh[0] === '?') {
    start = r.min;
    end = r.max;
    star = true;
  } else {
    start = parseIntOrName(lowAndHigh[0], r.names);
    if (lowAndHigh.length === 1) end = start;
    else if (lowAndHigh.length === 2) end = parseIntOrName(lowAndHigh[1], r.names);
    else throw new Error(`too many hyphens: ${expr}`);
  }
  let step = 1;
  if (rangeAndStep.length === 2) {
    step = mustParseInt(rangeAndStep[1]);
    if (single) end = r.max;
    if (step > 1) star = false;
  } else if (rangeAndStep.length > 2) throw new Error(`too many slashes: ${expr}`);
  if (start < r.min) throw new Error(`beginning of range (${start}) below minimum (${r.min}): ${expr}`);
  if (end > r.max) throw new Error(`end of range (${end}) above maximum (${r.max}): ${expr}`);
  if (start > end) throw new Error(`beginning of range (${start}) beyond end of range (${end}): ${expr}`);
  if (step === 0) throw new Error(`step of range should be a positive number: ${expr}`);
  for (let i = start; i <= end; i += step) out.add(i);
  return star;
}

function getField(field: string, r: Bounds): { set: Set<number>; star: boolean } {
  const set = new Set<number>();
  let star = false;
  for (const expr of field.split(',')) star = getRange(expr, r, set) || star;
  return { set, star };
}

function all(r: Bounds): Set<number> {
  const s = new Set<number>();
  for (let i = r.min; i <= r.max; i++) s.add(i);
  return s;
}

const durationUnits: Record<string, number> = { ns: 1e-9, us: 1e-6, 'µs': 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };

function parseGoDuration(s: string): number {
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/y;
  if (s === '0') return 0;
  let total = 0;
  let pos = 0;
  if (!s) throw new Error('time: invalid duration ""');
  while (pos < s.length) {
    re.lastIndex = pos;
    const m = re.exec(s);
    if (!m) throw new Error(`time: invalid duration ${JSON.stringify(s)}`);
    total += Number(m[1]) * durationUnits[m[2]];
    pos = re.lastIndex;
  }
  return total;
}

/** Parse a schedule; throws Error with robfig/cron's message when it is not valid. */
export function parseCron(spec: string): CronSchedule {
  let s = spec.trim();
  if (s.length === 0) throw new Error('empty spec string');
  if (s.startsWith('TZ=') || s.startsWith('CRON_TZ=')) {
    const i = s.indexOf(' ');
    s = i < 0 ? '' : s.slice(i).trim();
  }
  if (s.startsWith('@')) {
    const star = (f: Bounds) => all(f);
    const base = { minute: new Set([0]), hour: new Set([0]), dom: new Set([1]), month: new Set([1]), dow: star(B.dow), domStar: false, dowStar: true };
    switch (s) {
      case '@yearly':
      case '@annually':
        return base;
      case '@monthly':
        return { ...base, month: star(B.month) };
      case '@weekly':
        return { ...base, dom: star(B.dom), month: star(B.month), dow: new Set([0]), domStar: true, dowStar: false };
      case '@daily':
      case '@midnight':
        return { ...base, dom: star(B.dom), month: star(B.month), domStar: true };
      case '@hourly':
        return { ...base, hour: star(B.hour), dom: star(B.dom), month: star(B.month), domStar: true };
    }
    if (s.startsWith('@every ')) {
      const d = s.slice('@every '.length);
      let secs: number;
      try {
        secs = parseGoDuration(d);
      } catch (e) {
        throw new Error(`failed to parse duration ${s}: ${(e as Error).message}`);
      }
      return { ...base, everySeconds: Math.max(1, Math.floor(secs)) };
    }
    throw new Error(`unrecognized descriptor: ${s}`);
  }
  const fields = s.split(/\s+/).filter(Boolean);
  if (fields.length !== 5) throw new Error(`expected exactly 5 fields, found ${fields.length}: [${fields.join(' ')}]`);
  const minute = getField(fields[0], B.minute);
  const hour = getField(fields[1], B.hour);
  const dom = getField(fields[2], B.dom);
  const month = getField(fields[3], B.month);
  const dow = getField(fields[4], B.dow);
  return { minute: minute.set, hour: hour.set, dom: dom.set, month: month.set, dow: dow.set, domStar: dom.star, dowStar: dow.star };
}
