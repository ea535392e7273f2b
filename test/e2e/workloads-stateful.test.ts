/**
 * StatefulSet and DaemonSet controllers driven by the real kubectl against a real `peapod server`
 * (--no-agent: the test plays the nodes' part — Node objects, pod status through
 * `kubectl patch --subresource=status`).
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from './harness.js';

let server: TestServer;
before(async () => { server = await startServer(); });
after(async () => { await server?.stop(); });

async function k(args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<string> {
  const r = await server.kubectl(args, opts);
  assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed (${r.code}):\n${r.stderr}`);
  return r.stdout;
}

function rows(out: string): string[][] {
  return out.trim().split('\n').map((l) => l.trim().split(/\s{2,}/));
}

async function until<T>(fn: () => Promise<T | undefined | false | null>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

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
});
