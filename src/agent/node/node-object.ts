/**
 * The Node object and its status as the kubelet builds them (pkg/kubelet/nodestatus setters):
 * labels, addresses, capacity/allocatable (memory minus the 100Mi hard eviction threshold,
 * ephemeral-storage minus 10%), nodeInfo, images, daemonEndpoints and the four conditions with the
 * kubelet's reasons and messages. Condition timestamps: lastHeartbeatTime on every report,
 * lastTransitionTime only when the status changes.
 */
import type { KubeObject } from '../../api/object.js';
import type { HostFacts } from './host-facts.js';

export interface NodeConfig {
  nodeName: string;
  nodeIp: string;
  maxPods: number;
  podCidr?: string;
  kubeletPort: number;
  kubeletVersion: string;
  containerRuntimeVersion: string;
}

export interface NodeImage { names: string[]; sizeBytes: number }

interface Condition { type: string; status: string; reason: string; message: string; lastHeartbeatTime?: string; lastTransitionTime?: string }

const MEMORY_EVICTION_BYTES = 100 * 1024 * 1024;

function rfc3339(ms: number): string { return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z'); }
const ki = (bytes: number) => `${Math.floor(bytes / 1024)}Ki`;

export function nodeLabels(cfg: NodeConfig, facts: HostFacts): Record<string, string> {
  return {
    'beta.kubernetes.io/arch': facts.architecture,
    'beta.kubernetes.io/os': 'linux',
    'kubernetes.io/arch': facts.architecture,
    'kubernetes.io/hostname': cfg.nodeName,
    'kubernetes.io/os': 'linux',
  };
}

/** The Node a new kubelet registers. */
export function initialNode(cfg: NodeConfig, facts: HostFacts): KubeObject {
  return {
    apiVersion: 'v1', kind: 'Node',
    metadata: {
      name: cfg.nodeName,
      labels: nodeLabels(cfg, facts),
      annotations: { 'node.alpha.kubernetes.io/ttl': '0', 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' },
    },
    spec: cfg.podCidr ? { podCIDR: cfg.podCidr, podCIDRs: [cfg.podCidr] } : {},
  };
}

function conditions(facts: HostFacts): Condition[] {
  const memPressure = facts.memoryAvailableBytes > 0 && facts.memoryAvailableBytes < MEMORY_EVICTION_BYTES;
  const diskPressure = facts.fsCapacityBytes > 0 && facts.fsAvailableBytes < facts.fsCapacityBytes * 0.1;
  const pidPressure = facts.pidMax > 0 && facts.pidsInUse > facts.pidMax * 0.9;
  return [
    memPressure
      ? { type: 'MemoryPressure', status: 'True', reason: 'KubeletHasInsufficientMemory', message: 'kubelet has insufficient memory available' }
      : { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory', message: 'kubelet has sufficient memory available' },
    diskPressure
      ? { type: 'DiskPressure', status: 'True', reason: 'KubeletHasDiskPressure', message: 'kubelet has disk pressure' }
      : { type: 'DiskPressure', status: 'False', reason: 'KubeletHasNoDiskPressure', message: 'kubelet has no disk pressure' },
    pidPressure
      ? { type: 'PIDPressure', status: 'True', reason: 'KubeletHasInsufficientPID', message: 'kubelet has insufficient PID available' }
      : { type: 'PIDPressure', status: 'False', reason: 'KubeletHasSufficientPID', message: 'kubelet has sufficient PID available' },
    { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' },
  ];
}

/**
 * The node status now. `previous` (the status on the server) keeps lastTransitionTime of
 * conditions whose status did not change.
 */
export function nodeStatus(cfg: NodeConfig, facts: HostFacts, images: NodeImage[], now: number, previous?: Record<string, unknown>): Record<string, unknown> {
  const prevConds = (previous?.conditions as Condition[] | undefined) ?? [];
  const ts = rfc3339(now);
  const conds = conditions(facts).map((c) => {
    const old = prevConds.find((p) => p.type === c.type);
    return { ...c, lastHeartbeatTime: ts, lastTransitionTime: old && old.status === c.status && old.lastTransitionTime ? old.lastTransitionTime : ts };
  });
  const capacity = {
    cpu: String(facts.cpuCores),
    'ephemeral-storage': ki(facts.fsCapacityBytes),
    'hugepages-1Gi': '0',
    'hugepages-2Mi': '0',
    memory: ki(facts.memoryBytes),
    pods: String(cfg.maxPods),
  };
  const allocatable = {
    ...capacity,
    'ephemeral-storage': String(Math.floor(facts.fsCapacityBytes * 0.9)),
    memory: ki(Math.max(0, facts.memoryBytes - MEMORY_EVICTION_BYTES)),
  };
  return {
    capacity,
    allocatable,
    conditions: conds,
    addresses: [{ type: 'InternalIP', address: cfg.nodeIp }, { type: 'Hostname', address: cfg.nodeName }],
    daemonEndpoints: { kubeletEndpoint: { Port: cfg.kubeletPort } },
    nodeInfo: {
      machineID: facts.machineID,
      systemUUID: facts.systemUUID,
      bootID: facts.bootID,
      kernelVersion: facts.kernelVersion,
      osImage: facts.osImage,
      containerRuntimeVersion: cfg.containerRuntimeVersion,
      kubeletVersion: cfg.kubeletVersion,
      kubeProxyVersion: '',
      operatingSystem: 'linux',
      architecture: facts.architecture,
    },
    images: images.slice().sort((a, b) => b.sizeBytes - a.sizeBytes).slice(0, 50),
  };
}

/** The status without timestamps, to decide whether anything changed. */
export function statusFingerprint(status: Record<string, unknown> | undefined): string {
  if (!status) return '';
  const conds = ((status.conditions as Condition[] | undefined) ?? []).map(({ type, status: s, reason, message }) => ({ type, s, reason, message }));
  const { capacity, allocatable, addresses, daemonEndpoints, nodeInfo, images } = status as Record<string, unknown>;
  const info = { ...(nodeInfo as Record<string, unknown> | undefined) };
  return JSON.stringify({ conds, capacity, allocatable, addresses, daemonEndpoints, info, images });
}
