/**
 * Ephemeral containers (`kubectl debug`): added to a running pod through pods/ephemeralcontainers,
 * each started once in the pod's sandbox and never restarted; no probes, ports or lifecycle hooks.
 * With targetContainerName the container joins the target container's PID namespace (the kubelet's
 * NamespaceMode TARGET), so `ps` shows the target's processes; without it, it gets its own (or the
 * pod's, with shareProcessNamespace).
 */
import type { Container, EphemeralContainer } from 'kubernetes-types/core/v1.js';
import type { PodHook } from './hook.js';
import type { PodContext } from '../pod-context.js';
import { startContainer } from '../container-runner.js';
import { volumePaths } from './volumes-hook.js';
import { nodeAllocatable } from '../node-allocatable.js';

/**
 * The runtime id of the target's newest instance ('' when there is no target), or undefined when
 * the target has none yet (the kubelet's getTargetID: CreateContainerConfigError, retried next sync).
 */
function targetId(ctx: PodContext, ec: EphemeralContainer): string | undefined {
  const name = ec.targetContainerName;
  if (!name) return '';
  const target = ctx.state.current(name);
  if (target) return target.id;
  const message = `unable to find target container ${name}`;
  ctx.waiting.set(ec.name, { reason: 'CreateContainerConfigError', message });
  ctx.svc.events.pod(ctx.pod, 'Warning', 'Failed', `Error: ${message}`, { name: ec.name, init: false });
  return undefined;
}

export const ephemeralContainersHook: PodHook = {
  name: 'ephemeral-containers',
  async sync(ctx) {
    for (const ec of ctx.pod.spec?.ephemeralContainers ?? []) {
      if (ctx.state.latest(ec.name)) continue; // started once, whatever happened since
      const target = targetId(ctx, ec);
      if (target === undefined) continue;
      await startContainer(ctx, {
        c: ec as Container, init: false, attempt: 0, volumes: volumePaths(ctx), node: nodeAllocatable(),
        ...(target ? { pidNamespaceTarget: target } : {}),
      });
      await ctx.refresh();
    }
    return true;
  },
};
