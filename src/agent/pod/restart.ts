/**
 * Restart rules shared by init and app containers: restartPolicy (Always / OnFailure / Never) and
 * the crash-loop back-off with the kubelet's CrashLoopBackOff message and BackOff event.
 */
import type { ContainerStatus } from '../../runtime/runtime.js';
import type { PodContext } from './pod-context.js';
import { formatDuration } from './backoff.js';

export function shouldRestart(policy: string, st: ContainerStatus): boolean {
  if (policy === 'Never') return false;
  if (policy === 'OnFailure') return st.exitCode !== 0;
  return true;
}

/** True when the container may be restarted now (records the restart in the back-off); false while backing off. */
export function mayRestart(ctx: PodContext, name: string, st: ContainerStatus, init: boolean): boolean {
  const { backoff } = ctx.svc;
  const key = `${ctx.uid}/${name}`;
  // The back-off runs on the agent's clock from when the agent saw the exit (the kubelet uses the
  // runtime's finishedAt; the two differ by the time to notice, and this keeps a FakeClock in charge).
  let finished = ctx.exitSeenAt.get(st.id);
  if (finished === undefined) { finished = ctx.svc.clock.now(); ctx.exitSeenAt.set(st.id, finished); }
  if (backoff.isInBackOffSince(key, finished)) {
    ctx.waiting.set(name, { reason: 'CrashLoopBackOff', message: `back-off ${formatDuration(backoff.get(key))} restarting failed container=${name} pod=${ctx.podDesc}` });
    ctx.svc.events.pod(ctx.pod, 'Warning', 'BackOff', `Back-off restarting failed container ${name} in pod ${ctx.podDesc}`, { name, init });
    ctx.wakeAt(backoff.readyAt(key, finished));
    return false;
  }
  backoff.next(key, finished);
  return true;
}

/** Removes dead instances of each container except the newest two (current and last state). */
export async function removeOldInstances(ctx: PodContext, names: string[]): Promise<void> {
  for (const name of names) {
    const dead = ctx.state.instances(name).filter((c) => c.state === 'exited');
    const latest = ctx.state.latest(name);
    const keep = new Set([latest?.id, ctx.state.previous(name)?.id]);
    for (const c of dead) if (!keep.has(c.id)) await ctx.svc.runtime.removeContainer(c.id).catch(() => undefined);
  }
}
