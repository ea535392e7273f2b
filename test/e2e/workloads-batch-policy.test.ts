/**
 * ResourceQuota (controller + admission), PodDisruptionBudget status and a Job success policy with the real kubectl
 * against a real `peapod server` (--no-agent: the test reports pod status as the node would).
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer, kubectlOk, tableRows, until } from './harness.js';

let server: TestServer;
before(async () => { server = await startServer(); });
after(async () => { await server?.stop(); });

const k = (args: string[], opts: { input?: string } = {}): Promise<string> => kubectlOk(server, args, opts);

const rows = tableRows;


/** Pods need their namespace's default ServiceAccount, made by the ServiceAccount controller. */
async function namespace(ns: string): Promise<void> {
  await k(['create', 'namespace', ns]);
  await until(async () => (await server.kubectl(['-n', ns, 'get', 'serviceaccount', 'default'])).code === 0, 'default service account');
}

describe('ResourceQuota and PodDisruptionBudget with kubectl', () => {
  test('kubectl create quota: get quota shows used/hard; a pod over the quota is refused with Kubernetes\' message', async () => {
    await namespace('quota1');
    assert.equal((await k(['-n', 'quota1', 'create', 'quota', 'q', '--hard=pods=1,requests.cpu=1'])).trim(), 'resourcequota/q created');
    await until(async () => (await k(['-n', 'quota1', 'get', 'quota', 'q', '-o', 'jsonpath={.status.used.pods}'])) === '0', 'quota status');
    const t = rows(await k(['-n', 'quota1', 'get', 'quota']));
    assert.deepEqual(t[0], ['NAME', 'AGE', 'REQUEST', 'LIMIT']);
    assert.equal(t[1][2], 'pods: 0/1, requests.cpu: 0/1');
    await k(['-n', 'quota1', 'run', 'p1', '--image=busybox', '--restart=Never', '--overrides', JSON.stringify({ spec: { containers: [{ name: 'p1', image: 'busybox', resources: { requests: { cpu: '200m' } } }] } })]);
    assert.equal(await k(['-n', 'quota1', 'get', 'quota', 'q', '-o', 'jsonpath={.status.used.pods} {.status.used.requests\\.cpu}']), '1 200m');
    const r = await server.kubectl(['-n', 'quota1', 'run', 'p2', '--image=busybox', '--restart=Never', '--overrides', JSON.stringify({ spec: { containers: [{ name: 'p2', image: 'busybox', resources: { requests: { cpu: '200m' } } }] } })]);
    assert.notEqual(r.code, 0);
    assert.equal(r.stderr.trim(), 'Error from server (Forbidden): pods "p2" is forbidden: exceeded quota: q, requested: pods=1, used: pods=1, limited: pods=1');
    // the finished pod gives its unit back
    await k(['-n', 'quota1', 'patch', 'pod', 'p1', '--subresource=status', '--type=merge', '-p', '{"status":{"phase":"Succeeded"}}']);
    await until(async () => (await k(['-n', 'quota1', 'get', 'quota', 'q', '-o', 'jsonpath={.status.used.pods}'])) === '0', 'replenished');
    await k(['-n', 'quota1', 'run', 'p3', '--image=busybox', '--restart=Never', '--overrides', JSON.stringify({ spec: { containers: [{ name: 'p3', image: 'busybox', resources: { requests: { cpu: '200m' } } }] } })]);
  });

  test('kubectl create pdb: ALLOWED DISRUPTIONS follows ready pods', async () => {
    await namespace('pdb1');
    for (const n of ['a', 'b']) {
      await k(['-n', 'pdb1', 'run', n, '--image=busybox', '--labels=app=web', '--restart=Never']);
      const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
      await k(['-n', 'pdb1', 'patch', 'pod', n, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now }] } })]);
    }
    assert.equal((await k(['-n', 'pdb1', 'create', 'pdb', 'web', '--selector=app=web', '--min-available=1'])).trim(), 'poddisruptionbudget.policy/web created');
    await until(async () => (await k(['-n', 'pdb1', 'get', 'pdb', 'web', '-o', 'jsonpath={.status.disruptionsAllowed}'])) === '1', 'disruptionsAllowed 1');
    const t = rows(await k(['-n', 'pdb1', 'get', 'pdb']));
    assert.deepEqual(t[0], ['NAME', 'MIN AVAILABLE', 'MAX UNAVAILABLE', 'ALLOWED DISRUPTIONS', 'AGE']);
    assert.deepEqual(t[1].slice(0, 4), ['web', '1', 'N/A', '1']);
    assert.equal(await k(['-n', 'pdb1', 'get', 'pdb', 'web', '-o', 'jsonpath={.status.currentHealthy}/{.status.desiredHealthy}/{.status.expectedPods} {.status.conditions[0].reason}']), '2/1/2 SufficientPods');
  });

  test('Job successPolicy: kubectl shows SuccessCriteriaMet then Complete once the leader index succeeded; a bad rule is refused', async () => {
    await namespace('succ1');
    const job = (name: string, spec: Record<string, unknown>) => JSON.stringify({
      apiVersion: 'batch/v1', kind: 'Job', metadata: { name },
      spec: { completions: 3, parallelism: 3, ...spec, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'w', image: 'busybox' }] } } },
    });
    const bad = await server.kubectl(['-n', 'succ1', 'create', '-f', '-'], { input: job('bad', { completionMode: 'Indexed', successPolicy: { rules: [{ succeededIndexes: '0-3' }] } }) });
    assert.notEqual(bad.code, 0);
    assert.equal(bad.stderr.trim(), 'The Job "bad" is invalid: spec.successPolicy.rules[0].succeededIndexes: Invalid value: "0-3": error parsing succeededIndexes: too large index: "3"');
    await k(['-n', 'succ1', 'create', '-f', '-'], { input: job('leader', { completionMode: 'Indexed', successPolicy: { rules: [{ succeededIndexes: '0' }] } }) });
    const leader = await until(async () => (await k(['-n', 'succ1', 'get', 'pods', '-l', 'batch.kubernetes.io/job-completion-index=0', '-o', 'jsonpath={.items[0].metadata.name}'])) || undefined, 'the leader pod');
    await k(['-n', 'succ1', 'patch', 'pod', leader, '--subresource=status', '--type=merge', '-p', '{"status":{"phase":"Succeeded"}}']);
    await until(async () => (await k(['-n', 'succ1', 'get', 'job', 'leader', '-o', 'jsonpath={.status.conditions[*].type}'])) === 'SuccessCriteriaMet Complete', 'SuccessCriteriaMet then Complete');
    assert.equal(await k(['-n', 'succ1', 'get', 'job', 'leader', '-o', 'jsonpath={.status.conditions[0].reason}|{.status.conditions[0].message}|{.status.completedIndexes}|{.status.failed}']), 'SuccessPolicy|Matched rules at index 0|0|');
    const t = rows(await k(['-n', 'succ1', 'get', 'job', 'leader']));
    assert.deepEqual(t[1].slice(0, 3), ['leader', 'Complete', '1/3']);
    // the other indexes were stopped
    await until(async () => (await k(['-n', 'succ1', 'get', 'pods', '-o', 'jsonpath={.items[*].metadata.name}'])) === leader, 'only the leader pod is left');
  });
});
