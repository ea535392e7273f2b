import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../api/object.js';
import { Resources } from '../client/resources.js';
import { StatusError } from '../client/errors.js';
import { startResourceQuotaController } from './resourcequota.js';
import { usageOf, podResource, quotaMatches } from './resourcequota-usage.js';
import { startTestCluster, waitFor, type TestCluster } from './replicaset-testkit.js';
import { startTestApi } from '../testing/test-api.js';
import { FakeClock } from '../util/clock.js';

const pod = (name: string, resources?: Record<string, unknown>, extra: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name },
  spec: { containers: [{ name: 'c', image: 'nginx', ...(resources ? { resources } : {}) }], ...extra },
});
type QuotaStatus = { hard?: Record<string, string>; used?: Record<string, string> };

async function refused(p: Promise<unknown>, message: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof StatusError, String(err));
    assert.equal(err.code, 403);
    assert.equal(err.reason, 'Forbidden');
    assert.equal(err.message, message);
    return true;
  });
}

test('pod usage: requests as the larger of the containers sum and init containers, limits, terminal pods use nothing', () => {
  const spec = {
    initContainers: [{ name: 'i', image: 'x', resources: { requests: { cpu: '2' } } }],
    containers: [{ name: 'a', image: 'x', resources: { requests: { cpu: '500m', memory: '64Mi' }, limits: { memory: '128Mi' } } }, { name: 'b', image: 'x', resources: { requests: { cpu: '700m', memory: '64Mi' } } }],
    overhead: { cpu: '100m' },
  };
  assert.equal(podResource(spec as never, 'requests', 'cpu')?.toString(), '2100m');
  const u = usageOf('pods', '', { metadata: {}, spec }, 0);
  assert.equal(u.get('pods')?.toString(), '1');
  assert.equal(u.get('requests.memory')?.toString(), '128Mi');
  assert.equal(u.get('limits.memory')?.toString(), '128Mi');
  assert.equal(u.get('limits.cpu'), undefined);
  // a finished pod still counts as a stored object (count/pods), nothing else
  assert.deepEqual([...usageOf('pods', '', { metadata: {}, spec, status: { phase: 'Succeeded' } }, 0).keys()], ['count/pods']);
  assert.equal(usageOf('deployments', 'apps', { metadata: {} }, 0).get('count/deployments.apps')?.toString(), '1');
  assert.equal(usageOf('services', '', { metadata: {}, spec: { type: 'NodePort', ports: [{ port: 1 }, { port: 2 }] } }, 0).get('services.nodeports')?.toString(), '2');
});

