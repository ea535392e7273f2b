/**
 * Reading container logs in the CRI log format that conmon writes:
 *
 *   2026-11-23T08:32:40.260966214+00:00 stdout F line1
 *   2026-11-23T08:32:40.260966214+00:00 stdout P partial      ← no newline yet
 *   2026-11-23T08:32:43.261748016+00:00 stdout F  rest        ← completes "partial rest"
 *
 * `readCriLog` answers what the kubelet's /containerLogs answers: the logical lines (partial pieces
 * joined) of the current log file, filtered by sinceTime, cut to the last tailLines, optionally
 * prefixed with their timestamp, stopped after limitBytes; with `follow` it keeps reading as the
 * file grows, across rotations (the path renamed away and a new file created, or the file
 * truncated), until the container stops or the caller aborts.
 */
import { openSync, readSync, closeSync, fstatSync, statSync, watch, type FSWatcher } from 'node:fs';

export type LogStream = 'stdout' | 'stderr';

export interface CriLogLine {
  /** The timestamp exactly as written (RFC 3339 with nanoseconds). */
  time: string;
  /** Milliseconds since the epoch (for since filters). */
  ms: number;
  /** Nanoseconds within the millisecond (0–999999), to order lines written in the same ms. */
  nanos: number;
  stream: LogStream;
  partial: boolean;
  message: Buffer;
}

/** Parses one CRI log line (without its trailing newline); undefined when it is not one. */
export function parseCriLine(line: Buffer): CriLogLine | undefined {
  const s1 = line.indexOf(0x20);
  if (s1 <= 0) return undefined;
  const s2 = line.indexOf(0x20, s1 + 1);
  if (s2 < 0) return undefined;
  let s3 = line.indexOf(0x20, s2 + 1);
  const time = line.subarray(0, s1).toString('latin1');
  const stream = line.subarray(s1 + 1, s2).toString('latin1');
  if (stream !== 'stdout' && stream !== 'stderr') return undefined;
  // A tag-less line (older formats) would have no third space before the message; CRI always has one.
  if (s3 < 0) s3 = line.length;
  const tags = line.subarray(s2 + 1, s3).toString('latin1').split(':');
  if (tags[0] !== 'P' && tags[0] !== 'F') return undefined;
  const t = parseTimestamp(time);
  if (!t) return undefined;
  return { time, ms: t.ms, nanos: t.nanos, stream, partial: tags[0] === 'P', message: line.subarray(Math.min(s3 + 1, line.length)) };
}

const TS = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/;

/** RFC 3339 (nano) → ms since epoch + sub-ms nanoseconds; undefined when malformed. */
export function parseTimestamp(s: string): { ms: number; nanos: number } | undefined {
  const m = TS.exec(s);
  if (!m) return undefined;
  const frac = (m[2] ?? '').padEnd(9, '0');
  const base = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(base)) return undefined;
  return { ms: base + Number(frac.slice(0, 3)), nanos: Number(frac.slice(3)) };
}

/** Formats a CRI timestamp as Go's time.RFC3339Nano in UTC (trailing zeros trimmed), as the kubelet prints it. */
export function formatRfc3339Nano(ms: number, nanos: number): string {
  const d = new Date(ms);
  const base = d.toISOString().slice(0, 19);
  let frac = (String(d.getUTCMilliseconds()).padStart(3, '0') + String(nanos).padStart(6, '0')).replace(/0+$/, '');
  if (frac) frac = '.' + frac;
  return `${base}${frac}Z`;
}

/** One logical log line: partial pieces joined, newline kept (absent only for a trailing partial). */
export interface LogicalLine {
  ms: number;
  nanos: number;
  stream: LogStream;
  /** Content with its "\n" (unless the line is still partial at the end of the file). */
  content: Buffer;
}

/**
 * Joins CRI records into logical lines. Partial records are kept per stream (stdout and stderr
 * interleave) until their `F` record arrives.
 */
export class LineAssembler {
  private pending: Partial<Record<LogStream, { first: CriLogLine; parts: Buffer[] }>> = {};

  /** Feeds one record; returns the completed logical line, if this record completes one. */
  push(rec: CriLogLine): LogicalLine | undefined {
    const p = this.pending[rec.stream];
    if (rec.partial) {
      if (p) p.parts.push(rec.message);
      else this.pending[rec.stream] = { first: rec, parts: [rec.message] };
      return undefined;
    }
    const first = p?.first ?? rec;
    const parts = p ? [...p.parts, rec.message] : [rec.message];
    delete this.pending[rec.stream];
    return { ms: first.ms, nanos: first.nanos, stream: rec.stream, content: Buffer.concat([...parts, NL]) };
  }

