/** NodeUnschedulable: cordoned nodes (spec.unschedulable) only take pods that tolerate node.kubernetes.io/unschedulable:NoSchedule. */
import { rejected, type FilterPlugin } from '../types.js';
import { tolerated } from './helpers.js';

export const ErrReasonUnschedulable = 'node(s) were unschedulable';
const UNSCHEDULABLE = Object.freeze(rejected('NodeUnschedulable', 'UnschedulableAndUnresolvable', ErrReasonUnschedulable));
export const TaintNodeUnschedulable = 'node.kubernetes.io/unschedulable';

export const nodeUnschedulablePlugin: FilterPlugin = {
  name: 'NodeUnschedulable',
  filter(state, node) {
    if (!node.unschedulable) return null;
    if (tolerated(state.pod.tolerations, { key: TaintNodeUnschedulable, effect: 'NoSchedule' })) return null;
    return UNSCHEDULABLE;
  },
};
