/** Store errors → Kubernetes Status errors, in one place. */
import { ApiError } from '../api/errors.js';
import { CompactedError, ConflictError, FutureRevisionError, KeyExistsError, KeyNotFoundError, StoreClosedError } from '../storage/store.js';

export interface ErrorContext {
  resource: string;
  group: string;
  name?: string;
}

export function toApiError(err: unknown, ctx: ErrorContext): ApiError {
  if (err instanceof ApiError) return err;
  const name = ctx.name ?? '';
  if (err instanceof KeyExistsError) return ApiError.alreadyExists(ctx.resource, name, ctx.group);
  if (err instanceof KeyNotFoundError) return ApiError.notFound(ctx.resource, name, ctx.group);
  if (err instanceof ConflictError) return ApiError.conflict(ctx.resource, name, 'the object has been modified; please apply your changes to the latest version and try again', ctx.group);
  if (err instanceof CompactedError) return ApiError.gone(`too old resource version: ${err.requested} (${err.compacted})`);
  if (err instanceof FutureRevisionError) return tooLargeResourceVersion(err.requested, err.current);
  if (err instanceof StoreClosedError) return new ApiError(503, 'ServiceUnavailable', 'the storage is shutting down');
  return ApiError.internal(err instanceof Error ? err.message : String(err));
}

/** 504 with the ResourceVersionTooLarge cause, as Kubernetes' NewTooLargeResourceVersionError. */
export function tooLargeResourceVersion(requested: number, current: number): ApiError {
  return new ApiError(504, 'Timeout', `Too large resource version: ${requested}, current: ${current}`, {
    causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
    retryAfterSeconds: 1,
  });
}