  /** Partial lines still open (at the end of a finished log), oldest first. */
  flush(): LogicalLine[] {
    const out: LogicalLine[] = [];
    for (const s of ['stdout', 'stderr'] as const) {
      const p = this.pending[s];
      if (p) out.push({ ms: p.first.ms, nanos: p.first.nanos, stream: s, content: Buffer.concat(p.parts) });
    }
    this.pending = {};
    return out.sort((a, b) => a.ms - b.ms || a.nanos - b.nanos);
  }
}

const NL = Buffer.from('\n');

/** Splits a byte stream into lines; the last incomplete line is kept until more bytes arrive. */
export class LineSplitter {
  private rest: Buffer = Buffer.alloc(0);
  push(chunk: Buffer): Buffer[] {
    const buf = this.rest.length ? Buffer.concat([this.rest, chunk]) : chunk;
    const lines: Buffer[] = [];
    let start = 0;
    for (;;) {
      const i = buf.indexOf(0x0a, start);
      if (i < 0) break;
      lines.push(buf.subarray(start, i));
      start = i + 1;
    }
    this.rest = Buffer.from(buf.subarray(start));
    return lines;
  }
  /** Bytes after the last newline. */
  get remainder(): number { return this.rest.length; }
}

/** Parses a whole CRI log text into logical lines (trailing partials included). Malformed lines are skipped. */
export function parseCriLog(text: Buffer): LogicalLine[] {
  const sp = new LineSplitter();
  const asm = new LineAssembler();
  const out: LogicalLine[] = [];
  for (const l of sp.push(Buffer.concat([text, NL]))) {
    if (!l.length) continue;
    const rec = parseCriLine(l);
    if (!rec) continue;
    const done = asm.push(rec);
    if (done) out.push(done);
  }
  out.push(...asm.flush());
  return out;
}

export interface LogOptions {
  follow?: boolean;
  /** Only the last N lines (of what is there when the call starts). */
  tailLines?: number;
  /** Only lines at or after this time (ms since epoch). */
  sinceMs?: number;
  /** Prefix each line with its RFC3339Nano timestamp and a space. */
  timestamps?: boolean;
  /** Stop after this many bytes of output. */
  limitBytes?: number;
  /** Which streams; default both. */
  streams?: LogStream[];
  /** Ends a follow (the client went away). */
  signal?: AbortSignal;
  /** While following: is the container still running? Following stops once it is not and the file is drained. */
  isRunning?: () => Promise<boolean>;
  /** How often to re-check the file and the container while following (ms, default 250). */
  pollMs?: number;
}

/** A writer with backpressure: resolves when the bytes may be followed by more. */
export type LogSink = (chunk: Buffer) => Promise<void>;

interface FileCursor { fd: number; ino: number; dev: number; pos: number }

