/**
 * The podman peer of bench/pod-startup: Debian's podman (installed with apt when missing), kept
 * apart from anything else on the machine and removed afterwards.
 *
 * - Private storage, run and tmp dirs, network config dir and containers.conf (CONTAINERS_CONF): the
 *   bench never touches /var/lib/containers or the default "podman" network (10.88.0.0/16, the same
 *   range as peapod's default pod CIDR).
 * - The network is a conflist written here, with what peapod's own pod network has: the CNI bridge
 *   plugin (gateway on the bridge, no masquerade) and host-local IPAM (data dir inside the private
 *   dir) on a free 10.203.N.0/24 and its own bridge. `podman network create` would add the portmap,
 *   firewall and tuning plugins, and the firewall plugin leaves CNI-FORWARD/CNI-ADMIN chains behind.
 * - runc (as peapod; Debian's podman defaults to crun, which fails on this host's hybrid cgroups) and
 *   the cgroupfs manager (no systemd). Rlimits are given explicitly: podman's defaults for root
 *   (nofile/nproc 1048576) fail here, root lacks CAP_SYS_RESOURCE.
 * - The busybox image is copied from peapod's example image archive with skopeo, so nothing is
 *   pulled; the first `kube play` (warm-up, not measured) builds podman's local pause image.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PlayResult {
  /** ms from the start of `podman kube play` until it returned */
  returnedMs: number;
  /** per pod: ms from the start of `podman kube play` until its container's State.StartedAt */
  startedMs: Map<string, number>;
}

