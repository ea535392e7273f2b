/**
 * A cluster over three "hosts": network namespaces made by this test, joined by veth links to a
 * bridge in a fourth namespace (the "LAN", 10.207.0.0/24); nothing touches the real host network.
 * Host A runs etcd and `peapod server --store etcd --bind 10.207.0.1 --cluster-cidr …` with its
 * embedded node (its own --pod-cidr inside the cluster CIDR); hosts B and C run `peapod agent`
 * without --pod-cidr: the server's node IPAM controller gives each Node a /24 of the cluster CIDR,
 * each agent builds its pod bridge on it, and every node routes the other nodes' pod subnets via
 * their InternalIPs. A pod on B reaches an httpd pod on C by pod IP and through a Service whose
 * only endpoint is on C, a pod on A reaches it by pod IP, and a pod on B sending to an address
 * outside the pod/cluster/service ranges (host A's API port) is reset by B's traffic guard. A Service
 * with internalTrafficPolicy Local answers a pod on C and is dropped for a pod on B. Processes run in a host with `nsenter --net` (only the
 * network namespace changes: cgroups and /run stay the host's, each agent has its own data dir and
 * runc state). Everything made is removed at the end, also on failure.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, existsSync, readdirSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureExampleImages } from '../../src/images/index.js';
import { OciRuntime } from '../../src/runtime/oci/oci-runtime.js';
import { BridgeNetwork } from '../../src/network/cni/bridge-network.js';
import { AgentPaths } from '../../src/agent/paths.js';
import { cliMain, kubectlBinary } from './harness.js';
import { waitFor } from './agent-helpers.js';
import { removeTestDir } from '../../src/runtime/oci/test-fixtures.js';

const isRoot = process.getuid?.() === 0;
const tag = `pm${process.pid % 100000}`;
const lan = `${tag}lan`;
const hosts = { a: `${tag}a`, b: `${tag}b`, c: `${tag}c` };
const ipOf = { a: '10.207.0.1', b: '10.207.0.2', c: '10.207.0.3' } as const;
const clusterCidr = '10.208.0.0/16';
/** The server's embedded node keeps its --pod-cidr (inside the cluster CIDR: IPAM never hands it out). */
const cidrA = '10.208.200.0/24';
const made: { netns: string[]; procs: ChildProcess[]; dirs: string[]; agentDirs: string[]; podUids: string[] } = { netns: [], procs: [], dirs: [], agentDirs: [], podUids: [] };

const exited = (p: ChildProcess) => new Promise<void>((r) => { if (p.exitCode !== null || p.signalCode !== null) r(); else p.once('exit', () => r()); });
const sh = (cmd: string, args: string[]) => execFileSync(cmd, args, { encoding: 'utf8' });
const inNs = (ns: string, cmd: string, args: string[]) => sh('nsenter', [`--net=/run/netns/${ns}`, cmd, ...args]);

after(async () => {
  // agents first (SIGTERM: they leave containers running, as a kubelet does), then their containers
  for (const p of [...made.procs].reverse()) {
    if (p.exitCode === null && p.signalCode === null) {
      p.kill('SIGTERM');
      const t = setTimeout(() => p.kill('SIGKILL'), 15_000);
      await exited(p);
      clearTimeout(t);
    }
  }
  for (const dir of made.agentDirs) {
    const paths = new AgentPaths(dir);
    if (!existsSync(paths.runtimeDir)) continue;
    // CNI DEL works from here (the pod's netns is named by path); the bridge goes with its host's netns
    const network = new BridgeNetwork({ dataDir: paths.cniDir, subnet: clusterCidr });
    const rt = new OciRuntime({ dataDir: paths.runtimeDir, network });
    for (const c of await rt.listContainers()) await rt.removeContainer(c.id).catch(() => undefined);
    for (const sb of await rt.listPodSandboxes()) await rt.removePodSandbox(sb.id).catch(() => undefined);
  }
  for (const ns of made.netns) { try { sh('ip', ['netns', 'del', ns]); } catch { /* already gone */ } }
  // pod cgroups (the runtime removes them with the pods; this catches a crash in between), depth-first
  const rmTree = (dir: string): void => {
    if (!existsSync(dir)) return;
    for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) rmTree(join(dir, e.name));
    try { rmdirSync(dir); } catch { /* busy: reported by the runtime's own cleanup */ }
  };
  for (const h of existsSync('/sys/fs/cgroup') ? readdirSync('/sys/fs/cgroup') : []) {
    for (const uid of made.podUids) rmTree(join('/sys/fs/cgroup', h, 'peapod', uid));
  }
  // data dirs, with whatever the pods left mounted in them (projected volumes)
  for (const d of made.dirs) removeTestDir(d);
});

