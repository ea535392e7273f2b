/**
 * The container runtime interface (CRI-like): pod sandboxes and their containers.
 *
 * A sandbox is the shared environment of one pod: a network namespace (CNI) or the host's,
 * pinned IPC and UTS namespaces (hostname = the pod's hostname), an optional shared PID namespace
 * held by a long-lived init, a per-pod /dev/shm, and the pod's /etc/hosts and /etc/resolv.conf.
 * Containers are created inside a sandbox and join its namespaces.
 *
 * Implementations: `oci/` (runc or crun under conmon, overlayfs, cgroups v1, CNI) and `sim/`.
 * Every implementation keeps its state so that a new instance (after an agent restart) sees every
 * sandbox and container that an earlier instance made, without restarting or duplicating them.
 */
import type { Readable, Writable } from 'node:stream';

export type Protocol = 'TCP' | 'UDP' | 'SCTP';

export interface PortMapping {
  containerPort: number;
  hostPort: number;
  /** Default TCP. */
  protocol?: Protocol;
  /** Host address to bind; default all. */
  hostIP?: string;
}

export interface PodSandboxConfig {
  /** Pod metadata. */
  name: string;
  namespace: string;
  uid: string;
  /** Sandbox attempt (restarts of the sandbox). Default 0. */
  attempt?: number;
  /** Hostname inside the pod (UTS namespace). Ignored with hostNetwork (the host's is used). */
  hostname: string;
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
  /** One PID namespace for all containers, held by a long-lived init (catatonit). */
  shareProcessNamespace?: boolean;
  /** hostPort mappings (CNI portmap). Ignored with hostNetwork. */
  portMappings?: PortMapping[];
  /** Contents of the pod's /etc/hosts; default: localhost entries plus `ip hostname` when known. */
  hostsFile?: string;
  /** Contents of the pod's /etc/resolv.conf; default: empty file. */
  resolvConf?: string;
  /** Size of the per-pod /dev/shm tmpfs; default 64 MiB. */
  shmSizeBytes?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export type SandboxState = 'ready' | 'notready';

export interface PodSandboxStatus {
  id: string;
  config: PodSandboxConfig;
  state: SandboxState;
  /** Pod IP (absent with hostNetwork or after stop). */
  ip?: string;
  createdAt: Date;
  /** Path of the network namespace (absent with hostNetwork). */
  netnsPath?: string;
}

export interface SandboxFilter {
  state?: SandboxState;
  podUid?: string;
  labels?: Record<string, string>;
}

export interface Mount {
  hostPath: string;
  containerPath: string;
  readOnly?: boolean;
  /** Mount propagation; default private. */
  propagation?: 'private' | 'rslave' | 'rshared';
}

export interface Device {
  hostPath: string;
  containerPath: string;
  /** Cgroup permissions: any of r, w, m. Default 'rwm'. */
  permissions?: string;
}

/** The parts of an OCI image config that decide how a container runs. */
export interface ImageConfig {
  entrypoint?: string[];
  cmd?: string[];
  /** `KEY=value` strings. */
  env?: string[];
  workingDir?: string;
  /** `user`, `uid`, `user:group`, `uid:gid`. */
  user?: string;
  /** e.g. `SIGQUIT`; default SIGTERM. */
  stopSignal?: string;
}

export interface ContainerResources {
  /** cgroup v1 cpu.shares. */
  cpuShares?: number;
  cpuQuota?: number;
  cpuPeriod?: number;
  memoryLimitBytes?: number;
  pidsLimit?: number;
}

export interface ContainerConfig {
  name: string;
  /** Image layer directories, ordered top first (the image store gives them). */
  lowerDirs: string[];
  image?: ImageConfig;
  /** Image reference, for status only. */
  imageRef?: string;
  /** Overrides the image entrypoint (Kubernetes `command`). */
  command?: string[];
  /** Overrides the image cmd (Kubernetes `args`). */
  args?: string[];
  /** Appended to (and overriding) the image env. */
  env?: Array<{ name: string; value: string }>;
  workingDir?: string;
  /** Overrides the image user. */
  user?: { uid: number; gid?: number; supplementalGroups?: number[] };
  tty?: boolean;
  stdin?: boolean;
  /** Close stdin after the first attach session ends. */
  stdinOnce?: boolean;
  mounts?: Mount[];
  devices?: Device[];
  /** Capability names with or without the CAP_ prefix; 'ALL' allowed. */
  capabilities?: { add?: string[]; drop?: string[] };
  privileged?: boolean;
  readOnlyRootfs?: boolean;
  noNewPrivileges?: boolean;
  resources?: ContainerResources;
  /** Clamped to 0..1000 (negative values need CAP_SYS_RESOURCE, which this host lacks). */
  oomScoreAdj?: number;
  /**
   * Id of a running container of the same sandbox whose PID namespace this one joins (CRI
   * NamespaceMode TARGET; `kubectl debug --target`). Not used when the sandbox shares one PID
   * namespace (shareProcessNamespace) or uses the host's.
   */
  pidNamespaceTarget?: string;
  /** CRI log file path (absolute). */
  logPath: string;
  /** Restart count of this container in its pod (Kubernetes `restartCount`). */
  attempt?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export type ContainerState = 'created' | 'running' | 'exited' | 'unknown';

export interface ContainerStatus {
  id: string;
  sandboxId: string;
  name: string;
  attempt: number;
  state: ContainerState;
  /** Host pid of the container's first process while it runs. */
  pid?: number;
  exitCode?: number;
  createdAt: Date;
  startedAt?: Date;
  finishedAt?: Date;
  /** For exited containers: OOMKilled, Error or Completed. */
  reason?: string;
  message?: string;
  imageRef?: string;
  logPath: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface ContainerFilter {
  sandboxId?: string;
  state?: ContainerState;
  name?: string;
  labels?: Record<string, string>;
}

export interface TerminalSize {
  width: number;
  height: number;
}

export interface ExecOptions {
  tty?: boolean;
  stdin?: Readable;
  stdout?: Writable;
  /** Ignored with tty (a terminal merges the streams). */
  stderr?: Writable;
  /** Terminal size changes (tty only). */
  resize?: AsyncIterable<TerminalSize>;
  /** Kill the process after this many seconds; default no limit. */
  timeoutSeconds?: number;
  /** Kills the process (SIGKILL) when aborted, e.g. when the exec client went away. */
  signal?: AbortSignal;
}

export interface ExecSyncResult {
  exitCode: number;
  stdout: Buffer;
  stderr: Buffer;
  timedOut: boolean;
}

export interface AttachOptions {
  stdin?: Readable;
  stdout?: Writable;
  /** Ignored for tty containers. */
  stderr?: Writable;
  resize?: AsyncIterable<TerminalSize>;
  /** Ends the attach session (detach) without touching the container. */
  signal?: AbortSignal;
}

export interface Runtime {
  runPodSandbox(config: PodSandboxConfig): Promise<string>;
  /** Stops every container, the pod's init and its network. Idempotent. */
  stopPodSandbox(id: string): Promise<void>;
  /** Stops (if needed) and removes the sandbox and all its containers. Idempotent. */
  removePodSandbox(id: string): Promise<void>;
  podSandboxStatus(id: string): Promise<PodSandboxStatus>;
  listPodSandboxes(filter?: SandboxFilter): Promise<PodSandboxStatus[]>;

