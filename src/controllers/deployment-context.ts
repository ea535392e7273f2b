/**
 * What one Deployment reconcile works with: the client, the event recorder, the clock, the pods
 * cache (Recreate waits for old pods), and the Deployment itself, kept current as the reconcile
 * writes it (so later steps compare against what was written).
 */
import type { KubeClient } from '../client/types.js';
import type { Informer } from '../client/informer.js';
import { Resources } from '../client/resources.js';
import type { Clock } from '../util/clock.js';
import type { EventRecorder } from './events.js';
import type { Deployment, DeploymentStatus } from './deployment-util.js';
import { REVISION } from './deployment-util.js';

export interface DeploymentContext {
  client: KubeClient;
  recorder: EventRecorder;
  clock: Clock;
  pods: Informer;
  d: Deployment;
  /** Set by progress checks: look at this Deployment again after this many ms. */
  requeueAfterMs?: number;
}

export async function updateDeploymentStatus(ctx: DeploymentContext, status: DeploymentStatus): Promise<void> {
  const d = ctx.d;
  // the counts are `omitempty` in Kubernetes' DeploymentStatus: zeros are not written
  const out: DeploymentStatus = { ...status };
  for (const k of ['observedGeneration', 'replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas', 'unavailableReplicas'] as const) if (!out[k]) delete out[k];
  ctx.d = await ctx.client.update<Deployment>(Resources.deployments, d.metadata.namespace, { ...d, status: out }, { subresource: 'status' });
}

/** SetDeploymentRevision, written at once (metadata only: the generation does not move). */
export async function setDeploymentRevision(ctx: DeploymentContext, revision: string): Promise<boolean> {
  if (ctx.d.metadata.annotations?.[REVISION] === revision) return false;
  ctx.d = await ctx.client.patch<Deployment>(Resources.deployments, ctx.d.metadata.namespace, String(ctx.d.metadata.name), 'merge', {
    metadata: { annotations: { [REVISION]: revision }, resourceVersion: ctx.d.metadata.resourceVersion },
  });
  return true;
}

export function requeueAfter(ctx: DeploymentContext, ms: number): void {
  if (ctx.requeueAfterMs === undefined || ms < ctx.requeueAfterMs) ctx.requeueAfterMs = ms;
}
