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
import { runCommand } from '../../runtime/oci/run-command.js';

const ZERO_MAC = '00:00:00:00:00:00';

/** A random locally administered unicast MAC (as the kernel makes for a device without one). */
export function randomMac(): string {
  const b = randomBytes(6);
  b[0] = (b[0]! & 0xfe) | 0x02;
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');
}

/**
 * Keeps `bridge`'s current MAC from now on (a random one when it has none: a bridge without ports
 * has address zero), by setting it explicitly: the kernel then marks it set by the user
 * (addr_assign_type 3, NET_ADDR_SET) and keeps it whatever ports come and go; setting an already
 * pinned address again changes nothing. Returns the pinned MAC.
 * The address is read over netlink (`ip`), not from /sys/class/net: sysfs shows the devices of the
 * network namespace that mounted it, which is not this process's when the agent was started in
 * another namespace without remounting /sys (a node in a test host's netns, `nsenter --net`).
 */
export async function pinBridgeMac(bridge: string): Promise<string> {
  const { stdout } = await runCommand('ip', ['-j', 'link', 'show', 'dev', bridge]);
  const address = (JSON.parse(stdout) as Array<{ address?: string }>)[0]?.address;
  if (!address) throw new Error(`bridge ${bridge}: no link address in ip output`);
  const mac = address === ZERO_MAC ? randomMac() : address;
  await runCommand('ip', ['link', 'set', 'dev', bridge, 'address', mac]);
  return mac;
}
