/**
 * Starting and stopping one container, the kubelet's startContainer / killContainer:
 *   start: image (pull policy, back-off) → config (env, mounts, security) → create → start →
 *          postStart hook (a failed hook kills the container: FailedPostStartHook)
 *   stop:  preStop hook (within the grace period) → stop signal → SIGKILL after the rest of the grace period
 * Each step that fails leaves the kubelet's waiting reason (ErrImagePull, CreateContainerConfigError,
 * CreateContainerError, RunContainerError) and events (Created, Started, Failed, Killing).
 */
import type { Container, LifecycleHandler } from 'kubernetes-types/core/v1.js';
import type { ContainerStatus } from '../../runtime/runtime.js';
import type { PodContext } from './pod-context.js';
import { ensureImage } from './image-puller.js';
import { buildContainerConfig, ContainerConfigError } from './container-config.js';
import { runExec, runHttpGet, runTcp } from '../probes/handlers.js';
import type { NodeAllocatable } from './field-ref.js';
import { podTrace, podTraceOn } from './start-trace.js';

export async function runLifecycleHandler(ctx: PodContext, h: LifecycleHandler, c: Container, containerId: string, timeoutSeconds: number): Promise<string | undefined> {
  const ip = ctx.state.readySandbox?.ip ?? '127.0.0.1';
  if (h.exec) {
    const r = await runExec(ctx.svc.runtime, containerId, h.exec, timeoutSeconds);
    return r.ok ? undefined : `command '${(h.exec.command ?? []).join(' ')}' exited with ${r.output.trim() ? `: ${r.output.trim()}` : 'non-zero status'}`;
  }
  if (h.httpGet) {
    const r = await runHttpGet(h.httpGet, c, ip, timeoutSeconds);
    return r.ok ? undefined : r.output;
  }
  if (h.sleep) {
    await ctx.svc.clock.sleep(Math.max(0, h.sleep.seconds) * 1000);
    return undefined;
  }
  if (h.tcpSocket) {
    const r = await runTcp(h.tcpSocket, c, ip, timeoutSeconds);
    return r.ok ? undefined : r.output;
  }
  return undefined;
}

export interface StartInput {
  c: Container;
  init: boolean;
  attempt: number;
  volumes: Map<string, string>;
  node: NodeAllocatable;
  /** Runtime id of the container whose PID namespace this one joins (ephemeral targetContainerName). */
  pidNamespaceTarget?: string;
}

/** Returns the new container's id, or undefined when it could not be started (waiting reason set). */
export async function startContainer(ctx: PodContext, input: StartInput): Promise<string | undefined> {
  const { c, init } = input;
  const { runtime, events } = ctx.svc;
  const about = { name: c.name, init };
  const sandbox = ctx.state.readySandbox;
  if (!sandbox) return undefined;
  const image = await ensureImage(ctx, c, init);
  if (!image) return undefined;
  let config;
  try {
    config = await buildContainerConfig(ctx, { c, init, image, attempt: input.attempt, volumes: input.volumes, node: input.node });
    if (input.pidNamespaceTarget) config.pidNamespaceTarget = input.pidNamespaceTarget;
  } catch (e) {
    if (!(e instanceof ContainerConfigError)) throw e;
    ctx.waiting.set(c.name, { reason: 'CreateContainerConfigError', message: e.message });
    events.pod(ctx.pod, 'Warning', 'Failed', `Error: ${e.message}`, about);
    return undefined;
  }
  let id: string;
  try {
    if (podTraceOn) podTrace(ctx.podDesc, 'create-begin');
    id = await runtime.createContainer(sandbox.id, config);
    if (podTraceOn) podTrace(ctx.podDesc, 'created');
  } catch (e) {
    const msg = (e as Error).message;
    ctx.waiting.set(c.name, { reason: 'CreateContainerError', message: msg });
    events.pod(ctx.pod, 'Warning', 'Failed', `Error: ${msg}`, about);
    return undefined;
  }
  events.pod(ctx.pod, 'Normal', 'Created', `Created container ${c.name}`, about);
  try {
    await runtime.startContainer(id);
    if (podTraceOn) podTrace(ctx.podDesc, 'started');
  } catch (e) {
    const msg = (e as Error).message;
    ctx.waiting.set(c.name, { reason: 'RunContainerError', message: msg });
    events.pod(ctx.pod, 'Warning', 'Failed', `Error: ${msg}`, about);
    await runtime.removeContainer(id).catch(() => undefined);
    return undefined;
  }
  ctx.waiting.delete(c.name);
  events.pod(ctx.pod, 'Normal', 'Started', `Started container ${c.name}`, about);
  const postStart = c.lifecycle?.postStart;
  if (postStart) {
    const err = await runLifecycleHandler(ctx, postStart, c, id, 30).catch((e: Error) => e.message);
    if (err) {
      events.pod(ctx.pod, 'Warning', 'FailedPostStartHook', `PostStartHook failed`, about);
      ctx.log.warn('postStart hook failed; killing the container', { container: c.name, err });
      events.pod(ctx.pod, 'Normal', 'Killing', `FailedPostStartHook`, about);
      await runtime.stopContainer(id, 0).catch(() => undefined);
    }
  }
  return id;
}

/** Stops a running container: preStop hook, then the stop signal, SIGKILL after the grace period. */
export async function killContainer(ctx: PodContext, c: Container | undefined, st: ContainerStatus, gracePeriodSeconds: number, message: string, init = false): Promise<void> {
  const { runtime, events, clock } = ctx.svc;
  if (st.state !== 'running' && st.state !== 'created') return;
  events.pod(ctx.pod, 'Normal', 'Killing', message, { name: st.name, init });
  // The kubelet never gives less than 2 s (minimumGracePeriodInSeconds), also for forced deletes.
  let grace = Math.max(2, gracePeriodSeconds);
  const preStop = c?.lifecycle?.preStop;
  if (preStop && grace > 0 && st.state === 'running') {
    const t0 = clock.now();
    const err = await Promise.race([
      runLifecycleHandler(ctx, preStop, c!, st.id, grace).catch((e: Error) => e.message),
      clock.sleep(grace * 1000).then(() => 'timeout'),
    ]);
    if (err && err !== 'timeout') events.pod(ctx.pod, 'Warning', 'FailedPreStopHook', `PreStopHook failed`, { name: st.name, init });
    grace = Math.max(2, grace - Math.ceil((clock.now() - t0) / 1000));
  }
  await runtime.stopContainer(st.id, grace);
}
