/**
 * Real containers (runc + conmon + overlayfs + CNI), as root, from a busybox root file system.
 * Every sandbox, container, mount, netns, cgroup, bridge and nftables table made here is removed
 * in after hooks, also when a test fails.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { createServer } from 'node:net';
import { runCommand } from './run-command.js';
import { BridgeNetwork } from '../../network/cni/bridge-network.js';
import type { ContainerConfig, PodSandboxConfig } from '../runtime.js';
import { OciRuntime } from './oci-runtime.js';
import { setLogLevel } from '../../util/log.js';
import { isMountPoint } from './mounts.js';
import { hierarchies, removeCgroupTree } from './cgroups.js';
import { buildBusyboxRootfs, isRoot, pollUntil, removeTestDir } from './test-fixtures.js';
import { reserveTestSubnet, RUNTIME_TEST_NETS, type TestSubnet } from '../../testing/test-subnets.js';

const skip = isRoot ? false : 'needs root';
setLogLevel('warn');

describe('OciRuntime (runc)', { skip }, () => {
  let work: string;
  let rootfs: string;
  let network: BridgeNetwork;
  let testNet: TestSubnet;
  let rt: OciRuntime;
  let podCounter = 0;
  const cgroupParent = `/peapod-test-${process.pid}`;

  let tablesBefore: Set<string>;
  const nftTables = () => new Set(execFileSync('nft', ['list', 'tables'], { encoding: 'utf8' }).split('\n').filter(Boolean));

  before(() => {
    tablesBefore = nftTables();
    work = mkdtempSync(join(tmpdir(), 'peapod-rt-'));
    rootfs = buildBusyboxRootfs(work);
    testNet = reserveTestSubnet(RUNTIME_TEST_NETS);
    const { bridge, subnet } = testNet;
    network = new BridgeNetwork({ dataDir: join(work, 'cni'), bridge, subnet, networkName: `pt-${process.pid}` });
    rt = new OciRuntime({ dataDir: join(work, 'runtime'), network, cgroupParent });
  });

  after(async () => {
    const errors: unknown[] = [];
    try {
      const fresh = new OciRuntime({ dataDir: join(work, 'runtime'), network, cgroupParent });
      for (const s of await fresh.listPodSandboxes()) await fresh.removePodSandbox(s.id).catch((e) => errors.push(e));
      for (const c of await fresh.listContainers()) await fresh.removeContainer(c.id).catch((e) => errors.push(e));
    } catch (e) { errors.push(e); }
    await network.teardown().catch((e) => errors.push(e));
    testNet.release();
    removeCgroupTree(cgroupParent);
    removeTestDir(work);
    // nat tables that iptables-nft made for portmap here (only those that did not exist before).
    for (const t of nftTables()) {
      if (!tablesBefore.has(t) && /^table (ip|ip6) (nat|filter)$/.test(t)) execFileSync('nft', ['delete', 'table', ...t.split(' ').slice(1)]);
    }
    const left = hierarchies().filter((h) => existsSync(h + cgroupParent));
    assert.deepEqual(left, [], `cgroups left behind: ${left.join(' ')}`);
    assert.deepEqual(errors, [], 'cleanup failed');
  });

  async function pod(name: string, extra: Partial<PodSandboxConfig> = {}): Promise<string> {
    const id = await rt.runPodSandbox({ name, namespace: 'default', uid: `uid-${name}-${podCounter++}`, hostname: name, ...extra });
    return id;
  }

  function container(name: string, command: string[], extra: Partial<ContainerConfig> = {}): ContainerConfig {
    return { name, lowerDirs: [rootfs], command, logPath: join(work, 'logs', `${name}-${podCounter}-${Math.random().toString(36).slice(2)}.log`), ...extra };
  }

  async function run(sandboxId: string, cfg: ContainerConfig): Promise<string> {
    const id = await rt.createContainer(sandboxId, cfg);
    await rt.startContainer(id);
    return id;
  }

  async function waitExited(id: string, timeoutMs = 15000) {
    return pollUntil(async () => {
      const s = await rt.containerStatus(id);
      return s.state === 'exited' ? s : undefined;
    }, `container ${id} to exit`, timeoutMs);
  }

  test('two containers in one pod share localhost, IPC (/dev/shm) and the pod hostname', async (t) => {
    const sb = await pod('web-pod');
    t.after(() => rt.removePodSandbox(sb));
    const server = await run(sb, container('server', ['sh', '-c', 'echo shared > /dev/shm/marker; exec httpd -f -p 8080 -h /www']));
    const client = await run(sb, container('client', ['sleep', '3600']));
    const body = await pollUntil(async () => {
      const r = await rt.execSync(client, ['timeout', '5', 'wget', '-qO-', 'http://127.0.0.1:8080/'], 10);
      return r.exitCode === 0 ? r.stdout.toString() : undefined;
    }, 'httpd to answer on localhost');
    assert.equal(body, 'hello from pod\n');
    const shm = await rt.execSync(client, ['cat', '/dev/shm/marker'], 10);
    assert.equal(shm.stdout.toString(), 'shared\n');
    for (const c of [server, client]) {
      const h = await rt.execSync(c, ['hostname'], 10);
      assert.equal(h.stdout.toString().trim(), 'web-pod');
    }
    // Same IPC namespace (inode of /proc/self/ns/ipc).
    const ns = await Promise.all([server, client].map((c) => rt.execSync(c, ['readlink', '/proc/self/ns/ipc'], 10)));
    assert.equal(ns[0].stdout.toString(), ns[1].stdout.toString());
    const st = await rt.podSandboxStatus(sb);
    assert.equal(st.state, 'ready');
    const listed = await rt.listContainers({ labels: { 'io.kubernetes.pod.uid': st.config.uid, 'io.kubernetes.container.name': 'client' } });
    assert.deepEqual(listed.map((c) => c.id), [client]);
    assert.equal(listed[0].annotations['io.kubernetes.container.restartCount'], '0');
    assert.equal(listed[0].labels['io.kubernetes.pod.name'], 'web-pod');
    assert.match(st.ip ?? '', /^10\.201\.\d+\.\d+$/);
  });

  test('two pods get different IPs and reach each other', async (t) => {
    const a = await pod('pod-a');
    t.after(() => rt.removePodSandbox(a));
    const b = await pod('pod-b');
    t.after(() => rt.removePodSandbox(b));
    const ipA = (await rt.podSandboxStatus(a)).ip!;
    const ipB = (await rt.podSandboxStatus(b)).ip!;
    assert.notEqual(ipA, ipB);
    await run(a, container('server', ['httpd', '-f', '-p', '8080', '-h', '/www']));
    const cb = await run(b, container('client', ['sleep', '3600']));
    const body = await pollUntil(async () => {
      const r = await rt.execSync(cb, ['timeout', '5', 'wget', '-qO-', `http://${ipA}:8080/`], 10);
      return r.exitCode === 0 ? r.stdout.toString() : undefined;
    }, 'pod-b to reach pod-a');
    assert.equal(body, 'hello from pod\n');
    const eth0 = await rt.execSync(cb, ['ip', '-4', 'addr', 'show', 'eth0'], 10);
    assert.match(eth0.stdout.toString(), new RegExp(`inet ${ipB.replace(/\./g, '\\.')}/`));
  });

  test('hostPort mappings reach the pod from the host until the sandbox stops', async (t) => {
    const hostPort = await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const p = (srv.address() as { port: number }).port;
        srv.close(() => resolve(p));
      });
    });
    const sb = await pod('hostport', { portMappings: [{ hostPort, containerPort: 8080 }] });
    t.after(() => rt.removePodSandbox(sb));
    await run(sb, container('server', ['httpd', '-f', '-p', '8080', '-h', '/www']));
    const get = () => runCommand('/bin/busybox', ['timeout', '5', 'wget', '-qO-', `http://127.0.0.1:${hostPort}/`], { check: false });
    const body = await pollUntil(async () => { const r = await get(); return r.code === 0 ? r.stdout : undefined; }, 'the hostPort to answer');
    assert.equal(body, 'hello from pod\n');
    await rt.stopPodSandbox(sb);
    const after = await get();
    assert.notEqual(after.code, 0, 'the mapping is gone after stop');
  });

  test('exit codes and reasons; CRI log lines', async (t) => {
    const sb = await pod('exits');
    t.after(() => rt.removePodSandbox(sb));
    const cfg = container('fail', ['sh', '-c', 'echo line1; echo err1 >&2; printf partial; exit 3']);
    const failing = await run(sb, cfg);
    const ok = await run(sb, container('ok', ['true']));
    const f = await waitExited(failing);
    assert.equal(f.exitCode, 3);
    assert.equal(f.reason, 'Error');
    assert.ok(f.startedAt && f.finishedAt && f.finishedAt >= f.startedAt);
    const o = await waitExited(ok);
    assert.equal(o.exitCode, 0);
    assert.equal(o.reason, 'Completed');
    const lines = readFileSync(cfg.logPath, 'utf8').split('\n').filter(Boolean);
    const ts = String.raw`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+(Z|[+-]\d\d:\d\d)`;
    for (const l of lines) assert.match(l, new RegExp(`^${ts} (stdout|stderr) (P|F) `));
    assert.ok(lines.some((l) => / stdout F line1$/.test(l)), lines.join('\n'));
    assert.ok(lines.some((l) => / stderr F err1$/.test(l)), lines.join('\n'));
    assert.ok(lines.some((l) => / stdout P partial$/.test(l)), lines.join('\n'));
  });

  test('a shell ignoring SIGTERM is killed after the timeout', async (t) => {
    const sb = await pod('stubborn');
    t.after(() => rt.removePodSandbox(sb));
    const id = await run(sb, container('sh', ['sh', '-c', 'while true; do sleep 1; done']));
    assert.equal((await rt.containerStatus(id)).state, 'running');
    const started = Date.now();
    await rt.stopContainer(id, 1);
    const elapsed = Date.now() - started;
    const s = await rt.containerStatus(id);
    assert.equal(s.state, 'exited');
    assert.equal(s.exitCode, 137);
    assert.ok(elapsed >= 1000, `stopped after ${elapsed} ms, before the 1 s grace period`);
  });

  test('a container over its 64 MiB memory limit is OOMKilled (exit 137)', async (t) => {
    const sb = await pod('oom');
    t.after(() => rt.removePodSandbox(sb));
    const id = await run(sb, container('hog', ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=256M', 'count=1'], {
      resources: { memoryLimitBytes: 64 * 1024 * 1024, pidsLimit: 64, cpuShares: 512, cpuQuota: 50000, cpuPeriod: 100000 },
    }));
    const s = await waitExited(id);
    assert.equal(s.exitCode, 137);
    assert.equal(s.reason, 'OOMKilled');
    assert.equal(existsSync(join(process.cwd(), 'oom')), false, 'conmon left an oom marker in our cwd');
  });

  test('cgroup resources are applied under <parent>/<podUid>/<containerId>', async (t) => {
    const sb = await pod('limits');
    t.after(() => rt.removePodSandbox(sb));
    const id = await run(sb, container('c', ['sleep', '3600'], {
      resources: { memoryLimitBytes: 64 * 1024 * 1024, pidsLimit: 50, cpuShares: 256, cpuQuota: 20000, cpuPeriod: 100000 },
      oomScoreAdj: -999,
    }));
    const uid = (await rt.podSandboxStatus(sb)).config.uid;
    const cg = `${cgroupParent}/${uid}/${id}`;
    assert.equal(readFileSync(`/sys/fs/cgroup/memory${cg}/memory.limit_in_bytes`, 'utf8').trim(), String(64 * 1024 * 1024));
    assert.equal(readFileSync(`/sys/fs/cgroup/pids${cg}/pids.max`, 'utf8').trim(), '50');
    assert.equal(readFileSync(`/sys/fs/cgroup/cpu${cg}/cpu.shares`, 'utf8').trim(), '256');
    assert.equal(readFileSync(`/sys/fs/cgroup/cpu${cg}/cpu.cfs_quota_us`, 'utf8').trim(), '20000');
    const adj = await rt.execSync(id, ['cat', '/proc/1/oom_score_adj'], 10);
    assert.equal(adj.stdout.toString().trim(), '0');
    const caps = await rt.execSync(id, ['sh', '-c', 'grep CapEff /proc/self/status'], 10);
    assert.match(caps.stdout.toString(), /CapEff:\s+00000000a80425fb/);
    await rt.removeContainer(id);
    assert.equal(existsSync(`/sys/fs/cgroup/memory${cg}`), false);
    assert.equal(existsSync(join(work, 'runtime', 'containers', id)), false);
  });

  test('exec without and with a TTY; attach to stdin/stdout', async (t) => {
    const sb = await pod('exec');
    t.after(() => rt.removePodSandbox(sb));
    const id = await run(sb, container('c', ['sleep', '3600']));
    const r = await rt.execSync(id, ['sh', '-c', 'echo out; echo err >&2; exit 5'], 10);
    assert.equal(r.exitCode, 5);
    assert.equal(r.stdout.toString(), 'out\n');
    assert.equal(r.stderr.toString(), 'err\n');
    assert.equal(r.timedOut, false);

    const timed = await rt.execSync(id, ['sleep', '30'], 1);
    assert.equal(timed.timedOut, true);
    const ps = await rt.execSync(id, ['ps', '-o', 'args'], 10);
    assert.doesNotMatch(ps.stdout.toString(), /sleep 30/, 'the timed-out process was killed');

    const missing = await rt.execSync(id, ['/no/such/cmd'], 10);
    assert.notEqual(missing.exitCode, 0);
    assert.match(missing.stderr.toString(), /no such file|not found/i);
    await assert.rejects(rt.exec(id, ['/no/such/cmd'], { tty: true, stdout: new PassThrough() }), /exec failed|terminal|no such file|not found/i);

    const out = new PassThrough();
    let text = '';
    out.on('data', (b: Buffer) => { text += b.toString(); });
    const code = await rt.exec(id, ['sh', '-c', 'tty; stty size; echo hi; exit 7'], { tty: true, stdout: out });
    assert.equal(code, 7);
    assert.match(text, /\/dev\/pts\/\d+\r\n/);
    assert.match(text, /hi\r\n/);

    // TTY exec with stdin and a resize.
    const stdin = new PassThrough();
    const out2 = new PassThrough();
    let text2 = '';
    out2.on('data', (b: Buffer) => { text2 += b.toString(); });
    async function* sizes() { yield { width: 123, height: 45 }; }
    const p = rt.exec(id, ['sh', '-c', 'echo ready; read line; stty size; echo "got $line"'], { tty: true, stdin, stdout: out2, resize: sizes() });
    await pollUntil(() => text2.includes('ready'), 'the exec to start');
    stdin.write('hello\n');
    assert.equal(await p, 0);
    assert.match(text2, /got hello/);
    assert.match(text2, /45 123/);

    const cat = await run(sb, container('cat', ['cat'], { stdin: true, stdinOnce: true }));
    const aIn = new PassThrough();
    const aOut = new PassThrough();
    let echoed = '';
    aOut.on('data', (b: Buffer) => { echoed += b.toString(); });
    const attached = rt.attach(cat, { stdin: aIn, stdout: aOut, stderr: aOut });
    aIn.write('through the attach socket\n');
    await pollUntil(() => echoed.includes('through the attach socket\n'), 'echo over attach');
    aIn.end();
    await attached;
    const s = await waitExited(cat);
    assert.equal(s.exitCode, 0);

    // stdout and stderr stay apart through the attach socket.
    const split = await run(sb, container('split', ['sh', '-c', 'read x; echo out$x; echo err$x >&2'], { stdin: true, stdinOnce: true }));
    const sIn = new PassThrough();
    const sOut = new PassThrough();
    const sErr = new PassThrough();
    let o = '';
    let e = '';
    sOut.on('data', (b: Buffer) => { o += b.toString(); });
    sErr.on('data', (b: Buffer) => { e += b.toString(); });
    const att = rt.attach(split, { stdin: sIn, stdout: sOut, stderr: sErr });
    sIn.end('1\n');
    await att;
    await waitExited(split);
    assert.equal(o, 'out1\n');
    assert.equal(e, 'err1\n');
  });

  test('a container started by another (exited) agent process is re-adopted; exits are announced', async (t) => {
    const sb = await pod('other-process');
    t.after(() => rt.removePodSandbox(sb));
    const cfg = container('long', ['sh', '-c', 'trap "exit 0" TERM; i=0; while true; do echo n$i; i=$((i+1)); sleep 0.1; done']);
    // A separate Node process creates and starts the container, then exits (as an agent restart would).
    const script = `
      const { OciRuntime } = await import(${JSON.stringify(new URL('./oci-runtime.js', import.meta.url).href)});
      const rt = new OciRuntime(${JSON.stringify({ dataDir: join(work, 'runtime'), cgroupParent })});
      const id = await rt.createContainer(${JSON.stringify(sb)}, ${JSON.stringify(cfg)});
      await rt.startContainer(id);
      process.stdout.write(id);`;
    const id = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, PEAPOD_LOG: 'warn' } });
    assert.match(id, /^[0-9a-f]{64}$/);
    const adopted = new OciRuntime({ dataDir: join(work, 'runtime'), network, cgroupParent });
    await adopted.start();
    const s = await adopted.containerStatus(id);
    assert.equal(s.state, 'running');
    assert.ok(s.pid && existsSync(`/proc/${s.pid}`));
    // Its output is still logged by its conmon.
    const lines = () => readFileSync(cfg.logPath, 'utf8').split('\n').filter(Boolean).length;
    const n = lines();
    await pollUntil(() => lines() > n + 2, 'more log lines after the creator exited');
    const exited: string[] = [];
    const stop = adopted.watchExits((cid) => exited.push(cid));
    t.after(stop);
    await adopted.stopContainer(id, 5);
    await pollUntil(() => exited.includes(id), 'the exit to be announced');
    const after = await adopted.containerStatus(id);
    assert.equal(after.state, 'exited');
    assert.equal(after.exitCode, 0, 'the TERM trap ran (SIGKILL would give 137)');
    assert.equal(after.reason, 'Completed');
  });

  test('a container outlives the runtime object and a new instance re-adopts it', async (t) => {
    const sb = await pod('adopt');
    t.after(() => rt.removePodSandbox(sb));
    const first = new OciRuntime({ dataDir: join(work, 'runtime'), network, cgroupParent });
    const id = await first.createContainer(sb, container('long', ['sleep', '3600']));
    await first.startContainer(id);
    const before = await first.containerStatus(id);
    // A new instance, as after an agent restart: nothing shared but the state dir.
    const second = new OciRuntime({ dataDir: join(work, 'runtime'), network, cgroupParent });
    const list = await second.listContainers({ sandboxId: sb });
    assert.equal(list.length, 1);
    assert.equal(list[0].id, id);
    assert.equal(list[0].state, 'running');
    assert.equal(list[0].pid, before.pid);
    assert.equal((await second.listPodSandboxes()).filter((s) => s.id === sb).length, 1);
    await second.stopContainer(id, 1);
    const s = await second.containerStatus(id);
    assert.equal(s.state, 'exited');
    await second.removeContainer(id);
    await assert.rejects(second.containerStatus(id), /not found/);
  });

  test('remove cleans up mounts, namespaces, exit files and conmon leftovers', async () => {
    const sb = await pod('cleanup');
    const id = await run(sb, container('c', ['sh', '-c', 'exit 0']));
    await waitExited(id);
    const rootfsDir = join(work, 'runtime', 'containers', id, 'rootfs');
    assert.equal(isMountPoint(rootfsDir), true);
    assert.equal(existsSync(join(work, 'runtime', 'exits', id)), true);
    const { netnsPath: netns, config } = await rt.podSandboxStatus(sb);
    await rt.removePodSandbox(sb);
    const podCgroups = hierarchies().filter((h) => existsSync(`${h}${cgroupParent}/${config.uid}`));
    assert.deepEqual(podCgroups, [], 'the pod cgroup is removed in every hierarchy');
    assert.equal(isMountPoint(rootfsDir), false);
    assert.equal(existsSync(join(work, 'runtime', 'containers', id)), false);
    assert.equal(existsSync(join(work, 'runtime', 'exits', id)), false);
    assert.equal(existsSync(join(work, 'runtime', 'attach', id)), false);
    assert.equal(existsSync(netns!), false);
    assert.equal(isMountPoint(netns!), false);
    await rt.removePodSandbox(sb); // idempotent
  });

  test('shareProcessNamespace: containers see each other\'s processes under one init', async (t) => {
    const sb = await pod('shared-pid', { shareProcessNamespace: true });
    t.after(() => rt.removePodSandbox(sb));
    await run(sb, container('a', ['sh', '-c', 'exec sleep 3601']));
    const b = await run(sb, container('b', ['sleep', '3600']));
    const ps = await pollUntil(async () => {
      const r = await rt.execSync(b, ['ps', '-o', 'pid,args'], 10);
      const text = r.stdout.toString();
      return text.includes('sleep 3601') ? text : undefined;
    }, 'container a\'s process to be visible from b');
    assert.match(ps, /^\s*1\s+.*catatonit/m);
    // Without sharing, a container's first process is PID 1 of its own namespace.
    const own = await pod('own-pid');
    t.after(() => rt.removePodSandbox(own));
    const c = await run(own, container('c', ['sleep', '3600']));
    const r = await rt.execSync(c, ['ps', '-o', 'pid,args'], 10);
    assert.match(r.stdout.toString(), /^\s*1\s+sleep 3600/m);
  });

  test('pidNamespaceTarget (kubectl debug --target): the debug container sees the target\'s processes; without it, only its own', async (t) => {
    const sb = await pod('debug-target');
    t.after(() => rt.removePodSandbox(sb));
    const app = await run(sb, container('app', ['sh', '-c', 'exec sleep 3602']));
    const appPid = (await rt.containerStatus(app)).pid!;
    const dbg = await run(sb, container('dbg', ['sleep', '3600'], { pidNamespaceTarget: app }));
    const spec = JSON.parse(readFileSync(join(work, 'runtime', 'containers', dbg, 'config.json'), 'utf8')) as { linux: { namespaces: Array<{ type: string; path?: string }> } };
    assert.deepEqual(spec.linux.namespaces.filter((n) => n.type === 'pid'), [{ type: 'pid', path: `/proc/${appPid}/ns/pid` }]);
    const ps = (await rt.execSync(dbg, ['ps', '-o', 'pid,args'], 10)).stdout.toString();
    assert.match(ps, /^\s*1\s+sleep 3602/m, `the target's process is PID 1 of the namespace:\n${ps}`);
    assert.match(ps, /sleep 3600/m);
    const plain = await run(sb, container('plain', ['sleep', '3603']));
    const own = (await rt.execSync(plain, ['ps', '-o', 'pid,args'], 10)).stdout.toString();
    assert.match(own, /^\s*1\s+sleep 3603/m);
    assert.doesNotMatch(own, /sleep 3602/, `without a target the app's process is not visible:\n${own}`);
    // A target that is not running (or not in this sandbox) fails the create, leaving nothing behind.
    await rt.stopContainer(app, 0);
    await assert.rejects(rt.createContainer(sb, container('dbg2', ['true'], { pidNamespaceTarget: app })), /target container app .* is not running/);
    await assert.rejects(rt.createContainer(sb, container('dbg3', ['true'], { pidNamespaceTarget: 'f'.repeat(64) })), /is not a container of sandbox/);
    assert.deepEqual((await rt.listContainers({ sandboxId: sb })).map((c) => c.name).filter((n) => n.startsWith('dbg')), ['dbg']);
  });

  test('hostNetwork pod uses the host network namespace and hostname', async (t) => {
    const sb = await pod('host-net', { hostNetwork: true });
    t.after(() => rt.removePodSandbox(sb));
    const id = await run(sb, container('c', ['sleep', '3600']));
    const st = await rt.podSandboxStatus(sb);
    assert.equal(st.netnsPath, undefined);
    const ns = await rt.execSync(id, ['readlink', '/proc/self/ns/net'], 10);
    assert.equal(ns.stdout.toString().trim(), execFileSync('readlink', ['/proc/self/ns/net'], { encoding: 'utf8' }).trim());
    const h = await rt.execSync(id, ['hostname'], 10);
    assert.equal(h.stdout.toString().trim(), execFileSync('hostname', { encoding: 'utf8' }).trim());
  });

  test('user, readOnlyRootfs, hostPath mounts, env, workingDir, /etc/hosts and resolv.conf', async (t) => {
    const sb = await pod('settings', { hostsFile: '127.0.0.1 localhost\n10.9.9.9 custom-entry\n', resolvConf: 'nameserver 10.202.0.10\nsearch default.svc.cluster.local\n' });
    t.after(() => rt.removePodSandbox(sb));
    const hostDir = mkdtempSync(join(work, 'vol-'));
    chmodSync(hostDir, 0o777);
    const id = await run(sb, container('c', ['sleep', '3600'], {
      user: { uid: 65534, gid: 65534, supplementalGroups: [1234] },
      readOnlyRootfs: true,
      mounts: [{ hostPath: hostDir, containerPath: '/data' }],
      env: [{ name: 'GREETING', value: 'hi there' }],
      image: { env: ['PATH=/bin:/usr/bin', 'FROM_IMAGE=1'], workingDir: '/tmp' },
      workingDir: '/data',
      noNewPrivileges: true,
    }));
    const nnp = await rt.execSync(id, ['grep', 'NoNewPrivs', '/proc/1/status'], 10);
    assert.match(nnp.stdout.toString(), /NoNewPrivs:\s+1/);
    const r = await rt.execSync(id, ['sh', '-c', 'id -u; id -g; id -G; pwd; echo "$GREETING/$FROM_IMAGE"; touch /rootfile 2>&1 || echo ro; echo x > /data/f && echo rw; cat /etc/hosts /etc/resolv.conf'], 10);
    const lines = r.stdout.toString().split('\n');
    assert.deepEqual(lines.slice(0, 5), ['65534', '65534', '65534 1234', '/data', 'hi there/1']);
    assert.ok(lines.includes('ro'), r.stdout.toString());
    assert.ok(lines.includes('rw'), r.stdout.toString());
    assert.ok(lines.includes('10.9.9.9 custom-entry'));
    assert.ok(lines.includes('nameserver 10.202.0.10'));
    assert.equal(readFileSync(join(hostDir, 'f'), 'utf8'), 'x\n');
  });

  test('crun (through the hybrid-cgroup wrapper) runs containers too', async (t) => {
    const crunRt = new OciRuntime({ dataDir: join(work, 'runtime-crun'), network, cgroupParent, ociRuntime: 'crun' });
    const sb = await crunRt.runPodSandbox({ name: 'crun-pod', namespace: 'default', uid: 'uid-crun', hostname: 'crun-pod' });
    t.after(() => crunRt.removePodSandbox(sb));
    const id = await crunRt.createContainer(sb, container('c', ['sh', '-c', 'hostname; exit 4'], { resources: { memoryLimitBytes: 64 * 1024 * 1024 } }));
    await crunRt.startContainer(id);
    const s = await pollUntil(async () => { const x = await crunRt.containerStatus(id); return x.state === 'exited' ? x : undefined; }, 'crun container to exit');
    assert.equal(s.exitCode, 4);
    assert.match(readFileSync(s.logPath, 'utf8'), / stdout F crun-pod$/m);
    const long = await crunRt.createContainer(sb, container('long', ['sleep', '3600']));
    await crunRt.startContainer(long);
    const r = await crunRt.execSync(long, ['cat', '/sys/fs/cgroup/memory/memory.limit_in_bytes'], 10);
    assert.equal(r.exitCode, 0, r.stderr.toString());
    const out = new PassThrough();
    let text = '';
    out.on('data', (b: Buffer) => { text += b.toString(); });
    assert.equal(await crunRt.exec(long, ['sh', '-c', 'tty; exit 3'], { tty: true, stdout: out }), 3);
    assert.match(text, /\/dev\/pts\/\d+/);
    await crunRt.stopContainer(long, 0);
    assert.equal((await crunRt.containerStatus(long)).exitCode, 137);
    await crunRt.removeContainer(long);
  });

  test('image StopSignal; stopping a created container; stopPodSandbox stops all and releases the IP', async (t) => {
    const sb = await pod('stopping');
    t.after(() => rt.removePodSandbox(sb));
    const usr1 = await run(sb, container('usr1', ['sh', '-c', 'trap "exit 42" USR1; touch /tmp/trapped; while true; do sleep 0.1; done'], { image: { stopSignal: 'SIGUSR1' } }));
    // the shell is PID 1 of its namespace: a USR1 that arrives before the trap is set is ignored
    await pollUntil(async () => (await rt.execSync(usr1, ['test', '-f', '/tmp/trapped'], 10)).exitCode === 0 || undefined, 'the USR1 trap to be set');
    await rt.stopContainer(usr1, 30);
    const u = await rt.containerStatus(usr1);
    assert.equal(u.exitCode, 42);
    const created = await rt.createContainer(sb, container('never-started', ['sleep', '3600']));
    assert.equal((await rt.containerStatus(created)).state, 'created');
    const running = await run(sb, container('running', ['sleep', '3600']));
    await rt.stopPodSandbox(sb);
    const st = await rt.podSandboxStatus(sb);
    assert.equal(st.state, 'notready');
    assert.equal(st.ip, undefined);
    for (const id of [created, running]) assert.equal((await rt.containerStatus(id)).state, 'exited');
    await rt.stopPodSandbox(sb); // idempotent
    await assert.rejects(rt.createContainer(sb, container('late', ['true'])), /not ready/);
    assert.deepEqual((await rt.listContainers({ sandboxId: sb, state: 'exited' })).length, 3);
  });

  test('exec with stdin (no tty); attach to a tty container with resize; reopen the log', async (t) => {
    const sb = await pod('streams');
    t.after(() => rt.removePodSandbox(sb));
    const id = await run(sb, container('c', ['sleep', '3600']));
    const stdin = new PassThrough();
    const out = new PassThrough();
    let text = '';
    out.on('data', (b: Buffer) => { text += b.toString(); });
    const p = rt.exec(id, ['sh', '-c', 'tr a-z A-Z; exit 9'], { stdin, stdout: out });
    stdin.end('shout\n');
    assert.equal(await p, 9);
    assert.equal(text, 'SHOUT\n');

    const cfg = container('tty', ['sh'], { tty: true, stdin: true });
    const ttyId = await run(sb, cfg);
    const aIn = new PassThrough();
    const aOut = new PassThrough();
    let screen = '';
    aOut.on('data', (b: Buffer) => { screen += b.toString(); });
    let sendSize!: (s: { width: number; height: number }) => void;
    async function* sizes() {
      for (;;) yield await new Promise<{ width: number; height: number }>((r) => { sendSize = r; });
    }
    const attached = rt.attach(ttyId, { stdin: aIn, stdout: aOut, resize: sizes() });
    await pollUntil(() => sendSize !== undefined, 'resize stream to be read');
    sendSize({ width: 111, height: 33 });
    // The resize travels through the ctl FIFO; poll with `stty size` until it shows.
    await pollUntil(() => {
      aIn.write('stty size\n');
      return screen.includes('33 111');
    }, 'the terminal size to change', 10000, 200);
    aIn.write('exit 0\n');
    await attached;
    assert.equal((await waitExited(ttyId)).exitCode, 0);
    assert.match(readFileSync(cfg.logPath, 'utf8'), /33 111/);

    const ticker = container('ticker', ['sh', '-c', 'i=0; while true; do echo tick$i; i=$((i+1)); sleep 0.1; done']);
    const tid = await run(sb, ticker);
    await pollUntil(() => existsSync(ticker.logPath) && readFileSync(ticker.logPath, 'utf8').includes('tick1'), 'first ticks');
    rmSync(ticker.logPath);
    await rt.reopenContainerLog(tid);
    const reopened = await pollUntil(() => existsSync(ticker.logPath) && readFileSync(ticker.logPath, 'utf8'), 'a new log file');
    assert.match(reopened, /^\S+ stdout F tick\d+$/m);
  });

  test('privileged gets every capability the host can give; devices are created and allowed', async (t) => {
    const sb = await pod('priv');
    t.after(() => rt.removePodSandbox(sb));
    const hostBnd = /^CapBnd:\s*(\S+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))![1];
    const p = await run(sb, container('p', ['sleep', '3600'], { privileged: true }));
    const caps = await rt.execSync(p, ['sh', '-c', 'grep CapEff /proc/self/status'], 10);
    assert.equal(caps.stdout.toString().trim().split(/\s+/)[1], hostBnd);
    const d = await run(sb, container('d', ['sleep', '3600'], { devices: [{ hostPath: '/dev/zero', containerPath: '/dev/myzero', permissions: 'r' }] }));
    const r = await rt.execSync(d, ['sh', '-c', 'head -c 5 /dev/myzero | wc -c'], 10);
    assert.equal(r.stdout.toString().trim(), '5');
  });

  test('a command that does not exist fails createContainer and leaves nothing behind', async (t) => {
    const sb = await pod('bad-cmd');
    t.after(() => rt.removePodSandbox(sb));
    await assert.rejects(rt.createContainer(sb, container('bad', ['/no/such/binary'])), /no such file|not found/i);
    assert.deepEqual(await rt.listContainers({ sandboxId: sb }), []);
    // A sandbox whose pinned network namespace is gone reports notready.
    const { netnsPath } = await rt.podSandboxStatus(sb);
    execFileSync('umount', [netnsPath!]);
    assert.equal((await rt.podSandboxStatus(sb)).state, 'notready');
  });

  test('sandboxes and containers created concurrently get distinct IPs and all run', async (t) => {
    const ids = await Promise.all([0, 1, 2, 3].map((i) => pod(`par-${i}`)));
    for (const id of ids) t.after(() => rt.removePodSandbox(id));
    const ips = await Promise.all(ids.map(async (id) => (await rt.podSandboxStatus(id)).ip));
    assert.equal(new Set(ips).size, 4, ips.join(' '));
    const cs = await Promise.all([0, 1, 2].map((i) => run(ids[0], container(`c${i}`, ['sleep', '3600']))));
    for (const c of cs) assert.equal((await rt.containerStatus(c)).state, 'running');
    assert.equal((await rt.listContainers({ sandboxId: ids[0], state: 'running' })).length, 3);
  });

  test('measure: container create+start time and conmon RSS; each conmon is detached from the agent', async (t) => {
    const sb = await pod('measure');
    t.after(() => rt.removePodSandbox(sb));
    const times: number[] = [];
    const rss: number[] = [];
    const pids = new Set<number>();
    for (let i = 0; i < 5; i++) {
      const started = process.hrtime.bigint();
      const id = await run(sb, container(`m${i}`, ['sleep', '3600']));
      times.push(Number(process.hrtime.bigint() - started) / 1e6);
      const s = await rt.containerStatus(id);
      assert.equal(s.state, 'running');
      pids.add(s.pid!);
      const conmonPid = Number(readFileSync(join(work, 'runtime', 'containers', id, 'conmon.pid'), 'utf8'));
      const status = readFileSync(`/proc/${conmonPid}/status`, 'utf8');
      rss.push(Number(/^VmRSS:\s+(\d+) kB/m.exec(status)![1]));
      // conmon runs in its own session, not as our child (so it survives the agent).
      const ppid = Number(/^PPid:\s+(\d+)$/m.exec(status)![1]);
      assert.notEqual(ppid, process.pid);
      const stat = readFileSync(`/proc/${conmonPid}/stat`, 'utf8');
      const sid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[3]);
      assert.equal(sid, conmonPid, 'conmon leads its own session');
    }
    assert.equal(pids.size, 5);
    times.sort((a, b) => a - b);
    t.diagnostic(`create+start ms: median ${times[2].toFixed(0)} min ${times[0].toFixed(0)} max ${times[4].toFixed(0)}`);
    t.diagnostic(`conmon RSS kB: ${rss.join(' ')}`);
    for (const kb of rss) assert.ok(kb > 0 && kb < 16 * 1024, `conmon RSS ${kb} kB`);
  });
});
