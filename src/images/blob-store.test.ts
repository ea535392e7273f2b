import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { BlobStore } from './blob-store.js';
import { sha256 } from './digest.js';
import { ImagePullError } from './errors.js';

test('a caller waiting for another caller\'s copy stops on its own signal; the copy goes on', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'peapod-blobs-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const blobs = new BlobStore(root);
  await blobs.init();
  const content = Buffer.from('x'.repeat(1000));
  const digest = sha256(content);
  const source = new PassThrough();
  let opened!: () => void;
  const isOpen = new Promise<void>((r) => { opened = r; });
  const copy = blobs.ensure(digest, async () => { opened(); return source; }, { size: content.length });
  await isOpen; // the first caller's copy is under way (and waits for its data)

  const ac = new AbortController();
  const waiter = blobs.ensure(digest, async () => { throw new Error('the waiter must not copy'); }, { signal: ac.signal });
  ac.abort();
  await assert.rejects(waiter, (e) => e instanceof ImagePullError && e.reason === 'Cancelled');

  source.end(content);
  await copy;
  assert.equal(await blobs.has(digest), true);
});
