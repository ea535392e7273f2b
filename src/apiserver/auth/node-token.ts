/**
 * The node join token (`DIR/node-token`), in the spirit of k3s: `K10<sha256 of the CA cert>::node:<secret>`.
 * An agent presents it as a bearer token to obtain its node client certificate, and uses the CA hash
 * to trust the server's CA on first contact.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

export function caHash(caCertPem: string): string {
  return createHash('sha256').update(caCertPem).digest('hex');
}

export function loadOrCreateNodeToken(path: string, caCertPem: string): string {
  if (existsSync(path)) {
    const t = readFileSync(path, 'utf8').trim();
    if (parseNodeToken(t)?.caHash === caHash(caCertPem)) return t;
  }
  const token = `K10${caHash(caCertPem)}::node:${randomBytes(24).toString('hex')}`;
  writeFileSync(path, token + '\n', { mode: 0o600 });
  return token;
}

export function parseNodeToken(token: string): { caHash: string; secret: string } | undefined {
  const m = /^K10([0-9a-f]{64})::node:([0-9a-f]+)$/.exec(token.trim());
  return m ? { caHash: m[1], secret: m[2] } : undefined;
}

export function nodeTokenMatches(presented: string, expected: string): boolean {
  const a = Buffer.from(presented.trim());
  const b = Buffer.from(expected.trim());
  return a.length === b.length && timingSafeEqual(a, b);
}
