import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../api/object.js';
import { Resources } from '../client/resources.js';
import { startTestCluster, waitFor } from './replicaset-testkit.js';
import { startEndpointsController } from './endpoints.js';
import { startEndpointSliceController, SERVICE_NAME_LABEL } from './endpointslice.js';

function pod(name: string, labels: Record<string, string>, port = 8080): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', labels }, spec: { containers: [{ name: 'c', image: 'busybox:1.36', ports: [{ name: 'http', containerPort: port }] }] } };
}

async function runningPod(client: import('../client/types.js').KubeClient, name: string, ip: string, ready: boolean, port = 8080): Promise<void> {
  await client.create(Resources.pods, 'default', pod(name, { app: 'web' }, port));
  await client.create(Resources.pods, 'default', { apiVersion: 'v1', kind: 'Binding', metadata: { name, namespace: 'default' }, target: { kind: 'Node', name: 'node-1' } }, { subresource: 'binding', name });
  await setReady(client, name, ip, ready);
}

async function setReady(client: import('../client/types.js').KubeClient, name: string, ip: string, ready: boolean): Promise<void> {
  await client.patch(Resources.pods, 'default', name, 'merge', { status: { phase: 'Running', podIP: ip, podIPs: [{ ip }], conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] } }, { subresource: 'status' });
}

test('Endpoints and EndpointSlices follow the selected pods, their readiness and named ports', async () => {
  const c = await startTestCluster(({ client, informers, clock }) => [
    startEndpointsController({ client, informers, clock }),
    startEndpointSliceController({ client, informers, clock }),
  ]);
  try {
    const { client } = c;
    await runningPod(client, 'web-a', '10.88.0.2', true);
    await runningPod(client, 'web-b', '10.88.0.3', false);
    await runningPod(client, 'web-c', '10.88.0.4', true, 9090);
    await client.create(Resources.pods, 'default', pod('other', { app: 'db' }));
    await client.create(Resources.services, 'default', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', labels: { team: 'x' } }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] } });

    const ep = await waitFor(async () => {
      const e = await client.get(Resources.endpoints, 'default', 'web').catch(() => undefined);
      const subsets = e?.subsets as { addresses?: { ip: string }[]; notReadyAddresses?: { ip: string }[]; ports: { port: number }[] }[] | undefined;
      return subsets && subsets.length === 2 ? e : undefined;
    }, 'endpoints with two subsets');
    const subsets = ep!.subsets as { addresses?: { ip: string; nodeName?: string; targetRef: { name: string } }[]; notReadyAddresses?: { ip: string }[]; ports: { name: string; port: number; protocol: string }[] }[];
    const s8080 = subsets.find((s) => s.ports[0].port === 8080)!;
    const s9090 = subsets.find((s) => s.ports[0].port === 9090)!;
    assert.deepEqual(s8080.addresses?.map((a) => a.ip), ['10.88.0.2']);
    assert.equal(s8080.addresses?.[0].nodeName, 'node-1');
    assert.equal(s8080.addresses?.[0].targetRef.name, 'web-a');
    assert.deepEqual(s8080.notReadyAddresses?.map((a) => a.ip), ['10.88.0.3']);
    assert.deepEqual(s8080.ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
    assert.deepEqual(s9090.addresses?.map((a) => a.ip), ['10.88.0.4']);
    assert.equal(ep!.metadata.labels?.team, 'x');

    const slices = await waitFor(async () => {
      const l = (await client.list(Resources.endpointslices, 'default', { labelSelector: `${SERVICE_NAME_LABEL}=web` })).items;
      return l.length === 2 ? l : undefined;
    }, 'two endpoint slices');
    const all = slices.flatMap((s) => (s.endpoints as { addresses: string[]; conditions: { ready: boolean } }[]).map((e) => `${e.addresses[0]}:${e.conditions.ready}`)).sort();
    assert.deepEqual(all, ['10.88.0.2:true', '10.88.0.3:false', '10.88.0.4:true']);
    assert.equal(slices[0].metadata.ownerReferences?.[0].kind, 'Service');
    assert.equal(slices[0].addressType, 'IPv4');

    // readiness changes move the address
    await setReady(client, 'web-b', '10.88.0.3', true);
    await waitFor(async () => {
      const e = await client.get(Resources.endpoints, 'default', 'web');
      const s = (e.subsets as { addresses?: { ip: string }[]; ports: { port: number }[] }[]).find((x) => x.ports[0].port === 8080);
      return s?.addresses?.length === 2;
    }, 'web-b ready in endpoints');

    // a deleted service takes its endpoints and slices with it
    await client.delete(Resources.services, 'default', 'web');
    await waitFor(async () => (await client.get(Resources.endpoints, 'default', 'web').then(() => false, () => true)), 'endpoints deleted');
    await waitFor(async () => (await client.list(Resources.endpointslices, 'default')).items.length === 0, 'slices deleted');
  } finally {
    await c.stop();
  }
});
