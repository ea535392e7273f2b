/**
 * Image pulls and pod deletion on the node agent (real `peapod server` with its agent, real kubectl),
 * against in-process registries on loopback whose big layer stalls half-way:
 *   - deleting the only pod that wants the image aborts the download promptly (the registry sees the
 *     connection closed) and the node keeps no partial download;
 *   - deleting one of two pods that want the same image leaves the one shared download going, and
 *     the other pod starts once the registry stops stalling.
 * Run as root.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { Resources } from '../../src/client/resources.js';
import type { KubeObject } from '../../src/api/object.js';
import { imageStoreDir } from '../../src/images/index.js';
import { startSlowRegistry, type SlowRegistry } from '../../src/images/testing/slow-registry.js';
import { startAgentServer, waitFor, type AgentServer } from './agent-helpers.js';

const isRoot = process.getuid?.() === 0;
let s: AgentServer;
const registries: SlowRegistry[] = [];

before(async () => { if (isRoot) s = await startAgentServer(); });
after(async () => {
  await s?.stop();
  for (const r of registries) await r.stop();
});

async function slowRegistry(): Promise<SlowRegistry> {
  const r = await startSlowRegistry({ stalledBytes: 4 << 20 });
  registries.push(r);
  return r;
}

async function createPod(name: string, image: string): Promise<void> {
  const yaml = `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\nspec:\n  nodeName: ${s.nodeName}\n  terminationGracePeriodSeconds: 1\n`
    + `  containers: [{name: app, image: '${image}', imagePullPolicy: IfNotPresent, command: [sleep, '3600']}]\n`;
  const r = await s.server.kubectl(['apply', '-f', '-'], { input: yaml });
  assert.equal(r.code, 0, r.stderr);
}

async function pulling(name: string): Promise<boolean> {
  const list = await s.client.list(Resources.events, 'default', { fieldSelector: `involvedObject.name=${name}` });
  return list.items.some((e: KubeObject) => (e as unknown as { reason: string }).reason === 'Pulling');
}

/** Deletes a pod and waits until it is gone; returns how long that took (ms). */
async function deletePod(name: string): Promise<number> {
  const t0 = performance.now();
  const r = await s.server.kubectl(['delete', 'pod', name, '--wait=true', '--timeout=60s'], { timeoutMs: 70_000 });
  assert.equal(r.code, 0, r.stderr);
  return performance.now() - t0;
}

async function partialFiles(): Promise<string[]> {
  const dir = imageStoreDir(s.server.dataDir);
  const tmp = (await readdir(join(dir, 'tmp')).catch(() => [])).map((n) => `tmp/${n}`);
  const layers = (await readdir(join(dir, 'layers')).catch(() => [])).filter((n) => n.startsWith('.tmp-')).map((n) => `layers/${n}`);
  return [...tmp, ...layers];
}

test('deleting the only pod pulling an image aborts the stalled download promptly and leaves nothing partial', { skip: !isRoot, timeout: 120_000 }, async (t) => {
  const reg = await slowRegistry();
  await createPod('lone', `${reg.host}/${reg.image}`);
  await reg.until(() => reg.stalledOpen === 1 && reg.sentBeforeStall > 0, 'the agent to be stuck in the stalled blob', 60_000);
  const took = await deletePod('lone');
  t.diagnostic(`pod deleted ${Math.round(took)} ms after kubectl delete (its pull stalled)`);
  assert.ok(took < 15_000, `deleting the pod took ${Math.round(took)} ms`);
  await reg.until(() => reg.stalledOpen === 0, 'the registry to see the blob request closed', 5_000);
  assert.equal(reg.stalledRequests, 1);
  assert.deepEqual(await waitFor(async () => { const l = await partialFiles(); return l.length === 0 ? l : undefined; }, 'no partial downloads', 5_000), []);
});

test('deleting one of two pods wanting the same image keeps the shared pull going for the other', { skip: !isRoot, timeout: 120_000 }, async () => {
  const reg = await slowRegistry();
  const image = `${reg.host}/${reg.image}`;
  await createPod('first', image);
  await createPod('second', image);
  await reg.until(() => reg.stalledOpen === 1 && reg.sentBeforeStall > 0, 'the agent to be stuck in the stalled blob', 60_000);
  await waitFor(async () => (await pulling('first')) && (await pulling('second')), 'both pods to be pulling');
  await deletePod('first');
  assert.equal(reg.stalledOpen, 1, 'the download the second pod waits for is still open');
  reg.release();
  const pod = await waitFor(async () => {
    const p = (await s.client.get(Resources.pods, 'default', 'second')) as unknown as Pod;
    return p.status?.phase === 'Running' ? p : undefined;
  }, 'second Running', 60_000);
  assert.equal(pod.status!.containerStatuses![0].ready, true);
  assert.equal(reg.stalledRequests, 1, 'one download of the blob, shared, never restarted');
  await deletePod('second');
});
