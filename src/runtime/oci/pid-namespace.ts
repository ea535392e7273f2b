/**
 * Which PID namespace a new container gets, in the CRI's order of modes:
 *   NODE   (hostPID)                 → the host's: no pid entry in the spec
 *   POD    (shareProcessNamespace)   → the pod's, held by catatonit: /proc/<init>/ns/pid
 *   TARGET (kubectl debug --target)  → the target container's: /proc/<target's pid>/ns/pid
 *   CONTAINER                        → a new one of its own
 * As in the kubelet, a target only matters when the pod has no shared or host PID namespace.
 */

export interface PidNamespaceInput {
  hostPID?: boolean;
  /** Host pid of the pod's shared-namespace init (catatonit), when the pod shares one. */
  sharedInitPid?: number;
  /** Host pid of the target container's first process, when one is asked for. */
  targetPid?: number;
}

/** A namespace path to join, 'new' for a private one, undefined for the host's (the SandboxView's `pidns`). */
export function pidNamespaceOf(input: PidNamespaceInput): string | 'new' | undefined {
  if (input.hostPID) return undefined;
  if (input.sharedInitPid !== undefined) return `/proc/${input.sharedInitPid}/ns/pid`;
  if (input.targetPid !== undefined) return `/proc/${input.targetPid}/ns/pid`;
  return 'new';
}
