/**
 * The JSON forms Go gives Kubernetes' time types: metav1.Time (RFC 3339, seconds), metav1.MicroTime
 * (RFC 3339 with 6 fractional digits) and metav1.Duration (time.Duration.String()), and back.
 */

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** Go's year range for RFC 3339 output. */
function checkYear(d: Date, what: string): void {
  const y = d.getUTCFullYear();
  if (!(y >= 0 && y <= 9999)) throw new RangeError(`${what} is out of range (year ${y})`);
}

/** seconds/nanos since the epoch → `2006-01-02T15:04:05Z` (nanos dropped, as Go's Time.MarshalJSON does). */
export function formatTime(seconds: number, nanos = 0, micro = false): string {
  if (!Number.isFinite(seconds) || !Number.isFinite(nanos)) throw new RangeError('time is not a finite number');
  // Normalize nanos into [0, 1e9).
  const extra = Math.floor(nanos / 1e9);
  const s = seconds + extra;
  const ns = nanos - extra * 1e9;
  const d = new Date(s * 1000);
  if (Number.isNaN(d.getTime())) throw new RangeError(`time ${seconds}s is out of range`);
  checkYear(d, `time ${seconds}s`);
  const base = `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  return micro ? `${base}.${pad(Math.floor(ns / 1000), 6)}Z` : `${base}Z`;
}

/** RFC 3339 → {seconds, nanos}; throws on text that is not a time. */
export function parseTime(text: string): { seconds: number; nanos: number } {
  const m = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/.exec(text);
  if (!m) throw new RangeError(`${JSON.stringify(text)} is not an RFC 3339 time`);
  const ms = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
  let seconds = Math.floor(ms / 1000);
  // Date.UTC maps years 0..99 onto 1900..1999: set the year explicitly for those.
  if (+m[1] < 100) {
    const d = new Date(0);
    d.setUTCFullYear(+m[1], +m[2] - 1, +m[3]);
    d.setUTCHours(+m[4], +m[5], +m[6], 0);
    seconds = Math.floor(d.getTime() / 1000);
  }
  if (m[9]) seconds -= (m[9] === '+' ? 1 : -1) * (+m[10] * 3600 + +m[11] * 60);
  const nanos = m[7] ? Number(m[7].padEnd(9, '0')) : 0;
  return { seconds, nanos };
}

const units: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, 'μs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** Go's time.Duration.String() for a count of nanoseconds. */
export function formatDuration(nanos: number): string {
  if (!Number.isFinite(nanos)) throw new RangeError('duration is not a finite number');
  if (nanos === 0) return '0s';
  const neg = nanos < 0;
  const u = Math.abs(nanos);
  const frac = (v: number, prec: number): string => {
    const p = 10 ** prec;
    const whole = Math.floor(v / p);
    const f = String(Math.round(v % p)).padStart(prec, '0').replace(/0+$/, '');
    return f ? `${whole}.${f}` : String(whole);
  };
  let out: string;
  if (u < 1e9) {
    out = u < 1e3 ? `${u}ns` : u < 1e6 ? `${frac(u, 3)}µs` : `${frac(u, 6)}ms`;
  } else {
    const secs = Math.floor(u / 1e9);
    const s = `${frac((secs % 60) * 1e9 + (u % 1e9), 9)}s`;
    const h = Math.floor(secs / 3600);
    const m = Math.floor(secs / 60) % 60;
    out = h > 0 ? `${h}h${m}m${s}` : secs >= 60 ? `${m}m${s}` : s;
  }
  return neg ? `-${out}` : out;
}

/** Go's time.ParseDuration → nanoseconds. */
export function parseDuration(text: string): number {
  let s = text;
  let sign = 1;
  if (s.startsWith('-') || s.startsWith('+')) { sign = s[0] === '-' ? -1 : 1; s = s.slice(1); }
  if (s === '0') return 0;
  if (s === '') throw new RangeError(`invalid duration ${JSON.stringify(text)}`);
  let total = 0;
  const re = /(\d*\.?\d*)(ns|us|µs|μs|ms|s|m|h)/y;
  let pos = 0;
  while (pos < s.length) {
    re.lastIndex = pos;
    const m = re.exec(s);
    if (!m || m[1] === '' || m[1] === '.') throw new RangeError(`invalid duration ${JSON.stringify(text)}`);
    total += Number(m[1]) * units[m[2]];
    pos = re.lastIndex;
  }
  return sign * Math.round(total);
}
