/**
 * API errors as Kubernetes `Status` objects. Every error a client can see goes through here,
 * so codes, reasons and message shapes are the same as the Kubernetes API server's.
 */

/** One field problem, as in k8s.io/apimachinery/pkg/util/validation/field. */
export type FieldErrorType =
  | 'FieldValueNotFound'
  | 'FieldValueRequired'
  | 'FieldValueDuplicate'
  | 'FieldValueInvalid'
  | 'FieldValueNotSupported'
  | 'FieldValueForbidden'
  | 'FieldValueTooLong'
  | 'FieldValueTooMany'
  | 'InternalError'
  | 'FieldValueTypeInvalid';

export interface FieldError {
  type: FieldErrorType;
  /** Path such as `spec.containers[0].name`. */
  field: string;
  /** The value at fault (included in the message for Invalid, NotSupported, Duplicate). */
  badValue?: unknown;
  /** Detail, e.g. `must be no more than 63 characters`. */
  detail?: string;
  /** The bad value as Kubernetes prints it (Go syntax, e.g. `map[string]string{"app":"web"}`); used verbatim when set. */
  badValueText?: string;
}

const typeText: Record<FieldErrorType, string> = {
  FieldValueNotFound: 'Not found',
  FieldValueRequired: 'Required value',
  FieldValueDuplicate: 'Duplicate value',
  FieldValueInvalid: 'Invalid value',
  FieldValueNotSupported: 'Unsupported value',
  FieldValueForbidden: 'Forbidden',
  FieldValueTooLong: 'Too long',
  FieldValueTooMany: 'Too many',
  InternalError: 'Internal error',
  FieldValueTypeInvalid: 'Invalid value',
};

function formatBadValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

/** The error's message without the field, as Kubernetes prints it in causes: `Invalid value: "x": detail`. */
export function fieldErrorBody(e: FieldError): string {
  let s = typeText[e.type];
  const showsValue = e.type === 'FieldValueInvalid' || e.type === 'FieldValueNotSupported' ||
    e.type === 'FieldValueDuplicate' || e.type === 'FieldValueTypeInvalid' || e.type === 'FieldValueNotFound' ||
    e.type === 'FieldValueTooMany'; // "Too many: 21: must have at most 20 items", as Kubernetes 1.30 prints it
  if (showsValue && e.badValueText !== undefined) s += `: ${e.badValueText}`;
  else if (showsValue && e.badValue !== undefined) s += `: ${formatBadValue(e.badValue)}`;
  if (e.detail) s += `: ${e.detail}`;
  return s;
}

/** `spec.containers[0].name: Required value` */
export function fieldErrorString(e: FieldError): string {
  return `${e.field}: ${fieldErrorBody(e)}`;
}

export interface StatusCause { reason?: string; message?: string; field?: string }
export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}
export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never> | { resourceVersion?: string };
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
  }

  toStatus(): Status {
    const s: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: this.message, reason: this.reason, code: this.code };
    if (this.details) s.details = this.details;
    return s;
  }

  /** `pods "web" not found` */
  static notFound(resource: string, name: string, group = ''): ApiError {
    const qualified = group ? `${resource}.${group}` : resource;
    return new ApiError(404, 'NotFound', `${qualified} "${name}" not found`, { name, group: group || undefined, kind: resource });
  }
  /** `pods "web" already exists` */
  static alreadyExists(resource: string, name: string, group = ''): ApiError {
    const qualified = group ? `${resource}.${group}` : resource;
    return new ApiError(409, 'AlreadyExists', `${qualified} "${name}" already exists`, { name, group: group || undefined, kind: resource });
  }
  /** `Operation cannot be fulfilled on pods "web": the object has been modified; please apply your changes to the latest version and try again` */
  static conflict(resource: string, name: string, why: string, group = ''): ApiError {
    const qualified = group ? `${resource}.${group}` : resource;
    return new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${qualified} "${name}": ${why}`, { name, group: group || undefined, kind: resource });
  }
  /** 422: `Pod "web" is invalid: spec.containers[0].name: Required value` (several errors in `[a, b]`). */
  static invalid(kind: string, name: string, errors: FieldError[], group = ''): ApiError {
    const qualifiedKind = group ? `${kind}.${group}` : kind;
    const list = errors.map(fieldErrorString);
    const body = list.length === 1 ? list[0] : `[${list.join(', ')}]`;
    return new ApiError(422, 'Invalid', `${qualifiedKind} "${name}" is invalid: ${body}`, {
      name,
      group: group || undefined,
      kind,
      causes: errors.map((e) => ({ reason: e.type, message: fieldErrorBody(e), field: e.field })),
    });
  }
  static badRequest(message: string): ApiError {
    return new ApiError(400, 'BadRequest', message);
  }
  static gone(message: string): ApiError {
    return new ApiError(410, 'Expired', message);
  }
  static unsupportedMediaType(contentType: string): ApiError {
    return new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf`.replace('unknown format', `unknown format (${contentType})`));
  }
  static notAcceptable(message: string): ApiError {
    return new ApiError(406, 'NotAcceptable', message);
  }
  static requestEntityTooLarge(message = 'Request entity too large: limit is 3145728'): ApiError {
    return new ApiError(413, 'RequestEntityTooLarge', message);
  }
  static methodNotAllowed(verb: string, resource: string): ApiError {
    return new ApiError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource (${verb} ${resource})`);
  }
  static unauthorized(message = 'Unauthorized'): ApiError {
    return new ApiError(401, 'Unauthorized', message);
  }
  static forbidden(message: string): ApiError {
    return new ApiError(403, 'Forbidden', message);
  }
  static timeout(message: string): ApiError {
    return new ApiError(504, 'Timeout', message);
  }
  static tooManyRequests(message: string, retryAfterSeconds = 1): ApiError {
    return new ApiError(429, 'TooManyRequests', message, { retryAfterSeconds });
  }
  static internal(message: string): ApiError {
    return new ApiError(500, 'InternalError', `Internal error occurred: ${message}`);
  }
}

export function successStatus(details?: StatusDetails): Status {
  const s: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 200 };
  if (details) s.details = details;
  return s;
}
