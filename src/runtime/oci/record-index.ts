/**
 * The fields of sandbox and container records that never change after creation (owner, labels, name),
 * kept in memory by id so that a filtered list reads only the records it returns. Each pod sync lists
 * its own sandboxes and containers; reading and parsing every record on the node for that made a sync
 * O(pods) and a burst of N pods O(N²).
 *
 * State stays on disk: the ids come from the directory listing on every call, an id seen for the first
 * time is read from its record, and ids no longer listed are dropped. Another runtime instance working
 * on the same directory (agent restart) is therefore seen as well.
 */
export interface FixedFields {
  /** The pod uid (sandboxes) or sandbox id (containers). */
  owner: string;
  labels?: Record<string, string>;
  name?: string;
}

export function labelsMatch(have: Record<string, string> | undefined, want: Record<string, string> | undefined): boolean {
  if (!want) return true;
  return Object.entries(want).every(([k, v]) => have?.[k] === v);
}

export class RecordIndex {
  private readonly known = new Map<string, FixedFields>();

  constructor(
    private readonly read: (id: string) => FixedFields | undefined,
    private readonly listIds: () => string[],
  ) {}

  /** Ids whose fixed fields match (every filter optional), in directory order. */
  ids(owner?: string, labels?: Record<string, string>, name?: string): string[] {
    const ids = this.listIds();
    const present = new Set(ids);
    for (const id of this.known.keys()) if (!present.has(id)) this.known.delete(id);
    const out: string[] = [];
    for (const id of ids) {
      let f = this.known.get(id);
      if (!f) {
        f = this.read(id);
        if (!f) continue; // being written or removed; not cached
        this.known.set(id, f);
      }
      if (owner !== undefined && f.owner !== owner) continue;
      if (name !== undefined && f.name !== name) continue;
      if (!labelsMatch(f.labels, labels)) continue;
      out.push(id);
    }
    return out;
  }
}
