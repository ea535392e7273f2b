/**
 * Structured logs: one logfmt line per event, with a component name.
 * Level from PEAPOD_LOG (error|warn|info|debug), default info; `-v` on the CLI sets debug.
 */
type Level = 'error' | 'warn' | 'info' | 'debug';
const order: Record<Level, number> = { error: 0, warn: 1, info: 2, debug: 3 };

let threshold: Level = (process.env.PEAPOD_LOG as Level) in order ? (process.env.PEAPOD_LOG as Level) : 'info';
let sink: (line: string) => void = (line) => process.stderr.write(line + '\n');

export function setLogLevel(level: Level): void { threshold = level; }
export function setLogSink(fn: (line: string) => void): void { sink = fn; }

function fmt(v: unknown): string {
  if (v instanceof Error) v = v.message;
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s !== undefined && /^[\w./:@-]+$/.test(s) ? s : JSON.stringify(s ?? null);
}

export interface Logger {
  error(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  debug(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

export function logger(component: string, base: Record<string, unknown> = {}): Logger {
  const emit = (level: Level, msg: string, fields?: Record<string, unknown>) => {
    if (order[level] > order[threshold]) return;
    const all = { ...base, ...fields };
    let line = `time=${new Date().toISOString()} level=${level} component=${component} msg=${fmt(msg)}`;
    for (const [k, v] of Object.entries(all)) if (v !== undefined) line += ` ${k}=${fmt(v)}`;
    sink(line);
  };
  return {
    error: (m, f) => emit('error', m, f),
    warn: (m, f) => emit('warn', m, f),
    info: (m, f) => emit('info', m, f),
    debug: (m, f) => emit('debug', m, f),
    child: (f) => logger(component, { ...base, ...f }),
  };
}
