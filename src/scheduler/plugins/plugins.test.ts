/** Each filter/score plugin against fake node and pod sets, with Kubernetes' exact FailedScheduling wording. */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { SchedulerCache } from '../cache.js';
import { Framework } from '../framework.js';
import { fitErrorMessage } from '../fit-error.js';
import { preempt } from '../preemption.js';
import { PodInfo } from '../types.js';
import { makeNode, makePod } from '../testing/fixtures.js';
import { podRequests } from '../resources.js';
import { normalizedImageName } from './image-locality.js';
import { makeLabelSelector } from '../../api/selectors.js';

function cluster(nodes: Node[], pods: Pod[] = []): SchedulerCache {
  const c = new SchedulerCache();
  for (const n of nodes) c.addOrUpdateNode(n);
  for (const p of pods) c.addOrUpdatePod(p);
  return c;
}

const fw = () => new Framework({ random: () => 0 });

function place(c: SchedulerCache, pod: Pod): string {
  const r = fw().schedule(new PodInfo(pod), c);
  if (r.node === undefined) return `FAIL: ${fitErrorMessage(r.numAllNodes, r.diagnosis)}`;
  return r.node;
}

/** Schedule and assume, as the scheduler does, so later pods see earlier ones. */
function placeAll(c: SchedulerCache, pods: Pod[]): string[] {
  const f = fw();
  return pods.map((p) => {
    const info = new PodInfo(p);
    const r = f.schedule(info, c);
    if (r.node === undefined) return `FAIL: ${fitErrorMessage(r.numAllNodes, r.diagnosis)}`;
    c.assume(info, r.node);
    return r.node;
  });
}

describe('resources', () => {
  test('requests include init containers (max), sidecars (sum) and overhead', () => {
    const p = makePod('p', { cpu: '500m', memory: '1Gi', overhead: { cpu: '100m' },
      initContainers: [
        { name: 'i1', image: 'x', resources: { requests: { cpu: '2', memory: '100Mi' } } },
        { name: 'side', image: 'x', restartPolicy: 'Always', resources: { requests: { cpu: '200m' } } },
      ] });
    const r = podRequests(p);
    // app 500m + sidecar 200m = 700m; init step max(2000m) → 2000m; + overhead 100m
    assert.equal(r.get('cpu'), 2100);
    assert.equal(r.get('memory'), 1024 ** 3);
  });
});

describe('NodeResourcesFit', () => {
  test('insufficient cpu and memory, too many pods', () => {
    const c = cluster([makeNode('n1', { cpu: '1', memory: '1Gi', pods: '1' }), makeNode('n2', { cpu: '1', memory: '4Gi' })],
      [makePod('a', { nodeName: 'n1', cpu: '100m' })]);
    assert.equal(place(c, makePod('p', { cpu: '2', memory: '2Gi' })),
      'FAIL: 0/2 nodes are available: 1 Insufficient memory, 1 Too many pods, 2 Insufficient cpu.');
  });
  test('fits where the remaining allocatable suffices; least allocated wins', () => {
    const c = cluster([makeNode('n1', { cpu: '2' }), makeNode('n2', { cpu: '2' })], [makePod('a', { nodeName: 'n1', cpu: '1' })]);
    assert.equal(place(c, makePod('p', { cpu: '500m' })), 'n2');
    assert.equal(place(c, makePod('q', { cpu: '1500m' })), 'n2');
  });
  test('room nominated for a preemptor is held against pods of lower priority', () => {
    const c = cluster([makeNode('a', { cpu: '2' })]);
    c.setNominated(new PodInfo(makePod('vip', { cpu: '2', priority: 100 })), 'a');
    assert.equal(place(c, makePod('low', { cpu: '1', priority: 1 })), 'FAIL: 0/1 nodes are available: 1 Insufficient cpu.');
    assert.equal(place(c, makePod('higher', { cpu: '1', priority: 200 })), 'a');
    assert.equal(place(c, makePod('vip', { cpu: '2', priority: 100 })), 'a');
    c.clearNominated('default/vip');
    assert.equal(place(c, makePod('low', { cpu: '1', priority: 1 })), 'a');
  });
  test('max pods per node holds', () => {
    const c = cluster([makeNode('n1', { pods: '2' })]);
    const r = placeAll(c, [makePod('a'), makePod('b'), makePod('c')]);
    assert.deepEqual(r, ['n1', 'n1', 'FAIL: 0/1 nodes are available: 1 Too many pods.']);
  });
});

