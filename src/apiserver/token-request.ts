/**
 * serviceaccounts/token (authentication.k8s.io/v1 TokenRequest): a signed token for a service
 * account, optionally bound to a Pod or Secret (whose uid must match), as Kubernetes issues it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from '../api/errors.js';
import type { KubeObject } from '../api/object.js';
import type { BoundObject, TokenIssuer } from './auth/tokens.js';
import type { RestContext, RestRequest } from './context.js';
import { contentTypeOf, decodeObjectBody, readBody, writeObject } from './http-util.js';
import { isDryRun } from './rest-write.js';

type Obj = Record<string, unknown>;

export async function handleTokenRequest(ctx: RestContext, r: RestRequest, req: IncomingMessage, res: ServerResponse, issuer: TokenIssuer): Promise<void> {
  if (req.method !== 'POST') throw ApiError.methodNotAllowed(req.method ?? '', 'serviceaccounts/token');
  const dryRun = isDryRun(r.query);
  const body = decodeObjectBody(await readBody(req), contentTypeOf(req), { kind: 'TokenRequest', version: 'v1' });
  if (body.kind && body.kind !== 'TokenRequest') throw ApiError.badRequest(`${String(body.kind)} in version "v1" cannot be handled as a TokenRequest`);
  const { target } = r;
  const sa = await r.served.registry.get(target.namespace, target.name!);
  const spec = (body.spec ?? {}) as Obj;
  const expirationSeconds = typeof spec.expirationSeconds === 'number' ? spec.expirationSeconds : 3600;
  const invalid = (field: string, value: unknown, detail: string) => ApiError.invalid('TokenRequest', target.name!, [{ type: 'FieldValueInvalid', field, badValue: value, detail }], 'authentication.k8s.io');
  if (expirationSeconds < 600) throw invalid('spec.expirationSeconds', expirationSeconds, 'may not specify a duration less than 10 minutes');
  if (expirationSeconds > 2 ** 32) throw invalid('spec.expirationSeconds', expirationSeconds, 'may not specify a duration larger than 2^32 seconds');
  let bound: BoundObject | undefined;
  let node: { name: string; uid: string } | undefined;
  const ref = spec.boundObjectRef as Obj | undefined;
  if (ref) {
    const kind = String(ref.kind ?? '');
    const name = String(ref.name ?? '');
    const lookup = kind === 'Pod' ? ctx.byKind('', 'Pod') : kind === 'Secret' ? ctx.byKind('', 'Secret') : kind === 'Node' ? ctx.byKind('', 'Node') : undefined;
    if (!lookup) throw invalid('spec.boundObjectRef.kind', kind, 'supported values: "Pod", "Secret", "Node"');
    let obj: KubeObject;
    try {
      obj = await lookup.registry.get(kind === 'Node' ? undefined : target.namespace, name);
    } catch (e) {
      if (e instanceof ApiError && e.code === 404) throw ApiError.notFound(lookup.def.plural, name);
      throw e;
    }
    if (ref.uid && ref.uid !== obj.metadata.uid) {
      throw ApiError.conflict(lookup.def.plural, name, `the UID in the bound object reference (${String(ref.uid)}) does not match the UID in record. The object might have been deleted and then recreated`);
    }
    bound = { kind: kind as BoundObject['kind'], name, uid: obj.metadata.uid! };
    const nodeName = kind === 'Pod' ? ((obj.spec as Obj | undefined)?.nodeName as string | undefined) : undefined;
    const nodes = ctx.byKind('', 'Node');
    if (nodeName && nodes) {
      const n = await nodes.registry.getStored(undefined, nodeName);
      if (n) node = { name: nodeName, uid: n.obj.metadata.uid! };
    }
  }
  const audiences = Array.isArray(spec.audiences) ? (spec.audiences as string[]) : undefined;
  const issued = dryRun ? { token: '', expirationTimestamp: new Date(ctx.clock.now() + expirationSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z') }
    : await issuer.issue({ namespace: target.namespace!, serviceAccount: { name: sa.metadata.name!, uid: sa.metadata.uid! }, audiences, expirationSeconds, boundObject: bound, node });
  const out: KubeObject = {
    kind: 'TokenRequest', apiVersion: 'authentication.k8s.io/v1',
    metadata: { name: sa.metadata.name, namespace: target.namespace, creationTimestamp: null as unknown as string },
    spec: { audiences: audiences ?? [], expirationSeconds, boundObjectRef: ref ?? null },
    status: { token: issued.token, expirationTimestamp: issued.expirationTimestamp },
  };
  writeObject(res, 201, out);
}
