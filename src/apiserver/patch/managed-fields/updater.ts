/**
 * The core of field ownership (structured-merge-diff's merge.Updater), over one schema and one
 * version: who owns what after an update, and the apply merge with conflict detection and pruning.
 */
import type { SchemaNode } from '../../../api/schema-node.js';
import { deepEqual, stripNulls } from '../json-value.js';
import type { Schemas } from '../schema-walk.js';
import { FieldSet, type Path } from './field-set.js';
import type { Managed } from './managers.js';
import { compare, ensureNamedFieldsAreMembers, merge, removeItems, toFieldSet, type Comparison } from './typed.js';

export interface Conflict {
  /** Manager identifier (JSON). */
  manager: string;
  path: Path;
}

export class ConflictsError extends Error {
  constructor(readonly conflicts: Conflict[]) {
    super('conflicts');
  }
}

export interface TypeContext {
  node: SchemaNode | undefined;
  schemas: Schemas;
  /** Fields the write resets (a strategy's ResetFieldsFor): nobody owns or conflicts on them. */
  ignored?: FieldSet;
}

function filtered(s: FieldSet, t: TypeContext): FieldSet {
  return t.ignored && !t.ignored.empty() ? s.recursiveDifference(t.ignored) : s;
}

/**
 * Other managers lose the fields this change modified or added (a conflict unless forced) and
 * every manager loses the fields it removed; managers left with nothing are dropped.
 */
function updateOwners(live: unknown, next: unknown, managers: Managed, workflow: string, force: boolean, t: TypeContext): Comparison {
  const raw = compare(live, next, t.node, t.schemas);
  const cmp: Comparison = { removed: filtered(raw.removed, t), modified: filtered(raw.modified, t), added: filtered(raw.added, t) };
  const changed = cmp.modified.union(cmp.added);
  const conflicts = new Map<string, FieldSet>();
  for (const [id, vs] of managers.fields) {
    if (id === workflow) continue;
    const c = vs.set.intersection(changed);
    if (!c.empty()) conflicts.set(id, c);
  }
  if (!force && conflicts.size > 0) {
    const list: Conflict[] = [];
    for (const id of [...conflicts.keys()].sort()) {
      for (const path of conflicts.get(id)!.paths()) list.push({ manager: id, path });
    }
    throw new ConflictsError(list);
  }
  for (const [id, vs] of [...managers.fields]) {
    if (id === workflow) continue;
    let set = vs.set;
    const c = conflicts.get(id);
    if (c) set = set.difference(c);
    if (!cmp.removed.empty()) set = set.difference(cmp.removed);
    managers.fields.set(id, { ...vs, set });
  }
  for (const [id, vs] of [...managers.fields]) if (vs.set.empty()) managers.fields.delete(id);
  return cmp;
}

/** A non-apply write: `manager` takes the fields it changed (structured-merge-diff Update). */
export function updateManaged(live: unknown, next: unknown, apiVersion: string, managers: Managed, manager: string, t: TypeContext): void {
  const cmp = updateOwners(live, next, managers, manager, true, t);
  const prev = managers.fields.get(manager)?.set ?? new FieldSet();
  const set = filtered(prev.difference(cmp.removed).union(cmp.modified).union(cmp.added), t);
  if (set.empty()) managers.fields.delete(manager);
  else managers.fields.set(manager, { set, apiVersion, applied: false });
}

/**
 * Apply `config` to `live`: merge, own what the config sets, prune what this manager applied
 * before and no longer does (unless someone else owns it), then settle ownership. Returns the new
 * object, or undefined when it equals the live one.
 */
export function applyManaged(live: unknown, config: unknown, apiVersion: string, managers: Managed, manager: string, force: boolean, t: TypeContext): unknown {
  const merged = merge(live, config, t.node, t.schemas) ?? {};
  const lastSet = managers.fields.get(manager);
  const set = filtered(toFieldSet(config, t.node, t.schemas), t);
  managers.fields.set(manager, { set, apiVersion, applied: true });
  const pruned = prune(merged, managers, lastSet?.set, t);
  updateOwners(live, pruned, managers, manager, force, t);
  return deepEqual(stripNulls(live), stripNulls(pruned)) ? undefined : pruned;
}

function named(s: FieldSet, t: TypeContext): FieldSet {
  return ensureNamedFieldsAreMembers(s, t.node, t.schemas);
}

function prune(merged: unknown, managers: Managed, lastSet: FieldSet | undefined, t: TypeContext): unknown {
  if (!lastSet || lastSet.empty()) return merged;
  let pruned = removeItems(merged, named(lastSet, t), t.node, t.schemas) ?? {};
  // Add back what any manager (the applier's new config included) still owns.
  let managed = new FieldSet();
  for (const vs of managers.fields.values()) managed = managed.union(vs.set);
  const mergedSet = named(toFieldSet(merged, t.node, t.schemas), t);
  let prunedSet = named(toFieldSet(pruned, t.node, t.schemas), t);
  pruned = removeItems(merged, mergedSet.difference(prunedSet.union(named(managed, t))), t.node, t.schemas) ?? {};
  // Only what this manager owned before may go: add back items that were never its.
  prunedSet = named(toFieldSet(pruned, t.node, t.schemas), t);
  return removeItems(merged, mergedSet.difference(prunedSet).intersection(named(lastSet, t)), t.node, t.schemas) ?? {};
}
