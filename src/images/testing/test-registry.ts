/**
 * Test helper: runs Debian's `docker-registry` on a free loopback port (optionally with htpasswd
 * auth) in a temp dir, and pushes OCI layouts to it with skopeo. `stop()` kills the process and
 * removes the dir; tests call it from `after`/`t.after`.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

export interface TestRegistry {
  /** "127.0.0.1:PORT" */
  host: string;
  /** Storage root (docker/registry/v2/... under it). */
  storageDir: string;
  /** Every log line the registry wrote so far. */
  logLines: string[];
  /**
   * Makes a marker request and waits (bounded) for its log line, so that the log lines of
   * requests completed before are in `logLines`.
   */
  syncLog(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

export interface TokenAuth { realm: string; service: string; issuer: string; certPath: string }

export async function startTestRegistry(opts: { auth?: { username: string; password: string }; token?: TokenAuth; tls?: { certPath: string; keyPath: string }; timeoutMs?: number } = {}): Promise<TestRegistry> {
  const dir = await mkdtemp(join(tmpdir(), 'peapod-registry-'));
  let proc: ChildProcess | undefined;
  const stop = async () => {
    if (proc && proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise<void>((r) => proc!.once('exit', () => r()));
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc?.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const port = await freePort();
    const storageDir = join(dir, 'storage');
    let authYaml = '';
    if (opts.auth) {
      const { stdout } = await execFileP('htpasswd', ['-Bbn', opts.auth.username, opts.auth.password]);
      await writeFile(join(dir, 'htpasswd'), stdout);
      authYaml = `auth:\n  htpasswd:\n    realm: peapod-test\n    path: ${join(dir, 'htpasswd')}\n`;
    } else if (opts.token) {
      const t = opts.token;
      authYaml = `auth:\n  token:\n    realm: ${t.realm}\n    service: ${t.service}\n    issuer: ${t.issuer}\n    rootcertbundle: ${t.certPath}\n`;
    }
    const tlsYaml = opts.tls ? `  tls:\n    certificate: ${opts.tls.certPath}\n    key: ${opts.tls.keyPath}\n` : '';
    const config = `version: 0.1\nlog:\n  level: info\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${storageDir}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:${port}\n  secret: peapod-test-secret\n${tlsYaml}${authYaml}`;
    await writeFile(join(dir, 'config.yml'), config);
    const logLines: string[] = [];
    proc = spawn('docker-registry', ['serve', join(dir, 'config.yml')], { stdio: ['ignore', 'pipe', 'pipe'] });
    const p = proc;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`docker-registry did not start listening within ${opts.timeoutMs ?? 15000} ms:\n${logLines.join('\n')}`)), opts.timeoutMs ?? 15000);
      let buf = '';
      const onData = (d: Buffer) => {
        buf += d.toString();
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          logLines.push(line);
          if (line.includes('listening on')) { clearTimeout(timer); resolve(); }
        }
      };
      p.stdout!.on('data', onData);
      p.stderr!.on('data', onData);
      p.once('error', (e) => { clearTimeout(timer); reject(e); });
      p.once('exit', (code) => { clearTimeout(timer); reject(new Error(`docker-registry exited with ${code}:\n${logLines.join('\n')}`)); });
    });
    const waiters: Array<() => void> = [];
    p.stdout!.on('data', () => { for (const w of waiters.splice(0)) w(); });
    p.stderr!.on('data', () => { for (const w of waiters.splice(0)) w(); });
    const syncLog = async (timeoutMs = 5000) => {
      const marker = `/v2/peapod-sync-${Math.random().toString(36).slice(2)}/tags/list`;
      if (opts.tls) await execFileP('curl', ['-sk', '-o', '/dev/null', `https://127.0.0.1:${port}${marker}`]);
      else await fetch(`http://127.0.0.1:${port}${marker}`).then((r) => r.arrayBuffer());
      const deadline = Date.now() + timeoutMs;
      while (!logLines.some((l) => l.includes(marker))) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`registry log did not show ${marker} within ${timeoutMs} ms`);
        await new Promise<void>((r) => { const t = setTimeout(r, left); waiters.push(() => { clearTimeout(t); r(); }); });
      }
    };
    return { host: `127.0.0.1:${port}`, storageDir, logLines, syncLog, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** `skopeo copy oci:LAYOUT:TAG docker://DEST` (plain http, optional credentials, optional Docker schema2). */
export async function skopeoPush(layoutDir: string, tag: string, dest: string, opts: { creds?: string; format?: 'oci' | 'v2s2' } = {}): Promise<void> {
  const args = ['--insecure-policy', 'copy', '--quiet', '--dest-tls-verify=false'];
  if (opts.creds) args.push('--dest-creds', opts.creds);
  if (opts.format) args.push('--format', opts.format);
  args.push(`oci:${layoutDir}:${tag}`, `docker://${dest}`);
  await execFileP('skopeo', args, { timeout: 60_000 });
}

/** `skopeo copy oci:LAYOUT:TAG docker-archive:FILE:NAME` — a `docker save` style tarball. */
export async function skopeoDockerArchive(layoutDir: string, tag: string, file: string, name: string): Promise<void> {
  await execFileP('skopeo', ['--insecure-policy', 'copy', '--quiet', `oci:${layoutDir}:${tag}`, `docker-archive:${file}:${name}`], { timeout: 60_000 });
}
