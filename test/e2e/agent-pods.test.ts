/**
 * The node agent end to end: a real `peapod server` with its embedded agent running real containers
 * (runc + conmon) on a bridge and subnet of its own, driven with the real kubectl. Run as root.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, existsSync, writeFileSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pod, Node } from 'kubernetes-types/core/v1.js';
import { Resources } from '../../src/client/resources.js';
import { HttpClient } from '../../src/client/http-client.js';
import { isNotFound } from '../../src/client/errors.js';
import type { KubeObject } from '../../src/api/object.js';
import { containerLog, startAgentServer, waitFor, type AgentServer } from './agent-helpers.js';

const isRoot = process.getuid?.() === 0;
let s: AgentServer;

before(async () => { if (isRoot) s = await startAgentServer(); });
after(async () => { await s?.stop(); });

const getPod = async (name: string, ns = 'default') => (await s.client.get(Resources.pods, ns, name)) as unknown as Pod;
const apply = async (yaml: string) => {
  const r = await s.server.kubectl(['apply', '-f', '-'], { input: yaml });
  assert.equal(r.code, 0, r.stderr);
};
const podYaml = (name: string, body: string) => `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\nspec:\n  nodeName: ${s.nodeName}\n${body}`;
async function deletePod(name: string): Promise<void> {
  await s.server.kubectl(['delete', 'pod', name, '--grace-period=1', '--wait=true'], { timeoutMs: 60_000 });
}
async function events(name: string): Promise<Array<{ reason: string; message: string; count: number; type: string }>> {
  const list = await s.client.list(Resources.events, 'default', { fieldSelector: `involvedObject.name=${name}` });
  return list.items.map((e: KubeObject) => e as unknown as { reason: string; message: string; count: number; type: string });
}

test('the node registers Ready with capacity, nodeInfo, addresses and a Lease', { skip: !isRoot }, async () => {
  const node = await waitFor(async () => {
    const n = (await s.client.get(Resources.nodes, undefined, s.nodeName)) as unknown as Node;
    return n.status?.conditions?.length ? n : undefined;
  }, 'node status');
  const conds = Object.fromEntries(node.status!.conditions!.map((c) => [c.type, [c.status, c.reason, c.message]]));
  assert.deepEqual(conds.Ready, ['True', 'KubeletReady', 'kubelet is posting ready status']);
  assert.deepEqual(conds.MemoryPressure?.[1], 'KubeletHasSufficientMemory');
  assert.deepEqual(conds.DiskPressure?.[1], 'KubeletHasNoDiskPressure');
  assert.deepEqual(conds.PIDPressure?.[1], 'KubeletHasSufficientPID');
  assert.equal(node.status!.capacity!.pods, '110');
  assert.match(String(node.status!.capacity!.memory), /^\d+Ki$/);
  assert.equal(node.status!.nodeInfo!.operatingSystem, 'linux');
  assert.ok(node.status!.nodeInfo!.bootID);
  assert.deepEqual(node.status!.addresses, [{ type: 'InternalIP', address: '127.0.0.1' }, { type: 'Hostname', address: s.nodeName }]);
  assert.equal(node.spec!.podCIDR, s.subnet);
  const lease = await s.client.get(Resources.leases, 'kube-node-lease', s.nodeName) as KubeObject & { spec: { holderIdentity: string; leaseDurationSeconds: number } };
  assert.equal(lease.spec.holderIdentity, s.nodeName);
  assert.equal(lease.spec.leaseDurationSeconds, 40);
  const r = await s.server.kubectl(['get', 'node', s.nodeName]);
  assert.match(r.stdout, new RegExp(`${s.nodeName}\\s+Ready`));
});

test('the seed hello Job template as a plain pod prints "Hello, Kubernetes!"', { skip: !isRoot }, async () => {
  await apply(podYaml('hello', `  containers:
  - name: hello
    image: busybox
    command: ['sh', '-c', 'echo "Hello, Kubernetes!" && sleep 3600']
  restartPolicy: OnFailure
  terminationGracePeriodSeconds: 1
`));
  const pod = await waitFor(async () => { const p = await getPod('hello'); return p.status?.phase === 'Running' ? p : undefined; }, 'hello Running');
  assert.equal(pod.status!.containerStatuses![0].ready, true);
  assert.match(pod.status!.podIP!, new RegExp(`^${s.subnet.split('.').slice(0, 3).join('\\.')}\\.`));
  await waitFor(() => containerLog(s.paths, 'default', 'hello', 'hello').includes('Hello, Kubernetes!\n'), 'the greeting in the container log');
  const logs = await s.server.kubectl(['logs', 'hello']);
  assert.equal(logs.code, 0, logs.stderr);
  assert.equal(logs.stdout, 'Hello, Kubernetes!\n', 'kubectl logs (served by the node\'s streaming endpoint)');
  const describe = await s.server.kubectl(['describe', 'pod', 'hello']);
  assert.match(describe.stdout, /Status:\s+Running/);
  assert.match(describe.stdout, /Normal\s+Started\s+\S+\s+kubelet\s+Started container hello/);
  const ev = await events('hello');
  assert.ok(ev.some((e) => e.reason === 'Created' && e.message === 'Created container hello'));
  assert.ok(ev.some((e) => e.reason === 'Started' && e.message === 'Started container hello'));
  await deletePod('hello');
});

test('two containers share localhost and /dev/shm', { skip: !isRoot }, async () => {
  await apply(podYaml('pair', `  terminationGracePeriodSeconds: 1
  containers:
  - name: server
    image: busybox:1.36
    command: ['sh', '-c', 'echo from-shm > /dev/shm/note; exec httpd -f -p 8080 -h /dev/shm']
  - name: client
    image: busybox:1.36
    command: ['sh', '-c', 'until busybox timeout 2 wget -qO- http://127.0.0.1:8080/note; do sleep 0.2; done; cat /dev/shm/note; exec sleep 3600']
`));
  await waitFor(() => containerLog(s.paths, 'default', 'pair', 'client') === 'from-shm\nfrom-shm\n', 'the client to read the note over localhost and from /dev/shm');
  const pod = await getPod('pair');
  assert.equal(pod.status!.phase, 'Running');
  await deletePod('pair');
});

test('init containers run one after another before the app container', { skip: !isRoot }, async () => {
  await apply(podYaml('inits', `  terminationGracePeriodSeconds: 1
  volumes: [{name: work, emptyDir: {}}]
  initContainers:
  - {name: first, image: busybox:1.36, command: ['sh', '-c', 'sleep 1; echo first >> /work/order'], volumeMounts: [{name: work, mountPath: /work}]}
  - {name: second, image: busybox:1.36, command: ['sh', '-c', 'echo second >> /work/order'], volumeMounts: [{name: work, mountPath: /work}]}
  containers:
  - {name: app, image: busybox:1.36, command: ['sh', '-c', 'cat /work/order; echo app; exec sleep 3600'], volumeMounts: [{name: work, mountPath: /work}]}
`));
  const pending = await waitFor(async () => { const p = await getPod('inits'); return p.status?.initContainerStatuses?.[0]?.state?.running ? p : undefined; }, 'first init container running');
  assert.equal(pending.status!.phase, 'Pending');
  assert.deepEqual(pending.status!.containerStatuses![0].state, { waiting: { reason: 'PodInitializing' } });
  const pod = await waitFor(async () => { const p = await getPod('inits'); return p.status?.phase === 'Running' ? p : undefined; }, 'inits Running');
  assert.deepEqual(pod.status!.initContainerStatuses!.map((c) => [c.name, c.state!.terminated!.reason, c.ready]), [['first', 'Completed', true], ['second', 'Completed', true]]);
  await waitFor(() => containerLog(s.paths, 'default', 'inits', 'app') === 'first\nsecond\napp\n', 'the app to see both init containers\' work, in order');
  await deletePod('inits');
});

test('a container over its memory limit is OOMKilled', { skip: !isRoot }, async () => {
  await apply(podYaml('oom', `  restartPolicy: Never
  containers:
  - name: hog
    image: busybox:1.36
    command: ['sh', '-c', 'x=$(head -c 100000000 /dev/zero | tr "\\\\0" a); echo survived']
    resources: {limits: {memory: 24Mi}}
`));
  const pod = await waitFor(async () => { const p = await getPod('oom'); return p.status?.phase === 'Failed' ? p : undefined; }, 'oom Failed');
  const t = pod.status!.containerStatuses![0].state!.terminated!;
  assert.equal(t.reason, 'OOMKilled');
  assert.equal(t.exitCode, 137);
  assert.equal(pod.status!.qosClass, 'Burstable');
  const r = await s.server.kubectl(['get', 'pod', 'oom']);
  assert.match(r.stdout, /OOMKilled/);
  await deletePod('oom');
});

test('a failing container crash-loops with the kubelet back-off, reason and message', { skip: !isRoot }, async () => {
  await apply(podYaml('crash', `  containers:
  - {name: c, image: busybox:1.36, command: ['sh', '-c', 'echo boom; exit 3']}
`));
  const pod = await waitFor(async () => {
    const p = await getPod('crash');
    const cs = p.status?.containerStatuses?.[0];
    return cs?.restartCount === 1 && cs.state?.waiting?.reason === 'CrashLoopBackOff' ? p : undefined;
  }, 'CrashLoopBackOff after the first restart', 60_000);
  const cs = pod.status!.containerStatuses![0];
  assert.equal(cs.state!.waiting!.message, `back-off 10s restarting failed container=c pod=crash_default(${pod.metadata!.uid})`);
  assert.equal(cs.lastState!.terminated!.exitCode, 3);
  assert.equal(cs.lastState!.terminated!.reason, 'Error');
  assert.equal(pod.status!.phase, 'Running');
  const next = await waitFor(async () => {
    const p = await getPod('crash');
    return p.status?.containerStatuses?.[0]?.state?.waiting?.message?.startsWith('back-off 20s') ? p : undefined;
  }, 'the second back-off (20s)', 40_000);
  assert.equal(next.status!.containerStatuses![0].restartCount, 2);
  const ev = await events('crash');
  assert.ok(ev.some((e) => e.reason === 'BackOff' && e.type === 'Warning' && e.message === `Back-off restarting failed container c in pod crash_default(${pod.metadata!.uid})`));
  const r = await s.server.kubectl(['get', 'pod', 'crash']);
  assert.match(r.stdout, /CrashLoopBackOff/);
  await s.server.kubectl(['delete', 'pod', 'crash', '--wait=true'], { timeoutMs: 60_000 });
});

test('a failing liveness probe restarts the container (Unhealthy, Killing); readiness drives Ready', { skip: !isRoot }, async () => {
  await apply(podYaml('live', `  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: busybox:1.36
    command: ['sh', '-c', 'touch /tmp/healthy; sleep 4; rm /tmp/healthy; exec sleep 3600']
    livenessProbe: {exec: {command: [cat, /tmp/healthy]}, periodSeconds: 1, failureThreshold: 2}
    readinessProbe: {exec: {command: [cat, /tmp/healthy]}, periodSeconds: 1}
`));
  await waitFor(async () => (await getPod('live')).status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True', 'Ready via the readiness probe');
  const pod = await waitFor(async () => { const p = await getPod('live'); return (p.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1 ? p : undefined; }, 'a liveness restart', 60_000);
  const ev = await events('live');
  assert.ok(ev.some((e) => e.reason === 'Unhealthy' && e.message.startsWith('Liveness probe failed: cat: can\'t open \'/tmp/healthy\'')), JSON.stringify(ev));
  assert.ok(ev.some((e) => e.reason === 'Killing' && e.message === 'Container c failed liveness probe, will be restarted'));
  assert.equal(pod.status!.containerStatuses![0].lastState!.terminated!.exitCode, 137);
  await deletePod('live');
});

test('configMap, secret and projected service account token volumes; the token works against the API; updates reach the pod', { skip: !isRoot }, async () => {
  await apply(`apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {color: blue, size: large}
---
apiVersion: v1
kind: Secret
metadata: {name: creds}
stringData: {password: hunter2}
`);
  await apply(podYaml('vols', `  terminationGracePeriodSeconds: 1
  volumes:
  - {name: cfg, configMap: {name: settings, items: [{key: color, path: colors/now}]}}
  - {name: sec, secret: {secretName: creds, defaultMode: 0400}}
  containers:
  - name: c
    image: busybox:1.36
    command: ['sh', '-c', 'cat /var/run/secrets/kubernetes.io/serviceaccount/token; echo; cat /var/run/secrets/kubernetes.io/serviceaccount/namespace; echo; cat /sec/password; echo; stat -L -c %a /sec/password; while true; do echo "color=$(cat /cfg/colors/now)"; sleep 0.5; done']
    volumeMounts: [{name: cfg, mountPath: /cfg}, {name: sec, mountPath: /sec}]
`));
  const text = await waitFor(() => { const l = containerLog(s.paths, 'default', 'vols', 'c'); return l.includes('color=') ? l : undefined; }, 'the volume contents');
  const [token, ns, pw, mode] = text.split('\n');
  assert.equal(ns, 'default');
  assert.equal(pw, 'hunter2');
  assert.equal(mode, '400');
  assert.match(text, /color=blue\n/);
  const asPod = new HttpClient({ server: s.server.url, caPem: readFileSync(join(s.server.dataDir, 'pki', 'ca.crt'), 'utf8'), bearerToken: token, servername: 'localhost' });
  try {
    const api = await asPod.request<{ kind: string }>('GET', '/api');
    assert.equal(api.kind, 'APIVersions', 'GET /api with the pod\'s token answers 200');
  } finally { asPod.close(); }
  await s.client.patch(Resources.configmaps, 'default', 'settings', 'merge', { data: { color: 'green' } });
  await waitFor(() => containerLog(s.paths, 'default', 'vols', 'c').includes('color=green\n'), 'the configMap update inside the running pod', 60_000);
  await deletePod('vols');
});

test('kubectl delete pod: preStop runs, the container stops, the agent removes the pod', { skip: !isRoot }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'peapod-prestop-'));
  try {
    await apply(podYaml('graceful', `  terminationGracePeriodSeconds: 5
  volumes: [{name: out, hostPath: {path: ${dir}, type: Directory}}]
  containers:
  - name: c
    image: busybox:1.36
    command: ['sh', '-c', 'trap "echo term > /out/signal; exit 0" TERM; while true; do sleep 0.2; done']
    lifecycle: {preStop: {exec: {command: ['sh', '-c', 'echo bye > /out/prestop']}}}
    volumeMounts: [{name: out, mountPath: /out}]
`));
    await waitFor(async () => (await getPod('graceful')).status?.phase === 'Running', 'graceful Running');
    const t0 = Date.now();
    const r = await s.server.kubectl(['delete', 'pod', 'graceful', '--wait=true'], { timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    await assert.rejects(getPod('graceful'), (e: unknown) => isNotFound(e));
    assert.equal(readFileSync(join(dir, 'prestop'), 'utf8'), 'bye\n');
    assert.equal(readFileSync(join(dir, 'signal'), 'utf8'), 'term\n');
    assert.ok(Date.now() - t0 < 5_000 + 4_000, 'the pod went as soon as its container exited, within the grace period');
    const ev = await events('graceful');
    assert.ok(ev.some((e) => e.reason === 'Killing' && e.message === 'Stopping container c'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('static pod from the manifest dir with a mirror pod; mirror deletion, edits and removal', { skip: !isRoot }, async () => {
  const file = join(s.paths.manifestsDir, 'static-web.yaml');
  const manifest = (greeting: string) => `apiVersion: v1
kind: Pod
metadata: {name: static-web, labels: {app: static-web}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: web
    image: busybox:1.36
    command: ['sh', '-c', 'echo ${greeting} > /tmp/index.html; exec httpd -f -p 8080 -h /tmp']
    readinessProbe: {httpGet: {path: /index.html, port: 8080}, periodSeconds: 1}
`;
  const name = `static-web-${s.nodeName}`;
  writeFileSync(file, manifest('one'));
  try {
    const mirror = await waitFor(async () => {
      try { const p = await getPod(name); return p.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True' ? p : undefined; } catch { return undefined; }
    }, 'the mirror pod, Ready', 60_000);
    assert.ok(mirror.metadata!.annotations!['kubernetes.io/config.mirror']);
    assert.equal(mirror.metadata!.ownerReferences![0].kind, 'Node');
    const containerId = mirror.status!.containerStatuses![0].containerID;

    // deleting the mirror does not stop the static pod; the mirror comes back
    await s.server.kubectl(['delete', 'pod', name, '--wait=false']);
    const back = await waitFor(async () => {
      try { const p = await getPod(name); return p.metadata!.uid !== mirror.metadata!.uid && p.status?.containerStatuses?.[0]?.containerID ? p : undefined; } catch { return undefined; }
    }, 'a new mirror pod', 60_000);
    assert.equal(back.status!.containerStatuses![0].containerID, containerId, 'the static pod kept running');
    assert.equal(back.status!.containerStatuses![0].restartCount, 0);

    // editing the manifest replaces the pod
    writeFileSync(file, manifest('two'));
    const replaced = await waitFor(async () => {
      try {
        const p = await getPod(name);
        return p.metadata!.annotations!['kubernetes.io/config.mirror'] !== mirror.metadata!.annotations!['kubernetes.io/config.mirror'] && p.status?.phase === 'Running' ? p : undefined;
      } catch { return undefined; }
    }, 'the edited static pod', 60_000);
    assert.notEqual(replaced.status!.containerStatuses![0].containerID, containerId);
  } finally {
    if (existsSync(file)) unlinkSync(file);
  }
  // removing the manifest stops the pod and its mirror goes
  await waitFor(async () => { try { await getPod(name); return false; } catch (e) { return isNotFound(e); } }, 'the mirror pod to go', 60_000);
});
