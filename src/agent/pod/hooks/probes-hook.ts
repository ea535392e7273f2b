/** Probes: workers for the running containers of the current sandbox, none for anything else. */
import type { PodHook } from './hook.js';

export const probesHook: PodHook = {
  name: 'probes',
  async sync(ctx) {
    const keep = new Set<string>();
    for (const c of [...(ctx.pod.spec?.initContainers ?? []).filter((x) => x.restartPolicy === 'Always'), ...(ctx.pod.spec?.containers ?? [])]) {
      const cur = ctx.state.current(c.name);
      if (cur?.state !== 'running') continue;
      keep.add(cur.id);
      ctx.svc.probes.ensure(ctx.pod, c, cur.id, cur.startedAt?.getTime() ?? ctx.svc.clock.now(), () => ctx.state.readySandbox?.ip);
    }
    ctx.svc.probes.retain(ctx.uid, keep);
    return true;
  },
  async stop(ctx) { ctx.svc.probes.removePod(ctx.uid); },
};
