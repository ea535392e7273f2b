/**
 * Cancelling pulls against a registry whose big layer stalls half-way (an in-process HTTP server on
 * loopback): the last caller to give up aborts the download at once and nothing partial is left;
 * a caller giving up while another still wants the image leaves the one download going.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImageStore, type PullProgress } from './image-store.js';
import { ImagePullError } from './errors.js';
import { startSlowRegistry, type SlowRegistry } from './testing/slow-registry.js';

const skip = process.getuid?.() === 0 ? false : 'unpacking layers needs root';
/** Time a cancelled pull may take to answer; the stall itself would last until the test ends. */
const PROMPT_MS = 2_000;

async function setup(t: { after(fn: () => Promise<void>): void }): Promise<{ reg: SlowRegistry; store: ImageStore; image: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'peapod-pull-cancel-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const reg = await startSlowRegistry();
  t.after(() => reg.stop());
  return { reg, store: new ImageStore({ dir }), image: `${reg.host}/${reg.image}` };
}

const isCancelled = (image: string) => (e: unknown) => e instanceof ImagePullError && e.reason === 'Cancelled'
  && e.message === `failed to pull and unpack image "${image}": pull cancelled`;

/** Resolves when the stalled blob has started arriving (bytes downloaded, fewer than its size). */
function stalledDownload(reg: SlowRegistry): { onProgress: (p: PullProgress) => void; started: Promise<void> } {
  let resolve!: () => void;
  const started = new Promise<void>((r) => { resolve = r; });
  return { started, onProgress: (p) => { if (p.phase === 'downloading' && p.digest === reg.stalledDigest && p.bytes > 0 && p.bytes < p.total) resolve(); } };
}

async function leftovers(store: ImageStore, reg: SlowRegistry): Promise<string[]> {
  const tmp = (await readdir(join(store.dir, 'tmp'))).map((n) => `tmp/${n}`);
  const layers = (await readdir(join(store.dir, 'layers'))).filter((n) => n.startsWith('.tmp-')).map((n) => `layers/${n}`);
  const blobs = (await readdir(join(store.dir, 'blobs', 'sha256'))).filter((n) => `sha256:${n}` === reg.stalledDigest).map((n) => `blobs/sha256/${n}`);
  return [...tmp, ...layers, ...blobs];
}

test('the only caller giving up aborts the stalled download promptly and leaves no partial files', { skip, timeout: 30_000 }, async (t) => {
  const { reg, store, image } = await setup(t);
  const ac = new AbortController();
  const progress = stalledDownload(reg);
  const pull = store.pull(image, { signal: ac.signal, onProgress: progress.onProgress });
  pull.catch(() => undefined);
  await progress.started;
  assert.equal(reg.stalledOpen, 1);
  const t0 = performance.now();
  ac.abort();
  await assert.rejects(pull, isCancelled(image));
  const took = performance.now() - t0;
  t.diagnostic(`cancelled pull answered ${took.toFixed(1)} ms after the abort`);
  assert.ok(took < PROMPT_MS, `the pull answered ${Math.round(took)} ms after the abort`);
  await reg.until(() => reg.stalledOpen === 0, 'the registry to see the blob request closed', PROMPT_MS);
  assert.deepEqual(await leftovers(store, reg), []);
  assert.equal(await store.has(image), false);
  assert.equal(store.pullWaiters(image), 0);
  // A later pull starts afresh and, once the registry stops stalling, completes.
  reg.release();
  const rec = await store.pull(image);
  assert.equal(rec.layers.length, 2);
  assert.equal(reg.stalledRequests, 2);
});

test('one of two callers giving up leaves the shared download going for the other', { skip, timeout: 30_000 }, async (t) => {
  const { reg, store, image } = await setup(t);
  const first = new AbortController();
  const second = new AbortController();
  const progress = stalledDownload(reg);
  const a = store.pull(image, { signal: first.signal, onProgress: progress.onProgress });
  const b = store.pull(image, { signal: second.signal });
  a.catch(() => undefined);
  await progress.started;
  assert.equal(store.pullWaiters(image), 2);
  const t0 = performance.now();
  first.abort();
  await assert.rejects(a, isCancelled(image));
  assert.ok(performance.now() - t0 < PROMPT_MS);
  assert.equal(store.pullWaiters(image), 1);
  assert.equal(reg.stalledOpen, 1, 'the download the other caller waits for is still open');
  reg.release();
  const rec = await b;
  assert.equal(rec.layers.length, 2);
  assert.equal(reg.stalledRequests, 1, 'the blob was downloaded once, not restarted');
  assert.deepEqual(await leftovers(store, reg).then((l) => l.filter((x) => !x.startsWith('blobs/'))), []);
});

test('a caller that already gave up never starts a pull', { skip, timeout: 30_000 }, async (t) => {
  const { reg, store, image } = await setup(t);
  await assert.rejects(store.pull(image, { signal: AbortSignal.abort() }), isCancelled(image));
  assert.equal(reg.stalledRequests, 0);
});
