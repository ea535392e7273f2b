/**
 * Volumes: every volume of the pod set up (or refreshed: configMap/secret/downwardAPI/projected
 * content follows the API) before any container starts; a failure is a FailedMount event and the
 * pod waits (ContainerCreating). Cleanup unmounts tmpfs volumes and removes the pod's dir.
 */
import { rmSync } from 'node:fs';
import type { PodHook } from './hook.js';
import { setUpVolume } from '../../volumes/volume-plugins.js';
import { mountPoints, unmountAll } from '../../../runtime/oci/mounts.js';
import type { PodContext } from '../pod-context.js';

const paths = new WeakMap<PodContext, Map<string, string>>();

/** Host paths of the pod's volumes, by volume name (set by the last successful sync). */
export function volumePaths(ctx: PodContext): Map<string, string> { return paths.get(ctx) ?? new Map(); }

/** Unmounts whatever is mounted under a pod's dir (tmpfs volumes) and removes it. */
export async function removePodFiles(dir: string): Promise<void> {
  const under = [...mountPoints()].filter((m) => m.startsWith(`${dir}/`)).sort((a, b) => b.length - a.length);
  for (const m of under) await unmountAll(m);
  rmSync(dir, { recursive: true, force: true });
}

export const volumesHook: PodHook = {
  name: 'volumes',
  async sync(ctx) {
    const out = new Map<string, string>();
    for (const v of ctx.pod.spec?.volumes ?? []) {
      try {
        out.set(v.name, await setUpVolume(ctx, v));
      } catch (e) {
        const msg = `MountVolume.SetUp failed for volume "${v.name}" : ${(e as Error).message}`;
        ctx.svc.events.pod(ctx.pod, 'Warning', 'FailedMount', msg);
        ctx.wakeAt(ctx.svc.clock.now() + 2_000);
        return false;
      }
    }
    paths.set(ctx, out);
    return true;
  },
  async cleanup(ctx) {
    await removePodFiles(ctx.svc.paths.podDir(ctx.uid));
    const md = ctx.pod.metadata!;
    rmSync(ctx.svc.paths.podLogDir(md.namespace!, md.name!, ctx.uid), { recursive: true, force: true });
    ctx.svc.tokens.forgetPod(ctx.uid);
  },
};
