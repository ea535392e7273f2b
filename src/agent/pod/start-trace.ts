/**
 * Pod start-up trace for measuring (off unless PEAPOD_POD_TRACE names a file): one line per stage,
 * `EPOCH_MS NAMESPACE/NAME STAGE`, appended synchronously. bench/pod-startup.ts --trace FILE sets it
 * and adds the create and Ready-seen lines; `node dist/bench/pod-trace.js FILE` summarises the stages.
 */
import { appendFileSync } from 'node:fs';

const file = process.env.PEAPOD_POD_TRACE;

export const podTraceOn = file !== undefined && file !== '';

export function podTrace(pod: string, stage: string): void {
  if (podTraceOn) appendFileSync(file!, `${Date.now()} ${pod} ${stage}\n`);
}
