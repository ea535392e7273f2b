import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { containerArgs, generateSpec, MASKED_PATHS, type SandboxView } from './oci-spec.js';
import { capabilitiesFromMask, containerCapabilities, DEFAULT_CAPABILITIES } from './capabilities.js';
import { resolveImageUser } from './image-user.js';
import { pidNamespaceOf } from './pid-namespace.js';
import type { ContainerConfig } from '../runtime.js';

// This host's bounding set lacks CAP_SYS_RESOURCE (bit 24).
const HOST_BOUNDING = capabilitiesFromMask('000001fffeffffff');

function layer(): string {
  const d = mkdtempSync(join(tmpdir(), 'peapod-spec-'));
  mkdirSync(join(d, 'etc'));
  writeFileSync(join(d, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1001:app:/home/app:/bin/sh\n');
  writeFileSync(join(d, 'etc/group'), 'root:x:0:\napp:x:1001:\nextra:x:2000:app\n');
  return d;
}

const sandbox: SandboxView = {
  hostname: 'pod-1', netns: '/ns/net', ipcns: '/ns/ipc', utsns: '/ns/uts', pidns: 'new',
  shmDir: '/sb/shm', hostsFile: '/sb/hosts', resolvConf: '/sb/resolv.conf', hostnameFile: '/sb/hostname',
};

function cfg(lower: string, extra: Partial<ContainerConfig> = {}): ContainerConfig {
  return { name: 'c', lowerDirs: [lower], logPath: '/l', image: { entrypoint: ['/ep'], cmd: ['a'] }, ...extra };
}

test('command/args follow the Kubernetes rules against entrypoint/cmd', () => {
  const l = '/nonexistent';
  assert.deepEqual(containerArgs(cfg(l)), ['/ep', 'a']);
  assert.deepEqual(containerArgs(cfg(l, { args: ['b'] })), ['/ep', 'b']);
  assert.deepEqual(containerArgs(cfg(l, { command: ['/x'] })), ['/x']);
  assert.deepEqual(containerArgs(cfg(l, { command: ['/x'], args: ['y'] })), ['/x', 'y']);
  assert.throws(() => containerArgs({ name: 'n', lowerDirs: [l], logPath: '/l' }), /no command/);
});

test('capabilities: defaults, add/drop, ALL, privileged filtered against the bounding set', () => {
  assert.deepEqual(new Set(containerCapabilities({}, HOST_BOUNDING)), new Set(DEFAULT_CAPABILITIES));
  const c = containerCapabilities({ add: ['NET_ADMIN', 'sys_resource'], drop: ['MKNOD'] }, HOST_BOUNDING);
  assert.ok(c.includes('CAP_NET_ADMIN'));
  assert.ok(!c.includes('CAP_MKNOD'));
  assert.ok(!c.includes('CAP_SYS_RESOURCE'), 'the host cannot grant CAP_SYS_RESOURCE');
  assert.deepEqual(containerCapabilities({ drop: ['ALL'], add: ['KILL'] }, HOST_BOUNDING), ['CAP_KILL']);
  const priv = containerCapabilities({ privileged: true }, HOST_BOUNDING);
  assert.equal(priv.length, HOST_BOUNDING.length);
  assert.ok(!priv.includes('CAP_SYS_RESOURCE'));
  assert.throws(() => containerCapabilities({ add: ['NOT_A_CAP'] }, HOST_BOUNDING), /unknown capability/);
});

test('image user names resolve through the image /etc/passwd and /etc/group', () => {
  const l = layer();
  try {
    assert.deepEqual(resolveImageUser('app', [l]), { uid: 1000, gid: 1001, additionalGids: [2000], home: '/home/app' });
    assert.equal(resolveImageUser('app:root', [l]).gid, 0);
    assert.equal(resolveImageUser('4242:7', [l]).uid, 4242);
    assert.equal(resolveImageUser(undefined, [l]).uid, 0);
    assert.throws(() => resolveImageUser('ghost', [l]), /not found/);
  } finally {
    rmSync(l, { recursive: true, force: true });
  }
});

test('spec: namespaces, mounts, masks, env, resources, oomScoreAdj clamp', () => {
  const l = layer();
  try {
    const spec = generateSpec({
      id: 'x', rootfs: '/rootfs', cgroupsPath: '/peapod/u/x', annotations: { a: 'b' }, sandbox, boundingSet: HOST_BOUNDING,
      config: cfg(l, {
        env: [{ name: 'A', value: '1' }], image: { cmd: ['sh'], env: ['A=0', 'B=2'], user: 'app', workingDir: '/w' },
        oomScoreAdj: -997, resources: { memoryLimitBytes: 1 << 26, cpuShares: 2, pidsLimit: 10 }, readOnlyRootfs: true,
        mounts: [{ hostPath: '/h', containerPath: '/etc/resolv.conf', readOnly: true }],
      }),
    });
    assert.equal(spec.process.oomScoreAdj, 0);
    assert.deepEqual(spec.process.args, ['sh']);
    assert.equal(spec.process.cwd, '/w');
    assert.ok(spec.process.env.includes('A=1') && spec.process.env.includes('B=2') && spec.process.env.includes('HOME=/home/app'));
    assert.deepEqual(spec.process.user, { uid: 1000, gid: 1001, additionalGids: [2000] });
    assert.equal(spec.hostname, 'pod-1');
    assert.equal(spec.root.readonly, true);
    const ns = spec.linux.namespaces as Array<{ type: string; path?: string }>;
    assert.deepEqual(ns.map((n) => n.type).sort(), ['ipc', 'mount', 'network', 'pid', 'uts']);
    assert.equal(ns.find((n) => n.type === 'network')!.path, '/ns/net');
    const dests = spec.mounts.map((m) => m.destination);
    for (const d of ['/proc', '/dev', '/dev/pts', '/dev/mqueue', '/sys', '/dev/shm', '/etc/hosts', '/etc/hostname']) assert.ok(dests.includes(d), d);
    const resolv = spec.mounts.filter((m) => m.destination === '/etc/resolv.conf');
    assert.equal(resolv.length, 1, 'a user mount replaces the default one');
    assert.equal(resolv[0].source, '/h');
    assert.ok(resolv[0].options!.includes('ro'));
    assert.deepEqual(spec.linux.maskedPaths, MASKED_PATHS);
    const res = spec.linux.resources as Record<string, unknown>;
    assert.deepEqual(res.memory, { limit: 1 << 26, swap: 1 << 26 });
    assert.deepEqual(res.pids, { limit: 10 });
    assert.equal(spec.linux.cgroupsPath, '/peapod/u/x');
  } finally {
    rmSync(l, { recursive: true, force: true });
  }
});

test('spec: runAsUser overrides the image USER (even one the image cannot resolve)', () => {
  const l = layer();
  try {
    const spec = generateSpec({
      id: 'x', rootfs: '/r', cgroupsPath: '/p', annotations: {}, sandbox, boundingSet: HOST_BOUNDING,
      config: cfg(l, { image: { cmd: ['sh'], user: 'ghost' }, user: { uid: 1000, supplementalGroups: [5, 2000] } }),
    });
    assert.deepEqual(spec.process.user, { uid: 1000, gid: 1001, additionalGids: [2000, 5] });
    assert.ok(spec.process.env.includes('HOME=/home/app'));
  } finally {
    rmSync(l, { recursive: true, force: true });
  }
});

test('spec: host namespaces are simply not listed; no hostname without a UTS namespace', () => {
  const spec = generateSpec({
    id: 'x', rootfs: '/r', cgroupsPath: '/p', annotations: {}, boundingSet: HOST_BOUNDING,
    sandbox: { ...sandbox, netns: undefined, utsns: undefined, ipcns: undefined, pidns: undefined },
    config: cfg('/nonexistent', { privileged: true }),
  });
  assert.deepEqual((spec.linux.namespaces as Array<{ type: string }>).map((n) => n.type), ['mount']);
  assert.equal(spec.hostname, undefined);
  assert.deepEqual(spec.linux.maskedPaths, []);
  assert.deepEqual((spec.linux.resources as { devices: unknown[] }).devices, [{ allow: true, access: 'rwm' }]);
});

test('spec: PID namespace — a debug container with a target joins the target\'s; shared and host PID win over the target', () => {
  const pidEntry = (pidns: string | undefined) => {
    const spec = generateSpec({
      id: 'x', rootfs: '/r', cgroupsPath: '/p', annotations: {}, boundingSet: HOST_BOUNDING,
      sandbox: { ...sandbox, pidns }, config: cfg('/nonexistent'),
    });
    return (spec.linux.namespaces as Array<{ type: string; path?: string }>).filter((n) => n.type === 'pid');
  };
  // kubectl debug --target=app: the target's first process is pid 4242 on the host.
  assert.deepEqual(pidEntry(pidNamespaceOf({ targetPid: 4242 })), [{ type: 'pid', path: '/proc/4242/ns/pid' }]);
  // No target, no sharing: a new PID namespace of its own.
  assert.deepEqual(pidEntry(pidNamespaceOf({})), [{ type: 'pid' }]);
  // shareProcessNamespace: the pod's (catatonit's) namespace, whatever the target.
  assert.deepEqual(pidEntry(pidNamespaceOf({ sharedInitPid: 77, targetPid: 4242 })), [{ type: 'pid', path: '/proc/77/ns/pid' }]);
  // hostPID: the host's, so no pid entry at all.
  assert.deepEqual(pidEntry(pidNamespaceOf({ hostPID: true, targetPid: 4242 })), []);
});
