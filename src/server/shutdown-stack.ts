/**
 * What a start-up made, to release in reverse order: on a normal shutdown, and when start-up fails
 * half-way (so a server that cannot start exits instead of hanging on what it had already opened).
 * A failing step is logged and the others still run; `close()` runs the steps once.
 * With an AbortSignal (e.g. SIGTERM during start-up), `push` throws the abort reason once the
 * signal is aborted — after registering the step, so what was just made is released with the rest.
 */
import { logger } from '../util/log.js';

const log = logger('shutdown');

export class ShutdownStack {
  private readonly steps: { what: string; run: () => unknown }[] = [];
  private closing: Promise<void> | undefined;

  constructor(private readonly signal?: AbortSignal) {}

  /** Registers `run` (sync or async) to release `what`; released before everything registered earlier. */
  push(what: string, run: () => unknown): void {
    this.steps.push({ what, run });
    this.signal?.throwIfAborted();
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const step of this.steps.splice(0).reverse()) {
        try { await step.run(); } catch (err) { log.warn('release failed', { what: step.what, err: err instanceof Error ? err.message : String(err) }); }
      }
    })();
    return this.closing;
  }
}
