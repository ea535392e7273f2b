/**
 * Garbage collector (Kubernetes pkg/controller/garbagecollector): deletes objects whose owners are
 * gone, and carries out the propagation policies the REST core turned into finalizers:
 *  - background: an owner is deleted at once; its dependents, now with a dangling
 *    ownerReference, are deleted by attemptToDelete.
 *  - foreground (`foregroundDeletion` finalizer on the owner): dependents are deleted first (in
 *    foreground too when they have dependents of their own); once no dependent with
 *    blockOwnerDeletion=true is left, the finalizer is removed and the owner goes.
 *  - orphan (`orphan` finalizer): the owner's ownerReference is removed from every dependent, then
 *    the finalizer.
 * The dependency graph (garbage-collector-graph.ts) is built incrementally from shared informers of
 * every monitored resource. Each decision re-reads the object and its owners from the API (as
 * Kubernetes does), so a stale cache never deletes a live dependent.
 */
import type { KubeObject, OwnerReference } from '../api/object.js';
import type { KubeClient, ResourceRef } from '../client/types.js';
import { Resources, refFor } from '../client/resources.js';
import { builtinResources } from '../api/resources/index.js';
import type { SharedInformers } from '../client/shared-informers.js';
import { WorkQueue } from '../client/work-queue.js';
import { isNotFound, isConflict } from '../client/errors.js';
import type { Clock } from '../util/clock.js';
import { realClock } from '../util/clock.js';
import { logger } from '../util/log.js';
import { runController, type Reconciler, type RunningController } from './runner.js';
import { removeOwnerReferences } from './owner-routing.js';
import { DependencyGraph, type GraphChanges, type GraphNode, type ObjectIdentity } from './garbage-collector-graph.js';

const log = logger('garbage-collector');

/** The resources whose objects carry ownerReferences in practice (and the usual owners). */
export const GC_MONITORED: ResourceRef[] = [
  Resources.pods, Resources.replicasets, Resources.deployments, Resources.replicationcontrollers, Resources.statefulsets,
  Resources.daemonsets, Resources.jobs, Resources.cronjobs, Resources.controllerrevisions, Resources.endpointslices,
  Resources.endpoints, Resources.services, Resources.configmaps, Resources.secrets, Resources.serviceaccounts,
  Resources.persistentvolumeclaims, Resources.poddisruptionbudgets, Resources.nodes,
];

export interface GarbageCollectorOptions {
  client: KubeClient;
  informers: SharedInformers;
  clock?: Clock;
  resources?: ResourceRef[];
  workers?: number;
}

export interface GarbageCollector extends RunningController {
  graph: DependencyGraph;
}

const ABSENT_CACHE_SIZE = 500;

/** apiVersion + kind → the resource to address it by (built-in kinds; the version is the served one). */
function resolve(apiVersion: string, kind: string): ResourceRef | undefined {
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  const def = builtinResources.find((d) => d.group === group && d.kind === kind && d.verbs.includes('delete') && d.verbs.includes('get'));
  return def ? refFor(def) : undefined;
}

