import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestApi } from '../../testing/test-api.js';
import { Resources } from '../../client/resources.js';
import { FakeClock } from '../../util/clock.js';
import type { KubeObject } from '../../api/object.js';
import { NodeRegistration } from './node-registration.js';
import { NodeLease } from './node-lease.js';

test('node registration: status with the kubelet conditions; reports on change or every 5 minutes; Lease renewed every 10 s', async (t) => {
  const clock = new FakeClock(Date.UTC(2026, 10, 23, 10, 0, 0));
  const api = await startTestApi({ clock });
  const dir = mkdtempSync(join(tmpdir(), 'peapod-node-'));
  t.after(async () => { reg.stop(); lease.stop(); await api.close(); rmSync(dir, { recursive: true, force: true }); });
  let images = [{ names: ['docker.io/library/busybox:1.36'], sizeBytes: 1234 }];
  const reg = new NodeRegistration({
    client: api.client, clock, dataDir: dir, images: async () => images,
    config: { nodeName: 'n1', nodeIp: '192.0.2.7', maxPods: 42, kubeletPort: 10250, kubeletVersion: 'v1.30.0', containerRuntimeVersion: 'peapod://0.1.0', podCidr: '10.202.9.0/24' },
  });
  const lease = new NodeLease(api.client, 'n1', clock, () => reg.uid);
  await reg.register();
  const node = await api.client.get(Resources.nodes, undefined, 'n1') as KubeObject & { spec: Record<string, unknown>; status: Record<string, any> };
  assert.equal(node.metadata.labels!['kubernetes.io/hostname'], 'n1');
  assert.equal(node.spec.podCIDR, '10.202.9.0/24');
  assert.equal(node.status.capacity.pods, '42');
  assert.deepEqual(node.status.conditions.map((c: { type: string }) => c.type), ['MemoryPressure', 'DiskPressure', 'PIDPressure', 'Ready']);
  assert.deepEqual(node.status.daemonEndpoints, { kubeletEndpoint: { Port: 10250 } });
  assert.deepEqual(node.status.images, images);
  assert.equal(node.status.conditions[3].lastHeartbeatTime, '2026-11-23T10:00:00Z');

  reg.start();
  lease.start();
  await waitForCount(() => lease.renewals, 1);
  await clock.advance(10_000);
  await waitForCount(() => lease.renewals, 2);
  const l1 = await api.client.get(Resources.leases, 'kube-node-lease', 'n1') as KubeObject & { spec: { renewTime: string; holderIdentity: string } };
  assert.equal(l1.spec.holderIdentity, 'n1');
  assert.equal(l1.spec.renewTime, '2026-11-23T10:00:10.000000Z');
  assert.equal(l1.metadata.ownerReferences?.[0].uid, node.metadata.uid);
  assert.equal(reg.reports, 1, 'nothing changed: no status write after 10 s');

  images = [...images, { names: ['docker.io/library/registry:2'], sizeBytes: 99 }];
  await clock.advance(10_000);
  await waitForCount(() => reg.reports, 2);
  await clock.advance(4 * 60_000);
  assert.equal(reg.reports, 2);
  await clock.advance(60_000);
  await waitForCount(() => reg.reports, 3);
  const after = await api.client.get(Resources.nodes, undefined, 'n1') as KubeObject & { status: Record<string, any> };
  assert.equal(after.status.conditions[3].lastTransitionTime, '2026-11-23T10:00:00Z', 'Ready never changed');
  assert.notEqual(after.status.conditions[3].lastHeartbeatTime, '2026-11-23T10:00:00Z');
});

async function waitForCount(get: () => number, n: number): Promise<void> {
  const until = Date.now() + 5000;
  while (get() < n) {
    if (Date.now() > until) throw new Error(`count stayed at ${get()}, wanted ${n}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
