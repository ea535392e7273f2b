/**
 * Bootstrap data in the store, as k3s keeps it in its datastore: the files every server of one
 * cluster must share — the cluster CA (ca.crt/ca.key), the service-account signing key
 * (sa.key/sa.pub), the admin client certificate (admin.crt/admin.key) — and the join token,
 * stored ENCRYPTED with a key derived from the join token. A second server started with
 * `--token-file` (a copy of the first server's DIR/node-token) reads and decrypts them, so no
 * certificate or key is copied by hand; its own serving certificate is then issued from the shared
 * CA, so a kubeconfig written by any server works against every server, and an agent can join
 * through any of them.
 *
 * Format of the value at `/peapod/bootstrap/data` (JSON):
 *   { v: 1, kdf: "scrypt", N, r, p, salt, iv, tag, data }     (base64 fields)
 *   key  = scrypt(token, salt, 32 bytes; N=2^14, r=8, p=1)
 *   data = AES-256-GCM(key, iv, JSON {files: {name: pem}, token}), `tag` its auth tag,
 *          with the string "peapod-bootstrap-v1" as additional authenticated data.
 * A wrong token fails the GCM check ("the token does not match"), never yields garbage.
 *
 * The first server creates the key atomically (Store.create), so two fresh servers racing on an
 * empty store cannot both found a cluster: the loser is told to start with the winner's token.
 */
import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KeyExistsError, type Store } from '../storage/store.js';
import { caHash, parseNodeToken } from '../apiserver/auth/node-token.js';
import { logger } from '../util/log.js';

const log = logger('bootstrap');

export const bootstrapKey = '/peapod/bootstrap/data';
/** The files shared by every server, in DIR/pki. */
export const sharedPkiFiles = ['ca.crt', 'ca.key', 'sa.key', 'sa.pub', 'admin.crt', 'admin.key'] as const;
const AAD = Buffer.from('peapod-bootstrap-v1');
const KDF = { N: 1 << 14, r: 8, p: 1 };

export interface BootstrapPayload {
  files: Record<string, string>;
  token: string;
}

interface Envelope {
  v: 1;
  kdf: 'scrypt';
  N: number;
  r: number;
  p: number;
  salt: string;
  iv: string;
  tag: string;
  data: string;
}

function deriveKey(token: string, salt: Buffer, p: { N: number; r: number; p: number }): Buffer {
  return scryptSync(token.trim(), salt, 32, { N: p.N, r: p.r, p: p.p, maxmem: 64 * 1024 * 1024 });
}

export function encryptBootstrap(token: string, payload: BootstrapPayload): string {
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', deriveKey(token, salt, KDF), iv);
  cipher.setAAD(AAD);
  const data = Buffer.concat([cipher.update(JSON.stringify(payload), 'utf8'), cipher.final()]);
  const env: Envelope = {
    v: 1, kdf: 'scrypt', ...KDF,
    salt: salt.toString('base64'), iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), data: data.toString('base64'),
  };
  return JSON.stringify(env);
}

export class BootstrapTokenError extends Error {}

export function decryptBootstrap(token: string, value: string): BootstrapPayload {
  let env: Envelope;
  try { env = JSON.parse(value) as Envelope; } catch { throw new Error('bootstrap data in the store is not JSON'); }
  if (env.v !== 1 || env.kdf !== 'scrypt') throw new Error(`bootstrap data: unknown format (v=${String(env.v)}, kdf=${String(env.kdf)})`);
  const decipher = createDecipheriv('aes-256-gcm', deriveKey(token, Buffer.from(env.salt, 'base64'), env), Buffer.from(env.iv, 'base64'));
  decipher.setAAD(AAD);
  decipher.setAuthTag(Buffer.from(env.tag, 'base64'));
  let plain: Buffer;
  try {
    plain = Buffer.concat([decipher.update(Buffer.from(env.data, 'base64')), decipher.final()]);
  } catch {
    throw new BootstrapTokenError('the token does not match the cluster\'s bootstrap data (decryption failed): use the node-token of a server of this cluster');
  }
  return JSON.parse(plain.toString('utf8')) as BootstrapPayload;
}