function spawnIn(ns: string, cmd: string, args: string[], ready: RegExp, what: string, timeoutMs = 120_000): Promise<{ proc: ChildProcess; log: () => string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn('nsenter', [`--net=/run/netns/${ns}`, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    made.procs.push(proc);
    let log = '';
    const timer = setTimeout(() => reject(new Error(`${what} not ready within ${timeoutMs} ms:\n${log.slice(-4000)}`)), timeoutMs);
    const onData = (c: Buffer) => {
      log += c.toString();
      if (ready.test(log)) { clearTimeout(timer); resolve({ proc, log: () => log }); }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.once('exit', (code) => { clearTimeout(timer); reject(new Error(`${what} exited (${code}) before ready:\n${log.slice(-4000)}`)); });
  });
}

test('three hosts (netns): pods on B and C reach each other by pod IP and through a Service, routed by the node IPAM subnets', { skip: !isRoot || !kubectlBinary() }, async () => {
  await ensureExampleImages();
  // the LAN: a bridge in its own namespace, one veth per host
  sh('ip', ['netns', 'add', lan]); made.netns.push(lan);
  sh('ip', ['-n', lan, 'link', 'add', 'lan0', 'type', 'bridge']);
  sh('ip', ['-n', lan, 'link', 'set', 'lan0', 'up']);
  for (const [k, ns] of Object.entries(hosts) as Array<[keyof typeof hosts, string]>) {
    sh('ip', ['netns', 'add', ns]); made.netns.push(ns);
    sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    sh('ip', ['-n', lan, 'link', 'add', `p${k}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
    sh('ip', ['-n', lan, 'link', 'set', `p${k}`, 'master', 'lan0', 'up']);
    sh('ip', ['-n', ns, 'addr', 'add', `${ipOf[k]}/24`, 'dev', 'eth0']);
    sh('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
  }
  // host A: etcd and the server
  const etcdDir = mkdtempSync(join(tmpdir(), 'peapod-mh-etcd-')); made.dirs.push(etcdDir);
  await spawnIn(hosts.a, '/usr/bin/etcd', ['--name', 'a', '--data-dir', etcdDir, '--listen-client-urls', 'http://127.0.0.1:2379', '--advertise-client-urls', 'http://127.0.0.1:2379',
    '--listen-peer-urls', 'http://127.0.0.1:2380', '--initial-advertise-peer-urls', 'http://127.0.0.1:2380', '--initial-cluster', 'a=http://127.0.0.1:2380'],
  /ready to serve client requests/, 'etcd');
  const serverDir = mkdtempSync(join(tmpdir(), 'peapod-mh-server-')); made.dirs.push(serverDir); made.agentDirs.push(serverDir);
  await spawnIn(hosts.a, process.execPath, [cliMain, 'server', '--data-dir', serverDir, '--store', 'etcd', '--etcd-endpoints', 'http://127.0.0.1:2379',
    '--bind', ipOf.a, '--port', '6443', '--cluster-cidr', clusterCidr, '--node-name', 'host-a', '--node-ip', ipOf.a, '--pod-cidr', cidrA], /peapod server ready/, 'server');
  const kubeconfig = join(serverDir, 'kubeconfig.yaml');
  const kubectl = (args: string[], input?: string) => execFileSync('nsenter', [`--net=/run/netns/${hosts.a}`, kubectlBinary()!, '--kubeconfig', kubeconfig, ...args],
    { encoding: 'utf8', input, env: { ...process.env, HOME: serverDir }, timeout: 30_000 });

  // hosts B and C: agents without --pod-cidr
  const agentLogs: Record<string, () => string> = {};
  for (const k of ['b', 'c'] as const) {
    const dir = mkdtempSync(join(tmpdir(), `peapod-mh-agent-${k}-`)); made.dirs.push(dir); made.agentDirs.push(dir);
    ({ log: agentLogs[k] } = await spawnIn(hosts[k], process.execPath, [cliMain, 'agent', '--server', `https://${ipOf.a}:6443`, '--token-file', join(serverDir, 'node-token'),
      '--node-name', `host-${k}`, '--data-dir', dir, '--node-ip', ipOf[k], '--cluster-cidr', clusterCidr, '--example-images'], /peapod agent ready/, `agent ${k}`));
  }
  const cidrs = kubectl(['get', 'nodes', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.spec.podCIDR} {end}']).trim().split(' ').sort();
  assert.equal(cidrs.length, 3, cidrs.join(' '));
  assert.equal(cidrs[0], `host-a=${cidrA}`);
  const cidrB = cidrs[1].split('=')[1];
  const cidrC = cidrs[2].split('=')[1];
  assert.match(cidrB, /^10\.208\.\d+\.0\/24$/);
  assert.match(cidrC, /^10\.208\.\d+\.0\/24$/);
  assert.notEqual(cidrB, cidrC);
  // each host routes the other's pod subnet via its address (once both Nodes are Ready)
  await waitFor(() => inNs(hosts.b, 'ip', ['-4', 'route', 'show', cidrC]).includes(`via ${ipOf.c}`), 'B routes C\'s pod subnet', 60_000);
  await waitFor(() => inNs(hosts.c, 'ip', ['-4', 'route', 'show', cidrB]).includes(`via ${ipOf.b}`), 'C routes B\'s pod subnet', 60_000);
  await waitFor(() => inNs(hosts.a, 'ip', ['-4', 'route', 'show', cidrC]).includes(`via ${ipOf.c}`), 'A (the server\'s node) routes C\'s pod subnet', 60_000);
  await waitFor(() => inNs(hosts.c, 'ip', ['-4', 'route', 'show', cidrA]).includes(`via ${ipOf.a}`), 'C routes A\'s pod subnet', 60_000);

  // an httpd pod on C and a Service for it
  kubectl(['apply', '-f', '-'], JSON.stringify({
    apiVersion: 'v1', kind: 'List', items: [
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } },
        spec: { nodeName: 'host-c', terminationGracePeriodSeconds: 1, containers: [{ name: 'httpd', image: 'busybox:1.36',
          command: ['sh', '-c', 'mkdir -p /www && echo hello-from-c > /www/index.html && exec httpd -f -p 8080 -h /www'],
          readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 } }] } },
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] } },
    ],
  }));
  const webIp = await waitFor(() => {
    const out = kubectl(['get', 'pod', 'web', '-o', 'jsonpath={.status.podIP} {.status.conditions[?(@.type=="Ready")].status}']).trim().split(' ');
    return out[1] === 'True' ? out[0] : undefined;
  }, 'the web pod on C to be Ready', 120_000).catch((err: Error) => {
    let describe = '';
    try { describe = kubectl(['describe', 'pod', 'web']); } catch (e) { describe = String(e); }
    throw new Error(`${err.message}\n${describe}\nagent c:\n${agentLogs.c().slice(-3000)}`);
  });
  assert.ok(cidrC.startsWith(webIp.split('.').slice(0, 3).join('.') + '.'), `web pod IP ${webIp} in C's subnet ${cidrC}`);
  const vip = kubectl(['get', 'svc', 'web', '-o', 'jsonpath={.spec.clusterIP}']).trim();
  // B's service proxy has the endpoint on C before anything is sent to the VIP
  await waitFor(() => inNs(hosts.b, 'nft', ['list', 'ruleset']).includes(`${webIp}:8080`), 'B\'s proxy to forward the Service to the pod on C', 60_000);

  // clients on B: one-shot pods that succeed only with C's page
  const client = (name: string, url: string, nodeName = 'host-b') => ({
    apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' },
    spec: { nodeName, restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox:1.36',
      command: ['sh', '-c', `busybox timeout 10 wget -qO- ${url} | tee /dev/stderr | grep -qx hello-from-c`] }] },
  });
  // and one that tries an address outside the pod, cluster and service ranges (host A's API port): B's traffic guard resets it
  const guardResets = () => {
    const m = /counter packets (\d+) bytes \d+ reject with tcp reset/.exec(inNs(hosts.b, 'nft', ['list', 'table', 'inet', 'peapod_guard_peapod0']));
    return m ? Number(m[1]) : NaN;
  };
  const resetsBefore = guardResets();
  const outside = { ...client('outside', `http://${ipOf.a}:6443/`) };
  outside.spec.containers[0].command = ['sh', '-c', `busybox timeout 10 wget -qO- http://${ipOf.a}:6443/ 2>&1; echo "exit $?"`];
  kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [client('by-ip', `http://${webIp}:8080/`), client('by-service', `http://${vip}/`), client('from-a', `http://${webIp}:8080/`, 'host-a'), outside] }));
  made.podUids.push(...kubectl(['get', 'pods', '-o', 'jsonpath={.items[*].metadata.uid}']).trim().split(' '));
  await waitFor(() => kubectl(['get', 'pod', 'outside', '-o', 'jsonpath={.status.phase}']).trim() === 'Succeeded', 'the outside pod to finish', 120_000);
  assert.ok(guardResets() > resetsBefore, `B's traffic guard rejected the pod's connection to ${ipOf.a}:6443 (resets ${resetsBefore} -> ${guardResets()})`);
  for (const name of ['by-ip', 'by-service', 'from-a']) {
    const phase = await waitFor(() => {
      const p = kubectl(['get', 'pod', name, '-o', 'jsonpath={.status.phase}']).trim();
      return p === 'Succeeded' || p === 'Failed' ? p : undefined;
    }, `${name} to finish`, 120_000);
    const podIp = kubectl(['get', 'pod', name, '-o', 'jsonpath={.status.podIP}']).trim();
    assert.equal(phase, 'Succeeded', `${name} (pod IP ${podIp}) fetched C's page`);
  }

  // internalTrafficPolicy Local: the Service answers only pods on the endpoint's node (C); B's proxy drops
  kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web-local', namespace: 'default' },
    spec: { selector: { app: 'web' }, internalTrafficPolicy: 'Local', ports: [{ port: 80, targetPort: 8080 }] } }));
  const vipLocal = kubectl(['get', 'svc', 'web-local', '-o', 'jsonpath={.spec.clusterIP}']).trim();
  await waitFor(() => inNs(hosts.b, 'nft', ['list', 'ruleset']).includes(`${vipLocal} . tcp . 80 : drop`), 'B\'s proxy to drop web-local (no local endpoint)', 60_000);
  await waitFor(() => inNs(hosts.c, 'nft', ['list', 'ruleset']).includes(`${vipLocal} . tcp . 80 : goto loc-`), 'C\'s proxy to send web-local to its local endpoint', 60_000);
  const localFromB = client('local-from-b', `http://${vipLocal}/`);
  localFromB.spec.containers[0].command = ['sh', '-c', `busybox timeout 3 wget -qO- http://${vipLocal}/ 2>&1; echo "exit $?"`];
  kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [client('local-from-c', `http://${vipLocal}/`, 'host-c'), localFromB] }));
  made.podUids.push(...kubectl(['get', 'pods', 'local-from-b', 'local-from-c', '-o', 'jsonpath={.items[*].metadata.uid}']).trim().split(' '));
  for (const name of ['local-from-b', 'local-from-c']) {
    const phase = await waitFor(() => {
      const p = kubectl(['get', 'pod', name, '-o', 'jsonpath={.status.phase}']).trim();
      return p === 'Succeeded' || p === 'Failed' ? p : undefined;
    }, `${name} to finish`, 120_000);
    assert.equal(phase, 'Succeeded', `${name}: ${kubectl(['logs', name])}`);
  }
  // not served, and not refused by a reject rule either (dropped; a host without a default route,
  // like these netns hosts, answers "network unreachable" for the unDNATed address before any drop)
  const fromB = kubectl(['logs', 'local-from-b']);
  assert.doesNotMatch(fromB, /hello-from-c|refused/, fromB);
  assert.match(fromB, /^exit [1-9]\d*$/m, fromB);

  // logs and exec through the API reach the standalone agents' own streaming endpoints on B and C
  assert.match(kubectl(['logs', 'by-service']), /hello-from-c/);
  assert.equal(kubectl(['exec', 'web', '--', 'hostname']).trim(), 'web');

  // graceful pod removal by the agents (after() removes whatever is left, e.g. on failure)
  kubectl(['delete', 'pod', 'web', 'by-ip', 'by-service', 'from-a', 'outside', 'local-from-b', 'local-from-c', '--wait=true', '--timeout=60s']);
});