describe('NodeName, NodeUnschedulable, TaintToleration', () => {
  test('untolerated taints and cordoned nodes', () => {
    const c = cluster([
      makeNode('cp', { taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] }),
      makeNode('t', { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoExecute' }] }),
      makeNode('u', { unschedulable: true }),
      makeNode('small', { cpu: '100m' }),
    ]);
    assert.equal(place(c, makePod('p', { cpu: '1' })),
      "FAIL: 0/4 nodes are available: 1 Insufficient cpu, 1 node(s) had untolerated taint {dedicated: gpu}, 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 1 node(s) were unschedulable.");
    assert.equal(place(c, makePod('p', { cpu: '1', tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoExecute' }] })), 't');
    assert.equal(place(c, makePod('p', { cpu: '1', tolerations: [{ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists' }] })), 'cp');
    // an empty key with Exists tolerates every taint, node.kubernetes.io/unschedulable included
    assert.match(place(c, makePod('p', { cpu: '1', tolerations: [{ operator: 'Exists' }] })), /^(cp|t|u)$/);
  });
  test('a cordoned node takes pods tolerating node.kubernetes.io/unschedulable', () => {
    const c = cluster([makeNode('u', { unschedulable: true })]);
    assert.equal(place(c, makePod('p', { tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }] })), 'u');
  });
  test('PreferNoSchedule is a preference', () => {
    const c = cluster([makeNode('a', { taints: [{ key: 'k', effect: 'PreferNoSchedule' }] }), makeNode('b')]);
    assert.equal(place(c, makePod('p')), 'b');
  });
  test('nodeName', () => {
    const c = cluster([makeNode('a'), makeNode('b')]);
    const pod = makePod('p');
    pod.spec!.nodeName = 'zzz';
    const r = fw().schedule(new PodInfo(pod), c);
    assert.equal(r.node, undefined);
    if (r.node === undefined) assert.equal(fitErrorMessage(r.numAllNodes, r.diagnosis), "0/2 nodes are available: 2 node(s) didn't match the requested node name.");
  });
});

describe('NodeAffinity', () => {
  const nodes = [makeNode('a', { labels: { disk: 'ssd', zone: 'z1' } }), makeNode('b', { labels: { disk: 'hdd', zone: 'z2' } }), makeNode('c', { labels: { zone: 'z3' } })];
  test('nodeSelector', () => {
    assert.equal(place(cluster(nodes), makePod('p', { nodeSelector: { disk: 'hdd' } })), 'b');
    assert.equal(place(cluster(nodes), makePod('p', { nodeSelector: { disk: 'nvme' } })), "FAIL: 0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector.");
  });
  test('required terms (ORed) with In/NotIn/Exists/DoesNotExist/Gt', () => {
    const aff = (exprs: object[][]) => ({ nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: exprs.map((e) => ({ matchExpressions: e })) } } }) as never;
    assert.equal(place(cluster(nodes), makePod('p', { affinity: aff([[{ key: 'disk', operator: 'DoesNotExist' }]]) })), 'c');
    assert.equal(place(cluster(nodes), makePod('p', { affinity: aff([[{ key: 'disk', operator: 'Exists' }, { key: 'zone', operator: 'NotIn', values: ['z1'] }]]) })), 'b');
    assert.equal(place(cluster(nodes), makePod('p', { affinity: aff([[{ key: 'zone', operator: 'In', values: ['z9'] }], [{ key: 'disk', operator: 'In', values: ['ssd'] }]]) })), 'a');
  });
  test('preferred terms weigh in', () => {
    const affinity = { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 50, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['z2'] }] } }] } };
    assert.equal(place(cluster(nodes), makePod('p', { affinity })), 'b');
  });
});

describe('NodePorts', () => {
  test('host port conflicts', () => {
    const c = cluster([makeNode('a'), makeNode('b')], [makePod('x', { nodeName: 'a', hostPort: 8080 }), makePod('y', { nodeName: 'b', hostPort: 8080 })]);
    assert.equal(place(c, makePod('p', { hostPort: 8080 })), "FAIL: 0/2 nodes are available: 2 node(s) didn't have free ports for the requested pod ports.");
    assert.notEqual(place(c, makePod('p', { hostPort: 8081 })).slice(0, 4), 'FAIL');
  });
});

describe('InterPodAffinity', () => {
  const zoned = () => cluster([
    makeNode('a1', { labels: { zone: 'a' } }), makeNode('a2', { labels: { zone: 'a' } }), makeNode('b1', { labels: { zone: 'b' } }),
  ]);
  const anti = (app: string, key = 'kubernetes.io/hostname') => ({ podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app } }, topologyKey: key }] } });
  const aff = (app: string, key = 'zone') => ({ podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app } }, topologyKey: key }] } });
  test('required anti-affinity spreads one per node, then fails with the anti-affinity reason', () => {
    const c = zoned();
    const r = placeAll(c, [1, 2, 3, 4].map((i) => makePod(`w${i}`, { labels: { app: 'web' }, affinity: anti('web') })));
    assert.deepEqual(new Set(r.slice(0, 3)), new Set(['a1', 'a2', 'b1']));
    assert.equal(r[3], "FAIL: 0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules.");
  });
  test("existing pods' anti-affinity keeps others out", () => {
    const c = zoned();
    c.addOrUpdatePod(makePod('guard', { nodeName: 'a1', labels: { app: 'guard' }, affinity: anti('web', 'zone') }));
    assert.equal(place(c, makePod('w', { labels: { app: 'web' } })), 'b1');
    c.addOrUpdatePod(makePod('guard2', { nodeName: 'b1', labels: { app: 'guard' }, affinity: anti('web', 'zone') }));
    assert.equal(place(c, makePod('w', { labels: { app: 'web' } })), "FAIL: 0/3 nodes are available: 3 node(s) didn't satisfy existing pods anti-affinity rules.");
  });
  test('required affinity follows the matching pod into its zone; the first pod of a group may go anywhere', () => {
    const c = zoned();
    assert.equal(place(c, makePod('lonely', { labels: { app: 'db' }, affinity: aff('cache') })), "FAIL: 0/3 nodes are available: 3 node(s) didn't match pod affinity rules.");
    assert.notEqual(place(c, makePod('self', { labels: { app: 'cache' }, affinity: aff('cache') })).slice(0, 4), 'FAIL');
    c.addOrUpdatePod(makePod('cache', { nodeName: 'b1', labels: { app: 'cache' } }));
    assert.equal(place(c, makePod('db', { labels: { app: 'db' }, affinity: aff('cache') })), 'b1');
  });
  test('preferred anti-affinity avoids, preferred affinity attracts', () => {
    const c = zoned();
    c.addOrUpdatePod(makePod('x', { nodeName: 'a1', labels: { app: 'x' } }));
    const prefer = (kind: 'podAffinity' | 'podAntiAffinity') => ({ [kind]: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: { labelSelector: { matchLabels: { app: 'x' } }, topologyKey: 'zone' } }] } });
    assert.equal(place(c, makePod('p', { affinity: prefer('podAntiAffinity') as never })), 'b1');
    assert.match(place(c, makePod('q', { affinity: prefer('podAffinity') as never })), /^a[12]$/);
  });
});

