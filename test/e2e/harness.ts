/**
 * End-to-end test harness: starts a real `peapod server` process on a free port with a temporary
 * data folder, and runs the real kubectl (any installed version) against it.
 * Everything it starts is stopped by `stop()` (register it with `after`).
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync, realpathSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const cliMain = join(root, 'dist', 'src', 'cli', 'main.js');

/** Folder holding kubectl and its versioned siblings (kubectl.1.27 … kubectl.1.33). */
export function kubectlDir(): string {
  const onPath = execFileSync('sh', ['-c', 'command -v kubectl'], { encoding: 'utf8' }).trim();
  return dirname(realpathSync(onPath));
}

/** `kubectl` for the default version, `kubectl.1.27` etc. for the others; undefined when not installed. */
export function kubectlBinary(version?: string): string | undefined {
  const p = join(kubectlDir(), version ? `kubectl.${version}` : 'kubectl');
  return existsSync(p) ? p : undefined;
}

export interface KubectlResult { code: number; stdout: string; stderr: string }

export interface TestServer {
  dataDir: string;
  kubeconfig: string;
  url: string;
  process: ChildProcess;
  /** Run kubectl (default version, or e.g. '1.27') with the admin kubeconfig. */
  kubectl(args: string[], opts?: { version?: string; input?: string; env?: Record<string, string>; timeoutMs?: number }): Promise<KubectlResult>;
  /** SIGKILL the server process (the data folder stays). */
  kill(): Promise<void>;
  /** Start the server again on the same data folder and port. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Extra `peapod server` arguments. */
  args?: string[];
  /** Milliseconds to wait for readiness (default 30 s). */
  readyTimeoutMs?: number;
  /** Run the embedded node agent (default false: `--no-agent`). */
  agent?: boolean;
}

function startProcess(dataDir: string, port: number, args: string[], timeoutMs: number, agent: boolean): Promise<{ proc: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--enable-source-maps', ...(process.env.PEAPOD_NODE_OPTIONS ?? '').split(' ').filter(Boolean), cliMain, 'server', '--data-dir', dataDir, '--port', String(port), ...(agent ? [] : ['--no-agent']), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PEAPOD_LOG: process.env.PEAPOD_LOG ?? 'info' },
    });
    let log = '';
    let timedOut = false;
    // Not ready in time: stop it as stop() does (SIGTERM lets it remove what it made; SIGKILL if it hangs)
    // and report once it has exited, so that the caller can remove its data folder.
    const timer = setTimeout(() => {
      timedOut = true;
      proc.kill('SIGTERM');
      const kill = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      proc.once('exit', () => { clearTimeout(kill); reject(new Error(`peapod server not ready after ${timeoutMs} ms:\n${log}`)); });
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      log += chunk.toString();
      const m = /msg="?peapod server ready"? url=(\S+)/.exec(log);
      if (m) {
        clearTimeout(timer);
        proc.stderr?.off('data', onData);
        proc.stderr?.resume();
        resolve({ proc, url: m[1] });
      }
    };
    proc.stderr?.on('data', onData);
    proc.stdout?.resume();
    proc.once('exit', (code, sig) => { clearTimeout(timer); if (!timedOut) reject(new Error(`peapod server exited (${code ?? sig}) before ready:\n${log}`)); });
  });
}

export async function startServer(opts: StartOptions = {}): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'peapod-e2e-'));
  const timeout = opts.readyTimeoutMs ?? 30_000;
  let { proc, url } = await startProcess(dataDir, 0, opts.args ?? [], timeout, !!opts.agent).catch((err: unknown) => {
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  });
  const port = Number(new URL(url).port);
  const kubeconfig = join(dataDir, 'kubeconfig.yaml');
  const exited = (p: ChildProcess) => new Promise<void>((r) => { if (p.exitCode !== null || p.signalCode !== null) r(); else p.once('exit', () => r()); });

  const server: TestServer = {
    dataDir,
    kubeconfig,
    url,
    get process() { return proc; },
    kubectl(args, o = {}) {
      const bin = kubectlBinary(o.version);
      if (!bin) return Promise.reject(new Error(`kubectl ${o.version ?? ''} is not installed`));
      return new Promise((resolve) => {
        const child = execFile(bin, args, {
          env: { ...process.env, KUBECONFIG: kubeconfig, HOME: dataDir, ...o.env },
          timeout: o.timeoutMs ?? 30_000,
          maxBuffer: 64 << 20,
        }, (err, stdout, stderr) => {
          const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
          resolve({ code, stdout, stderr });
        });
        if (o.input !== undefined) child.stdin?.end(o.input);
        else child.stdin?.end();
      });
    },
    async kill() {
      proc.kill('SIGKILL');
      await exited(proc);
    },
    async restart() {
      ({ proc } = await startProcess(dataDir, port, opts.args ?? [], timeout, !!opts.agent));
    },
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        const t = setTimeout(() => proc.kill('SIGKILL'), 10_000);
        await exited(proc);
        clearTimeout(t);
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return server;
}

/** The admin kubeconfig's credentials, for HTTP clients in tests. */
export function readKubeconfig(path: string): string {
  return readFileSync(path, 'utf8');
}

/** Run kubectl on `server` and fail the test with its stderr unless it exits 0; returns stdout. */
export async function kubectlOk(server: TestServer, args: string[], opts: { version?: string; input?: string; timeoutMs?: number } = {}): Promise<string> {
  const r = await server.kubectl(args, opts);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}):\n${r.stderr}`);
  return r.stdout;
}

/** The cells of `kubectl get` table output (columns are separated by two or more spaces). */
export function tableRows(out: string): string[][] {
  return out.trim().split('\n').map((l) => l.trim().split(/\s{2,}/));
}

/** Poll (every 100 ms, bounded) until fn returns a truthy value. */
export async function until<T>(fn: () => Promise<T | undefined | false | null>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
