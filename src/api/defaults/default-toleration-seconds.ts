/**
 * The DefaultTolerationSeconds admission plugin (plugin/pkg/admission/defaulttolerationseconds):
 * on pod create, every pod that does not already tolerate node.kubernetes.io/not-ready or
 * node.kubernetes.io/unreachable with effect NoExecute gets a toleration for it with
 * tolerationSeconds 300, so its pods are evicted 5 minutes after its node fails.
 */
import type { KubeObject } from '../object.js';

export const DefaultNotReadyTolerationSeconds = 300;
export const DefaultUnreachableTolerationSeconds = 300;
export const TaintNodeNotReady = 'node.kubernetes.io/not-ready';
export const TaintNodeUnreachable = 'node.kubernetes.io/unreachable';

type Tol = { key?: string; operator?: string; value?: string; effect?: string; tolerationSeconds?: number };

function toleratesNoExecute(tols: Tol[], key: string): boolean {
  // as the plugin: a toleration with this key (or an empty key with Exists) and effect NoExecute or empty
  return tols.some((t) => (t.effect === 'NoExecute' || !t.effect) && ((t.key === key) || (!t.key && t.operator === 'Exists')));
}

export function admitDefaultTolerationSeconds(pod: KubeObject): void {
  const spec = (pod.spec ?? (pod.spec = {})) as { tolerations?: Tol[] };
  const tols = Array.isArray(spec.tolerations) ? spec.tolerations : [];
  const add: Tol[] = [];
  if (!toleratesNoExecute(tols, TaintNodeNotReady)) add.push({ key: TaintNodeNotReady, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: DefaultNotReadyTolerationSeconds });
  if (!toleratesNoExecute(tols, TaintNodeUnreachable)) add.push({ key: TaintNodeUnreachable, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: DefaultUnreachableTolerationSeconds });
  if (add.length) spec.tolerations = [...tols, ...add];
}
