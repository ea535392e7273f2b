/**
 * The proxy's nftables program loaded into a real (test-named) table and read back with
 * `nft -j list table`: what one service produces, and that every incremental step applies cleanly
 * and leaves no stale chain, set or element. Run as root.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { runCommand } from '../../runtime/oci/run-command.js';
import { baseRules, chainId, installBaseRules, removeServiceRules, serviceRules, type ProxyConfig, type ProxyServicePort } from './nft-rules.js';
import { deleteTable, readTable, tableExists } from './nft-test-util.js';

const isRoot = process.getuid?.() === 0;
const table = `pp_rules_${process.pid}`;
const c: ProxyConfig = { table, serviceCidr: '10.206.0.0/16', podCidr: '10.205.7.0/24', podInterface: 'pptestbr7' };
const nft = (script: string) => runCommand('nft', ['-f', '-'], { input: script });

after(async () => { if (isRoot && await tableExists(table)) await deleteTable(table); });

const web: ProxyServicePort = {
  id: 'default/web:http:TCP', clusterIP: '10.206.0.5', port: 80, nodePort: 30080, protocol: 'TCP',
  endpoints: [{ ip: '10.205.7.2', port: 8080 }, { ip: '10.205.7.3', port: 8080 }],
};

test('base table: maps, hooks, masquerade and the reject chains', { skip: !isRoot }, async () => {
  await nft(installBaseRules(c));
  const t = await readTable(table);
  assert.deepEqual(Object.keys(t.maps).sort(), ['no_endpoint_node_ports', 'no_endpoint_services', 'node_ports', 'service_ips']);
  assert.deepEqual(t.sets, {});
  assert.deepEqual(t.chains.prerouting, ['iifname "pptestbr7" jump services', 'iifname != "pptestbr7" ip daddr != 10.206.0.0/16 jump services', 'jump node_port_services']);
  assert.deepEqual(t.chains.output, ['jump services', 'jump node_port_services']);
  assert.deepEqual(t.chains.services, ['ip daddr . meta l4proto . th dport vmap @service_ips']);
  assert.deepEqual(t.chains.postrouting, [
    'meta mark & 0x00004000 == 0x00004000 meta mark set meta mark & 0xffffbfff masquerade',
    'ip saddr 127.0.0.0/8 ct status dnat masquerade',
  ]);
  assert.deepEqual(t.chains.reject_unserved, ['ip daddr 10.206.0.0/16 reject with tcp reset', 'ip daddr 10.206.0.0/16 reject']);
  assert.deepEqual(t.chains.reject_unserved_fwd, t.chains.reject_unserved);
  assert.deepEqual(t.chains.endpoint_check_out, ['ip daddr . meta l4proto . th dport vmap @no_endpoint_services']);
  assert.deepEqual(t.chains.endpoint_check_fwd, t.chains.endpoint_check_out);
  assert.deepEqual(t.chains.endpoint_check_in, ['ip daddr . meta l4proto . th dport vmap @no_endpoint_services', 'fib daddr type local meta l4proto . th dport vmap @no_endpoint_node_ports']);
  // the no-endpoint verdicts come before any service-CIDR reject (this table's or another proxy's)
  const listing = (await runCommand('nft', ['list', 'table', 'ip', table])).stdout;
  assert.match(listing, /chain endpoint_check_out \{\s+type filter hook output priority -99;/);
  assert.match(listing, /chain endpoint_check_fwd \{\s+type filter hook forward priority -110;/);
  assert.match(listing, /chain endpoint_check_in \{\s+type filter hook input priority -110;/);
  assert.match(listing, /chain reject_unserved_fwd \{\s+type filter hook forward priority filter;/);
  assert.deepEqual(t.chains.reject_service, ['reject with tcp reset', 'reject']);
  // installing again replaces the table in one transaction (idempotent start after a crash)
  await nft(installBaseRules(c));
  assert.deepEqual(await readTable(table), t);
});

test('one service port: vmap elements, one chain with the hairpin mark and a random DNAT map', { skip: !isRoot }, async () => {
  await nft(installBaseRules(c));
  await nft(serviceRules(c, web));
  const t = await readTable(table);
  const id = chainId(web.id);
  assert.deepEqual(t.maps.service_ips, [`10.206.0.5 . tcp . 80 : goto svc-${id}`]);
  assert.deepEqual(t.maps.node_ports, [`tcp . 30080 : goto ext-${id}`]);
  // externalTrafficPolicy Cluster: NodePort traffic is masqueraded (the endpoint may be on another node)
  assert.deepEqual(t.chains[`ext-${id}`], ['meta mark set meta mark | 0x00004000', `goto svc-${id}`]);
  assert.deepEqual(t.chains[`svc-${id}`], [
    'ip saddr { 10.205.7.2, 10.205.7.3 } meta mark set meta mark | 0x00004000',
    'meta l4proto tcp dnat ip to numgen random mod 2 map { 0 : 10.205.7.2 . 8080, 1 : 10.205.7.3 . 8080 }',
  ]);
  assert.deepEqual(Object.keys(t.chains).filter((k) => k.startsWith('ep-')), [], 'no per-endpoint chains without affinity');
  // one endpoint: a plain DNAT
  await nft(serviceRules(c, { ...web, endpoints: [web.endpoints[0]] }, web));
  assert.deepEqual((await readTable(table)).chains[`svc-${id}`], ['ip saddr 10.205.7.2 meta mark set meta mark | 0x00004000', 'meta l4proto tcp dnat to 10.205.7.2:8080']);
});

test('sessionAffinity ClientIP: one timeout set per endpoint, consulted before the random pick', { skip: !isRoot }, async () => {
  await nft(installBaseRules(c));
  const p = { ...web, sessionAffinityClientIP: true, affinityTimeoutSeconds: 60 };
  await nft(serviceRules(c, p));
  const id = chainId(p.id);
  const t = await readTable(table);
  assert.deepEqual(t.chains[`svc-${id}`], [
    `ip saddr @aff-${id}-0 goto ep-${id}-0`,
    `ip saddr @aff-${id}-1 goto ep-${id}-1`,
    `numgen random mod 2 vmap { 0 : goto ep-${id}-0, 1 : goto ep-${id}-1 }`,
  ]);
  assert.deepEqual(t.chains[`ep-${id}-0`], ['ip saddr 10.205.7.2 meta mark set meta mark | 0x00004000', `update @aff-${id}-0 { ip saddr }`, 'meta l4proto tcp dnat to 10.205.7.2:8080']);
  const list = (await runCommand('nft', ['list', 'set', 'ip', table, `aff-${id}-0`])).stdout;
  assert.match(list, /flags dynamic,timeout/);
  assert.match(list, /timeout 1m/);
});

test('incremental steps apply cleanly and leave nothing stale; removal restores the base table', { skip: !isRoot }, async () => {
  await nft(installBaseRules(c));
  const base = await readTable(table);
  const other: ProxyServicePort = { id: 'kube-system/kube-dns:dns:UDP', clusterIP: '10.206.0.10', port: 53, protocol: 'UDP', endpoints: [{ ip: '10.205.7.1', port: 53 }] };
  await nft(serviceRules(c, other));
  const otherId = chainId(other.id);
  const steps: ProxyServicePort[] = [
    { ...web, endpoints: [...web.endpoints, { ip: '10.205.7.4', port: 8080 }], sessionAffinityClientIP: true, affinityTimeoutSeconds: 30 },
    { ...web, endpoints: [{ ip: '10.205.7.9', port: 8080 }], sessionAffinityClientIP: true, affinityTimeoutSeconds: 40 }, // fewer endpoints, new timeout
    { ...web, endpoints: [{ ip: '10.205.7.9', port: 8080 }] }, // affinity off
    { ...web, endpoints: [] }, // no ready endpoint: NodePort rejected, ClusterIP falls to the CIDR reject
    { ...web, clusterIP: '10.206.0.6', nodePort: 30081, endpoints: [{ ip: '10.205.7.2', port: 9090 }, { ip: '10.205.7.3', port: 9090 }] },
    { ...web, clusterIP: '10.206.0.6', nodePort: undefined, endpoints: [{ ip: '10.205.7.2', port: 9090 }] },
    { ...web, clusterIP: '10.206.0.6', endpoints: [{ ip: '10.205.7.2', port: 9090 }, { ip: '10.205.7.5', port: 9090 }], sessionAffinityClientIP: true, affinityTimeoutSeconds: 50 }, // affinity on again
  ];
  let prev: ProxyServicePort | undefined;
  const id = chainId(web.id);
  for (const step of steps) {
    const script = serviceRules(c, step, prev);
    assert.ok(!script.includes(otherId), 'a service transaction never touches another service');
    await nft(script);
    const t = await readTable(table);
    const n = step.endpoints.length;
    // exactly the endpoint chains and affinity sets of this step
    assert.deepEqual(Object.keys(t.chains).filter((k) => k.startsWith(`ep-${id}-`)).sort(), step.sessionAffinityClientIP ? step.endpoints.map((_, i) => `ep-${id}-${i}`).sort() : []);
    assert.equal(t.chains[`svc-${id}`]?.length, n === 0 ? undefined : step.sessionAffinityClientIP ? n + 1 : 2);
    assert.equal(t.chains[`ext-${id}`]?.length, n && step.nodePort ? 2 : undefined);
    assert.deepEqual(Object.keys(t.sets).filter((k) => k.startsWith(`aff-${id}-`)).sort(), step.sessionAffinityClientIP ? step.endpoints.map((_, i) => `aff-${id}-${i}`).sort() : []);
    assert.deepEqual(t.maps.service_ips, [`10.206.0.10 . udp . 53 : goto svc-${otherId}`, ...(n && step.clusterIP ? [`${step.clusterIP} . tcp . 80 : goto svc-${id}`] : [])].sort());
    assert.deepEqual(t.maps.node_ports, n && step.nodePort ? [`tcp . ${step.nodePort} : goto ext-${id}`] : []);
    assert.deepEqual(t.maps.no_endpoint_node_ports, !n && step.nodePort ? [`tcp . ${step.nodePort} : goto reject_service`] : []);
    if (step.sessionAffinityClientIP) assert.match((await runCommand('nft', ['list', 'set', 'ip', table, `aff-${id}-0`])).stdout, new RegExp(`timeout ${step.affinityTimeoutSeconds}s`));
    prev = step;
  }
  await nft(removeServiceRules(c, prev!));
  await nft(removeServiceRules(c, other));
  assert.deepEqual(await readTable(table), base);
});

test('traffic policies Local and externalIPs: local chain, external chain, drop without local endpoints', { skip: !isRoot }, async () => {
  await nft(installBaseRules(c));
  const base = await readTable(table);
  const p: ProxyServicePort = {
    ...web, externalIPs: ['192.0.2.7'], internalLocal: true, externalLocal: true,
    endpoints: [{ ip: '10.205.7.2', port: 8080 }, { ip: '10.205.7.3', port: 8080, local: true }, { ip: '10.205.7.4', port: 8080, local: true }],
  };
  const id = chainId(p.id);
  await nft(serviceRules(c, p));
  let t = await readTable(table);
  // ClusterIP → the local chain; externalIP and NodePort → the external chain
  assert.deepEqual(t.maps.service_ips, [`10.206.0.5 . tcp . 80 : goto loc-${id}`, `192.0.2.7 . tcp . 80 : goto ext-${id}`]);
  assert.deepEqual(t.maps.node_ports, [`tcp . 30080 : goto ext-${id}`]);
  assert.deepEqual(t.maps.no_endpoint_services, []);
  assert.deepEqual(t.chains[`loc-${id}`], [
    'ip saddr { 10.205.7.3, 10.205.7.4 } meta mark set meta mark | 0x00004000',
    'meta l4proto tcp dnat ip to numgen random mod 2 map { 0 : 10.205.7.3 . 8080, 1 : 10.205.7.4 . 8080 }',
  ]);
  assert.equal(t.chains[`svc-${id}`].length, 2, 'the cluster chain serves the short-circuited pod and node traffic');
  assert.deepEqual(t.chains[`ext-${id}`], [
    `ip saddr 10.205.7.0/24 goto svc-${id}`,
    `fib saddr type local meta mark set meta mark | 0x00004000 goto svc-${id}`,
    `goto loc-${id}`,
  ]);

  // no endpoint on this node: ClusterIP and external traffic dropped, the node's own pods still served
  const remote: ProxyServicePort = { ...p, endpoints: [{ ip: '10.205.7.2', port: 8080 }] };
  await nft(serviceRules(c, remote, p));
  t = await readTable(table);
  assert.deepEqual(t.maps.service_ips, [`192.0.2.7 . tcp . 80 : goto ext-${id}`]);
  assert.deepEqual(t.maps.no_endpoint_services, ['10.206.0.5 . tcp . 80 : drop', '192.0.2.7 . tcp . 80 : drop']);
  assert.deepEqual(t.maps.no_endpoint_node_ports, ['tcp . 30080 : drop']);
  assert.equal(t.chains[`loc-${id}`], undefined);
  assert.deepEqual(t.chains[`ext-${id}`], [`ip saddr 10.205.7.0/24 goto svc-${id}`, `fib saddr type local meta mark set meta mark | 0x00004000 goto svc-${id}`]);

  // no endpoint at all: external destinations rejected, the ClusterIP left to the service CIDR reject
  const none: ProxyServicePort = { ...p, endpoints: [] };
  await nft(serviceRules(c, none, remote));
  t = await readTable(table);
  assert.deepEqual(t.maps.service_ips, []);
  assert.deepEqual(t.maps.no_endpoint_services, ['192.0.2.7 . tcp . 80 : goto reject_service']);
  assert.deepEqual(t.maps.no_endpoint_node_ports, ['tcp . 30080 : goto reject_service']);
  assert.deepEqual(Object.keys(t.chains).filter((k) => k.endsWith(id)), []);

  // internal Local only, with ClientIP affinity: endpoint chains only for the local endpoints, no cluster chain
  const aff: ProxyServicePort = { ...p, nodePort: undefined, externalIPs: undefined, externalLocal: undefined, sessionAffinityClientIP: true, affinityTimeoutSeconds: 30 };
  await nft(serviceRules(c, aff, none));
  t = await readTable(table);
  assert.deepEqual(Object.keys(t.chains).filter((k) => k.endsWith(id) || k.includes(`-${id}-`)).sort(), [`ep-${id}-1`, `ep-${id}-2`, `loc-${id}`]);
  assert.deepEqual(t.chains[`loc-${id}`], [
    `ip saddr @aff-${id}-1 goto ep-${id}-1`, `ip saddr @aff-${id}-2 goto ep-${id}-2`,
    `numgen random mod 2 vmap { 0 : goto ep-${id}-1, 1 : goto ep-${id}-2 }`,
  ]);
  assert.deepEqual(Object.keys(t.sets).sort(), [`aff-${id}-1`, `aff-${id}-2`]);
  // back to Cluster policies: every endpoint gets its chain, the local ones are gone
  const cluster: ProxyServicePort = { ...aff, internalLocal: undefined };
  await nft(serviceRules(c, cluster, aff));
  t = await readTable(table);
  assert.deepEqual(Object.keys(t.chains).filter((k) => k.endsWith(id) || k.includes(`-${id}-`)).sort(), [`ep-${id}-0`, `ep-${id}-1`, `ep-${id}-2`, `svc-${id}`]);
  assert.deepEqual(t.maps.service_ips, [`10.206.0.5 . tcp . 80 : goto svc-${id}`]);
  await nft(removeServiceRules(c, cluster));
  assert.deepEqual(await readTable(table), base);
  // removal of a port in each state restores the base table too
  for (const step of [p, remote, none, aff]) {
    await nft(serviceRules(c, step));
    await nft(removeServiceRules(c, step));
    assert.deepEqual(await readTable(table), base);
  }
});

test('a local-only (terminating) endpoint: in the local chain, never in the cluster chain; affinity chains for both sets', { skip: !isRoot }, async () => {
  await nft(installBaseRules(c));
  const base = await readTable(table);
  // this node's only endpoint is draining while another node has a ready one
  const p: ProxyServicePort = {
    ...web, internalLocal: true, externalLocal: true,
    endpoints: [{ ip: '10.205.7.2', port: 8080 }, { ip: '10.205.7.3', port: 8080, local: true, localOnly: true }],
  };
  const id = chainId(p.id);
  await nft(serviceRules(c, p));
  let t = await readTable(table);
  assert.deepEqual(t.maps.service_ips, [`10.206.0.5 . tcp . 80 : goto loc-${id}`]);
  assert.deepEqual(t.maps.no_endpoint_services, []);
  assert.deepEqual(t.chains[`loc-${id}`], ['ip saddr 10.205.7.3 meta mark set meta mark | 0x00004000', 'meta l4proto tcp dnat to 10.205.7.3:8080']);
  assert.deepEqual(t.chains[`svc-${id}`], ['ip saddr 10.205.7.2 meta mark set meta mark | 0x00004000', 'meta l4proto tcp dnat to 10.205.7.2:8080']);
  const aff: ProxyServicePort = { ...p, sessionAffinityClientIP: true };
  await nft(serviceRules(c, aff, p));
  t = await readTable(table);
  assert.deepEqual(t.chains[`svc-${id}`], [`ip saddr @aff-${id}-0 goto ep-${id}-0`, `numgen random mod 1 vmap { 0 : goto ep-${id}-0 }`]);
  assert.deepEqual(t.chains[`loc-${id}`], [`ip saddr @aff-${id}-1 goto ep-${id}-1`, `numgen random mod 1 vmap { 0 : goto ep-${id}-1 }`]);
  // the endpoint is gone: back to "none on this node" (dropped), nothing stale
  const remote: ProxyServicePort = { ...aff, endpoints: [{ ip: '10.205.7.2', port: 8080 }] };
  await nft(serviceRules(c, remote, aff));
  t = await readTable(table);
  assert.deepEqual(t.maps.no_endpoint_services, ['10.206.0.5 . tcp . 80 : drop']);
  assert.deepEqual(Object.keys(t.sets), [`aff-${id}-0`]);
  await nft(removeServiceRules(c, remote));
  assert.deepEqual(await readTable(table), base);
});

test('rules are plain text nft accepts without a table present only after the base (no partial programs)', { skip: !isRoot }, async () => {
  await deleteTable(table);
  const r = await runCommand('nft', ['-f', '-'], { input: serviceRules(c, web), check: false });
  assert.notEqual(r.code, 0);
  assert.equal(await tableExists(table), false, 'a failed transaction leaves nothing behind');
  assert.ok(baseRules(c).startsWith(`table ip ${table} {`));
});
