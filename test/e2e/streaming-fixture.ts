/**
 * Fixture for the streaming end-to-end tests, until the agent's pod workers run pods: a real
 * `peapod server` (--no-agent), real containers made directly with OciRuntime (runc + conmon,
 * busybox rootfs, a bridge network), the agent's streaming endpoint over them, and the Node and Pod
 * objects that point the API server at it. `close()` removes every sandbox, container, cgroup,
 * bridge, nftables table and temp dir, also after a failure.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OciRuntime } from '../../src/runtime/oci/oci-runtime.js';
import { BridgeNetwork } from '../../src/network/cni/bridge-network.js';
import { buildBusyboxRootfs, pollUntil, removeTestDir } from '../../src/runtime/oci/test-fixtures.js';
import { reserveTestSubnet, RUNTIME_TEST_NETS, type TestSubnet } from '../../src/testing/test-subnets.js';
import { hierarchies, removeCgroupTree } from '../../src/runtime/oci/cgroups.js';
import type { ContainerConfig } from '../../src/runtime/runtime.js';
import { issueCert } from '../../src/pki/certs.js';
import { HttpClient } from '../../src/client/http-client.js';
import { Resources } from '../../src/client/resources.js';
import type { KubeObject } from '../../src/api/object.js';
import { startStreamingServer, type StreamingServer } from '../../src/agent/streaming/server.js';
import { kubectlBinary, startServer, type TestServer } from './harness.js';

export interface PodContainer {
  name: string;
  command: string[];
  stdin?: boolean;
  stdinOnce?: boolean;
  tty?: boolean;
  /** Start it (default true). */
  start?: boolean;
}

export interface StreamingFixture {
  server: TestServer;
  client: HttpClient;
  rt: OciRuntime;
  streaming: StreamingServer;
  nodeName: string;
  work: string;
  /** Creates the Pod object (bound to the node, phase Running) and a sandbox with its containers. */
  addPod(name: string, containers: PodContainer[]): Promise<{ sandboxId: string; uid: string; ids: Record<string, string> }>;
  /** Starts one more attempt of a container (restartCount = attempt). */
  runContainer(sandboxId: string, c: PodContainer, attempt?: number): Promise<string>;
  /** Spawns kubectl (version or default) with the admin kubeconfig; killed by close(). */
  spawnKubectl(args: string[], version?: string): ChildProcess;
  /** Spawns any program with the kubectl environment; killed by close(). */
  spawnKubectlRaw(cmd: string, args: string[]): ChildProcess;
  env(): Record<string, string>;
  close(): Promise<void>;
}

