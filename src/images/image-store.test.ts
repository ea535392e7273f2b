import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, mkdir, readdir, readFile, rm, stat, writeFile, lstat, open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { ImageStore, type PullProgress } from './image-store.js';
import { ImagePullError, InvalidImageNameError } from './errors.js';
import { parseRegistriesYaml } from './registries-config.js';
import { buildImage, buildIndex, layoutTar, writeLayoutDir, type LayerEntry } from './build/oci-image.js';
import { skopeoDockerArchive, skopeoPush, startTestRegistry, freePort, type TestRegistry } from './testing/test-registry.js';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const f = (path: string, content: string, mode = 0o644): LayerEntry => ({ path, type: 'file', mode, content: Buffer.from(content) });
const d = (path: string, mode = 0o755): LayerEntry => ({ path, type: 'dir', mode });

/** Two layers: the second deletes a file of the first and makes a directory opaque. */
function twoLayerImage() {
  return buildImage({
    names: ['example.test/twolayer:v1'],
    layers: [
      [d('etc'), f('etc/hello', 'hello\n'), d('data'), f('data/a.txt', 'A'), f('data/b.txt', 'B'), d('opq'), f('opq/x.txt', 'X'), f('opq/y.txt', 'Y'),
        { path: 'data/link', type: 'symlink', mode: 0o777, linkname: 'b.txt' }, f('bin-tool', '#!/bin/sh\n', 0o755)],
      [d('data'), f('data/.wh.a.txt', ''), f('data/c.txt', 'C'), d('opq'), f('opq/.wh..wh..opq', ''), f('opq/new.txt', 'NEW')],
    ],
    config: { Entrypoint: ['/bin-tool'], Cmd: ['--flag'], Env: ['PATH=/bin', 'A=1'], WorkingDir: '/data', User: '1000:1000', ExposedPorts: { '8080/tcp': {} }, Labels: { app: 'two' } },
  });
}

function b64(s: string) { return Buffer.from(s).toString('base64'); }

