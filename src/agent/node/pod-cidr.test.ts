/** An agent without --pod-cidr registers its Node and takes the podCIDR the node IPAM controller gives it. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestApi } from '../../testing/test-api.js';
import { SharedInformers } from '../../client/shared-informers.js';
import { Resources } from '../../client/resources.js';
import { startNodeIpamController } from '../../controllers/node-ipam.js';
import { awaitNodePodCidr } from './pod-cidr.js';

const config = (nodeName: string) => ({ nodeName, nodeIp: '10.207.0.2', maxPods: 110, kubeletPort: 10250, kubeletVersion: 'v1.30.0', containerRuntimeVersion: 'peapod://0.1.0' });

test('awaitNodePodCidr: registers the Node, resolves with the allocated podCIDR; an existing podCIDR at once; bounded', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'peapod-podcidr-'));
  const api = await startTestApi();
  const informers = new SharedInformers(api.client);
  let ipam: { stop(): Promise<void> } | undefined;
  t.after(async () => { informers.stop(); await ipam?.stop(); await api.close(); rmSync(dir, { recursive: true, force: true }); });
  // no controller yet: the wait is bounded and says why
  await assert.rejects(awaitNodePodCidr({ client: api.client, config: config('early'), dataDir: dir, timeoutMs: 300 }), /got no spec\.podCIDR/);
  const node = await api.client.get(Resources.nodes, undefined, 'early');
  assert.equal(node.metadata.labels?.['kubernetes.io/hostname'], 'early', 'registered as the agent would');
  assert.equal((node.status as { conditions?: unknown } | undefined)?.conditions, undefined, 'no status yet (not schedulable before the agent runs)');

  const waiting = awaitNodePodCidr({ client: api.client, config: config('n1'), dataDir: dir, timeoutMs: 10_000 });
  ipam = startNodeIpamController({ client: api.client, informers, clusterCidr: '10.42.0.0/16' });
  await informers.start();
  const got = await waiting;
  assert.match(got, /^10\.42\.[01]\.0\/24$/);
  // again (an agent restart): the same podCIDR, from the existing Node
  assert.equal(await awaitNodePodCidr({ client: api.client, config: config('n1'), dataDir: dir, timeoutMs: 10_000 }), got);
  const early = await awaitNodePodCidr({ client: api.client, config: config('early'), dataDir: dir, timeoutMs: 10_000 });
  assert.notEqual(early, got);
});
