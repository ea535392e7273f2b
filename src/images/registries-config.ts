/**
 * Mirrors and per-registry settings in the k3s `registries.yaml` format:
 *
 *   mirrors:
 *     docker.io:
 *       endpoint: ["http://127.0.0.1:5000"]
 *       rewrite: { "^library/(.*)": "mirrored/$1" }
 *   configs:
 *     "127.0.0.1:5000":
 *       auth: { username: u, password: p }      # or auth: <base64 user:pass>, identity_token
 *       tls: { insecure_skip_verify: true, ca_file: ..., cert_file: ..., key_file: ... }
 *
 * For an image, the mirror endpoints of its registry (or of "*") are tried in order, then the
 * registry itself ("default endpoint"; docker.io means registry-1.docker.io). Loopback registries
 * are spoken to over plain http unless `configs` has a `tls` section for them. Non-loopback endpoints are refused unless remote pulls are
 * allowed: this machine has no internet, and a test must never reach out.
 *
 * Registries in the node's own address ranges (its pod subnet, the cluster CIDR, the service range:
 * a registry running in a pod, reached by its pod IP or its Service's ClusterIP) count as local
 * too: allowed, and plain http unless `configs` gives them TLS. That is how OpenShift nodes reach
 * the integrated registry of the seed example: docker runs with `--insecure-registry` set to the
 * service network.
 */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { contains, parseCidr } from '../network/cni/ipv4.js';
import type { RegistryCredential } from './credentials.js';
import { ImagePullError } from './errors.js';

export interface RegistryTls { insecureSkipVerify?: boolean; caFile?: string; certFile?: string; keyFile?: string }
export interface RegistryHostConfig { auth?: RegistryCredential; tls?: RegistryTls }
export interface MirrorConfig { endpoints: string[]; rewrite: Array<[RegExp, string]> }
export interface RegistriesConfig { mirrors: Map<string, MirrorConfig>; configs: Map<string, RegistryHostConfig> }

export function emptyRegistriesConfig(): RegistriesConfig {
  return { mirrors: new Map(), configs: new Map() };
}

export interface Endpoint {
  /** API root, e.g. http://127.0.0.1:5000/v2 (no trailing slash). */
  apiRoot: string;
  /** host[:port] of the endpoint. */
  host: string;
  /** True for the registry itself (not a mirror). */
  isDefault: boolean;
  rewrite: Array<[RegExp, string]>;
  config: RegistryHostConfig;
}

function fail(where: string, msg: string): never {
  throw new Error(`registries.yaml: ${where}: ${msg}`);
}

function str(v: unknown, where: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') fail(where, 'must be a string');
  return v;
}

/** Parses and validates registries.yaml text. */
export function parseRegistriesYaml(text: string): RegistriesConfig {
  const doc = (parseYaml(text) ?? {}) as Record<string, unknown>;
  if (typeof doc !== 'object' || Array.isArray(doc)) fail('top level', 'must be a mapping with "mirrors" and "configs"');
  const out = emptyRegistriesConfig();
  const mirrors = (doc.mirrors ?? {}) as Record<string, unknown>;
  for (const [name, m] of Object.entries(mirrors)) {
    const mm = (m ?? {}) as Record<string, unknown>;
    const eps = mm.endpoint ?? [];
    if (!Array.isArray(eps)) fail(`mirrors.${name}.endpoint`, 'must be a list of URLs');
    const endpoints = eps.map((e, i) => {
      const s = str(e, `mirrors.${name}.endpoint[${i}]`) ?? '';
      try {
        const u = new URL(/^[a-z]+:\/\//i.test(s) ? s : `https://${s}`);
        if (u.protocol !== 'http:' && u.protocol !== 'https:') fail(`mirrors.${name}.endpoint[${i}]`, `unsupported scheme ${u.protocol}`);
        return u.toString();
      } catch (err) {
        if (err instanceof Error && err.message.startsWith('registries.yaml')) throw err;
        return fail(`mirrors.${name}.endpoint[${i}]`, `invalid URL ${JSON.stringify(s)}`);
      }
    });
    const rewrite: Array<[RegExp, string]> = [];
    for (const [re, repl] of Object.entries((mm.rewrite ?? {}) as Record<string, unknown>)) {
      try {
        rewrite.push([new RegExp(re), (str(repl, `mirrors.${name}.rewrite`) ?? '').replace(/\$(\d)/g, '$$$1')]);
      } catch {
        fail(`mirrors.${name}.rewrite`, `invalid regular expression ${JSON.stringify(re)}`);
      }
    }
    out.mirrors.set(name, { endpoints, rewrite });
  }
  const configs = (doc.configs ?? {}) as Record<string, unknown>;
  for (const [host, c] of Object.entries(configs)) {
    const cc = (c ?? {}) as Record<string, unknown>;
    const cfg: RegistryHostConfig = {};
    if (cc.auth) {
      const a = cc.auth as Record<string, unknown>;
      let username = str(a.username, `configs.${host}.auth.username`);
      let password = str(a.password, `configs.${host}.auth.password`);
      const auth = str(a.auth, `configs.${host}.auth.auth`);
      if (auth && !username) {
        const dec = Buffer.from(auth, 'base64').toString('utf8');
        const i = dec.indexOf(':');
        if (i < 0) fail(`configs.${host}.auth.auth`, 'must be base64 of "user:password"');
        username = dec.slice(0, i);
        password = dec.slice(i + 1);
      }
      const identityToken = str(a.identity_token, `configs.${host}.auth.identity_token`);
      cfg.auth = { ...(username !== undefined ? { username } : {}), ...(password !== undefined ? { password } : {}), ...(identityToken ? { identityToken } : {}) };
    }
    if (cc.tls) {
      const t = cc.tls as Record<string, unknown>;
      if (t.insecure_skip_verify !== undefined && typeof t.insecure_skip_verify !== 'boolean') fail(`configs.${host}.tls.insecure_skip_verify`, 'must be true or false');
      cfg.tls = {
        ...(t.insecure_skip_verify ? { insecureSkipVerify: true } : {}),
        ...(t.ca_file ? { caFile: str(t.ca_file, `configs.${host}.tls.ca_file`)! } : {}),
        ...(t.cert_file ? { certFile: str(t.cert_file, `configs.${host}.tls.cert_file`)! } : {}),
        ...(t.key_file ? { keyFile: str(t.key_file, `configs.${host}.tls.key_file`)! } : {}),
      };
    }
    out.configs.set(host, cfg);
  }
  return out;
}

/** Reads registries.yaml; a missing file is an empty configuration. */
export async function loadRegistriesConfig(path: string): Promise<RegistriesConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return emptyRegistriesConfig();
    throw e;
  }
  return parseRegistriesYaml(text);
}

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/**
 * True when `host` ("10.96.0.7:5000") is an IPv4 address inside one of `cidrs` (the address ranges
 * peapod makes on this machine: pod subnet, cluster CIDR, service range).
 */
