/** Helpers for work shared between callers that each carry their own AbortSignal. */
import { ImagePullError } from './errors.js';

/** `p`, or a Cancelled error as soon as `signal` aborts (p itself is not stopped). */
export function untilAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new ImagePullError('Cancelled', 'pull cancelled'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new ImagePullError('Cancelled', 'pull cancelled'));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => { signal.removeEventListener('abort', onAbort); resolve(v); },
      (e: unknown) => { signal.removeEventListener('abort', onAbort); reject(e); },
    );
  });
}

/** The error is a cancellation (ours or Node's AbortError), not a failure of the work itself. */
export function isCancellation(e: unknown): boolean {
  return (e instanceof ImagePullError && e.reason === 'Cancelled') || (e instanceof Error && e.name === 'AbortError');
}
