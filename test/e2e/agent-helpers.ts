/**
 * Helpers for the agent's end-to-end tests: a `peapod server` with the embedded agent on a bridge
 * and 10.202.N.0/24 subnet of its own, polling with deadlines, CRI log reading, and a teardown that
 * removes every sandbox, container, mount, cgroup, bridge and nftables table the run made.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { HttpClient } from '../../src/client/http-client.js';
import { OciRuntime } from '../../src/runtime/oci/oci-runtime.js';
import { BridgeNetwork } from '../../src/network/cni/bridge-network.js';
import { AgentPaths } from '../../src/agent/paths.js';
import { removeTestDir } from '../../src/runtime/oci/test-fixtures.js';
import { startServer, type TestServer } from './harness.js';
import { reserveTestSubnet, AGENT_TEST_NETS, type TestSubnet } from '../../src/testing/test-subnets.js';

/**
 * A bridge and 10.202.N.0/24 subnet reserved for this process (src/testing/test-subnets.ts): no
 * other test process gets it until `release()` (stop() of startAgentServer calls it) or this
 * process exits.
 */
export function freeAgentNet(): TestSubnet {
  return reserveTestSubnet(AGENT_TEST_NETS);
}

export interface AgentServer {
  server: TestServer;
  client: HttpClient;
  nodeName: string;
  bridge: string;
  subnet: string;
  paths: AgentPaths;
  stop(): Promise<void>;
}

export async function startAgentServer(opts: { nodeName?: string; extraArgs?: string[] } = {}): Promise<AgentServer> {
  const net = freeAgentNet();
  const { bridge, subnet } = net;
  const nodeName = opts.nodeName ?? `e2e-${bridge}`;
  let server: TestServer;
  try {
    server = await startServer({ agent: true, args: ['--node-name', nodeName, '--pod-cidr', subnet, '--bridge', bridge, ...(opts.extraArgs ?? [])], readyTimeoutMs: 120_000 });
  } catch (e) {
    // It never became ready (the harness stopped it and removed its data folder): remove what its
    // node may already have made on the host (bridge, traffic guard, service proxy table).
    await removeNode(join(tmpdir(), `peapod-e2e-unstarted-${process.pid}`), bridge, subnet).catch(() => undefined);
    net.release();
    throw e;
  }
  const client = HttpClient.fromKubeconfig(server.kubeconfig);
  const paths = new AgentPaths(server.dataDir);
  let stopped = false;
  return {
    server, client, nodeName, bridge, subnet, paths,
    async stop() {
      if (stopped) return;
      stopped = true;
      client.close();
      const p = server.process;
      if (p.exitCode === null && p.signalCode === null) {
        p.kill('SIGTERM');
        await new Promise<void>((r) => { const t = setTimeout(() => { p.kill('SIGKILL'); }, 20_000); p.once('exit', () => { clearTimeout(t); r(); }); });
      }
      await removeNode(server.dataDir, bridge, subnet);
      await server.stop();
      net.release();
    },
  };
}

/** Removes everything an agent on `dataDir` left on the host (also after a crash). */
export async function removeNode(dataDir: string, bridge: string, subnet: string): Promise<void> {
  const paths = new AgentPaths(dataDir);
  const network = new BridgeNetwork({ dataDir: paths.cniDir, bridge, subnet, serviceCidr: '10.96.0.0/12' });
  if (existsSync(paths.runtimeDir)) {
    const rt = new OciRuntime({ dataDir: paths.runtimeDir, network });
    for (const sb of await rt.listPodSandboxes()) await rt.removePodSandbox(sb.id);
    for (const c of await rt.listContainers()) await rt.removeContainer(c.id);
  }
  await network.teardown();
  // The node's service proxy table (network/node-services), in case its process died before removing it.
  try { execFileSync('nft', ['delete', 'table', 'ip', `peapod_proxy_${bridge}`], { stdio: 'ignore' }); } catch { /* not there */ }
  removeTestDir(dataDir);
}

/** Polls until `fn` returns a truthy value; fails after `timeoutMs`. */
export async function waitFor<T>(fn: () => Promise<T | undefined | null | false> | T | undefined | null | false, what: string, timeoutMs = 60_000, intervalMs = 200): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as T;
    } catch (e) { last = e; }
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** The text a container wrote (all attempts, CRI log format decoded), read from the node's log files. */
export function containerLog(paths: AgentPaths, namespace: string, pod: string, container: string): string {
  const base = paths.logsDir;
  if (!existsSync(base)) return '';
  const dir = readdirSync(base).find((d) => d.startsWith(`${namespace}_${pod}_`));
  if (!dir || !existsSync(join(base, dir, container))) return '';
  let out = '';
  for (const f of readdirSync(join(base, dir, container)).sort((a, b) => parseInt(a) - parseInt(b))) {
    for (const line of readFileSync(join(base, dir, container, f), 'utf8').split('\n')) {
      const m = /^\S+ (?:stdout|stderr) ([PF]) (.*)$/.exec(line);
      if (m) out += m[2] + (m[1] === 'F' ? '\n' : '');
    }
  }
  return out;
}
