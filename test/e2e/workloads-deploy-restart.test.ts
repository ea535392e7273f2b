/**
 * Controllers across a server crash: a `peapod server` killed with SIGKILL in the middle of a
 * rolling update restarts on the same data, and the Deployment and ReplicaSet controllers finish
 * the rollout from what is stored (no duplicate ReplicaSets, exactly `replicas` pods of the new
 * template). `peapod sim-agent` plays two nodes and reconnects by itself.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { cliMain, startServer, type TestServer } from './harness.js';

let server: TestServer;
let agent: ChildProcess | undefined;

async function startAgent(): Promise<ChildProcess> {
  const proc = spawn(process.execPath, [cliMain, 'sim-agent', '--server', server.url, '--token-file', join(server.dataDir, 'node-token'), '--nodes', '2'], { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => reject(new Error(`sim-agent not running after 30 s:\n${log}`)), 30_000);
    proc.stderr!.on('data', (c: Buffer) => { log += c.toString(); if (log.includes('sim-agent running')) { clearTimeout(timer); resolve(); } });
    proc.stdout!.resume();
    proc.once('exit', (code) => { clearTimeout(timer); reject(new Error(`sim-agent exited (${code}):\n${log}`)); });
  });
  return proc;
}

async function stopAgent(): Promise<void> {
  if (agent && agent.exitCode === null && agent.signalCode === null) {
    const a = agent;
    await new Promise<void>((r) => { a.once('exit', () => r()); a.kill('SIGTERM'); setTimeout(() => a.kill('SIGKILL'), 5000).unref(); });
  }
}

before(async () => {
  server = await startServer();
  agent = await startAgent();
});
after(async () => {
  await stopAgent();
  await server?.stop();
});

async function k(args: string[], timeoutMs?: number): Promise<string> {
  const r = await server.kubectl(args, { timeoutMs });
  assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

test('SIGKILL mid-rollout: after the restart the rollout completes without duplicates', async () => {
  await k(['create', 'deployment', 'web', '--image=busybox:1.36', '--replicas=6']);
  await k(['rollout', 'status', 'deployment/web', '--timeout=90s'], 100_000);
  await k(['set', 'image', 'deployment/web', 'busybox=busybox:1.37']);
  // wait until the rollout is under way (a second ReplicaSet exists), then crash the server
  const deadline = Date.now() + 30_000;
  while ((await k(['get', 'rs', '-o', 'name'])).trim().split('\n').length < 2) {
    if (Date.now() > deadline) throw new Error('rollout did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  await server.kill();
  await server.restart();
  // the nodes' agent is restarted as well (today's sim-agent does not reconnect to a restarted server)
  await stopAgent();
  agent = await startAgent();
  const st = await server.kubectl(['rollout', 'status', 'deployment/web', '--timeout=120s'], { timeoutMs: 130_000 });
  if (st.code !== 0) {
    const state = await server.kubectl(['get', 'nodes,deploy,rs,pods', '-o', 'wide']);
    const d = await server.kubectl(['get', 'deploy', 'web', '-o', 'jsonpath={.status}']);
    assert.fail(`rollout did not finish after the restart:\n${st.stdout}${st.stderr}\n${state.stdout}\n${d.stdout}`);
  }
  assert.match(st.stdout, /deployment "web" successfully rolled out/);
  const rs = (await k(['get', 'rs', '-o', 'jsonpath={range .items[*]}{.spec.template.spec.containers[0].image}={.spec.replicas}{"\\n"}{end}'])).trim().split('\n').sort();
  assert.deepEqual(rs, ['busybox:1.36=0', 'busybox:1.37=6']);
  // exactly six pods remain once the old ones have gone, all of the new template
  const end = Date.now() + 60_000;
  for (;;) {
    const images = (await k(['get', 'pods', '-o', 'jsonpath={range .items[*]}{.spec.containers[0].image}{"\\n"}{end}'])).trim().split('\n').filter(Boolean);
    if (images.length === 6 && images.every((i) => i === 'busybox:1.37')) break;
    if (Date.now() > end) throw new Error(`pods: ${images.join(', ')}`);
    await new Promise((r) => setTimeout(r, 200));
  }
});