function openCursor(path: string): FileCursor | undefined {
  try {
    const fd = openSync(path, 'r');
    const st = fstatSync(fd);
    return { fd, ino: st.ino, dev: st.dev, pos: 0 };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** Reads what is available from the cursor (at most 1 MiB at a time). */
function readMore(c: FileCursor): Buffer {
  const chunks: Buffer[] = [];
  for (;;) {
    const buf = Buffer.allocUnsafe(1 << 20);
    const n = readSync(c.fd, buf, 0, buf.length, c.pos);
    if (n <= 0) break;
    c.pos += n;
    chunks.push(buf.subarray(0, n));
    if (n < buf.length) break;
  }
  return Buffer.concat(chunks);
}

/**
 * Writes the container's log at `path` to `sink` as the kubelet does. Resolves when done (not
 * following: at the end of the file; following: when the container stopped and the file is
 * drained, when limitBytes is reached, or when `signal` aborts).
 */
export async function readCriLog(path: string, opts: LogOptions, sink: LogSink): Promise<void> {
  const streams = new Set(opts.streams ?? ['stdout', 'stderr']);
  let budget = opts.limitBytes !== undefined && opts.limitBytes > 0 ? opts.limitBytes : Infinity;
  // Lines are batched (up to 64 KiB) into one sink call: one HTTP chunk per line was 5 MB/s.
  let batch: Buffer[] = [];
  let batchLen = 0;
  const flush = async (): Promise<void> => {
    if (!batchLen) return;
    const out = batch.length === 1 ? batch[0] : Buffer.concat(batch, batchLen);
    batch = [];
    batchLen = 0;
    await sink(out);
  };
  const emit = async (line: LogicalLine): Promise<boolean> => {
    if (!streams.has(line.stream)) return true;
    if (opts.sinceMs !== undefined && line.ms < opts.sinceMs) return true;
    let out = opts.timestamps ? Buffer.concat([Buffer.from(formatRfc3339Nano(line.ms, line.nanos) + ' '), line.content]) : line.content;
    if (out.length > budget) out = out.subarray(0, budget);
    budget -= out.length;
    if (out.length) { batch.push(out); batchLen += out.length; }
    if (batchLen >= 64 * 1024) await flush();
    return budget > 0;
  };

  let cur = openCursor(path);
  const splitter = new LineSplitter();
  const asm = new LineAssembler();
  const take = (buf: Buffer): LogicalLine[] => {
    const out: LogicalLine[] = [];
    for (const l of splitter.push(buf)) {
      if (!l.length) continue;
      const rec = parseCriLine(l);
      if (!rec) continue;
      const done = asm.push(rec);
      if (done) out.push(done);
    }
    return out;
  };

  try {
    // What is there now (tailLines applies to this part only).
    let initial = cur ? take(readMore(cur)) : [];
    if (!opts.follow) initial.push(...asm.flush());
    if (opts.tailLines !== undefined && opts.tailLines >= 0) {
      const eligible = initial.filter((l) => streams.has(l.stream) && (opts.sinceMs === undefined || l.ms >= opts.sinceMs));
      initial = opts.tailLines === 0 ? [] : eligible.slice(-opts.tailLines);
    }
    for (const l of initial) if (!(await emit(l))) { await flush(); return; }
    await flush();
    if (!opts.follow || opts.signal?.aborted) return;

    // Follow: wake on file changes or every pollMs; handle rotation (new inode) and truncation.
    const pollMs = opts.pollMs ?? 250;
    let wake: (() => void) | undefined;
    const kick = () => { const w = wake; wake = undefined; w?.(); };
    let watcher: FSWatcher | undefined;
    const dir = path.slice(0, path.lastIndexOf('/')) || '/';
    try { watcher = watch(dir, () => kick()); watcher.on('error', () => undefined); } catch { /* polling only */ }
    const onAbort = () => kick();
    opts.signal?.addEventListener('abort', onAbort);
    try {
      let stoppedSeen = false;
      for (;;) {
        if (opts.signal?.aborted) return;
        if (cur) for (const l of take(readMore(cur))) if (!(await emit(l))) { await flush(); return; }
        // Rotation: the path now names another file (or none yet); drain the old one first (done above).
        let st: { ino: number; dev: number; size: number } | undefined;
        try { st = statSync(path); } catch { st = undefined; }
        if (st && (!cur || st.ino !== cur.ino || st.dev !== cur.dev)) {
          if (cur) {
            // Lines written just before the rename are still in the old file: drain it first.
            for (const l of take(readMore(cur))) if (!(await emit(l))) { await flush(); return; }
            closeSync(cur.fd);
          }
          cur = openCursor(path);
          continue;
        }
        if (st && cur && st.size < cur.pos) { cur.pos = 0; continue; } // truncated (copytruncate rotation)
        if (stoppedSeen) {
          for (const l of asm.flush()) if (!(await emit(l))) break;
          await flush();
          return;
        }
        await flush(); // what was read goes out before we wait
        if (opts.isRunning && !(await opts.isRunning())) { stoppedSeen = true; continue; } // one more drain
        await new Promise<void>((resolve) => {
          wake = resolve;
          const t = setTimeout(kick, pollMs);
          t.unref?.();
        });
      }
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
      watcher?.close();
    }
  } finally {
    if (cur) closeSync(cur.fd);
  }
}

/** Convenience for tests and small logs: the whole log as the kubelet would print it. */
export async function readCriLogToBuffer(path: string, opts: Omit<LogOptions, 'follow'> = {}): Promise<Buffer> {
  const out: Buffer[] = [];
  await readCriLog(path, opts, async (b) => { out.push(b); });
  return Buffer.concat(out);
}

