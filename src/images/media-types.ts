/** OCI image-spec and Docker distribution media types, and the manifest shapes we read. */
export const MediaType = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  ociLayerNondistGzip: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar',
  dockerForeignLayerGzip: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
} as const;

/** Every manifest type we can read; always sent in full (a registry hides OCI manifests otherwise). */
export const MANIFEST_ACCEPT = [
  MediaType.ociIndex, MediaType.ociManifest, MediaType.dockerManifestList, MediaType.dockerManifest,
].join(', ');

export const LAYER_TYPES: ReadonlySet<string> = new Set([
  MediaType.ociLayer, MediaType.ociLayerGzip, MediaType.ociLayerZstd, MediaType.ociLayerNondistGzip,
  MediaType.dockerLayer, MediaType.dockerLayerGzip, MediaType.dockerForeignLayerGzip,
]);

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: { architecture: string; os: string; variant?: string };
  urls?: string[];
}

export interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

/** The parts of the image config (OCI image-spec "config.json") that run a container. */
export interface ImageConfig {
  architecture?: string;
  os?: string;
  created?: string;
  config?: {
    User?: string;
    ExposedPorts?: Record<string, object>;
    Env?: string[];
    Entrypoint?: string[] | null;
    Cmd?: string[] | null;
    Volumes?: Record<string, object>;
    WorkingDir?: string;
    Labels?: Record<string, string> | null;
    StopSignal?: string;
  };
  rootfs: { type: 'layers'; diff_ids: string[] };
  history?: Array<Record<string, unknown>>;
}

export function isIndex(mediaType: string | undefined, doc: { manifests?: unknown }): boolean {
  if (mediaType === MediaType.ociIndex || mediaType === MediaType.dockerManifestList) return true;
  return mediaType === undefined && Array.isArray(doc.manifests);
}

export function isManifest(mediaType: string | undefined, doc: { layers?: unknown }): boolean {
  if (mediaType === MediaType.ociManifest || mediaType === MediaType.dockerManifest) return true;
  return mediaType === undefined && Array.isArray(doc.layers);
}

/** GOARCH of this machine (the platform picked from an index). */
export function hostPlatform(): { os: string; architecture: string; variant?: string } {
  const arch: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };
  return { os: 'linux', architecture: arch[process.arch] ?? process.arch, ...(process.arch === 'arm64' ? { variant: 'v8' } : {}) };
}

/** Picks the manifest for `platform` from an index (variant optional, as containerd matches). */
export function selectPlatform(index: ImageIndex, platform = hostPlatform()): Descriptor | undefined {
  const candidates = index.manifests.filter((m) => m.platform?.os === platform.os && m.platform?.architecture === platform.architecture);
  return candidates.find((m) => !m.platform?.variant || !platform.variant || m.platform.variant === platform.variant) ?? candidates[0];
}