export async function startStreamingFixture(): Promise<StreamingFixture> {
  const work = mkdtempSync(join(tmpdir(), 'peapod-stream-e2e-'));
  const cgroupParent = `/peapod-stream-e2e-${process.pid}`;
  const nftTables = () => new Set(execFileSync('nft', ['list', 'tables'], { encoding: 'utf8' }).split('\n').filter(Boolean));
  const tablesBefore = nftTables();
  const children = new Set<ChildProcess>();
  let server: TestServer | undefined;
  let streaming: StreamingServer | undefined;
  let network: BridgeNetwork | undefined;
  let testNet: TestSubnet | undefined;
  let rt: OciRuntime | undefined;
  let client: HttpClient | undefined;

  const close = async () => {
    const errors: unknown[] = [];
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await streaming?.close().catch((e) => errors.push(e));
    client?.close();
    if (rt) {
      for (const s of await rt.listPodSandboxes().catch(() => [])) await rt.removePodSandbox(s.id).catch((e) => errors.push(e));
      for (const c of await rt.listContainers().catch(() => [])) await rt.removeContainer(c.id).catch((e) => errors.push(e));
    }
    await network?.teardown().catch((e) => errors.push(e));
    testNet?.release();
    removeCgroupTree(cgroupParent);
    await server?.stop().catch((e) => errors.push(e));
    removeTestDir(work);
    for (const t of nftTables()) {
      if (!tablesBefore.has(t) && /^table (ip|ip6) (nat|filter)$/.test(t)) execFileSync('nft', ['delete', 'table', ...t.split(' ').slice(1)]);
    }
    const left = hierarchies().filter((h) => existsSync(h + cgroupParent));
    if (left.length) errors.push(new Error(`cgroups left behind: ${left.join(' ')}`));
    if (errors.length) throw new AggregateError(errors, 'streaming fixture cleanup failed');
  };

  try {
    server = await startServer();
    const rootfs = buildBusyboxRootfs(work);
    testNet = reserveTestSubnet(RUNTIME_TEST_NETS);
    const { bridge, subnet } = testNet;
    network = new BridgeNetwork({ dataDir: join(work, 'cni'), bridge, subnet, networkName: `ps-${process.pid}` });
    rt = new OciRuntime({ dataDir: join(work, 'runtime'), network, cgroupParent });
    await rt.start();
    const ca = { certPem: readFileSync(join(server.dataDir, 'pki', 'ca.crt'), 'utf8'), keyPem: readFileSync(join(server.dataDir, 'pki', 'ca.key'), 'utf8') };
    const nodeName = `stream-node-${process.pid}`;
    const serving = await issueCert(ca, { commonName: `system:node:${nodeName}`, organizations: ['system:nodes'], ips: ['127.0.0.1'], dnsNames: [nodeName], usage: 'server', days: 1 });
    streaming = await startStreamingServer({ runtime: rt, nodeName, tls: { cert: serving.certPem, key: serving.keyPem, ca: ca.certPem }, port: 0, bind: '127.0.0.1' });
    client = HttpClient.fromKubeconfig(server.kubeconfig);
    await client.create(Resources.nodes, undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name: nodeName } });
    const nodeStatus = {
      addresses: [{ type: 'InternalIP', address: '127.0.0.1' }, { type: 'Hostname', address: nodeName }],
      daemonEndpoints: { kubeletEndpoint: { Port: streaming.port } },
      conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'test', lastHeartbeatTime: new Date().toISOString(), lastTransitionTime: new Date().toISOString() }],
    };
    // Controllers (node lifecycle) may write the Node meanwhile: retry on conflicts.
    await pollUntil(async () => {
      const node = await client!.get(Resources.nodes, undefined, nodeName);
      node.status = { ...(node.status ?? {}), ...nodeStatus };
      try { await client!.update(Resources.nodes, undefined, node, { subresource: 'status' }); return true; } catch (e) { if ((e as { code?: number }).code === 409) return false; throw e; }
    }, 'the node status to be written', 10_000, 20);

    const logDir = join(work, 'logs');
    const runtime = rt;
    const cl = client;
    const srv = server;
    const runContainer = async (sandboxId: string, c: PodContainer, attempt = 0): Promise<string> => {
      const sb = await runtime.podSandboxStatus(sandboxId);
      const cfg: ContainerConfig = {
        name: c.name, lowerDirs: [rootfs], command: c.command, stdin: c.stdin, stdinOnce: c.stdinOnce, tty: c.tty, attempt,
        logPath: join(logDir, `${sb.config.namespace}_${sb.config.name}_${sb.config.uid}`, c.name, `${attempt}.log`),
      };
      const id = await runtime.createContainer(sandboxId, cfg);
      if (c.start !== false) await runtime.startContainer(id);
      return id;
    };
    const fixture: StreamingFixture = {
      server: srv, client: cl, rt: runtime, streaming, nodeName, work,
      async addPod(name, containers) {
        const pod = await cl.create(Resources.pods, 'default', {
          apiVersion: 'v1', kind: 'Pod', metadata: { name },
          spec: { nodeName, containers: containers.map((c) => ({ name: c.name, image: 'busybox:1.36', stdin: c.stdin, stdinOnce: c.stdinOnce, tty: c.tty })) },
        } as KubeObject);
        const uid = pod.metadata.uid!;
        const sandboxId = await runtime.runPodSandbox({ name, namespace: 'default', uid, hostname: name });
        const ids: Record<string, string> = {};
        for (const c of containers) ids[c.name] = await runContainer(sandboxId, c);
        const now = new Date().toISOString();
        pod.status = {
          ...(pod.status ?? {}),
          phase: 'Running',
          podIP: (await runtime.podSandboxStatus(sandboxId)).ip,
          conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now }],
          containerStatuses: containers.map((c) => ({ name: c.name, image: 'busybox:1.36', imageID: '', ready: true, restartCount: 0, started: true, state: { running: { startedAt: now } } })),
        };
        const podStatus = pod.status as Record<string, unknown>;
        await pollUntil(async () => {
          const cur = await cl.get(Resources.pods, 'default', name);
          cur.status = { ...(cur.status ?? {}), ...podStatus };
          try { await cl.update(Resources.pods, 'default', cur, { subresource: 'status' }); return true; } catch (e) { if ((e as { code?: number }).code === 409) return false; throw e; }
        }, 'the pod status to be written', 10_000, 20);
        return { sandboxId, uid, ids };
      },
      runContainer,
      env: () => ({ ...process.env as Record<string, string>, KUBECONFIG: srv.kubeconfig, HOME: srv.dataDir }),
      spawnKubectl(args, version) {
        const bin = kubectlBinary(version);
        if (!bin) throw new Error(`kubectl ${version ?? ''} is not installed`);
        return fixture.spawnKubectlRaw(bin, args);
      },
      spawnKubectlRaw(cmd, args) {
        const child = spawn(cmd, args, { env: fixture.env(), stdio: ['pipe', 'pipe', 'pipe'] });
        children.add(child);
        child.on('exit', () => children.delete(child));
        return child;
      },
      close,
    };
    return fixture;
  } catch (e) {
    await close().catch(() => undefined);
    throw e;
  }
}

/** Collects a child's output and waits for text in it (bounded). */
export function watchOutput(child: ChildProcess): { stdout: () => string; stderr: () => string; waitFor(text: string | RegExp, ms?: number): Promise<void>; exited: Promise<number> } {
  let out = '';
  let err = '';
  const waiters = new Set<() => void>();
  const kick = () => { for (const w of [...waiters]) w(); };
  child.stdout?.on('data', (b: Buffer) => { out += b.toString(); kick(); });
  child.stderr?.on('data', (b: Buffer) => { err += b.toString(); kick(); });
  const exited = new Promise<number>((resolve) => child.on('close', (code, sig) => { kick(); resolve(code ?? (sig ? 128 : 1)); }));
  return {
    stdout: () => out,
    stderr: () => err,
    waitFor(text, ms = 20_000) {
      return new Promise<void>((resolve, reject) => {
        const has = () => (typeof text === 'string' ? out.includes(text) : text.test(out));
        const check = () => {
          if (has()) { done(); resolve(); return; }
          if (child.exitCode !== null || child.signalCode !== null) { done(); reject(new Error(`process exited before printing ${String(text)}; stdout=${JSON.stringify(out)} stderr=${JSON.stringify(err)}`)); }
        };
        const timer = setTimeout(() => { done(); reject(new Error(`timed out after ${ms} ms waiting for ${String(text)}; stdout=${JSON.stringify(out)} stderr=${JSON.stringify(err)}`)); }, ms);
        const done = () => { clearTimeout(timer); waiters.delete(check); };
        waiters.add(check);
        check();
      });
    },
    exited,
  };
}

export { pollUntil };
