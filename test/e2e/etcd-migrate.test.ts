/**
 * From one server on SQLite to servers on etcd: stop the server, `peapod store migrate`, start it
 * again on the same data folder with --store etcd. Every object is there, in the same
 * resourceVersion order, the old kubeconfig works, and the cluster's PKI is now in etcd, so a
 * second server joins with the token file alone.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliMain, kubectlBinary } from './harness.js';
import { startTestEtcd, type TestEtcd } from '../../src/storage/etcd/test-etcd.js';

const dirs: string[] = [];
const procs: ChildProcess[] = [];
let etcd: TestEtcd | undefined;
after(async () => {
  for (const p of procs) if (p.exitCode === null && p.signalCode === null) { p.kill('SIGKILL'); await new Promise((r) => p.once('exit', r)); }
  await etcd?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'peapod-migrate-e2e-'));
  dirs.push(d);
  return d;
}

/** `peapod server` on a data folder; resolves with its URL once ready. */
function server(dataDir: string, args: string[]): Promise<{ proc: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [cliMain, 'server', '--data-dir', dataDir, '--port', '0', '--no-agent', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    procs.push(proc);
    let log = '';
    const timer = setTimeout(() => { proc.kill('SIGKILL'); reject(new Error(`server not ready:\n${log.slice(-3000)}`)); }, 60_000);
    proc.stderr!.on('data', (c: Buffer) => {
      log += c.toString();
      const m = /msg="?peapod server ready"? url=(\S+)/.exec(log);
      if (m) { clearTimeout(timer); resolve({ proc, url: m[1]! }); }
    });
    proc.once('exit', (code) => { clearTimeout(timer); reject(new Error(`server exited ${code}:\n${log.slice(-3000)}`)); });
  });
}

async function stopProc(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  p.kill('SIGTERM');
  await new Promise((r) => p.once('exit', r));
}

function run(cmd: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env: { ...process.env, ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0, stdout, stderr });
    });
  });
}

test('peapod store migrate: a SQLite server moves to etcd with its objects, order and credentials', { timeout: 240_000 }, async () => {
  const dir = tempDir();
  const kubeconfig = join(dir, 'kubeconfig.yaml');
  const kubectl = (args: string[]) => run(kubectlBinary()!, args, { KUBECONFIG: kubeconfig, HOME: dir });

  const first = await server(dir, []);
  for (const name of ['zeta', 'alpha', 'mid']) assert.equal((await kubectl(['create', 'configmap', name, `--from-literal=k=${name}`])).code, 0);
  assert.equal((await kubectl(['patch', 'configmap', 'zeta', '-p', '{"data":{"k":"zeta2"}}'])).code, 0);
  const rvOrder = async () => {
    const r = await kubectl(['get', 'configmaps', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.metadata.resourceVersion}={.data.k}{"\\n"}{end}']);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout.trim().split('\n').filter((l) => !l.startsWith('kube-root-ca.crt'))
      .map((l) => l.split('=')).sort((a, b) => Number(a[1]) - Number(b[1])).map(([n, , v]) => `${n}=${v}`);
  };
  const before = await rvOrder();
  assert.deepEqual(before, ['alpha=alpha', 'mid=mid', 'zeta=zeta2']);
  await stopProc(first.proc);

  etcd = await startTestEtcd();
  const m = await run(process.execPath, [cliMain, 'store', 'migrate', '--from', `sqlite:${join(dir, 'db', 'state.db')}`, '--to', `etcd:${etcd.endpoint}`]);
  assert.equal(m.code, 0, m.stderr);
  assert.match(m.stdout, /^migrated \d+ keys/);

  const onEtcd = await server(dir, ['--store', 'etcd', '--etcd-endpoints', etcd.endpoint]);
  assert.deepEqual(await rvOrder(), before, 'the same objects, in the same resourceVersion order');
  // the cluster's PKI went into etcd: a second server joins by token, and the old kubeconfig works there
  const second = tempDir();
  const joined = await server(second, ['--store', 'etcd', '--etcd-endpoints', etcd.endpoint, '--token-file', join(dir, 'node-token')]);
  const r = await kubectl(['--server', joined.url, 'get', 'configmap', 'zeta', '-o', 'jsonpath={.data.k}']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'zeta2');
  await stopProc(joined.proc);
  await stopProc(onEtcd.proc);
});
