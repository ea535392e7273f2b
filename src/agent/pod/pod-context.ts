/**
 * What a pod's hooks share: the pod as last seen, the runtime's view of it (re-read each sync),
 * the agent's services, and the per-pod memory the status needs that the runtime does not hold
 * (why a container is waiting, probe results, the deadline).
 */
import type { Pod, Container, Service } from 'kubernetes-types/core/v1.js';
import type { KubeClient } from '../../client/types.js';
import type { Runtime } from '../../runtime/runtime.js';
import type { ImageStore } from '../../images/image-store.js';
import type { Clock } from '../../util/clock.js';
import type { Logger } from '../../util/log.js';
import type { EventRecorder } from '../events/event-recorder.js';
import type { Backoff } from './backoff.js';
import type { PodRuntimeState } from './runtime-state.js';
import type { ProbeManager } from '../probes/probe-manager.js';
import type { AgentPaths } from '../paths.js';
import type { ObjectCache } from '../volumes/object-cache.js';
import type { TokenManager } from '../volumes/token-manager.js';

export interface Waiting { reason: string; message?: string }

export interface AgentServices {
  nodeName: string;
  nodeIp: string;
  clusterDns: string;
  clusterDomain: string;
  client?: KubeClient;
  runtime: Runtime;
  images: ImageStore;
  clock: Clock;
  events: EventRecorder;
  backoff: Backoff;
  probes: ProbeManager;
  paths: AgentPaths;
  objects: ObjectCache;
  tokens: TokenManager;
  /** Services for the service environment variables (empty without the API). */
  services(): Service[];
  /** Host /etc/resolv.conf (dnsPolicy Default). */
  hostResolvConf: string;
}

export interface PodContext {
  pod: Pod;
  uid: string;
  /** `NAME_NAMESPACE(UID)`, as the kubelet names pods in messages. */
  podDesc: string;
  state: PodRuntimeState;
  svc: AgentServices;
  log: Logger;
  /** Why a container is not running (ContainerCreating, ErrImagePull, CrashLoopBackOff, ...). */
  waiting: Map<string, Waiting>;
  /** Earliest time a sync is needed again (back-off expiry, token refresh). */
  wakeAt(ms: number): void;
  /** When the agent first saw each exited container (its clock), for the restart back-off. */
  exitSeenAt: Map<string, number>;
  /** Set when the pod must fail as a whole (activeDeadlineSeconds). */
  failure?: { reason: string; message: string };
  /** Re-reads the runtime state (after a hook changed it). */
  refresh(): Promise<void>;
  /** Aborted once the pod is being deleted or is gone: long steps of starting it (image pulls) stop. */
  stopping: AbortSignal;
}

export function podDesc(pod: Pod): string {
  return `${pod.metadata?.name}_${pod.metadata?.namespace}(${pod.metadata?.uid})`;
}

export function allContainers(pod: Pod): Array<{ c: Container; init: boolean }> {
  return [
    ...(pod.spec?.initContainers ?? []).map((c) => ({ c, init: true })),
    ...(pod.spec?.containers ?? []).map((c) => ({ c, init: false })),
  ];
}
