/**
 * Durability: a server killed with SIGKILL in the middle of a write load restarts with every
 * acknowledged write intact, and a watch resumes from a resourceVersion taken before the kill.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { HttpClient } from '../../src/client/http-client.js';
import { Resources } from '../../src/client/resources.js';
import type { KubeObject } from '../../src/api/object.js';
import type { WatchEvent } from '../../src/client/types.js';
import { startServer, type TestServer } from './harness.js';

let server: TestServer;
before(async () => { server = await startServer(); });
after(async () => { await server?.stop(); });

test('SIGKILL during writes: every acknowledged write survives; watches resume', async () => {
  let client = HttpClient.fromKubeconfig(server.kubeconfig);
  const cms = Resources.configmaps;
  const start = await client.list(cms, 'default');
  const fromRv = start.metadata.resourceVersion!;

  const acked = new Map<string, string>();
  let stop = false;
  let reached!: () => void;
  const enoughAcked = new Promise<void>((r) => { reached = r; });
  const writers = Array.from({ length: 4 }, (_, w) => (async () => {
    for (let i = 0; !stop; i++) {
      const name = `w${w}-${i}`;
      try {
        const created = await client.create(cms, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { v: String(i) } });
        acked.set(name, String((created as KubeObject & { data: Record<string, string> }).data.v));
        if (acked.size >= 200) reached();
      } catch {
        return; // the server died under us: stop writing
      }
    }
  })());
  // kill once a good number of writes were acknowledged (no sleeping: wait on the count)
  await Promise.race([enoughAcked, new Promise((_, rej) => setTimeout(() => rej(new Error('writes too slow')), 60_000).unref())]);
  await server.kill();
  stop = true;
  await Promise.all(writers);
  client.close();

  await server.restart();
  client = HttpClient.fromKubeconfig(server.kubeconfig);
  const after = await client.list(cms, 'default');
  const stored = new Map(after.items.map((o) => [String(o.metadata.name), String((o as KubeObject & { data?: Record<string, string> }).data?.v)]));
  for (const [name, v] of acked) assert.equal(stored.get(name), v, `acknowledged write ${name} survived`);

  // a watch from before the kill replays every change since then, in order, then goes live
  const seen: string[] = [];
  let liveSeen!: () => void;
  const live = new Promise<void>((r) => { liveSeen = r; });
  const h = client.watch(cms, 'default', { resourceVersion: fromRv }, (ev: WatchEvent) => {
    if (ev.type === 'ADDED') seen.push(String(ev.object.metadata.name));
    if (ev.object.metadata.name === 'after-restart') liveSeen();
  });
  await client.create(cms, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'after-restart' } });
  await Promise.race([live, new Promise((_, rej) => setTimeout(() => rej(new Error('watch did not resume')), 15_000))]);
  h.stop();
  for (const name of acked.keys()) assert.ok(seen.includes(name), `watch replayed ${name}`);
  const revs = after.items.filter((o) => acked.has(String(o.metadata.name))).map((o) => Number(o.metadata.resourceVersion));
  assert.ok(revs.every((r) => r > Number(fromRv)), 'every acknowledged write has a revision after the starting point');
  client.close();
});
