import { join } from 'node:path';

export { ImageStore } from './image-store.js';
export type { ImageRecord, LayerRecord, ImageRuntimeConfig, PullOptions, PullProgress, ImageStoreOptions, GcOptions, GcResult, DiskUsage } from './image-store.js';
export { ImagePullError, InvalidImageNameError, type PullFailure } from './errors.js';
export { parseReference, normalizeReference, formatReference, repositoryName, familiarName, type ImageReference } from './reference.js';
export { DockerKeyring, parseDockerConfig, type RegistryCredential } from './credentials.js';
export { parseRegistriesYaml, loadRegistriesConfig, type RegistriesConfig } from './registries-config.js';
export { ensureExampleImages, importExampleImages, BUSYBOX_NAMES, REGISTRY_NAMES } from './build/example-images.js';

/** Where a node keeps its image store inside the peapod data dir. */
export function imageStoreDir(dataDir: string): string {
  return join(dataDir, 'agent', 'images');
}

/** The node's k3s-style registries.yaml inside the data dir (mirrors, registry auth/TLS). */
export function registriesFile(dataDir: string): string {
  return join(dataDir, 'registries.yaml');
}
export { defaultImagePullPolicy, pullDecision, type ImagePullPolicy, type PullDecision } from './pull-policy.js';
export { imageBytesToFree, type ImageGcThresholds } from './gc-policy.js';
