/**
 * The Priority admission plugin's mutation of a new pod (plugin/pkg/admission/priority):
 * spec.priority and spec.preemptionPolicy come from the pod's PriorityClass, or from the
 * cluster's globalDefault class, or are 0 / PreemptLowerPriority. Returns Kubernetes' refusal
 * text when the pod cannot be admitted (the API server answers 403 Forbidden with it).
 */
import type { KubeObject } from '../object.js';

type Obj = Record<string, unknown>;

export interface PriorityClassInfo {
  name: string;
  value: number;
  preemptionPolicy?: string;
  globalDefault?: boolean;
}

export const SystemPriorityClasses: PriorityClassInfo[] = [
  { name: 'system-node-critical', value: 2000001000, preemptionPolicy: 'PreemptLowerPriority' },
  { name: 'system-cluster-critical', value: 2000000000, preemptionPolicy: 'PreemptLowerPriority' },
];

export interface AdmitPriorityOptions {
  /** Looks up a PriorityClass by name (the system classes are known without it). */
  lookup?: (name: string) => PriorityClassInfo | undefined;
  /** All classes, to find the globalDefault one (the one with the lowest value wins, as in Kubernetes). */
  list?: () => PriorityClassInfo[];
  /** The priority the request body carried before defaulting (undefined when absent). */
  requestedPriority?: number;
}

/** Mutates the pod; returns an error message when the pod must be refused. */
export function admitPodPriority(pod: KubeObject, opts: AdmitPriorityOptions = {}): string | undefined {
  const spec = (pod.spec ?? ((pod as Obj).spec = {})) as Obj;
  const name = typeof spec.priorityClassName === 'string' ? spec.priorityClassName : '';
  let value = 0;
  let preemptionPolicy = 'PreemptLowerPriority';
  if (name) {
    const pc = SystemPriorityClasses.find((c) => c.name === name) ?? opts.lookup?.(name);
    if (!pc) return `no PriorityClass with name ${name} was found`;
    value = pc.value;
    if (pc.preemptionPolicy) preemptionPolicy = pc.preemptionPolicy;
  } else {
    const defaults = (opts.list?.() ?? []).filter((c) => c.globalDefault);
    if (defaults.length) {
      const d = defaults.reduce((a, b) => (b.value < a.value ? b : a));
      spec.priorityClassName = d.name;
      value = d.value;
      if (d.preemptionPolicy) preemptionPolicy = d.preemptionPolicy;
    }
  }
  if (opts.requestedPriority !== undefined && opts.requestedPriority !== value) {
    return `the integer value of priority (${opts.requestedPriority}) must not be provided in pod spec; priority admission controller computed ${value} from the given PriorityClass name`;
  }
  spec.priority = value;
  if (spec.preemptionPolicy === undefined || spec.preemptionPolicy === null || !name) spec.preemptionPolicy = preemptionPolicy;
  return undefined;
}
