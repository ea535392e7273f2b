/** NodePorts: a pod's hostPorts must be free on the node (0.0.0.0 conflicts with every address). */
import { rejected, type FilterPlugin, type HostPort } from '../types.js';

export const ErrReasonNodePorts = "node(s) didn't have free ports for the requested pod ports";
const PORTS = Object.freeze(rejected('NodePorts', 'Unschedulable', ErrReasonNodePorts));

export function portsConflict(want: HostPort[], used: HostPort[]): boolean {
  for (const w of want) {
    for (const u of used) {
      if (u.port !== w.port || u.protocol !== w.protocol) continue;
      if (w.ip === '0.0.0.0' || u.ip === '0.0.0.0' || u.ip === w.ip) return true;
    }
  }
  return false;
}

export const nodePortsPlugin: FilterPlugin = {
  name: 'NodePorts',
  filter(state, node) {
    if (state.pod.hostPorts.length === 0 || !portsConflict(state.pod.hostPorts, node.usedPorts)) return null;
    return PORTS;
  },
};
