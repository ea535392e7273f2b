/**
 * Patch types and field ownership, as the Kubernetes API server applies them:
 * JSON patch (RFC 6902), JSON merge patch (RFC 7386), strategic merge patch and server-side apply.
 * Every function is pure: inputs are never mutated.
 */
export { applyJsonPatch } from './json-patch.js';
export { applyMergePatch } from './merge-patch.js';
export { applyStrategicMergePatch } from './strategic-merge-patch.js';
export { serverSideApply, recordUpdateManagedFields, applyConflictError, lastAppliedAnnotation, resetFieldsFor } from './server-side-apply.js';
export type { ServerSideApplyOptions, RecordUpdateOptions } from './server-side-apply.js';
