/**
 * The pod status the agent reports, computed as the kubelet's generateAPIPodStatus does
 * (pkg/kubelet/kubelet_pods.go, pkg/kubelet/status/generate.go): phase from the container
 * states (getPhase), conditions PodReadyToStartContainers, Initialized, Ready, ContainersReady,
 * PodScheduled with their reasons and messages, container and init container statuses (state,
 * lastState, ready, started, restartCount, image, imageID, containerID), IPs, startTime, qosClass.
 * Pure: everything it needs comes in as arguments.
 */
import { readFileSync, openSync, readSync, closeSync, fstatSync } from 'node:fs';
import type { Container, ContainerState, ContainerStatus as ApiContainerStatus, Pod, PodCondition, PodStatus } from 'kubernetes-types/core/v1.js';
import type { ContainerStatus } from '../../runtime/runtime.js';
import type { PodRuntimeState } from '../pod/runtime-state.js';
import type { Waiting } from '../pod/pod-context.js';
import { ANNOTATIONS, qosClass } from '../pod/container-config.js';

export interface StatusInput {
  pod: Pod;
  state: PodRuntimeState;
  waiting: Map<string, Waiting>;
  ready(containerId: string, c: Container): boolean;
  started(containerId: string, c: Container): boolean;
  nodeIp: string;
  now: number;
  /** The pod failed as a whole (DeadlineExceeded). */
  failure?: { reason: string; message: string };
  /** The pod was stopped for good (deleted or completed): no container restarts any more. */
  terminal: boolean;
}

export const CONTAINER_ID_SCHEME = 'peapod://';
const rfc3339 = (d: Date | number) => new Date(d).toISOString().replace(/\.\d{3}Z$/, 'Z');

const MAX_MESSAGE = 4096;
const FALLBACK_BYTES = 2048;
const FALLBACK_LINES = 80;

