import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../api/object.js';
import type { DaemonSetStatus } from 'kubernetes-types/apps/v1.js';
import { Resources } from '../client/resources.js';
import { startDaemonSetController, nodeShouldRunDaemonPod, targetNode, pinToNode, type DaemonSetController } from './daemonset.js';
import { startTestCluster, waitFor, listPods, runPod, finishTerminating, events, type TestCluster } from './replicaset-testkit.js';

function ds(name: string, extra: Record<string, unknown> = {}, podExtra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name, namespace: 'default' },
    spec: { selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'agent:1' }], ...podExtra } }, ...extra },
  };
}
const node = (name: string, labels: Record<string, string> = {}, spec: Record<string, unknown> = {}): KubeObject => ({ apiVersion: 'v1', kind: 'Node', metadata: { name, labels }, spec });

describe('DaemonSet eligibility', () => {
  const spec = (ds('x').spec) as never;
  test('taints: untolerated NoSchedule stops new pods, NoExecute evicts; default daemon tolerations', () => {
    assert.deepEqual(nodeShouldRunDaemonPod(node('a'), spec), { shouldRun: true, shouldContinueRunning: true });
    assert.deepEqual(nodeShouldRunDaemonPod(node('a', {}, { taints: [{ key: 'k', value: 'v', effect: 'NoSchedule' }] }), spec), { shouldRun: false, shouldContinueRunning: true });
    assert.deepEqual(nodeShouldRunDaemonPod(node('a', {}, { taints: [{ key: 'k', effect: 'NoExecute' }] }), spec), { shouldRun: false, shouldContinueRunning: false });
    for (const key of ['node.kubernetes.io/unschedulable', 'node.kubernetes.io/disk-pressure', 'node.kubernetes.io/memory-pressure', 'node.kubernetes.io/pid-pressure']) {
      assert.equal(nodeShouldRunDaemonPod(node('a', {}, { taints: [{ key, effect: 'NoSchedule' }] }), spec).shouldRun, true, key);
    }
    assert.equal(nodeShouldRunDaemonPod(node('a', {}, { taints: [{ key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' }] }), spec).shouldContinueRunning, true);
    assert.equal(nodeShouldRunDaemonPod(node('a', {}, { taints: [{ key: 'node.kubernetes.io/network-unavailable', effect: 'NoSchedule' }] }), spec).shouldRun, false);
    const hostNet = ds('x', {}, { hostNetwork: true }).spec as never;
    assert.equal(nodeShouldRunDaemonPod(node('a', {}, { taints: [{ key: 'node.kubernetes.io/network-unavailable', effect: 'NoSchedule' }] }), hostNet).shouldRun, true);
  });
  test('nodeSelector and required node affinity', () => {
    const sel = ds('x', {}, { nodeSelector: { disk: 'ssd' } }).spec as never;
    assert.equal(nodeShouldRunDaemonPod(node('a', { disk: 'ssd' }), sel).shouldRun, true);
    assert.deepEqual(nodeShouldRunDaemonPod(node('a', { disk: 'hdd' }), sel), { shouldRun: false, shouldContinueRunning: false });
    const aff = ds('x', {}, { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a', 'b'] }] }] } } } }).spec as never;
    assert.equal(nodeShouldRunDaemonPod(node('n', { zone: 'b' }), aff).shouldRun, true);
    assert.equal(nodeShouldRunDaemonPod(node('n', { zone: 'c' }), aff).shouldRun, false);
    const pinned = pinToNode({ nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }] } } }, 'n1');
    assert.deepEqual(pinned.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms, [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }], matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }] }]);
    assert.equal(targetNode({ metadata: {}, spec: { affinity: pinned } }), 'n1');
  });
});