  createContainer(sandboxId: string, config: ContainerConfig): Promise<string>;
  startContainer(id: string): Promise<void>;
  /** Sends the stop signal (image StopSignal or SIGTERM), then SIGKILL after the timeout. */
  stopContainer(id: string, timeoutSeconds: number): Promise<void>;
  /** Stops (SIGKILL) if needed and removes every trace of the container. Idempotent. */
  removeContainer(id: string): Promise<void>;
  containerStatus(id: string): Promise<ContainerStatus>;
  listContainers(filter?: ContainerFilter): Promise<ContainerStatus[]>;

  /** Runs a command in a running container, streaming; resolves with its exit code. */
  exec(id: string, cmd: string[], options: ExecOptions): Promise<number>;
  /** Runs a command and collects its output (exec probes). */
  execSync(id: string, cmd: string[], timeoutSeconds: number): Promise<ExecSyncResult>;
  /** Attaches to the container's main process streams; resolves when the attach ends. */
  attach(id: string, options: AttachOptions): Promise<void>;
  /** Asks the monitor to reopen the CRI log file (after log rotation). */
  reopenContainerLog(id: string): Promise<void>;
  /**
   * Calls `listener(containerId)` soon after a container exits (a hint to re-read its status;
   * level-triggered callers still poll). Returns a function that stops the watch.
   */
  watchExits?(listener: (containerId: string) => void): () => void;
}

export class NotFoundError extends Error {
  constructor(readonly kind: 'sandbox' | 'container', readonly id: string) {
    super(`${kind} ${id} not found`);
    this.name = 'NotFoundError';
  }
}

export class RuntimeError extends Error {
  constructor(message: string, override readonly cause?: unknown) {
    super(message);
    this.name = 'RuntimeError';
  }
}