describe('PodTopologySpread', () => {
  const spread = (when: 'DoNotSchedule' | 'ScheduleAnyway', key = 'zone', maxSkew = 1) => [{ maxSkew, topologyKey: key, whenUnsatisfiable: when, labelSelector: { matchLabels: { app: 's' } } }];
  test('DoNotSchedule keeps zones within maxSkew', () => {
    const c = cluster([makeNode('a1', { labels: { zone: 'a' } }), makeNode('a2', { labels: { zone: 'a' } }), makeNode('b1', { labels: { zone: 'b' }, pods: '2' })]);
    const r = placeAll(c, [1, 2, 3, 4, 5].map((i) => makePod(`s${i}`, { labels: { app: 's' }, topologySpreadConstraints: spread('DoNotSchedule') as never })));
    const zone = (n: string) => n[0];
    assert.deepEqual(r.slice(0, 4).map(zone).sort(), ['a', 'a', 'b', 'b']);
    // zone b is full (2 pods); a third pod in zone a would make skew 3-2=1 → allowed; a fourth is not
    assert.equal(zone(r[4]), 'a');
    const sixth = placeAll(c, [makePod('s6', { labels: { app: 's' }, topologySpreadConstraints: spread('DoNotSchedule') as never })])[0];
    assert.equal(sixth, "FAIL: 0/3 nodes are available: 1 Too many pods, 2 node(s) didn't match pod topology spread constraints.");
  });
  test('nodes without the topology key are unresolvable', () => {
    const c = cluster([makeNode('a1', { labels: { zone: 'a' } }), makeNode('x')]);
    c.addOrUpdatePod(makePod('s0', { nodeName: 'a1', labels: { app: 's' } }));
    assert.equal(place(c, makePod('p', { labels: { app: 's' }, topologySpreadConstraints: spread('DoNotSchedule', 'zone', 1) as never })), 'a1');
    assert.equal(place(cluster([makeNode('x')]), makePod('p', { labels: { app: 's' }, topologySpreadConstraints: spread('DoNotSchedule') as never })),
      "FAIL: 0/1 nodes are available: 1 node(s) didn't match pod topology spread constraints (missing required label).");
  });
  test('system default constraints spread pods of one controller/service over hostnames', () => {
    const c = cluster([makeNode('a', { cpu: '64', memory: '64Gi' }), makeNode('b', { cpu: '4' })]);
    for (const i of [1, 2, 3]) c.addOrUpdatePod(makePod(`x${i}`, { nodeName: 'a', cpu: '100m', labels: { app: 'x' } }));
    const pod = () => makePod('new', { cpu: '100m', labels: { app: 'x' } });
    assert.equal(place(c, pod()), 'a', 'without a controller or service, least allocated wins');
    const info = new PodInfo(pod());
    info.defaultSpreadSelector = makeLabelSelector([{ key: 'app', operator: 'in', values: ['x'] }]);
    const r = fw().schedule(info, c);
    assert.equal(r.node, 'b');
  });
  test('ScheduleAnyway prefers the emptier domain', () => {
    const c = cluster([makeNode('a1', { labels: { zone: 'a' } }), makeNode('b1', { labels: { zone: 'b' } })]);
    c.addOrUpdatePod(makePod('s0', { nodeName: 'a1', labels: { app: 's' } }));
    c.addOrUpdatePod(makePod('s1', { nodeName: 'a1', labels: { app: 's' } }));
    assert.equal(place(c, makePod('p', { labels: { app: 's' }, topologySpreadConstraints: spread('ScheduleAnyway') as never })), 'b1');
  });
});

