/**
 * The cluster's PKI in `DIR/pki/`: created at first start, reused afterwards.
 *
 *   ca.crt / ca.key                cluster CA (signs everything below)
 *   server.crt / server.key        API server serving certificate (SANs: loopback, host name, node IP, kubernetes.default.svc…)
 *   admin.crt / admin.key          admin client certificate (CN=system:admin, O=system:masters)
 *   sa.key / sa.pub                service-account token signing key (ES256)
 *
 * The serving certificate is re-issued when the wanted SANs change or it is within 30 days of expiry.
 */
import { mkdirSync, readFileSync, writeFileSync, existsSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { createCA, issueCert, certSans, certDaysLeft, type CertKeyPair } from './certs.js';

export interface ClusterPki {
  ca: CertKeyPair;
  server: CertKeyPair;
  admin: CertKeyPair;
  /** PEM PKCS#8 private key and SPKI public key for service-account tokens. */
  saKeyPem: string;
  saPubPem: string;
}

function writeAtomic(path: string, data: string, mode = 0o600): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data, { mode });
  renameSync(tmp, path);
}

function readPair(dir: string, name: string): CertKeyPair | undefined {
  const c = join(dir, `${name}.crt`);
  const k = join(dir, `${name}.key`);
  if (!existsSync(c) || !existsSync(k)) return undefined;
  return { certPem: readFileSync(c, 'utf8'), keyPem: readFileSync(k, 'utf8') };
}

function writePair(dir: string, name: string, p: CertKeyPair): void {
  writeAtomic(join(dir, `${name}.key`), p.keyPem);
  writeAtomic(join(dir, `${name}.crt`), p.certPem, 0o644);
}

export interface PkiOptions {
  dnsNames: string[];
  ips: string[];
}

/** Names the API server's certificate must cover, as Kubernetes' apiserver does. */
export function defaultServingNames(hostName: string, extraIps: string[], serviceIp = '10.96.0.1'): PkiOptions {
  const dnsNames = ['localhost', hostName, 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local'];
  const ips = ['127.0.0.1', '::1', serviceIp, ...extraIps];
  return { dnsNames: [...new Set(dnsNames)], ips: [...new Set(ips)] };
}

export async function loadOrCreatePki(dataDir: string, opts: PkiOptions): Promise<ClusterPki> {
  const dir = join(dataDir, 'pki');
  mkdirSync(dir, { recursive: true, mode: 0o700 });

  let ca = readPair(dir, 'ca');
  if (!ca) {
    ca = await createCA(`peapod-ca@${Math.floor(Date.now() / 1000)}`);
    writePair(dir, 'ca', ca);
  }

  const wanted = [...opts.dnsNames.map((d) => `DNS:${d}`), ...opts.ips.map((ip) => `IP Address:${ip === '::1' ? '0:0:0:0:0:0:0:1' : ip}`)];
  let server = readPair(dir, 'server');
  if (!server || certDaysLeft(server.certPem) < 30 || !sameSet(certSans(server.certPem), wanted)) {
    server = await issueCert(ca, { commonName: 'peapod-apiserver', dnsNames: opts.dnsNames, ips: opts.ips, usage: 'server', days: 365 });
    writePair(dir, 'server', server);
  }

  let admin = readPair(dir, 'admin');
  if (!admin || certDaysLeft(admin.certPem) < 30) {
    admin = await issueCert(ca, { commonName: 'system:admin', organizations: ['system:masters'], usage: 'client', days: 365 });
    writePair(dir, 'admin', admin);
  }

  const saKeyPath = join(dir, 'sa.key');
  const saPubPath = join(dir, 'sa.pub');
  if (!existsSync(saKeyPath) || !existsSync(saPubPath)) {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    writeAtomic(saKeyPath, privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
    writeAtomic(saPubPath, publicKey.export({ type: 'spki', format: 'pem' }) as string, 0o644);
  }
  return { ca, server, admin, saKeyPem: readFileSync(saKeyPath, 'utf8'), saPubPem: readFileSync(saPubPath, 'utf8') };
}

function sameSet(a: string[], b: string[]): boolean {
  const norm = (xs: string[]) => [...new Set(xs.map((x) => x.toLowerCase()))].sort().join(',');
  return norm(a) === norm(b);
}
