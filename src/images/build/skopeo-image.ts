/**
 * A test image with a registry client in it, for end-to-end tests that push to and pull from a
 * registry running in a pod:
 *
 *   peapod.test/tools/skopeo:1   the busybox layer (a shell, tar, sha256sum) plus Debian's skopeo
 *                                with the shared libraries `ldd` lists and the loader,
 *                                /etc/containers/policy.json accepting any image, /var/tmp.
 *
 * Built once into <build dir>/skopeo.tar (rebuilt only when skopeo, busybox or the recipe change).
 * It is not an example image (the agent does not import it): a test imports it into its node.
 */
import { readFile } from 'node:fs/promises';
import { buildImage, layoutTar, type LayerEntry } from './oci-image.js';
import { BUSYBOX, PATH_ENV, busyboxLayer, defaultBuildDir, dirsOf, ensureBuilt, sharedLibs, type Recipe } from './example-images.js';

export const SKOPEO = '/usr/bin/skopeo';
export const SKOPEO_IMAGE = 'peapod.test/tools/skopeo:1';

/** containers-policy.json(5): accept every image from every transport (tests, no signatures). */
const POLICY = `${JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] }, null, 2)}\n`;

export async function skopeoLayer(): Promise<LayerEntry[]> {
  const files: LayerEntry[] = [
    { path: 'usr/bin/skopeo', type: 'file', mode: 0o755, content: await readFile(SKOPEO) },
    { path: 'etc/containers/policy.json', type: 'file', mode: 0o644, content: Buffer.from(POLICY) },
  ];
  for (const [inImage, host] of sharedLibs(SKOPEO)) files.push({ path: inImage, type: 'file', mode: 0o755, content: await readFile(host) });
  const dirs: LayerEntry[] = [{ path: 'var/tmp', type: 'dir', mode: 0o1777 }];
  const have = new Set([...files, ...dirs].map((f) => f.path));
  return [...dirsOf(files.map((f) => f.path)).filter((d) => !have.has(d.path)), ...dirs, ...files];
}

const recipe: Recipe = {
  name: 'skopeo',
  version: 1,
  inputs: () => [BUSYBOX, SKOPEO, ...sharedLibs(SKOPEO).map(([, h]) => h)],
  build: async () => layoutTar(buildImage({
    names: [SKOPEO_IMAGE],
    layers: [await busyboxLayer(), await skopeoLayer()],
    config: { Env: [PATH_ENV, 'TMPDIR=/var/tmp'], Cmd: ['sh'] },
  })),
};

/** Builds the skopeo test image unless it is up to date; returns its OCI-layout tarball. */
export function ensureSkopeoImage(opts: { outDir?: string; onProgress?: (msg: string) => void } = {}): Promise<string> {
  return ensureBuilt(recipe, opts.outDir ?? defaultBuildDir(), opts.onProgress);
}
