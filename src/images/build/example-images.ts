/**
 * The example and test images, built offline from this machine's Debian packages:
 *
 *   busybox   docker.io/library/busybox:1.36, :latest — /bin/busybox (busybox-static) with the
 *             `busybox --install -s` symlinks, /etc/passwd, /etc/group, /tmp 1777; CMD ["sh"].
 *   registry  docker.io/library/registry:2 (and the name the OpenShift seed example uses) — the
 *             busybox layer plus Debian's docker-registry binary (with the libc it links against),
 *             /etc/docker/registry/config.yml listening on :5000 with storage at /registry, and the
 *             official image's /entrypoint.sh: ENTRYPOINT ["/entrypoint.sh"],
 *             CMD ["/etc/docker/registry/config.yml"] (→ `registry serve /etc/docker/registry/config.yml`).
 *
 * Output: .peapod-build/images/<name>.tar (OCI layout tarballs). A tarball is rebuilt only when an
 * input (the binaries, the recipe version) changed.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join, dirname } from 'node:path';
import { realpathSync } from 'node:fs';
import { repoRoot } from '../../cli/paths.js';
import { buildImage, layoutTar, type LayerEntry } from './oci-image.js';
import type { ImageStore, ImageRecord } from '../image-store.js';

/** Bump when a recipe changes, so old tarballs are rebuilt. */
const RECIPE_VERSION = 3;
export const BUSYBOX = '/bin/busybox';
const REGISTRY = '/usr/bin/docker-registry';
export const PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export const BUSYBOX_NAMES = ['docker.io/library/busybox:1.36', 'docker.io/library/busybox:latest'];
export const REGISTRY_NAMES = ['docker.io/library/registry:2', 'docker.io/openshift/origin-docker-registry:v0.6.2'];

export function defaultBuildDir(): string {
  return join(repoRoot(), '.peapod-build', 'images');
}

/** The parent directories of `paths` as layer entries (a layer lists the dirs it creates). */
export function dirsOf(paths: string[]): LayerEntry[] {
  const dirs = new Set<string>();
  for (const p of paths) {
    const parts = p.split('/');
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  }
  return [...dirs].map((d) => ({ path: d, type: 'dir' as const, mode: 0o755 }));
}

/** The busybox root file system as layer entries. */
export async function busyboxLayer(): Promise<LayerEntry[]> {
  const applets = execFileSync(BUSYBOX, ['--list-full'], { encoding: 'utf8' }).split('\n').map((s) => s.trim()).filter((s) => s && s !== 'bin/busybox');
  const fixedDirs: LayerEntry[] = [
    { path: 'bin', type: 'dir', mode: 0o755 }, { path: 'sbin', type: 'dir', mode: 0o755 },
    { path: 'usr', type: 'dir', mode: 0o755 }, { path: 'usr/bin', type: 'dir', mode: 0o755 }, { path: 'usr/sbin', type: 'dir', mode: 0o755 },
    { path: 'etc', type: 'dir', mode: 0o755 }, { path: 'proc', type: 'dir', mode: 0o555 }, { path: 'sys', type: 'dir', mode: 0o555 },
    { path: 'dev', type: 'dir', mode: 0o755 }, { path: 'tmp', type: 'dir', mode: 0o1777 }, { path: 'root', type: 'dir', mode: 0o700 },
    { path: 'home', type: 'dir', mode: 0o755 }, { path: 'var', type: 'dir', mode: 0o755 }, { path: 'var/spool', type: 'dir', mode: 0o755 },
    { path: 'var/spool/mail', type: 'dir', mode: 0o755 }, { path: 'var/www', type: 'dir', mode: 0o755 },
  ];
  const known = new Set(fixedDirs.map((d) => d.path));
  const extraDirs = dirsOf(applets).filter((d) => !known.has(d.path));
  return [
    ...fixedDirs, ...extraDirs,
    { path: 'bin/busybox', type: 'file', mode: 0o755, content: await readFile(BUSYBOX) },
    ...applets.map((a) => ({ path: a, type: 'symlink' as const, mode: 0o777, linkname: '/bin/busybox' })),
    { path: 'etc/passwd', type: 'file', mode: 0o644, content: Buffer.from('root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n') },
    { path: 'etc/group', type: 'file', mode: 0o644, content: Buffer.from('root:x:0:\nnogroup:x:65534:\n') },
    { path: 'etc/hostname', type: 'file', mode: 0o644, content: Buffer.from('') },
  ];
}

const REGISTRY_CONFIG = `version: 0.1
log:
  fields:
    service: registry
storage:
  cache:
    blobdescriptor: inmemory
  filesystem:
    rootdirectory: /registry
http:
  addr: :5000
  headers:
    X-Content-Type-Options: [nosniff]
health:
  storagedriver:
    enabled: true
    interval: 10s
    threshold: 3
`;

const REGISTRY_ENTRYPOINT = `#!/bin/sh
set -e
case "$1" in
    *.yaml|*.yml) set -- registry serve "$@" ;;
    serve|garbage-collect|help|-*) set -- registry "$@" ;;
esac
exec "$@"
`;

