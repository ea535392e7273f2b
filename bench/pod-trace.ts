/**
 * Summarises a pod start-up trace (bench/pod-startup.ts --trace FILE): per stage, p50/p99/max of the ms
 * since the pod's create was sent, and of the ms since the previous stage.
 *
 *   node dist/bench/pod-trace.js FILE
 */
import { readFileSync } from 'node:fs';

const file = process.argv[2];
if (!file) throw new Error('usage: pod-trace FILE');
const pods = new Map<string, Array<[string, number]>>();
for (const line of readFileSync(file, 'utf8').split('\n')) {
  const m = /^(\d+) (\S+) (\S+)$/.exec(line);
  if (!m) continue;
  const name = m[2]!.replace(/_.*$/, ''); // agent lines: NAME_NS(UID)
  if (!pods.has(name)) pods.set(name, []);
  pods.get(name)!.push([m[3]!, Number(m[1])]);
}
const pct = (xs: number[], p: number) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!; };
const sinceStart = new Map<string, number[]>();
const sincePrev = new Map<string, number[]>();
const order: string[] = [];
for (const stages of pods.values()) {
  const t0 = stages.find(([s]) => s === 'create-sent')?.[1];
  if (t0 === undefined) continue;
  stages.sort((a, b) => a[1] - b[1]);
  let prev = t0;
  const seen = new Set<string>();
  for (const [s, t] of stages) {
    if (seen.has(s)) continue; // first occurrence only
    seen.add(s);
    if (!order.includes(s)) order.push(s);
    (sinceStart.get(s) ?? sinceStart.set(s, []).get(s)!).push(t - t0);
    (sincePrev.get(s) ?? sincePrev.set(s, []).get(s)!).push(t - prev);
    prev = t;
  }
}
order.sort((a, b) => pct(sinceStart.get(a)!, 50) - pct(sinceStart.get(b)!, 50));
console.log('stage                      n   since create p50/p99/max    since previous stage p50/p99/max (ms)');
for (const s of order) {
  const a = sinceStart.get(s)!, b = sincePrev.get(s)!;
  console.log(`${s.padEnd(24)} ${String(a.length).padStart(4)}   ${[pct(a, 50), pct(a, 99), Math.max(...a)].map((x) => String(x).padStart(6)).join(' ')}      ${[pct(b, 50), pct(b, 99), Math.max(...b)].map((x) => String(x).padStart(6)).join(' ')}`);
}
