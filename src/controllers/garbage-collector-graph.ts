/**
 * The garbage collector's dependency graph (Kubernetes' GraphBuilder, uidToNode): one node per
 * object uid seen by the monitored informers, edges from owner to dependents through
 * ownerReferences, kept incrementally from add/update/delete events. An owner referenced but not
 * (yet) seen is a "virtual" node until it is observed or found absent.
 */
import type { KubeObject, OwnerReference } from '../api/object.js';

export interface ObjectIdentity { apiVersion: string; kind: string; namespace?: string; name: string; uid: string }

export interface GraphNode {
  identity: ObjectIdentity;
  owners: OwnerReference[];
  dependents: Set<GraphNode>;
  /** Referenced by a dependent but not observed through an informer. */
  virtual: boolean;
  beingDeleted: boolean;
  /** Being deleted in foreground (foregroundDeletion finalizer): waits for blocking dependents. */
  deletingDependents: boolean;
  /** Has the orphan finalizer while being deleted. */
  orphaning: boolean;
}

export interface GraphChanges {
  /** Nodes to check with attemptToDelete. */
  toDelete: GraphNode[];
  /** Nodes whose dependents must be orphaned. */
  toOrphan: GraphNode[];
}

export class DependencyGraph {
  private readonly nodes = new Map<string, GraphNode>();

  get size(): number { return this.nodes.size; }
  get(uid: string): GraphNode | undefined { return this.nodes.get(uid); }

  /** An object was added or changed. */
  upsert(obj: KubeObject, apiVersion: string, kind: string): GraphChanges {
    const changes: GraphChanges = { toDelete: [], toOrphan: [] };
    const uid = String(obj.metadata.uid);
    const identity: ObjectIdentity = { apiVersion, kind, namespace: obj.metadata.namespace, name: String(obj.metadata.name), uid };
    const owners = obj.metadata.ownerReferences ?? [];
    let node = this.nodes.get(uid);
    const wasDeletingDependents = node?.deletingDependents ?? false;
    const wasOrphaning = node?.orphaning ?? false;
    if (!node) {
      node = { identity, owners: [], dependents: new Set(), virtual: false, beingDeleted: false, deletingDependents: false, orphaning: false };
      this.nodes.set(uid, node);
    } else if (node.virtual) {
      node.virtual = false;
      node.identity = identity;
    }
    // owner edges: removed owners lose the dependent, added owners gain it
    const before = new Set(node.owners.map((o) => o.uid));
    const after = new Set(owners.map((o) => o.uid));
    for (const o of node.owners) {
      if (after.has(o.uid)) continue;
      const owner = this.nodes.get(o.uid);
      if (!owner) continue;
      owner.dependents.delete(node);
      // an owner waiting for its dependents may now be free
      if (owner.deletingDependents) changes.toDelete.push(owner);
      if (owner.virtual && owner.dependents.size === 0) this.nodes.delete(o.uid);
    }
    for (const o of owners) {
      let owner = this.nodes.get(o.uid);
      if (!owner) {
        owner = {
          identity: { apiVersion: o.apiVersion, kind: o.kind, namespace: obj.metadata.namespace, name: o.name, uid: o.uid },
          owners: [], dependents: new Set(), virtual: true, beingDeleted: false, deletingDependents: false, orphaning: false,
        };
        this.nodes.set(o.uid, owner);
        // is the owner there at all? attemptToDelete verifies a virtual node
        changes.toDelete.push(owner);
      }
      owner.dependents.add(node);
      if (!before.has(o.uid) && owner.deletingDependents) changes.toDelete.push(node);
    }
    // a blockOwnerDeletion change can free a foreground owner too
    for (const o of owners) {
      const prev = node.owners.find((p) => p.uid === o.uid);
      if (prev && !!prev.blockOwnerDeletion !== !!o.blockOwnerDeletion) { const owner = this.nodes.get(o.uid); if (owner?.deletingDependents) changes.toDelete.push(owner); }
    }
    node.owners = owners.map((o) => ({ ...o }));
    const finalizers = obj.metadata.finalizers ?? [];
    node.beingDeleted = !!obj.metadata.deletionTimestamp;
    node.deletingDependents = node.beingDeleted && finalizers.includes('foregroundDeletion');
    node.orphaning = node.beingDeleted && finalizers.includes('orphan');
    if (node.orphaning && !wasOrphaning) changes.toOrphan.push(node);
    if (node.deletingDependents && !wasDeletingDependents) {
      for (const d of node.dependents) changes.toDelete.push(d);
      changes.toDelete.push(node);
    }
    // a dependent of a foreground-deleting owner keeps the owner's check going
    if (node.beingDeleted) for (const o of owners) { const owner = this.nodes.get(o.uid); if (owner?.deletingDependents) changes.toDelete.push(owner); }
    return changes;
  }

  /** An object is gone (observed deletion, or a virtual node found absent). */
  remove(uid: string): GraphChanges {
    const changes: GraphChanges = { toDelete: [], toOrphan: [] };
    const node = this.nodes.get(uid);
    if (!node) return changes;
    this.nodes.delete(uid);
    for (const o of node.owners) {
      const owner = this.nodes.get(o.uid);
      if (!owner) continue;
      owner.dependents.delete(node);
      if (owner.deletingDependents) changes.toDelete.push(owner);
      if (owner.virtual && owner.dependents.size === 0) this.nodes.delete(o.uid);
    }
    // its dependents have lost an owner
    for (const d of node.dependents) changes.toDelete.push(d);
    return changes;
  }

  /** Dependents that block the owner's foreground deletion (blockOwnerDeletion=true references to it). */
  blockingDependents(node: GraphNode): GraphNode[] {
    return [...node.dependents].filter((d) => d.owners.some((o) => o.uid === node.identity.uid && o.blockOwnerDeletion === true));
  }
}
