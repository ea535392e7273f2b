/** NodeName: a pod that names a node fits only that node. */
import { rejected, type FilterPlugin } from '../types.js';

export const ErrReasonNodeName = "node(s) didn't match the requested node name";
const NODE_NAME = Object.freeze(rejected('NodeName', 'UnschedulableAndUnresolvable', ErrReasonNodeName));

export const nodeNamePlugin: FilterPlugin = {
  name: 'NodeName',
  filter(state, node) {
    const want = state.pod.pod.spec?.nodeName;
    if (!want || want === node.name) return null;
    return NODE_NAME;
  },
};