describe('ResourceQuota controller and admission', () => {
  let c: TestCluster;
  before(async () => { c = await startTestCluster(({ client, informers, clock }) => [startResourceQuotaController({ client, informers, clock })]); });
  after(async () => { await c?.stop(); });
  const status = async (n: string) => ((await c.client.get(Resources.resourcequotas, 'default', n)).status ?? {}) as QuotaStatus;

  test('status.hard and status.used for the limited resources; creates over the quota are refused with Kubernetes\' message', async () => {
    await c.client.create(Resources.resourcequotas, 'default', { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'q' }, spec: { hard: { pods: '2', 'requests.cpu': '1', 'limits.memory': '1Gi', 'count/configmaps': '1' } } });
    let st = await waitFor(async () => { const s = await status('q'); return s.used && s; }, 'status');
    assert.deepEqual(st.hard, { pods: '2', 'requests.cpu': '1', 'limits.memory': '1Gi', 'count/configmaps': '1' });
    assert.deepEqual(st.used, { pods: '0', 'requests.cpu': '0', 'limits.memory': '0', 'count/configmaps': '0' });
    const res = { requests: { cpu: '500m' }, limits: { memory: '256Mi' } };
    await c.client.create(Resources.pods, 'default', pod('p1', res));
    assert.deepEqual((await status('q')).used, { pods: '1', 'requests.cpu': '500m', 'limits.memory': '256Mi', 'count/configmaps': '0' }, 'admission raised used before the pod was stored');
    await c.client.create(Resources.pods, 'default', pod('p2', res));
    await refused(c.client.create(Resources.pods, 'default', pod('p3', res)),
      'pods "p3" is forbidden: exceeded quota: q, requested: pods=1,requests.cpu=500m, used: pods=2,requests.cpu=1, limited: pods=2,requests.cpu=1');
    await refused(c.client.create(Resources.pods, 'default', pod('bare')),
      'pods "bare" is forbidden: failed quota: q: must specify limits.memory for: c; requests.cpu for: c');
    await c.client.create(Resources.configmaps, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm1' } });
    await refused(c.client.create(Resources.configmaps, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm2' } }),
      'configmaps "cm2" is forbidden: exceeded quota: q, requested: count/configmaps=1, used: count/configmaps=1, limited: count/configmaps=1');
    // a dry run is checked but uses nothing
    await c.client.create(Resources.configmaps, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm3' } }, { dryRun: true }).then(() => assert.fail('dry run over quota passed'), () => undefined);
    st = await status('q');
    assert.equal(st.used?.['count/configmaps'], '1');
  });

  test('units come back when pods finish or go away (replenishment)', async () => {
    await c.client.patch(Resources.pods, 'default', 'p1', 'merge', { status: { phase: 'Succeeded' } }, { subresource: 'status' });
    await waitFor(async () => (await status('q')).used?.pods === '1', 'a finished pod uses nothing');
    await c.client.delete(Resources.pods, 'default', 'p2');
    const st = await waitFor(async () => { const s = await status('q'); return s.used?.pods === '0' && s; }, 'a deleted pod gives its units back');
    assert.equal(st.used?.['requests.cpu'], '0');
    await c.client.create(Resources.pods, 'default', pod('p4', { requests: { cpu: '1' }, limits: { memory: '1Gi' } }));
    assert.equal((await status('q')).used?.['requests.cpu'], '1');
  });

  test('scopes: a BestEffort quota counts only pods without requests or limits; scopeSelector on PriorityClass', async () => {
    await c.client.create(Resources.resourcequotas, 'default', { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'be' }, spec: { hard: { pods: '1' }, scopes: ['BestEffort'] } });
    await waitFor(async () => (await status('be')).used?.pods === '0', 'be status');
    assert.equal(quotaMatches({ scopes: ['BestEffort'] }, 'pods', '', pod('x')), true);
    assert.equal(quotaMatches({ scopes: ['BestEffort'] }, 'pods', '', pod('x', { requests: { cpu: '1' } })), false);
    assert.equal(quotaMatches({ scopes: ['NotTerminating'] }, 'pods', '', pod('x', undefined, { activeDeadlineSeconds: 5 })), false);
    assert.equal(quotaMatches({ scopes: ['BestEffort'] }, 'configmaps', '', { metadata: {} }), false);
    const high = { scopeSelector: { matchExpressions: [{ scopeName: 'PriorityClass', operator: 'In', values: ['high'] }] } };
    assert.equal(quotaMatches(high, 'pods', '', pod('x', undefined, { priorityClassName: 'high' })), true);
    assert.equal(quotaMatches(high, 'pods', '', pod('x')), false);
    assert.equal(quotaMatches({ scopeSelector: { matchExpressions: [{ scopeName: 'BestEffort', operator: 'DoesNotExist' }] } }, 'pods', '', pod('x')), false);
  });
});

test('a quota the controller has not seen yet refuses: status unknown', async () => {
  const api = await startTestApi({ clock: new FakeClock() });
  try {
    await api.client.create(Resources.serviceaccounts, 'default', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default' } });
    await api.client.create(Resources.resourcequotas, 'default', { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'fresh' }, spec: { hard: { pods: '5' } } });
    await refused(api.client.create(Resources.pods, 'default', pod('p')), 'pods "p" is forbidden: status unknown for quota: fresh, resource: pods');
    // objects the quota does not limit are not affected
    await api.client.create(Resources.configmaps, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'free' } });
  } finally {
    await api.close();
  }
});
