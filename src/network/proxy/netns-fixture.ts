/**
 * Test fixture (not used in production code): "pods" as network namespaces on a test bridge with a
 * 10.205.N.0/24 subnet of their own, each optionally serving busybox httpd with its own index.html.
 * `remove()` deletes every process, netns, veth and the bridge it made (call it also on failure).
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand, type CommandResult } from '../../runtime/oci/run-command.js';
import { reserveTestSubnet, NETNS_TEST_NETS, type TestSubnet } from '../../testing/test-subnets.js';

export interface NetnsPod { name: string; ns: string; ip: string; veth: string }

export class NetnsFixture {
  readonly n: number;
  readonly bridge: string;
  readonly subnet: string;
  readonly gateway: string;
  readonly pods: NetnsPod[] = [];
  private readonly procs: ChildProcess[] = [];
  private readonly dir = mkdtempSync(join(tmpdir(), 'peapod-netns-'));
  private bridgeMade = false;

  private constructor(private readonly reservation: TestSubnet) {
    this.n = reservation.n;
    this.bridge = reservation.bridge;
    this.subnet = reservation.subnet;
    this.gateway = reservation.gateway;
  }

  /** A bridge on a 10.205.N.0/24 reserved for this process (src/testing/test-subnets.ts). */
  static async create(): Promise<NetnsFixture> {
    const f = new NetnsFixture(reserveTestSubnet(NETNS_TEST_NETS));
    try {
      await runCommand('ip', ['link', 'add', f.bridge, 'type', 'bridge']);
      f.bridgeMade = true;
      await runCommand('ip', ['addr', 'add', `${f.gateway}/24`, 'dev', f.bridge]);
      await runCommand('ip', ['link', 'set', f.bridge, 'up']);
    } catch (e) { await f.remove(); throw e; }
    return f;
  }

  /** A netns "pod" at 10.205.N.<host> on the bridge (hairpin on, default route via the gateway). */
  async addPod(name: string, host: number): Promise<NetnsPod> {
    const ns = `ppsvc${this.n}-${name}`;
    const veth = `vs${this.n}${name}`.slice(0, 15);
    const ip = `${this.reservation.prefix}${host}`;
    const pod = { name, ns, ip, veth };
    this.pods.push(pod);
    await runCommand('ip', ['netns', 'add', ns]);
    await runCommand('ip', ['link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
    await runCommand('ip', ['link', 'set', veth, 'master', this.bridge]);
    await runCommand('ip', ['link', 'set', veth, 'type', 'bridge_slave', 'hairpin', 'on']);
    await runCommand('ip', ['link', 'set', veth, 'up']);
    await this.exec(pod, ['ip', 'addr', 'add', `${ip}/24`, 'dev', 'eth0']);
    await this.exec(pod, ['ip', 'link', 'set', 'eth0', 'up']);
    await this.exec(pod, ['ip', 'link', 'set', 'lo', 'up']);
    await this.exec(pod, ['ip', 'route', 'add', 'default', 'via', this.gateway]);
    return pod;
  }

  /**
   * A client outside the pod network: a netns `ppsvcN-NAME` joined to the host by its own veth (no
   * bridge), at 10.205.251.N/32 (host route to it via the veth), with a default route to the host.
   * Traffic from it reaches the host as a remote client's would (prerouting, not from a pod).
   */
  async addOutsideClient(name: string): Promise<NetnsPod> {
    const ns = `ppsvc${this.n}-${name}`;
    const veth = `vo${this.n}${name}`.slice(0, 15);
    const ip = `10.205.251.${this.n}`;
    const pod = { name, ns, ip, veth };
    this.pods.push(pod);
    await runCommand('ip', ['netns', 'add', ns]);
    await runCommand('ip', ['link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
    await runCommand('ip', ['link', 'set', veth, 'up']);
    await runCommand('ip', ['route', 'add', `${ip}/32`, 'dev', veth, 'src', this.gateway]);
    await this.exec(pod, ['ip', 'addr', 'add', `${ip}/32`, 'dev', 'eth0']);
    await this.exec(pod, ['ip', 'link', 'set', 'eth0', 'up']);
    await this.exec(pod, ['ip', 'link', 'set', 'lo', 'up']);
    await this.exec(pod, ['ip', 'route', 'add', 'default', 'dev', 'eth0']);
    return pod;
  }

  /**
   * busybox httpd in the pod on `port`, answering `body` at / and `body CLIENT-IP` at /cgi-bin/who
   * (the address the connection came from, as the pod sees it). Resolves once it accepts connections.
   */
  async serve(pod: NetnsPod, port: number, body: string): Promise<void> {
    const root = join(this.dir, `${pod.name}-${port}`);
    mkdirSync(join(root, 'cgi-bin'), { recursive: true });
    writeFileSync(join(root, 'index.html'), body);
    writeFileSync(join(root, 'cgi-bin', 'who'), `#!/bin/sh\nprintf 'Content-Type: text/plain\\r\\n\\r\\n'\na=\${REMOTE_ADDR#\\[::ffff:}\necho "${body} \${a%]}"\n`, { mode: 0o755 });
    const p = spawn('ip', ['netns', 'exec', pod.ns, 'busybox', 'httpd', '-f', '-p', String(port), '-h', root], { stdio: 'ignore' });
    this.procs.push(p);
    const until = Date.now() + 10_000;
    for (;;) {
      const r = await this.exec(pod, ['busybox', 'timeout', '2', 'wget', '-qO-', `http://127.0.0.1:${port}/`], false);
      if (r.code === 0 && r.stdout === body) return;
      if (Date.now() > until) throw new Error(`httpd in ${pod.ns}:${port} did not start: ${r.stderr}`);
      await new Promise((res) => setTimeout(res, 50));
    }
  }

  exec(pod: NetnsPod, argv: string[], check = true): Promise<CommandResult> {
    return runCommand('ip', ['netns', 'exec', pod.ns, ...argv], { check, timeoutMs: 20_000 });
  }

  /** `busybox timeout 5 wget -qO- URL` from the pod. */
  wget(pod: NetnsPod, url: string): Promise<CommandResult> {
    return this.exec(pod, ['busybox', 'timeout', '5', 'wget', '-qO-', url], false);
  }

  async remove(): Promise<void> {
    for (const p of this.procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    for (const pod of this.pods) {
      await runCommand('ip', ['netns', 'del', pod.ns], { check: false });
      await runCommand('ip', ['link', 'del', pod.veth], { check: false });
    }
    if (this.bridgeMade) await runCommand('ip', ['link', 'del', this.bridge], { check: false });
    this.reservation.release();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Sets a sysctl for the duration of a test; returns the restore function. */
export function setSysctl(key: string, value: string): () => void {
  const path = `/proc/sys/${key.replace(/\./g, '/')}`;
  const before = execFileSync('cat', [path], { encoding: 'utf8' }).trim();
  writeFileSync(path, value);
  return () => writeFileSync(path, before);
}
