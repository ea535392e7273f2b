/**
 * The OCI implementation of the Runtime interface: runc (or crun) under conmon, overlayfs root
 * file systems, cgroup v1 resources under /peapod/<podUid>/<containerId>, pinned pod namespaces
 * and CNI networking.
 *
 * All state lives on disk (see paths.ts): sandbox and container records, runc's state, conmon's
 * exit files. Nothing is kept only in memory, so a new instance (after an agent restart) sees and
 * manages every sandbox and container an earlier one made; running containers are re-adopted as
 * they are (conmon is their parent, not this process).
 *
 * Container lifecycle:
 *
 *   createContainer ─► created ──startContainer──► running ──(exit file appears)──► exited
 *        (overlay, config.json, conmon + runc create)     │ stopContainer: signal, wait, SIGKILL
 *                                                         ▼
 *                      removeContainer: SIGKILL if needed, runc delete, unmount, rm bundle,
 *                      exit file, attach link, cgroups (leaf, then empty parents)
 *
 * Exec: without a terminal `runc exec` runs in the foreground with our pipes as its stdio; with a
 * terminal conmon's exec mode (`--exec --exec-attach -t`) owns the pty and we join its attach
 * socket (through the Perl SOCK_SEQPACKET relay) and send resizes through the session's ctl FIFO,
 * as CRI-O's conmon-based exec does. Attach uses the container's own attach socket the same way.
 */