export interface BootstrapOptions {
  dataDir: string;
  /** The token from --token-file (else DIR/node-token when it exists). */
  token?: string;
  /**
   * Creates the local PKI when this server founds the cluster (control-plane passes
   * loadOrCreatePki with its serving names); must write every file in sharedPkiFiles.
   */
  createPki: () => Promise<void>;
  /** Creates DIR/node-token for the CA (loadOrCreateNodeToken) and returns it. */
  createToken: (caPem: string) => string;
}

export interface BootstrapResult {
  /** 'store': the files came from the store; 'founded': this server uploaded them; 'current': the local files already matched. */
  source: 'store' | 'founded' | 'current';
  token: string;
}

function writeAtomic(path: string, data: string, mode: number): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data, { mode });
  renameSync(tmp, path);
}

function localFiles(pkiDir: string): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const f of sharedPkiFiles) {
    const p = join(pkiDir, f);
    if (!existsSync(p)) return undefined;
    out[f] = readFileSync(p, 'utf8');
  }
  return out;
}

/**
 * Make DIR/pki and DIR/node-token agree with the cluster's bootstrap data in the store (call it
 * before loading the PKI): download them when the store has them, or found the cluster.
 */
export async function reconcileBootstrapData(store: Store, opts: BootstrapOptions): Promise<BootstrapResult> {
  const pkiDir = join(opts.dataDir, 'pki');
  const tokenPath = join(opts.dataDir, 'node-token');
  mkdirSync(pkiDir, { recursive: true, mode: 0o700 });
  const token = (opts.token ?? (existsSync(tokenPath) ? readFileSync(tokenPath, 'utf8') : '')).trim() || undefined;
  if (token && !parseNodeToken(token)) throw new Error('--token-file: not a peapod join token (K10<ca hash>::node:<secret>)');

  const existing = (await store.get(bootstrapKey)).kv;
  if (existing) {
    if (!token) throw new Error('this store already holds a cluster: start the server with --token-file (a copy of DIR/node-token of one of its servers)');
    const payload = decryptBootstrap(token, existing.value);
    const ca = payload.files['ca.crt'];
    if (!ca || parseNodeToken(token)!.caHash !== caHash(ca)) throw new BootstrapTokenError('the token names a different cluster CA than the bootstrap data');
    const local = localFiles(pkiDir);
    const same = local && sharedPkiFiles.every((f) => local[f] === payload.files[f]);
    if (!same) {
      for (const f of sharedPkiFiles) {
        const pem = payload.files[f];
        if (pem === undefined) throw new Error(`bootstrap data lacks ${f}`);
        writeAtomic(join(pkiDir, f), pem, f.endsWith('.crt') || f.endsWith('.pub') ? 0o644 : 0o600);
      }
    }
    writeAtomic(tokenPath, payload.token + '\n', 0o600);
    log.info(same ? 'local PKI matches the bootstrap data in the store' : 'PKI and join token taken from the bootstrap data in the store', { key: bootstrapKey });
    return { source: same ? 'current' : 'store', token: payload.token };
  }

  // No cluster in the store yet: found it with the local PKI (created now when missing).
  if (opts.token && !localFiles(pkiDir)) throw new Error('--token-file given, but the store holds no bootstrap data (is this the right etcd and --etcd-prefix?)');
  await opts.createPki();
  const files = localFiles(pkiDir);
  if (!files) throw new Error(`PKI in ${pkiDir} is incomplete (${sharedPkiFiles.join(', ')})`);
  const founding = token && parseNodeToken(token)!.caHash === caHash(files['ca.crt']!) ? token : opts.createToken(files['ca.crt']!);
  try {
    await store.create(bootstrapKey, encryptBootstrap(founding, { files, token: founding }));
  } catch (e) {
    if (!(e instanceof KeyExistsError)) throw e;
    // Another server founded the cluster a moment ago: follow it, if our token opens its data.
    return reconcileBootstrapData(store, { ...opts, token: opts.token });
  }
  log.info('founded the cluster: bootstrap data stored, encrypted with the join token', { key: bootstrapKey });
  return { source: 'founded', token: founding };
}
