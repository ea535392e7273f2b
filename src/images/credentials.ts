/**
 * Registry credentials from image pull secrets (`.dockerconfigjson` / legacy `.dockercfg` content),
 * matched to an image the way the kubelet's credential keyring does:
 *   - keys may carry a scheme and a path ("https://index.docker.io/v1/", "quay.io/org"); "/v1/" and
 *     "/v2/" path prefixes mean the bare host;
 *   - a key matches when the port is equal, the host has as many dot-separated parts and each part
 *     glob-matches ("*.example.com"), and the key's path is a prefix of the image's path;
 *   - more specific keys (reverse-sorted) come first; "index.docker.io" also serves Docker Hub images.
 */
import { ImagePullError } from './errors.js';

export interface RegistryCredential {
  username?: string;
  password?: string;
  /** A bearer token to send as is (docker config "registrytoken"). */
  registryToken?: string;
  /** An OAuth2 refresh token (docker config "identitytoken"), exchanged at the token endpoint. */
  identityToken?: string;
}

interface AuthEntry { username?: string; password?: string; auth?: string; identitytoken?: string; registrytoken?: string; email?: string }

const DEFAULT_REGISTRY_HOST = 'index.docker.io';

/** Parses docker config JSON (`{"auths": {...}}` or the legacy flat map) into key → credential. */
export function parseDockerConfig(content: string | Buffer | object, source = 'docker config'): Map<string, RegistryCredential> {
  let doc: unknown = content;
  if (typeof content === 'string' || Buffer.isBuffer(content)) {
    try {
      doc = JSON.parse(content.toString());
    } catch (e) {
      throw new ImagePullError('Failed', `${source}: invalid JSON: ${(e as Error).message}`);
    }
  }
  if (!doc || typeof doc !== 'object') throw new ImagePullError('Failed', `${source}: expected a JSON object`);
  const rec = doc as Record<string, unknown>;
  const auths = (rec.auths && typeof rec.auths === 'object' ? rec.auths : rec) as Record<string, unknown>;
  const out = new Map<string, RegistryCredential>();
  for (const [key, value] of Object.entries(auths)) {
    if (!value || typeof value !== 'object') continue;
    const e = value as AuthEntry;
    let { username, password } = e;
    if (e.auth && !username && !password) {
      const decoded = Buffer.from(e.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) throw new ImagePullError('Failed', `${source}: "auth" of ${JSON.stringify(key)} is not base64 of "user:password"`);
      username = decoded.slice(0, colon);
      password = decoded.slice(colon + 1);
    }
    out.set(key, {
      ...(username !== undefined ? { username } : {}),
      ...(password !== undefined ? { password } : {}),
      ...(e.registrytoken ? { registryToken: e.registrytoken } : {}),
      ...(e.identitytoken ? { identityToken: e.identitytoken } : {}),
    });
  }
  return out;
}

interface ParsedKey { hostParts: string[]; port: string; path: string }

function parseSchemeless(s: string): ParsedKey | undefined {
  let url: URL;
  try {
    url = new URL('https://' + s.replace(/^[a-z]+:\/\//i, ''));
  } catch {
    return undefined;
  }
  return { hostParts: url.hostname.split('.'), port: url.port, path: decodeURIComponent(url.pathname === '/' && !s.endsWith('/') ? '' : url.pathname) };
}

function globToRegExp(glob: string): RegExp {
  let re = '^';
  for (const ch of glob) {
    if (ch === '*') re += '[^.]*';
    else if (ch === '?') re += '[^.]';
    else re += ch.replace(/[\\^$.|+()[\]{}]/g, '\\$&');
  }
  return new RegExp(re + '$');
}

function keyMatches(key: string, image: string): boolean {
  const k = parseSchemeless(key);
  const t = parseSchemeless(image);
  if (!k || !t) return false;
  if (k.port !== t.port || k.hostParts.length !== t.hostParts.length) return false;
  if (!t.path.startsWith(k.path)) return false;
  return k.hostParts.every((part, i) => globToRegExp(part).test(t.hostParts[i]!));
}

function isDefaultRegistryMatch(image: string): boolean {
  const parts = image.split('/');
  if (parts[0] === '') return false;
  if (parts.length === 1) return true;
  if (parts[0] === 'docker.io' || parts[0] === DEFAULT_REGISTRY_HOST) return true;
  return !/[.:]/.test(parts[0]!);
}

/** Keyring over any number of docker configs (one per pull secret). */
export class DockerKeyring {
  private readonly creds = new Map<string, RegistryCredential[]>();
  private index: string[] = [];

  add(content: string | Buffer | object, source?: string): this {
    for (const [loc, cred] of parseDockerConfig(content, source)) {
      const withScheme = /^https?:\/\//.test(loc) ? loc : `https://${loc}`;
      let url: URL;
      try {
        url = new URL(withScheme);
      } catch {
        continue; // the kubelet ignores invalid entries too
      }
      let path = url.pathname;
      if (path.startsWith('/v2/') || path.startsWith('/v1/')) path = path.slice(3);
      const key = path.length > 0 && path !== '/' ? url.host + path : url.host;
      this.creds.set(key, [...(this.creds.get(key) ?? []), cred]);
    }
    this.index = [...this.creds.keys()].sort().reverse();
    return this;
  }

  /** Credentials for a normalized repository name ("docker.io/library/busybox"), best first. */
  lookup(repository: string): RegistryCredential[] {
    const out: RegistryCredential[] = [];
    for (const k of this.index) if (keyMatches(k, repository)) out.push(...this.creds.get(k)!);
    if (out.length > 0) return out;
    if (isDefaultRegistryMatch(repository)) return this.creds.get(DEFAULT_REGISTRY_HOST) ?? [];
    return [];
  }
}
