import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImageStore } from './image-store.js';
import { imageBytesToFree } from './gc-policy.js';
import { buildImage, layoutTar } from './build/oci-image.js';

test('kubelet-style thresholds', () => {
  assert.equal(imageBytesToFree({ fsCapacityBytes: 1000, fsAvailableBytes: 200 }), 0); // 80% used
  assert.equal(imageBytesToFree({ fsCapacityBytes: 1000, fsAvailableBytes: 150 }), 0); // 85%: not above
  assert.equal(imageBytesToFree({ fsCapacityBytes: 1000, fsAvailableBytes: 100 }), 100); // 90% → 80%
  assert.equal(imageBytesToFree({ fsCapacityBytes: 1000, fsAvailableBytes: 100 }, { highThresholdPercent: 95, lowThresholdPercent: 50 }), 0);
  assert.throws(() => imageBytesToFree({ fsCapacityBytes: 1, fsAvailableBytes: 1 }, { highThresholdPercent: 50, lowThresholdPercent: 60 }), /low \(60\) <= high \(50\)/);
});

test('image GC removes least recently used images first, honours keep, minAge and bytesToFree; shared layers stay', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'peapod-gc-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  let now = 1_000_000;
  const store = new ImageStore({ dir: join(dir, 'store'), now: () => now });
  const shared = { path: 'shared', type: 'file' as const, mode: 0o644, content: Buffer.alloc(50_000, 1) };
  for (const [i, name] of ['old', 'mid', 'new', 'inuse'].entries()) {
    const img = buildImage({
      names: [`example.test/${name}:1`], config: {},
      layers: [[shared], [{ path: name, type: 'file', mode: 0o644, content: Buffer.alloc(10_000 * (i + 1), i + 2) }]],
    });
    await writeFile(join(dir, `${name}.tar`), layoutTar(img));
    await store.importArchive(join(dir, `${name}.tar`));
    now += 1000;
  }
  await store.markUsed('example.test/old:1'); // now "old" is the most recently used
  const usage = await store.diskUsage();
  assert.equal(usage.images, 4);
  // minAge: nothing is old enough.
  assert.deepEqual((await store.garbageCollect({ pruneImages: true, minAgeMs: 10_000 })).removedImages, []);
  now += 20_000;
  const mid = (await store.get('example.test/mid:1'))!;
  const r = await store.garbageCollect({ pruneImages: true, keep: ['example.test/inuse:1'], bytesToFree: 1 });
  assert.deepEqual(r.removedImages, [mid.id], 'only the least recently used image, enough for 1 byte');
  assert.ok(r.freedBytes >= 20_000, `freed ${r.freedBytes}`);
  const all = await store.garbageCollect({ keep: ['example.test/inuse:1'] }); // keep given: prunes the rest
  assert.equal(all.removedImages.length, 2);
  assert.deepEqual((await store.list()).map((i) => i.repoTags[0]), ['example.test/inuse:1']);
  // The shared layer and the kept image's own layer remain.
  assert.equal((await readdir(join(dir, 'store/layers'))).length, 2);
  assert.equal((await store.lowerDirs('example.test/inuse:1')).length, 2);
  assert.ok((await store.diskUsage()).blobBytes < usage.blobBytes);
});