describe('DaemonSet controller', () => {
  let c: TestCluster;
  let dc: DaemonSetController;
  before(async () => {
    c = await startTestCluster(({ client, informers, clock }) => { dc = startDaemonSetController({ client, informers, clock }); return [dc]; });
    for (const n of ['n1', 'n2']) await c.client.create(Resources.nodes, undefined, node(n));
    await c.client.create(Resources.nodes, undefined, node('n3', {}, { taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] }));
  });
  after(async () => { await c?.stop(); });

  const live = async (app: string) => (await listPods(c.client, `app=${app}`)).filter((p) => !p.metadata.deletionTimestamp);
  const nodesOf = (ps: KubeObject[]) => ps.map((p) => targetNode(p)).sort();
  const status = async (n: string) => ((await c.client.get(Resources.daemonsets, 'default', n)).status ?? {}) as DaemonSetStatus;
  async function runAll(app: string): Promise<void> {
    for (const p of await live(app)) if ((p.status as { phase?: string } | undefined)?.phase !== 'Running') await runPod(c.client, p, { node: targetNode(p), at: c.clock.now() });
  }

  test('one pod per eligible node, pinned by node affinity, with the daemon tolerations; status counts', async () => {
    await c.client.create(Resources.daemonsets, 'default', ds('agent'));
    const ps = await waitFor(async () => { const x = await live('agent'); return x.length === 2 && x; }, '2 pods');
    assert.deepEqual(nodesOf(ps), ['n1', 'n2']);
    for (const p of ps) {
      assert.equal((p.spec as { nodeName?: string }).nodeName, undefined, 'the scheduler binds it');
      assert.equal(p.metadata.labels?.['pod-template-generation'], '1');
      assert.match(String(p.metadata.labels?.['controller-revision-hash']), /^[bcdfghjklmnpqrstvwxz2456789]+$/);
      const tol = (p.spec as { tolerations: { key: string; effect: string }[] }).tolerations.map((t) => `${t.key}:${t.effect}`);
      for (const t of ['node.kubernetes.io/not-ready:NoExecute', 'node.kubernetes.io/unreachable:NoExecute', 'node.kubernetes.io/disk-pressure:NoSchedule', 'node.kubernetes.io/memory-pressure:NoSchedule', 'node.kubernetes.io/pid-pressure:NoSchedule', 'node.kubernetes.io/unschedulable:NoSchedule']) assert.ok(tol.includes(t), t);
    }
    let st = await waitFor(async () => { const s = await status('agent'); return s.desiredNumberScheduled === 2 && s.currentNumberScheduled === 2 && s; }, 'status');
    assert.equal(st.numberReady, 0);
    assert.equal(st.updatedNumberScheduled, 2);
    assert.equal(st.numberUnavailable, 2);
    assert.equal(st.observedGeneration, 1);
    await runAll('agent');
    st = await waitFor(async () => { const s = await status('agent'); return s.numberReady === 2 && s.numberAvailable === 2 && s; }, 'ready');
    assert.equal(st.numberUnavailable, undefined);
    await dc.recorder.flush();
    assert.equal((await events(c.client)).filter((e) => e.involvedObject.name === 'agent' && e.reason === 'SuccessfulCreate').length, 2);
  });

  test('follows nodes: a joining node gets a pod, an untolerated NoExecute taint removes it', async () => {
    await c.client.create(Resources.nodes, undefined, node('n4'));
    await waitFor(async () => JSON.stringify(nodesOf(await live('agent'))) === '["n1","n2","n4"]', 'pod on n4');
    await c.client.patch(Resources.nodes, undefined, 'n4', 'merge', { spec: { taints: [{ key: 'evict', effect: 'NoExecute' }] } });
    await waitFor(async () => JSON.stringify(nodesOf(await live('agent'))) === '["n1","n2"]', 'pod on n4 removed');
    await c.client.delete(Resources.nodes, undefined, 'n4');
    await waitFor(async () => (await status('agent')).desiredNumberScheduled === 2, 'desired 2');
  });

  test('nodeSelector: labelling a node adds its pod, unlabelling removes it', async () => {
    await c.client.create(Resources.daemonsets, 'default', ds('ssd', {}, { nodeSelector: { disk: 'ssd' } }));
    await waitFor(async () => (await status('ssd')).observedGeneration === 1, 'observed');
    assert.equal((await live('ssd')).length, 0);
    await c.client.patch(Resources.nodes, undefined, 'n2', 'merge', { metadata: { labels: { disk: 'ssd' } } });
    await waitFor(async () => JSON.stringify(nodesOf(await live('ssd'))) === '["n2"]', 'pod on n2');
    await c.client.patch(Resources.nodes, undefined, 'n2', 'merge', { metadata: { labels: { disk: null } } });
    await waitFor(async () => (await live('ssd')).length === 0, 'pod removed');
    await c.client.delete(Resources.daemonsets, 'default', 'ssd');
  });

  test('a failed pod is deleted and made again; a node failing pods again is backed off (1 s, 2 s …)', async () => {
    const onN1 = async () => (await live('agent')).filter((x) => targetNode(x) === 'n1');
    const fail = (p: KubeObject) => c.client.patch(Resources.pods, 'default', String(p.metadata.name), 'merge', { status: { phase: 'Failed' } }, { subresource: 'status' });
    const [p] = await onN1();
    await fail(p);
    // a pod in a terminal phase is deleted at once (no grace period), and the node gets a new one
    const second = await waitFor(async () => { const x = await onN1(); return x.length === 1 && x[0].metadata.uid !== p.metadata.uid && x[0]; }, 'replacement on n1');
    await dc.recorder.flush();
    assert.ok((await events(c.client)).some((e) => e.reason === 'FailedDaemonPod' && e.message === `Found failed daemon pod default/${p.metadata.name} on node n1, will try to kill it`));
    await fail(second);
    await c.clock.advance(500);
    assert.ok((await listPods(c.client, 'app=agent')).some((x) => x.metadata.uid === second.metadata.uid), 'within the 1 s backoff the failed pod stays');
    await c.clock.advance(600);
    const third = await waitFor(async () => { const x = await onN1(); return x.length === 1 && x[0].metadata.uid !== second.metadata.uid && x[0]; }, 'deleted after the backoff and replaced');
    await runPod(c.client, third, { node: 'n1', at: c.clock.now() });
    await runAll('agent');
    await waitFor(async () => (await status('agent')).numberReady === 2, 'ready 2');
  });

  test('rolling update with maxUnavailable 1: one node at a time', async () => {
    const before = await live('agent');
    await c.client.patch(Resources.daemonsets, 'default', 'agent', 'merge', { spec: { template: { spec: { containers: [{ name: 'c', image: 'agent:2' }] } } } });
    await waitFor(async () => (await live('agent')).length === 1, 'one old pod deleted');
    assert.equal(await finishTerminating(c.client), 1);
    const replaced = await waitFor(async () => { const x = await live('agent'); return x.length === 2 && x.find((p) => !before.some((b) => b.metadata.uid === p.metadata.uid)); }, 'new pod');
    assert.equal((replaced.spec as { containers: { image: string }[] }).containers[0].image, 'agent:2');
    assert.equal(replaced.metadata.labels?.['pod-template-generation'], '2');
    let st = await status('agent');
    assert.equal(st.updatedNumberScheduled, 1);
    assert.equal((await live('agent')).length, 2, 'the other old pod waits until the new one is available');
    await runAll('agent');
    await waitFor(async () => (await live('agent')).length === 1, 'second old pod deleted');
    await finishTerminating(c.client);
    await waitFor(async () => (await live('agent')).length === 2, 'second new pod');
    await runAll('agent');
    st = await waitFor(async () => { const s = await status('agent'); return s.updatedNumberScheduled === 2 && s.numberAvailable === 2 && s; }, 'rolled out');
    assert.equal(st.observedGeneration, 2);
  });

  test('rolling update with maxSurge 1: the new pod starts beside the old one', async () => {
    const image = (p: KubeObject) => (p.spec as { containers: { image: string }[] }).containers[0].image;
    const old = await live('agent');
    await c.client.patch(Resources.daemonsets, 'default', 'agent', 'merge', { spec: { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } }, template: { spec: { containers: [{ name: 'c', image: 'agent:3' }] } } } });
    const three = await waitFor(async () => { const x = await live('agent'); return x.length === 3 && x; }, 'surge pod');
    const surge = three.find((p) => image(p) === 'agent:3')!;
    const surgeNode = targetNode(surge);
    const oldThere = old.find((p) => targetNode(p) === surgeNode)!;
    // only one node surges at a time; the old pod stays until the new one is available
    assert.equal(three.filter((p) => image(p) === 'agent:3').length, 1);
    assert.ok(three.some((p) => p.metadata.uid === oldThere.metadata.uid));
    await runPod(c.client, surge, { node: surgeNode, at: c.clock.now() });
    await waitFor(async () => !(await live('agent')).some((p) => p.metadata.uid === oldThere.metadata.uid), 'old pod on that node deleted');
    const next = await waitFor(async () => (await live('agent')).find((p) => image(p) === 'agent:3' && targetNode(p) !== surgeNode), 'next surge pod');
    await runPod(c.client, next, { node: targetNode(next), at: c.clock.now() });
    await waitFor(async () => { const x = await live('agent'); return x.length === 2 && x.every((p) => image(p) === 'agent:3'); }, 'last old pod deleted');
    await finishTerminating(c.client);
    const st = await waitFor(async () => { const s = await status('agent'); return s.updatedNumberScheduled === 2 && s.numberAvailable === 2 && s; }, 'rolled out');
    assert.equal(st.desiredNumberScheduled, 2);
  });
  test('OnDelete keeps old pods until they are deleted; a pod left on a node that no longer fits is misscheduled', async () => {
    await c.client.create(Resources.daemonsets, 'default', ds('ond', { updateStrategy: { type: 'OnDelete' } }));
    const ps = await waitFor(async () => { const x = await live('ond'); return x.length === 2 && x; }, '2 pods');
    await c.client.patch(Resources.daemonsets, 'default', 'ond', 'merge', { spec: { template: { spec: { containers: [{ name: 'c', image: 'agent:9' }] } } } });
    let st = await waitFor(async () => { const s = await status('ond'); return s.observedGeneration === 2 && s; }, 'observed');
    assert.equal(st.updatedNumberScheduled, undefined);
    assert.deepEqual((await live('ond')).map((p) => p.metadata.uid).sort(), ps.map((p) => p.metadata.uid).sort(), 'nothing replaced');
    await c.client.delete(Resources.pods, 'default', String(ps[0].metadata.name));
    const fresh = await waitFor(async () => (await live('ond')).find((p) => !ps.some((o) => o.metadata.uid === p.metadata.uid)), 'replacement');
    assert.equal((fresh.spec as { containers: { image: string }[] }).containers[0].image, 'agent:9');
    await waitFor(async () => (await status('ond')).updatedNumberScheduled === 1, 'one updated');
    // a NoSchedule taint does not evict a running daemon pod: it is counted as misscheduled
    const other = (await live('ond')).find((p) => p.metadata.uid !== fresh.metadata.uid)!;
    await c.client.patch(Resources.nodes, undefined, String(targetNode(other)), 'merge', { spec: { taints: [{ key: 'maintenance', effect: 'NoSchedule' }] } });
    st = await waitFor(async () => { const s = await status('ond'); return s.numberMisscheduled === 1 && s; }, 'misscheduled');
    assert.equal(st.desiredNumberScheduled, 1);
    assert.ok((await live('ond')).some((p) => p.metadata.uid === other.metadata.uid), 'the pod stays');
    await c.client.patch(Resources.nodes, undefined, String(targetNode(other)), 'merge', { spec: { taints: null } });
    await c.client.delete(Resources.daemonsets, 'default', 'ond');
  });
});
