/**
 * Turns configMap/secret/downwardAPI data into the files of a volume: `items` pick keys (and
 * paths, modes), otherwise every key becomes a file; `defaultMode` (0644 unless set) applies to
 * files without their own mode. Missing keys fail unless the source is optional.
 */
import type { KeyToPath } from 'kubernetes-types/core/v1.js';
import { validateRelativePath, type FileEntry } from './atomic-writer.js';

export function projectKeys(kind: 'configmap' | 'secret', name: string, data: Map<string, Buffer>, items: KeyToPath[] | undefined, defaultMode: number, optional: boolean, out: Map<string, FileEntry>): void {
  if (!items?.length) {
    for (const [k, v] of data) out.set(k, { data: v, mode: defaultMode });
    return;
  }
  for (const it of items) {
    const v = data.get(it.key);
    if (!v) {
      if (optional) continue;
      throw new Error(`configmap references non-existent config key: ${it.key}`.replace('configmap', kind === 'secret' ? 'secret' : 'configmap'));
    }
    const bad = validateRelativePath(it.path);
    if (bad) throw new Error(`invalid path ${JSON.stringify(it.path)} for key ${it.key} of ${kind} "${name}": ${bad}`);
    out.set(it.path, { data: v, mode: it.mode ?? defaultMode });
  }
}
