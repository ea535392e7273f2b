/**
 * How `peapod server` and `peapod agent` say they cannot start, once they have released what they
 * made: one line `peapod COMMAND: cannot start: REASON` (the stack only in debug logs), and an exit
 * with status 1 even if a library left a handle open — never sitting there until signalled.
 */
import type { Logger } from '../util/log.js';

/** How long a failed start-up may take to wind down before the process exits anyway. */
const EXIT_GRACE_MS = 3_000;

/** Reports `err` and schedules the exit; returns the exit status for the command's run(). */
export function reportStartFailure(command: string, err: unknown, log: Logger): number {
  const reason = (err instanceof Error ? err.message : String(err)).replace(/\s*\n\s*/g, ' ').trim();
  log.debug('start-up failed', { err: err instanceof Error ? err.stack : String(err) });
  process.stderr.write(`peapod ${command}: cannot start: ${reason}\n`);
  setTimeout(() => process.exit(1), EXIT_GRACE_MS).unref();
  return 1;
}
