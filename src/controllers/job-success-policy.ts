/**
 * spec.successPolicy of Indexed Jobs (Kubernetes' pkg/controller/job/success_policy.go): the Job
 * has succeeded once any rule is met —
 * - succeededIndexes alone: every index it names has succeeded;
 * - succeededCount alone: at least that many indexes have succeeded;
 * - both: every named index, or at least succeededCount of the named indexes, has succeeded.
 * The first rule met names itself in the message of the SuccessCriteriaMet condition.
 */
import type { SuccessPolicy } from 'kubernetes-types/batch/v1.js';
import { parseIndexes } from './job-indexes.js';

/** The condition message when a rule is met ("Matched rules at index N"), else undefined. */
export function matchSuccessPolicy(policy: SuccessPolicy | undefined, completions: number, succeeded: ReadonlySet<number>): string | undefined {
  if (!policy || succeeded.size === 0) return undefined;
  for (const [i, rule] of (policy.rules ?? []).entries()) {
    const count = rule.succeededCount ?? undefined;
    if (rule.succeededIndexes !== undefined && rule.succeededIndexes !== null) {
      const named = parseIndexes(rule.succeededIndexes, completions);
      // a rule whose indexes cannot be read (none below completions) never matches
      if (named.size === 0) continue;
      let contained = 0;
      for (const x of named) if (succeeded.has(x)) contained++;
      if (contained === named.size || (count !== undefined && contained >= count)) return `Matched rules at index ${i}`;
    } else if (count !== undefined && succeeded.size >= count) {
      return `Matched rules at index ${i}`;
    }
  }
  return undefined;
}
