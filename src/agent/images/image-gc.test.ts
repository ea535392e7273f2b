import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImageStore } from '../../images/image-store.js';
import { importExampleImages } from '../../images/index.js';
import { OciRuntime } from '../../runtime/oci/oci-runtime.js';
import { FakeClock } from '../../util/clock.js';
import { ImageGc } from './image-gc.js';

const isRoot = process.getuid?.() === 0;

test('image GC: nothing below the high threshold; above it unused images go', { skip: !isRoot }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'peapod-imagegc-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const images = new ImageStore({ dir: join(dir, 'images') });
  await importExampleImages(images);
  const runtime = new OciRuntime({ dataDir: join(dir, 'runtime') });
  const clock = new FakeClock();
  assert.deepEqual(await new ImageGc(images, runtime, clock).collect(), [], 'a disk below 85 % keeps everything');
  const removed = await new ImageGc(images, runtime, clock, { highThresholdPercent: 0, lowThresholdPercent: 0 }, 60_000, 0).collect();
  assert.ok(removed.length >= 2, `removed ${removed.join(',')}`);
  assert.equal((await images.list()).length, 0);
});
