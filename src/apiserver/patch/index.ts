/**
 * Patch types and field ownership, as the Kubernetes API server applies them:
 * JSON patch (RFC 6902), JSON merge patch (RFC 7386), strategic merge patch and server-side apply.
 * Every function is pure: inputs are never mutated. Errors are ApiErrors with Kubernetes' codes,
 * reasons and messages.
 *
 * How the API server uses them (the order Kubernetes uses):
 * - PATCH json/merge/strategic: `patched = apply…Patch(current, body[, schema, schemas])`, then
 *   defaults, then `recordUpdateManagedFields({ old: current, updated: patched, manager, … })`,
 *   then validation and storage. The manager is `?fieldManager=` (kubectl sends
 *   `kubectl-client-side-apply`, `kubectl-edit`, `kubectl-label`, …) or else, as Kubernetes'
 *   managerOrUserAgent does, the User-Agent up to its first `/`.
 * - POST/PUT and subresource writes: `recordUpdateManagedFields({ old: undefined | current, … })`
 *   after defaulting (so defaulted fields belong to the writer, as in Kubernetes).
 * - PATCH apply (`application/apply-patch+yaml`): `serverSideApply({ live: current | undefined,
 *   applied: decodedYaml, manager: fieldManager, force, … })`, then defaults and validation.
 *   A 409 from it is the Apply conflict Status to send as is.
 * - Pass `ignoredFields: resetFieldsFor(schema, schemas, subresource, hasStatusSubresource)` (or
 *   the registry's own reset fields) so that status in manifests never causes conflicts.
 */
export { applyJsonPatch } from './json-patch.js';
export { applyMergePatch } from './merge-patch.js';
export { applyStrategicMergePatch } from './strategic-merge-patch.js';
export { serverSideApply, recordUpdateManagedFields, applyConflictError, lastAppliedAnnotation, resetFieldsFor } from './server-side-apply.js';
export type { ServerSideApplyOptions, RecordUpdateOptions } from './server-side-apply.js';
export { managerOrUserAgent } from './managed-fields/managers.js';
