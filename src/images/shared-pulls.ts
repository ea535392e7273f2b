/**
 * One pull per image shared by everyone who wants it, reference-counted: each caller waits with
 * its own AbortSignal, and aborting it only lets that caller go; the pull itself is aborted when
 * the last caller has gone (a pod deleted while another pod still wants the image keeps the pull,
 * and its bytes, going); that last caller is answered once the pull has stopped, so nothing of it
 * is left running or half-written. A caller that comes after the pull was aborted starts a fresh one.
 */

export type ProgressListener<P> = (p: P) => void;

interface Entry<T, P> {
  promise: Promise<T>;
  controller: AbortController;
  callers: number;
  listeners: Set<ProgressListener<P>>;
}

export class SharedPulls<T, P> {
  private readonly running = new Map<string, Entry<T, P>>();

  /**
   * Joins the pull of `key`, starting it with `start` when none runs. `start` gets the shared
   * signal (aborted once no caller is left) and a progress callback that reaches every caller.
   * A caller whose own signal aborts gets `cancelled()`.
   */
  join(key: string, start: (signal: AbortSignal, progress: ProgressListener<P>) => Promise<T>, opts: { cancelled: () => Error; signal?: AbortSignal; onProgress?: ProgressListener<P> }): Promise<T> {
    const { signal, onProgress, cancelled } = opts;
    if (signal?.aborted) return Promise.reject(cancelled());
    let entry = this.running.get(key);
    if (!entry) {
      const controller = new AbortController();
      const listeners = new Set<ProgressListener<P>>();
      const fresh: Entry<T, P> = {
        controller, listeners, callers: 0,
        promise: Promise.resolve().then(() => start(controller.signal, (p) => { for (const l of [...listeners]) l(p); })),
      };
      fresh.promise.catch(() => undefined).finally(() => { if (this.running.get(key) === fresh) this.running.delete(key); });
      this.running.set(key, fresh);
      entry = fresh;
    }
    const e = entry;
    e.callers++;
    if (onProgress) e.listeners.add(onProgress);
    return new Promise<T>((resolve, reject) => {
      let left = false;
      const leave = () => {
        if (left) return false;
        left = true;
        signal?.removeEventListener('abort', onAbort);
        if (onProgress) e.listeners.delete(onProgress);
        e.callers--;
        return true;
      };
      const onAbort = () => {
        if (!leave()) return;
        if (e.callers > 0) { reject(cancelled()); return; }
        // Nobody wants it any more: stop it, and answer once it has stopped (its partial files
        // removed); a later caller starts over.
        if (this.running.get(key) === e) this.running.delete(key);
        e.controller.abort();
        e.promise.then(() => reject(cancelled()), () => reject(cancelled()));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      e.promise.then(
        (v) => { if (leave()) resolve(v); },
        (err: unknown) => { if (leave()) reject(err); },
      );
    });
  }

  /** Keys of the pulls running now. */
  keys(): string[] {
    return [...this.running.keys()];
  }

  /** How many callers wait for the pull of `key` (0 when none runs). */
  callers(key: string): number {
    return this.running.get(key)?.callers ?? 0;
  }
}
