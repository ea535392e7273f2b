/**
 * StatefulSet and DaemonSet controllers driven by the real kubectl against a real `peapod server`
 * (--no-agent: the test plays the nodes' part — Node objects, pod status through
 * `kubectl patch --subresource=status`).
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { cliMain, startServer, type TestServer, kubectlOk, tableRows, until } from './harness.js';

let server: TestServer;
before(async () => { server = await startServer(); });
after(async () => { await server?.stop(); });

const k = (args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<string> => kubectlOk(server, args, opts);

const rows = tableRows;


async function podNames(ns: string, selector: string): Promise<string[]> {
  const out = await k(['-n', ns, 'get', 'pods', '-l', selector, '-o', 'jsonpath={range .items[*]}{.metadata.name}{" "}{.metadata.deletionTimestamp}{"\\n"}{end}']);
  return out.split('\n').map((l) => l.trim()).filter((l) => l && !l.includes(' ')).sort();
}

/** The node's part: the pod runs and is ready. */
async function runPod(ns: string, pod: string): Promise<void> {
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  const status = {
    phase: 'Running',
    conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now }, { type: 'ContainersReady', status: 'True', lastTransitionTime: now }],
    containerStatuses: [{ name: 'c', image: 'nginx', imageID: '', ready: true, started: true, restartCount: 0, state: { running: { startedAt: now } } }],
  };
  await k(['-n', ns, 'patch', 'pod', pod, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status })]);
}

