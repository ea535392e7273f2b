/**
 * `peapod agent` that cannot start exits with status 1 and one line saying why, after releasing
 * what it started (the node's service proxy table, DNS, routes, client), instead of hanging until
 * signalled: here its --kubelet-port is taken, which fails after the node's services are up. The
 * bridge stays, as at a normal agent stop: running pods of an agent that restarts keep their network
 * (`peapod down` removes it).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { createServer, type Server, type AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliMain, startServer } from './harness.js';
import { reserveTestSubnet, AGENT_TEST_NETS } from '../../src/testing/test-subnets.js';
import { removeNode } from './agent-helpers.js';

const isRoot = process.getuid?.() === 0;
const EXIT_WITHIN_MS = 60_000;

function listen(): Promise<Server> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => resolve(s));
  });
}

test('--kubelet-port in use: the agent releases its bridge and tables and exits 1 with one line', { skip: !isRoot }, async (t) => {
  const server = await startServer({ agent: false });
  const net = reserveTestSubnet(AGENT_TEST_NETS);
  const agentDir = mkdtempSync(join(tmpdir(), 'peapod-agent-start-fail-'));
  const holder = await listen();
  after(async () => {
    await new Promise<void>((r) => holder.close(() => r()));
    await removeNode(agentDir, net.bridge, net.subnet);
    rmSync(agentDir, { recursive: true, force: true });
    net.release();
    await server.stop();
  });
  const port = (holder.address() as AddressInfo).port;
  const started = Date.now();
  const p = spawn(process.execPath, [cliMain, 'agent', '--server', server.url, '--token-file', join(server.dataDir, 'node-token'),
    '--node-name', `agent-start-fail-${process.pid}`, '--data-dir', agentDir, '--pod-cidr', net.subnet, '--bridge', net.bridge, '--kubelet-port', String(port)],
  { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  p.stderr!.on('data', (c: Buffer) => { stderr += c.toString(); });
  const code = await new Promise<number | null>((resolve, reject) => {
    const timer = setTimeout(() => { p.kill('SIGKILL'); reject(new Error(`peapod agent still running after ${EXIT_WITHIN_MS} ms:\n${stderr}`)); }, EXIT_WITHIN_MS);
    p.once('close', (c) => { clearTimeout(timer); resolve(c); });
  });
  assert.equal(code, 1, stderr);
  const lines = stderr.split('\n').filter((l) => l.startsWith('peapod agent: cannot start: '));
  assert.equal(lines.length, 1, stderr);
  assert.match(lines[0]!, new RegExp(`EADDRINUSE.*:${port}`));
  assert.doesNotMatch(stderr, /peapod agent ready/);
  const tables = execFileSync('nft', ['list', 'tables'], { encoding: 'utf8' });
  assert.ok(!tables.includes(net.bridge), `the node's nftables tables are removed:\n${tables}`);
  t.diagnostic(`exited after ${Date.now() - started} ms`);
});
