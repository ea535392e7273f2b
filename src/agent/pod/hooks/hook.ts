/**
 * A step of a pod's lifecycle. While the pod should run, `sync` runs on every pass in list order
 * and returns false to end the pass there (wait: something is not ready yet or failed — the
 * reason is in the context); `stop` runs in reverse order when the pod stops (every hook runs,
 * errors are collected); `cleanup` when the pod is forgotten (removes what it left on the host).
 */
import type { PodContext } from '../pod-context.js';

export interface PodHook {
  readonly name: string;
  sync?(ctx: PodContext): Promise<boolean>;
  stop?(ctx: PodContext, gracePeriodSeconds: number, reason: string): Promise<void>;
  cleanup?(ctx: PodContext): Promise<void>;
}
