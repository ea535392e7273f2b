/**
 * Pins the pod bridge's MAC address. A Linux bridge whose address was never set explicitly takes
 * the lowest MAC of its ports, so a new pod whose host-side veth has a lower MAC changes the
 * gateway's MAC under the running pods: their ARP entries for the gateway go stale, and what they
 * send to the host (replies to the node's own connections, e.g. an image pull from a registry pod
 * through its ClusterIP; DNS on the gateway) arrives addressed to a port's MAC and is dropped until
 * the entries expire (kubernetes/kubernetes#30783). The CNI bridge plugin of Debian 12 does not pin
 * it, so the network does after each ADD: an address set explicitly (addr_assign_type 3,
 * NET_ADDR_SET) is kept by the kernel whatever ports come and go.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { runCommand } from '../../runtime/oci/run-command.js';

/** /sys/class/net/<dev>/addr_assign_type of an address set by the user. */
const NET_ADDR_SET = '3';
const ZERO_MAC = '00:00:00:00:00:00';

/** A random locally administered unicast MAC (as the kernel makes for a device without one). */
export function randomMac(): string {
  const b = randomBytes(6);
  b[0] = (b[0]! & 0xfe) | 0x02;
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');
}

/**
 * Keeps `bridge`'s current MAC from now on (a random one when it has none: a bridge without ports
 * has address zero). Returns the pinned MAC. Idempotent: an already pinned bridge is left alone.
 */
export async function pinBridgeMac(bridge: string): Promise<string> {
  const sys = `/sys/class/net/${bridge}`;
  const [type, address] = await Promise.all([readFile(`${sys}/addr_assign_type`, 'utf8'), readFile(`${sys}/address`, 'utf8')]).then((v) => v.map((s) => s.trim()));
  if (type === NET_ADDR_SET && address !== ZERO_MAC) return address!;
  const mac = address === ZERO_MAC ? randomMac() : address!;
  await runCommand('ip', ['link', 'set', 'dev', bridge, 'address', mac]);
  return mac;
}
