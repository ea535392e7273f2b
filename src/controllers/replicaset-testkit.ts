/**
 * Test helpers for the workload controller tests (not used in production code): an in-memory
 * cluster (the real REST core over a MemoryStore) on a FakeClock with controllers running over
 * shared informers, a bounded poll, and "playing the node" for pods (bind, Running, Ready).
 */
import type { KubeObject } from '../api/object.js';
import type { KubeClient } from '../client/types.js';
import { Resources } from '../client/resources.js';
import { SharedInformers } from '../client/shared-informers.js';
import { isAlreadyExists } from '../client/errors.js';
import { startTestApi, type TestApi } from '../testing/test-api.js';
import { FakeClock } from '../util/clock.js';
import type { RunningController } from './runner.js';

export interface TestCluster {
  clock: FakeClock;
  api: TestApi;
  client: KubeClient;
  informers: SharedInformers;
  stop(): Promise<void>;
}

export async function startTestCluster(start: (env: { client: KubeClient; informers: SharedInformers; clock: FakeClock }) => RunningController[]): Promise<TestCluster> {
  const clock = new FakeClock(Date.UTC(2026, 0, 1, 12));
  const api = await startTestApi({ clock });
  const client = api.client;
  try {
    await client.create(Resources.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
  } catch (err) { if (!isAlreadyExists(err)) throw err; }
  await ensureServiceAccount(client, 'default');
  const informers = new SharedInformers(client, clock);
  const controllers = start({ client, informers, clock });
  await informers.start();
  return {
    clock, api, client, informers,
    async stop() {
      informers.stop();
      await Promise.all(controllers.map((c) => c.stop()));
      await api.close();
    },
  };
}

/** Pods need their namespace's `default` ServiceAccount (the ServiceAccount controller's job in a server). */
export async function ensureServiceAccount(client: KubeClient, namespace: string): Promise<void> {
  try {
    await client.create(Resources.serviceaccounts, namespace, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace } });
  } catch (err) { if (!isAlreadyExists(err)) throw err; }
}

/** Poll `fn` (real time, every 5 ms) until it returns a truthy value; fail after `timeoutMs`. */
export async function waitFor<T>(fn: () => Promise<T | undefined | null | false> | T | undefined | null | false, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as T;
    } catch (err) { last = err; }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export async function listPods(client: KubeClient, labelSelector?: string, namespace = 'default'): Promise<KubeObject[]> {
  return (await client.list(Resources.pods, namespace, { labelSelector })).items;
}

/** Play the node's part: bind the pod (if not bound) and report it Running and Ready (or not ready). */
export async function runPod(client: KubeClient, pod: KubeObject, opts: { node?: string; ready?: boolean; at?: number } = {}): Promise<void> {
  const ns = String(pod.metadata.namespace);
  const name = String(pod.metadata.name);
  if (!(pod.spec as { nodeName?: string } | undefined)?.nodeName) {
    await client.create(Resources.pods, ns, { apiVersion: 'v1', kind: 'Binding', metadata: { name, namespace: ns }, target: { kind: 'Node', name: opts.node ?? 'node-1' } }, { subresource: 'binding', name });
  }
  const ready = opts.ready ?? true;
  const t = new Date(opts.at ?? Date.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  await client.patch(Resources.pods, ns, name, 'merge', {
    status: {
      phase: 'Running',
      conditions: [
        { type: 'PodScheduled', status: 'True', lastTransitionTime: t },
        { type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: t },
        { type: 'ContainersReady', status: ready ? 'True' : 'False', lastTransitionTime: t },
      ],
    },
  }, { subresource: 'status' });
}

/** Finish the termination of pods being deleted (the node's part): delete them with grace 0. */
export async function finishTerminating(client: KubeClient, namespace = 'default'): Promise<number> {
  let n = 0;
  for (const p of await listPods(client, undefined, namespace)) {
    if (!p.metadata.deletionTimestamp) continue;
    try { await client.delete(Resources.pods, namespace, String(p.metadata.name), { gracePeriodSeconds: 0 }); n++; } catch { /* gone already */ }
  }
  return n;
}

export async function events(client: KubeClient, namespace = 'default'): Promise<{ reason: string; message: string; involvedObject: { name: string; kind: string }; count: number; type: string }[]> {
  return (await client.list(Resources.events, namespace)).items as never;
}