export function isInNodeRanges(host: string, cidrs: readonly string[]): boolean {
  const h = host.replace(/:\d+$/, '');
  if (!/^\d+\.\d+\.\d+\.\d+$/.test(h)) return false;
  return cidrs.some((c) => {
    try {
      return contains(parseCidr(c), h);
    } catch {
      return false;
    }
  });
}

function apiRootOf(u: URL): string {
  let path = u.pathname.replace(/\/+$/, '');
  if (!path.endsWith('/v2')) path += '/v2';
  return `${u.protocol}//${u.host}${path}`;
}

/**
 * The endpoints to try for a registry, in order. Those neither on loopback nor in `nodeRanges`
 * (CIDRs of the node's own networks) are left out unless `allowRemote`; when that leaves none, the
 * error says why.
 */
export function endpointsFor(config: RegistriesConfig, registry: string, allowRemote: boolean, nodeRanges: readonly string[] = []): Endpoint[] {
  const isLocal = (host: string) => isLoopbackHost(host) || isInNodeRanges(host, nodeRanges);
  const all: Endpoint[] = [];
  const mirror = config.mirrors.get(registry) ?? config.mirrors.get('*');
  for (const e of mirror?.endpoints ?? []) {
    const u = new URL(e);
    all.push({ apiRoot: apiRootOf(u), host: u.host, isDefault: false, rewrite: mirror!.rewrite, config: config.configs.get(u.host) ?? config.configs.get('*') ?? {} });
  }
  const defaultHost = registry === 'docker.io' ? 'registry-1.docker.io' : registry;
  // Loopback and node-local registries speak plain http, unless registries.yaml gives them TLS settings.
  const scheme = isLocal(defaultHost) && !config.configs.get(defaultHost)?.tls ? 'http' : 'https';
  const defaultUrl = new URL(`${scheme}://${defaultHost}`);
  if (!all.some((e) => e.apiRoot === apiRootOf(defaultUrl))) {
    all.push({ apiRoot: apiRootOf(defaultUrl), host: defaultUrl.host, isDefault: true, rewrite: [], config: config.configs.get(registry) ?? config.configs.get(defaultUrl.host) ?? {} });
  }
  const allowed = all.filter((e) => allowRemote || isLocal(e.host));
  if (allowed.length === 0) {
    throw new ImagePullError('Disabled', `pulling from non-loopback registry "${defaultHost}" is disabled on this node `
      + '(no internet access); configure a loopback mirror in registries.yaml, import the image with `peapod images import`, '
      + 'or set PEAPOD_ALLOW_REMOTE_REGISTRIES=1');
  }
  return allowed;
}

/** Applies an endpoint's rewrite rules to a repository path ("library/busybox"). */
export function rewritePath(endpoint: Endpoint, path: string): string {
  for (const [re, repl] of endpoint.rewrite) if (re.test(path)) return path.replace(re, repl);
  return path;
}
