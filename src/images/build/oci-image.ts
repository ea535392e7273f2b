/**
 * Builds OCI images offline and deterministically (fixed mtimes, sorted entries, no build time in
 * the config): layers from in-memory entries, a config, a manifest, and an OCI image layout written
 * as a directory (for skopeo) or as a tarball (for `peapod images import`).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { sha256 } from '../digest.js';
import { MediaType, type Descriptor, type ImageConfig, type ImageIndex, type ImageManifest } from '../media-types.js';
import { encodeTar, type TarEntry } from '../tar-writer.js';

export type LayerEntry = TarEntry & { content?: Buffer };

export interface ImageSpec {
  /** Full names: "docker.io/library/busybox:1.36". */
  names: string[];
  /** Default linux/amd64. */
  platform?: { os: string; architecture: string; variant?: string };
  layers: LayerEntry[][];
  config: NonNullable<ImageConfig['config']>;
  /** Layer compression. Default gzip. */
  compression?: 'gzip' | 'none';
  /** Manifest media type. Default OCI. */
  format?: 'oci' | 'docker';
}

export interface BuiltImage {
  manifestDigest: string;
  configDigest: string;
  diffIDs: string[];
  /** path inside the layout → content */
  files: Map<string, Buffer>;
}

/** Fixed timestamp of every entry (reproducible builds). */
export const BUILD_MTIME = 0;

/** A layer tar from entries: parents first, sorted, fixed mtime and owner unless given. */
export function layerTar(entries: LayerEntry[]): Buffer {
  const sorted = [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return encodeTar(sorted.map((e) => ({ uid: 0, gid: 0, mtime: BUILD_MTIME, ...e })));
}

export function buildImage(spec: ImageSpec): BuiltImage {
  const files = new Map<string, Buffer>();
  const put = (buf: Buffer): string => {
    const d = sha256(buf);
    files.set(`blobs/sha256/${d.slice(7)}`, buf);
    return d;
  };
  const docker = spec.format === 'docker';
  const layers: Descriptor[] = [];
  const diffIDs: string[] = [];
  for (const entries of spec.layers) {
    const tar = layerTar(entries);
    diffIDs.push(sha256(tar));
    const blob = spec.compression === 'none' ? tar : gzipSync(tar, { level: 9 });
    const mediaType = spec.compression === 'none'
      ? (docker ? MediaType.dockerLayer : MediaType.ociLayer)
      : (docker ? MediaType.dockerLayerGzip : MediaType.ociLayerGzip);
    layers.push({ mediaType, digest: put(blob), size: blob.length });
  }
  const config: ImageConfig = {
    architecture: spec.platform?.architecture ?? 'amd64', os: spec.platform?.os ?? 'linux', created: new Date(BUILD_MTIME * 1000).toISOString(),
    config: spec.config,
    rootfs: { type: 'layers', diff_ids: diffIDs },
    history: spec.layers.map(() => ({ created: new Date(BUILD_MTIME * 1000).toISOString(), created_by: 'peapod image builder' })),
  };
  const cfgBuf = Buffer.from(JSON.stringify(config));
  const configDesc: Descriptor = { mediaType: docker ? MediaType.dockerConfig : MediaType.ociConfig, digest: put(cfgBuf), size: cfgBuf.length };
  const manifest: ImageManifest = { schemaVersion: 2, mediaType: docker ? MediaType.dockerManifest : MediaType.ociManifest, config: configDesc, layers };
  const mBuf = Buffer.from(JSON.stringify(manifest));
  const manifestDigest = put(mBuf);
  const index: ImageIndex = {
    schemaVersion: 2, mediaType: MediaType.ociIndex,
    manifests: spec.names.map((n) => ({
      mediaType: manifest.mediaType!, digest: manifestDigest, size: mBuf.length,
      annotations: { 'io.containerd.image.name': n, 'org.opencontainers.image.ref.name': n.slice(n.lastIndexOf(':') + 1) },
    })),
  };
  files.set('oci-layout', Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' })));
  files.set('index.json', Buffer.from(JSON.stringify(index)));
  return { manifestDigest, configDigest: configDesc.digest, diffIDs, files };
}

/** Writes the layout as a directory (skopeo's `oci:DIR:TAG`). */
export async function writeLayoutDir(img: BuiltImage, dir: string): Promise<void> {
  for (const [p, buf] of img.files) {
    await mkdir(dirname(join(dir, p)), { recursive: true });
    await writeFile(join(dir, p), buf);
  }
}

/** The layout as one tarball (sorted, fixed metadata). */
export function layoutTar(img: BuiltImage): Buffer {
  const entries: LayerEntry[] = [
    { path: 'blobs', type: 'dir', mode: 0o755 },
    { path: 'blobs/sha256', type: 'dir', mode: 0o755 },
    ...[...img.files].map(([p, content]) => ({ path: p, type: 'file' as const, mode: 0o644, content })),
  ];
  return layerTar(entries);
}

/**
 * A multi-platform image: an OCI index (or Docker manifest list) over platform manifests, named
 * `names` in the layout. Each platform image's blobs are included.
 */
export function buildIndex(names: string[], images: Array<ImageSpec & { platform: { os: string; architecture: string; variant?: string } }>, format: 'oci' | 'docker' = 'oci'): BuiltImage & { indexDigest: string; platforms: BuiltImage[] } {
  const files = new Map<string, Buffer>();
  const platforms = images.map((spec) => buildImage({ ...spec, format }));
  const manifests: Descriptor[] = platforms.map((img, i) => {
    for (const [p, b] of img.files) if (p.startsWith('blobs/')) files.set(p, b);
    const body = img.files.get(`blobs/sha256/${img.manifestDigest.slice(7)}`)!;
    return { mediaType: format === 'docker' ? MediaType.dockerManifest : MediaType.ociManifest, digest: img.manifestDigest, size: body.length, platform: images[i]!.platform };
  });
  const index: ImageIndex = { schemaVersion: 2, mediaType: format === 'docker' ? MediaType.dockerManifestList : MediaType.ociIndex, manifests };
  const body = Buffer.from(JSON.stringify(index));
  const indexDigest = sha256(body);
  files.set(`blobs/sha256/${indexDigest.slice(7)}`, body);
  files.set('oci-layout', Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' })));
  files.set('index.json', Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: MediaType.ociIndex,
    manifests: names.map((n) => ({ mediaType: index.mediaType, digest: indexDigest, size: body.length, annotations: { 'io.containerd.image.name': n, 'org.opencontainers.image.ref.name': n.slice(n.lastIndexOf(':') + 1) } })),
  })));
  return { manifestDigest: indexDigest, indexDigest, configDigest: '', diffIDs: [], files, platforms };
}