describe('ImageLocality and BalancedAllocation', () => {
  test('a node with the image wins among equals', () => {
    assert.equal(normalizedImageName('nginx'), 'nginx:latest');
    const big = { names: ['registry.local/big:1'], sizeBytes: 900 * 1024 * 1024 };
    const c = cluster([makeNode('a'), makeNode('b', { images: [big] })]);
    assert.equal(place(c, makePod('p', { image: 'registry.local/big:1' })), 'b');
  });
  test('balanced allocation prefers the node whose cpu/memory stay even', () => {
    const c = cluster([makeNode('a', { cpu: '4', memory: '4Gi' }), makeNode('b', { cpu: '4', memory: '4Gi' })],
      [makePod('x', { nodeName: 'a', cpu: '2' }), makePod('y', { nodeName: 'b', memory: '2Gi' })]);
    // the pod asks for memory: on 'a' (cpu-heavy) it evens things out
    assert.equal(place(c, makePod('p', { memory: '2Gi' })), 'a');
  });
});

describe('preemption', () => {
  test('evicts the fewest, least important pods on the best node', () => {
    const c = cluster([makeNode('a', { cpu: '2' }), makeNode('b', { cpu: '2' })], [
      makePod('low1', { nodeName: 'a', cpu: '1', priority: 10 }), makePod('low2', { nodeName: 'a', cpu: '1', priority: 10 }),
      makePod('mid', { nodeName: 'b', cpu: '2', priority: 50 }),
    ]);
    const pod = new PodInfo(makePod('vip', { cpu: '1', priority: 100 }));
    const f = fw();
    const r = f.schedule(pod, c);
    assert.equal(r.node, undefined);
    if (r.node !== undefined) return;
    assert.equal(fitErrorMessage(r.numAllNodes, r.diagnosis), '0/2 nodes are available: 2 Insufficient cpu.');
    const pre = preempt(f, pod, r.diagnosis, c, []);
    assert.equal(pre.nominatedNode, 'a');
    assert.deepEqual(pre.victims.map((v) => v.name), ['low2']);
  });
  test('messages when preemption cannot help', () => {
    const c = cluster([makeNode('a', { cpu: '1' }), makeNode('t', { taints: [{ key: 'k', effect: 'NoSchedule' }] })], [makePod('same', { nodeName: 'a', cpu: '1', priority: 100 })]);
    const pod = new PodInfo(makePod('p', { cpu: '1', priority: 100 }));
    const f = fw();
    const r = f.schedule(pod, c);
    if (r.node !== undefined) assert.fail('should not fit');
    const pre = preempt(f, pod, r.diagnosis, c, []);
    r.diagnosis.postFilterMsg = pre.message;
    assert.equal(fitErrorMessage(r.numAllNodes, r.diagnosis),
      '0/2 nodes are available: 1 Insufficient cpu, 1 node(s) had untolerated taint {k: }. preemption: 0/2 nodes are available: 1 No preemption victims found for incoming pod, 1 Preemption is not helpful for scheduling.');
    const never = new PodInfo({ ...makePod('n', { cpu: '1', priority: 1000 }), spec: { ...makePod('n', { cpu: '1' }).spec!, priority: 1000, preemptionPolicy: 'Never' } });
    assert.equal(preempt(f, never, r.diagnosis, c, []).message, 'preemption: not eligible due to preemptionPolicy=Never.');
  });
  test('evicting a lower-priority pod that blocks by anti-affinity (either direction) makes room', () => {
    const anti = (app: string) => ({ podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app } }, topologyKey: 'kubernetes.io/hostname' }] } });
    const c = cluster([makeNode('a'), makeNode('b')], [
      makePod('low-x', { nodeName: 'a', priority: 1, labels: { app: 'x' } }),
      makePod('high-x', { nodeName: 'b', priority: 1000, labels: { app: 'x' } }),
    ]);
    const f = fw();
    const pod = new PodInfo(makePod('vip', { priority: 100, affinity: anti('x') }));
    const r = f.schedule(pod, c);
    if (r.node !== undefined) assert.fail('should not fit');
    assert.equal(fitErrorMessage(r.numAllNodes, r.diagnosis), "0/2 nodes are available: 2 node(s) didn't match pod anti-affinity rules.");
    const pre = preempt(f, pod, r.diagnosis, c, []);
    assert.equal(pre.nominatedNode, 'a');
    assert.deepEqual(pre.victims.map((v) => v.name), ['low-x']);
    // the other direction: an existing low-priority pod's anti-affinity keeps the pod out
    const c2 = cluster([makeNode('a')], [makePod('guard', { nodeName: 'a', priority: 1, labels: { app: 'g' }, affinity: anti('web') })]);
    const web = new PodInfo(makePod('web', { priority: 100, labels: { app: 'web' } }));
    const r2 = f.schedule(web, c2);
    if (r2.node !== undefined) assert.fail('should not fit');
    assert.deepEqual(preempt(f, web, r2.diagnosis, c2, []).victims.map((v) => v.name), ['guard']);
  });
  test('a PodDisruptionBudget steers the choice of victims', () => {
    const c = cluster([makeNode('a', { cpu: '1' }), makeNode('b', { cpu: '1' })], [
      makePod('guarded', { nodeName: 'a', cpu: '1', priority: 1, labels: { app: 'g' } }),
      makePod('free', { nodeName: 'b', cpu: '1', priority: 5 }),
    ]);
    const pod = new PodInfo(makePod('vip', { cpu: '1', priority: 100 }));
    const f = fw();
    const r = f.schedule(pod, c);
    if (r.node !== undefined) assert.fail('should not fit');
    const pdb = { metadata: { name: 'g', namespace: 'default' }, spec: { selector: { matchLabels: { app: 'g' } } }, status: { disruptionsAllowed: 0 } };
    assert.equal(preempt(f, pod, r.diagnosis, c, [pdb]).nominatedNode, 'b');
    assert.equal(preempt(f, pod, r.diagnosis, c, []).nominatedNode, 'a');
  });
});

