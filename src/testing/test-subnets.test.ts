/**
 * Test-subnet reservations across processes: concurrent reservers (child processes started at one
 * signal) never get the same subnet, also while reclaiming the same stale locks, a dead or reused PID's lock is reclaimed, a live one is not,
 * and locks go away on release and at process exit. Locks live in a temp folder of this test.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reserveTestSubnet, type SubnetFamily } from './test-subnets.js';

const moduleUrl = new URL('./test-subnets.js', import.meta.url).href;
const dirs: string[] = [];
const children: ChildProcess[] = [];
after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function lockDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'peapod-subnet-locks-'));
  dirs.push(d);
  return d;
}
const free = () => false;

/** A child that, on "go", reserves `count` subnets, prints their numbers and holds them until stdin closes. */
function reserver(dir: string, family: SubnetFamily, count: number): { proc: ChildProcess; result: Promise<number[]> } {
  const script = `
    import { reserveTestSubnet } from ${JSON.stringify(moduleUrl)};
    process.stdin.once('data', () => {
      const got = [];
      for (let i = 0; i < ${count}; i++) got.push(reserveTestSubnet(${JSON.stringify(family)}, { dir: ${JSON.stringify(dir)}, inUseOnHost: () => false }).n);
      process.stdout.write(JSON.stringify(got) + '\\n');
      process.stdin.resume();
    });`;
  const proc = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(proc);
  const result = new Promise<number[]>((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (c: Buffer) => { out += c.toString(); if (out.includes('\n')) resolve(JSON.parse(out) as number[]); });
    proc.once('exit', (code) => reject(new Error(`reserver exited (${code}) before answering: ${out}`)));
  });
  return { proc, result };
}

function exited(p: ChildProcess): Promise<void> {
  return p.exitCode !== null || p.signalCode !== null ? Promise.resolve() : new Promise((r) => p.once('exit', () => r()));
}

test('concurrent reservers in separate processes never get the same subnet; their locks go when they exit', async () => {
  const dir = lockDir();
  const family: SubnetFamily = { octets: '10.251', bridgePrefix: 'ppunit', count: 48 };
  const rs = Array.from({ length: 4 }, () => reserver(dir, family, 12)); // 4 × 12 = every subnet of the family
  await Promise.all(rs.map((r) => new Promise<void>((res) => r.proc.once('spawn', () => res()))));
  for (const r of rs) r.proc.stdin!.write('go\n');
  const got = (await Promise.all(rs.map((r) => r.result))).flat();
  assert.equal(got.length, 48);
  assert.equal(new Set(got).size, 48, `a subnet was handed out twice: ${got.sort((a, b) => a - b).join(',')}`);
  assert.throws(() => reserveTestSubnet(family, { dir, inUseOnHost: free }), /no free 10\.251\.N\.0\/24 test subnet/);

  for (const r of rs) r.proc.stdin!.end();
  await Promise.all(rs.map((r) => exited(r.proc)));
  assert.deepEqual(readdirSync(dir), [], 'locks are removed at process exit');
});

test('concurrent reservers reclaiming the same stale locks still never share a subnet', async () => {
  const dir = lockDir();
  const family: SubnetFamily = { octets: '10.254', bridgePrefix: 'ppunit', count: 40 };
  const dead = spawnSync(process.execPath, ['-e', '']);
  for (let n = 1; n <= 40; n++) writeFileSync(join(dir, `10.254.${n}`), `${dead.pid} 12345 stale${n}\n`);
  const rs = Array.from({ length: 4 }, () => reserver(dir, family, 10));
  await Promise.all(rs.map((r) => new Promise<void>((res) => r.proc.once('spawn', () => res()))));
  for (const r of rs) r.proc.stdin!.write('go\n');
  const got = (await Promise.all(rs.map((r) => r.result))).flat();
  assert.equal(new Set(got).size, 40, `a subnet was handed out twice: ${got.sort((a, b) => a - b).join(',')}`);
  for (const r of rs) r.proc.stdin!.end();
  await Promise.all(rs.map((r) => exited(r.proc)));
  assert.deepEqual(readdirSync(dir), []);
});

test('a lock of a dead process, or of a reused PID, is reclaimed; a live one is not', async () => {
  const dir = lockDir();
  const family: SubnetFamily = { octets: '10.252', bridgePrefix: 'ppunit', count: 1 };
  const lock = join(dir, '10.252.1');

  const dead = spawnSync(process.execPath, ['-e', '']);
  assert.equal(dead.status, 0);
  writeFileSync(lock, `${dead.pid} 12345 deadbeef\n`);
  const a = reserveTestSubnet(family, { dir, inUseOnHost: free });
  assert.equal(a.subnet, '10.252.1.0/24');
  assert.match(readFileSync(lock, 'utf8'), new RegExp(`^${process.pid} \\d+ [0-9a-f]+\\n$`));
  a.release();
  assert.deepEqual(readdirSync(dir), []);

  // this PID, but another start time: the process that wrote the lock is gone and its PID was reused
  writeFileSync(lock, `${process.pid} 1 deadbeef\n`);
  const b = reserveTestSubnet(family, { dir, inUseOnHost: free });
  assert.equal(b.n, 1);
  b.release();

  // held by a live process: not taken
  const holder = reserver(dir, family, 1);
  await new Promise<void>((res) => holder.proc.once('spawn', () => res()));
  holder.proc.stdin!.write('go\n');
  assert.deepEqual(await holder.result, [1]);
  assert.throws(() => reserveTestSubnet(family, { dir, inUseOnHost: free }), /no free/);
  holder.proc.stdin!.end();
  await exited(holder.proc);
  assert.equal(reserveTestSubnet(family, { dir, inUseOnHost: free }).n, 1, 'free again once its holder exited');
});

test('subnets in use on the host are skipped without keeping their lock; release is idempotent', () => {
  const dir = lockDir();
  const family: SubnetFamily = { octets: '10.253', bridgePrefix: 'ppunit', count: 3 };
  const seen: string[] = [];
  const s = reserveTestSubnet(family, { dir, inUseOnHost: (prefix, bridge) => { seen.push(bridge); return prefix !== '10.253.2.'; } });
  assert.deepEqual({ n: s.n, bridge: s.bridge, subnet: s.subnet, prefix: s.prefix, gateway: s.gateway }, { n: 2, bridge: 'ppunit2', subnet: '10.253.2.0/24', prefix: '10.253.2.', gateway: '10.253.2.1' });
  assert.deepEqual(readdirSync(dir), ['10.253.2']);
  s.release();
  s.release();
  assert.deepEqual(readdirSync(dir), []);
  assert.ok(seen.length >= 1);
});
