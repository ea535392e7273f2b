/** Digests ("sha256:<hex>") and streaming verification. */
import { createHash, type Hash } from 'node:crypto';

const SHA256_RE = /^sha256:[a-f0-9]{64}$/;

export function isDigest(s: unknown): s is string {
  return typeof s === 'string' && SHA256_RE.test(s);
}

/** Throws unless `s` is a sha256 digest (the only algorithm we store). */
export function assertDigest(s: unknown, what: string): string {
  if (!isDigest(s)) throw new Error(`${what}: unsupported or invalid digest ${JSON.stringify(s)} (want sha256:<64 hex>)`);
  return s;
}

export function sha256(data: Buffer | string): string {
  return 'sha256:' + createHash('sha256').update(data).digest('hex');
}

export function digestHex(digest: string): string {
  return digest.slice(digest.indexOf(':') + 1);
}

export function newHasher(): { hash: Hash; digest(): string } {
  const hash = createHash('sha256');
  return { hash, digest: () => 'sha256:' + hash.digest('hex') };
}

/** The chain ID of layers (OCI image-spec): identifies a stack of layers. */
export function chainIDs(diffIDs: string[]): string[] {
  const out: string[] = [];
  for (const d of diffIDs) out.push(out.length === 0 ? d : sha256(`${out[out.length - 1]} ${d}`));
  return out;
}
