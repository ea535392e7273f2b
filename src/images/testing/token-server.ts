/**
 * Test helper: a registry token server (the Docker token authentication protocol) for
 * docker-registry's `auth: token` mode. It grants the requested scopes to one user (Basic auth on
 * the token request) and answers 401 otherwise; tokens are RS256 JWTs with the signing
 * certificate in `x5c`, which the registry checks against its `rootcertbundle`.
 */
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SignJWT } from 'jose';

const execFileP = promisify(execFile);

export interface TokenServer {
  realm: string;
  service: string;
  issuer: string;
  certPath: string;
  /** Each token request: "user|anonymous scope..." */
  requests: string[];
  stop(): Promise<void>;
}

export async function startTokenServer(opts: { username: string; password: string }): Promise<TokenServer> {
  const dir = await mkdtemp(join(tmpdir(), 'peapod-token-'));
  let server: Server | undefined;
  const stop = async () => {
    if (server) await new Promise<void>((r) => server!.close(() => r()));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const keyPath = join(dir, 'key.pem');
    const certPath = join(dir, 'cert.pem');
    await execFileP('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyPath, '-out', certPath, '-days', '1', '-subj', '/CN=peapod-test-token-signer'], { timeout: 30_000 });
    const key = createPrivateKey(await readFile(keyPath));
    const certDer = new X509Certificate(await readFile(certPath)).raw.toString('base64');
    const service = 'peapod-test-registry';
    const issuer = 'peapod-test-issuer';
    const requests: string[] = [];
    server = createServer((req, res) => {
      void (async () => {
        const url = new URL(req.url ?? '/', 'http://x');
        const auth = req.headers.authorization ?? '';
        const decoded = auth.startsWith('Basic ') ? Buffer.from(auth.slice(6), 'base64').toString() : '';
        const ok = decoded === `${opts.username}:${opts.password}`;
        const scopes = url.searchParams.getAll('scope');
        requests.push(`${ok ? opts.username : decoded ? 'rejected' : 'anonymous'} ${scopes.join(' ')}`);
        if (!ok || url.searchParams.get('service') !== service) {
          res.writeHead(401, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
          return;
        }
        const access = scopes.map((s) => {
          const [type, name, actions] = s.split(':');
          return { type, name, actions: (actions ?? '').split(',').filter(Boolean) };
        });
        const token = await new SignJWT({ access })
          .setProtectedHeader({ alg: 'RS256', typ: 'JWT', x5c: [certDer] })
          .setIssuer(issuer).setAudience(service).setSubject(opts.username)
          .setIssuedAt().setNotBefore(Math.floor(Date.now() / 1000) - 60).setExpirationTime('5m').setJti(String(requests.length))
          .sign(key);
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ token, expires_in: 300 }));
      })().catch((e: Error) => { res.writeHead(500); res.end(e.message); });
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    return { realm: `http://127.0.0.1:${port}/token`, service, issuer, certPath, requests, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