async function listTree(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string) => {
    for (const e of (await readdir(join(dir, rel), { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      out.push(p);
      if (e.isDirectory()) await walk(p);
    }
  };
  await walk('');
  return out;
}

describe('ImageStore against a real registry', () => {
  let root: string;
  let reg: TestRegistry;
  let authReg: TestRegistry;
  let layout: string;
  const built = twoLayerImage();
  const cleanups: Array<() => Promise<void>> = [];

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'peapod-images-'));
    cleanups.push(() => rm(root, { recursive: true, force: true }));
    layout = join(root, 'layout');
    await writeLayoutDir(built, layout);
    reg = await startTestRegistry();
    cleanups.push(() => reg.stop());
    authReg = await startTestRegistry({ auth: { username: 'alice', password: 's3cret' } });
    cleanups.push(() => authReg.stop());
    await skopeoPush(layout, 'v1', `${reg.host}/test/twolayer:v1`);
    await skopeoPush(layout, 'v1', `${reg.host}/test/twolayer:docker`, { format: 'v2s2' });
    await skopeoPush(layout, 'v1', `${reg.host}/library/mirrored:1`);
    // An image of its own for the corruption test (registry blob storage is shared between repositories).
    const corrupt = buildImage({ names: ['example.test/corrupt:1'], layers: [[f('one', '1')], [f('two', 'x'.repeat(5000))]], config: {} });
    await writeLayoutDir(corrupt, join(root, 'corrupt-layout'));
    await skopeoPush(join(root, 'corrupt-layout'), '1', `${reg.host}/corrupt/img:1`);
    await skopeoPush(layout, 'v1', `${authReg.host}/private/img:1`, { creds: 'alice:s3cret' });
    const big = buildImage({ names: ['example.test/big:1'], layers: [[{ path: 'big.bin', type: 'file', mode: 0o644, content: randomBytes(3 << 20) }]], config: {} });
    await writeLayoutDir(big, join(root, 'big-layout'));
    await skopeoPush(join(root, 'big-layout'), '1', `${reg.host}/test/big:1`);
  });
  after(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  });

  const newStore = async (name: string, extra: Partial<ConstructorParameters<typeof ImageStore>[0]> = {}) => {
    const dir = join(root, name);
    return new ImageStore({ dir, ...extra });
  };

  test('pulls a two-layer OCI image; overlayfs over its lower dirs shows the whiteout and the opaque dir', async (t) => {
    const store = await newStore('s1');
    const progress: string[] = [];
    const rec = await store.pull(`${reg.host}/test/twolayer:v1`, { onProgress: (p) => progress.push(p.phase) });
    assert.equal(rec.id, built.configDigest);
    assert.equal(rec.manifestDigest, built.manifestDigest);
    assert.deepEqual(rec.repoTags, [`${reg.host}/test/twolayer:v1`]);
    assert.deepEqual(rec.repoDigests, [`${reg.host}/test/twolayer@${built.manifestDigest}`]);
    assert.deepEqual(rec.layers.map((l) => l.diffID), built.diffIDs);
    assert.ok(progress.includes('resolved') && progress.includes('downloading') && progress.at(-1) === 'done');
    assert.equal(await store.has(`${reg.host}/test/twolayer:v1`), true);
    assert.equal(await store.has(`${reg.host}/test/twolayer:v2`), false);
    assert.equal((await store.get(rec.id.slice(7, 19)))?.id, rec.id);
    assert.equal((await store.get(`${reg.host}/test/twolayer@${built.manifestDigest}`))?.id, rec.id);

    const cfg = await store.config(rec);
    assert.deepEqual(cfg, {
      entrypoint: ['/bin-tool'], cmd: ['--flag'], env: ['PATH=/bin', 'A=1'], workingDir: '/data', user: '1000:1000',
      exposedPorts: ['8080/tcp'], labels: { app: 'two' }, volumes: [],
    });

    const lowers = await store.lowerDirs(rec);
    assert.equal(lowers.length, 2);
    assert.equal(lowers[0], store.layerDir(built.diffIDs[1]!)); // top first
    const merged = join(root, 'merged1');
    await mkdir(merged);
    execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', `ro,lowerdir=${lowers.join(':')}`, merged]);
    let mounted = true;
    t.after(() => { if (mounted) execFileSync('umount', [merged]); });
    assert.deepEqual(await listTree(merged), ['bin-tool', 'data', 'data/b.txt', 'data/c.txt', 'data/link', 'etc', 'etc/hello', 'opq', 'opq/new.txt']);
    assert.equal(await readFile(join(merged, 'data/link'), 'utf8'), 'B');
    assert.equal(await readFile(join(merged, 'opq/new.txt'), 'utf8'), 'NEW');
    assert.equal((await stat(join(merged, 'bin-tool'))).mode & 0o777, 0o755);
    execFileSync('umount', [merged]);
    mounted = false;

    // A second store instance over the same dir sees the image (records persisted).
    const again = new ImageStore({ dir: store.dir });
    assert.equal((await again.get(`${reg.host}/test/twolayer:v1`))?.id, rec.id);
  });

  test('pulls a Docker schema2 manifest too', async () => {
    const store = await newStore('s2');
    const rec = await store.pull(`${reg.host}/test/twolayer:docker`);
    assert.equal(rec.layers.length, 2);
    assert.deepEqual(rec.layers.map((l) => l.diffID), built.diffIDs);
    assert.match(rec.layers[0]!.mediaType, /docker/);
  });

  test('pulls by digest (with or without a tag): named by digest only', async () => {
    const store = await newStore('s2d');
    const byDigest = `${reg.host}/test/twolayer@${built.manifestDigest}`;
    const rec = await store.pull(byDigest);
    assert.deepEqual(rec.repoTags, []);
    assert.deepEqual(rec.repoDigests, [byDigest]);
    assert.equal((await store.get(byDigest))?.id, built.configDigest);
    assert.equal((await store.pull(`${reg.host}/test/twolayer:v1@${built.manifestDigest}`)).repoTags.length, 0);
    const other = 'sha256:' + '1'.repeat(64);
    await assert.rejects(store.pull(`${reg.host}/test/twolayer@${other}`), (e: unknown) => e instanceof ImagePullError && e.reason === 'NotFound'
      && e.message.includes(`${reg.host}/test/twolayer@${other} manifest ${other}: not found`));
  });

  test('multi-platform images (OCI index, Docker manifest list): linux/amd64 is picked', async () => {
    const plat = (architecture: string, variant?: string) => ({ os: 'linux', architecture, ...(variant ? { variant } : {}) });
    const spec = (arch: string) => ({ names: [], config: { Cmd: [arch] }, layers: [[f('arch', arch)]] });
    const multi = buildIndex(['example.test/multi:1'], [
      { ...spec('arm64'), platform: plat('arm64', 'v8') }, { ...spec('amd64'), platform: plat('amd64') }, { ...spec('s390x'), platform: plat('s390x') },
    ]);
    const armOnly = buildIndex(['example.test/armonly:1'], [{ ...spec('arm64'), platform: plat('arm64', 'v8') }]);
    const exec = promisify(execFile);
    for (const [img, name] of [[multi, 'multi'], [armOnly, 'armonly']] as const) {
      const dir = join(root, `layout-${name}`);
      await writeLayoutDir(img, dir);
      await exec('skopeo', ['--insecure-policy', 'copy', '--quiet', '--all', '--dest-tls-verify=false', `oci:${dir}:1`, `docker://${reg.host}/multi/${name}:1`]);
      await exec('skopeo', ['--insecure-policy', 'copy', '--quiet', '--all', '--format', 'v2s2', '--dest-tls-verify=false', `oci:${dir}:1`, `docker://${reg.host}/multi/${name}:v2s2`]);
    }
    const store = await newStore('s-multi');
    const rec = await store.pull(`${reg.host}/multi/multi:1`);
    assert.equal(rec.id, multi.platforms[1]!.configDigest);
    assert.equal(rec.manifestDigest, multi.platforms[1]!.manifestDigest);
    assert.deepEqual(rec.repoDigests, [`${reg.host}/multi/multi@${multi.indexDigest}`]);
    assert.deepEqual((await store.config(rec)).cmd, ['amd64']);
    const list = await store.pull(`${reg.host}/multi/multi:v2s2`);
    assert.deepEqual((await store.config(list)).cmd, ['amd64']);
    await assert.rejects(store.pull(`${reg.host}/multi/armonly:1`), (e: unknown) => e instanceof ImagePullError && e.reason === 'Unsupported'
      && /no match for platform linux\/amd64 in manifest sha256:[0-9a-f]{64}: not found$/.test(e.message));
    // The same index imported from an OCI layout tarball.
    const tar = join(root, 'multi.tar');
    await writeFile(tar, layoutTar(multi));
    const imp = await (await newStore('s-multi-import')).importArchive(tar);
    assert.deepEqual(imp.map((r) => [r.id, r.repoTags, r.repoDigests]), [[multi.platforms[1]!.configDigest, ['example.test/multi:1'], [`example.test/multi@${multi.indexDigest}`]]]);
  });

  test('an AbortSignal cancels a pull; a concurrent pull of the same blobs is not affected', async () => {
    const image = `${reg.host}/test/big:1`;
    const store = await newStore('s-cancel');
    const isCancelled = (e: unknown) => e instanceof ImagePullError && e.reason === 'Cancelled' && e.message === `failed to pull and unpack image "${image}": pull cancelled`;
    await assert.rejects(store.pull(image, { signal: AbortSignal.abort() }), isCancelled);
    const ac = new AbortController();
    const cancelledPull = store.pull(image, { signal: ac.signal, onProgress: (p) => { if (p.phase === 'downloading' && p.bytes < p.total) ac.abort(); } });
    await assert.rejects(cancelledPull, isCancelled);
    assert.equal(await store.has(image), false);
    assert.deepEqual(await readdir(join(store.dir, 'tmp')), []);
    // Two pulls at once, one cancelled mid-download: the other completes. Either of them may be the
    // one downloading the shared blob (the other waits for that copy), so the cancel comes from
    // whichever reports download progress.
    const ac2 = new AbortController();
    const abortMidDownload = (p: PullProgress) => { if (p.phase === 'downloading' && p.bytes < p.total) ac2.abort(); };
    const [a, b] = await Promise.allSettled([
      store.pull(image, { signal: ac2.signal, onProgress: abortMidDownload }),
      store.pull(image, { onProgress: abortMidDownload }),
    ]);
    assert.equal(a.status, 'rejected');
    assert.ok(isCancelled((a as PromiseRejectedResult).reason));
    assert.equal(b.status, 'fulfilled');
    assert.equal(await store.has(image), true);
  });

  test('concurrent pulls of one image fetch each blob once', async () => {
    const store = await newStore('s3');
    const before = reg.logLines.length;
    const recs = await Promise.all([1, 2, 3].map(() => store.pull(`${reg.host}/test/twolayer:v1`)));
    assert.ok(recs.every((r) => r.id === built.configDigest));
    await reg.syncLog();
    const blobGets = reg.logLines.slice(before).filter((l) => /GET/.test(l) && /\/blobs\/sha256:/.test(l));
    for (const digest of [built.configDigest, ...recs[0]!.layers.map((l) => l.digest)]) {
      assert.equal(blobGets.filter((l) => l.includes(digest)).length, 1, `blob ${digest} fetched once`);
    }
    assert.equal((await store.list()).length, 1);
    assert.deepEqual((await readdir(join(store.dir, 'tmp'))), []);
    // Pulling again: a HEAD finds the manifest we hold; nothing else is fetched.
    const mark = reg.logLines.length;
    await store.pull(`${reg.host}/test/twolayer:v1`);
    await reg.syncLog();
    const requests = reg.logLines.slice(mark).filter((l) => /\/v2\/test\/twolayer\//.test(l)).map((l) => `${l.match(/http.request.method=(\w+)/)?.[1]} ${l.match(/http.request.uri="?([^" ]+)/)?.[1]}`);
    assert.deepEqual(requests, ['HEAD /v2/test/twolayer/manifests/v1']);
  });

  test('digest mismatch is detected and nothing partial is kept', async () => {
    // Corrupt the second layer blob inside the registry's storage (same length, other bytes).
    const rec0 = await (await newStore('s4-ref')).pull(`${reg.host}/corrupt/img:1`);
    const layer = rec0.layers[1]!.digest.slice(7);
    const data = join(reg.storageDir, 'docker/registry/v2/blobs/sha256', layer.slice(0, 2), layer, 'data');
    const fh = await open(data, 'r+');
    await fh.write(Buffer.from('corrupt!'), 0, 8, 20);
    await fh.close();
    const store = await newStore('s4');
    await assert.rejects(store.pull(`${reg.host}/corrupt/img:1`), (e: unknown) => {
      assert.ok(e instanceof ImagePullError);
      assert.equal(e.reason, 'DigestMismatch');
      assert.match(e.message, new RegExp(`^failed to pull and unpack image "${reg.host}/corrupt/img:1": failed to copy: .*digest mismatch: expected ${rec0.layers[1]!.digest}, got sha256:`));
      return true;
    });
    assert.equal(await store.has(`${reg.host}/corrupt/img:1`), false);
    assert.equal(await stat(join(store.dir, 'blobs/sha256', layer)).then(() => true, () => false), false);
    assert.deepEqual(await readdir(join(store.dir, 'tmp')), []);
  });

  test('unknown tag, unreachable registry, invalid name and disabled remote registries', async () => {
    const store = await newStore('s5');
    await assert.rejects(store.pull(`${reg.host}/test/twolayer:nope`), (e: unknown) => {
      assert.ok(e instanceof ImagePullError);
      assert.equal(e.reason, 'NotFound');
      assert.equal(e.message, `failed to pull and unpack image "${reg.host}/test/twolayer:nope": failed to resolve reference "${reg.host}/test/twolayer:nope": ${reg.host}/test/twolayer:nope: not found (MANIFEST_UNKNOWN: manifest unknown)`);
      return true;
    });
    const port = await freePort();
    await assert.rejects(store.pull(`127.0.0.1:${port}/x/y:1`), (e: unknown) => {
      assert.ok(e instanceof ImagePullError);
      assert.equal(e.reason, 'Unreachable');
      assert.match(e.message, new RegExp(`dial tcp 127\\.0\\.0\\.1:${port}: connect: connection refused$`));
      return true;
    });
    await assert.rejects(store.pull('Bad:Name'), InvalidImageNameError);
    // No mirror for docker.io and remote registries disabled: fails without any request.
    const local = await newStore('s5b', { allowRemoteRegistries: false });
    await assert.rejects(local.pull('busybox:1.36'), (e: unknown) => {
      assert.ok(e instanceof ImagePullError);
      assert.equal(e.reason, 'Disabled');
      assert.match(e.message, /^failed to pull and unpack image "docker.io\/library\/busybox:1.36": pulling from non-loopback registry "registry-1.docker.io" is disabled/);
      return true;
    });
  });

  test('htpasswd registry: no credentials and wrong ones fail clearly; dockerconfigjson and registries.yaml credentials work', async () => {
    const image = `${authReg.host}/private/img:1`;
    const store = await newStore('s6');
    await assert.rejects(store.pull(image), (e: unknown) => {
      assert.ok(e instanceof ImagePullError);
      assert.equal(e.reason, 'Unauthorized');
      assert.match(e.message, new RegExp(`^failed to pull and unpack image "${image}": failed to resolve reference "${image}": unexpected status from GET request to http://${authReg.host}/v2/private/img/manifests/1: 401 Unauthorized \\(UNAUTHORIZED: authentication required\\): no credentials for "${authReg.host}"$`));
      return true;
    });
    const wrong = { auths: { [authReg.host]: { auth: b64('alice:wrong') } } };
    await assert.rejects(store.pull(image, { dockerConfigs: [JSON.stringify(wrong)] }), /401 Unauthorized.*credentials of user "alice" were rejected/);
    // A secret for another registry is not used.
    const other = { auths: { 'other.example:5000': { username: 'alice', password: 's3cret' } } };
    await assert.rejects(store.pull(image, { dockerConfigs: [other] }), /no credentials/);
    const good = { auths: { [`http://${authReg.host}/v1/`]: { auth: b64('alice:s3cret') } } };
    const rec = await store.pull(image, { dockerConfigs: [JSON.stringify(wrong).replace(authReg.host, 'unrelated.example'), JSON.stringify(good)] });
    assert.equal(rec.id, built.configDigest);

    const viaConfig = await newStore('s6b', {
      registries: parseRegistriesYaml(`configs:\n  "${authReg.host}":\n    auth:\n      username: alice\n      password: s3cret\n`),
    });
    assert.equal((await viaConfig.pull(image)).id, built.configDigest);
  });

  test('a docker.io mirror from registries.yaml serves Docker Hub names', async () => {
    const file = join(root, 'registries.yaml');
    await writeFile(file, `mirrors:\n  docker.io:\n    endpoint:\n      - "http://${reg.host}"\n`);
    const store = await newStore('s7', { registriesFile: file, allowRemoteRegistries: false });
    const rec = await store.pull('mirrored:1');
    assert.deepEqual(rec.repoTags, ['docker.io/library/mirrored:1']);
    assert.equal(await store.has('mirrored:1'), true);
    assert.equal(await store.has('docker.io/library/mirrored:1'), true);
    await assert.rejects(store.pull('missing:1'), (e: unknown) => e instanceof ImagePullError && e.reason === 'NotFound' && /docker.io\/library\/missing:1: not found/.test(e.message));
    // rewrite rules apply to mirror paths
    const rw = await newStore('s7b', {
      registries: parseRegistriesYaml(`mirrors:\n  example.test:\n    endpoint: ["http://${reg.host}"]\n    rewrite:\n      "^mirror/(.*)": "test/$1"\n`),
      allowRemoteRegistries: false,
    });
    assert.equal((await rw.pull('example.test/mirror/twolayer:v1')).id, built.configDigest);
  });

  test('imports docker-archive tarballs (docker save format)', async () => {
    const file = join(root, 'docker-archive.tar');
    await skopeoDockerArchive(layout, 'v1', file, 'example.test/saved:2');
    const store = await newStore('s8');
    const recs = await store.importArchive(file);
    assert.equal(recs.length, 1);
    assert.deepEqual(recs[0]!.repoTags, ['example.test/saved:2']);
    assert.deepEqual(recs[0]!.layers.map((l) => l.diffID), built.diffIDs);
    const lowers = await store.lowerDirs('example.test/saved:2');
    assert.ok((await lstat(join(lowers[0]!, 'data/a.txt'))).isCharacterDevice());
  });

  test('remove and garbage collection free blobs and layers; keep protects images', async () => {
    const store = await newStore('s9');
    await store.pull(`${reg.host}/test/twolayer:v1`);
    await store.pull(`${reg.host}/test/twolayer:docker`);
    const usage = await store.diskUsage();
    assert.ok(usage.blobBytes > 0 && usage.layerBytes > 0 && usage.fsCapacityBytes > usage.fsAvailableBytes);
    // Nothing unreferenced yet.
    assert.deepEqual(await store.garbageCollect(), { removedImages: [], removedBlobs: 0, removedLayers: 0, freedBytes: 0 });
    const images = await store.list();
    // Both tags may be the same image (same config); removing one name keeps the other.
    assert.equal(await store.remove(`${reg.host}/test/twolayer:docker`), true);
    assert.equal(await store.has(`${reg.host}/test/twolayer:v1`), true);
    assert.equal(await store.remove(`${reg.host}/test/twolayer:nope`), false);
    // pruneImages honours keep.
    const kept = await store.garbageCollect({ pruneImages: true, keep: [`${reg.host}/test/twolayer:v1`] });
    assert.deepEqual(kept.removedImages, images.filter((i) => !i.repoTags.includes(`${reg.host}/test/twolayer:v1`)).map((i) => i.id));
    assert.equal((await store.lowerDirs(`${reg.host}/test/twolayer:v1`)).length, 2);
    assert.equal(await store.remove(`${reg.host}/test/twolayer:v1`), true);
    assert.deepEqual(await store.list(), []);
    const gc = await store.garbageCollect();
    assert.ok(gc.removedBlobs >= 4, `removed ${gc.removedBlobs} blobs`);
    assert.equal(gc.removedLayers, 2);
    assert.ok(gc.freedBytes > 0);
    assert.deepEqual(await readdir(join(store.dir, 'blobs/sha256')), []);
    assert.deepEqual(await readdir(join(store.dir, 'layers')), []);
  });
});
