/**
 * OCI distribution v2 client for one repository on one endpoint: manifests (HEAD/GET by tag or
 * digest, the full Accept list always sent), blobs (streamed), and authentication: anonymous, Basic,
 * and the Bearer token flow (401 + `WWW-Authenticate: Bearer realm=…,service=…,scope=…` → token
 * endpoint, with Basic credentials when there are some → `Authorization: Bearer <token>`).
 */
import type { Readable } from 'node:stream';
import type { RegistryCredential } from './credentials.js';
import { sha256, isDigest } from './digest.js';
import { ImagePullError } from './errors.js';
import { readBody, request, type HttpResponse } from './http.js';
import { MANIFEST_ACCEPT } from './media-types.js';
import type { Endpoint } from './registries-config.js';

export interface ManifestHead { digest?: string; mediaType?: string; size?: number }
export interface FetchedManifest { digest: string; mediaType?: string; body: Buffer }

const MANIFEST_LIMIT = 4 << 20;

interface Challenge { scheme: string; params: Record<string, string> }

/** Parses `WWW-Authenticate` (one or more challenges). */
export function parseChallenges(header: string | undefined): Challenge[] {
  if (!header) return [];
  const out: Challenge[] = [];
  const re = /([A-Za-z][\w-]*)(?:\s+|$)((?:[\w-]+\s*=\s*(?:"(?:[^"\\]|\\.)*"|[^,\s]*)\s*,?\s*)*)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(header)) !== null) {
    if (m[0].length === 0) { re.lastIndex++; continue; }
    const params: Record<string, string> = {};
    const pre = /([\w-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g;
    let p: RegExpExecArray | null;
    while ((p = pre.exec(m[2] ?? '')) !== null) params[p[1]!.toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : p[3] ?? '';
    out.push({ scheme: m[1]!.toLowerCase(), params });
  }
  return out;
}

function registryErrors(body: Buffer): string {
  try {
    const doc = JSON.parse(body.toString('utf8')) as { errors?: Array<{ code?: string; message?: string }> };
    const parts = (doc.errors ?? []).map((e) => [e.code, e.message].filter(Boolean).join(': ')).filter(Boolean);
    return parts.join('; ');
  } catch {
    return body.toString('utf8').trim().slice(0, 200);
  }
}

export class RegistryClient {
  private authHeader: string | undefined;
  private credIndex = 0;

  /**
   * @param endpoint  where to connect (mirror or the registry itself)
   * @param repository repository path on that endpoint ("library/busybox", after rewrites)
   * @param credentials tried in order on 401; none = anonymous
   * @param displayRef the image as the user named it, for error messages
   */
  constructor(
    readonly endpoint: Endpoint,
    readonly repository: string,
    private readonly credentials: RegistryCredential[],
    private readonly displayRef: string,
    private readonly signal?: AbortSignal,
  ) {}

  private url(kind: 'manifests' | 'blobs', ref: string): string {
    return `${this.endpoint.apiRoot}/${this.repository}/${kind}/${ref}`;
  }

  /** Sends a request, going through the auth challenges (and each credential) as needed. */
  private async send(method: 'GET' | 'HEAD', url: string, headers: Record<string, string> = {}): Promise<HttpResponse> {
    const creds: Array<RegistryCredential | undefined> = this.credentials.length > 0 ? this.credentials : [undefined];
    let last: { res: HttpResponse; body: Buffer; detail: string } | undefined;
    for (let i = this.credIndex; i < creds.length; i++) {
      const cred = creds[i];
      const attempt = async () => request(url, {
        method, tls: this.endpoint.config.tls, ...(this.signal ? { signal: this.signal } : {}),
        headers: { ...headers, ...(this.authHeader ? { Authorization: this.authHeader } : {}) },
      });
      let res = await attempt();
      if (res.status !== 401) { this.credIndex = i; return res; }
      const body = method === 'HEAD' ? Buffer.alloc(0) : await readBody(res, 65536);
      res.body.resume();
      const challenges = parseChallenges(res.headers['www-authenticate'] as string | undefined);
      const newAuth = await this.authorize(challenges, cred);
      if (newAuth === undefined || newAuth === this.authHeader) {
        last = { res, body, detail: cred ? `credentials of user "${cred.username ?? ''}" were rejected` : `no credentials for "${this.endpoint.host}"` };
        this.authHeader = undefined;
        continue;
      }
      this.authHeader = newAuth;
      res = await attempt();
      if (res.status !== 401) { this.credIndex = i; return res; }
      const body2 = method === 'HEAD' ? Buffer.alloc(0) : await readBody(res, 65536);
      last = { res, body: body2, detail: cred ? `credentials of user "${cred.username ?? ''}" were rejected` : `no credentials for "${this.endpoint.host}"` };
      this.authHeader = undefined;
    }
    const server = last ? registryErrors(last.body) : '';
    throw new ImagePullError('Unauthorized', `unexpected status from ${method} request to ${url}: 401 Unauthorized`
      + (server ? ` (${server})` : '') + (last ? `: ${last.detail}` : ''));
  }

  /** Turns a challenge into an Authorization header value (undefined: cannot answer it). */
  private async authorize(challenges: Challenge[], cred: RegistryCredential | undefined): Promise<string | undefined> {
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    const basic = challenges.find((c) => c.scheme === 'basic');
    if (cred?.registryToken) return `Bearer ${cred.registryToken}`;
    if (bearer) {
      const realm = bearer.params.realm;
      if (!realm) throw new ImagePullError('Unauthorized', `registry ${this.endpoint.host} sent a Bearer challenge without a realm`);
      const tokenUrl = new URL(realm);
      if (bearer.params.service) tokenUrl.searchParams.set('service', bearer.params.service);
      const scopes = (bearer.params.scope ?? `repository:${this.repository}:pull`).split(' ');
      for (const s of scopes) tokenUrl.searchParams.append('scope', s);
      const headers: Record<string, string> = { Accept: 'application/json' };
      if (cred?.username !== undefined) headers.Authorization = 'Basic ' + Buffer.from(`${cred.username}:${cred.password ?? ''}`).toString('base64');
      const res = await request(tokenUrl.toString(), { headers, tls: this.endpoint.config.tls, ...(this.signal ? { signal: this.signal } : {}) });
      const body = await readBody(res, 1 << 20);
      if (res.status !== 200) {
        throw new ImagePullError('Unauthorized', `failed to fetch ${cred ? '' : 'anonymous '}token from ${tokenUrl.origin}${tokenUrl.pathname}: unexpected status: ${res.status} ${res.statusText}`
          + (registryErrors(body) ? ` (${registryErrors(body)})` : ''));
      }
      let token: string | undefined;
      try {
        const doc = JSON.parse(body.toString('utf8')) as { token?: string; access_token?: string };
        token = doc.token ?? doc.access_token;
      } catch { /* handled below */ }
      if (!token) throw new ImagePullError('Unauthorized', `token endpoint ${tokenUrl.origin}${tokenUrl.pathname} returned no token`);
      return `Bearer ${token}`;
    }
    if (basic && cred?.username !== undefined) return 'Basic ' + Buffer.from(`${cred.username}:${cred.password ?? ''}`).toString('base64');
    return undefined;
  }

  private async failStatus(method: string, url: string, res: HttpResponse, what: string): Promise<never> {
    const body = method === 'HEAD' ? Buffer.alloc(0) : await readBody(res, 65536).catch(() => Buffer.alloc(0));
    const server = registryErrors(body);
    if (res.status === 404) throw new ImagePullError('NotFound', `${what}: not found` + (server ? ` (${server})` : ''));
    if (res.status === 403) throw new ImagePullError('Unauthorized', `pull access denied for ${what}: ${res.status} Forbidden` + (server ? ` (${server})` : ''));
    throw new ImagePullError('Failed', `unexpected status from ${method} request to ${url}: ${res.status} ${res.statusText}` + (server ? ` (${server})` : ''));
  }

  /** HEAD of a manifest: its digest, media type and size, without the body. */
  async headManifest(reference: string): Promise<ManifestHead> {
    const url = this.url('manifests', reference);
    const res = await this.send('HEAD', url, { Accept: MANIFEST_ACCEPT });
    res.body.resume();
    if (res.status !== 200) return this.failStatus('HEAD', url, res, this.displayRef);
    const digest = res.headers['docker-content-digest'] as string | undefined;
    const len = Number(res.headers['content-length']);
    return {
      ...(isDigest(digest) ? { digest } : {}),
      ...(res.headers['content-type'] ? { mediaType: String(res.headers['content-type']).split(';')[0]!.trim() } : {}),
      ...(Number.isFinite(len) ? { size: len } : {}),
    };
  }

  /** GET of a manifest by tag or digest; verified against the digest asked for or announced. */
  async getManifest(reference: string): Promise<FetchedManifest> {
    const url = this.url('manifests', reference);
    const res = await this.send('GET', url, { Accept: MANIFEST_ACCEPT });
    if (res.status !== 200) return this.failStatus('GET', url, res, isDigest(reference) ? `${this.displayRef} manifest ${reference}` : this.displayRef);
    const body = await readBody(res, MANIFEST_LIMIT);
    const actual = sha256(body);
    const announced = res.headers['docker-content-digest'] as string | undefined;
    const expected = isDigest(reference) ? reference : isDigest(announced) ? announced : undefined;
    if (expected && expected !== actual) {
      throw new ImagePullError('DigestMismatch', `failed to copy: manifest ${url}: digest mismatch: expected ${expected}, got ${actual}`);
    }
    const ct = res.headers['content-type'] ? String(res.headers['content-type']).split(';')[0]!.trim() : undefined;
    return { digest: actual, body, ...(ct ? { mediaType: ct } : {}) };
  }

  /** Opens a blob for streaming (the caller verifies its digest while storing it). */
  async openBlob(digest: string): Promise<Readable> {
    const url = this.url('blobs', digest);
    const res = await this.send('GET', url);
    if (res.status !== 200) return this.failStatus('GET', url, res, `${this.displayRef} blob ${digest}`);
    return res.body;
  }
}