export function startGarbageCollector(opts: GarbageCollectorOptions): GarbageCollector {
  const { client } = opts;
  const clock = opts.clock ?? realClock;
  const graph = new DependencyGraph();
  const deleteQueue = new WorkQueue({ clock });
  const orphanQueue = new WorkQueue({ clock });
  const absent = new Map<string, true>();
  const markAbsent = (uid: string) => {
    absent.set(uid, true);
    if (absent.size > ABSENT_CACHE_SIZE) absent.delete(absent.keys().next().value as string);
  };

  const apply = (c: GraphChanges) => {
    for (const n of c.toDelete) deleteQueue.add(n.identity.uid);
    for (const n of c.toOrphan) orphanQueue.add(n.identity.uid);
  };
  for (const ref of opts.resources ?? GC_MONITORED) {
    const inf = opts.informers.for(ref);
    const apiVersion = ref.group ? `${ref.group}/${ref.version}` : ref.version;
    inf.addEventHandler({
      onAdd: (o) => apply(graph.upsert(o, apiVersion, ref.kind)),
      onUpdate: (_old, o) => apply(graph.upsert(o, apiVersion, ref.kind)),
      onDelete: (o) => { markAbsent(String(o.metadata.uid)); apply(graph.remove(String(o.metadata.uid))); },
    });
  }

  /** The object as the API has it now; undefined when gone or replaced by another with the name. */
  async function getLive(id: ObjectIdentity): Promise<KubeObject | undefined> {
    const ref = resolve(id.apiVersion, id.kind);
    if (!ref) throw new Error(`no resource for ${id.apiVersion} ${id.kind}`);
    try {
      const o = await client.get(ref, ref.namespaced ? id.namespace : undefined, id.name);
      return o.metadata.uid === id.uid ? o : undefined;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async function removeFinalizer(node: GraphNode, finalizer: string): Promise<void> {
    const ref = resolve(node.identity.apiVersion, node.identity.kind)!;
    for (let i = 0; i < 5; i++) {
      const live = await getLive(node.identity);
      if (!live || !(live.metadata.finalizers ?? []).includes(finalizer)) return;
      const next = { ...live, metadata: { ...live.metadata, finalizers: (live.metadata.finalizers ?? []).filter((f) => f !== finalizer) } };
      try {
        await client.update(ref, ref.namespaced ? node.identity.namespace : undefined, next);
        return;
      } catch (err) {
        if (isNotFound(err)) return;
        if (!isConflict(err)) throw err;
      }
    }
    throw new Error(`could not remove finalizer ${finalizer} from ${node.identity.kind} ${node.identity.name}: conflicts`);
  }

  /** Remove the ownerReferences to these owner uids (an empty list is dropped, as Kubernetes shows it). */
  async function removeOwnerRefs(node: GraphNode, ownerUids: string[]): Promise<void> {
    const ref = resolve(node.identity.apiVersion, node.identity.kind)!;
    await removeOwnerReferences(client, ref, ref.namespaced ? node.identity.namespace : undefined, node.identity.name, node.identity.uid, ownerUids);
  }

  async function deleteObject(node: GraphNode, policy: 'Background' | 'Foreground' | 'Orphan'): Promise<void> {
    const ref = resolve(node.identity.apiVersion, node.identity.kind)!;
    log.debug('deleting', { kind: node.identity.kind, namespace: node.identity.namespace, name: node.identity.name, policy });
    try {
      await client.delete(ref, ref.namespaced ? node.identity.namespace : undefined, node.identity.name, { propagationPolicy: policy, preconditions: { uid: node.identity.uid } });
    } catch (err) {
      if (!isNotFound(err) && !isConflict(err)) throw err;
    }
  }

  type Owner = { ref: OwnerReference; state: 'solid' | 'dangling' | 'waiting' };
  async function classify(node: GraphNode, owners: OwnerReference[]): Promise<Owner[]> {
    const out: Owner[] = [];
    for (const o of owners) {
      if (absent.has(o.uid)) { out.push({ ref: o, state: 'dangling' }); continue; }
      if (!resolve(o.apiVersion, o.kind)) { out.push({ ref: o, state: 'solid' }); continue; } // unknown kind: never decide it is gone
      const live = await getLive({ apiVersion: o.apiVersion, kind: o.kind, namespace: node.identity.namespace, name: o.name, uid: o.uid });
      if (!live) { markAbsent(o.uid); out.push({ ref: o, state: 'dangling' }); continue; }
      const waiting = !!live.metadata.deletionTimestamp && (live.metadata.finalizers ?? []).includes('foregroundDeletion');
      out.push({ ref: o, state: waiting ? 'waiting' : 'solid' });
    }
    return out;
  }

  const attemptToDelete: Reconciler = {
    name: 'garbage-collector-delete',
    async reconcile(uid) {
      const node = graph.get(uid);
      if (!node) return;
      if (node.virtual) {
        // an owner nobody has seen: if it does not exist, its dependents lost it
        const ref = resolve(node.identity.apiVersion, node.identity.kind);
        if (!ref) return;
        if (await getLive(node.identity)) return;
        markAbsent(uid);
        apply(graph.remove(uid));
        return;
      }
      if (node.deletingDependents) {
        const blocking = graph.blockingDependents(node);
        if (!blocking.length) { await removeFinalizer(node, 'foregroundDeletion'); return; }
        for (const d of blocking) if (!d.deletingDependents) deleteQueue.add(d.identity.uid);
        return;
      }
      const live = await getLive(node.identity);
      if (!live) return; // its deletion event will come
      if (live.metadata.deletionTimestamp && !(live.metadata.finalizers ?? []).includes('foregroundDeletion')) return;
      const owners = live.metadata.ownerReferences ?? [];
      if (!owners.length) return;
      const cls = await classify(node, owners);
      const solid = cls.filter((c) => c.state === 'solid');
      const dangling = cls.filter((c) => c.state === 'dangling');
      const waiting = cls.filter((c) => c.state === 'waiting');
      if (solid.length) {
        // keep the object; drop the references to owners that are gone or being deleted in foreground
        if (!dangling.length && !waiting.length) return;
        await removeOwnerRefs(node, [...dangling, ...waiting].map((c) => c.ref.uid));
        return;
      }
      if (waiting.length && node.dependents.size) {
        // deleting in foreground with dependents of our own; unblock the owners if a dependent waits on us (a cycle)
        for (const d of node.dependents) {
          if (d.deletingDependents) {
            const ref = resolve(node.identity.apiVersion, node.identity.kind)!;
            await client.patch(ref, ref.namespaced ? node.identity.namespace : undefined, node.identity.name, 'strategic', {
              metadata: { ownerReferences: waiting.map((w) => ({ ...w.ref, blockOwnerDeletion: false })), uid: node.identity.uid },
            });
            break;
          }
        }
        await deleteObject(node, 'Foreground');
        return;
      }
      const fin = live.metadata.finalizers ?? [];
      await deleteObject(node, fin.includes('orphan') ? 'Orphan' : fin.includes('foregroundDeletion') ? 'Foreground' : 'Background');
    },
  };

  const attemptToOrphan: Reconciler = {
    name: 'garbage-collector-orphan',
    async reconcile(uid) {
      const node = graph.get(uid);
      if (!node || !node.orphaning) return;
      const errors: unknown[] = [];
      await Promise.all([...node.dependents].map(async (d) => {
        try { await removeOwnerRefs(d, [uid]); } catch (err) { errors.push(err); }
      }));
      if (errors.length) throw errors[0];
      await removeFinalizer(node, 'orphan');
    },
  };

  const running: RunningController[] = [
    runController(attemptToDelete, deleteQueue, opts.workers ?? 10),
    runController(attemptToOrphan, orphanQueue, 2),
  ];
  return {
    graph,
    queue: deleteQueue,
    async stop() { await Promise.all(running.map((r) => r.stop())); },
  };
}
