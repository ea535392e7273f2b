/**
 * Init containers, one after another, each to success before the next starts; a failed one is
 * restarted with back-off unless restartPolicy is Never (then the pod fails). Sidecars (init
 * containers with restartPolicy Always) are started in their turn and the next one follows as
 * soon as the sidecar has started (its startup probe passed); they keep running next to the app
 * containers (the containers hook restarts them). Once an app container exists in the current
 * sandbox the pod counts as initialized and this step is skipped.
 */
import type { Container } from 'kubernetes-types/core/v1.js';
import type { PodHook } from './hook.js';
import type { PodContext } from '../pod-context.js';
import { startContainer } from '../container-runner.js';
import { mayRestart, shouldRestart } from '../restart.js';
import { volumePaths } from './volumes-hook.js';
import { nodeAllocatable } from '../node-allocatable.js';

export const isSidecar = (c: Container): boolean => c.restartPolicy === 'Always';

/** Starts (or restarts) an init container or sidecar; true when it now runs. */
export async function startInit(ctx: PodContext, c: Container): Promise<boolean> {
  const cur = ctx.state.current(c.name);
  if (cur?.state === 'created' || cur?.state === 'unknown') await ctx.svc.runtime.removeContainer(cur.id);
  const latest = ctx.state.latest(c.name);
  const id = await startContainer(ctx, { c, init: true, attempt: latest ? latest.attempt + 1 : 0, volumes: volumePaths(ctx), node: nodeAllocatable() });
  await ctx.refresh();
  return id !== undefined && ctx.state.current(c.name)?.state === 'running';
}

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
      if (isSidecar(c)) {
        if (cur?.state === 'exited' && !mayRestart(ctx, c.name, cur, true)) return false;
        if (cur?.state !== 'running' && !(await startInit(ctx, c))) return false;
        const now = ctx.state.current(c.name)!;
        if (!ctx.svc.probes.started(now.id, c)) {
          // the startup probe decides; its result triggers the next sync
          ctx.svc.probes.ensure(ctx.pod, c, now.id, now.startedAt?.getTime() ?? ctx.svc.clock.now(), () => ctx.state.readySandbox?.ip);
          return false;
        }
        continue;
      }
      if (cur?.state === 'running') return false;
      if (cur?.state === 'exited') {
        if (cur.exitCode === 0) continue;
        // restartPolicy Never: the pod fails; Always/OnFailure: an init container is retried until it succeeds.
        if (policy === 'Never' || !shouldRestart('OnFailure', cur)) return false;
        if (!mayRestart(ctx, c.name, cur, true)) return false;
      }
      await startInit(ctx, c);
      return false;
    }
    return true;
  },
};
