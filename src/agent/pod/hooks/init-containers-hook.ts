/**
 * Init containers, one after another, each to success before the next starts; a failed one is
 * restarted with back-off unless restartPolicy is Never (then the pod fails). Once an app
 * container exists in the current sandbox the pod counts as initialized and this step is skipped.
 */
import type { PodHook } from './hook.js';
import { startContainer } from '../container-runner.js';
import { mayRestart, shouldRestart } from '../restart.js';
import { volumePaths } from './volumes-hook.js';
import { nodeAllocatable } from '../node-allocatable.js';

export const initContainersHook: PodHook = {
  name: 'init-containers',
  async sync(ctx) {
    const spec = ctx.pod.spec!;
    const inits = spec.initContainers ?? [];
    if (!inits.length) return true;
    if (spec.containers.some((c) => ctx.state.current(c.name))) return true;
    const policy = spec.restartPolicy ?? 'Always';
    for (const c of inits) {
      const cur = ctx.state.current(c.name);
      if (cur?.state === 'running') return false;
      if (cur?.state === 'exited') {
        if (cur.exitCode === 0) continue;
        // restartPolicy Never: the pod fails; Always/OnFailure: an init container is retried until it succeeds.
        if (policy === 'Never' || !shouldRestart('OnFailure', cur)) return false;
        if (!mayRestart(ctx, c.name, cur, true)) return false;
      }
      if (cur?.state === 'created' || cur?.state === 'unknown') await ctx.svc.runtime.removeContainer(cur.id);
      const latest = ctx.state.latest(c.name);
      await startContainer(ctx, { c, init: true, attempt: latest ? latest.attempt + 1 : 0, volumes: volumePaths(ctx), node: nodeAllocatable() });
      await ctx.refresh();
      return false;
    }
    return true;
  },
};
