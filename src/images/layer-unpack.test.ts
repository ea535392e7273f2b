import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, mkdir, readFile, readlink, rm, stat, lstat, writeFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { unpackLayer } from './layer-unpack.js';
import { encodeTar } from './tar-writer.js';

function getXattr(path: string, name: string): string | undefined {
  // GNU tar lists xattrs of files it archives; use it to read one back without extra tools.
  const out = execFileSync('tar', ['--xattrs', '--xattrs-include=*', '-c', '--no-recursion', '-f', '-', '-C', path, '.']);
  const m = out.toString('latin1').match(new RegExp(`SCHILY\\.xattr\\.${name.replace(/\./g, '\\.')}=([^\\n]*)\\n`));
  return m?.[1];
}

test('unpacks layers with metadata, converts whiteouts, and overlayfs honours them', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'peapod-unpack-'));
  const merged = join(root, 'merged');
  let mounted = false;
  t.after(async () => {
    if (mounted) execFileSync('umount', [merged]);
    await rm(root, { recursive: true, force: true });
  });
  const layer1 = encodeTar([
    { path: 'a', type: 'dir', mode: 0o755, mtime: 1000 },
    { path: 'a/gone.txt', type: 'file', mode: 0o600, uid: 1000, gid: 1001, mtime: 1234, content: Buffer.from('bye') },
    { path: 'a/kept.txt', type: 'file', mode: 0o644, mtime: 1234, content: Buffer.from('kept') },
    { path: 'a/hard', type: 'link', mode: 0o644, linkname: 'a/kept.txt' },
    { path: 'a/sym', type: 'symlink', mode: 0o777, linkname: '../b/old.txt' },
    { path: 'b', type: 'dir', mode: 0o750, mtime: 1000 },
    { path: 'b/old.txt', type: 'file', mode: 0o644, content: Buffer.from('old') },
    { path: 'b/sub', type: 'dir', mode: 0o755 },
    { path: 'b/sub/deep', type: 'file', mode: 0o644, content: Buffer.from('deep') },
    { path: 'dev', type: 'dir', mode: 0o755 },
    { path: 'dev/null', type: 'char', mode: 0o666, devmajor: 1, devminor: 3 },
    { path: 'dev/fifo', type: 'fifo', mode: 0o644 },
    { path: 'tmp', type: 'dir', mode: 0o1777 },
  ]);
  const layer2 = encodeTar([
    { path: 'a', type: 'dir', mode: 0o755, mtime: 2000 },
    { path: 'a/.wh.gone.txt', type: 'file', mode: 0o644 },
    { path: 'b', type: 'dir', mode: 0o750, mtime: 2000 },
    { path: 'b/.wh..wh..opq', type: 'file', mode: 0o644 },
    { path: 'b/new.txt', type: 'file', mode: 0o644, content: Buffer.from('new') },
    { path: '.wh.tmp', type: 'file', mode: 0o644 },
    { path: 'c.txt', type: 'file', mode: 0o644, content: Buffer.from('c') },
  ]);
  const blob1 = join(root, 'l1.tar.gz');
  const blob2 = join(root, 'l2.tar');
  await writeFile(blob1, gzipSync(layer1));
  await writeFile(blob2, layer2);
  const d1 = join(root, 'l1');
  const d2 = join(root, 'l2');
  await mkdir(d1);
  await mkdir(d2);
  const r1 = await unpackLayer(blob1, d1);
  const r2 = await unpackLayer(blob2, d2);
  assert.equal(r1.diffID, 'sha256:' + createHash('sha256').update(layer1).digest('hex'));
  assert.equal(r2.diffID, 'sha256:' + createHash('sha256').update(layer2).digest('hex'));
  assert.equal(r1.tarSize, layer1.length);
  assert.equal(r2.whiteouts, 2);
  assert.equal(r2.opaqueDirs, 1);

  // Layer 1 metadata.
  const gone = await stat(join(d1, 'a/gone.txt'));
  assert.equal(gone.mode & 0o7777, 0o600);
  assert.equal(gone.uid, 1000);
  assert.equal(gone.gid, 1001);
  assert.equal(gone.mtimeMs, 1234000);
  assert.equal((await stat(join(d1, 'a/hard'))).ino, (await stat(join(d1, 'a/kept.txt'))).ino);
  assert.equal(await readlink(join(d1, 'a/sym')), '../b/old.txt');
  const nul = await lstat(join(d1, 'dev/null'));
  assert.ok(nul.isCharacterDevice());
  assert.equal(nul.rdev, (1 << 8) | 3);
  assert.ok((await lstat(join(d1, 'dev/fifo'))).isFIFO());
  assert.equal((await stat(join(d1, 'tmp'))).mode & 0o7777, 0o1777);

  // Layer 2: whiteouts became 0,0 char devices, the opaque marker an xattr; markers are gone.
  const wh = await lstat(join(d2, 'a/gone.txt'));
  assert.ok(wh.isCharacterDevice());
  assert.equal(wh.rdev, 0);
  assert.ok((await lstat(join(d2, 'tmp'))).isCharacterDevice());
  assert.deepEqual((await readdir(join(d2, 'b'))).sort(), ['new.txt']);
  assert.deepEqual((await readdir(join(d2, 'a'))).sort(), ['gone.txt']);
  assert.equal(getXattr(join(d2, 'b'), 'trusted.overlay.opaque'), 'y');
  assert.equal(getXattr(join(d2, 'a'), 'trusted.overlay.opaque'), undefined);
  // Parent directories keep the layer's metadata despite the conversion.
  assert.equal((await stat(join(d2, 'a'))).mtimeMs, 2000000);
  assert.equal((await stat(join(d2, 'b'))).mode & 0o7777, 0o750);

  // overlayfs with both lowers: top first.
  await mkdir(merged);
  execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', `ro,lowerdir=${d2}:${d1}`, merged]);
  mounted = true;
  assert.deepEqual((await readdir(join(merged, 'a'))).sort(), ['hard', 'kept.txt', 'sym']);
  assert.deepEqual((await readdir(join(merged, 'b'))).sort(), ['new.txt']);
  assert.equal(await readFile(join(merged, 'b/new.txt'), 'utf8'), 'new');
  assert.equal(await readFile(join(merged, 'c.txt'), 'utf8'), 'c');
  await assert.rejects(stat(join(merged, 'tmp')), { code: 'ENOENT' });
  execFileSync('umount', [merged]);
  mounted = false;
});

