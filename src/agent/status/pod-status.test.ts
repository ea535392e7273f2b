import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { ContainerStatus, PodSandboxStatus } from '../../runtime/runtime.js';
import { PodRuntimeState } from '../pod/runtime-state.js';
import { generatePodStatus, podPhase } from './pod-status.js';

const T0 = Date.UTC(2026, 10, 23, 10, 0, 0);
const sandbox: PodSandboxStatus = { id: 'sb1', state: 'ready', ip: '10.202.1.7', createdAt: new Date(T0), config: { name: 'p', namespace: 'ns', uid: 'u1', hostname: 'p' } };

function ctr(name: string, attempt: number, state: ContainerStatus['state'], extra: Partial<ContainerStatus> = {}): ContainerStatus {
  return {
    id: `${name}-${attempt}`, sandboxId: 'sb1', name, attempt, state, createdAt: new Date(T0 + attempt * 1000), startedAt: new Date(T0 + attempt * 1000 + 100),
    logPath: '/nonexistent', labels: {}, annotations: { 'peapod.io/image': 'docker.io/library/busybox:1.36', 'peapod.io/image-id': 'docker.io/library/busybox@sha256:abc' },
    ...extra,
  };
}

const pod = (spec: Record<string, unknown>, status: Record<string, unknown> = {}): Pod => ({
  metadata: { name: 'p', namespace: 'ns', uid: 'u1' },
  spec: { containers: [{ name: 'app', image: 'busybox:1.36' }], ...spec },
  status: { phase: 'Pending', qosClass: 'BestEffort', ...status },
} as Pod);

function status(p: Pod, containers: ContainerStatus[], opts: { waiting?: Record<string, { reason: string; message?: string }>; terminal?: boolean; ready?: boolean } = {}) {
  return generatePodStatus({
    pod: p, state: new PodRuntimeState([sandbox], containers), waiting: new Map(Object.entries(opts.waiting ?? {})),
    ready: () => opts.ready ?? true, started: () => true, nodeIp: '192.0.2.10', now: T0 + 60_000, terminal: opts.terminal ?? false,
  });
}

test('a new pod: ContainerCreating, Pending, conditions in the kubelet order with reasons', () => {
  const s = status(pod({}), []);
  assert.equal(s.phase, 'Pending');
  assert.deepEqual(s.containerStatuses![0].state, { waiting: { reason: 'ContainerCreating' } });
  assert.deepEqual(s.conditions!.map((c) => [c.type, c.status, c.reason ?? '']), [
    ['PodReadyToStartContainers', 'True', ''], ['Initialized', 'True', ''], ['Ready', 'False', 'ContainersNotReady'],
    ['ContainersReady', 'False', 'ContainersNotReady'], ['PodScheduled', 'True', ''],
  ]);
  assert.equal(s.conditions![2].message, 'containers with unready status: [app]');
  assert.equal(s.podIP, '10.202.1.7');
  assert.deepEqual(s.hostIPs, [{ ip: '192.0.2.10' }]);
});

test('running and ready: Running, Ready True, image and IDs from the runtime', () => {
  const s = status(pod({}), [ctr('app', 0, 'running')]);
  assert.equal(s.phase, 'Running');
  const cs = s.containerStatuses![0];
  assert.equal(cs.ready, true);
  assert.equal(cs.started, true);
  assert.equal(cs.image, 'docker.io/library/busybox:1.36');
  assert.equal(cs.imageID, 'docker.io/library/busybox@sha256:abc');
  assert.equal(cs.containerID, 'peapod://app-0');
  assert.equal(s.conditions!.find((c) => c.type === 'Ready')!.status, 'True');
});