describe('cache', () => {
  test('incremental indexes follow pod removal and node label changes', () => {
    const c = cluster([makeNode('a1', { labels: { zone: 'a' } }), makeNode('b1', { labels: { zone: 'b' } })]);
    const anti = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'w' } }, topologyKey: 'zone' }] } };
    c.addOrUpdatePod(makePod('w1', { nodeName: 'a1', labels: { app: 'w' }, affinity: anti }));
    assert.equal(place(c, makePod('w2', { labels: { app: 'w' }, affinity: anti })), 'b1');
    // relabel a1 into zone b: now both zones hold a "w" pod
    c.addOrUpdateNode(makeNode('a1', { labels: { zone: 'b' } }));
    assert.match(place(c, makePod('w2', { labels: { app: 'w' }, affinity: anti })), /^FAIL/);
    c.removePod('default/w1');
    assert.match(place(c, makePod('w2', { labels: { app: 'w' }, affinity: anti })), /^(a1|b1)$/);
    // assume/forget
    const info = new PodInfo(makePod('big', { cpu: '4' }));
    c.assume(info, 'a1');
    assert.match(place(c, makePod('p', { cpu: '1' })), /^b1$/);
    c.forget(info.key);
    assert.equal(c.nodeOf(info.key), undefined);
  });
});
