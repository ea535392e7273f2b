/**
 * Images the node has without a registry: OCI or docker-archive tarballs dropped into
 * DIR/agent/images/ are imported at start (the store skips archives it already imported), and the
 * embedded agent also imports the example images (busybox, registry) built from Debian packages.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ImageStore } from '../../images/image-store.js';
import { importExampleImages } from '../../images/index.js';
import { logger } from '../../util/log.js';

const log = logger('agent-images');

export async function importNodeImages(store: ImageStore, dir: string, opts: { examples?: boolean } = {}): Promise<string[]> {
  const names: string[] = [];
  let files: string[] = [];
  try { files = readdirSync(dir).filter((f) => /\.(tar|tar\.gz|tgz)$/.test(f)).sort(); } catch { files = []; }
  for (const f of files) {
    try {
      const recs = await store.importArchive(join(dir, f));
      for (const r of recs) names.push(...r.repoTags);
      log.info('imported image archive', { file: f, images: recs.flatMap((r) => r.repoTags).join(',') });
    } catch (e) {
      log.warn('image archive import failed', { file: f, err: e instanceof Error ? e.message : String(e) });
    }
  }
  if (opts.examples) {
    const recs = await importExampleImages(store);
    for (const r of recs) names.push(...r.repoTags);
  }
  return names;
}
