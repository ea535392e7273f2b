/**
 * From a pod's container spec to the runtime's ContainerConfig, as the kubelet's
 * generateContainerConfig does: image settings, command/args with $(VAR) expansion, environment,
 * working dir, security context (pod level, container overrides; runAsNonRoot verified), resources
 * → cgroup values and OOM score, volume mounts (subPath, read-only, propagation), the pod's
 * /etc/hosts, the termination message file, stdin/tty, CRI log path.
 * Errors are ContainerConfigError: the container waits with CreateContainerConfigError.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Container, Pod, SecurityContext, PodSecurityContext } from 'kubernetes-types/core/v1.js';
import type { ImageRecord } from '../../images/image-store.js';
import type { ContainerConfig, Mount } from '../../runtime/runtime.js';
import { parseQuantity } from '../../api/quantity.js';
import { formatReference, parseReference, repositoryName } from '../../images/reference.js';
import type { PodContext } from './pod-context.js';
import { expand, resolveEnv } from './env.js';
import { serviceEnv } from './service-env.js';
import type { NodeAllocatable } from './field-ref.js';

export class ContainerConfigError extends Error {}

export const ANNOTATIONS = {
  image: 'peapod.io/image',
  imageId: 'peapod.io/image-id',
  init: 'peapod.io/init',
  specHash: 'peapod.io/spec-hash',
  terminationMessagePath: 'io.kubernetes.container.terminationMessagePath',
  terminationLog: 'peapod.io/termination-log',
  terminationPolicy: 'io.kubernetes.container.terminationMessagePolicy',
} as const;

/**
 * What the status reports for the container's image, as containerd does: the reference it was asked
 * for (normalized), and the repo digest of that repository (else another repo digest, else the ID).
 */
export function imageNames(requested: string, image: ImageRecord): { image: string; imageId: string } {
  let ref: string;
  let repo = '';
  try {
    const parsed = parseReference(requested);
    ref = formatReference(parsed);
    repo = repositoryName(parsed);
  } catch {
    ref = image.repoTags[0] ?? requested;
  }
  const digest = image.repoDigests.find((d) => d.startsWith(`${repo}@`)) ?? image.repoDigests[0] ?? image.id;
  return { image: image.repoTags.includes(ref) || ref.includes('@') ? ref : image.repoTags[0] ?? ref, imageId: digest };
}

export function containerHash(c: Container): string {
  return createHash('sha256').update(JSON.stringify(c)).digest('hex').slice(0, 16);
}

const propagation = { None: 'private', HostToContainer: 'rslave', Bidirectional: 'rshared' } as const;

function milli(q: unknown): number | undefined {
  if (q === undefined || q === null) return undefined;
  return Number(parseQuantity(String(q)).milliValue());
}
function bytes(q: unknown): number | undefined {
  if (q === undefined || q === null) return undefined;
  return Number(parseQuantity(String(q)).value());
}

