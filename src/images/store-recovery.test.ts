import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, mkdir, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImageStore } from './image-store.js';
import { buildImage, layoutTar } from './build/oci-image.js';

function tinyImage(name: string, content: string) {
  return buildImage({ names: [name], layers: [[{ path: 'f', type: 'file', mode: 0o644, content: Buffer.from(content) }]], config: {} });
}

test('leftovers of crashed processes are removed at start; live writers are left alone', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'peapod-recovery-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
  await mkdir(join(dir, 'tmp'), { recursive: true });
  await mkdir(join(dir, 'layers', `.tmp-0123456789abcdef-${dead}-zz`), { recursive: true });
  await writeFile(join(dir, 'tmp', `ingest-${dead}-abc`), 'partial');
  await writeFile(join(dir, 'tmp', `ingest-${process.pid}-live`), 'in flight');
  await writeFile(join(dir, 'images.lock'), String(dead)); // a dead owner's lock is taken over
  const store = new ImageStore({ dir });
  await store.init();
  assert.deepEqual(await readdir(join(dir, 'tmp')), [`ingest-${process.pid}-live`]);
  assert.deepEqual(await readdir(join(dir, 'layers')), []);
  const tar = join(dir, 'a.tar');
  await writeFile(tar, layoutTar(tinyImage('example.test/a:1', 'a')));
  assert.equal((await store.importArchive(tar)).length, 1);
  await assert.rejects(stat(join(dir, 'images.lock')), { code: 'ENOENT' });
});

test('re-importing an unchanged archive does not read it again', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'peapod-reimport-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const tar = join(dir, 'a.tar');
  const bytes = layoutTar(tinyImage('example.test/a:1', 'a'));
  await writeFile(tar, bytes);
  const store = new ImageStore({ dir: join(dir, 'store') });
  const first = await store.importArchive(tar);
  const st = await stat(tar);
  await writeFile(tar, Buffer.alloc(bytes.length, 0x41)); // same size and mtime, other bytes
  await utimes(tar, st.atime, st.mtime);
  assert.deepEqual((await store.importArchive(tar)).map((r) => r.id), first.map((r) => r.id));
  await utimes(tar, st.atime, new Date(st.mtimeMs + 5000));
  await assert.rejects(store.importArchive(tar), /not a readable tar archive|neither an OCI image layout/);
  // Once the image is removed, the same archive is imported again.
  await writeFile(tar, bytes);
  await store.remove('example.test/a:1');
  assert.equal(await store.has('example.test/a:1'), false);
  await store.importArchive(tar);
  assert.equal(await store.has('example.test/a:1'), true);
});

test('two processes importing into one store at once keep both images', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'peapod-twoproc-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const tars: string[] = [];
  for (let i = 0; i < 6; i++) {
    tars.push(join(dir, `img${i}.tar`));
    await writeFile(tars[i]!, layoutTar(tinyImage(`example.test/img${i}:1`, `content ${i}`)));
  }
  const storeDir = join(dir, 'store');
  const modUrl = new URL('./image-store.js', import.meta.url).href;
  const script = `const { ImageStore } = await import(${JSON.stringify(modUrl)});
    const s = new ImageStore({ dir: ${JSON.stringify(storeDir)} });
    for (const f of ${JSON.stringify(tars.slice(3))}) await s.importArchive(f);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  t.after(() => { if (child.exitCode === null) child.kill('SIGKILL'); });
  const store = new ImageStore({ dir: storeDir });
  for (const f of tars.slice(0, 3)) await store.importArchive(f);
  assert.equal(await exited, 0, stderr);
  const names = (await new ImageStore({ dir: storeDir }).list()).flatMap((r) => r.repoTags).sort();
  assert.deepEqual(names, tars.map((_, i) => `example.test/img${i}:1`));
  assert.deepEqual((await store.list()).length, 6, 'the first store instance sees the other process\'s images');
});

test('OCI layout names: io.containerd.image.name, a full org.opencontainers.image.ref.name, or none', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'peapod-refname-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const store = new ImageStore({ dir: join(dir, 'store') });
  const cases: Array<[Record<string, string>, string[]]> = [
    [{ 'org.opencontainers.image.ref.name': 'quay.example/team/app:2.0' }, ['quay.example/team/app:2.0']],
    [{ 'org.opencontainers.image.ref.name': 'just-a-tag' }, []],
    [{ 'io.containerd.image.name': 'app:3', 'org.opencontainers.image.ref.name': '3' }, ['docker.io/library/app:3']],
  ];
  for (const [i, [annotations, want]] of cases.entries()) {
    const img = tinyImage('unused:1', `case ${i}`);
    const index = JSON.parse(img.files.get('index.json')!.toString()) as { manifests: Array<{ annotations: Record<string, string> }> };
    index.manifests[0]!.annotations = annotations;
    img.files.set('index.json', Buffer.from(JSON.stringify(index)));
    await writeFile(join(dir, `${i}.tar`), layoutTar(img));
    const [rec] = await store.importArchive(join(dir, `${i}.tar`));
    assert.deepEqual(rec!.repoTags, want, JSON.stringify(annotations));
    assert.equal(rec!.id, img.configDigest);
  }
});
