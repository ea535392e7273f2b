/**
 * Deployment controller (Kubernetes pkg/controller/deployment): owns ReplicaSets named
 * NAME-<pod-template-hash>; rolls a changed template out with RollingUpdate or Recreate; keeps
 * revisions, history and status (deployment-*.ts hold the parts: sync, rolling, recreate, rollback,
 * progress, status). A ReplicaSet's change enqueues its Deployment; a pod's deletion enqueues the
 * Deployment of its ReplicaSet when it uses Recreate (which waits for old pods to be gone).
 */
import type { KubeObject } from '../api/object.js';
import type { KubeClient } from '../client/types.js';
import { Resources } from '../client/resources.js';
import type { SharedInformers } from '../client/shared-informers.js';
import { objectKey, splitKey } from '../client/informer.js';
import { WorkQueue } from '../client/work-queue.js';
import { isNotFound } from '../client/errors.js';
import { selectorFromSpec, type LabelSelector } from '../api/selectors.js';
import type { Clock } from '../util/clock.js';
import { realClock } from '../util/clock.js';
import { runController, type Reconciler, type RunningController } from './runner.js';
import { claimObjects, controllerOf, recheckOwner } from './owner-routing.js';
import { createEventRecorder, type EventRecorder } from './events.js';
import { podsByController } from './replicaset.js';
import type { Deployment, ReplicaSet } from './deployment-util.js';
import { checkPausedConditions, syncDeploymentStatus } from './deployment-status.js';
import { getAllReplicaSetsAndSyncRevision, isScalingEvent, sync } from './deployment-sync.js';
import { rolloutRolling } from './deployment-rolling.js';
import { rolloutRecreate } from './deployment-recreate.js';
import type { DeploymentContext } from './deployment-context.js';

export interface DeploymentControllerOptions {
  client: KubeClient;
  informers: SharedInformers;
  clock?: Clock;
  recorder?: EventRecorder;
  workers?: number;
}

export interface DeploymentController extends RunningController { recorder: EventRecorder }

function selectorOf(d: KubeObject): LabelSelector | undefined {
  try { return selectorFromSpec((d as Deployment).spec?.selector); } catch { return undefined; }
}

export function startDeploymentController(opts: DeploymentControllerOptions): DeploymentController {
  const { client } = opts;
  const clock = opts.clock ?? realClock;
  const recorder = opts.recorder ?? createEventRecorder(client, 'deployment-controller', clock);
  const deployments = opts.informers.for<Deployment>(Resources.deployments);
  const replicaSets = opts.informers.for<ReplicaSet>(Resources.replicasets);
  const pods = podsByController(opts.informers);
  const queue = new WorkQueue({ clock });

  const ownerKey = (rs: KubeObject): string | undefined => {
    const ref = controllerOf(rs);
    if (!ref || ref.kind !== 'Deployment') return undefined;
    const key = `${rs.metadata.namespace}/${ref.name}`;
    return deployments.get(key)?.metadata.uid === ref.uid ? key : undefined;
  };
  const enqueueMatching = (rs: KubeObject) => {
    for (const d of deployments.byIndex('namespace', String(rs.metadata.namespace))) {
      const sel = selectorOf(d);
      if (sel && !sel.empty() && sel.matches(rs.metadata.labels)) queue.add(objectKey(d));
    }
  };
  const routeRS = (rs: KubeObject) => {
    const key = ownerKey(rs);
    if (key) queue.add(key);
    else if (!controllerOf(rs)) enqueueMatching(rs);
  };

  deployments.addEventHandler({
    onAdd: (d) => queue.add(objectKey(d)),
    onUpdate: (_o, d) => queue.add(objectKey(d)),
    onDelete: (d) => queue.add(objectKey(d)),
  });
  replicaSets.addEventHandler({
    onAdd: routeRS,
    onUpdate: (old, cur) => {
      const a = controllerOf(old), b = controllerOf(cur);
      if (a && a.uid !== b?.uid) { const k = ownerKey(old); if (k) queue.add(k); }
      const labelsChanged = JSON.stringify(old.metadata.labels ?? {}) !== JSON.stringify(cur.metadata.labels ?? {});
      if (b) { const k = ownerKey(cur); if (k) queue.add(k); }
      else if (labelsChanged || a) enqueueMatching(cur);
    },
    onDelete: (rs) => { const k = ownerKey(rs); if (k) queue.add(k); },
  });
  pods.addEventHandler({
    onDelete: (pod) => {
      const ref = controllerOf(pod);
      if (!ref || ref.kind !== 'ReplicaSet') return;
      const rs = replicaSets.get(`${pod.metadata.namespace}/${ref.name}`);
      if (!rs) return;
      const key = ownerKey(rs);
      if (key && deployments.get(key)?.spec.strategy?.type === 'Recreate') queue.add(key);
    },
  });

  const reconciler: Reconciler = {
    name: 'deployment',
    async reconcile(key) {
      const cached = deployments.get(key);
      if (!cached) return;
      const { namespace } = splitKey(key);
      const ctx: DeploymentContext = { client, recorder, clock, pods, d: structuredClone(cached) };
      const d = ctx.d;
      const selector = selectorOf(d);
      if (!selector || selector.empty()) {
        recorder.event(d, 'Warning', 'SelectingAll', 'This deployment is selecting all pods. A non-empty selector is required.');
        if ((d.status?.observedGeneration ?? 0) < (d.metadata.generation ?? 0)) {
          await client.update(Resources.deployments, namespace, { ...d, status: { ...d.status, observedGeneration: d.metadata.generation } }, { subresource: 'status' });
        }
        return;
      }
      const rsList = await claimObjects<ReplicaSet>({
        client, owner: d, ownerRef: Resources.deployments, dependentRef: Resources.replicasets, selector,
        candidates: replicaSets.byIndex('namespace', String(namespace)),
        canAdopt: recheckOwner(client, Resources.deployments, d),
      });
      try {
        if (d.metadata.deletionTimestamp) {
          const { newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(ctx, rsList, false);
          await syncDeploymentStatus(ctx, [...oldRSs, newRS], newRS);
          return;
        }
        await checkPausedConditions(ctx);
        if (ctx.d.spec.paused) { await sync(ctx, rsList); return; }
        if (await isScalingEvent(ctx, rsList)) { await sync(ctx, rsList); return; }
        if (ctx.d.spec.strategy?.type === 'Recreate') await rolloutRecreate(ctx, rsList);
        else await rolloutRolling(ctx, rsList);
      } catch (err) {
        if (isNotFound(err) && !deployments.get(key)) return;
        throw err;
      }
      return ctx.requeueAfterMs !== undefined ? { requeueAfterMs: ctx.requeueAfterMs } : undefined;
    },
  };
  return { ...runController(reconciler, queue, opts.workers ?? 5), recorder };
}