/** Shared libraries a dynamically linked binary needs (from ldd), as [path in image, host file]. */
export function sharedLibs(binary: string): Array<[string, string]> {
  const out = execFileSync('ldd', [binary], { encoding: 'utf8' });
  const libs: Array<[string, string]> = [];
  for (const line of out.split('\n')) {
    const m = line.match(/=>\s*(\/\S+)/) ?? line.match(/^\s*(\/\S+)\s+\(/);
    if (m) libs.push([m[1]!.replace(/^\//, ''), realpathSync(m[1]!)]);
  }
  return libs;
}

export async function registryLayer(): Promise<LayerEntry[]> {
  const files: LayerEntry[] = [
    { path: 'bin/registry', type: 'file', mode: 0o755, content: await readFile(REGISTRY) },
    { path: 'etc/docker/registry/config.yml', type: 'file', mode: 0o644, content: Buffer.from(REGISTRY_CONFIG) },
    { path: 'entrypoint.sh', type: 'file', mode: 0o755, content: Buffer.from(REGISTRY_ENTRYPOINT) },
    { path: 'registry', type: 'dir', mode: 0o755 },
  ];
  for (const [inImage, host] of sharedLibs(REGISTRY)) files.push({ path: inImage, type: 'file', mode: 0o755, content: await readFile(host) });
  const have = new Set(files.map((f) => f.path));
  return [...dirsOf(files.map((f) => f.path)).filter((d) => !have.has(d.path)), ...files];
}

/** How to build one image tarball: its file name, the host files it is made of, and the build. */
export interface Recipe { name: string; inputs: () => string[]; build: () => Promise<Buffer>; /** Bumped when this recipe alone changes. */ version?: number }

const recipes: Recipe[] = [
  {
    name: 'busybox',
    inputs: () => [BUSYBOX],
    build: async () => layoutTar(buildImage({
      names: BUSYBOX_NAMES, layers: [await busyboxLayer()], config: { Env: [PATH_ENV], Cmd: ['sh'] },
    })),
  },
  {
    name: 'registry',
    inputs: () => [BUSYBOX, REGISTRY, ...sharedLibs(REGISTRY).map(([, h]) => h)],
    build: async () => layoutTar(buildImage({
      names: REGISTRY_NAMES,
      layers: [await busyboxLayer(), await registryLayer()],
      config: {
        Env: [PATH_ENV], Entrypoint: ['/entrypoint.sh'], Cmd: ['/etc/docker/registry/config.yml'],
        ExposedPorts: { '5000/tcp': {} }, Volumes: { '/registry': {} },
      },
    })),
  },
];

async function inputKey(r: Recipe): Promise<string> {
  const h = createHash('sha256').update(`recipe ${RECIPE_VERSION}${r.version ? `.${r.version}` : ''} ${r.name}\n`);
  for (const f of r.inputs()) {
    const s = await stat(f);
    h.update(`${f} ${s.size} ${s.mtimeMs}\n`);
  }
  return h.digest('hex');
}

/**
 * Builds `<outDir>/<name>.tar` unless it is there and its inputs (host files, recipe version) did
 * not change since; returns its path. Written to a temp file and renamed, so a reader never sees a
 * half-written tarball.
 */
export async function ensureBuilt(r: Recipe, outDir: string, onProgress?: (msg: string) => void): Promise<string> {
  await mkdir(outDir, { recursive: true });
  const tarPath = join(outDir, `${r.name}.tar`);
  const stampPath = `${tarPath}.inputs`;
  const key = await inputKey(r);
  const current = await readFile(stampPath, 'utf8').catch(() => '');
  const exists = await stat(tarPath).then(() => true, () => false);
  if (!exists || current !== key) {
    onProgress?.(`building image ${r.name}`);
    const buf = await r.build();
    const tmp = join(dirname(tarPath), `.${r.name}.tar.${process.pid}.tmp`);
    await writeFile(tmp, buf);
    await rename(tmp, tarPath);
    await writeFile(stampPath, key);
  }
  return tarPath;
}

/**
 * Builds the example images that are missing or out of date; returns the tarball paths.
 * `peapod up` calls this, and the agent imports the tarballs at start.
 */
export async function ensureExampleImages(opts: { outDir?: string; onProgress?: (msg: string) => void } = {}): Promise<string[]> {
  const outDir = opts.outDir ?? defaultBuildDir();
  const paths: string[] = [];
  for (const r of recipes) paths.push(await ensureBuilt(r, outDir, opts.onProgress));
  return paths;
}

/** Builds what is missing and imports every example image into `store` (the agent does this at start). */
export async function importExampleImages(store: ImageStore, opts: { outDir?: string; onProgress?: (msg: string) => void } = {}): Promise<ImageRecord[]> {
  const out: ImageRecord[] = [];
  for (const path of await ensureExampleImages(opts)) out.push(...(await store.importArchive(path, opts.onProgress ? { onProgress: opts.onProgress } : {})));
  return out;
}
