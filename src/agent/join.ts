/**
 * Joining a cluster with the node join token (`K10<sha256 of the CA cert>::node:<secret>`, k3s
 * style): ask /peapod/v1/node-credentials for a system:node:NAME client certificate, then accept
 * the answer only if the CA it carries has the token's hash and issued the server's certificate
 * (a server that is not the cluster's is refused). The credential is kept in
 * DIR/agent/credentials/ and reused on the next start while valid. (The server has no anonymous
 * CA endpoint like k3s's /cacerts, so the token is sent before the CA is checked.)
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';

export interface JoinOptions {
  server: string;
  token: string;
  nodeName: string;
  credentialsDir: string;
  /** The node's addresses: the server also issues a serving certificate for them (the node's streaming endpoint). */
  addresses?: string[];
}

export interface NodeCredential { ca: string; certificate: string; key: string; servingCertificate?: string; servingKey?: string }

function parseToken(token: string): { caHash: string } {
  const m = /^K10([0-9a-f]{64})::node:([0-9a-f]+)$/.exec(token.trim());
  if (!m) throw new Error('the join token is not in the K10<hash>::node:<secret> form');
  return { caHash: m[1] };
}

/**
 * POST over TLS without trusting the server yet; returns the answer and the server's certificate
 * (checked by the caller against the CA the token names).
 */
function post(url: URL, path: string, token: string, body: unknown): Promise<{ code: number; text: string; peer: Buffer }> {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify(body);
    const req = httpsRequest({ host: url.hostname, port: url.port, path, method: 'POST', rejectUnauthorized: false, servername: 'localhost',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) } }, (res) => {
      const peer = (res.socket as TLSSocket).getPeerCertificate().raw;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ code: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), peer }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

function stillValid(certPem: string): boolean {
  try { return Date.parse(new X509Certificate(certPem).validTo) > Date.now() + 24 * 3600_000; } catch { return false; }
}

export async function joinCluster(o: JoinOptions): Promise<NodeCredential> {
  const { caHash } = parseToken(o.token);
  const files = {
    ca: join(o.credentialsDir, 'ca.crt'), certificate: join(o.credentialsDir, 'node.crt'), key: join(o.credentialsDir, 'node.key'), name: join(o.credentialsDir, 'node-name'),
    servingCertificate: join(o.credentialsDir, 'serving.crt'), servingKey: join(o.credentialsDir, 'serving.key'), addresses: join(o.credentialsDir, 'serving-addresses'),
  };
  const addresses = [...new Set(o.addresses ?? [])].sort().join(',');
  const wantServing = addresses !== '';
  const haveServing = existsSync(files.servingCertificate) && existsSync(files.servingKey) && existsSync(files.addresses) && readFileSync(files.addresses, 'utf8').trim() === addresses;
  if (existsSync(files.ca) && existsSync(files.certificate) && existsSync(files.key) && existsSync(files.name) && (!wantServing || haveServing)) {
    const cred: NodeCredential = { ca: readFileSync(files.ca, 'utf8'), certificate: readFileSync(files.certificate, 'utf8'), key: readFileSync(files.key, 'utf8') };
    if (wantServing) { cred.servingCertificate = readFileSync(files.servingCertificate, 'utf8'); cred.servingKey = readFileSync(files.servingKey, 'utf8'); }
    const sameNode = readFileSync(files.name, 'utf8').trim() === o.nodeName;
    if (sameNode && createHash('sha256').update(cred.ca).digest('hex') === caHash && stillValid(cred.certificate) && (!wantServing || stillValid(cred.servingCertificate!))) return cred;
  }
  const url = new URL(o.server);
  const res = await post(url, '/peapod/v1/node-credentials', o.token.trim(), wantServing ? { nodeName: o.nodeName, addresses: o.addresses } : { nodeName: o.nodeName });
  if (res.code !== 200) throw new Error(`node credentials refused (HTTP ${res.code}): ${res.text.slice(0, 300)}`);
  const body = JSON.parse(res.text) as { certificate: string; key: string; ca: string; servingCertificate?: string; servingKey?: string };
  const ca = body.ca;
  const got = createHash('sha256').update(ca).digest('hex');
  if (got !== caHash) throw new Error(`the server's CA (sha256 ${got}) does not match the join token's CA hash ${caHash}`);
  if (!new X509Certificate(res.peer).verify(new X509Certificate(ca).publicKey)) throw new Error('the server\'s certificate was not issued by the CA the join token names');
  mkdirSync(o.credentialsDir, { recursive: true, mode: 0o700 });
  const write = (path: string, data: string, mode: number) => { writeFileSync(`${path}.tmp`, data, { mode }); renameSync(`${path}.tmp`, path); };
  write(files.ca, ca, 0o644);
  write(files.key, body.key, 0o600);
  write(files.certificate, body.certificate, 0o644);
  write(files.name, o.nodeName + '\n', 0o644);
  const cred: NodeCredential = { ca, certificate: body.certificate, key: body.key };
  if (wantServing) {
    if (!body.servingCertificate || !body.servingKey) throw new Error('the server did not issue a serving certificate for the node\'s addresses');
    write(files.servingKey, body.servingKey, 0o600);
    write(files.servingCertificate, body.servingCertificate, 0o644);
    write(files.addresses, addresses + '\n', 0o644);
    cred.servingCertificate = body.servingCertificate;
    cred.servingKey = body.servingKey;
  }
  return cred;
}
