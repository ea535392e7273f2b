/**
 * Simulated pod lifecycles as data, in the manner of kwok's Stage resources: each stage says which
 * pods it applies to (a selector over a few pod facts), how long after the pod reached that state it
 * fires (delay + jitter), and what it does next (render a status, or delete the pod).
 * The simulated agent evaluates the stages on every pod change; the first matching stage wins.
 *
 *   bound, Pending ──(pod-ready, 1 s)──► Running, Ready, IPs
 *   Running, restartPolicy≠Always, annotation sim.peapod.io/complete-after ──(pod-complete)──► Succeeded
 *   deletionTimestamp ──(pod-delete, grace≤1 s)──► deleted (grace 0)
 */
import type { Pod } from 'kubernetes-types/core/v1.js';

export interface StageSelector {
  /** Pod phase is one of these. */
  phases?: string[];
  /** deletionTimestamp set (true) or unset (false). */
  deleting?: boolean;
  /** Pod's Ready condition is True (true) / not True (false). */
  ready?: boolean;
  restartPolicies?: string[];
  /** The pod has this annotation (any value). */
  annotation?: string;
}

export type StageAction =
  | { kind: 'status'; status: 'running' | 'succeeded' | 'failed' }
  | { kind: 'delete' };

export interface PodStage {
  name: string;
  selector: StageSelector;
  /** ms after the pod entered the matched state. */
  delayMs: number;
  jitterMs?: number;
  /** Read the delay (seconds) from this annotation instead, when present. */
  delayAnnotation?: string;
  /** For deletions: wait min(grace period, delay). */
  capByGracePeriod?: boolean;
  next: StageAction;
}

export const defaultPodStages: PodStage[] = [
  { name: 'pod-delete', selector: { deleting: true }, delayMs: 1000, capByGracePeriod: true, next: { kind: 'delete' } },
  { name: 'pod-ready', selector: { phases: ['Pending'], deleting: false }, delayMs: 1000, jitterMs: 500, next: { kind: 'status', status: 'running' } },
  {
    name: 'pod-complete', selector: { phases: ['Running'], deleting: false, restartPolicies: ['Never', 'OnFailure'], annotation: 'sim.peapod.io/complete-after' },
    delayMs: 0, delayAnnotation: 'sim.peapod.io/complete-after', next: { kind: 'status', status: 'succeeded' },
  },
];

export function stageMatches(s: StageSelector, pod: Pod): boolean {
  const phase = pod.status?.phase ?? 'Pending';
  if (s.phases && !s.phases.includes(phase)) return false;
  if (s.deleting !== undefined && !!pod.metadata?.deletionTimestamp !== s.deleting) return false;
  if (s.ready !== undefined) {
    const r = (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
    if (r !== s.ready) return false;
  }
  if (s.restartPolicies && !s.restartPolicies.includes(pod.spec?.restartPolicy ?? 'Always')) return false;
  if (s.annotation && pod.metadata?.annotations?.[s.annotation] === undefined) return false;
  return true;
}

export function selectStage(stages: PodStage[], pod: Pod): PodStage | undefined {
  return stages.find((s) => stageMatches(s.selector, pod));
}

export function stageDelay(stage: PodStage, pod: Pod, random: () => number = Math.random): number {
  let d = stage.delayMs;
  if (stage.delayAnnotation) {
    const v = Number(pod.metadata?.annotations?.[stage.delayAnnotation]);
    if (Number.isFinite(v) && v >= 0) d = v * 1000;
  }
  if (stage.capByGracePeriod) {
    const g = pod.metadata?.deletionGracePeriodSeconds;
    if (typeof g === 'number') d = Math.min(d, g * 1000);
  }
  if (stage.jitterMs) d += Math.floor(random() * stage.jitterMs);
  return d;
}

function rfc3339(ms: number): string { return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z'); }

/** The status a stage writes: conditions, IPs, container statuses as a kubelet would. */
export function renderStatus(pod: Pod, status: 'running' | 'succeeded' | 'failed', now: number, hostIP: string, podIP: string): Record<string, unknown> {
  const t = rfc3339(now);
  const running = status === 'running';
  const startTime = pod.status?.startTime ?? t;
  const containerStatus = (c: { name: string; image?: string }, idx: number) => ({
    name: c.name,
    image: c.image ?? '',
    imageID: `sim://${c.image ?? ''}`,
    containerID: `sim://${pod.metadata?.uid ?? ''}-${idx}`,
    ready: running,
    started: running,
    restartCount: 0,
    state: running
      ? { running: { startedAt: startTime } }
      : { terminated: { exitCode: status === 'succeeded' ? 0 : 1, reason: status === 'succeeded' ? 'Completed' : 'Error', startedAt: startTime, finishedAt: t, containerID: `sim://${pod.metadata?.uid ?? ''}-${idx}` } },
  });
  const init = (pod.spec?.initContainers ?? []).map((c, i) => ({
    name: c.name, image: c.image ?? '', imageID: `sim://${c.image ?? ''}`, containerID: `sim://${pod.metadata?.uid ?? ''}-init-${i}`,
    ready: true, restartCount: 0, started: false,
    state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: startTime, finishedAt: startTime } },
  }));
  const cond = (type: string, ok: boolean, reason?: string) => ({ type, status: ok ? 'True' : 'False', lastProbeTime: null, lastTransitionTime: t, ...(reason ? { reason } : {}) });
  const ips = pod.spec?.hostNetwork ? hostIP : podIP;
  return {
    phase: running ? 'Running' : status === 'succeeded' ? 'Succeeded' : 'Failed',
    conditions: [
      cond('PodReadyToStartContainers', running),
      cond('Initialized', true),
      cond('Ready', running, running ? undefined : 'PodCompleted'),
      cond('ContainersReady', running, running ? undefined : 'PodCompleted'),
      cond('PodScheduled', true),
    ],
    hostIP, hostIPs: [{ ip: hostIP }],
    podIP: ips, podIPs: [{ ip: ips }],
    startTime,
    qosClass: pod.status?.qosClass,
    ...(init.length ? { initContainerStatuses: init } : {}),
    containerStatuses: (pod.spec?.containers ?? []).map(containerStatus),
  };
}
