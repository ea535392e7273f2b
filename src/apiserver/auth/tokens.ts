/**
 * Service-account tokens: signed JWTs (ES256) in the shape Kubernetes' TokenRequest API issues,
 * and their verification for authentication.
 *
 * Claims (as Kubernetes): iss, sub = system:serviceaccount:NS:NAME, aud, exp, iat, nbf, jti and
 * `kubernetes.io: { namespace, serviceaccount: {name, uid}, pod?: {name, uid}, node?: {name, uid} }`.
 */
import { randomUUID, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import type { Clock } from '../../util/clock.js';
import { realClock } from '../../util/clock.js';
import type { UserInfo } from '../user.js';

export const DEFAULT_ISSUER = 'https://kubernetes.default.svc.cluster.local';

export interface BoundObject {
  kind: 'Pod' | 'Secret' | 'Node';
  name: string;
  uid: string;
}

export interface TokenRequestInput {
  namespace: string;
  serviceAccount: { name: string; uid: string };
  /** Default: [issuer]. */
  audiences?: string[];
  /** Default 3600; Kubernetes' minimum is 600. */
  expirationSeconds?: number;
  boundObject?: BoundObject;
  /** The node the bound pod runs on, when known. */
  node?: { name: string; uid: string };
}

export interface IssuedToken {
  token: string;
  /** RFC 3339, as TokenRequest.status.expirationTimestamp. */
  expirationTimestamp: string;
}

export interface ServiceAccountClaims {
  iss: string;
  sub: string;
  aud: string[];
  exp: number;
  iat: number;
  nbf: number;
  jti: string;
  'kubernetes.io': {
    namespace: string;
    serviceaccount: { name: string; uid: string };
    pod?: { name: string; uid: string };
    secret?: { name: string; uid: string };
    node?: { name: string; uid: string };
  };
}

/** Checks, at authentication time, that what a token is bound to still exists (pod, secret, service account). */
export type BindingCheck = (claims: ServiceAccountClaims) => Promise<boolean>;

export class TokenIssuer {
  private readonly privateKey: KeyObject;
  private readonly publicKey: KeyObject;

  constructor(
    saKeyPem: string,
    saPubPem: string,
    private readonly issuer = DEFAULT_ISSUER,
    private readonly clock: Clock = realClock,
  ) {
    this.privateKey = createPrivateKey(saKeyPem);
    this.publicKey = createPublicKey(saPubPem);
  }

  async issue(input: TokenRequestInput): Promise<IssuedToken> {
    const now = Math.floor(this.clock.now() / 1000);
    const ttl = input.expirationSeconds ?? 3600;
    const k8s: ServiceAccountClaims['kubernetes.io'] = {
      namespace: input.namespace,
      serviceaccount: { name: input.serviceAccount.name, uid: input.serviceAccount.uid },
    };
    if (input.boundObject?.kind === 'Pod') k8s.pod = { name: input.boundObject.name, uid: input.boundObject.uid };
    if (input.boundObject?.kind === 'Secret') k8s.secret = { name: input.boundObject.name, uid: input.boundObject.uid };
    if (input.node) k8s.node = input.node;
    else if (input.boundObject?.kind === 'Node') k8s.node = { name: input.boundObject.name, uid: input.boundObject.uid };
    const token = await new SignJWT({ 'kubernetes.io': k8s })
      .setProtectedHeader({ alg: 'ES256', kid: 'peapod-sa' })
      .setIssuer(this.issuer)
      .setSubject(`system:serviceaccount:${input.namespace}:${input.serviceAccount.name}`)
      .setAudience(input.audiences?.length ? input.audiences : [this.issuer])
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + ttl)
      .setJti(randomUUID())
      .sign(this.privateKey);
    return { token, expirationTimestamp: new Date((now + ttl) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z') };
  }

  /** Verifies signature, issuer, audience (any of `audiences`) and time; returns the claims or undefined. */
  async verify(token: string, audiences: string[] = [this.issuer]): Promise<ServiceAccountClaims | undefined> {
    try {
      const { payload } = await jwtVerify(token, this.publicKey, {
        issuer: this.issuer,
        audience: audiences,
        currentDate: new Date(this.clock.now()),
        algorithms: ['ES256'],
      });
      const claims = payload as unknown as ServiceAccountClaims;
      if (!claims['kubernetes.io']?.serviceaccount?.name || typeof claims.sub !== 'string') return undefined;
      return claims;
    } catch (err) {
      if (err instanceof joseErrors.JOSEError) return undefined;
      throw err;
    }
  }
}

/** The user a verified service-account token authenticates as (Kubernetes' serviceaccount authenticator). */
export function serviceAccountUser(claims: ServiceAccountClaims): UserInfo {
  const k = claims['kubernetes.io'];
  const extra: Record<string, string[]> = { 'authentication.kubernetes.io/credential-id': [`JTI=${claims.jti}`] };
  if (k.pod) {
    extra['authentication.kubernetes.io/pod-name'] = [k.pod.name];
    extra['authentication.kubernetes.io/pod-uid'] = [k.pod.uid];
  }
  if (k.node) {
    extra['authentication.kubernetes.io/node-name'] = [k.node.name];
    extra['authentication.kubernetes.io/node-uid'] = [k.node.uid];
  }
  return {
    username: `system:serviceaccount:${k.namespace}:${k.serviceaccount.name}`,
    uid: k.serviceaccount.uid,
    groups: ['system:serviceaccounts', `system:serviceaccounts:${k.namespace}`, 'system:authenticated'],
    extra,
  };
}