import { randomBytes } from 'node:crypto';
import { watch, closeSync, constants as fsc, existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { hostname as osHostname } from 'node:os';
import { dirname, join } from 'node:path';
import { spawn } from 'node:child_process';
import { PassThrough, type Writable } from 'node:stream';
import type { BridgeNetwork } from '../../network/cni/bridge-network.js';
import { logger } from '../../util/log.js';
import {
  NotFoundError, RuntimeError,
  type AttachOptions, type ContainerConfig, type ContainerFilter, type ContainerStatus, type ExecOptions,
  type ExecSyncResult, type PodSandboxConfig, type PodSandboxStatus, type Runtime, type SandboxFilter, type TerminalSize,
} from '../runtime.js';
import { oomKillCount, removeCgroupIfEmpty, removeCgroupTree } from './cgroups.js';
import { conmonCreate, conmonExec } from './conmon.js';
import { KeyedMutex } from './keyed-mutex.js';
import { mountOverlay, onOtherDevice, unmountAll } from './mounts.js';
import { pidNamespaceOf } from './pid-namespace.js';
import { initAlive, pinNamespaces, processStartTime, releaseNamespace, startPidNamespaceInit, stopPidNamespaceInit } from './namespaces.js';
import { OciBinary, type OciRuntimeKind } from './oci-binary.js';
import { generateSpec, type OciSpec } from './oci-spec.js';
import { RuntimePaths } from './paths.js';
import { listIds, readRecord, writeRecord, type ContainerRecord, type SandboxRecord } from './records.js';
import { RecordIndex } from './record-index.js';
import { relayAttachSocket } from './seqpacket-relay.js';
import { waitForFile } from './wait-file.js';

const log = logger('runtime-oci');

export interface OciRuntimeOptions {
  /** State directory, e.g. DATA/runtime. Required. */
  dataDir: string;
  /** Pod network; required unless every pod uses hostNetwork. */
  network?: BridgeNetwork;
  /** 'runc' (default) or 'crun' (through the hybrid-cgroup wrapper). */
  ociRuntime?: OciRuntimeKind;
  /** Path of the runtime binary; default /usr/sbin/runc or /usr/bin/crun. */
  runtimePath?: string;
  /** Default /usr/bin/conmon. */
  conmonPath?: string;
  /** Init of shared PID namespaces; default /usr/bin/catatonit. */
  catatonitPath?: string;
  /** cgroup v1 parent of all pods; default /peapod. */
  cgroupParent?: string;
  /** How long a SIGKILLed container may take to be reported exited; default 10 s. */
  killWaitSeconds?: number;
}

const newId = () => randomBytes(32).toString('hex');
const DEFAULT_HOSTS = '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n';
const SIGNALS = new Set(['HUP', 'INT', 'QUIT', 'ILL', 'TRAP', 'ABRT', 'BUS', 'FPE', 'KILL', 'USR1', 'SEGV', 'USR2', 'PIPE', 'ALRM', 'TERM', 'STKFLT', 'CHLD', 'CONT', 'STOP', 'TSTP', 'TTIN', 'TTOU', 'URG', 'XCPU', 'XFSZ', 'VTALRM', 'PROF', 'WINCH', 'IO', 'PWR', 'SYS']);

function stopSignal(name: string | undefined): string {
  if (!name) return 'TERM';
  const s = name.toUpperCase().replace(/^SIG/, '');
  if (SIGNALS.has(s) || /^\d+$/.test(s) || /^RTM(IN|AX)([+-]\d+)?$/.test(s)) return s;
  throw new RuntimeError(`unknown stop signal ${JSON.stringify(name)}`);
}

/** Writes one control line to a conmon ctl FIFO (type 1 = resize, 2 = reopen logs). */
function writeCtl(fifo: string, line: string): void {
  const fd = openSync(fifo, fsc.O_WRONLY | fsc.O_NONBLOCK);
  try { writeSync(fd, line); } finally { closeSync(fd); }
}

async function forwardResizes(fifo: string, sizes: AsyncIterable<TerminalSize> | undefined, until: Promise<unknown>): Promise<void> {
  if (!sizes) return;
  let over = false;
  until.then(() => { over = true; }, () => { over = true; });
  for await (const s of sizes) {
    if (over) break;
    try { writeCtl(fifo, `1 ${Math.trunc(s.height)} ${Math.trunc(s.width)}\n`); } catch (e) { log.debug('resize dropped', { err: e }); }
  }
}

export class OciRuntime implements Runtime {
  readonly paths: RuntimePaths;
  private readonly binary: OciBinary;
  private readonly conmon: string;
  private readonly catatonit: string;
  private readonly cgroupParent: string;
  private readonly killWaitMs: number;
  private readonly lock = new KeyedMutex();
  /** What never changes in a record (owner, labels, name), so that a list reads only the records it returns. */
  private readonly sandboxIndex = new RecordIndex((id) => {
    const r = readRecord<SandboxRecord>(this.paths.sandboxRecord(id));
    return r && { owner: r.config.uid, labels: r.config.labels };
  }, () => listIds(this.paths.sandboxesDir));
  private readonly containerIndex = new RecordIndex((id) => {
    const r = readRecord<ContainerRecord>(this.paths.containerRecord(id));
    return r && { owner: r.sandboxId, labels: r.labels, name: r.config.name };
  }, () => listIds(this.paths.containersDir));

  constructor(private readonly opts: OciRuntimeOptions) {
    if (!opts.dataDir) throw new RuntimeError('OciRuntime: dataDir is required');
    this.paths = new RuntimePaths(opts.dataDir);
    for (const d of [this.paths.exitDir, this.paths.attachDir, this.paths.sandboxesDir, this.paths.containersDir, this.paths.execDir]) {
      mkdirSync(d, { recursive: true });
    }
    this.binary = new OciBinary(opts.ociRuntime ?? 'runc', opts.dataDir, opts.runtimePath);
    this.conmon = opts.conmonPath ?? '/usr/bin/conmon';
    this.catatonit = opts.catatonitPath ?? '/usr/bin/catatonit';
    this.cgroupParent = (opts.cgroupParent ?? '/peapod').replace(/\/+$/, '');
    this.killWaitMs = (opts.killWaitSeconds ?? 10) * 1000;
    this.sweepExecSessions();
  }

  /**
   * Call once when the agent starts: makes sure the traffic guard is in place before any adopted
   * pod sends again (after a reboot the nftables table is gone while records remain).
   */
  async start(): Promise<void> {
    if (this.opts.network) await this.opts.network.setup();
  }

  /** Removes exec session dirs that an earlier instance left behind (it died mid-exec). */
  private sweepExecSessions(): void {
    const alive = (file: string) => {
      try {
        const pid = Number(readFileSync(file, 'utf8').trim());
        return pid > 0 && existsSync(`/proc/${pid}`);
      } catch {
        return false;
      }
    };
    for (const id of listIds(this.paths.execDir)) {
      const dir = this.paths.execSession(id);
      try {
        if (alive(join(dir, 'conmon.pid')) || alive(join(dir, 'pid'))) continue;
        if (Date.now() - statSync(dir).mtimeMs < 60_000) continue; // being set up right now
        rmSync(dir, { recursive: true, force: true });
        rmSync(this.paths.attachLink(id), { force: true });
      } catch { /* raced with its owner */ }
    }
  }

  // ───────────────────────────── sandboxes ─────────────────────────────

  private sandboxRecord(id: string): SandboxRecord {
    const r = readRecord<SandboxRecord>(this.paths.sandboxRecord(id));
    if (!r) throw new NotFoundError('sandbox', id);
    return r;
  }

  async runPodSandbox(config: PodSandboxConfig): Promise<string> {
    for (const k of ['name', 'namespace', 'uid'] as const) {
      if (!config[k]) throw new RuntimeError(`runPodSandbox: config.${k} is required`);
    }
    if (!config.hostNetwork && !/^[a-z0-9]([-a-z0-9.]{0,62})$/i.test(config.hostname ?? '')) {
      throw new RuntimeError(`runPodSandbox: invalid hostname ${JSON.stringify(config.hostname)}`);
    }
    if (!config.hostNetwork && !this.opts.network) throw new RuntimeError('runPodSandbox: no pod network configured (only hostNetwork pods can run)');
    const id = newId();
    const p = this.paths;
    const rec: SandboxRecord = {
      id, config, createdAt: new Date().toISOString(), state: 'notready',
      hostname: config.hostNetwork ? osHostname() : config.hostname,
      portMappings: config.hostNetwork ? [] : (config.portMappings ?? []),
      netns: config.hostNetwork ? undefined : p.sandboxNs(id, 'net'),
      ipcns: config.hostIPC ? undefined : p.sandboxNs(id, 'ipc'),
      utsns: config.hostNetwork ? undefined : p.sandboxNs(id, 'uts'),
      shmDir: config.hostIPC ? '/dev/shm' : p.sandboxShm(id),
    };
    return this.lock.run(`s:${id}`, async () => {
      writeRecord(p.sandboxRecord(id), rec);
      try {
        // One launch: namespaces, hostname, lo up (instead of the CNI loopback plugin) and /dev/shm.
        const size = config.shmSizeBytes ?? 64 * 1024 * 1024;
        await pinNamespaces({ net: rec.netns, ipc: rec.ipcns, uts: rec.utsns }, rec.hostname, {
          loopbackUp: rec.netns !== undefined,
          tmpfs: config.hostIPC ? undefined : { target: rec.shmDir, options: `mode=1777,size=${size},nosuid,nodev,noexec` },
        });
        writeFileSync(p.sandboxFile(id, 'resolv.conf'), config.resolvConf ?? '');
        writeFileSync(p.sandboxFile(id, 'hostname'), `${rec.hostname}\n`);
        if (config.shareProcessNamespace && !config.hostPID) {
          rec.init = await startPidNamespaceInit(this.catatonit);
        }
        writeRecord(p.sandboxRecord(id), rec);
        if (rec.netns) {
          const attached = await this.opts.network!.attach(id, rec.netns, rec.portMappings, { loopbackUp: true });
          rec.ip = attached.ip;
          rec.cniResult = attached.result;
        }
        writeFileSync(p.sandboxFile(id, 'hosts'), config.hostsFile
          ?? (DEFAULT_HOSTS + (rec.ip ? `${rec.ip}\t${rec.hostname}\n` : '')));
        rec.state = 'ready';
        writeRecord(p.sandboxRecord(id), rec);
        log.info('sandbox ready', { sandbox: id.slice(0, 12), pod: `${config.namespace}/${config.name}`, ip: rec.ip });
        return id;
      } catch (e) {
        await this.teardownSandbox(rec).catch((err) => log.warn('sandbox cleanup failed', { sandbox: id, err }));
        rmSync(p.sandboxDir(id), { recursive: true, force: true });
        throw e instanceof RuntimeError ? e : new RuntimeError(`runPodSandbox ${config.namespace}/${config.name}: ${(e as Error).message}`, e);
      }
    });
  }

  /** Network, init and network namespace (what stop releases). */
  private async stopSandboxParts(rec: SandboxRecord): Promise<void> {
    stopPidNamespaceInit(rec.init);
    if (rec.netns && this.opts.network && !rec.networkDetached) {
      await this.opts.network.detach(rec.id, rec.netns, rec.portMappings, rec.cniResult);
      rec.networkDetached = true; // the caller writes the record; a pod removal used to run the DEL chain 3 times
    }
    await releaseNamespace(rec.netns);
  }

  /** Everything a sandbox holds on the host. */
  private async teardownSandbox(rec: SandboxRecord): Promise<void> {
    await this.stopSandboxParts(rec);
    await releaseNamespace(rec.ipcns);
    await releaseNamespace(rec.utsns);
    if (!rec.config.hostIPC) await unmountAll(rec.shmDir);
  }

  async stopPodSandbox(id: string): Promise<void> {
    // notready first, so no container can be created while the others are being stopped.
    const found = await this.lock.run(`s:${id}`, async () => {
      const cur = readRecord<SandboxRecord>(this.paths.sandboxRecord(id));
      if (!cur) return false;
      cur.state = 'notready';
      writeRecord(this.paths.sandboxRecord(id), cur);
      return true;
    });
    if (!found) return;
    for (const c of await this.listContainers({ sandboxId: id })) {
      if (c.state === 'running' || c.state === 'created') await this.stopContainer(c.id, 0);
    }
    await this.lock.run(`s:${id}`, async () => {
      const cur = this.sandboxRecord(id);
      await this.stopSandboxParts(cur);
      delete cur.ip;
      writeRecord(this.paths.sandboxRecord(id), cur);
    });
  }

  async removePodSandbox(id: string): Promise<void> {
    const rec = readRecord<SandboxRecord>(this.paths.sandboxRecord(id));
    if (!rec) return;
    await this.stopPodSandbox(id);
    for (const c of await this.listContainers({ sandboxId: id })) await this.removeContainer(c.id);
    await this.lock.run(`s:${id}`, async () => {
      const cur = readRecord<SandboxRecord>(this.paths.sandboxRecord(id));
      if (!cur) return;
      await this.teardownSandbox(cur);
      rmSync(this.paths.sandboxDir(id), { recursive: true, force: true });
      removeCgroupIfEmpty(this.podCgroup(cur.config.uid));
    });
  }

  async podSandboxStatus(id: string): Promise<PodSandboxStatus> {
    return this.sandboxStatusOf(this.sandboxRecord(id));
  }

  private sandboxStatusOf(rec: SandboxRecord): PodSandboxStatus {
    let state = rec.state;
    // A sandbox whose pinned namespaces or shared init are gone cannot run containers.
    // (After a reboot the files are still there but no longer mounted: then they are plain files on the
    // state dir's file system, while a pinned namespace is an nsfs mount, another device.)
    if (state === 'ready') {
      const pinned = [rec.netns, rec.ipcns, rec.utsns].every((f) => !f || onOtherDevice(f));
      if (!pinned || (rec.init && !initAlive(rec.init))) state = 'notready';
    }
    return { id: rec.id, config: rec.config, state, ip: rec.ip, createdAt: new Date(rec.createdAt), netnsPath: rec.netns };
  }

  async listPodSandboxes(filter: SandboxFilter = {}): Promise<PodSandboxStatus[]> {
    const out: PodSandboxStatus[] = [];
    for (const id of this.sandboxIndex.ids(filter.podUid || undefined, filter.labels)) {
      const rec = readRecord<SandboxRecord>(this.paths.sandboxRecord(id));
      if (!rec) continue;
      const s = this.sandboxStatusOf(rec);
      if (filter.state && s.state !== filter.state) continue;
      out.push(s);
    }
    return out.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  }

  // ───────────────────────────── containers ─────────────────────────────

  private podCgroup(podUid: string): string {
    return `${this.cgroupParent}/${podUid.replace(/[^A-Za-z0-9_.-]/g, '_')}`;
  }

  private containerRecord(id: string): ContainerRecord {
    const r = readRecord<ContainerRecord>(this.paths.containerRecord(id));
    if (!r) throw new NotFoundError('container', id);
    return r;
  }

  async createContainer(sandboxId: string, config: ContainerConfig): Promise<string> {
    if (!config.name) throw new RuntimeError('createContainer: config.name is required');
    if (!config.logPath || !config.logPath.startsWith('/')) throw new RuntimeError('createContainer: config.logPath must be an absolute path');
    if (!config.lowerDirs?.length) throw new RuntimeError('createContainer: config.lowerDirs must name at least one layer directory');
    return this.lock.run(`s:${sandboxId}`, async () => {
      const sb = this.sandboxRecord(sandboxId);
      if (sb.state !== 'ready') throw new RuntimeError(`createContainer: sandbox ${sandboxId} is not ready`);
      const id = newId();
      const bundle = this.paths.bundle(id);
      const rootfs = join(bundle, 'rootfs');
      const rec: ContainerRecord = {
        id, sandboxId, podUid: sb.config.uid, config,
        cgroupsPath: `${this.podCgroup(sb.config.uid)}/${id}`,
        createdAt: new Date().toISOString(),
        // The labels and annotations the kubelet puts on CRI containers.
        labels: {
          'io.kubernetes.pod.name': sb.config.name,
          'io.kubernetes.pod.namespace': sb.config.namespace,
          'io.kubernetes.pod.uid': sb.config.uid,
          'io.kubernetes.container.name': config.name,
          ...(config.labels ?? {}),
        },
        annotations: {
          'io.kubernetes.container.restartCount': String(config.attempt ?? 0),
          ...(config.annotations ?? {}),
        },
      };
      mkdirSync(bundle, { recursive: true });
      writeRecord(this.paths.containerRecord(id), rec);
      try {
        await mountOverlay({ lowerDirs: config.lowerDirs, upper: join(bundle, 'upper'), work: join(bundle, 'work'), merged: rootfs });
        const spec: OciSpec = generateSpec({
          id, config, rootfs, cgroupsPath: rec.cgroupsPath,
          annotations: { ...rec.labels, ...rec.annotations, 'io.kubernetes.cri.sandbox-id': sandboxId },
          sandbox: {
            hostname: sb.hostname,
            netns: sb.netns, ipcns: sb.ipcns, utsns: sb.utsns,
            pidns: pidNamespaceOf({
              hostPID: sb.config.hostPID === true,
              ...(sb.init ? { sharedInitPid: sb.init.pid } : {}),
              ...(await this.targetPid(sb, config)),
            }),
            shmDir: sb.shmDir,
            hostsFile: this.paths.sandboxFile(sandboxId, 'hosts'),
            resolvConf: this.paths.sandboxFile(sandboxId, 'resolv.conf'),
            hostnameFile: this.paths.sandboxFile(sandboxId, 'hostname'),
          },
        });
        if (sb.init && !initAlive(sb.init)) throw new RuntimeError('the pod\'s shared PID namespace init is gone');
        writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec, null, 1));
        mkdirSync(dirname(config.logPath), { recursive: true });
        rec.pid = await conmonCreate({
          conmon: this.conmon, binary: this.binary, containerId: id, sessionId: id, name: config.name,
          bundle, pidFile: join(bundle, 'pid'), conmonPidFile: join(bundle, 'conmon.pid'),
          logPath: config.logPath, exitDir: this.paths.exitDir, socketDir: this.paths.attachDir,
          stdin: config.stdin === true, tty: config.tty === true,
          leaveStdinOpen: config.stdin === true && !config.stdinOnce,
        });
        const conmonPid = Number(readFileSync(join(bundle, 'conmon.pid'), 'utf8').trim());
        const conmonStart = processStartTime(conmonPid);
        if (conmonStart) rec.conmon = { pid: conmonPid, startTime: conmonStart };
        writeRecord(this.paths.containerRecord(id), rec);
        log.info('container created', { container: id.slice(0, 12), name: config.name, sandbox: sandboxId.slice(0, 12) });
        return id;
      } catch (e) {
        await this.destroyContainer(rec).catch((err) => log.warn('container cleanup failed', { container: id, err }));
        throw e instanceof RuntimeError ? e : new RuntimeError(`createContainer ${config.name}: ${(e as Error).message}`, e);
      }
    });
  }

  /**
   * The host pid of `config.pidNamespaceTarget` (a running container of this sandbox), when the
   * container's PID namespace is the target's: not with hostPID or a shared PID namespace.
   */
  private async targetPid(sb: SandboxRecord, config: ContainerConfig): Promise<{ targetPid?: number }> {
    const targetId = config.pidNamespaceTarget;
    if (!targetId || sb.config.hostPID || sb.init) return {};
    const target = readRecord<ContainerRecord>(this.paths.containerRecord(targetId));
    if (!target || target.sandboxId !== sb.id) throw new RuntimeError(`target container ${targetId} is not a container of sandbox ${sb.id}`);
    const st = await this.statusOf(target);
    if (st.state !== 'running' || st.pid === undefined) throw new RuntimeError(`target container ${target.config.name} (${targetId}) is not running`);
    return { targetPid: st.pid };
  }

  async startContainer(id: string): Promise<void> {
    await this.lock.run(`c:${id}`, async () => {
      const rec = this.containerRecord(id);
      if (rec.startedAt) throw new RuntimeError(`container ${id} was already started`);
      rec.startedAt = new Date().toISOString();
      try {
        await this.binary.start(id);
      } catch (e) {
        delete rec.startedAt;
        throw new RuntimeError(`startContainer ${rec.config.name}: ${(e as Error).message}`, e);
      }
      writeRecord(this.paths.containerRecord(id), rec);
    });
  }

  /** Turns an exit file into a final status (once), reading the OOM-kill counter before the cgroup goes. */
  private finalize(rec: ContainerRecord): ContainerRecord {
    if (rec.finishedAt) return rec;
    const exitFile = this.paths.exitFile(rec.id);
    let text: string;
    try { text = readFileSync(exitFile, 'utf8').trim(); } catch { return rec; }
    const code = Number(text);
    rec.exitCode = Number.isInteger(code) ? code : -1;
    rec.finishedAt = statSync(exitFile).mtime.toISOString();
    // Two witnesses: the memory cgroup's oom_kill counter, and conmon's `oom` marker (its eventfd on memory.oom_control).
    if (oomKillCount(rec.cgroupsPath) > 0 || existsSync(join(this.paths.bundle(rec.id), 'oom'))) {
      rec.reason = 'OOMKilled';
      rec.message = 'the container exceeded its memory limit and was killed by the kernel';
    } else {
      rec.reason = rec.exitCode === 0 ? 'Completed' : 'Error';
    }
    if (!rec.startedAt) rec.startedAt = rec.finishedAt; // killed before it was started
    writeRecord(this.paths.containerRecord(rec.id), rec);
    return rec;
  }

  /** conmon of a container is alive (same pid and start time as recorded at create). */
  private conmonAlive(rec: ContainerRecord): boolean {
    return rec.conmon !== undefined && initAlive(rec.conmon);
  }

  private async statusOf(rec: ContainerRecord): Promise<ContainerStatus> {
    rec = this.finalize(rec);
    const base: ContainerStatus = {
      id: rec.id, sandboxId: rec.sandboxId, name: rec.config.name, attempt: rec.config.attempt ?? 0,
      state: 'unknown', createdAt: new Date(rec.createdAt),
      startedAt: rec.startedAt ? new Date(rec.startedAt) : undefined,
      finishedAt: rec.finishedAt ? new Date(rec.finishedAt) : undefined,
      exitCode: rec.exitCode, reason: rec.reason, message: rec.message,
      imageRef: rec.config.imageRef, logPath: rec.config.logPath,
      labels: rec.labels, annotations: rec.annotations,
    };
    if (rec.finishedAt) return { ...base, state: 'exited' };
    if (rec.pid === undefined) return base; // creation did not finish
    const live = rec.startedAt ? 'running' : 'created';
    // conmon alive and no exit file: the process runs (or conmon is still draining its output).
    // This needs no `runc state` call, so listing many containers stays cheap.
    if (this.conmonAlive(rec)) return { ...base, state: live, pid: rec.pid };
    if (this.finalize(rec).finishedAt) return this.statusOf(rec); // exit file written just now
    const st = await this.binary.state(rec.id);
    if (st && (st.status === 'running' || st.status === 'created' || st.status === 'paused')) {
      // The monitor is gone (killed) but the container still runs; its output is no longer logged.
      return { ...base, state: live, pid: st.pid || rec.pid, message: 'the container monitor (conmon) is gone; output is not logged' };
    }
    // conmon is gone without an exit file: the exit code is lost.
    rec.finishedAt = new Date().toISOString();
    rec.exitCode = 255;
    rec.reason = 'Error';
    rec.message = 'the container monitor (conmon) exited without recording the exit code';
    if (!rec.startedAt) rec.startedAt = rec.finishedAt;
    writeRecord(this.paths.containerRecord(rec.id), rec);
    return this.statusOf(rec);
  }

  async containerStatus(id: string): Promise<ContainerStatus> {
    return this.statusOf(this.containerRecord(id));
  }

  async listContainers(filter: ContainerFilter = {}): Promise<ContainerStatus[]> {
    const out: ContainerStatus[] = [];
    for (const id of this.containerIndex.ids(filter.sandboxId || undefined, filter.labels, filter.name || undefined)) {
      const rec = readRecord<ContainerRecord>(this.paths.containerRecord(id));
      if (!rec) continue;
      const s = await this.statusOf(rec);
      if (filter.state && s.state !== filter.state) continue;
      out.push(s);
    }
    return out.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  }

  async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    await this.lock.run(`c:${id}`, async () => {
      const rec = this.containerRecord(id);
      const status = await this.statusOf(rec);
      if (status.state === 'exited' || status.state === 'unknown') return;
      const exitFile = this.paths.exitFile(id);
      if (timeoutSeconds > 0 && status.state === 'running') {
        await this.binary.kill(id, stopSignal(rec.config.image?.stopSignal));
        if (await waitForFile(exitFile, timeoutSeconds * 1000)) { this.finalize(rec); return; }
        log.info('container ignored its stop signal; killing', { container: id.slice(0, 12), timeoutSeconds });
      }
      await this.binary.kill(id, 'KILL', true);
      if (!await waitForFile(exitFile, this.killWaitMs)) {
        throw new RuntimeError(`stopContainer ${rec.config.name}: no exit within ${this.killWaitMs / 1000}s of SIGKILL`);
      }
      this.finalize(rec);
    });
  }

  /** Removes everything a container holds on the host (no error for parts already gone). */
  private async destroyContainer(rec: ContainerRecord): Promise<void> {
    const id = rec.id;
    const bundle = this.paths.bundle(id);
    await this.binary.delete(id);
    await unmountAll(join(bundle, 'rootfs'));
    rmSync(bundle, { recursive: true, force: true });
    rmSync(this.paths.exitFile(id), { force: true });
    rmSync(this.paths.attachLink(id), { force: true });
    removeCgroupTree(rec.cgroupsPath);
    // The pod's cgroup goes once its last container went; while the sandbox is ready another
    // container may be created in it concurrently, so then it waits for removePodSandbox.
    const sb = readRecord<SandboxRecord>(this.paths.sandboxRecord(rec.sandboxId));
    if (!sb || sb.state !== 'ready') removeCgroupIfEmpty(this.podCgroup(rec.podUid));
  }

  async removeContainer(id: string): Promise<void> {
    await this.lock.run(`c:${id}`, async () => {
      const rec = readRecord<ContainerRecord>(this.paths.containerRecord(id));
      if (!rec) return;
      const status = await this.statusOf(rec);
      if (status.state === 'running' || status.state === 'created') {
        await this.binary.kill(id, 'KILL', true);
        await waitForFile(this.paths.exitFile(id), this.killWaitMs);
      }
      await this.destroyContainer(rec);
      log.info('container removed', { container: id.slice(0, 12), name: rec.config.name });
    });
  }

  // ───────────────────────────── exec / attach ─────────────────────────────

  private async runningSpec(id: string): Promise<{ rec: ContainerRecord; spec: OciSpec }> {
    const rec = this.containerRecord(id);
    const status = await this.statusOf(rec);
    if (status.state !== 'running') throw new RuntimeError(`container ${rec.config.name} is not running (${status.state})`);
    const spec = JSON.parse(readFileSync(join(this.paths.bundle(id), 'config.json'), 'utf8')) as OciSpec;
    return { rec, spec };
  }

  private execProcess(spec: OciSpec, cmd: string[], tty: boolean): Record<string, unknown> {
    if (!cmd.length) throw new RuntimeError('exec: empty command');
    const env = spec.process.env.filter((e) => !e.startsWith('TERM='));
    if (tty) env.push('TERM=xterm');
    return { ...spec.process, args: cmd, terminal: tty, env };
  }

  async exec(id: string, cmd: string[], options: ExecOptions): Promise<number> {
    const { spec } = await this.runningSpec(id);
    const execId = newId();
    const dir = this.paths.execSession(execId);
    mkdirSync(dir, { recursive: true });
    const processSpec = join(dir, 'process.json');
    writeFileSync(processSpec, JSON.stringify(this.execProcess(spec, cmd, options.tty === true)));
    try {
      return options.tty ? await this.execTerminal(id, execId, dir, processSpec, options) : await this.execPipes(id, dir, processSpec, options);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      rmSync(this.paths.attachLink(execId), { force: true });
    }
  }

  /** `runc exec` in the foreground, our pipes as the process's stdio. */
  private execPipes(id: string, dir: string, processSpec: string, o: ExecOptions): Promise<number> {
    const pidFile = join(dir, 'pid');
    const child = spawn(this.binary.path, [...this.binary.globalArgs, 'exec', '--pid-file', pidFile, '--process', processSpec, id], {
      stdio: [o.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
    if (o.stdin && child.stdin) {
      o.stdin.pipe(child.stdin);
      child.stdin.on('error', () => undefined);
    }
    const pipeOut = (from: NodeJS.ReadableStream, to: Writable | undefined) => {
      if (to) from.pipe(to, { end: false }); // with backpressure; the caller owns (and ends) its streams
      else from.resume();
    };
    pipeOut(child.stdout!, o.stdout);
    pipeOut(child.stderr!, o.stderr);
    let timedOut = false;
    const kill = () => {
      try {
        const pid = Number(readFileSync(pidFile, 'utf8').trim());
        if (pid > 0) process.kill(pid, 'SIGKILL');
      } catch { /* not started or gone */ }
      child.kill('SIGKILL');
    };
    const timer = o.timeoutSeconds ? setTimeout(() => { timedOut = true; kill(); }, o.timeoutSeconds * 1000) : undefined;
    o.signal?.addEventListener('abort', kill);
    if (o.signal?.aborted) kill();
    return new Promise((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code, signal) => {
        o.signal?.removeEventListener('abort', kill);
        if (timer) clearTimeout(timer);
        if (o.stdin) o.stdin.unpipe(child.stdin!);
        if (timedOut) reject(new ExecTimeoutError(o.timeoutSeconds!));
        else resolve(code ?? (signal ? 137 : 255));
      });
    });
  }

  /** conmon exec mode with a terminal; we join its attach socket and forward resizes to its ctl FIFO. */
  private async execTerminal(id: string, execId: string, dir: string, processSpec: string, o: ExecOptions): Promise<number> {
    mkdirSync(join(dir, 'exits'), { recursive: true });
    let relay: ReturnType<typeof relayAttachSocket> | undefined;
    const session = await conmonExec({
      conmon: this.conmon, binary: this.binary, containerId: id, sessionId: execId, name: execId,
      bundle: dir, pidFile: join(dir, 'pid'), conmonPidFile: join(dir, 'conmon.pid'),
      logPath: join(dir, 'exec.log'), exitDir: join(dir, 'exits'), socketDir: this.paths.attachDir,
      stdin: o.stdin !== undefined, tty: true, processSpec,
    }, async () => {
      relay = relayAttachSocket(dir, { stdin: o.stdin, stdout: o.stdout });
      await relay.connected;
    });
    // conmon has the pty master once it reported the pid; resizes before that would be dropped.
    const resizes = session.pid.then(() => forwardResizes(join(dir, 'ctl'), o.resize, session.exitCode));
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    const kill = () => { session.pid.then((pid) => { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }, () => undefined); };
    if (o.timeoutSeconds) {
      timer = setTimeout(() => { timedOut = true; kill(); }, o.timeoutSeconds * 1000);
    }
    o.signal?.addEventListener('abort', kill);
    if (o.signal?.aborted) kill();
    try {
      const code = await session.exitCode;
      // conmon drained the output before reporting; the socket closes when conmon exits.
      await Promise.race([relay!.done, new Promise((r) => setTimeout(r, 2000).unref())]);
      if (timedOut) throw new ExecTimeoutError(o.timeoutSeconds!);
      return code;
    } finally {
      o.signal?.removeEventListener('abort', kill);
      if (timer) clearTimeout(timer);
      relay?.close();
      void resizes.catch(() => undefined);
    }
  }

  async execSync(id: string, cmd: string[], timeoutSeconds: number): Promise<ExecSyncResult> {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    stdout.on('data', (b: Buffer) => out.push(b));
    stderr.on('data', (b: Buffer) => err.push(b));
    let exitCode = -1;
    let timedOut = false;
    try {
      exitCode = await this.exec(id, cmd, { stdout, stderr, timeoutSeconds: timeoutSeconds > 0 ? timeoutSeconds : undefined });
    } catch (e) {
      if (!(e instanceof ExecTimeoutError)) throw e;
      timedOut = true;
    }
    return { exitCode, stdout: Buffer.concat(out), stderr: Buffer.concat(err), timedOut };
  }

  async attach(id: string, options: AttachOptions): Promise<void> {
    const { rec } = await this.runningSpec(id);
    if (options.stdin && !rec.config.stdin) throw new RuntimeError(`container ${rec.config.name} was not created with stdin`);
    const bundle = this.paths.bundle(id);
    const relay = relayAttachSocket(bundle, { stdin: options.stdin, stdout: options.stdout, stderr: rec.config.tty ? options.stdout : options.stderr });
    await relay.connected;
    const onAbort = () => relay.close();
    options.signal?.addEventListener('abort', onAbort);
    const resizes = rec.config.tty ? forwardResizes(join(bundle, 'ctl'), options.resize, relay.done) : Promise.resolve();
    try {
      await relay.done;
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
      void resizes.catch(() => undefined);
    }
  }

  watchExits(listener: (containerId: string) => void): () => void {
    // conmon writes exits/<id> when a container's process ends (that is what --exit-dir is for).
    const watcher = watch(this.paths.exitDir, (_event, name) => {
      if (name && /^[0-9a-f]{64}$/.test(name) && existsSync(this.paths.exitFile(name))) listener(name);
    });
    watcher.on('error', (e) => log.warn('exit watch failed', { err: e }));
    return () => watcher.close();
  }

  async reopenContainerLog(id: string): Promise<void> {
    const { rec } = await this.runningSpec(id);
    try {
      writeCtl(join(this.paths.bundle(id), 'ctl'), '2 0 0\n');
    } catch (e) {
      throw new RuntimeError(`reopenContainerLog ${rec.config.name}: ${(e as Error).message}`, e);
    }
  }
}

export class ExecTimeoutError extends RuntimeError {
  constructor(readonly timeoutSeconds: number) {
    super(`exec timed out after ${timeoutSeconds}s`);
    this.name = 'ExecTimeoutError';
  }
}