/** The last lines of a CRI log file (message parts only), for FallbackToLogsOnError. */
function logTail(path: string): string {
  let fd: number;
  try { fd = openSync(path, 'r'); } catch { return ''; }
  try {
    const size = fstatSync(fd).size;
    const want = Math.min(size, 64 * 1024);
    const buf = Buffer.alloc(want);
    readSync(fd, buf, 0, want, size - want);
    const lines = buf.toString('utf8').split('\n').filter(Boolean).map((l) => {
      const m = /^\S+ (?:stdout|stderr) ([PF]) (.*)$/.exec(l);
      return m ? { partial: m[1] === 'P', text: m[2] } : { partial: false, text: l };
    });
    let text = '';
    for (const l of lines) text += l.text + (l.partial ? '' : '\n');
    const tail = text.split('\n').slice(-FALLBACK_LINES - 1).join('\n');
    return Buffer.from(tail).subarray(-FALLBACK_BYTES).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

export function terminationMessage(st: ContainerStatus): string | undefined {
  let msg = '';
  const file = st.annotations[ANNOTATIONS.terminationLog];
  if (file) { try { msg = readFileSync(file, 'utf8'); } catch { msg = ''; } }
  if (!msg && st.annotations[ANNOTATIONS.terminationPolicy] === 'FallbackToLogsOnError' && st.exitCode !== 0) msg = logTail(st.logPath);
  if (!msg && st.reason === 'OOMKilled') return undefined;
  if (!msg && st.message && st.reason === 'Error') msg = st.message;
  return msg ? msg.slice(0, MAX_MESSAGE) : undefined;
}

function terminated(st: ContainerStatus): ContainerState {
  const msg = terminationMessage(st);
  return {
    terminated: {
      exitCode: st.exitCode ?? 0,
      reason: st.reason ?? (st.exitCode === 0 ? 'Completed' : 'Error'),
      ...(msg ? { message: msg } : {}),
      startedAt: rfc3339(st.startedAt ?? st.createdAt),
      finishedAt: rfc3339(st.finishedAt ?? st.createdAt),
      containerID: CONTAINER_ID_SCHEME + st.id,
    },
  };
}

function containerStatus(input: StatusInput, c: Container, init: boolean, defaultWaiting: string): ApiContainerStatus {
  const { state, waiting } = input;
  const latest = state.latest(c.name);
  const prev = state.previous(c.name);
  const w = waiting.get(c.name);
  const base = { name: c.name, image: c.image ?? '', imageID: '', ready: false, restartCount: 0, started: false };
  if (!latest) {
    return { ...base, state: { waiting: { reason: w?.reason ?? defaultWaiting, ...(w?.message ? { message: w.message } : {}) } }, lastState: {} };
  }
  const withRuntime = {
    ...base,
    image: latest.annotations[ANNOTATIONS.image] || base.image,
    imageID: latest.annotations[ANNOTATIONS.imageId] ?? '',
    containerID: CONTAINER_ID_SCHEME + latest.id,
    restartCount: latest.attempt,
  };
  if (latest.state === 'running') {
    return {
      ...withRuntime,
      state: { running: { startedAt: rfc3339(latest.startedAt ?? latest.createdAt) } },
      lastState: prev && prev.state === 'exited' ? terminated(prev) : {},
      ready: init && c.restartPolicy !== 'Always' ? false : input.ready(latest.id, c),
      started: input.started(latest.id, c),
    };
  }
  if (latest.state === 'exited') {
    if (w && !input.terminal) {
      return { ...withRuntime, state: { waiting: { reason: w.reason, ...(w.message ? { message: w.message } : {}) } }, lastState: terminated(latest) };
    }
    return {
      ...withRuntime,
      state: terminated(latest),
      lastState: prev && prev.state === 'exited' ? terminated(prev) : {},
      ready: init && c.restartPolicy !== 'Always' ? latest.exitCode === 0 : false,
    };
  }
  return { ...withRuntime, state: { waiting: { reason: w?.reason ?? 'ContainerCreating', ...(w?.message ? { message: w.message } : {}) } }, lastState: {} };
}

/** kubelet getPhase. */
export function podPhase(pod: Pod, init: ApiContainerStatus[], app: ApiContainerStatus[], terminal: boolean): NonNullable<PodStatus['phase']> {
  const policy = pod.spec?.restartPolicy ?? 'Always';
  let pendingInit = 0;
  let failedInit = 0;
  const sidecars = new Set((pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always').map((c) => c.name));
  const appStarted = app.some((s) => s.state?.running || s.state?.terminated || s.lastState?.terminated);
  for (const s of init) {
    if (sidecars.has(s.name)) {
      // A sidecar counts as initialized once started; after initialization it no longer decides the phase.
      if (!appStarted && !(s.state?.running && s.started)) pendingInit++;
      continue;
    }
    if (s.state?.running) pendingInit++;
    else if (s.state?.terminated) { if (s.state.terminated.exitCode !== 0) failedInit++; }
    else if (s.state?.waiting) {
      if (s.lastState?.terminated) { if (s.lastState.terminated.exitCode !== 0) failedInit++; }
      else pendingInit++;
    } else pendingInit++;
  }
  let unknown = 0, running = 0, waiting = 0, stopped = 0, succeeded = 0;
  for (const s of app) {
    if (s.state?.running) running++;
    else if (s.state?.terminated) { stopped++; if (s.state.terminated.exitCode === 0) succeeded++; }
    else if (s.state?.waiting) { if (s.lastState?.terminated) stopped++; else waiting++; }
    else unknown++;
  }
  if (failedInit > 0 && policy === 'Never') return 'Failed';
  if (pendingInit > 0 || (failedInit > 0 && !terminal)) return terminal ? 'Failed' : 'Pending';
  if (waiting > 0) return terminal ? 'Failed' : 'Pending';
  if (running > 0 && unknown === 0) return 'Running';
  if (running === 0 && stopped > 0 && unknown === 0) {
    if (terminal) return stopped === succeeded ? 'Succeeded' : 'Failed';
    if (policy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (policy === 'Never') return 'Failed';
    return 'Running';
  }
  return terminal ? 'Failed' : 'Pending';
}

function conditions(pod: Pod, input: StatusInput, init: ApiContainerStatus[], app: ApiContainerStatus[], phase: string): PodCondition[] {
  const initSpecs = pod.spec?.initContainers ?? [];
  const out: PodCondition[] = [];
  out.push({ type: 'PodReadyToStartContainers', status: input.state.readySandbox && !input.terminal ? 'True' : 'False' });
  // Initialized
  const incomplete = initSpecs.filter((c) => {
    const s = init.find((x) => x.name === c.name);
    return c.restartPolicy === 'Always' ? !s?.started : !s?.ready;
  }).map((c) => c.name);
  const anyAppStarted = app.some((s) => s.state?.running || s.state?.terminated || s.lastState?.terminated);
  if (phase === 'Succeeded') out.push({ type: 'Initialized', status: 'True', reason: 'PodCompleted' });
  else if (!incomplete.length || anyAppStarted) out.push({ type: 'Initialized', status: 'True' });
  else out.push({ type: 'Initialized', status: 'False', reason: 'ContainersNotInitialized', message: `containers with incomplete status: [${incomplete.join(' ')}]` });
  // ContainersReady and Ready
  let cr: PodCondition;
  if (phase === 'Succeeded') cr = { type: 'ContainersReady', status: 'False', reason: 'PodCompleted' };
  else if (phase === 'Failed') cr = { type: 'ContainersReady', status: 'False', reason: 'PodFailed' };
  else {
    const sidecarNames = new Set(initSpecs.filter((c) => c.restartPolicy === 'Always').map((c) => c.name));
    const unready = [...init.filter((s) => sidecarNames.has(s.name)), ...app].filter((s) => !s.ready).map((s) => s.name);
    cr = unready.length ? { type: 'ContainersReady', status: 'False', reason: 'ContainersNotReady', message: `containers with unready status: [${unready.join(' ')}]` } : { type: 'ContainersReady', status: 'True' };
  }
  let ready: PodCondition = { ...cr, type: 'Ready' };
  if (cr.status === 'True') {
    const gates = (pod.spec?.readinessGates ?? []).map((g) => {
      const c = (pod.status?.conditions ?? []).find((x) => x.type === g.conditionType);
      if (!c) return `corresponding condition of pod readiness gate "${g.conditionType}" does not exist.`;
      if (c.status !== 'True') return `the status of pod readiness gate "${g.conditionType}" is not "True", but ${c.status}`;
      return undefined;
    }).filter(Boolean);
    if (gates.length) ready = { type: 'Ready', status: 'False', reason: 'ReadinessGatesNotReady', message: gates.join(', ') };
  }
  out.push(ready, cr, { type: 'PodScheduled', status: 'True' });
  return out;
}

const KUBELET_CONDITIONS = new Set(['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled']);

export function generatePodStatus(input: StatusInput): PodStatus {
  const { pod, state, now } = input;
  const old = pod.status ?? {};
  const hasInit = (pod.spec?.initContainers?.length ?? 0) > 0;
  const initStatuses = (pod.spec?.initContainers ?? []).map((c) => containerStatus(input, c, true, hasInit ? 'PodInitializing' : 'ContainerCreating'));
  const initialized = !hasInit || initStatuses.every((s, i) => (pod.spec!.initContainers![i].restartPolicy === 'Always' ? s.started : s.ready)) || (pod.spec?.containers ?? []).some((c) => state.latest(c.name));
  const appStatuses = (pod.spec?.containers ?? []).map((c) => containerStatus(input, c, false, hasInit && !initialized ? 'PodInitializing' : 'ContainerCreating'));
  let phase = podPhase(pod, initStatuses, appStatuses, input.terminal);
  if (old.phase === 'Succeeded' || old.phase === 'Failed') phase = old.phase; // terminal phases are final
  let reason: string | undefined;
  let message: string | undefined;
  if (input.failure) { phase = 'Failed'; reason = input.failure.reason; message = input.failure.message; }
  else if (old.phase === 'Failed' && old.reason) { reason = old.reason; message = old.message; }

  const conds = conditions(pod, input, initStatuses, appStatuses, phase).map((c) => {
    const prev = (old.conditions ?? []).find((p) => p.type === c.type);
    return { ...c, lastProbeTime: null as unknown as string, lastTransitionTime: prev && prev.status === c.status && prev.lastTransitionTime ? prev.lastTransitionTime : rfc3339(now) };
  });
  // Conditions owned by others (DisruptionTarget, readiness gates' conditions) stay as they are.
  for (const c of old.conditions ?? []) if (!KUBELET_CONDITIONS.has(c.type)) conds.push(c as typeof conds[number]);

  const sb = state.readySandbox ?? state.sandbox;
  const podIP = pod.spec?.hostNetwork ? input.nodeIp : state.readySandbox?.ip ?? old.podIP;
  const status: PodStatus = {
    phase,
    conditions: conds,
    ...(message ? { message } : {}),
    ...(reason ? { reason } : {}),
    hostIP: input.nodeIp,
    hostIPs: [{ ip: input.nodeIp }],
    ...(podIP ? { podIP, podIPs: [{ ip: podIP }] } : {}),
    startTime: old.startTime ?? rfc3339(sb?.createdAt ?? now),
    ...(hasInit ? { initContainerStatuses: initStatuses } : {}),
    containerStatuses: appStatuses,
    ...(pod.spec?.ephemeralContainers?.length ? { ephemeralContainerStatuses: pod.spec.ephemeralContainers.map((c) => ({ ...containerStatus({ ...input, terminal: true }, c as Container, false, 'ContainerCreating'), ready: false })) } : {}),
    qosClass: old.qosClass ?? qosClass(pod),
  };
  return status;
}
