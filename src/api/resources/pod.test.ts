/** printPod's STATUS, READY and RESTARTS as Kubernetes computes them. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../object.js';
import { podRow, podQOS } from './pod.js';
import { humanDuration } from './print-util.js';

const now = Date.UTC(2026, 0, 1, 12, 0, 0);
const ago = (ms: number) => new Date(now - ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

function pod(spec: Record<string, unknown>, status: Record<string, unknown>, meta: Record<string, unknown> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', creationTimestamp: ago(90_000), ...meta }, spec: { containers: [{ name: 'c', image: 'i' }], ...spec }, status };
}
const cells = (p: KubeObject) => podRow(p, now).cells;
const running = { running: { startedAt: ago(60_000) } };

test('Pending, Running, ContainerCreating, CrashLoopBackOff, Completed, Error', () => {
  assert.deepEqual(cells(pod({}, { phase: 'Pending' })).slice(0, 5), ['p', '0/1', 'Pending', '0', '90s']);
  assert.deepEqual(cells(pod({}, { phase: 'Running', containerStatuses: [{ name: 'c', ready: true, restartCount: 0, state: running }] })).slice(1, 4), ['1/1', 'Running', '0']);
  assert.equal(cells(pod({}, { phase: 'Pending', containerStatuses: [{ name: 'c', ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } }] }))[2], 'ContainerCreating');
  const crash = pod({}, { phase: 'Running', containerStatuses: [{ name: 'c', ready: false, restartCount: 5, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(300_000) } } }] });
  assert.deepEqual(cells(crash).slice(2, 4), ['CrashLoopBackOff', '5 (5m ago)']);
  const done = pod({ restartPolicy: 'Never' }, { phase: 'Succeeded', containerStatuses: [{ name: 'c', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }] });
  assert.equal(cells(done)[2], 'Completed');
  assert.deepEqual(podRow(done, now).conditions, [{ type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' }]);
  assert.equal(cells(pod({}, { phase: 'Failed', containerStatuses: [{ name: 'c', state: { terminated: { exitCode: 2, reason: 'Error' } } }] }))[2], 'Error');
  assert.equal(cells(pod({}, { phase: 'Failed', containerStatuses: [{ name: 'c', state: { terminated: { exitCode: 137 } } }] }))[2], 'ExitCode:137');
  assert.equal(cells(pod({}, { phase: 'Failed', containerStatuses: [{ name: 'c', state: { terminated: { exitCode: 0, signal: 9 } } }] }))[2], 'Signal:9');
  assert.equal(cells(pod({}, { phase: 'Failed', reason: 'Evicted' }))[2], 'Evicted');
});

test('init containers: Init:0/1, Init:CrashLoopBackOff, Init:Error, PodInitializing', () => {
  const spec = { initContainers: [{ name: 'i', image: 'x' }] };
  assert.equal(cells(pod(spec, { phase: 'Pending', initContainerStatuses: [{ name: 'i', state: { waiting: { reason: 'PodInitializing' } } }] }))[2], 'Init:0/1');
  assert.equal(cells(pod(spec, { phase: 'Pending', initContainerStatuses: [{ name: 'i', restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff' } } }] }))[2], 'Init:CrashLoopBackOff');
  assert.equal(cells(pod(spec, { phase: 'Pending', initContainerStatuses: [{ name: 'i', state: { terminated: { exitCode: 1, reason: 'Error' } } }] }))[2], 'Init:Error');
  assert.equal(cells(pod(spec, { phase: 'Pending', initContainerStatuses: [{ name: 'i', state: { terminated: { exitCode: 3 } } }] }))[2], 'Init:ExitCode:3');
  const afterInit = pod(spec, {
    phase: 'Pending',
    initContainerStatuses: [{ name: 'i', state: { terminated: { exitCode: 0, reason: 'Completed' } } }],
    containerStatuses: [{ name: 'c', ready: false, restartCount: 0, state: { waiting: { reason: 'PodInitializing' } } }],
  });
  assert.equal(cells(afterInit)[2], 'PodInitializing');
  // a sidecar (restartable init container) counts in READY and TOTAL
  const sidecar = pod({ initContainers: [{ name: 's', image: 'x', restartPolicy: 'Always' }] }, {
    phase: 'Running',
    conditions: [{ type: 'Initialized', status: 'True' }],
    initContainerStatuses: [{ name: 's', started: true, ready: true, restartCount: 1, state: running }],
    containerStatuses: [{ name: 'c', ready: true, restartCount: 0, state: running }],
  });
  assert.deepEqual(cells(sidecar).slice(1, 4), ['2/2', 'Running', '1']);
});

test('Terminating, Unknown for NodeLost, NotReady, SchedulingGated; wide columns', () => {
  assert.equal(cells(pod({ nodeName: 'n' }, { phase: 'Running' }, { deletionTimestamp: ago(0) }))[2], 'Terminating');
  assert.equal(cells(pod({ nodeName: 'n' }, { phase: 'Succeeded' }, { deletionTimestamp: ago(0) }))[2], 'Succeeded');
  assert.equal(cells(pod({ nodeName: 'n' }, { phase: 'Running', reason: 'NodeLost' }, { deletionTimestamp: ago(0) }))[2], 'Unknown');
  const notReady = pod({ containers: [{ name: 'a' }, { name: 'b' }] }, {
    phase: 'Running',
    containerStatuses: [{ name: 'a', ready: true, state: running }, { name: 'b', state: { terminated: { exitCode: 0, reason: 'Completed' } } }],
  });
  assert.deepEqual(cells(notReady).slice(1, 3), ['1/2', 'NotReady']);
  assert.equal(cells(pod({}, { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }] }))[2], 'SchedulingGated');
  const wide = pod({ nodeName: 'node-1', readinessGates: [{ conditionType: 'x' }, { conditionType: 'y' }] }, {
    phase: 'Running', podIPs: [{ ip: '10.0.0.5' }], nominatedNodeName: 'node-2', conditions: [{ type: 'x', status: 'True' }, { type: 'y', status: 'False' }],
  });
  assert.deepEqual(cells(wide).slice(5), ['10.0.0.5', 'node-1', 'node-2', '1/2']);
  assert.deepEqual(cells(pod({}, { phase: 'Pending' })).slice(5), ['<none>', '<none>', '<none>', '<none>']);
});

test('QoS class and human durations', () => {
  assert.equal(podQOS({ containers: [{ name: 'c' }] }), 'BestEffort');
  assert.equal(podQOS({ containers: [{ name: 'c', resources: { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '1000m', memory: '1Gi' } } }] }), 'Guaranteed');
  assert.equal(podQOS({ containers: [{ name: 'c', resources: { limits: { cpu: '1', memory: '1Gi' } } }] }), 'Burstable', 'requests not yet defaulted from limits');
  assert.equal(podQOS({ containers: [{ name: 'c', resources: { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '500m', memory: '1Gi' } } }] }), 'Burstable');
  assert.equal(podQOS({ containers: [{ name: 'c', resources: { requests: { 'example.com/gpu': '1' } } }] }), 'BestEffort');
  assert.equal(podQOS({ containers: [{ name: 'c', resources: { requests: { cpu: '1' } } }] }), 'Burstable');
  assert.equal(humanDuration(59_000), '59s');
  assert.equal(humanDuration(119_000), '119s');
  assert.equal(humanDuration(150_000), '2m30s');
  assert.equal(humanDuration(600_000), '10m');
  assert.equal(humanDuration(3 * 3600_000 + 5 * 60_000), '3h5m');
  assert.equal(humanDuration(10 * 3600_000), '10h');
  assert.equal(humanDuration(3 * 86400_000 + 3600_000), '3d1h');
  assert.equal(humanDuration(30 * 86400_000), '30d');
  assert.equal(humanDuration(800 * 86400_000), '2y70d');
});