test('a corrupt layer fails with a clear error', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'peapod-unpack-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const good = gzipSync(encodeTar([{ path: 'f', type: 'file', mode: 0o644, content: randomBytes(100000) }]));
  const bad = Buffer.concat([good.subarray(0, 200)]);
  await writeFile(join(root, 'bad.gz'), bad);
  await mkdir(join(root, 'out'));
  await assert.rejects(unpackLayer(join(root, 'bad.gz'), join(root, 'out')), /layer|tar|unexpected end/i);
});

test('zstd layers unpack too (through the zstd tool)', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'peapod-unpack-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const tar = encodeTar([{ path: 'z', type: 'dir', mode: 0o755 }, { path: 'z/file', type: 'file', mode: 0o640, content: randomBytes(300000) }]);
  await writeFile(join(root, 'l.tar'), tar);
  execFileSync('zstd', ['-q', join(root, 'l.tar'), '-o', join(root, 'l.tar.zst')]);
  await mkdir(join(root, 'out'));
  const r = await unpackLayer(join(root, 'l.tar.zst'), join(root, 'out'));
  assert.equal(r.diffID, 'sha256:' + createHash('sha256').update(tar).digest('hex'));
  assert.equal((await stat(join(root, 'out/z/file'))).size, 300000);
  assert.equal((await stat(join(root, 'out/z/file'))).mode & 0o777, 0o640);
});

test('hostile layers cannot write outside the layer dir; truncated ones fail', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'peapod-unpack-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const outside = join(root, 'outside');
  await mkdir(outside);
  const hostile = encodeTar([
    { path: 'escape', type: 'symlink', mode: 0o777, linkname: outside },
    { path: 'escape/pwned', type: 'file', mode: 0o644, content: Buffer.from('x') },
    { path: 'up', type: 'symlink', mode: 0o777, linkname: '../outside' },
    { path: 'up/pwned2', type: 'file', mode: 0o644, content: Buffer.from('x') },
    { path: '../pwned3', type: 'file', mode: 0o644, content: Buffer.from('x') },
  ]);
  await writeFile(join(root, 'hostile.tar'), hostile);
  const layer = join(root, 'layer');
  await mkdir(layer);
  await unpackLayer(join(root, 'hostile.tar'), layer).catch(() => undefined); // may fail; must not escape
  assert.deepEqual(await readdir(outside), []);
  assert.deepEqual((await readdir(root)).sort(), ['hostile.tar', 'layer', 'outside']);

  const full = encodeTar([{ path: 'big', type: 'file', mode: 0o644, content: randomBytes(20000) }]);
  await writeFile(join(root, 'cut.tar'), full.subarray(0, 8192));
  await mkdir(join(root, 'cut'));
  await assert.rejects(unpackLayer(join(root, 'cut.tar'), join(root, 'cut')), /tar|unexpected|EOF/i);
});
