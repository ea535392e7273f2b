/**
 * Ephemeral containers (`kubectl debug`): added to a running pod through pods/ephemeralcontainers,
 * each started once in the pod's sandbox and never restarted; no probes, ports or lifecycle hooks.
 * (targetContainerName's process namespace is not joined: containers of a pod share a PID namespace
 * only with shareProcessNamespace.)
 */
import type { Container } from 'kubernetes-types/core/v1.js';
import type { PodHook } from './hook.js';
import { startContainer } from '../container-runner.js';
import { volumePaths } from './volumes-hook.js';
import { nodeAllocatable } from '../node-allocatable.js';

export const ephemeralContainersHook: PodHook = {
  name: 'ephemeral-containers',
  async sync(ctx) {
    for (const ec of ctx.pod.spec?.ephemeralContainers ?? []) {
      if (ctx.state.latest(ec.name)) continue; // started once, whatever happened since
      await startContainer(ctx, { c: ec as Container, init: false, attempt: 0, volumes: volumePaths(ctx), node: nodeAllocatable() });
      await ctx.refresh();
    }
    return true;
  },
};
