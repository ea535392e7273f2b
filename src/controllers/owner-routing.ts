/**
 * Owner routing and claiming, as controller-runtime's EnqueueRequestForOwner and Kubernetes'
 * ControllerRefManager: a changed dependent enqueues its controlling owner; a controller adopts
 * orphans its selector matches and releases the dependents it owns that no longer match.
 */
import type { KubeObject, OwnerReference } from '../api/object.js';
import type { KubeClient, ResourceRef } from '../client/types.js';
import type { Informer } from '../client/informer.js';
import type { LabelSelector } from '../api/selectors.js';
import { isNotFound, isConflict } from '../client/errors.js';

export function controllerOf(obj: KubeObject): OwnerReference | undefined {
  return obj.metadata.ownerReferences?.find((r) => r.controller === true);
}

/** An ownerReference to `owner` that marks it as the controller (blockOwnerDeletion, as Kubernetes sets it). */
export function controllerRef(owner: KubeObject, ref: ResourceRef): OwnerReference {
  return {
    apiVersion: ref.group ? `${ref.group}/${ref.version}` : ref.version,
    kind: ref.kind,
    name: String(owner.metadata.name),
    uid: String(owner.metadata.uid),
    controller: true,
    blockOwnerDeletion: true,
  };
}

/**
 * Handlers for a dependent informer that enqueue the controlling owner of kind `ownerKind`
 * (for both the old and new owner when an update changed it). `onOrphan` is told about changed
 * objects without a controller (to find controllers that may adopt them).
 */
export function enqueueOwner<T extends KubeObject>(
  dependents: Informer<T>,
  ownerKind: string,
  enqueue: (key: string) => void,
  onOrphan?: (obj: T) => void,
): void {
  const route = (obj: T) => {
    const ref = controllerOf(obj);
    if (ref && ref.kind === ownerKind) enqueue(obj.metadata.namespace ? `${obj.metadata.namespace}/${ref.name}` : ref.name);
    else if (!ref) onOrphan?.(obj);
  };
  dependents.addEventHandler({
    onAdd: route,
    onUpdate: (old, cur) => {
      const a = controllerOf(old), b = controllerOf(cur);
      if (a && (!b || a.uid !== b.uid)) route(old);
      route(cur);
    },
    onDelete: route,
  });
}

/**
 * ControllerRefManager.ClaimObjects: the dependents this controller should manage.
 * Owned and matching → kept; owned and not matching → released (unless the owner is being
 * deleted); orphan and matching → adopted (unless the owner or the orphan is being deleted).
 * `canAdopt` is asked once before the first adoption (Kubernetes re-reads the owner to make sure
 * it was not deleted meanwhile: RecheckDeletionTimestamp).
 */
export async function claimObjects<T extends KubeObject>(opts: {
  client: KubeClient;
  owner: KubeObject;
  ownerRef: ResourceRef;
  dependentRef: ResourceRef;
  selector: LabelSelector;
  candidates: T[];
  canAdopt?: () => Promise<boolean>;
}): Promise<T[]> {
  const { owner, selector } = opts;
  const uid = owner.metadata.uid;
  const claimed: T[] = [];
  let adoptOk: boolean | undefined;
  const errors: unknown[] = [];
  for (const obj of opts.candidates) {
    const ref = controllerOf(obj);
    if (ref) {
      if (ref.uid !== uid) continue;
      if (selector.matches(obj.metadata.labels)) { claimed.push(obj); continue; }
      if (owner.metadata.deletionTimestamp) continue;
      try { await release(opts.client, opts.dependentRef, obj, String(uid)); } catch (err) { if (!isNotFound(err)) errors.push(err); }
      continue;
    }
    if (owner.metadata.deletionTimestamp || !selector.matches(obj.metadata.labels)) continue;
    if (obj.metadata.deletionTimestamp) continue;
    if (owner.metadata.namespace && owner.metadata.namespace !== obj.metadata.namespace) continue;
    if (adoptOk === undefined) adoptOk = opts.canAdopt ? await opts.canAdopt() : true;
    if (!adoptOk) continue;
    try {
      claimed.push(await adopt(opts.client, opts.dependentRef, obj, controllerRef(owner, opts.ownerRef)));
    } catch (err) {
      if (!isNotFound(err)) errors.push(err);
    }
  }
  if (errors.length) throw errors[0];
  return claimed;
}

/** Add a controller ownerReference (strategic merge on uid, with the dependent's uid as precondition). */
export function adopt<T extends KubeObject>(client: KubeClient, ref: ResourceRef, obj: T, owner: OwnerReference): Promise<T> {
  return client.patch<T>(ref, obj.metadata.namespace, String(obj.metadata.name), 'strategic', {
    metadata: { ownerReferences: [owner], uid: obj.metadata.uid },
  });
}

/** Remove the ownerReference with `ownerUid`. */
export async function release<T extends KubeObject>(client: KubeClient, ref: ResourceRef, obj: T, ownerUid: string): Promise<void> {
  await removeOwnerReferences(client, ref, obj.metadata.namespace, String(obj.metadata.name), String(obj.metadata.uid), [ownerUid]);
}

/**
 * Remove the ownerReferences to `ownerUids` from an object (read, filter, write with its
 * resourceVersion; retried on conflict). When none is left the field is dropped, as Kubernetes
 * (which omits an empty list) shows it. Nothing happens when the object is gone or has another uid.
 */
export async function removeOwnerReferences(client: KubeClient, ref: ResourceRef, namespace: string | undefined, name: string, uid: string, ownerUids: string[]): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    let live: KubeObject;
    try { live = await client.get(ref, namespace, name); } catch (err) { if (isNotFound(err)) return; throw err; }
    if (live.metadata.uid !== uid) return;
    const refs = live.metadata.ownerReferences ?? [];
    const remaining = refs.filter((o) => !ownerUids.includes(o.uid));
    if (remaining.length === refs.length) return;
    const meta = { ...live.metadata, ownerReferences: remaining };
    if (!remaining.length) delete (meta as { ownerReferences?: unknown }).ownerReferences;
    try {
      await client.update(ref, namespace, { ...live, metadata: meta });
      return;
    } catch (err) {
      if (isNotFound(err)) return;
      if (!isConflict(err) || attempt >= 10) throw err;
    }
  }
}

/** A recheck for claimObjects' canAdopt: the owner still exists with the same uid and is not being deleted. */
export function recheckOwner(client: KubeClient, ref: ResourceRef, owner: KubeObject): () => Promise<boolean> {
  return async () => {
    try {
      const fresh = await client.get(ref, owner.metadata.namespace, String(owner.metadata.name));
      return fresh.metadata.uid === owner.metadata.uid && !fresh.metadata.deletionTimestamp;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  };
}
