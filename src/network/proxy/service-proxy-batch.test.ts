/**
 * The ServiceProxy's programming discipline on real nftables (no traffic): changes that arrive
 * together go out as one transaction, a change touches only its own service, a failed transaction
 * leads to a rebuild of the whole table, and start/stop install and remove the table. Run as root.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Resources } from '../../client/resources.js';
import { startTestApi } from '../../testing/test-api.js';
import { runCommand } from '../../runtime/oci/run-command.js';
import { ServiceProxy, type SyncInfo } from './service-proxy.js';
import { chainId } from './nft-rules.js';
import { deleteTable, readTable, tableExists } from './nft-test-util.js';

const isRoot = process.getuid?.() === 0;
const table = `pp_batch_${process.pid}`;
after(async () => { if (isRoot && await tableExists(table)) await deleteTable(table); });

test('batched, per-service transactions; a failed one triggers a full rebuild', { skip: !isRoot }, async () => {
  const api = await startTestApi({ serviceCIDR: '10.206.0.0/16' });
  const scripts: string[] = [];
  const syncs: SyncInfo[] = [];
  let failNext = false;
  const proxy = new ServiceProxy({
    client: api.client, table, serviceCidr: '10.206.0.0/16', podCidr: '10.205.9.0/24', batchMs: 50,
    nft: async (s) => {
      scripts.push(s);
      if (failNext) { failNext = false; throw new Error('injected nft failure'); }
      await runCommand('nft', ['-f', '-'], { input: s });
    },
    onSync: (s) => syncs.push(s),
  });
  try {
    await api.client.create(Resources.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } }).catch(() => undefined);
    await proxy.start();
    assert.ok(await tableExists(table));
    const c = api.client;
    const slice = (name: string, ips: string[]) => ({
      apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
      metadata: { name: `${name}-x`, labels: { 'kubernetes.io/service-name': name } },
      addressType: 'IPv4', ports: [{ port: 8080, protocol: 'TCP' }],
      endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
    });
    const N = 30;
    await Promise.all(Array.from({ length: N }, async (_, i) => {
      await c.create(Resources.services, 'default', { apiVersion: 'v1', kind: 'Service', metadata: { name: `s${i}` }, spec: { ports: [{ port: 80 }] } });
      await c.create(Resources.endpointslices, 'default', slice(`s${i}`, [`10.205.9.${10 + i}`]));
    }));
    const until = Date.now() + 10_000;
    while (proxy.programmedPorts().filter((p) => p.endpoints.length === 1).length < N) {
      assert.ok(Date.now() < until, 'services not programmed');
      await new Promise((r) => setTimeout(r, 20));
    }
    await proxy.synced();
    assert.ok(syncs.length < N, `${N} services × 2 objects arriving together took ${syncs.length} transactions`);
    assert.equal((await readTable(table)).maps.service_ips.length, N);

    // one service changes: its transaction names only its own chains
    const before = scripts.length;
    const cur = await c.get(Resources.endpointslices, 'default', 's7-x');
    await c.update(Resources.endpointslices, 'default', { ...slice('s7', ['10.205.9.100', '10.205.9.101']), metadata: { ...slice('s7', []).metadata, resourceVersion: cur.metadata.resourceVersion } });
    while (!proxy.programmedPorts().some((p) => p.id === 'default/s7::TCP' && p.endpoints.length === 2)) {
      assert.ok(Date.now() < until + 10_000, 's7 not reprogrammed');
      await new Promise((r) => setTimeout(r, 20));
    }
    const mine = scripts.slice(before).join('');
    const ids = new Set([...mine.matchAll(/(?:svc|ep)-([0-9a-z]+)/g)].map((m) => m[1]));
    assert.deepEqual([...ids], [chainId('default/s7::TCP')]);

    // a failed transaction: the model stays as it was, the table is rebuilt in one go, all services back
    failNext = true;
    const cur2 = await c.get(Resources.endpointslices, 'default', 's8-x');
    await c.update(Resources.endpointslices, 'default', { ...slice('s8', ['10.205.9.200']), metadata: { ...slice('s8', []).metadata, resourceVersion: cur2.metadata.resourceVersion } });
    while (!syncs.some((s) => s.full)) {
      assert.ok(Date.now() < until + 20_000, 'no full rebuild after a failed transaction');
      await new Promise((r) => setTimeout(r, 20));
    }
    await proxy.synced();
    const t = await readTable(table);
    assert.equal(t.maps.service_ips.length, N);
    assert.deepEqual(t.chains[`svc-${chainId('default/s8::TCP')}`].at(-1), 'meta l4proto tcp dnat to 10.205.9.200:8080');
    assert.deepEqual(t.chains[`svc-${chainId('default/s7::TCP')}`].at(-1), 'meta l4proto tcp dnat ip to numgen random mod 2 map { 0 : 10.205.9.100 . 8080, 1 : 10.205.9.101 . 8080 }');
  } finally {
    await proxy.stop();
    await api.close();
  }
  assert.equal(await tableExists(table), false, 'stop() removes the table');
});
