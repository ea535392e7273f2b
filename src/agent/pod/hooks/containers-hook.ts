/**
 * App containers: each started (image, config, create, start, postStart), kept running per
 * restartPolicy with the crash-loop back-off, restarted when a liveness/startup probe says so or
 * its spec changed; dead instances beyond the last two are removed. On stop every running
 * container gets its preStop hook and the grace period, in parallel.
 */
import type { PodHook } from './hook.js';
import { killContainer, startContainer } from '../container-runner.js';
import { mayRestart, removeOldInstances, shouldRestart } from '../restart.js';
import { volumePaths } from './volumes-hook.js';
import { nodeAllocatable } from '../node-allocatable.js';
import { ANNOTATIONS, containerHash } from '../container-config.js';
import { isSidecar, startInit } from './init-containers-hook.js';

export function gracePeriodOf(ctx: { pod: { spec?: { terminationGracePeriodSeconds?: number } } }): number {
  return ctx.pod.spec?.terminationGracePeriodSeconds ?? 30;
}

export const containersHook: PodHook = {
  name: 'containers',
  async sync(ctx) {
    const spec = ctx.pod.spec!;
    const policy = spec.restartPolicy ?? 'Always';
    // Sidecars keep running next to the app containers whatever the pod's restartPolicy.
    for (const c of (spec.initContainers ?? []).filter(isSidecar)) {
      const cur = ctx.state.current(c.name);
      if (cur?.state === 'running') {
        const probe = ctx.svc.probes.mustRestart(cur.id);
        if (probe) {
          await killContainer(ctx, c, cur, gracePeriodOf(ctx), `Container ${c.name} failed ${probe} probe, will be restarted`, true);
          await ctx.refresh();
        }
        continue;
      }
      if (cur?.state === 'exited' && !mayRestart(ctx, c.name, cur, true)) continue;
      await startInit(ctx, c);
    }
    for (const c of spec.containers) {
      let cur = ctx.state.current(c.name);
      if (cur?.state === 'running') {
        const probe = ctx.svc.probes.mustRestart(cur.id);
        const changed = cur.annotations[ANNOTATIONS.specHash] !== containerHash(c);
        if (!probe && !changed) continue;
        const msg = probe ? `Container ${c.name} failed ${probe} probe, will be restarted` : `Container ${c.name} definition changed, will be restarted`;
        // A probe's own terminationGracePeriodSeconds overrides the pod's for the kill it causes.
        const probeGrace = probe ? c[`${probe}Probe`]?.terminationGracePeriodSeconds : undefined;
        await killContainer(ctx, c, cur, probeGrace ?? gracePeriodOf(ctx), msg);
        await ctx.refresh();
        cur = ctx.state.current(c.name);
        if (!cur || cur.state !== 'exited') continue;
      }
      if (cur?.state === 'exited') {
        if (!shouldRestart(policy, cur)) continue;
        if (!mayRestart(ctx, c.name, cur, false)) continue;
      } else if (cur) {
        await ctx.svc.runtime.removeContainer(cur.id); // created but never started (an agent died mid-start)
      }
      const latest = ctx.state.latest(c.name);
      await startContainer(ctx, { c, init: false, attempt: latest ? latest.attempt + 1 : 0, volumes: volumePaths(ctx), node: nodeAllocatable() });
      await ctx.refresh();
    }
    await removeOldInstances(ctx, [...spec.containers, ...(spec.initContainers ?? []), ...(spec.ephemeralContainers ?? [])].map((c) => c.name));
    return true;
  },
  async stop(ctx, grace) {
    // Every running container of the pod, init or app (also those of a pod whose spec is unknown).
    // App containers first (in parallel), then sidecars one by one in reverse order, as the kubelet.
    const spec = ctx.pod.spec;
    const inits = spec?.initContainers ?? [];
    const sidecars = inits.filter(isSidecar).map((c) => c.name).reverse();
    const kill = (st: (typeof ctx.state.containers)[number]) => {
      const init = inits.find((c) => c.name === st.name);
      return killContainer(ctx, init ?? spec?.containers.find((c) => c.name === st.name) ?? spec?.ephemeralContainers?.find((c) => c.name === st.name) as never, st, grace, `Stopping container ${st.name}`, init !== undefined);
    };
    await Promise.all(ctx.state.running().filter((st) => !sidecars.includes(st.name)).map(kill));
    for (const name of sidecars) {
      for (const st of ctx.state.running().filter((x) => x.name === name)) await kill(st);
    }
  },
};
