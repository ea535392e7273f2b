export { OciRuntime, ExecTimeoutError, type OciRuntimeOptions } from './oci-runtime.js';
export { generateSpec, containerArgs, type OciSpec, type SandboxView } from './oci-spec.js';
export { containerCapabilities, DEFAULT_CAPABILITIES, hostBoundingSet } from './capabilities.js';
export { RuntimePaths } from './paths.js';
