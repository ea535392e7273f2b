/**
 * Jobs on a real node: `peapod server` with its embedded agent running real containers, driven with
 * the real kubectl — the seed hello Job prints its greeting (`kubectl logs job/hello`), a Job whose
 * pods exit 0 completes (`kubectl wait --for=condition=complete`), one whose pod exits 1 with
 * backoffLimit 0 fails. Run as root.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startAgentServer, waitFor, type AgentServer } from './agent-helpers.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const isRoot = process.getuid?.() === 0;
let s: AgentServer;

before(async () => { if (isRoot) s = await startAgentServer(); });
after(async () => { await s?.stop(); });

async function k(args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<string> {
  const r = await s.server.kubectl(args, opts);
  assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed (${r.code}):\n${r.stderr}`);
  return r.stdout;
}

test('the seed hello Job runs on the node: kubectl logs job/hello prints the greeting', { skip: !isRoot }, async () => {
  assert.equal((await k(['apply', '-f', join(root, 'examples', 'hello-job.yaml')])).trim(), 'job.batch/hello created');
  const out = await waitFor(async () => {
    const r = await s.server.kubectl(['logs', 'job/hello']);
    return r.code === 0 && r.stdout.includes('Hello') && r.stdout;
  }, 'hello output', 120_000, 500);
  assert.equal(out, 'Hello, Kubernetes!\n');
  // it sleeps for an hour: the Job is Running with one ready pod
  await waitFor(async () => (await k(['get', 'job', 'hello', '-o', 'jsonpath={.status.active}/{.status.ready}'])) === '1/1', 'active and ready', 60_000, 500);
  await k(['delete', 'job', 'hello', '--cascade=foreground', '--wait=false']);
});

test('a Job whose pods exit 0 completes (kubectl wait); one whose pod exits 1 with backoffLimit 0 fails', { skip: !isRoot }, async () => {
  const job = (name: string, cmd: string, extra: Record<string, unknown> = {}) => JSON.stringify({
    apiVersion: 'batch/v1', kind: 'Job', metadata: { name },
    spec: { ...extra, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox:1.36', command: ['sh', '-c', cmd] }] } } },
  });
  await k(['create', '-f', '-'], { input: job('twice', 'echo done', { completions: 2, parallelism: 2 }) });
  await k(['create', '-f', '-'], { input: job('boom', 'exit 1', { backoffLimit: 0 }) });
  assert.equal((await k(['wait', '--for=condition=complete', 'job/twice', '--timeout=120s'], { timeoutMs: 130_000 })).trim(), 'job.batch/twice condition met');
  assert.equal(await k(['get', 'job', 'twice', '-o', 'jsonpath={.status.succeeded}']), '2');
  assert.equal((await k(['wait', '--for=condition=failed', 'job/boom', '--timeout=120s'], { timeoutMs: 130_000 })).trim(), 'job.batch/boom condition met');
  assert.equal(await k(['get', 'job', 'boom', '-o', 'jsonpath={.status.failed} {.status.conditions[?(@.type=="Failed")].reason}']), '1 BackoffLimitExceeded');
});
