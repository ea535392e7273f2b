/**
 * Request authentication, in Kubernetes' order: client certificate, then bearer token
 * (service-account JWT, or the node join token). The result is the request's UserInfo;
 * no credentials at all yields `undefined` (anonymous), bad credentials throw 401.
 */
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { ApiError } from '../../api/errors.js';
import type { UserInfo } from '../user.js';
import { serviceAccountUser, type TokenIssuer, type BindingCheck } from './tokens.js';
import { nodeTokenMatches } from './node-token.js';

export interface AuthenticatorOptions {
  tokens: TokenIssuer;
  nodeToken: string;
  /** Validates bound tokens against live objects (pod/secret/service account still exist). */
  bindingCheck?: BindingCheck;
}

export const BOOTSTRAP_USER: UserInfo = {
  username: 'system:bootstrap:peapod-node-token',
  groups: ['system:bootstrappers', 'system:bootstrappers:peapod', 'system:authenticated'],
};

export class Authenticator {
  constructor(private readonly opts: AuthenticatorOptions) {}

  async authenticate(req: IncomingMessage): Promise<UserInfo | undefined> {
    const certUser = this.fromClientCert(req);
    if (certUser) return certUser;
    const auth = req.headers.authorization;
    if (!auth) return undefined;
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (!m) throw ApiError.unauthorized();
    const token = m[1];
    if (token.startsWith('K10')) {
      if (nodeTokenMatches(token, this.opts.nodeToken)) return BOOTSTRAP_USER;
      throw ApiError.unauthorized();
    }
    const claims = await this.opts.tokens.verify(token);
    if (!claims) throw ApiError.unauthorized();
    if (this.opts.bindingCheck && !(await this.opts.bindingCheck(claims))) throw ApiError.unauthorized();
    return serviceAccountUser(claims);
  }

  /**
   * The client certificate's user, once per TLS 1.3 connection: getPeerCertificate() builds the
   * whole certificate object on every call (~3% of the server's CPU under load), and TLS 1.3 has
   * no renegotiation, so a connection's peer certificate never changes.
   */
  private readonly certUsers = new WeakMap<TLSSocket, UserInfo | null>();

  private fromClientCert(req: IncomingMessage): UserInfo | undefined {
    const sock = req.socket as TLSSocket;
    if (typeof sock.getPeerCertificate !== 'function' || !sock.authorized) return undefined;
    let u = this.certUsers.get(sock);
    if (u === undefined) {
      u = this.certUserOf(sock);
      if (sock.getProtocol() === 'TLSv1.3') this.certUsers.set(sock, u);
    }
    return u ? { username: u.username, groups: [...u.groups] } : undefined;
  }

  private certUserOf(sock: TLSSocket): UserInfo | null {
    const cert = sock.getPeerCertificate();
    if (!cert?.subject?.CN) return null;
    const cn = Array.isArray(cert.subject.CN) ? cert.subject.CN[0] : cert.subject.CN;
    const o = cert.subject.O;
    const orgs = o === undefined ? [] : Array.isArray(o) ? o : [o];
    return { username: cn, groups: [...orgs, 'system:authenticated'] };
  }
}
