/** Errors a client call can fail with: the server's Status, kept whole. */
import type { Status } from '../api/errors.js';

export class StatusError extends Error {
  constructor(readonly code: number, readonly status: Status | undefined, message: string) {
    super(message);
  }
  get reason(): string | undefined { return this.status?.reason; }
}

export const isNotFound = (e: unknown): boolean => e instanceof StatusError && e.code === 404;
export const isConflict = (e: unknown): boolean => e instanceof StatusError && e.code === 409 && e.reason === 'Conflict';
export const isAlreadyExists = (e: unknown): boolean => e instanceof StatusError && e.code === 409 && e.reason === 'AlreadyExists';
export const isGone = (e: unknown): boolean => e instanceof StatusError && (e.code === 410 || e.reason === 'Expired' || e.reason === 'Gone');
