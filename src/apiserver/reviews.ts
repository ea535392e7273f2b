/**
 * SelfSubjectReview (who am I) and SelfSubjectAccessReview (may I), answered from the request's
 * user and the server's authorizer. Nothing is stored (as in Kubernetes).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from '../api/errors.js';
import type { RestRequest } from './context.js';
import { contentTypeOf, decodeObjectBody, readBody, writeObject } from './http-util.js';
import type { UserInfo } from './user.js';

/** What an authorizer is asked (Kubernetes' authorizer.Attributes, resource and non-resource forms). */
export interface AuthorizationAttributes {
  user: UserInfo;
  verb: string;
  namespace?: string;
  group?: string;
  version?: string;
  resource?: string;
  subresource?: string;
  name?: string;
  /** Non-resource requests (`/healthz`, `/version`). */
  path?: string;
}

export interface AuthorizationDecision { allowed: boolean; denied?: boolean; reason?: string }

export type Authorizer = (attrs: AuthorizationAttributes) => Promise<AuthorizationDecision>;

type Obj = Record<string, unknown>;

export async function handleSelfSubjectReview(r: RestRequest, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'POST') throw ApiError.methodNotAllowed(req.method ?? '', 'selfsubjectreviews');
  decodeObjectBody(await readBody(req), contentTypeOf(req), { kind: 'SelfSubjectReview', version: 'v1' });
  const u = r.user;
  const userInfo: Obj = { username: u.username, groups: u.groups };
  if (u.uid) userInfo.uid = u.uid;
  if (u.extra && Object.keys(u.extra).length) userInfo.extra = u.extra;
  writeObject(res, 201, { kind: 'SelfSubjectReview', apiVersion: 'authentication.k8s.io/v1', metadata: { creationTimestamp: null }, status: { userInfo } });
}

export async function handleSelfSubjectAccessReview(r: RestRequest, req: IncomingMessage, res: ServerResponse, authorize: Authorizer): Promise<void> {
  if (req.method !== 'POST') throw ApiError.methodNotAllowed(req.method ?? '', 'selfsubjectaccessreviews');
  const body = decodeObjectBody(await readBody(req), contentTypeOf(req), { kind: 'SelfSubjectAccessReview', version: 'v1' });
  const spec = (body.spec ?? {}) as Obj;
  const ra = spec.resourceAttributes as Obj | undefined;
  const na = spec.nonResourceAttributes as Obj | undefined;
  if (!ra && !na) {
    throw ApiError.invalid('SelfSubjectAccessReview', '', [{ type: 'FieldValueInvalid', field: 'spec.resourceAttributes', badValue: null, detail: 'exactly one of nonResourceAttributes or resourceAttributes must be specified' }], 'authorization.k8s.io');
  }
  const attrs = ra
    ? { user: r.user, verb: String(ra.verb ?? ''), namespace: ra.namespace as string | undefined, group: ra.group as string | undefined, version: ra.version as string | undefined, resource: ra.resource as string | undefined, subresource: ra.subresource as string | undefined, name: ra.name as string | undefined }
    : { user: r.user, verb: String(na!.verb ?? ''), path: String(na!.path ?? '') };
  const d = await authorize(attrs);
  const status: Obj = { allowed: d.allowed };
  if (d.denied) status.denied = true;
  if (d.reason) status.reason = d.reason;
  writeObject(res, 201, { kind: 'SelfSubjectAccessReview', apiVersion: 'authorization.k8s.io/v1', metadata: { creationTimestamp: null }, spec: body.spec ?? {}, status });
}
