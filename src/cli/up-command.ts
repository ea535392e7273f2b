/**
 * `peapod up`: a working single-node cluster running the seed examples, from nothing.
 *   1. installs missing Debian packages (runc, conmon, CNI plugins, …)
 *   2. starts `peapod server` in the background (logs in DIR/server.log), unless already running
 *   3. waits until the API is ready, then creates the seed examples from examples/
 * `peapod down` stops the background server.
 */
import { spawn, spawnSync } from 'node:child_process';
import { openSync, readFileSync, readdirSync, writeFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultDataDir, repoRoot } from './paths.js';

function step(msg: string): void { process.stderr.write(`• ${msg}\n`); }

function pidAlive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

function readyz(dataDir: string, port: number): Promise<boolean> {
  const caPath = join(dataDir, 'pki', 'ca.crt');
  if (!existsSync(caPath)) return Promise.resolve(false);
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/readyz', ca: readFileSync(caPath), servername: 'localhost', timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => { req.destroy(); resolve(false); });
    req.end();
  });
}

function kubectl(dataDir: string, args: string[]): { code: number; out: string } {
  const r = spawnSync('kubectl', args, { env: { ...process.env, KUBECONFIG: join(dataDir, 'kubeconfig.yaml') }, encoding: 'utf8' });
  return { code: r.status ?? 1, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

function options(args: string[]) {
  const { values } = parseArgs({ args, options: { 'data-dir': { type: 'string' }, port: { type: 'string' }, 'no-examples': { type: 'boolean' }, 'keep-pods': { type: 'boolean' } }, strict: true });
  return { dataDir: values['data-dir'] ?? defaultDataDir(), port: Number(values.port ?? 6443), examples: !values['no-examples'], keepPods: !!values['keep-pods'] };
}

export async function run(args: string[]): Promise<number> {
  const { dataDir, port, examples } = options(args);
  const root = repoRoot();
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });

  step('checking system packages');
  const deps = spawnSync('bash', [join(root, 'scripts', 'install-system-deps.sh')], { stdio: 'inherit' });
  if (deps.status !== 0) return deps.status ?? 1;

  const pidFile = join(dataDir, 'server.pid');
  const running = existsSync(pidFile) && pidAlive(Number(readFileSync(pidFile, 'utf8'))) && (await readyz(dataDir, port));
  if (running) {
    step(`peapod server already running (pid ${readFileSync(pidFile, 'utf8').trim()})`);
  } else {
    step(`starting peapod server on https://127.0.0.1:${port} (log: ${join(dataDir, 'server.log')})`);
    const log = openSync(join(dataDir, 'server.log'), 'a');
    const child = spawn(process.execPath, ['--enable-source-maps', join(root, 'dist', 'src', 'cli', 'main.js'), 'server', '--data-dir', dataDir, '--port', String(port)], {
      detached: true,
      stdio: ['ignore', log, log],
    });
    child.unref();
    writeFileSync(pidFile, String(child.pid));
    const deadline = Date.now() + 120_000;
    let ok = false;
    while (Date.now() < deadline) {
      if (child.exitCode !== null || !pidAlive(child.pid!)) break;
      if (await readyz(dataDir, port)) { ok = true; break; }
      await new Promise((r) => setTimeout(r, 200));
    }
    if (!ok) {
      process.stderr.write(`peapod: the server did not become ready; see ${join(dataDir, 'server.log')}\n`);
      return 1;
    }
  }

  if (examples) {
    step('creating the seed examples (examples/)');
    const job = kubectl(dataDir, ['apply', '-f', join(root, 'examples', 'hello-job.yaml')]);
    process.stderr.write(job.out);
    const existing = kubectl(dataDir, ['get', 'pods', '-l', 'docker-registry=default', '-o', 'name']);
    if (existing.code === 0 && !existing.out.trim()) {
      const reg = kubectl(dataDir, ['create', '-f', join(root, 'examples', 'registry-pod.yaml')]);
      process.stderr.write(reg.out);
    }
    // its docker-registry Service: pods push and pull through docker-registry:5000, the node through the ClusterIP
    const svc = kubectl(dataDir, ['apply', '-f', join(root, 'examples', 'registry-service.yaml')]);
    process.stderr.write(svc.out);
  }
  process.stdout.write(`\npeapod is up.\n  kubeconfig: ${join(dataDir, 'kubeconfig.yaml')}\n  try:       ./peapod kubectl get pods -A\n  stop:      ./peapod down\n`);
  return 0;
}

/**
 * Stops the background server; then (unless --keep-pods) the node's pods too: containers keep
 * running without the agent by design (conmon), so `down` removes every sandbox and container of
 * the embedded node and its bridge network. The pods stay in the API: the next `up` runs them again.
 */
export async function down(args: string[]): Promise<number> {
  const { dataDir, keepPods } = options(args);
  const pidFile = join(dataDir, 'server.pid');
  if (existsSync(pidFile)) {
    const pid = Number(readFileSync(pidFile, 'utf8'));
    if (pidAlive(pid)) {
      process.kill(pid, 'SIGTERM');
      const deadline = Date.now() + 30_000;
      while (pidAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      if (pidAlive(pid)) process.kill(pid, 'SIGKILL');
    }
    rmSync(pidFile, { force: true });
    step(`stopped peapod server (pid ${pid})`);
  } else {
    step('no background server');
  }
  if (keepPods) return 0;
  const { createNodeRuntime } = await import('../agent/node-runtime.js');
  const node = createNodeRuntime({ dataDir });
  const sandboxes = await node.runtime.listPodSandboxes();
  for (const sb of sandboxes) await node.runtime.removePodSandbox(sb.id);
  // the pods' volumes (tmpfs mounts for secrets and tokens) go with them
  const { AgentPaths } = await import('../agent/paths.js');
  const { removePodFiles } = await import('../agent/pod/hooks/volumes-hook.js');
  const podsDir = new AgentPaths(dataDir).podsDir;
  if (existsSync(podsDir)) for (const uid of readdirSync(podsDir)) await removePodFiles(join(podsDir, uid));
  await node.network.teardown();
  step(`removed ${sandboxes.length} pod sandbox(es) and the pod network`);
  return 0;
}
