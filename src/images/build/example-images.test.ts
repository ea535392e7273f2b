import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, mkdir, readFile, readlink, rm, stat, lstat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureExampleImages, importExampleImages, BUSYBOX_NAMES, REGISTRY_NAMES } from './example-images.js';
import { ImageStore } from '../image-store.js';

test('example images build offline, are reproducible, skip rebuilds, and import into the store', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'peapod-example-images-'));
  const merged = join(root, 'merged');
  let mounted = false;
  t.after(async () => {
    if (mounted) execFileSync('umount', [merged]);
    await rm(root, { recursive: true, force: true });
  });
  const outDir = join(root, 'out');
  const built: string[] = [];
  const paths = await ensureExampleImages({ outDir, onProgress: (m) => built.push(m) });
  assert.deepEqual(paths, [join(outDir, 'busybox.tar'), join(outDir, 'registry.tar')]);
  assert.deepEqual(built, ['building image busybox', 'building image registry']);
  const first = await Promise.all(paths.map((p) => readFile(p)));
  const mtimes = await Promise.all(paths.map(async (p) => (await stat(p)).mtimeMs));

  // Up to date: nothing rebuilt.
  const again: string[] = [];
  assert.deepEqual(await ensureExampleImages({ outDir, onProgress: (m) => again.push(m) }), paths);
  assert.deepEqual(again, []);
  assert.deepEqual(await Promise.all(paths.map(async (p) => (await stat(p)).mtimeMs)), mtimes);

  // Deterministic: a fresh build gives the same bytes.
  const out2 = join(root, 'out2');
  const paths2 = await ensureExampleImages({ outDir: out2 });
  for (let i = 0; i < paths.length; i++) assert.ok(first[i]!.equals(await readFile(paths2[i]!)), `${paths2[i]} identical`);

  const all = await importExampleImages(new ImageStore({ dir: join(root, 'store-all') }), { outDir });
  assert.deepEqual(all.flatMap((r) => r.repoTags).sort(), [...BUSYBOX_NAMES, ...REGISTRY_NAMES].sort());

  const store = new ImageStore({ dir: join(root, 'store') });
  const bb = await store.importArchive(paths[0]!);
  assert.equal(bb.length, 1);
  assert.deepEqual((await store.get('busybox:1.36'))?.repoTags.sort(), ['docker.io/library/busybox:1.36', 'docker.io/library/busybox:latest']);
  assert.equal((await store.get('busybox'))?.id, bb[0]!.id);
  assert.deepEqual((await store.config('busybox')).cmd, ['sh']);
  const reg = await store.importArchive(paths[1]!);
  assert.deepEqual((await store.get('registry:2'))?.repoTags.sort(), ['docker.io/library/registry:2', 'docker.io/openshift/origin-docker-registry:v0.6.2']);
  assert.equal(reg[0]!.layers[0]!.diffID, bb[0]!.layers[0]!.diffID, 'registry shares the busybox layer');
  const rc = await store.config('registry:2');
  assert.deepEqual([rc.entrypoint, rc.cmd, rc.exposedPorts], [['/entrypoint.sh'], ['/etc/docker/registry/config.yml'], ['5000/tcp']]);

  // The root file systems look right through overlayfs.
  const lowers = await store.lowerDirs('registry:2');
  assert.equal(lowers.length, 2);
  await mkdir(merged);
  execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', `ro,lowerdir=${lowers.join(':')}`, merged]);
  mounted = true;
  assert.equal(await readlink(join(merged, 'bin/sh')), '/bin/busybox');
  assert.equal((await stat(join(merged, 'tmp'))).mode & 0o7777, 0o1777);
  assert.match(await readFile(join(merged, 'etc/passwd'), 'utf8'), /^root:x:0:0:root:\/root:\/bin\/sh$/m);
  assert.match(await readFile(join(merged, 'etc/docker/registry/config.yml'), 'utf8'), /rootdirectory: \/registry/);
  assert.ok((await lstat(join(merged, 'lib64/ld-linux-x86-64.so.2'))).isFile());
  // The registry binary runs against the image's own libc (chroot into the merged tree).
  const version = execFileSync('chroot', [merged, '/bin/registry', '--version'], { encoding: 'utf8' });
  assert.match(version, /github.com\/docker\/distribution/);
  assert.match(execFileSync('chroot', [merged, '/bin/sh', '-c', 'echo $((6*7))'], { encoding: 'utf8' }), /^42$/m);
  execFileSync('umount', [merged]);
  mounted = false;
});
