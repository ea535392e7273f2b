/**
 * Image references, normalized the way containerd and the kubelet do it
 * (docker/distribution's reference grammar):
 *
 *   busybox                    → docker.io/library/busybox:latest
 *   busybox:1.36               → docker.io/library/busybox:1.36
 *   user/app                   → docker.io/user/app:latest
 *   index.docker.io/x          → docker.io/library/x:latest
 *   localhost:5000/a           → localhost:5000/a:latest
 *   myreg:5000/x/y@sha256:…    → myreg:5000/x/y@sha256:…   (no default tag when a digest is given)
 *
 * The first path component is a registry host when it contains "." or ":", is "localhost",
 * or has an upper-case letter; otherwise the image is on Docker Hub.
 */
import { InvalidImageNameError } from './errors.js';

export interface ImageReference {
  /** Registry host[:port], e.g. "docker.io", "127.0.0.1:5000". */
  readonly domain: string;
  /** Repository path inside the registry, e.g. "library/busybox". */
  readonly path: string;
  readonly tag?: string;
  /** "sha256:<64 hex>" */
  readonly digest?: string;
}

const DEFAULT_DOMAIN = 'docker.io';
const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
const OFFICIAL_REPO_PREFIX = 'library/';
const NAME_TOTAL_MAX = 255;

const alnum = '[a-z0-9]+';
const separator = '(?:[._]|__|[-]+)';
const pathComponent = `${alnum}(?:${separator}${alnum})*`;
const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const domainName = `${domainComponent}(?:\\.${domainComponent})*`;
const ipv6 = '\\[(?:[a-fA-F0-9:]+)\\]';
const domainRe = new RegExp(`^(?:${domainName}|${ipv6})(?::[0-9]+)?$`);
const pathComponentRe = new RegExp(`^${pathComponent}$`);
const tagRe = /^[\w][\w.-]{0,127}$/;
const digestRe = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;

/** Parses and normalizes; throws InvalidImageNameError with the reason. */
export function parseReference(image: string): ImageReference {
  const fail = (detail: string): never => { throw new InvalidImageNameError(image, detail); };
  if (typeof image !== 'string' || image.length === 0) fail('invalid reference format: image name is empty');
  if (/\s/.test(image)) fail('invalid reference format: image name contains whitespace');

  let rest = image;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!digestRe.test(digest)) fail(`invalid reference format: invalid digest "${digest}"`);
    const [alg, hex] = digest.split(':') as [string, string];
    if (alg === 'sha256' && !/^[a-f0-9]{64}$/.test(hex)) fail(`invalid checksum digest format: "${digest}" (sha256 needs 64 lower-case hex digits)`);
    if (alg !== 'sha256' && alg !== 'sha512') fail(`unsupported digest algorithm "${alg}"`);
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!tagRe.test(tag)) fail(`invalid reference format: invalid tag "${tag}"`);
  }
  if (rest.length === 0) fail('invalid reference format: repository name is empty');

  let domain: string;
  let remainder: string;
  const slash = rest.indexOf('/');
  const first = slash >= 0 ? rest.slice(0, slash) : '';
  if (slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase())) {
    domain = first;
    remainder = rest.slice(slash + 1);
    if (!domainRe.test(domain)) fail(`invalid reference format: invalid registry host "${domain}"`);
  } else {
    domain = DEFAULT_DOMAIN;
    remainder = rest;
  }
  if (domain === LEGACY_DEFAULT_DOMAIN) domain = DEFAULT_DOMAIN;
  if (remainder !== remainder.toLowerCase()) fail('invalid reference format: repository name must be lowercase');
  for (const comp of remainder.split('/')) {
    if (!pathComponentRe.test(comp)) fail(`invalid reference format: invalid repository path component "${comp}"`);
  }
  if (domain === DEFAULT_DOMAIN && !remainder.includes('/')) remainder = OFFICIAL_REPO_PREFIX + remainder;
  if (domain.length + 1 + remainder.length > NAME_TOTAL_MAX) fail(`repository name must not be more than ${NAME_TOTAL_MAX} characters`);
  if (!tag && !digest) tag = 'latest';
  return { domain, path: remainder, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) };
}

/** "docker.io/library/busybox" */
export function repositoryName(ref: ImageReference): string {
  return `${ref.domain}/${ref.path}`;
}

/** The full normalized string: name[:tag][@digest]. */
export function formatReference(ref: ImageReference): string {
  return repositoryName(ref) + (ref.tag ? `:${ref.tag}` : '') + (ref.digest ? `@${ref.digest}` : '');
}

/** Normalizes a user-written reference (throws InvalidImageNameError). */
export function normalizeReference(image: string): string {
  return formatReference(parseReference(image));
}

/** Short form for display, the way `docker images` shows Docker Hub names ("busybox", "user/app"). */
export function familiarName(ref: ImageReference): string {
  if (ref.domain !== DEFAULT_DOMAIN) return repositoryName(ref);
  return ref.path.startsWith(OFFICIAL_REPO_PREFIX) ? ref.path.slice(OFFICIAL_REPO_PREFIX.length) : ref.path;
}

/** The version the registry is asked for: the digest when there is one, else the tag. */
export function referenceObject(ref: ImageReference): string {
  return ref.digest ?? ref.tag ?? 'latest';
}