/** The pod's QoS class (Guaranteed, Burstable, BestEffort), as the API computes it. */
export function qosClass(pod: Pod): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const cs = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
  let any = false;
  let guaranteed = true;
  for (const c of cs) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    for (const r of ['cpu', 'memory']) {
      const rq = req[r] ?? lim[r];
      if (rq !== undefined || lim[r] !== undefined) any = true;
      if (lim[r] === undefined || (rq !== undefined && String(rq) !== String(lim[r]) && milli(rq) !== milli(lim[r]))) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

function oomScoreAdj(pod: Pod, c: Container, memCapacity: number): number {
  const q = qosClass(pod);
  if (q === 'Guaranteed') return -997; // the runtime clamps to 0 on this host
  if (q === 'BestEffort') return 1000;
  const req = bytes(c.resources?.requests?.memory) ?? 0;
  const adj = 1000 - Math.floor((1000 * req) / Math.max(1, memCapacity));
  return Math.min(999, Math.max(2, adj));
}

function securityContext(pod: Pod, c: Container): SecurityContext & PodSecurityContext {
  const p = pod.spec?.securityContext ?? {};
  const s = c.securityContext ?? {};
  return {
    runAsUser: s.runAsUser ?? p.runAsUser,
    runAsGroup: s.runAsGroup ?? p.runAsGroup,
    runAsNonRoot: s.runAsNonRoot ?? p.runAsNonRoot,
    supplementalGroups: p.supplementalGroups,
    fsGroup: p.fsGroup,
    privileged: s.privileged,
    capabilities: s.capabilities,
    readOnlyRootFilesystem: s.readOnlyRootFilesystem,
    allowPrivilegeEscalation: s.allowPrivilegeEscalation,
  };
}

function verifyNonRoot(ctx: PodContext, c: Container, sc: SecurityContext, imageUser: string): void {
  if (!sc.runAsNonRoot) return;
  const where = `(pod: "${ctx.podDesc}", container: ${c.name})`;
  if (sc.runAsUser !== undefined) {
    if (sc.runAsUser === 0) throw new ContainerConfigError(`container's runAsUser breaks non-root policy ${where}`);
    return;
  }
  const user = imageUser.split(':')[0];
  if (user === '' || user === 'root' || user === '0') throw new ContainerConfigError(`container has runAsNonRoot and image will run as root ${where}`);
  if (!/^\d+$/.test(user)) throw new ContainerConfigError(`container has runAsNonRoot and image has non-numeric user (${user}), cannot verify user is non-root ${where}`);
}

export interface BuildInput {
  c: Container;
  init: boolean;
  image: ImageRecord;
  attempt: number;
  /** volume name → host path */
  volumes: Map<string, string>;
  node: NodeAllocatable;
}

export async function buildContainerConfig(ctx: PodContext, input: BuildInput): Promise<ContainerConfig> {
  const { c, image, attempt, volumes } = input;
  const { svc, pod, uid } = ctx;
  const md = pod.metadata!;
  const imgCfg = await svc.images.config(image);
  const names = imageNames(c.image ?? '', image);
  const rt = { podIP: ctx.state.readySandbox?.ip, hostIP: svc.nodeIp, nodeName: svc.nodeName };
  let env: Array<{ name: string; value: string }>;
  try {
    const r = await resolveEnv(pod, c, svc.objects, rt, input.node, serviceEnv(pod, svc.services()));
    env = r.env;
    if (r.invalidNames.length) {
      svc.events.pod(pod, 'Warning', 'InvalidEnvironmentVariableNames', `Keys [${r.invalidNames.join(', ')}] from the EnvFrom configMap ${md.namespace}/${c.envFrom?.find((e) => e.configMapRef)?.configMapRef?.name ?? ''} were skipped since they are considered invalid environment variable names.`, { name: c.name, init: input.init });
    }
  } catch (e) {
    throw new ContainerConfigError((e as Error).message);
  }
  const vars = new Map(env.map((e) => [e.name, e.value]));
  const sc = securityContext(pod, c);
  verifyNonRoot(ctx, c, sc, imgCfg.user);

  const mounts: Mount[] = [];
  for (const vm of c.volumeMounts ?? []) {
    const base = volumes.get(vm.name);
    if (base === undefined) throw new ContainerConfigError(`cannot find volume "${vm.name}" to mount into container "${c.name}"`);
    let sub = vm.subPath ?? (vm.subPathExpr ? expand(vm.subPathExpr, vars) : '');
    if (sub.split('/').includes('..') || sub.startsWith('/')) throw new ContainerConfigError(`invalid subPath ${JSON.stringify(sub)} for volume "${vm.name}"`);
    let hostPath = base;
    if (sub) {
      hostPath = join(base, sub);
      mkdirSync(hostPath, { recursive: true });
    }
    mounts.push({ hostPath, containerPath: vm.mountPath, readOnly: vm.readOnly === true, propagation: propagation[(vm.mountPropagation ?? 'None') as keyof typeof propagation] ?? 'private' });
    sub = '';
  }
  if (!pod.spec?.hostNetwork && !mounts.some((m) => m.containerPath === '/etc/hosts')) {
    mounts.push({ hostPath: svc.paths.hostsFile(uid), containerPath: '/etc/hosts' });
  }
  const termPath = c.terminationMessagePath ?? '/dev/termination-log';
  const termFile = svc.paths.terminationLog(uid, c.name, attempt);
  mkdirSync(dirname(termFile), { recursive: true });
  writeFileSync(termFile, '', { mode: 0o666 });
  if (termPath) mounts.push({ hostPath: termFile, containerPath: termPath });

  const req = c.resources?.requests ?? {};
  const lim = c.resources?.limits ?? {};
  const cpuReq = milli(req.cpu ?? lim.cpu);
  const cpuLim = milli(lim.cpu);
  const memLim = bytes(lim.memory);
  const resources: ContainerConfig['resources'] = {
    cpuShares: cpuReq === undefined ? 2 : Math.max(2, Math.floor((cpuReq * 1024) / 1000)),
    ...(cpuLim !== undefined ? { cpuQuota: Math.max(1000, Math.floor((cpuLim * 100_000) / 1000)), cpuPeriod: 100_000 } : {}),
    ...(memLim !== undefined ? { memoryLimitBytes: memLim } : {}),
  };

  const user = sc.runAsUser !== undefined
    ? { uid: sc.runAsUser, ...(sc.runAsGroup !== undefined ? { gid: sc.runAsGroup } : {}), supplementalGroups: [...(sc.supplementalGroups ?? []), ...(sc.fsGroup !== undefined ? [sc.fsGroup] : [])] }
    : undefined;

  return {
    name: c.name,
    lowerDirs: await svc.images.lowerDirs(image),
    image: { entrypoint: imgCfg.entrypoint, cmd: imgCfg.cmd, env: imgCfg.env, workingDir: imgCfg.workingDir, user: imgCfg.user, stopSignal: imgCfg.stopSignal },
    imageRef: names.image,
    ...(c.command?.length ? { command: c.command.map((s) => expand(s, vars)) } : {}),
    ...(c.args?.length ? { args: c.args.map((s) => expand(s, vars)) } : {}),
    env,
    ...(c.workingDir ? { workingDir: c.workingDir } : {}),
    ...(user ? { user } : {}),
    tty: c.tty === true,
    stdin: c.stdin === true,
    stdinOnce: c.stdinOnce === true,
    mounts,
    capabilities: { add: sc.capabilities?.add ?? [], drop: sc.capabilities?.drop ?? [] },
    privileged: sc.privileged === true,
    readOnlyRootfs: sc.readOnlyRootFilesystem === true,
    noNewPrivileges: sc.allowPrivilegeEscalation === false,
    resources,
    oomScoreAdj: oomScoreAdj(pod, c, input.node.memoryBytes),
    logPath: svc.paths.containerLog(md.namespace!, md.name!, uid, c.name, attempt),
    attempt,
    annotations: {
      [ANNOTATIONS.image]: names.image,
      [ANNOTATIONS.imageId]: names.imageId,
      [ANNOTATIONS.specHash]: containerHash(c),
      [ANNOTATIONS.terminationMessagePath]: termPath,
      [ANNOTATIONS.terminationLog]: termFile,
      [ANNOTATIONS.terminationPolicy]: c.terminationMessagePolicy ?? 'File',
      ...(input.init ? { [ANNOTATIONS.init]: 'true' } : {}),
    },
  };
}
