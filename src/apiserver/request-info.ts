/**
 * Parse a request path into what it addresses, as Kubernetes' RequestInfoFactory does:
 * `/api/v1/namespaces/ns/pods/web/status`, `/apis/apps/v1/watch/deployments`, ...
 */
import { ApiError } from '../api/errors.js';

export interface ResourceRequest {
  kind: 'resource';
  group: string;
  version: string;
  namespace?: string;
  resource: string;
  name?: string;
  subresource?: string;
  /** `/watch/` path prefix. */
  watchPath: boolean;
  /** Extra path parts after the subresource (e.g. proxy paths). */
  rest: string[];
}

export type RequestTarget =
  | { kind: 'version' }
  | { kind: 'api' }
  | { kind: 'apis' }
  | { kind: 'group'; group: string }
  | { kind: 'groupVersion'; group: string; version: string }
  | { kind: 'openapi'; path: string }
  | ResourceRequest
  | { kind: 'unknown' };

const namespaceSubresources = new Set(['status', 'finalize']);

export function parsePath(pathname: string): RequestTarget {
  if (pathname === '/version' || pathname === '/version/') return { kind: 'version' };
  if (pathname.startsWith('/openapi/')) return { kind: 'openapi', path: pathname };
  const parts = pathname.split('/').filter((p) => p !== '').map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      // Go's net/http refuses the request line with this wording (a 400 before any handler)
      const bad = /%(?![0-9a-fA-F]{2})..?|%(?:[0-9a-fA-F]{2})+/.exec(p)?.[0] ?? p;
      throw ApiError.badRequest(`parse ${JSON.stringify(pathname)}: invalid URL escape ${JSON.stringify(bad.slice(0, 3))}`);
    }
  });
  if (parts.length === 0) return { kind: 'unknown' };
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === 'api') {
    if (parts.length === 1) return { kind: 'api' };
    group = '';
    version = parts[1];
    rest = parts.slice(2);
    if (rest.length === 0) return { kind: 'groupVersion', group, version };
  } else if (parts[0] === 'apis') {
    if (parts.length === 1) return { kind: 'apis' };
    if (parts.length === 2) return { kind: 'group', group: parts[1] };
    group = parts[1];
    version = parts[2];
    rest = parts.slice(3);
    if (rest.length === 0) return { kind: 'groupVersion', group, version };
  } else {
    return { kind: 'unknown' };
  }
  let watchPath = false;
  if (rest[0] === 'watch') { watchPath = true; rest = rest.slice(1); }
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length > 1) {
    namespace = rest[1];
    if (rest.length > 2 && !namespaceSubresources.has(rest[2])) {
      rest = rest.slice(2);
    } else {
      // the namespace itself: /namespaces/ns[/status|/finalize]
      return { kind: 'resource', group, version, resource: 'namespaces', name: rest[1], subresource: rest[2], watchPath, rest: rest.slice(3) };
    }
  }
  if (rest.length === 0) return { kind: 'unknown' };
  return { kind: 'resource', group, version, namespace, resource: rest[0], name: rest[1], subresource: rest[2], watchPath, rest: rest.slice(3) };
}
