/**
 * `peapod agent` on its own: joins a `peapod server --no-agent` with the node join token, runs pods,
 * is killed with SIGKILL and started again: running containers are re-adopted (same container,
 * no restart), a pod deleted while it was down is cleaned up on the host.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { ensureExampleImages } from '../../src/images/index.js';
import { skopeoDockerArchive } from '../../src/images/testing/test-registry.js';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { HttpClient } from '../../src/client/http-client.js';
import { Resources } from '../../src/client/resources.js';
import { OciRuntime } from '../../src/runtime/oci/oci-runtime.js';
import { AgentPaths } from '../../src/agent/paths.js';
import { cliMain, startServer, type TestServer } from './harness.js';
import { freeAgentNet, removeNode, waitFor } from './agent-helpers.js';

const isRoot = process.getuid?.() === 0;

function startAgent(args: string[]): Promise<{ proc: ChildProcess; log: () => string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [cliMain, 'agent', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    const timer = setTimeout(() => { proc.kill('SIGKILL'); reject(new Error(`agent not ready:\n${log}`)); }, 120_000);
    proc.stderr!.on('data', (c: Buffer) => {
      log += c.toString();
      if (log.includes('peapod agent ready')) { clearTimeout(timer); resolve({ proc, log: () => log }); }
    });
    proc.once('exit', (code) => { clearTimeout(timer); reject(new Error(`agent exited (${code}) before ready:\n${log}`)); });
  });
}

const exited = (p: ChildProcess) => new Promise<void>((r) => { if (p.exitCode !== null || p.signalCode !== null) r(); else p.once('exit', () => r()); });

let server: TestServer | undefined;
let agent: ChildProcess | undefined;
let agentDir = '';
const net = isRoot ? freeAgentNet() : { bridge: '', subnet: '', release() {} };

after(async () => {
  if (agent && agent.exitCode === null && agent.signalCode === null) { agent.kill('SIGTERM'); await exited(agent); }
  if (agentDir) await removeNode(agentDir, net.bridge, net.subnet);
  net.release();
  await server?.stop();
});

test('a wrong join token is refused before anything runs', { skip: !isRoot }, async () => {
  server = await startServer({ agent: false });
  const bad = join(mkdtempSync(join(tmpdir(), 'peapod-token-')), 'token');
  writeFileSync(bad, `K10${'0'.repeat(64)}::node:abcdef\n`);
  const dir = mkdtempSync(join(tmpdir(), 'peapod-badagent-'));
  const proc = spawn(process.execPath, [cliMain, 'agent', '--server', server.url, '--token-file', bad, '--node-name', 'bad', '--data-dir', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (c: Buffer) => { err += c.toString(); });
  await exited(proc);
  assert.notEqual(proc.exitCode, 0);
  assert.match(err, /node credentials refused \(HTTP 401\)|does not match the join token/);
  await removeNode(dir, 'ppnone0', '10.202.255.0/24');
  rmSync(dirname(bad), { recursive: true, force: true });
});

test('SIGKILL the agent and start it again: containers keep running, nothing restarts, deleted pods are cleaned up (and image tarballs in DIR/agent/images are imported at start)', { skip: !isRoot }, async () => {
  assert.ok(server);
  agentDir = mkdtempSync(join(tmpdir(), 'peapod-agent-'));
  const nodeName = `e2e-standalone-${net.bridge}`;
  // An image only this node has: a docker-archive tarball dropped into DIR/agent/images/ before start.
  const layout = mkdtempSync(join(tmpdir(), 'peapod-layout-'));
  try {
    const [tarball] = (await ensureExampleImages()).filter((f) => f.endsWith('busybox.tar'));
    execFileSync('tar', ['xf', tarball, '-C', layout]);
    mkdirSync(new AgentPaths(agentDir).imagesDir, { recursive: true });
    await skopeoDockerArchive(layout, '1.36', join(new AgentPaths(agentDir).imagesDir, 'tool.tar'), 'example.com/custom/tool:7');
  } finally {
    rmSync(layout, { recursive: true, force: true });
  }
  const args = ['--server', server.url, '--token-file', join(server.dataDir, 'node-token'), '--node-name', nodeName, '--data-dir', agentDir,
    '--pod-cidr', net.subnet, '--bridge', net.bridge, '--example-images'];
  agent = (await startAgent(args)).proc;
  const client = HttpClient.fromKubeconfig(server.kubeconfig);
  after(() => client.close());
  await client.create(Resources.pods, 'default', {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'local-image' },
    spec: { nodeName, restartPolicy: 'Never', containers: [{ name: 'c', image: 'example.com/custom/tool:7', imagePullPolicy: 'Never', command: ['echo', 'from the node image'] }] },
  });
  await waitFor(async () => ((await client.get(Resources.pods, 'default', 'local-image')) as unknown as Pod).status?.phase === 'Succeeded', 'the pod of the imported image to succeed', 60_000);
  await client.delete(Resources.pods, 'default', 'local-image');
  for (const name of ['keep', 'gone']) {
    await client.create(Resources.pods, 'default', {
      apiVersion: 'v1', kind: 'Pod', metadata: { name },
      spec: { nodeName, terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: 'busybox:1.36', command: ['sleep', '3600'], readinessProbe: { exec: { command: ['true'] }, periodSeconds: 1 } }] },
    });
  }
  const running = async (name: string) => {
    const p = (await client.get(Resources.pods, 'default', name)) as unknown as Pod;
    return p.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True' ? p : undefined;
  };
  const keep = await waitFor(() => running('keep'), 'keep Ready', 60_000);
  const gone = await waitFor(() => running('gone'), 'gone Ready', 60_000);
  const keepId = keep.status!.containerStatuses![0].containerID!;

  agent.kill('SIGKILL');
  await exited(agent);
  const rt = new OciRuntime({ dataDir: new AgentPaths(agentDir).runtimeDir });
  const st = await rt.containerStatus(keepId.replace('peapod://', ''));
  assert.equal(st.state, 'running', 'the container outlives its agent');
  await client.delete(Resources.pods, 'default', 'gone', { gracePeriodSeconds: 0 });

  agent = (await startAgent(args)).proc;
  await waitFor(async () => (await rt.listPodSandboxes({ podUid: gone.metadata!.uid! })).length === 0, 'the deleted pod\'s sandbox to be removed', 60_000);
  const paths = new AgentPaths(agentDir);
  await waitFor(() => !existsSync(paths.podDir(gone.metadata!.uid!)) && !existsSync(paths.podLogDir('default', 'gone', gone.metadata!.uid!)), 'its volumes and logs to be removed', 30_000);
  assert.ok(existsSync(paths.podLogDir('default', 'keep', keep.metadata!.uid!)), 'the running pod\'s logs stay');
  const after2 = (await client.get(Resources.pods, 'default', 'keep')) as unknown as Pod;
  const cs = after2.status!.containerStatuses![0];
  assert.equal(cs.containerID, keepId, 'the same container, re-adopted');
  assert.equal(cs.restartCount, 0);
  assert.ok(cs.state!.running);
  assert.equal((await rt.listContainers({ labels: { 'io.kubernetes.pod.uid': keep.metadata!.uid! } })).length, 1, 'no duplicate');
  assert.equal((await rt.containerStatus(keepId.replace('peapod://', ''))).state, 'running');
  await waitFor(() => running('keep'), 'keep still Ready under the new agent', 30_000);
});
