import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, mkdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureSkopeoImage, SKOPEO_IMAGE } from './skopeo-image.js';
import { buildImage, writeLayoutDir } from './oci-image.js';
import { ImageStore } from '../image-store.js';
import { MediaType } from '../media-types.js';

const isRoot = process.getuid?.() === 0;

test('the skopeo test image builds once, and its skopeo copies an OCI layout inside the image (libs, loader, policy, temp dir)', { skip: !isRoot, timeout: 180_000 }, async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'peapod-skopeo-image-'));
  const merged = join(root, 'merged');
  let mounted = false;
  t.after(async () => {
    if (mounted) execFileSync('umount', [merged]);
    await rm(root, { recursive: true, force: true });
  });
  const outDir = join(root, 'out');
  const built: string[] = [];
  const path = await ensureSkopeoImage({ outDir, onProgress: (m) => built.push(m) });
  assert.equal(path, join(outDir, 'skopeo.tar'));
  const mtime = (await stat(path)).mtimeMs;
  assert.equal(await ensureSkopeoImage({ outDir, onProgress: (m) => built.push(m) }), path);
  assert.deepEqual(built, ['building image skopeo'], 'built once, then up to date');
  assert.equal((await stat(path)).mtimeMs, mtime);

  const store = new ImageStore({ dir: join(root, 'store') });
  const [rec] = await store.importArchive(path);
  assert.deepEqual(rec!.repoTags, [SKOPEO_IMAGE]);
  assert.deepEqual((await store.config(SKOPEO_IMAGE)).cmd, ['sh']);

  // Run it the way a container would see it: the layers through overlayfs, chroot.
  const upper = join(root, 'upper');
  const work = join(root, 'work');
  await Promise.all([mkdir(merged), mkdir(upper), mkdir(work)]);
  execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${(await store.lowerDirs(SKOPEO_IMAGE)).join(':')},upperdir=${upper},workdir=${work}`, merged]);
  mounted = true;
  assert.match(execFileSync('chroot', [merged, '/usr/bin/skopeo', '--version'], { encoding: 'utf8' }), /^skopeo version \d+\.\d+/);
  const payload = buildImage({
    names: ['example.test/payload:v1'],
    layers: [[{ path: 'hello.txt', type: 'file', mode: 0o644, content: Buffer.from('hello from a layer\n') }]],
    config: { Cmd: ['cat', '/hello.txt'] },
  });
  await writeLayoutDir(payload, join(merged, 'src'));
  // `copy` consults /etc/containers/policy.json and stages blobs in TMPDIR
  execFileSync('chroot', [merged, '/bin/sh', '-c', 'TMPDIR=/var/tmp skopeo copy --quiet oci:/src:v1 oci:/dst:v1'], { encoding: 'utf8' });
  const index = JSON.parse(await readFile(join(merged, 'dst', 'index.json'), 'utf8')) as { manifests: Array<{ digest: string; mediaType: string }> };
  assert.deepEqual(index.manifests.map((m) => [m.mediaType, m.digest]), [[MediaType.ociManifest, payload.manifestDigest]]);
  execFileSync('umount', [merged]);
  mounted = false;
});
