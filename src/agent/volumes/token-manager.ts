/**
 * Service account tokens for projected volumes, obtained through the TokenRequest API
 * (POST serviceaccounts/NAME/token, bound to the pod) and renewed, as the kubelet's token manager
 * does, once 80 % of the token's lifetime has passed (or it is older than 24 h).
 */
import type { KubeClient } from '../../client/types.js';
import type { KubeObject } from '../../api/object.js';
import { Resources } from '../../client/resources.js';
import type { Clock } from '../../util/clock.js';

interface Token { token: string; issuedAt: number; expiresAt: number }

export class TokenManager {
  private readonly tokens = new Map<string, Token>();
  requests = 0;

  constructor(private readonly client: KubeClient | undefined, private readonly clock: Clock) {}

  private fresh(t: Token): boolean {
    const now = this.clock.now();
    const ttl = t.expiresAt - t.issuedAt;
    return now < t.issuedAt + ttl * 0.8 && now - t.issuedAt < 24 * 3600_000;
  }

  /** When the token for these parameters should be renewed (ms), for scheduling a resync. */
  renewAt(key: string): number | undefined {
    const t = this.tokens.get(key);
    if (!t) return undefined;
    return Math.min(t.issuedAt + (t.expiresAt - t.issuedAt) * 0.8, t.issuedAt + 24 * 3600_000);
  }

  static key(p: { namespace: string; serviceAccount: string; podUid: string; audience?: string; expirationSeconds: number }): string {
    return [p.namespace, p.serviceAccount, p.podUid, p.audience ?? '', p.expirationSeconds].join('/');
  }

  async get(p: { namespace: string; serviceAccount: string; podName: string; podUid: string; audience?: string; expirationSeconds: number }): Promise<{ token: string; key: string }> {
    const key = TokenManager.key(p);
    const cur = this.tokens.get(key);
    if (cur && this.fresh(cur)) return { token: cur.token, key };
    if (!this.client) throw new Error('service account tokens need the API (static pods cannot use them)');
    const tr: KubeObject = await this.client.create(Resources.serviceaccounts, p.namespace, {
      apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', metadata: { name: p.serviceAccount },
      spec: {
        audiences: p.audience ? [p.audience] : [],
        expirationSeconds: p.expirationSeconds,
        boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: p.podName, uid: p.podUid },
      },
    }, { subresource: 'token', name: p.serviceAccount });
    this.requests++;
    const status = (tr.status ?? {}) as { token?: string; expirationTimestamp?: string };
    if (!status.token) throw new Error(`TokenRequest for service account "${p.serviceAccount}" returned no token`);
    const now = this.clock.now();
    const exp = status.expirationTimestamp ? Date.parse(status.expirationTimestamp) : now + p.expirationSeconds * 1000;
    const t: Token = { token: status.token, issuedAt: now, expiresAt: exp };
    this.tokens.set(key, t);
    return { token: t.token, key };
  }

  forgetPod(uid: string): void {
    for (const k of [...this.tokens.keys()]) if (k.split('/')[2] === uid) this.tokens.delete(k);
  }
}
