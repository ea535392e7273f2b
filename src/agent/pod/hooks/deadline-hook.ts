/** activeDeadlineSeconds: once the pod ran that long since startTime it fails with DeadlineExceeded. */
import type { PodHook } from './hook.js';

export const deadlineHook: PodHook = {
  name: 'active-deadline',
  async sync(ctx) {
    const secs = ctx.pod.spec?.activeDeadlineSeconds;
    const start = ctx.pod.status?.startTime;
    if (secs === undefined || !start) return true;
    const at = Date.parse(start) + secs * 1000;
    if (ctx.svc.clock.now() >= at) {
      ctx.failure = { reason: 'DeadlineExceeded', message: `Pod was active on the node longer than the specified deadline` };
      ctx.svc.events.pod(ctx.pod, 'Normal', 'DeadlineExceeded', 'Pod was active on the node longer than the specified deadline');
      return false;
    }
    ctx.wakeAt(at);
    return true;
  },
};