describe('StatefulSets and DaemonSets with kubectl', () => {
  test('StatefulSet: ordered creation (each Ready before the next), get sts READY, rollout status', async () => {
    await k(['create', 'namespace', 'sts1']);
    const manifest = {
      apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'web', namespace: 'sts1' },
      spec: {
        replicas: 3, serviceName: 'web', selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } },
        volumeClaimTemplates: [{ metadata: { name: 'www' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
      },
    };
    assert.equal((await k(['apply', '-f', '-'], { input: JSON.stringify(manifest) })).trim(), 'statefulset.apps/web created');
    for (let i = 0; i < 3; i++) {
      const want = Array.from({ length: i + 1 }, (_, j) => `web-${j}`);
      await until(async () => JSON.stringify(await podNames('sts1', 'app=web')) === JSON.stringify(want), `pods ${want.join(',')}`);
      // the next pod waits for this one
      assert.deepEqual(await podNames('sts1', 'app=web'), want);
      await runPod('sts1', `web-${i}`);
    }
    const out = await k(['rollout', 'status', 'statefulset/web', '-n', 'sts1', '--timeout=60s']);
    // the defaulted rollingUpdate.partition (0) makes kubectl report a partitioned rollout, as on Kubernetes
    assert.equal(out.trim(), 'partitioned roll out complete: 3 new pods have been updated...');
    const st = JSON.parse(await k(['-n', 'sts1', 'get', 'sts', 'web', '-o', 'jsonpath={.status}'])) as Record<string, unknown>;
    assert.equal(st.currentRevision, st.updateRevision);
    assert.deepEqual([st.replicas, st.readyReplicas, st.currentReplicas, st.updatedReplicas, st.availableReplicas], [3, 3, 3, 3, 3]);
    const t = rows(await k(['-n', 'sts1', 'get', 'sts']));
    assert.deepEqual(t[0], ['NAME', 'READY', 'AGE']);
    assert.deepEqual(t[1].slice(0, 2), ['web', '3/3']);
    const pvcs = (await k(['-n', 'sts1', 'get', 'pvc', '-o', 'name'])).trim().split('\n').sort();
    assert.deepEqual(pvcs, ['persistentvolumeclaim/www-web-0', 'persistentvolumeclaim/www-web-1', 'persistentvolumeclaim/www-web-2']);
    assert.equal(await k(['-n', 'sts1', 'get', 'pod', 'web-1', '-o', 'jsonpath={.spec.hostname}.{.spec.subdomain}']), 'web-1.web');
    // scale down removes the highest ordinal (no agent: the unbound pod goes at once)
    await k(['-n', 'sts1', 'scale', 'sts', 'web', '--replicas=2']);
    await until(async () => JSON.stringify(await podNames('sts1', 'app=web')) === '["web-0","web-1"]', 'web-2 removed');
  });
  test('DaemonSet: one pod per node (Node objects made with kubectl), pinned by node affinity; follows nodes; get ds columns', async () => {
    await k(['create', 'namespace', 'ds1']);
    const nodeJson = (name: string, extra: Record<string, unknown> = {}) => JSON.stringify({ apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name } }, spec: extra });
    for (const n of ['e2e-n1', 'e2e-n2']) await k(['create', '-f', '-'], { input: nodeJson(n) });
    await k(['create', '-f', '-'], { input: nodeJson('e2e-tainted', { taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] }) });
    const manifest = {
      apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'agent', namespace: 'ds1' },
      spec: { selector: { matchLabels: { app: 'agent' } }, template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'c', image: 'agent' }] } } },
    };
    assert.equal((await k(['apply', '-f', '-'], { input: JSON.stringify(manifest) })).trim(), 'daemonset.apps/agent created');
    const pinned = async () => (await k(['-n', 'ds1', 'get', 'pods', '-l', 'app=agent', '-o', 'jsonpath={range .items[*]}{.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchFields[0].values[0]}{"\\n"}{end}']))
      .split('\n').filter(Boolean).sort();
    await until(async () => JSON.stringify(await pinned()) === '["e2e-n1","e2e-n2"]', 'a pod for each untainted node');
    const t = rows(await k(['-n', 'ds1', 'get', 'ds']));
    assert.deepEqual(t[0], ['NAME', 'DESIRED', 'CURRENT', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'NODE SELECTOR', 'AGE']);
    await until(async () => { const r = rows(await k(['-n', 'ds1', 'get', 'ds']))[1]; return JSON.stringify(r.slice(0, 7)) === JSON.stringify(['agent', '2', '2', '0', '2', '0', '<none>']); }, 'ds columns');
    // a node joins
    await k(['create', '-f', '-'], { input: nodeJson('e2e-n3') });
    await until(async () => JSON.stringify(await pinned()) === '["e2e-n1","e2e-n2","e2e-n3"]', 'a pod for the new node');
    // the nodes report the pods running and ready: rollout status finishes
    for (const name of (await k(['-n', 'ds1', 'get', 'pods', '-l', 'app=agent', '-o', 'name'])).trim().split('\n')) await runPod('ds1', name.replace('pod/', ''));
    const out = await k(['-n', 'ds1', 'rollout', 'status', 'daemonset/agent', '--timeout=60s']);
    assert.equal(out.trim().split('\n').pop(), 'daemon set "agent" successfully rolled out');
    // a node tainted NoExecute loses its pod
    await k(['taint', 'node', 'e2e-n3', 'evict=now:NoExecute']);
    await until(async () => JSON.stringify(await pinned()) === '["e2e-n1","e2e-n2"]', 'pod on the tainted node removed');
  });
  test('DaemonSet on simulated nodes (peapod sim-agent + the scheduler): rollout, then a rolling update', async (t) => {
    const prefix = `sim-${process.pid}-`;
    const agent: ChildProcess = spawn(process.execPath, [cliMain, 'sim-agent', '--server', server.url, '--token-file', join(server.dataDir, 'node-token'), '--nodes', '3', '--name-prefix', prefix], { stdio: ['ignore', 'ignore', 'pipe'] });
    t.after(async () => {
      if (agent.exitCode === null && agent.signalCode === null) {
        const gone = new Promise((r) => agent.once('exit', r));
        agent.kill('SIGTERM');
        const timer = setTimeout(() => agent.kill('SIGKILL'), 10_000);
        await gone;
        clearTimeout(timer);
      }
    });
    await new Promise<void>((resolve, reject) => {
      let log = '';
      const timer = setTimeout(() => reject(new Error(`sim-agent not running:\n${log}`)), 30_000);
      agent.stderr!.on('data', (c: Buffer) => { log += c.toString(); if (log.includes('sim-agent running')) { clearTimeout(timer); resolve(); } });
      agent.once('exit', (code) => { clearTimeout(timer); reject(new Error(`sim-agent exited ${code}:\n${log}`)); });
    });
    await k(['create', 'namespace', 'ds2']);
    const manifest = (image: string) => JSON.stringify({
      apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'sim', namespace: 'ds2' },
      spec: {
        selector: { matchLabels: { app: 'sim' } },
        template: { metadata: { labels: { app: 'sim' } }, spec: { nodeSelector: { 'peapod.io/e2e': 'sim' }, containers: [{ name: 'c', image }] } },
      },
    });
    await k(['apply', '-f', '-'], { input: manifest('agent:1') });
    for (let i = 0; i < 3; i++) await k(['label', 'node', `${prefix}${i}`, 'peapod.io/e2e=sim']);
    await k(['-n', 'ds2', 'rollout', 'status', 'daemonset/sim', '--timeout=90s'], { timeoutMs: 100_000 });
    const bound = async () => (await k(['-n', 'ds2', 'get', 'pods', '-l', 'app=sim', '-o', 'jsonpath={range .items[*]}{.spec.nodeName}{" "}{.spec.containers[0].image}{"\\n"}{end}'])).trim().split('\n').sort();
    assert.deepEqual(await bound(), [0, 1, 2].map((i) => `${prefix}${i} agent:1`));
    await k(['apply', '-f', '-'], { input: manifest('agent:2') });
    const out = await k(['-n', 'ds2', 'rollout', 'status', 'daemonset/sim', '--timeout=90s'], { timeoutMs: 100_000 });
    assert.equal(out.trim().split('\n').pop(), 'daemon set "sim" successfully rolled out');
    await until(async () => JSON.stringify(await bound()) === JSON.stringify([0, 1, 2].map((i) => `${prefix}${i} agent:2`)), 'every node runs the new template');
    const t2 = rows(await k(['-n', 'ds2', 'get', 'ds', 'sim']))[1];
    assert.deepEqual(t2.slice(0, 6), ['sim', '3', '3', '3', '3', '3']);
    const revs = (await k(['-n', 'ds2', 'get', 'controllerrevisions', '-o', 'name'])).trim().split('\n');
    assert.equal(revs.length, 2);
    const hist = await k(['-n', 'ds2', 'rollout', 'history', 'daemonset/sim']);
    assert.match(hist, /REVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>/);
    // undo goes back to revision 1's template (it becomes revision 3)
    await k(['-n', 'ds2', 'rollout', 'undo', 'daemonset/sim']);
    await k(['-n', 'ds2', 'rollout', 'status', 'daemonset/sim', '--timeout=90s'], { timeoutMs: 100_000 });
    await until(async () => JSON.stringify(await bound()) === JSON.stringify([0, 1, 2].map((i) => `${prefix}${i} agent:1`)), 'every node runs the old template again');
    assert.match(await k(['-n', 'ds2', 'rollout', 'history', 'daemonset/sim']), /REVISION\s+CHANGE-CAUSE\n2\s+<none>\n3\s+<none>/);

    // a StatefulSet on the same simulated nodes: ordered start, rolling update, undo
    await k(['create', 'namespace', 'sts2']);
    const sts = (image: string) => JSON.stringify({
      apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'db', namespace: 'sts2' },
      spec: { replicas: 3, serviceName: 'db', selector: { matchLabels: { app: 'db' } }, template: { metadata: { labels: { app: 'db' } }, spec: { nodeSelector: { 'peapod.io/e2e': 'sim' }, containers: [{ name: 'c', image }] } } },
    });
    await k(['apply', '-f', '-'], { input: sts('db:1') });
    await k(['-n', 'sts2', 'rollout', 'status', 'statefulset/db', '--timeout=90s'], { timeoutMs: 100_000 });
    const created = JSON.parse(await k(['-n', 'sts2', 'get', 'pods', '-o', 'json'])) as { items: { metadata: { name: string; creationTimestamp: string } ; status: { conditions?: { type: string; lastTransitionTime: string }[] } }[] };
    const byName = new Map(created.items.map((p) => [p.metadata.name, p]));
    for (const [a, b] of [['db-0', 'db-1'], ['db-1', 'db-2']]) {
      const ready = byName.get(a)!.status.conditions!.find((c) => c.type === 'Ready')!.lastTransitionTime;
      assert.ok(Date.parse(byName.get(b)!.metadata.creationTimestamp) >= Date.parse(ready), `${b} was made after ${a} was ready`);
    }
    await k(['apply', '-f', '-'], { input: sts('db:2') });
    await k(['-n', 'sts2', 'rollout', 'status', 'statefulset/db', '--timeout=90s'], { timeoutMs: 100_000 });
    const images = async () => (await k(['-n', 'sts2', 'get', 'pods', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.spec.containers[0].image}{" "}{end}'])).trim().split(' ').sort();
    await until(async () => JSON.stringify(await images()) === '["db-0=db:2","db-1=db:2","db-2=db:2"]', 'all pods updated');
    const st = JSON.parse(await k(['-n', 'sts2', 'get', 'sts', 'db', '-o', 'jsonpath={.status}'])) as Record<string, unknown>;
    assert.equal(st.currentRevision, st.updateRevision);
    await k(['-n', 'sts2', 'rollout', 'undo', 'statefulset/db']);
    await k(['-n', 'sts2', 'rollout', 'status', 'statefulset/db', '--timeout=90s'], { timeoutMs: 100_000 });
    await until(async () => JSON.stringify(await images()) === '["db-0=db:1","db-1=db:1","db-2=db:1"]', 'undone');
  });
});
