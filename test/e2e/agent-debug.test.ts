/**
 * `kubectl debug --target` on the node agent with real containers: the ephemeral container joins
 * the target container's PID namespace (its `ps` shows the target's main process as PID 1);
 * without a target it has its own, with shareProcessNamespace it has the pod's. An unknown target
 * is rejected by the API with Kubernetes' message. Run as root.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { Resources } from '../../src/client/resources.js';
import { startAgentServer, waitFor, type AgentServer } from './agent-helpers.js';

const isRoot = process.getuid?.() === 0;
let s: AgentServer;

before(async () => { if (isRoot) s = await startAgentServer(); });
after(async () => { await s?.stop(); });

const getPod = async (name: string) => (await s.client.get(Resources.pods, 'default', name)) as unknown as Pod;

async function runningPod(name: string, extraSpec = ''): Promise<void> {
  const yaml = `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\nspec:\n  nodeName: ${s.nodeName}\n  terminationGracePeriodSeconds: 1\n${extraSpec}`
    + `  containers: [{name: app, image: busybox:1.36, command: [httpd, -f, -p, '8080']}]\n`;
  const r = await s.server.kubectl(['apply', '-f', '-'], { input: yaml });
  assert.equal(r.code, 0, r.stderr);
  await waitFor(async () => (await getPod(name)).status?.phase === 'Running', `${name} Running`);
}

/** Adds an ephemeral container running `ps` through kubectl debug and returns its output (kubectl logs). */
async function debugPs(pod: string, container: string, target?: string): Promise<string> {
  const r = await s.server.kubectl(['debug', pod, '--image=busybox:1.36', ...(target ? [`--target=${target}`] : []), '-c', container, '--', 'ps', '-o', 'pid,args']);
  assert.equal(r.code, 0, r.stderr);
  const p = await waitFor(async () => {
    const x = await getPod(pod);
    const st = x.status?.ephemeralContainerStatuses?.find((c) => c.name === container);
    return st?.state?.terminated ? st : undefined;
  }, `ephemeral container ${container} to finish`, 60_000);
  assert.equal(p.state!.terminated!.exitCode, 0);
  const logs = await s.server.kubectl(['logs', pod, '-c', container]);
  assert.equal(logs.code, 0, logs.stderr);
  return logs.stdout;
}

async function deletePod(name: string): Promise<void> {
  const r = await s.server.kubectl(['delete', 'pod', name, '--wait=true'], { timeoutMs: 60_000 });
  assert.equal(r.code, 0, r.stderr);
}

test('kubectl debug --target: the debug container sees the target\'s processes; without --target it does not', { skip: !isRoot }, async () => {
  await runningPod('web');
  const withTarget = await debugPs('web', 'dbg', 'app');
  assert.match(withTarget, /^\s*1\s+httpd -f -p 8080$/m, `the target's main process is PID 1 of the shared namespace:\n${withTarget}`);
  assert.match(withTarget, /ps -o pid,args$/m);
  const without = await debugPs('web', 'plain');
  assert.doesNotMatch(without, /httpd/, `without --target the app's process is not visible:\n${without}`);
  assert.match(without, /^\s*1\s+ps -o pid,args$/m, `its own PID namespace, ps is PID 1:\n${without}`);
  const pod = await getPod('web');
  assert.equal(pod.status!.containerStatuses![0].restartCount, 0, 'the target was left alone');
  assert.equal(pod.status!.containerStatuses![0].state?.running !== undefined, true);
  await deletePod('web');
});

test('kubectl debug with shareProcessNamespace: the pod-wide namespace, with or without --target', { skip: !isRoot }, async () => {
  await runningPod('shared', '  shareProcessNamespace: true\n');
  const out = await debugPs('shared', 'dbg');
  assert.match(out, /^\s*1\s+.*catatonit/m, `the pod's init is PID 1:\n${out}`);
  assert.match(out, /httpd -f -p 8080$/m, `the app's process is visible:\n${out}`);
  const targeted = await debugPs('shared', 'dbg2', 'app');
  assert.match(targeted, /^\s*1\s+.*catatonit/m, `still the pod's namespace:\n${targeted}`);
  await deletePod('shared');
});

test('kubectl debug --target naming no container of the pod is rejected by the API', { skip: !isRoot }, async () => {
  await runningPod('lonely');
  const r = await s.server.kubectl(['debug', 'lonely', '--image=busybox:1.36', '--target=nope', '-c', 'dbg', '--', 'true']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /spec\.ephemeralContainers\[0\]\.targetContainerName: Not found: "nope"/, r.stderr);
  assert.equal((await getPod('lonely')).spec!.ephemeralContainers, undefined);
  await deletePod('lonely');
});
