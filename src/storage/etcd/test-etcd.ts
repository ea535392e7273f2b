/**
 * A real etcd member for tests and benchmarks: `/usr/bin/etcd` (or $PEAPOD_ETCD) on free loopback
 * client and peer ports, with its data in a fresh temporary folder (under /dev/shm when it exists,
 * so fsync is cheap). `stop()` ends the process and removes the folder; `restart()` stops the
 * process and starts it again on the same ports and data (as an operator restarting a member);
 * `kill()` ends it with SIGKILL and leaves the data for a later `start()`.
 *
 *   const etcd = await startTestEtcd();
 *   t.after(() => etcd.stop());
 *   new EtcdStore({ endpoints: [etcd.endpoint] });
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const etcdBinary = (): string => process.env.PEAPOD_ETCD ?? '/usr/bin/etcd';

/** A TCP port that was free a moment ago on 127.0.0.1 (the kernel picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error('no port'))));
    });
  });
}

export interface TestEtcd {
  /** http://127.0.0.1:PORT (https with `tls`) */
  readonly endpoint: string;
  readonly clientPort: number;
  readonly peerPort: number;
  readonly dataDir: string;
  readonly pid: number | undefined;
  /** True while the process runs. */
  readonly running: boolean;
  /** Start the process again (after kill()); resolves when it serves clients. */
  start(): Promise<void>;
  /** SIGKILL the process; data stays. */
  kill(): Promise<void>;
  /** SIGTERM + start again on the same ports and data. */
  restart(): Promise<void>;
  /** End the process and remove the data folder. Idempotent. */
  stop(): Promise<void>;
}

export interface TestEtcdOptions {
  /** Member name (default "peapod-test"). */
  name?: string;
  /** How long to wait for "ready to serve client requests" (default 20 s). */
  readyTimeoutMs?: number;
  /** Extra etcd flags. */
  extraArgs?: string[];
  /**
   * Serve clients over TLS with this serving certificate (PEM); with `clientCa`, require client
   * certificates signed by it (--client-cert-auth).
   */
  tls?: { certPem: string; keyPem: string; clientCa?: string };
  /** Member of a cluster (startTestEtcdCluster): fixed ports and the --initial-cluster list. */
  member?: { clientPort: number; peerPort: number; initialCluster: string };
}

export async function startTestEtcd(opts: TestEtcdOptions = {}): Promise<TestEtcd> {
  const base = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
  const dataDir = mkdtempSync(join(base, 'peapod-etcd-'));
  const name = opts.name ?? 'peapod-test';
  let clientPort = 0;
  let peerPort = 0;
  let proc: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let stopped = false;
  const scheme = opts.tls ? 'https' : 'http';
  const tlsArgs: string[] = [];
  if (opts.tls) {
    writeFileSync(join(dataDir, 'server.crt'), opts.tls.certPem);
    writeFileSync(join(dataDir, 'server.key'), opts.tls.keyPem, { mode: 0o600 });
    tlsArgs.push('--cert-file', join(dataDir, 'server.crt'), '--key-file', join(dataDir, 'server.key'));
    if (opts.tls.clientCa) {
      writeFileSync(join(dataDir, 'client-ca.crt'), opts.tls.clientCa);
      tlsArgs.push('--client-cert-auth', '--trusted-ca-file', join(dataDir, 'client-ca.crt'));
    }
  }

  const launch = (): Promise<void> => {
    const client = `${scheme}://127.0.0.1:${clientPort}`;
    const peer = `http://127.0.0.1:${peerPort}`;
    const args = [
      '--name', name, '--data-dir', join(dataDir, 'member-data'),
      '--listen-client-urls', client, '--advertise-client-urls', client,
      '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer,
      '--initial-cluster', opts.member?.initialCluster ?? `${name}=${peer}`, '--initial-cluster-state', 'new',
      '--log-level', 'info', ...tlsArgs, ...(opts.extraArgs ?? []),
    ];
    const child = spawn(etcdBinary(), args, { stdio: ['ignore', 'ignore', 'pipe'] });
    proc = child;
    let log = '';
    exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`etcd did not become ready within ${opts.readyTimeoutMs ?? 20_000} ms:\n${log.slice(-3000)}`));
      }, opts.readyTimeoutMs ?? 20_000);
      child.once('error', (err) => { clearTimeout(timer); reject(err); });
      child.once('exit', (code, sig) => {
        clearTimeout(timer);
        reject(new Error(`etcd exited (${code ?? sig}) before it was ready:\n${log.slice(-3000)}`));
      });
      child.stderr!.setEncoding('utf8');
      child.stderr!.on('data', (chunk: string) => {
        if (log.length < 200_000) log += chunk;
        if (log.includes('ready to serve client requests')) { clearTimeout(timer); resolve(); }
      });
    });
  };

  const killProc = async (signal: NodeJS.Signals): Promise<void> => {
    const p = proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    p.kill(signal);
    await exited;
  };

  // Ports can be taken between the probe and etcd's bind; try a few pairs.
  for (let attempt = 0; ; attempt++) {
    clientPort = opts.member?.clientPort ?? await freePort();
    peerPort = opts.member?.peerPort ?? await freePort();
    if (peerPort === clientPort) continue;
    try {
      await launch();
      break;
    } catch (err) {
      await killProc('SIGKILL');
      rmSync(join(dataDir, 'member-data'), { recursive: true, force: true });
      if (attempt >= 2 || opts.member || !/address already in use/.test(String(err))) {
        rmSync(dataDir, { recursive: true, force: true });
        throw err;
      }
    }
  }

  const etcd: TestEtcd = {
    get endpoint() { return `${scheme}://127.0.0.1:${clientPort}`; },
    get clientPort() { return clientPort; },
    get peerPort() { return peerPort; },
    dataDir,
    get pid() { return proc?.pid; },
    get running() { return !!proc && proc.exitCode === null && proc.signalCode === null; },
    async start() {
      if (stopped) throw new Error('test etcd was stopped');
      if (etcd.running) return;
      await launch();
    },
    async kill() { await killProc('SIGKILL'); },
    async restart() {
      await killProc('SIGTERM');
      await etcd.start();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await killProc('SIGTERM');
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return etcd;
}

export interface TestEtcdCluster {
  members: TestEtcd[];
  /** Client URLs of every member. */
  endpoints: string[];
  stop(): Promise<void>;
}

/** A cluster of `size` members (default 3) on loopback, started together. */
export async function startTestEtcdCluster(size = 3, opts: Omit<TestEtcdOptions, 'member' | 'name' | 'tls'> = {}): Promise<TestEtcdCluster> {
  const ports: number[] = [];
  while (ports.length < size * 2) {
    const p = await freePort();
    if (!ports.includes(p)) ports.push(p);
  }
  const initialCluster = Array.from({ length: size }, (_, i) => `m${i}=http://127.0.0.1:${ports[2 * i + 1]}`).join(',');
  const started = await Promise.allSettled(Array.from({ length: size }, (_, i) => startTestEtcd({
    ...opts, name: `m${i}`, member: { clientPort: ports[2 * i]!, peerPort: ports[2 * i + 1]!, initialCluster },
  })));
  const members = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await Promise.all(members.map((m) => m.stop()));
    throw failed.reason;
  }
  return { members, endpoints: members.map((m) => m.endpoint), stop: async () => { await Promise.all(members.map((m) => m.stop())); } };
}
