import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { runCommand } from '../../runtime/oci/run-command.js';
import { reserveTestSubnet, RUNTIME_TEST_NETS } from '../../testing/test-subnets.js';
import { pinBridgeMac, randomMac } from './bridge-mac.js';

const isRoot = process.getuid?.() === 0;
const ip = (...args: string[]) => runCommand('ip', args);
const mac = (dev: string) => readFileSync(`/sys/class/net/${dev}/address`, 'utf8').trim();
const assignType = (dev: string) => readFileSync(`/sys/class/net/${dev}/addr_assign_type`, 'utf8').trim();

test('randomMac: locally administered unicast', () => {
  for (let i = 0; i < 50; i++) {
    const m = randomMac();
    assert.match(m, /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
    assert.equal(parseInt(m.slice(0, 2), 16) & 0x03, 0x02);
  }
});

test('a pinned bridge keeps its MAC when a port with a lower MAC joins (unpinned, it takes that port\'s MAC)', { skip: !isRoot }, async (t) => {
  const net = reserveTestSubnet(RUNTIME_TEST_NETS);
  const br = net.bridge;
  const ports = ['a', 'b', 'c'].map((x) => `${br}${x}`);
  t.after(async () => {
    for (const p of ports) await runCommand('ip', ['link', 'del', p], { check: false });
    await runCommand('ip', ['link', 'del', br], { check: false });
    net.release();
  });
  const addPort = async (name: string, address: string) => {
    await ip('link', 'add', name, 'type', 'veth', 'peer', 'name', `${name}p`);
    await ip('link', 'set', 'dev', name, 'address', address);
    await ip('link', 'set', 'dev', name, 'master', br, 'up');
  };
  await ip('link', 'add', br, 'type', 'bridge');
  await ip('link', 'set', 'dev', br, 'up');

  // The kernel's behaviour this guards against: an unpinned bridge follows its lowest port MAC.
  await addPort(ports[0]!, '0a:00:00:00:00:50');
  assert.equal(mac(br), '0a:00:00:00:00:50');
  await addPort(ports[1]!, '06:00:00:00:00:40');
  assert.equal(mac(br), '06:00:00:00:00:40', 'unpinned: the bridge took the new, lower port MAC');

  assert.equal(await pinBridgeMac(br), '06:00:00:00:00:40');
  assert.equal(assignType(br), '3');
  await addPort(ports[2]!, '02:00:00:00:00:01');
  assert.equal(mac(br), '06:00:00:00:00:40', 'pinned: unchanged by a lower port MAC');
  await ip('link', 'del', ports[1]!);
  assert.equal(mac(br), '06:00:00:00:00:40', 'pinned: unchanged when the port it came from leaves');
  assert.equal(await pinBridgeMac(br), '06:00:00:00:00:40', 'idempotent');
});

test('a bridge whose ports all left (address zero) is pinned to a fresh random MAC', { skip: !isRoot }, async (t) => {
  const net = reserveTestSubnet(RUNTIME_TEST_NETS);
  const br = net.bridge;
  const port = `${br}a`;
  t.after(async () => {
    await runCommand('ip', ['link', 'del', port], { check: false });
    await runCommand('ip', ['link', 'del', br], { check: false });
    net.release();
  });
  await ip('link', 'add', br, 'type', 'bridge');
  await ip('link', 'add', port, 'type', 'veth', 'peer', 'name', `${port}p`);
  await ip('link', 'set', 'dev', port, 'master', br);
  await ip('link', 'del', port);
  assert.equal(mac(br), '00:00:00:00:00:00');
  const pinned = await pinBridgeMac(br);
  assert.notEqual(pinned, '00:00:00:00:00:00');
  assert.equal(mac(br), pinned);
  assert.equal(assignType(br), '3');
});
