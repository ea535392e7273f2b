/**
 * Deployments end to end with the real kubectl against a real `peapod server` (controllers and
 * scheduler in the server) and `peapod sim-agent` playing three nodes (pods become Running and
 * Ready after about a second; deleted pods go after their grace period, at most a second).
 * kubectl create/rollout status/set image/rollout history/undo/pause/resume/restart/scale/get/delete
 * (with and without --cascade=orphan).
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { cliMain, kubectlBinary, startServer, type TestServer } from './harness.js';

let server: TestServer;
let agent: ChildProcess | undefined;

async function startSimAgent(s: TestServer, nodes: number): Promise<ChildProcess> {
  const proc = spawn(process.execPath, [cliMain, 'sim-agent', '--server', s.url, '--token-file', join(s.dataDir, 'node-token'), '--nodes', String(nodes)], { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => reject(new Error(`sim-agent not running after 30 s:\n${log}`)), 30_000);
    proc.stderr!.on('data', (c: Buffer) => {
      log += c.toString();
      if (log.includes('sim-agent running')) { clearTimeout(timer); resolve(); }
    });
    proc.stdout!.resume();
    proc.once('exit', (code) => { clearTimeout(timer); reject(new Error(`sim-agent exited (${code}):\n${log}`)); });
  });
  return proc;
}

before(async () => {
  server = await startServer();
  agent = await startSimAgent(server, 3);
});
after(async () => {
  if (agent && agent.exitCode === null) {
    const a = agent;
    await new Promise<void>((r) => { a.once('exit', () => r()); a.kill('SIGTERM'); setTimeout(() => a.kill('SIGKILL'), 5000).unref(); });
  }
  await server?.stop();
});

async function k(args: string[], opts: { version?: string; timeoutMs?: number } = {}): Promise<string> {
  const r = await server.kubectl(args, opts);
  assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

function rows(out: string): string[][] {
  return out.trim().split('\n').filter((l) => l.trim()).map((l) => l.trim().split(/\s{2,}/));
}

/** Poll kubectl output (bounded) until `ok` holds. */
async function until(args: string[], ok: (out: string) => boolean, what: string, opts: { version?: string; timeoutMs?: number } = {}): Promise<string> {
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  let last = '';
  for (;;) {
    const r = await server.kubectl(args, { version: opts.version });
    last = r.stdout + r.stderr;
    if (r.code === 0 && ok(r.stdout)) return r.stdout;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last output:\n${last}`);
    await new Promise((res) => setTimeout(res, 200));
  }
}

async function rolloutStatus(ns: string, name: string, version?: string): Promise<string> {
  const out = await k(['-n', ns, 'rollout', 'status', `deployment/${name}`, '--timeout=90s'], { version, timeoutMs: 100_000 });
  assert.match(out, new RegExp(`deployment "${name}" successfully rolled out`));
  return out;
}

const versions = ['1.27', undefined, '1.33'].filter((v) => kubectlBinary(v) !== undefined);

describe('Deployment with the default kubectl', () => {
  const ns = 'deploy-e2e';
  test('create, rollout status, get deploy,rs,pods columns', async () => {
    await k(['create', 'namespace', ns]);
    assert.equal((await k(['-n', ns, 'create', 'deployment', 'web', '--image=busybox:1.36', '--replicas=3', '--', 'httpd', '-f', '-p', '8080'])).trim(), 'deployment.apps/web created');
    await rolloutStatus(ns, 'web');
    const d = rows(await k(['-n', ns, 'get', 'deploy']));
    assert.deepEqual(d[0], ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE']);
    assert.deepEqual(d[1].slice(0, 4), ['web', '3/3', '3', '3']);
    const rs = rows(await k(['-n', ns, 'get', 'rs']));
    assert.deepEqual(rs[0], ['NAME', 'DESIRED', 'CURRENT', 'READY', 'AGE']);
    assert.match(rs[1][0], /^web-[bcdfghjklmnpqrstvwxz2456789]+$/);
    assert.deepEqual(rs[1].slice(1, 4), ['3', '3', '3']);
    const pods = rows(await k(['-n', ns, 'get', 'pods', '-o', 'wide']));
    assert.equal(pods.length, 4);
    for (const p of pods.slice(1)) {
      assert.ok(p[0].startsWith(`${rs[1][0]}-`), p[0]);
      assert.deepEqual(p.slice(1, 3), ['1/1', 'Running']);
      assert.match(p[6], /^sim-node-\d$/);
    }
    const all = await k(['-n', ns, 'get', 'deploy,rs,pods']);
    assert.match(all, /deployment\.apps\/web\s+3\/3\s+3\s+3/);
    assert.match(all, /replicaset\.apps\/web-\w+\s+3\s+3\s+3/);
    const rsDesc = await k(['-n', ns, 'describe', 'rs', rs[1][0]]);
    assert.match(rsDesc, /Controlled By:\s+Deployment\/web/);
    assert.match(rsDesc, /Replicas:\s+3 current \/ 3 desired/);
    assert.match(rsDesc, /Pods Status:\s+3 Running \/ 0 Waiting \/ 0 Succeeded \/ 0 Failed/);
    assert.match(rsDesc, new RegExp(`Normal\\s+SuccessfulCreate\\s+.*replicaset-controller\\s+Created pod: ${rs[1][0]}-[a-z0-9]{5}`));
    const desc = await k(['-n', ns, 'describe', 'deployment', 'web']);
    assert.match(desc, new RegExp(`NewReplicaSet:\\s+${rs[1][0]} \\(3/3 replicas created\\)`));
    assert.match(desc, /Replicas:\s+3 desired \| 3 updated \| 3 total \| 3 available \| 0 unavailable/);
    assert.match(desc, /Available\s+True\s+MinimumReplicasAvailable/);
    assert.match(desc, /Progressing\s+True\s+NewReplicaSetAvailable/);
    const ev = await k(['-n', ns, 'get', 'events', '--field-selector', 'involvedObject.kind=Deployment', '-o', 'jsonpath={range .items[*]}{.reason}: {.message}{"\\n"}{end}']);
    assert.match(ev, new RegExp(`ScalingReplicaSet: Scaled up replica set ${rs[1][0]} from 0 to 3`));
  });

  test('set image, rollout history, rollout undo', async () => {
    assert.equal((await k(['-n', ns, 'set', 'image', 'deployment/web', 'busybox=busybox:1.37'])).trim(), 'deployment.apps/web image updated');
    await rolloutStatus(ns, 'web');
    const rs = rows(await k(['-n', ns, 'get', 'rs', '-o', 'wide']));
    assert.equal(rs.length, 3, 'two ReplicaSets');
    // the change-cause annotation travels to the new ReplicaSet, where rollout history reads it
    await k(['-n', ns, 'annotate', 'deployment/web', 'kubernetes.io/change-cause=image 1.37']);
    const h = rows(await until(['-n', ns, 'rollout', 'history', 'deployment/web'], (o) => o.includes('image 1.37'), 'change-cause in history'));
    assert.equal(h[0][0], 'deployment.apps/web');
    assert.deepEqual(h[1], ['REVISION', 'CHANGE-CAUSE']);
    assert.deepEqual(h.slice(2), [['1', '<none>'], ['2', 'image 1.37']]);
    const r1 = await k(['-n', ns, 'rollout', 'history', 'deployment/web', '--revision=1']);
    assert.match(r1, /Image:\s+busybox:1\.36/);
    assert.equal((await k(['-n', ns, 'rollout', 'undo', 'deployment/web'])).trim(), 'deployment.apps/web rolled back');
    await rolloutStatus(ns, 'web');
    assert.equal(await k(['-n', ns, 'get', 'deploy', 'web', '-o', 'jsonpath={.spec.template.spec.containers[0].image} {.metadata.annotations.deployment\\.kubernetes\\.io/revision}']), 'busybox:1.36 3');
    const h2 = rows(await k(['-n', ns, 'rollout', 'history', 'deployment/web']));
    assert.deepEqual(h2.slice(2).map((r) => r[0]), ['2', '3']);
    assert.equal(rows(await k(['-n', ns, 'get', 'rs'])).length, 3, 'the old ReplicaSet was reused');
  });

  test('rollout pause, resume, restart; scale', async () => {
    assert.equal((await k(['-n', ns, 'rollout', 'pause', 'deployment/web'])).trim(), 'deployment.apps/web paused');
    await k(['-n', ns, 'set', 'image', 'deployment/web', 'busybox=busybox:1.38']);
    await until(['-n', ns, 'get', 'deploy', 'web', '-o', 'jsonpath={.status.observedGeneration}/{.metadata.generation} {.status.conditions[?(@.type=="Progressing")].reason}'],
      (o) => { const [g, reason] = o.split(' '); const [a, b] = g.split('/'); return a === b && reason === 'DeploymentPaused'; }, 'paused condition');
    assert.equal(rows(await k(['-n', ns, 'get', 'rs'])).length, 3, 'no new ReplicaSet while paused');
    const undoPaused = await server.kubectl(['-n', ns, 'rollout', 'undo', 'deployment/web']);
    assert.notEqual(undoPaused.code, 0);
    assert.match(undoPaused.stderr, /you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume' and try again/);
    assert.equal((await k(['-n', ns, 'rollout', 'resume', 'deployment/web'])).trim(), 'deployment.apps/web resumed');
    await rolloutStatus(ns, 'web');
    assert.equal(rows(await k(['-n', ns, 'get', 'rs'])).length, 4);
    assert.equal((await k(['-n', ns, 'rollout', 'restart', 'deployment/web'])).trim(), 'deployment.apps/web restarted');
    await rolloutStatus(ns, 'web');
    assert.match(await k(['-n', ns, 'get', 'deploy', 'web', '-o', 'jsonpath={.spec.template.metadata.annotations}']), /kubectl\.kubernetes\.io\/restartedAt/);
    assert.equal(rows(await k(['-n', ns, 'get', 'rs'])).length, 5);
    assert.equal((await k(['-n', ns, 'scale', 'deployment/web', '--replicas=5'])).trim(), 'deployment.apps/web scaled');
    await rolloutStatus(ns, 'web');
    const d = rows(await k(['-n', ns, 'get', 'deploy', 'web']));
    assert.deepEqual(d[1].slice(0, 4), ['web', '5/5', '5', '5']);
    await until(['-n', ns, 'get', 'pods', '--no-headers'], (o) => rows(o).length === 5 && rows(o).every((r) => r[2] === 'Running'), '5 running pods');
  });

  test('kubectl delete deployment removes its ReplicaSets and pods; --cascade=orphan keeps them; --cascade=foreground removes them first', async () => {
    await k(['-n', ns, 'create', 'deployment', 'keep', '--image=busybox:1.36', '--replicas=2']);
    await rolloutStatus(ns, 'keep');
    assert.equal((await k(['-n', ns, 'delete', 'deployment', 'web'])).trim(), 'deployment.apps "web" deleted');
    await until(['-n', ns, 'get', 'rs,pods', '-l', 'app=web', '-o', 'name'], (o) => o.trim() === '', 'web ReplicaSets and pods gone');
    assert.equal((await k(['-n', ns, 'delete', 'deployment', 'keep', '--cascade=orphan'])).trim(), 'deployment.apps "keep" deleted');
    await until(['-n', ns, 'get', 'deploy', '-o', 'name'], (o) => o.trim() === '', 'deployment gone');
    const rs = await until(['-n', ns, 'get', 'rs', '-l', 'app=keep', '-o', 'jsonpath={range .items[*]}{.metadata.name} {.metadata.ownerReferences}{"\\n"}{end}'], (o) => o.trim().split('\n').length === 1 && !o.includes('Deployment'), 'orphaned ReplicaSet');
    assert.match(rs, /^keep-\w+ \n?$/);
    assert.equal(rows(await k(['-n', ns, 'get', 'pods', '-l', 'app=keep', '--no-headers'])).length, 2);
    // foreground: kubectl waits for the Deployment to be gone, which is after its ReplicaSets and pods
    await k(['-n', ns, 'create', 'deployment', 'fg', '--image=busybox:1.36', '--replicas=2']);
    await rolloutStatus(ns, 'fg');
    assert.equal((await k(['-n', ns, 'delete', 'deployment', 'fg', '--cascade=foreground', '--timeout=60s'], { timeoutMs: 70_000 })).trim(), 'deployment.apps "fg" deleted');
    assert.equal((await k(['-n', ns, 'get', 'deploy,rs,pods', '-l', 'app=fg', '-o', 'name'])).trim(), '');
  });
});

describe('progress deadline and ReplicationController', () => {
  const ns = 'deploy-e2e-2';
  test('kubectl rollout status fails when the progress deadline passes', async () => {
    await k(['create', 'namespace', ns]);
    const manifest = {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'stuck', namespace: ns },
      spec: {
        replicas: 2, progressDeadlineSeconds: 2, selector: { matchLabels: { app: 'stuck' } },
        // no node has this label: the pods stay Pending
        template: { metadata: { labels: { app: 'stuck' } }, spec: { nodeSelector: { 'example.com/none': 'x' }, containers: [{ name: 'c', image: 'busybox:1.36' }] } },
      },
    };
    const r = await server.kubectl(['apply', '-f', '-'], { input: JSON.stringify(manifest) });
    assert.equal(r.code, 0, r.stderr);
    const st = await server.kubectl(['-n', ns, 'rollout', 'status', 'deployment/stuck', '--timeout=60s'], { timeoutMs: 70_000 });
    assert.notEqual(st.code, 0);
    assert.match(st.stderr, /error: deployment "stuck" exceeded its progress deadline/);
    const reason = await k(['-n', ns, 'get', 'deploy', 'stuck', '-o', 'jsonpath={.status.conditions[?(@.type=="Progressing")].reason}/{.status.conditions[?(@.type=="Available")].reason}']);
    assert.equal(reason, 'ProgressDeadlineExceeded/MinimumReplicasUnavailable');
  });

  test('ReplicationController: get columns, scale, delete removes its pods', async () => {
    const rc = {
      apiVersion: 'v1', kind: 'ReplicationController', metadata: { name: 'rc', namespace: ns },
      spec: { replicas: 2, selector: { app: 'rc' }, template: { metadata: { labels: { app: 'rc' } }, spec: { containers: [{ name: 'c', image: 'busybox:1.36' }] } } },
    };
    const r = await server.kubectl(['apply', '-f', '-'], { input: JSON.stringify(rc) });
    assert.equal(r.code, 0, r.stderr);
    await until(['-n', ns, 'get', 'rc', 'rc', '--no-headers'], (o) => rows(o)[0]?.slice(1, 4).join(' ') === '2 2 2', 'rc 2/2 ready');
    assert.deepEqual(rows(await k(['-n', ns, 'get', 'rc']))[0], ['NAME', 'DESIRED', 'CURRENT', 'READY', 'AGE']);
    assert.equal((await k(['-n', ns, 'scale', 'rc/rc', '--replicas=4'])).trim(), 'replicationcontroller/rc scaled');
    await until(['-n', ns, 'get', 'rc', 'rc', '--no-headers'], (o) => rows(o)[0]?.slice(1, 4).join(' ') === '4 4 4', 'rc 4/4 ready');
    await k(['-n', ns, 'delete', 'rc', 'rc']);
    await until(['-n', ns, 'get', 'pods', '-l', 'app=rc', '-o', 'name'], (o) => o.trim() === '', 'rc pods gone');
  });
});

for (const version of versions.filter((v) => v !== undefined)) {
  test(`kubectl ${version}: create, rollout status, set image, history, undo, scale`, async () => {
    const ns = `deploy-${version!.replace('.', '-')}`;
    await k(['create', 'namespace', ns], { version });
    await k(['-n', ns, 'create', 'deployment', 'app', '--image=busybox:1.36', '--replicas=2'], { version });
    await rolloutStatus(ns, 'app', version);
    await k(['-n', ns, 'set', 'image', 'deployment/app', 'busybox=busybox:1.37'], { version });
    await rolloutStatus(ns, 'app', version);
    const h = rows(await k(['-n', ns, 'rollout', 'history', 'deployment/app'], { version }));
    assert.deepEqual(h.slice(2).map((r) => r[0]), ['1', '2']);
    assert.equal((await k(['-n', ns, 'rollout', 'undo', 'deployment/app', '--to-revision=1'], { version })).trim(), 'deployment.apps/app rolled back');
    await rolloutStatus(ns, 'app', version);
    await k(['-n', ns, 'scale', 'deployment/app', '--replicas=3'], { version });
    await rolloutStatus(ns, 'app', version);
    assert.deepEqual(rows(await k(['-n', ns, 'get', 'deploy', 'app'], { version }))[1].slice(0, 4), ['app', '3/3', '3', '3']);
    assert.equal(await k(['-n', ns, 'get', 'deploy', 'app', '-o', 'jsonpath={.spec.template.spec.containers[0].image}'], { version }), 'busybox:1.36');
  });
}
