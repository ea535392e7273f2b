/**
 * API request latency over a window of a benchmark, from two scrapes of the server's /metrics:
 * the delta of the apiserver_request_duration_seconds histogram (per verb, summed over resources)
 * and its quantiles, interpolated inside a bucket as Prometheus' histogram_quantile does.
 * Also the server's resident memory (process_resident_memory_bytes) and CPU time (process_cpu_seconds_total).
 */

/** Cumulative bucket counts by upper bound (`+Inf` last), per verb. */
export type VerbHistograms = Map<string, Map<number, number>>;

export interface Scrape { histograms: VerbHistograms; rssBytes?: number; cpuSeconds?: number }

const BUCKET = /^apiserver_request_duration_seconds_bucket\{([^}]*)\}\s+(\S+)/;

function labelsOf(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of s.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) out[m[1]!] = m[2]!;
  return out;
}

/** Parse the Prometheus text exposition: request-duration buckets summed per verb, and the RSS. */
export function parseMetrics(text: string): Scrape {
  const histograms: VerbHistograms = new Map();
  let rssBytes: number | undefined, cpuSeconds: number | undefined;
  for (const line of text.split('\n')) {
    const m = BUCKET.exec(line);
    if (m) {
      const l = labelsOf(m[1]!);
      const le = l.le === '+Inf' ? Infinity : Number(l.le);
      const verb = l.verb ?? '';
      const h = histograms.get(verb) ?? new Map<number, number>();
      h.set(le, (h.get(le) ?? 0) + Number(m[2]));
      histograms.set(verb, h);
    } else if (line.startsWith('process_resident_memory_bytes ')) {
      rssBytes = Number(line.split(/\s+/)[1]);
    } else if (line.startsWith('process_cpu_seconds_total ')) {
      cpuSeconds = Number(line.split(/\s+/)[1]);
    }
  }
  return { histograms, rssBytes, cpuSeconds };
}

/** after − before, per verb and bucket (verbs with no request in the window are left out). */
export function histogramDelta(before: VerbHistograms, after: VerbHistograms): VerbHistograms {
  const out: VerbHistograms = new Map();
  for (const [verb, h] of after) {
    const b = before.get(verb);
    const d = new Map<number, number>();
    for (const [le, c] of h) d.set(le, c - (b?.get(le) ?? 0));
    if ((d.get(Infinity) ?? 0) > 0) out.set(verb, d);
  }
  return out;
}

/** All verbs together. */
export function mergeVerbs(h: VerbHistograms): Map<number, number> {
  const out = new Map<number, number>();
  for (const b of h.values()) for (const [le, c] of b) out.set(le, (out.get(le) ?? 0) + c);
  return out;
}

/**
 * The q-quantile (0..1) of a cumulative histogram, linear inside the bucket it falls in, as
 * histogram_quantile; in the +Inf bucket it is the highest finite bound. undefined when empty.
 */
export function quantile(q: number, cumulative: Map<number, number>): number | undefined {
  const bounds = [...cumulative.keys()].sort((a, b) => a - b);
  const total = cumulative.get(Infinity) ?? 0;
  if (!total) return undefined;
  const rank = q * total;
  let prevBound = 0, prevCount = 0;
  for (const le of bounds) {
    const c = cumulative.get(le)!;
    if (c >= rank) {
      if (le === Infinity) return prevBound;
      return prevBound + (le - prevBound) * ((rank - prevCount) / Math.max(1e-12, c - prevCount));
    }
    prevBound = le;
    prevCount = c;
  }
  return prevBound;
}

export interface LatencyReport {
  requests: number;
  /** seconds, over all verbs */
  p99: number | undefined;
  byVerb: Record<string, { requests: number; p50?: number; p99?: number }>;
}

const ms = (s: number | undefined) => (s === undefined ? undefined : +s.toFixed(4));

/** p50/p99 per verb and p99 overall, of the requests between two scrapes. */
export function latencyReport(before: Scrape, after: Scrape): LatencyReport {
  const d = histogramDelta(before.histograms, after.histograms);
  const byVerb: LatencyReport['byVerb'] = {};
  for (const [verb, h] of [...d].sort(([a], [b]) => a.localeCompare(b))) {
    byVerb[verb] = { requests: h.get(Infinity) ?? 0, p50: ms(quantile(0.5, h)), p99: ms(quantile(0.99, h)) };
  }
  const all = mergeVerbs(d);
  return { requests: all.get(Infinity) ?? 0, p99: ms(quantile(0.99, all)), byVerb };
}
