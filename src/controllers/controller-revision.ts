/**
 * ControllerRevision history for StatefulSets and DaemonSets (Kubernetes pkg/controller/history
 * and the two controllers' revision code): a revision stores the owner's pod template as a
 * strategic-merge patch (`{"spec":{"template":{…,"$patch":"replace"}}}`), is named
 * OWNER-<hash of the template and collisionCount>, labelled with the template's labels and
 * `controller.kubernetes.io/hash`, owned by its controller, and numbered: the newest revision has
 * the highest `revision`. An equal older revision is reused by raising its number. Revisions no
 * pod uses beyond revisionHistoryLimit are deleted, oldest first.
 */
import type { KubeObject } from '../api/object.js';
import type { KubeClient, ResourceRef } from '../client/types.js';
import { Resources } from '../client/resources.js';
import { isAlreadyExists, isNotFound } from '../client/errors.js';
import { controllerRef } from './owner-routing.js';

export const CONTROLLER_REVISION_HASH_LABEL = 'controller-revision-hash';
export const REVISION_HASH_LABEL = 'controller.kubernetes.io/hash';

const safeChars = 'bcdfghjklmnpqrstvwxz2456789';

/** rand.SafeEncodeString: each character mapped into a set that cannot spell words. */
export function safeEncode(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) out += safeChars[s.charCodeAt(i) % safeChars.length];
  return out;
}

/** JSON with object keys sorted, so equal values hash equally. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v).sort().filter((k) => (v as Record<string, unknown>)[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/** FNV-1a, 32 bits. */
export function fnv32a(s: string): number {
  let h = 0x811c9dc5;
  const bytes = Buffer.from(s, 'utf8');
  for (const b of bytes) { h ^= b; h = Math.imul(h, 0x01000193) >>> 0; }
  return h >>> 0;
}

/** The hash of a template (and the collision count), safe-encoded, as controller.ComputeHash. */
export function computeHash(template: unknown, collisionCount?: number): string {
  let s = canonicalJson(template);
  if (collisionCount !== undefined && collisionCount !== null) s += `/${collisionCount}`;
  return safeEncode(String(fnv32a(s)));
}

/** The revision data for an owner: its template as a replacing strategic-merge patch. */
export function revisionData(owner: KubeObject): Record<string, unknown> {
  const template = structuredClone(((owner.spec ?? {}) as { template?: Record<string, unknown> }).template ?? {});
  return { spec: { template: { ...template, $patch: 'replace' } } };
}

export function revisionNumber(rev: KubeObject): number {
  return Number((rev as { revision?: number }).revision ?? 0);
}

/** Two revisions hold the same template. */
export function equalRevisions(a: KubeObject, b: KubeObject): boolean {
  return canonicalJson(a.data) === canonicalJson(b.data);
}

/** A new (unsaved) revision for the owner's current template. */
export function newRevision(owner: KubeObject, ownerRef: ResourceRef, revision: number, collisionCount?: number): KubeObject {
  const data = revisionData(owner);
  const hash = computeHash(data.spec, collisionCount);
  const prefix = String(owner.metadata.name).slice(0, 223);
  const labels = { ...(((owner.spec as { template?: { metadata?: { labels?: Record<string, string> } } }).template?.metadata?.labels) ?? {}), [REVISION_HASH_LABEL]: hash };
  return {
    apiVersion: 'apps/v1', kind: 'ControllerRevision',
    metadata: { name: `${prefix}-${hash}`, namespace: owner.metadata.namespace, labels, ownerReferences: [controllerRef(owner, ownerRef)] },
    data,
    revision,
  };
}

export interface RevisionsResult {
  /** The revision of the owner's current template (created or reused). */
  update: KubeObject;
  /** All owned revisions, oldest first, including `update`. */
  revisions: KubeObject[];
  collisionCount: number;
}

/**
 * Find or create the revision of the owner's current template among `owned` (its ControllerRevisions).
 * A hash collision with a different template raises collisionCount and tries again.
 */
export async function ensureUpdateRevision(client: KubeClient, owner: KubeObject, ownerRef: ResourceRef, owned: KubeObject[], collisionCount = 0): Promise<RevisionsResult> {
  const revisions = [...owned].sort((a, b) => revisionNumber(a) - revisionNumber(b));
  const next = revisions.length ? revisionNumber(revisions[revisions.length - 1]) + 1 : 1;
  let count = collisionCount;
  for (let attempt = 0; attempt < 10; attempt++) {
    const candidate = newRevision(owner, ownerRef, next, count);
    const equal = revisions.filter((r) => equalRevisions(r, candidate));
    if (equal.length) {
      const found = equal[equal.length - 1];
      if (found === revisions[revisions.length - 1]) return { update: found, revisions, collisionCount: count };
      // an older revision came back: it becomes the newest
      const updated = await client.update(Resources.controllerrevisions, owner.metadata.namespace, { ...found, revision: next });
      return { update: updated, revisions: [...revisions.filter((r) => r !== found), updated], collisionCount: count };
    }
    try {
      const created = await client.create(Resources.controllerrevisions, owner.metadata.namespace, candidate);
      return { update: created, revisions: [...revisions, created], collisionCount: count };
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      const existing = await client.get(Resources.controllerrevisions, owner.metadata.namespace, String(candidate.metadata.name));
      if (equalRevisions(existing, candidate) && existing.metadata.ownerReferences?.some((r) => r.uid === owner.metadata.uid)) {
        return { update: existing, revisions: [...revisions.filter((r) => r.metadata.name !== existing.metadata.name), existing], collisionCount: count };
      }
      count++; // a different template has this name: hash again with a higher collision count
    }
  }
  throw new Error(`could not create a ControllerRevision for ${owner.metadata.namespace}/${owner.metadata.name}: too many hash collisions`);
}

/** Delete the oldest revisions not in `live` beyond `limit` (revisionHistoryLimit). */
export async function truncateHistory(client: KubeClient, revisions: KubeObject[], live: Set<string>, limit: number): Promise<void> {
  const history = revisions.filter((r) => !live.has(String(r.metadata.name))).sort((a, b) => revisionNumber(a) - revisionNumber(b));
  for (const r of history.slice(0, Math.max(0, history.length - limit))) {
    try { await client.delete(Resources.controllerrevisions, r.metadata.namespace, String(r.metadata.name)); } catch (err) { if (!isNotFound(err)) throw err; }
  }
}
