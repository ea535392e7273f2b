/**
 * Job podFailurePolicy matching, as Kubernetes' pod_failure_policy.go: the first rule whose
 * onExitCodes (a terminated container — init containers first — with a non-zero exit code In/NotIn
 * the values, optionally only the named container) or onPodConditions (a pod condition of that type
 * and status) matches a failed pod decides its action: FailJob, FailIndex, Ignore or Count.
 * Without a matching rule the failure counts.
 */
import type { KubeObject } from '../api/object.js';
import type { PodFailurePolicy, PodFailurePolicyRule } from 'kubernetes-types/batch/v1.js';
import type { ContainerStatus, PodStatus } from 'kubernetes-types/core/v1.js';

export type PodFailureAction = 'FailJob' | 'FailIndex' | 'Ignore' | 'Count';

export interface PodFailureMatch {
  action: PodFailureAction;
  /** For FailJob: the message Kubernetes writes in the condition. */
  message?: string;
}

function matchingContainer(statuses: ContainerStatus[] | undefined, rule: PodFailurePolicyRule): ContainerStatus | undefined {
  const req = rule.onExitCodes!;
  for (const cs of statuses ?? []) {
    const term = cs.state?.terminated;
    if (!term) continue;
    if (req.containerName && req.containerName !== cs.name) continue;
    if (term.exitCode === 0) continue;
    const inValues = req.values.includes(term.exitCode);
    if ((req.operator === 'In' && inValues) || (req.operator === 'NotIn' && !inValues)) return cs;
  }
  return undefined;
}

/** The action for a failed pod (phase Failed), or undefined when no rule matches (the failure counts). */
export function matchPodFailurePolicy(policy: PodFailurePolicy | undefined, pod: KubeObject): PodFailureMatch | undefined {
  if (!policy) return undefined;
  const st = (pod.status ?? {}) as PodStatus;
  const podName = `${pod.metadata.namespace}/${pod.metadata.name}`;
  for (let i = 0; i < (policy.rules ?? []).length; i++) {
    const rule = policy.rules[i];
    const action = rule.action as PodFailureAction;
    if (rule.onExitCodes) {
      const cs = matchingContainer(st.initContainerStatuses, rule) ?? matchingContainer(st.containerStatuses, rule);
      if (cs) {
        return {
          action,
          message: action === 'FailJob' ? `Container ${cs.name} for pod ${podName} failed with exit code ${cs.state!.terminated!.exitCode} matching FailJob rule at index ${i}` : undefined,
        };
      }
    } else if (rule.onPodConditions) {
      for (const pat of rule.onPodConditions) {
        const want = pat.status || 'True';
        const c = (st.conditions ?? []).find((x) => x.type === pat.type && x.status === want);
        if (c) {
          return { action, message: action === 'FailJob' ? `Pod ${podName} has condition ${c.type} matching FailJob rule at index ${i}` : undefined };
        }
      }
    }
  }
  return undefined;
}