function run(cmd: string, args: string[], env?: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { env: env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
    p.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
    p.once('error', reject);
    p.once('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

/** `apt-get install -y podman` unless podman is already installed. */
export function ensurePodman(): string {
  try { return execFileSync('podman', ['--version'], { encoding: 'utf8' }).trim(); } catch { /* not installed */ }
  execFileSync('apt-get', ['install', '-y', 'podman'], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  return execFileSync('podman', ['--version'], { encoding: 'utf8' }).trim();
}

/** A 10.203.N.0/24 subnet and bridge name that nothing on this machine uses. */
function freeNet(): { n: number; subnet: string; bridge: string } {
  const used = execFileSync('ip', ['-4', '-o', 'addr'], { encoding: 'utf8' }) + execFileSync('ip', ['-4', 'route'], { encoding: 'utf8' }) + execFileSync('ip', ['-o', 'link'], { encoding: 'utf8' });
  const start = Math.floor(Math.random() * 250);
  for (let i = 0; i < 250; i++) {
    const n = 1 + ((start + i) % 250);
    if (!used.includes(`10.203.${n}.`) && !used.includes(`ppbench${n}:`)) return { n, subnet: `10.203.${n}.0/24`, bridge: `ppbench${n}` };
  }
  throw new Error('no free 10.203.N.0/24 subnet');
}

/**
 * Where podman's cgroupfs manager puts pods and conmons: it leaves `libpod_parent/conmon` and, in the
 * `name=systemd` and unified hierarchies, the pods' dirs behind. Nothing else on this machine uses it.
 */
const CGROUP_PARENT = 'libpod_parent';

/** rmdir depth-first (cgroup dirs hold only the kernel's files; an rmdir fails while a process is in one). */
function removeCgroupTree(dir: string): void {
  if (!existsSync(dir)) return;
  for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) removeCgroupTree(join(dir, e.name));
  rmdirSync(dir);
}

export class PodmanPeer {
  readonly dir: string;
  readonly network: string;
  readonly bridge: string;
  readonly subnet: string;
  private readonly env: NodeJS.ProcessEnv;
  private readonly globalArgs: string[];
  private readonly hadCniCache = existsSync('/var/lib/cni');

  private constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'peapod-bench-podman-'));
    const net = freeNet();
    this.network = `peapod-bench-${net.n}`;
    this.bridge = net.bridge;
    this.subnet = net.subnet;
    for (const d of ['root', 'run', 'tmp', 'net', 'cni']) mkdirSync(join(this.dir, d));
    const nofile = execFileSync('sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).trim();
    writeFileSync(join(this.dir, 'containers.conf'), [
      '[containers]',
      `default_ulimits = ["nofile=${nofile}:${nofile}", "nproc=4096:4096"]`,
      '[network]',
      'network_backend = "cni"',
      'cni_plugin_dirs = ["/usr/lib/cni"]',
      '[engine]',
      'runtime = "runc"',
      'cgroup_manager = "cgroupfs"',
      'events_logger = "none"',
      '',
    ].join('\n'));
    const gateway = net.subnet.replace(/0\/24$/, '1');
    writeFileSync(join(this.dir, 'net', `${this.network}.conflist`), JSON.stringify({
      cniVersion: '0.4.0', name: this.network,
      plugins: [{
        type: 'bridge', bridge: this.bridge, isGateway: true, ipMasq: false, hairpinMode: true,
        ipam: { type: 'host-local', ranges: [[{ subnet: net.subnet, gateway }]], routes: [{ dst: '0.0.0.0/0' }], dataDir: join(this.dir, 'cni') },
      }],
    }, null, 2));
    this.env = { ...process.env, CONTAINERS_CONF: join(this.dir, 'containers.conf') };
    this.globalArgs = ['--root', join(this.dir, 'root'), '--runroot', join(this.dir, 'run'), '--tmpdir', join(this.dir, 'tmp'), '--network-config-dir', join(this.dir, 'net')];
  }

  /** A private podman set-up with `image` (from the OCI archive `archive`, reference name `refName`). */
  static async create(archive: string, refName: string, image: string): Promise<PodmanPeer> {
    const p = new PodmanPeer();
    try {
      const store = `containers-storage:[overlay@${join(p.dir, 'root')}+${join(p.dir, 'run')}]${image}`;
      const r = await run('skopeo', ['copy', '--quiet', `oci-archive:${archive}:${refName}`, store], p.env);
      if (r.code !== 0) throw new Error(`skopeo copy: ${r.stderr.trim()}`);
    } catch (e) {
      await p.cleanup();
      throw e;
    }
    return p;
  }

  /** Marker to find this set-up's conmon processes by their command line. */
  get marker(): string { return join(this.dir, 'root'); }

  async podman(args: string[]): Promise<string> {
    const r = await run('podman', [...this.globalArgs, ...args], this.env);
    if (r.code !== 0) throw new Error(`podman ${args.join(' ')}: ${r.stderr.trim()}`);
    return r.stdout;
  }

  /** `podman kube play` of a multi-document manifest; when each pod's container started. */
  async play(file: string, pods: Array<{ pod: string; container: string }>): Promise<PlayResult> {
    const t0 = Date.now();
    const p0 = performance.now();
    await this.podman(['kube', 'play', '--network', this.network, file]);
    const returnedMs = performance.now() - p0;
    const names = pods.map((p) => `${p.pod}-${p.container}`);
    const inspected = JSON.parse(await this.podman(['inspect', '--type', 'container', ...names])) as Array<{ Name: string; State: { Running: boolean; StartedAt: string } }>;
    const startedMs = new Map<string, number>();
    for (const p of pods) {
      const c = inspected.find((i) => i.Name === `${p.pod}-${p.container}`);
      if (!c?.State.Running) throw new Error(`podman: container ${p.pod}-${p.container} is not running`);
      startedMs.set(p.pod, Date.parse(c.State.StartedAt) - t0);
    }
    return { returnedMs, startedMs };
  }

  async down(file: string): Promise<void> {
    await this.podman(['kube', 'play', '--down', file]);
  }

  /** Removes every pod, the bridge, the CNI cache entries, podman's cgroups and the private dirs. */
  async cleanup(): Promise<void> {
    const errors: string[] = [];
    const attempt = async (what: string, fn: () => Promise<unknown> | unknown) => {
      try { await fn(); } catch (e) { errors.push(`${what}: ${e instanceof Error ? e.message : String(e)}`); }
    };
    await attempt('pod rm', () => this.podman(['pod', 'rm', '-af', '-t', '0']));
    await attempt('rm', () => this.podman(['rm', '-af', '-t', '0']));
    await attempt('unmount', () => {
      const mounts = execFileSync('sh', ['-c', 'cat /proc/self/mountinfo'], { encoding: 'utf8' }).split('\n').map((l) => l.split(' ')[4]).filter((m): m is string => !!m && m.startsWith(this.dir));
      for (const m of mounts.sort().reverse()) execFileSync('umount', ['-l', m]);
    });
    await attempt('bridge', async () => { await run('ip', ['link', 'del', this.bridge]); });
    await attempt('cni cache', () => {
      if (!this.hadCniCache) { rmSync('/var/lib/cni', { recursive: true, force: true }); return; }
      rmSync(join('/var/lib/cni/networks', this.network), { recursive: true, force: true });
      const results = '/var/lib/cni/results';
      if (existsSync(results)) for (const f of readdirSync(results)) if (f.startsWith(`${this.network}-`)) rmSync(join(results, f), { force: true });
    });
    await attempt('cgroups', () => {
      for (const h of readdirSync('/sys/fs/cgroup')) removeCgroupTree(join('/sys/fs/cgroup', h, CGROUP_PARENT));
    });
    await attempt('dirs', () => rmSync(this.dir, { recursive: true, force: true }));
    if (errors.length) throw new Error(`podman clean-up: ${errors.join('; ')}`);
  }
}
