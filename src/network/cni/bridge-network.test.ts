/**
 * CNI plugins called for real, as root, against network namespaces made here; a test-only bridge
 * and 10.201.N.0/24 subnet. Namespaces, the bridge, the guard table and any nftables table that
 * iptables-nft (portmap) created for this test are removed afterwards, also on failure.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BridgeNetwork } from './bridge-network.js';
import { guardInstalled, guardTableName } from './traffic-guard.js';
import { pinNamespaces, releaseNamespace } from '../../runtime/oci/namespaces.js';
import { runCommand } from '../../runtime/oci/run-command.js';
import { isRoot, pollUntil, removeTestDir } from '../../runtime/oci/test-fixtures.js';
import { reserveTestSubnet, RUNTIME_TEST_NETS, type TestSubnet } from '../../testing/test-subnets.js';

const skip = isRoot ? false : 'needs root';

function nftTables(): Set<string> {
  return new Set(execFileSync('nft', ['list', 'tables'], { encoding: 'utf8' }).split('\n').filter(Boolean));
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/** Runs host busybox inside a pinned netns. */
function inNetns(ns: string, args: string[]) {
  return runCommand('nsenter', [`--net=${ns}`, '/bin/busybox', ...args], { check: false });
}

describe('BridgeNetwork (CNI bridge + host-local + loopback + portmap)', { skip }, () => {
  let work: string;
  let net: BridgeNetwork;
  let bridge: string;
  let subnetPrefix: string;
  let testNet: TestSubnet;
  let tablesBefore: Set<string>;
  const namespaces: string[] = [];

  before(() => {
    work = mkdtempSync(join(tmpdir(), 'peapod-cni-'));
    testNet = reserveTestSubnet(RUNTIME_TEST_NETS);
    bridge = testNet.bridge;
    subnetPrefix = testNet.prefix;
    tablesBefore = nftTables();
    net = new BridgeNetwork({ dataDir: join(work, 'ipam'), bridge, subnet: testNet.subnet, serviceCidr: '10.202.0.0/16', networkName: `ct-${process.pid}` });
  });

  after(async () => {
    for (const ns of namespaces) {
      await net.detach(`pod-${ns.split('/').pop()}`, ns).catch(() => undefined);
      await releaseNamespace(ns);
    }
    await net.teardown();
    testNet.release();
    // Tables iptables-nft made for portmap's chains in this test (only those that did not exist before).
    for (const t of nftTables()) {
      if (!tablesBefore.has(t) && /^table (ip|ip6) (nat|filter)$/.test(t)) execFileSync('nft', ['delete', 'table', ...t.split(' ').slice(1)]);
    }
    removeTestDir(work);
  });

  async function netns(name: string): Promise<string> {
    const file = join(work, 'ns', name);
    namespaces.push(file);
    await pinNamespaces({ net: file }, name);
    return file;
  }

  test('two pods get different IPs on the bridge and reach each other; DEL is idempotent', async () => {
    const a = await netns('a');
    const b = await netns('b');
    // As the node services do before any pod (DNS on the gateway): the bridge plugin then finds
    // its address in place and leaves the bridge MAC unpinned; the network pins it.
    await runCommand('ip', ['link', 'add', bridge, 'type', 'bridge']);
    await runCommand('ip', ['addr', 'add', `${testNet.gateway}/24`, 'dev', bridge]);
    const ra = await net.attach('pod-a', a);
    const sys = (f: string) => readFileSync(`/sys/class/net/${bridge}/${f}`, 'utf8').trim();
    const gatewayMac = sys('address');
    assert.equal(sys('addr_assign_type'), '3', 'the bridge MAC is pinned (set explicitly) at the first attach');
    const rb = await net.attach('pod-b', b);
    assert.equal(sys('address'), gatewayMac, 'a second pod does not move the gateway MAC');
    assert.ok(ra.ip.startsWith(subnetPrefix), ra.ip);
    assert.ok(rb.ip.startsWith(subnetPrefix), rb.ip);
    assert.notEqual(ra.ip, rb.ip);
    const ping = await inNetns(a, ['ping', '-c', '1', '-W', '3', rb.ip]);
    assert.equal(ping.code, 0, ping.stdout + ping.stderr);
    const lo = await inNetns(a, ['ping', '-c', '1', '-W', '3', '127.0.0.1']);
    assert.equal(lo.code, 0, 'loopback is up');
    const ipamDir = join(work, 'ipam', `ct-${process.pid}`);
    assert.ok(readdirSync(ipamDir).includes(rb.ip));

    await net.detach('pod-b', b, [], rb.result);
    await net.detach('pod-b', b, [], rb.result); // again
    assert.ok(!readdirSync(ipamDir).includes(rb.ip), 'IP released');
    // After the netns is gone.
    await releaseNamespace(a);
    assert.equal(existsSync(a), false);
    await net.detach('pod-a', a, [], ra.result);
    assert.ok(!readdirSync(ipamDir).includes(ra.ip), 'IP released after the netns was gone');
  });

  test('the guard rejects a pod\'s packet to an outside address at once', async (t) => {
    const c = await netns('c');
    const rc = await net.attach('pod-c', c);
    // The reject is in place before any packet is sent.
    assert.equal(await guardInstalled(bridge), true);
    const before = execFileSync('nft', ['list', 'table', 'inet', guardTableName(bridge)], { encoding: 'utf8' });
    assert.match(before, /ip saddr 10\.201\.\d+\.0\/24 meta l4proto tcp counter packets 0 bytes 0 reject with tcp reset/);
    const started = Date.now();
    const r = await inNetns(c, ['timeout', '5', 'wget', '-qO-', 'http://192.0.2.1/']);
    const elapsed = Date.now() - started;
    t.diagnostic(`outside packet: ${r.stderr.trim()} after ${elapsed} ms`);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Connection refused/, r.stderr);
    assert.ok(elapsed < 1000, `took ${elapsed} ms: not an immediate reject`);
    const afterList = execFileSync('nft', ['list', 'table', 'inet', guardTableName(bridge)], { encoding: 'utf8' });
    // The reset came from the guard on this host (its counter), not from anything outside.
    assert.match(afterList, /ip saddr 10\.201\.\d+\.0\/24 meta l4proto tcp counter packets [1-9]\d* bytes \d+ reject with tcp reset/);
    // Anything else (here a DNS query over UDP) is rejected by the ICMP rule.
    await inNetns(c, ['timeout', '3', 'nslookup', 'example.com', '192.0.2.1']);
    const udpList = execFileSync('nft', ['list', 'table', 'inet', guardTableName(bridge)], { encoding: 'utf8' });
    assert.match(udpList, /ip saddr 10\.201\.\d+\.0\/24 counter packets [1-9]\d* bytes \d+ reject with icmpx admin-prohibited/);
    // The gateway (the bridge's own address) stays reachable.
    const gw = await inNetns(c, ['ping', '-c', '1', '-W', '3', net.gateway]);
    assert.equal(gw.code, 0);
    await net.detach('pod-c', c, [], rc.result);
  });

  test('hostPort through portmap reaches the pod from the host', async (t) => {
    const d = await netns('d');
    const hostPort = await freePort();
    const ports = [{ hostPort, containerPort: 8080, protocol: 'TCP' as const }];
    const rd = await net.attach('pod-d', d, ports);
    t.after(() => net.detach('pod-d', d, ports, rd.result));
    const www = join(work, 'www');
    execFileSync('mkdir', ['-p', www]);
    execFileSync('sh', ['-c', `echo via-hostport > ${www}/index.html`]);
    const httpd = spawn('nsenter', [`--net=${d}`, '/bin/busybox', 'httpd', '-f', '-p', '8080', '-h', www], { stdio: 'ignore' });
    t.after(() => { httpd.kill('SIGKILL'); });
    const body = await pollUntil(async () => {
      const r = await runCommand('/bin/busybox', ['timeout', '5', 'wget', '-qO-', `http://127.0.0.1:${hostPort}/`], { check: false });
      return r.code === 0 ? r.stdout : undefined;
    }, 'the hostPort to answer');
    assert.equal(body, 'via-hostport\n');
    const direct = await runCommand('/bin/busybox', ['timeout', '5', 'wget', '-qO-', `http://${rd.ip}:8080/`], { check: false });
    assert.equal(direct.stdout, 'via-hostport\n');
  });

  test('teardown removes the guard table and the bridge', async (t) => {
    const extraNet = reserveTestSubnet(RUNTIME_TEST_NETS);
    const extra = new BridgeNetwork({ dataDir: join(work, 'ipam2'), bridge: extraNet.bridge, subnet: extraNet.subnet });
    t.after(async () => { await extra.teardown(); extraNet.release(); });
    await extra.setup();
    assert.equal(await guardInstalled(extra.bridge), true);
    await extra.teardown();
    assert.equal(await guardInstalled(extra.bridge), false);
    await extra.teardown(); // idempotent
  });
});
