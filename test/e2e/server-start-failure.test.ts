/**
 * `peapod server` that cannot start exits with status 1 and one line saying why, within a bounded
 * time, instead of hanging until signalled: its --port already in use (before anything listens),
 * and (as root) an embedded agent that fails after the API, controllers and scheduler are running.
 * SIGTERM during start-up stops start-up the same way.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createServer, type Server, type AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliMain } from './harness.js';
import { reserveTestSubnet, AGENT_TEST_NETS } from '../../src/testing/test-subnets.js';
import { removeNode } from './agent-helpers.js';

const isRoot = process.getuid?.() === 0;
const EXIT_WITHIN_MS = 30_000;
const procs: ChildProcess[] = [];
const dirs: string[] = [];
after(() => {
  for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/**
 * Runs `peapod server ARGS` on `dataDir` until it exits (SIGKILL and fail after EXIT_WITHIN_MS);
 * `onStderr` sees the log as it grows.
 */
function runServer(args: string[], dataDir = tempDir(), onStderr?: (text: string, p: ChildProcess) => void): Promise<{ code: number | null; stderr: string; ms: number }> {
  const started = Date.now();
  const p = spawn(process.execPath, [cliMain, 'server', '--data-dir', dataDir, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, PEAPOD_LOG: 'info' } });
  procs.push(p);
  let stderr = '';
  p.stderr!.on('data', (c: Buffer) => { stderr += c.toString(); onStderr?.(stderr, p); });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { p.kill('SIGKILL'); reject(new Error(`peapod server ${args.join(' ')} still running after ${EXIT_WITHIN_MS} ms:\n${stderr}`)); }, EXIT_WITHIN_MS);
    p.once('close', (code) => { clearTimeout(timer); resolve({ code, stderr, ms: Date.now() - started }); }); // exited, stderr read to the end
  });
}

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'peapod-start-fail-'));
  dirs.push(d);
  return d;
}

function listen(): Promise<Server> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => resolve(s));
  });
}

/** The one line saying why (log lines at level error may come before it). */
function reasonLine(stderr: string): string {
  const lines = stderr.split('\n').filter((l) => l.startsWith('peapod server: cannot start: '));
  assert.equal(lines.length, 1, `one "cannot start" line expected in:\n${stderr}`);
  return lines[0];
}

test('--port already in use: exit status 1 at once, one line naming the port, no stack trace', async (t) => {
  const holder = await listen();
  after(() => new Promise<void>((r) => holder.close(() => r())));
  const port = (holder.address() as AddressInfo).port;
  const r = await runServer(['--no-agent', '--port', String(port)]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(reasonLine(r.stderr), new RegExp(`EADDRINUSE.*127\\.0\\.0\\.1:${port}$`));
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace without -v');
  t.diagnostic(`exited after ${r.ms} ms`);
});

test('the embedded agent fails after the API and controllers run: what was started is released and it exits 1', { skip: !isRoot }, async (t) => {
  const net = reserveTestSubnet(AGENT_TEST_NETS);
  after(() => net.release());
  const bridge = `${net.bridge}-name-too-long-for-a-link`; // `ip link add` refuses it once the API is up
  const r = await runServer(['--port', '0', '--node-name', `start-fail-${process.pid}`, '--pod-cidr', net.subnet, '--bridge', bridge]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(reasonLine(r.stderr), new RegExp(`ip link add ${bridge}`));
  const tables = execFileSync('nft', ['list', 'tables'], { encoding: 'utf8' });
  assert.ok(!tables.includes(bridge) && !tables.includes(net.bridge), `nftables tables left behind:\n${tables}`);
  assert.ok(!execFileSync('ip', ['-o', 'link'], { encoding: 'utf8' }).includes(` ${net.bridge}`), 'no bridge left behind');
  t.diagnostic(`exited after ${r.ms} ms`);
});

test('SIGTERM during start-up (API up, embedded agent starting): start-up stops, what it made is released, exit 1', { skip: !isRoot }, async (t) => {
  const net = reserveTestSubnet(AGENT_TEST_NETS);
  const dataDir = tempDir();
  after(async () => { await removeNode(dataDir, net.bridge, net.subnet); net.release(); });
  let signalled = false;
  const r = await runServer(['--port', '0', '--node-name', `start-sigterm-${process.pid}`, '--pod-cidr', net.subnet, '--bridge', net.bridge], dataDir, (log, p) => {
    if (!signalled && log.includes('API server listening')) { signalled = true; p.kill('SIGTERM'); }
  });
  assert.ok(signalled, r.stderr);
  assert.equal(r.code, 1, r.stderr);
  assert.equal(reasonLine(r.stderr), 'peapod server: cannot start: stopped by SIGTERM during start-up');
  assert.doesNotMatch(r.stderr, /peapod server ready/);
  const tables = execFileSync('nft', ['list', 'tables'], { encoding: 'utf8' });
  assert.ok(!tables.includes(`peapod_proxy_${net.bridge}`), `the node's service proxy table is removed:\n${tables}`);
  t.diagnostic(`exited after ${r.ms} ms`);
});
