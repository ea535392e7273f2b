/**
 * The agent's waiting reasons and the less common pod features, end to end with real containers:
 * ErrImagePull → ImagePullBackOff, CreateContainerConfigError (missing key, runAsNonRoot),
 * activeDeadlineSeconds, termination messages, downwardAPI and tmpfs emptyDir volumes, service
 * environment variables, hostPort. Run as root.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { hostname } from 'node:os';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureExampleImages } from '../../src/images/index.js';
import { skopeoPush, startTestRegistry } from '../../src/images/testing/test-registry.js';
import { Resources } from '../../src/client/resources.js';
import type { KubeObject } from '../../src/api/object.js';
import { containerLog, startAgentServer, waitFor, type AgentServer } from './agent-helpers.js';

const isRoot = process.getuid?.() === 0;
let s: AgentServer;

before(async () => { if (isRoot) s = await startAgentServer(); });
after(async () => { await s?.stop(); });

const getPod = async (name: string) => (await s.client.get(Resources.pods, 'default', name)) as unknown as Pod;
const apply = async (yaml: string) => {
  const r = await s.server.kubectl(['apply', '-f', '-'], { input: yaml });
  assert.equal(r.code, 0, r.stderr);
};
const podYaml = (name: string, body: string) => `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\n  labels: {tier: test}\nspec:\n  nodeName: ${s.nodeName}\n  terminationGracePeriodSeconds: 1\n${body}`;
const waiting = (name: string, reason: string) => waitFor(async () => {
  const p = await getPod(name);
  return p.status?.containerStatuses?.[0]?.state?.waiting?.reason === reason ? p : undefined;
}, `${name} waiting with ${reason}`, 60_000);
async function events(name: string) {
  const list = await s.client.list(Resources.events, 'default', { fieldSelector: `involvedObject.name=${name}` });
  return list.items.map((e: KubeObject) => e as unknown as { reason: string; message: string; type: string });
}
const del = (...names: string[]) => s.server.kubectl(['delete', 'pod', ...names, '--wait=true'], { timeoutMs: 60_000 });

test('an image that cannot be pulled: ErrImagePull, then ImagePullBackOff with the events', { skip: !isRoot }, async () => {
  await apply(podYaml('nopull', '  containers: [{name: c, image: "registry.invalid/nothing/here:1"}]\n'));
  const p = await waiting('nopull', 'ErrImagePull').catch(() => waiting('nopull', 'ImagePullBackOff'));
  assert.equal(p.status!.phase, 'Pending');
  await waiting('nopull', 'ImagePullBackOff');
  const ev = await events('nopull');
  assert.ok(ev.some((e) => e.reason === 'Pulling' && e.message === 'Pulling image "registry.invalid/nothing/here:1"'));
  assert.ok(ev.some((e) => e.reason === 'Failed' && e.message.startsWith('Failed to pull image "registry.invalid/nothing/here:1": ')));
  assert.ok(ev.some((e) => e.reason === 'BackOff' && e.message === 'Back-off pulling image "registry.invalid/nothing/here:1"'));
  const r = await s.server.kubectl(['get', 'pod', 'nopull']);
  assert.match(r.stdout, /ErrImagePull|ImagePullBackOff/);
  await del('nopull');
});

test('CreateContainerConfigError: a missing configMap key, and runAsNonRoot with a root image', { skip: !isRoot }, async () => {
  await apply(`apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\ndata: {a: "1"}\n`);
  await apply(podYaml('badenv', `  containers:
  - {name: c, image: busybox:1.36, command: [sleep, '3600'], env: [{name: X, valueFrom: {configMapKeyRef: {name: cfg, key: missing}}}]}
`));
  const p = await waiting('badenv', 'CreateContainerConfigError');
  assert.equal(p.status!.containerStatuses![0].state!.waiting!.message, "couldn't find key missing in ConfigMap default/cfg");
  await apply(podYaml('nonroot', `  securityContext: {runAsNonRoot: true}
  containers: [{name: c, image: busybox:1.36, command: [sleep, '3600']}]
`));
  const q = await waiting('nonroot', 'CreateContainerConfigError');
  assert.equal(q.status!.containerStatuses![0].state!.waiting!.message, `container has runAsNonRoot and image will run as root (pod: "nonroot_default(${q.metadata!.uid})", container: c)`);
  // fixing the configMap lets the first pod start
  await s.client.patch(Resources.configmaps, 'default', 'cfg', 'merge', { data: { missing: 'now here' } });
  await waitFor(async () => (await getPod('badenv')).status?.phase === 'Running', 'badenv Running once the key exists', 60_000);
  await del('badenv', 'nonroot');
});

test('activeDeadlineSeconds fails the pod with DeadlineExceeded', { skip: !isRoot }, async () => {
  await apply(podYaml('deadline', `  activeDeadlineSeconds: 3
  containers: [{name: c, image: busybox:1.36, command: [sleep, '3600']}]
`));
  const p = await waitFor(async () => { const x = await getPod('deadline'); return x.status?.phase === 'Failed' ? x : undefined; }, 'deadline Failed', 60_000);
  // the agent reports Failed only once the containers are stopped
  assert.equal(p.status!.reason, 'DeadlineExceeded');
  assert.equal(p.status!.message, 'Pod was active on the node longer than the specified deadline');
  assert.ok(p.status!.containerStatuses![0].state!.terminated, 'the container was stopped');
  await del('deadline');
});

test('termination message from the file and from the log (FallbackToLogsOnError)', { skip: !isRoot }, async () => {
  await apply(podYaml('term', `  restartPolicy: Never
  containers:
  - {name: file, image: busybox:1.36, command: [sh, -c, 'echo -n "all done" > /dev/termination-log']}
  - {name: logs, image: busybox:1.36, terminationMessagePolicy: FallbackToLogsOnError, command: [sh, -c, 'echo first; echo "it broke"; exit 2']}
`));
  const p = await waitFor(async () => { const x = await getPod('term'); return x.status?.phase === 'Failed' ? x : undefined; }, 'term Failed', 60_000);
  const byName = Object.fromEntries(p.status!.containerStatuses!.map((c) => [c.name, c.state!.terminated!]));
  assert.equal(byName.file.message, 'all done');
  assert.equal(byName.file.reason, 'Completed');
  assert.equal(byName.logs.message, 'first\nit broke\n');
  assert.equal(byName.logs.exitCode, 2);
  await del('term');
});

test('downwardAPI and tmpfs emptyDir volumes, env from the downward API and service links, hostname', { skip: !isRoot }, async () => {
  await apply(`apiVersion: v1\nkind: Service\nmetadata: {name: my-svc}\nspec: {selector: {tier: nothing}, ports: [{name: http, port: 80}]}\n`);
  const svc = (await s.client.get(Resources.services, 'default', 'my-svc')) as unknown as { spec: { clusterIP: string } };
  assert.ok(svc.spec.clusterIP);
  await apply(podYaml('downward', `  hostname: box
  subdomain: sub
  volumes:
  - {name: info, downwardAPI: {items: [{path: labels, fieldRef: {fieldPath: metadata.labels}}, {path: mem, resourceFieldRef: {containerName: c, resource: limits.memory, divisor: 1Mi}}]}}
  - {name: scratch, emptyDir: {medium: Memory, sizeLimit: 8Mi}}
  containers:
  - name: c
    image: busybox:1.36
    resources: {limits: {memory: 64Mi}}
    env:
    - {name: MY_NODE, valueFrom: {fieldRef: {fieldPath: spec.nodeName}}}
    - {name: MY_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}
    command: [sh, -c, 'cat /info/labels; echo; cat /info/mem; echo; df -k /scratch | tail -1 | awk "{print \\$2}"; grep scratch /proc/mounts | cut -d" " -f3; echo "node=$MY_NODE ip=$MY_IP svc=$MY_SVC_SERVICE_HOST:$MY_SVC_SERVICE_PORT_HTTP $MY_SVC_PORT"; hostname; grep box /etc/hosts; exec sleep 3600']
    volumeMounts: [{name: info, mountPath: /info}, {name: scratch, mountPath: /scratch}]
`));
  const text = await waitFor(() => { const l = containerLog(s.paths, 'default', 'downward', 'c'); return l.includes('node=') && l.split('\n').length >= 8 ? l : undefined; }, 'the output', 60_000);
  // the container may log before the agent's status write with the pod IP reaches the API
  const pod = await waitFor(async () => { const p = await getPod('downward'); return p.status?.podIP ? p : undefined; }, 'the pod IP in status', 30_000);
  const lines = text.split('\n');
  assert.equal(lines[0], 'tier="test"');
  assert.equal(lines[1], '64');
  assert.equal(lines[2], '8192');
  assert.equal(lines[3], 'tmpfs');
  assert.equal(lines[4], `node=${s.nodeName} ip=${pod.status!.podIP} svc=${svc.spec.clusterIP}:80 tcp://${svc.spec.clusterIP}:80`);
  assert.equal(lines[5], 'box');
  assert.equal(lines[6], `${pod.status!.podIP}\tbox.sub.default.svc.cluster.local\tbox`);
  await del('downward');
});

test('hostPort: the container answers on the node', { skip: !isRoot }, async () => {
  const port = 20000 + Math.floor(Math.random() * 20000);
  await apply(podYaml('hostport', `  containers:
  - {name: web, image: busybox:1.36, command: [sh, -c, 'echo hi-from-pod > /tmp/index.html; exec httpd -f -p 8080 -h /tmp'], ports: [{containerPort: 8080, hostPort: ${port}}],
     readinessProbe: {tcpSocket: {port: 8080}, periodSeconds: 1}}
`));
  await waitFor(async () => (await getPod('hostport')).status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True', 'hostport Ready', 60_000);
  const body = await waitFor(() => new Promise<string | undefined>((resolve) => {
    const sock = connect({ host: '127.0.0.1', port }, () => sock.end('GET /index.html HTTP/1.0\r\n\r\n'));
    let got = '';
    sock.on('data', (b) => { got += b.toString(); });
    sock.on('end', () => resolve(got.includes('hi-from-pod') ? got : undefined));
    sock.on('error', () => resolve(undefined));
  }), `an answer on 127.0.0.1:${port}`, 30_000);
  assert.match(body, /200 OK/);
  await del('hostport');
});

test('securityContext (runAsUser/Group, readOnlyRootFilesystem, capabilities), postStart, shareProcessNamespace, hostNetwork', { skip: !isRoot }, async () => {
  await apply(podYaml('secure', `  shareProcessNamespace: true
  securityContext: {runAsUser: 1234, runAsGroup: 2345}
  volumes: [{name: tmp, emptyDir: {}}]
  containers:
  - name: c
    image: busybox:1.36
    securityContext: {readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
    lifecycle: {postStart: {exec: {command: [sh, -c, 'echo started > /tmp/poststart']}}}
    command: [sh, -c, 'sleep 1; id -u; id -g; touch /rootfs-file 2>/dev/null && echo rw || echo ro; cat /tmp/poststart; grep CapEff /proc/self/status | cut -f2; grep NoNewPrivs /proc/self/status | cut -f2; ps -o args | grep -c \"^sleep 3600\"; exec sleep 3600']
    volumeMounts: [{name: tmp, mountPath: /tmp}]
  - {name: sleeper, image: busybox:1.36, command: [sleep, '3600']}
`));
  const text = await waitFor(() => { const l = containerLog(s.paths, 'default', 'secure', 'c'); return l.split('\n').length >= 8 ? l : undefined; }, 'the output', 60_000);
  assert.deepEqual(text.split('\n').slice(0, 7), ['1234', '2345', 'ro', 'started', '0000000000000000', '1', '1']);
  await apply(podYaml('hostnet', `  hostNetwork: true
  containers: [{name: c, image: busybox:1.36, command: [sh, -c, 'hostname; exec sleep 3600']}]
`));
  const p = await waitFor(async () => { const x = await getPod('hostnet'); return x.status?.phase === 'Running' ? x : undefined; }, 'hostnet Running');
  assert.equal(p.status!.podIP, '127.0.0.1', 'a hostNetwork pod has the node\'s IP');
  await waitFor(() => containerLog(s.paths, 'default', 'hostnet', 'c') === `${hostname()}\n`, 'the host\'s hostname');
  await del('secure', 'hostnet');
});

test('imagePullSecrets: a private loopback registry needs the secret; the pull is reported as the kubelet does', { skip: !isRoot }, async () => {
  const reg = await startTestRegistry({ auth: { username: 'puller', password: 's3cret' } });
  const layout = mkdtempSync(join(tmpdir(), 'peapod-layout-'));
  try {
    const [tarball] = (await ensureExampleImages()).filter((f) => f.endsWith('busybox.tar'));
    execFileSync('tar', ['xf', tarball, '-C', layout]);
    const image = `${reg.host}/private/bb:1.0`;
    await skopeoPush(layout, '1.36', image, { creds: 'puller:s3cret' });
    await apply(podYaml('nocreds', `  containers: [{name: c, image: "${image}", command: [sleep, '3600']}]\n`));
    await waiting('nocreds', 'ErrImagePull').catch(() => waiting('nocreds', 'ImagePullBackOff'));
    const failed = (await events('nocreds')).find((e) => e.reason === 'Failed' && e.message.startsWith('Failed to pull image'));
    assert.match(failed?.message ?? '', /401|unauthorized|authentication/i);
    const r = await s.server.kubectl(['create', 'secret', 'docker-registry', 'regcred', `--docker-server=${reg.host}`, '--docker-username=puller', '--docker-password=s3cret']);
    assert.equal(r.code, 0, r.stderr);
    await apply(podYaml('withcreds', `  imagePullSecrets: [{name: regcred}]\n  containers: [{name: c, image: "${image}", command: [sleep, '3600']}]\n`));
    const p = await waitFor(async () => { const x = await getPod('withcreds'); return x.status?.phase === 'Running' ? x : undefined; }, 'withcreds Running', 60_000);
    assert.equal(p.status!.containerStatuses![0].image, image);
    assert.match(p.status!.containerStatuses![0].imageID, new RegExp(`^${reg.host.replace(/\./g, '\\.')}/private/bb@sha256:[0-9a-f]{64}$`));
    const ev = await events('withcreds');
    const pulled = ev.find((e) => e.reason === 'Pulled');
    assert.match(pulled?.message ?? '', new RegExp(`^Successfully pulled image "${image.replace(/\./g, '\\.')}" in ([\\d.]+(ms|s|µs)) \\(\\1 including waiting\\)\\. Image size: \\d+ bytes\\.$`));
    await del('nocreds', 'withcreds');
  } finally {
    await reg.stop();
    rmSync(layout, { recursive: true, force: true });
  }
});

test('kubectl debug: an ephemeral container runs once in the pod and is reported', { skip: !isRoot }, async () => {
  await apply(podYaml('target', `  containers: [{name: app, image: busybox:1.36, command: [sleep, '3600']}]\n`));
  await waitFor(async () => (await getPod('target')).status?.phase === 'Running', 'target Running');
  const r = await s.server.kubectl(['debug', 'target', '--image=busybox:1.36', '-c', 'dbg', '--', 'sh', '-c', 'echo debugging $(hostname)']);
  assert.equal(r.code, 0, r.stderr);
  const p = await waitFor(async () => {
    const x = await getPod('target');
    return x.status?.ephemeralContainerStatuses?.[0]?.state?.terminated ? x : undefined;
  }, 'the ephemeral container to finish', 60_000);
  const st = p.status!.ephemeralContainerStatuses![0];
  assert.equal(st.name, 'dbg');
  assert.equal(st.state!.terminated!.reason, 'Completed');
  assert.equal(containerLog(s.paths, 'default', 'target', 'dbg'), 'debugging target\n', 'it ran in the pod (its hostname)');
  assert.equal(p.status!.containerStatuses![0].restartCount, 0, 'the app container was left alone');
  await s.server.kubectl(['delete', 'pod', 'target', '--wait=true'], { timeoutMs: 60_000 });
});

test('sidecars (init containers with restartPolicy Always): started before the next init, kept running, stopped when the pod completes', { skip: !isRoot }, async () => {
  await apply(podYaml('sidecar', `  restartPolicy: Never
  volumes: [{name: work, emptyDir: {}}]
  initContainers:
  - name: ticker
    image: busybox:1.36
    restartPolicy: Always
    command: [sh, -c, 'trap "exit 0" TERM; while true; do echo tick > /work/tick; sleep 0.2; done']
    startupProbe: {exec: {command: [test, -f, /work/tick]}, periodSeconds: 1}
    volumeMounts: [{name: work, mountPath: /work}]
  - {name: after, image: busybox:1.36, command: [sh, -c, 'cat /work/tick'], volumeMounts: [{name: work, mountPath: /work}]}
  containers:
  - {name: app, image: busybox:1.36, command: [sh, -c, 'sleep 2; cat /work/tick; echo app-done'], volumeMounts: [{name: work, mountPath: /work}]}
`));
  const running = await waitFor(async () => { const x = await getPod('sidecar'); return x.status?.phase === 'Running' ? x : undefined; }, 'sidecar pod Running', 60_000);
  const ticker = running.status!.initContainerStatuses!.find((c) => c.name === 'ticker')!;
  assert.ok(ticker.state!.running, 'the sidecar runs next to the app');
  assert.equal(ticker.started, true);
  assert.equal(running.status!.conditions!.find((c) => c.type === 'Initialized')!.status, 'True');
  assert.equal(containerLog(s.paths, 'default', 'sidecar', 'after'), 'tick\n', 'the next init container saw the sidecar\'s work');
  const done = await waitFor(async () => { const x = await getPod('sidecar'); return x.status?.phase === 'Succeeded' ? x : undefined; }, 'sidecar pod Succeeded', 60_000);
  assert.equal(containerLog(s.paths, 'default', 'sidecar', 'app'), 'tick\napp-done\n');
  assert.ok(done.status!.initContainerStatuses!.find((c) => c.name === 'ticker')!.state!.terminated, 'the sidecar was stopped after the app finished');
  await del('sidecar');
});

test('fsGroup: volumes belong to the group, so a non-root user reads a 0440 secret and writes an emptyDir', { skip: !isRoot }, async () => {
  await apply(`apiVersion: v1\nkind: Secret\nmetadata: {name: grouped}\nstringData: {key: group-readable}\n`);
  await apply(podYaml('fsgroup', `  securityContext: {runAsUser: 1234, fsGroup: 3456}
  volumes:
  - {name: sec, secret: {secretName: grouped, defaultMode: 0440}}
  - {name: scratch, emptyDir: {}}
  containers:
  - name: c
    image: busybox:1.36
    command: [sh, -c, 'id -G; cat /sec/key; echo; touch /scratch/f && stat -c %g /scratch/f; exec sleep 3600']
    volumeMounts: [{name: sec, mountPath: /sec}, {name: scratch, mountPath: /scratch}]
`));
  const text = await waitFor(() => { const l = containerLog(s.paths, 'default', 'fsgroup', 'c'); return l.split('\n').length >= 4 ? l : undefined; }, 'the output', 60_000);
  const [groups, key, fileGroup] = text.split('\n');
  assert.ok(groups.split(' ').includes('3456'), `fsGroup is a supplementary group: ${groups}`);
  assert.equal(key, 'group-readable');
  assert.equal(fileGroup, '3456', 'new files in the emptyDir get the fsGroup');
  await del('fsgroup');
});