test('crash loop: waiting CrashLoopBackOff with lastState terminated and the restart count', () => {
  const msg = 'back-off 20s restarting failed container=app pod=p_ns(u1)';
  const s = status(pod({}), [ctr('app', 1, 'exited', { exitCode: 1, reason: 'Error', finishedAt: new Date(T0 + 2000) }), ctr('app', 2, 'exited', { exitCode: 1, reason: 'Error', finishedAt: new Date(T0 + 3000) })],
    { waiting: { app: { reason: 'CrashLoopBackOff', message: msg } } });
  const cs = s.containerStatuses![0];
  assert.deepEqual(cs.state, { waiting: { reason: 'CrashLoopBackOff', message: msg } });
  assert.equal(cs.lastState!.terminated!.exitCode, 1);
  assert.equal(cs.lastState!.terminated!.reason, 'Error');
  assert.equal(cs.restartCount, 2);
  assert.equal(s.phase, 'Running', 'restartPolicy Always: a crash-looping pod is Running');
});

test('init containers: PodInitializing, Initialized False with the incomplete list', () => {
  const p = pod({ initContainers: [{ name: 'i1', image: 'busybox' }, { name: 'i2', image: 'busybox' }] });
  const s = status(p, [ctr('i1', 0, 'exited', { exitCode: 0, reason: 'Completed', finishedAt: new Date(T0 + 500) }), ctr('i2', 0, 'running')]);
  assert.equal(s.phase, 'Pending');
  assert.deepEqual(s.containerStatuses![0].state, { waiting: { reason: 'PodInitializing' } });
  assert.equal(s.initContainerStatuses![0].ready, true);
  assert.equal(s.initContainerStatuses![1].ready, false);
  const init = s.conditions!.find((c) => c.type === 'Initialized')!;
  assert.deepEqual([init.status, init.reason, init.message], ['False', 'ContainersNotInitialized', 'containers with incomplete status: [i2]']);
});

test('completed pods: Succeeded with PodCompleted, Failed with PodFailed; OOMKilled kept', () => {
  const ok = status(pod({ restartPolicy: 'Never' }), [ctr('app', 0, 'exited', { exitCode: 0, reason: 'Completed', finishedAt: new Date(T0 + 2000) })]);
  assert.equal(ok.phase, 'Succeeded');
  assert.equal(ok.conditions!.find((c) => c.type === 'Ready')!.reason, 'PodCompleted');
  assert.equal(ok.conditions!.find((c) => c.type === 'Initialized')!.reason, 'PodCompleted');
  const oom = status(pod({ restartPolicy: 'Never' }), [ctr('app', 0, 'exited', { exitCode: 137, reason: 'OOMKilled', finishedAt: new Date(T0 + 2000) })]);
  assert.equal(oom.phase, 'Failed');
  assert.equal(oom.containerStatuses![0].state!.terminated!.reason, 'OOMKilled');
  assert.equal(oom.conditions!.find((c) => c.type === 'ContainersReady')!.reason, 'PodFailed');
});

test('getPhase follows restartPolicy', () => {
  const term = (code: number) => ({ name: 'a', image: '', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: code } } });
  assert.equal(podPhase(pod({ restartPolicy: 'OnFailure' }), [], [term(1)], false), 'Running');
  assert.equal(podPhase(pod({ restartPolicy: 'OnFailure' }), [], [term(0)], false), 'Succeeded');
  assert.equal(podPhase(pod({ restartPolicy: 'Never' }), [], [term(2)], false), 'Failed');
  assert.equal(podPhase(pod({ restartPolicy: 'Always' }), [], [term(0)], true), 'Succeeded', 'deleted: terminal by exit codes');
});

test('lastTransitionTime is kept while a condition keeps its status; terminal phases are final', () => {
  const prev = status(pod({}), [ctr('app', 0, 'running')]);
  const again = generatePodStatus({
    pod: pod({}, prev as Record<string, unknown>), state: new PodRuntimeState([sandbox], [ctr('app', 0, 'running')]), waiting: new Map(),
    ready: () => true, started: () => true, nodeIp: '192.0.2.10', now: T0 + 120_000, terminal: false,
  });
  assert.deepEqual(again.conditions!.map((c) => c.lastTransitionTime), prev.conditions!.map((c) => c.lastTransitionTime));
  const done = status(pod({}, { phase: 'Succeeded' }), [ctr('app', 0, 'running')]);
  assert.equal(done.phase, 'Succeeded');
});
