/**
 * The agent in-process against the real REST core (startTestApi), with real containers (OciRuntime,
 * CNI bridge on a test subnet) and a FakeClock: the crash-loop back-off is driven by advancing the
 * clock, not by waiting. Run as root.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { startTestApi } from '../testing/test-api.js';
import { Resources } from '../client/resources.js';
import { FakeClock } from '../util/clock.js';
import { importExampleImages } from '../images/index.js';
import { reserveTestSubnet, RUNTIME_TEST_NETS } from '../testing/test-subnets.js';
import { pollUntil, removeTestDir } from '../runtime/oci/test-fixtures.js';
import { Agent } from './agent.js';
import { createNodeRuntime } from './node-runtime.js';

const isRoot = process.getuid?.() === 0;

test('crash-loop back-off on the agent\'s clock: restart at once, then after 10 s, then after 20 s', { skip: !isRoot }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'peapod-agent-unit-'));
  const testNet = reserveTestSubnet(RUNTIME_TEST_NETS);
  const { bridge, subnet } = testNet;
  const clock = new FakeClock(Date.now());
  const api = await startTestApi({ clock });
  const node = createNodeRuntime({ dataDir: dir, podCidr: subnet, bridge });
  let agent: Agent | undefined;
  t.after(async () => {
    await agent?.stop();
    for (const sb of await node.runtime.listPodSandboxes()) await node.runtime.removePodSandbox(sb.id);
    await node.network.teardown();
    testNet.release();
    await api.close();
    removeTestDir(dir);
  });
  await importExampleImages(node.images);
  agent = await Agent.start({ client: api.client, nodeName: 'n1', dataDir: dir, runtime: node.runtime, images: node.images, clock });
  await api.client.create(Resources.serviceaccounts, 'default', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default' } });
  await api.client.create(Resources.pods, 'default', {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'crash' },
    spec: { nodeName: 'n1', automountServiceAccountToken: false, terminationGracePeriodSeconds: 0, containers: [{ name: 'c', image: 'busybox:1.36', command: ['sh', '-c', 'exit 1'] }] },
  });
  const status = async () => ((await api.client.get(Resources.pods, 'default', 'crash')) as unknown as Pod).status?.containerStatuses?.[0];
  const backingOff = (restarts: number, wait: string) => pollUntil(async () => {
    const cs = await status();
    return cs?.restartCount === restarts && cs.state?.waiting?.reason === 'CrashLoopBackOff' && cs.state.waiting.message?.startsWith(`back-off ${wait} `) ? cs : undefined;
  }, `restart ${restarts} then CrashLoopBackOff ${wait}`, 30_000, 50);

  await backingOff(1, '10s');
  // Real time passes, the agent's clock does not: no restart happens while we wait.
  const before = (await node.runtime.listContainers()).length;
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal((await node.runtime.listContainers()).length, before, 'no restart before the clock moves');
  assert.equal((await status())?.restartCount, 1);
  await clock.advance(9_900);
  await new Promise((r) => setTimeout(r, 500));
  assert.equal((await status())?.restartCount, 1, 'still backing off 100 ms before the end');
  await clock.advance(100);
  await backingOff(2, '20s');
  await clock.advance(19_900);
  await new Promise((r) => setTimeout(r, 500));
  assert.equal((await status())?.restartCount, 2, 'still backing off 100 ms before the end');
  await clock.advance(100);
  await backingOff(3, '40s');
});

test('static pods run without an API server: start, edit replaces, removal stops and cleans up', { skip: !isRoot }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'peapod-agent-static-'));
  const testNet = reserveTestSubnet(RUNTIME_TEST_NETS);
  const { bridge, subnet } = testNet;
  const node = createNodeRuntime({ dataDir: dir, podCidr: subnet, bridge });
  let agent: Agent | undefined;
  t.after(async () => {
    await agent?.stop();
    for (const sb of await node.runtime.listPodSandboxes()) await node.runtime.removePodSandbox(sb.id);
    await node.network.teardown();
    testNet.release();
    removeTestDir(dir);
  });
  await importExampleImages(node.images);
  const manifests = join(dir, 'manifests');
  mkdirSync(manifests);
  const file = join(manifests, 'solo.yaml');
  const manifest = (arg: string) => `apiVersion: v1\nkind: Pod\nmetadata: {name: solo}\nspec:\n  terminationGracePeriodSeconds: 1\n  containers: [{name: c, image: busybox:1.36, command: [sleep, "${arg}"]}]\n`;
  writeFileSync(file, manifest('3600'));
  agent = await Agent.start({ nodeName: 'lonely', dataDir: dir, runtime: node.runtime, images: node.images, podManifestPath: manifests });
  const running = () => node.runtime.listContainers({ state: 'running' });
  const first = await pollUntil(async () => { const r = await running(); return r.length === 1 ? r[0] : undefined; }, 'the static pod running', 30_000);
  assert.equal(first.labels['io.kubernetes.pod.name'], 'solo-lonely');
  writeFileSync(file, manifest('3601'));
  const second = await pollUntil(async () => { const r = await running(); return r.length === 1 && r[0].id !== first.id ? r[0] : undefined; }, 'the edited static pod replacing the first', 30_000);
  assert.notEqual(second.labels['io.kubernetes.pod.uid'], first.labels['io.kubernetes.pod.uid']);
  await pollUntil(async () => (await node.runtime.listPodSandboxes({ podUid: first.labels['io.kubernetes.pod.uid'] })).length === 0, 'the old pod to be removed', 30_000);
  unlinkSync(file);
  await pollUntil(async () => (await node.runtime.listPodSandboxes()).length === 0, 'the static pod to be removed', 30_000);
});
