/**
 * bench/write-path — CPU per write request in the REST core, called in-process (no TLS, no HTTP):
 * the Job pod's life as the controllers bench drives it — create, binding, status patches (merge
 * and strategic), PUT update, finalizer removal, delete — on a SQLite store, with watchers open
 * on pods (watch cache fan-out). Prints the process CPU µs per request for each operation.
 *
 *   node dist/bench/write-path.js [--pods 2000] [--rounds 3] [--watchers 3] [--concurrency 16] [--store sqlite|memory]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { SqliteStore, MemoryStore, type Store } from '../src/storage/index.js';
import { createApiHandler } from '../src/apiserver/api-handler.js';
import { serveInProcess } from '../src/apiserver/in-process.js';
import { adminUser } from '../src/apiserver/test-server.js';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i].replace(/^--/, ''), process.argv[i + 1]);
const PODS = Number(args.get('pods') ?? 2000);
const ROUNDS = Number(args.get('rounds') ?? 3);
const WATCHERS = Number(args.get('watchers') ?? 3);
const CONC = Number(args.get('concurrency') ?? 16);
const storeKind = args.get('store') ?? 'sqlite';

const dir = mkdtempSync(join(tmpdir(), 'peapod-write-path-'));
const store: Store = storeKind === 'memory' ? new MemoryStore() : new SqliteStore({ path: join(dir, 'db.sqlite') });
const handler = createApiHandler({ store, serviceAccountAdmission: 'off', quotaAdmission: 'on' });
await handler.ready;

function call(method: string, url: string, body?: unknown, contentType = 'application/json', ua = 'peapod-controller-manager/v1'): Promise<{ code: number; text: string }> {
  return new Promise((resolve, reject) => {
    let code = 0;
    const chunks: string[] = [];
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': ua };
    if (body !== undefined) headers['content-type'] = contentType;
    serveInProcess(handler, adminUser, { method, url, headers, body: body === undefined ? undefined : JSON.stringify(body) }, {
      head: (c) => { code = c; },
      data: (c) => { chunks.push(c); },
      end: (ok) => {
        if (!ok) { reject(new Error('abandoned')); return; }
        const text = chunks.join('');
        if (code >= 300) reject(new Error(`${method} ${url}: ${code} ${text.slice(0, 300)}`)); else resolve({ code, text });
      },
    });
  });
}

let watchEvents = 0;
for (let w = 0; w < WATCHERS; w++) {
  serveInProcess(handler, adminUser, { method: 'GET', url: '/api/v1/pods?watch=1&allowWatchBookmarks=true', headers: { accept: 'application/json' } }, {
    head: () => {}, data: () => { watchEvents++; }, end: () => {},
  });
}

function pod(name: string): unknown {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: {
      name, namespace: 'default', labels: { 'batch.kubernetes.io/controller-uid': 'b0e1c6d2-0000-4000-8000-000000000001', 'job-name': 'bench', 'batch.kubernetes.io/job-name': 'bench', 'controller-uid': 'b0e1c6d2-0000-4000-8000-000000000001' },
      annotations: { 'batch.kubernetes.io/job-completion-index': '0' },
      finalizers: ['batch.kubernetes.io/job-tracking'],
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'bench', uid: 'b0e1c6d2-0000-4000-8000-000000000001', controller: true, blockOwnerDeletion: true }],
    },
    spec: {
      restartPolicy: 'Never',
      containers: [{ name: 'work', image: 'busybox:1.36', command: ['sh', '-c', 'exit 0'], resources: { requests: { cpu: '10m', memory: '16Mi' } } }],
    },
  };
}

async function phase(label: string, n: number, op: (i: number) => Promise<unknown>, out: Map<string, number[]>): Promise<void> {
  let next = 0;
  const c0 = process.cpuUsage();
  await Promise.all(Array.from({ length: CONC }, async () => { for (let i = next++; i < n; i = next++) await op(i); }));
  const c = process.cpuUsage(c0);
  const us = (c.user + c.system) / n;
  if (!out.has(label)) out.set(label, []);
  out.get(label)!.push(us);
}

const results = new Map<string, number[]>();
const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');
for (let round = 0; round < ROUNDS + 1; round++) {
  const r = round === 0 ? new Map<string, number[]>() : results; // round 0 warms up
  const name = (i: number) => `p${round}-${i}`;
  const base = '/api/v1/namespaces/default/pods';
  await phase('create', PODS, (i) => call('POST', base, pod(name(i))), r);
  await phase('binding', PODS, (i) => call('POST', `${base}/${name(i)}/binding`, { apiVersion: 'v1', kind: 'Binding', metadata: { name: name(i) }, target: { apiVersion: 'v1', kind: 'Node', name: `node-${i % 100}` } }, 'application/json', 'peapod-scheduler/v1'), r);
  await phase('status merge patch', PODS, (i) => call('PATCH', `${base}/${name(i)}/status`, { status: { phase: 'Running', startTime: now(), podIP: `10.88.0.${i % 250}`, conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now() }], containerStatuses: [{ name: 'work', ready: true, restartCount: 0, image: 'busybox:1.36', imageID: '', started: true, state: { running: { startedAt: now() } } }] } }, 'application/merge-patch+json', 'peapod-agent/v1'), r);
  await phase('status strategic patch', PODS, (i) => call('PATCH', `${base}/${name(i)}/status`, { status: { phase: 'Succeeded', conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: now(), reason: 'PodCompleted' }], containerStatuses: [{ name: 'work', ready: false, restartCount: 0, image: 'busybox:1.36', imageID: '', started: false, state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: now(), finishedAt: now() } } }] } }, 'application/strategic-merge-patch+json', 'peapod-agent/v1'), r);
  await phase('update (PUT labels)', PODS, async (i) => {
    const cur = JSON.parse((await call('GET', `${base}/${name(i)}`)).text);
    cur.metadata.labels.done = 'yes';
    return call('PUT', `${base}/${name(i)}`, cur);
  }, r);
  await phase('finalizer removal (json patch)', PODS, (i) => call('PATCH', `${base}/${name(i)}`, [{ op: 'remove', path: '/metadata/finalizers' }], 'application/json-patch+json'), r);
  await phase('delete', PODS, (i) => call('DELETE', `${base}/${name(i)}`, { gracePeriodSeconds: 0 }), r);
}

const get = new Map<string, number>();
console.log(`pods ${PODS}, rounds ${ROUNDS}, watchers ${WATCHERS}, concurrency ${CONC}, store ${storeKind}; watch chunks ${watchEvents}`);
console.log('operation                          CPU µs/request (per round)     min');
let total = 0;
for (const [k, v] of results) {
  const min = Math.min(...v);
  total += min;
  get.set(k, min);
  console.log(`${k.padEnd(34)} ${v.map((x) => x.toFixed(0).padStart(6)).join(' ')}   ${min.toFixed(0).padStart(6)}`);
}
console.log(`${'sum (one pod life, note PUT includes a GET)'.padEnd(34)} ${total.toFixed(0)}`);
globalThis.gc?.();
const mu = process.memoryUsage();
console.log(`rss ${(mu.rss / 2 ** 20).toFixed(0)} MiB, heap used ${(mu.heapUsed / 2 ** 20).toFixed(0)} MiB (after a gc with --expose-gc)`);
await handler.close();
await store.close();
rmSync(dir, { recursive: true, force: true });
process.exit(0);
