/**
 * The node's image store.
 *
 *   DIR/blobs/sha256/<hex>   content-addressed blobs (manifests, configs, compressed layers)
 *   DIR/layers/<diffID hex>/ each layer unpacked once, usable as an overlayfs lower dir
 *   DIR/images.json          image records: id (config digest) → names, manifest, layers, last use
 *   DIR/tmp/                 partial downloads; removed at start
 *
 * Every file appears under its final name only once complete (write to a temp name, rename), so a
 * crash leaves at most garbage in tmp/. The same blob or layer wanted by concurrent pulls is
 * fetched and unpacked once. Concurrent pulls of one image (same credentials) are one pull, ended
 * through AbortSignals only when every caller has let go (shared-pulls.ts).
 */
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat, statfs, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { x as extractTar } from 'tar';
import { BlobStore, pidAlive } from './blob-store.js';
import { DockerKeyring, type RegistryCredential } from './credentials.js';
import { assertDigest, digestHex, isDigest, newHasher, sha256 } from './digest.js';
import { ImagePullError, InvalidImageNameError, pullFailed } from './errors.js';
import { detectCompression, unpackLayer } from './layer-unpack.js';
import {
  LAYER_TYPES, MediaType, isIndex, isManifest, selectPlatform, hostPlatform,
  type Descriptor, type ImageConfig, type ImageIndex, type ImageManifest,
} from './media-types.js';
import { formatReference, parseReference, referenceObject, repositoryName, type ImageReference } from './reference.js';
import { RegistryClient } from './registry-client.js';
import { cancelled } from './http.js';
import { SharedPulls } from './shared-pulls.js';
import { isCancellation, untilAborted } from './cancellation.js';
import { emptyRegistriesConfig, endpointsFor, loadRegistriesConfig, rewritePath, type RegistriesConfig } from './registries-config.js';
import { logger } from '../util/log.js';

const log = logger('images');

export interface LayerRecord {
  /** Digest of the layer blob as distributed (compressed). */
  digest: string;
  /** Digest of the uncompressed tar. */
  diffID: string;
  mediaType: string;
  size: number;
  /** Bytes of the unpacked files (an estimate of the disk used by the layer dir). */
  unpackedSize: number;
}

export interface ImageRecord {
  /** The image ID: the config digest, as containerd and the kubelet report it. */
  id: string;
  /** Normalized name:tag references ("docker.io/library/busybox:1.36"). */
  repoTags: string[];
  /** name@digest references of the manifest (or index) they were pulled by. */
  repoDigests: string[];
  /** Digest of the platform manifest. */
  manifestDigest: string;
  configDigest: string;
  layers: LayerRecord[];
  /** Size as the kubelet shows it: config + compressed layers. */
  size: number;
  created?: string;
  /** Milliseconds since the epoch of the last pull or use. */
  lastUsed: number;
}

/** What a container inherits from its image. */
export interface ImageRuntimeConfig {
  entrypoint: string[];
  cmd: string[];
  env: string[];
  workingDir: string;
  user: string;
  exposedPorts: string[];
  labels: Record<string, string>;
  stopSignal?: string;
  volumes: string[];
}

export type PullProgress =
  | { phase: 'resolving'; image: string; endpoint: string }
  | { phase: 'resolved'; image: string; digest: string; layers: number; totalBytes: number }
  | { phase: 'downloading'; image: string; digest: string; bytes: number; total: number }
  | { phase: 'unpacking'; image: string; digest: string }
  | { phase: 'done'; image: string; id: string };

export interface PullOptions {
  /** Credentials to try, in order (after any found in `dockerConfigs`). */
  credentials?: RegistryCredential[];
  /** Contents of image pull secrets (`.dockerconfigjson` / `.dockercfg`). */
  dockerConfigs?: Array<string | object>;
  onProgress?: (p: PullProgress) => void;
  /** Stops the pull (pod deleted, agent stopping): it fails with reason "Cancelled". */
  signal?: AbortSignal;
}

export interface ImageStoreOptions {
  /** Root folder of the store. */
  dir: string;
  /** Mirrors and registry settings (k3s registries.yaml), given parsed... */
  registries?: RegistriesConfig;
  /** ...or as a file path (a missing file means none). */
  registriesFile?: string;
  /**
   * Allow contacting registries that are not on loopback. Default: PEAPOD_ALLOW_REMOTE_REGISTRIES=1.
   * Off by default: this machine has no internet access and tests must never reach out.
   */
  allowRemoteRegistries?: boolean;
  /**
   * CIDRs of the node's own networks (pod subnet, cluster CIDR, service range): registries there
   * (a registry pod by pod IP or ClusterIP) are allowed like loopback ones and spoken to over plain
   * http unless registries.yaml gives them TLS. Default none.
   */
  nodeRanges?: string[];
  /** Layers fetched at once per pull. Default 2. */
  concurrency?: number;
  /** Clock for last-use times (ms). */
  now?: () => number;
}

export interface GcOptions {
  /** Image references or IDs in use: never removed. */
  keep?: string[];
  /**
   * Also remove images not in `keep`, least recently used first. Default: true when `keep` is
   * given, else false (then only content no image refers to is removed).
   */
  pruneImages?: boolean;
  /** With pruneImages: stop once at least this many bytes are freed. Default: remove all candidates. */
  bytesToFree?: number;
  /** With pruneImages: only images unused for at least this long (ms). Default 0. */
  minAgeMs?: number;
}

export interface GcResult { removedImages: string[]; removedBlobs: number; removedLayers: number; freedBytes: number }

export interface DiskUsage {
  images: number;
  blobBytes: number;
  layerBytes: number;
  /** Capacity and free space of the file system holding the store (for image GC thresholds). */
  fsCapacityBytes: number;
  fsAvailableBytes: number;
}

interface RecordsFile { version: 1; images: ImageRecord[]; imports?: Record<string, { size: number; mtimeMs: number; ids: string[]; repoTags: string[] }> }

export class ImageStore {
  readonly dir: string;
  private readonly blobs: BlobStore;
  private readonly layersDir: string;
  private readonly recordsPath: string;
  private registries: RegistriesConfig;
  private readonly allowRemote: boolean;
  private readonly concurrency: number;
  private readonly now: () => number;
  private initialized: Promise<void> | undefined;
  private records: ImageRecord[] = [];
  private recordsStamp = '';
  /** Archives imported: path → what was imported from which file version (to skip re-imports). */
  private imports: Record<string, { size: number; mtimeMs: number; ids: string[]; repoTags: string[] }> = {};
  private lockChain: Promise<unknown> = Promise.resolve();
  private readonly unpacking = new Map<string, Promise<number>>();
  private readonly pulls = new SharedPulls<ImageRecord, PullProgress>();
  /** Digests and diffIDs used by operations in flight: GC leaves them alone. */
  private readonly pinned = new Map<string, number>();

  constructor(private readonly opts: ImageStoreOptions) {
    this.dir = opts.dir;
    this.blobs = new BlobStore(opts.dir);
    this.layersDir = join(opts.dir, 'layers');
    this.recordsPath = join(opts.dir, 'images.json');
    this.registries = opts.registries ?? emptyRegistriesConfig();
    this.allowRemote = opts.allowRemoteRegistries ?? process.env.PEAPOD_ALLOW_REMOTE_REGISTRIES === '1';
    this.concurrency = Math.max(1, opts.concurrency ?? 2);
    this.now = opts.now ?? Date.now;
  }

  /** Creates the folders, removes leftovers of a crash, loads the records. Called by every method. */
  init(): Promise<void> {
    this.initialized ??= (async () => {
      await this.blobs.init();
      await mkdir(this.layersDir, { recursive: true });
      await this.blobs.cleanTemp();
      for (const n of await readdir(this.layersDir)) {
        if (n.startsWith('.tmp-') && !pidAlive(n)) await rm(join(this.layersDir, n), { recursive: true, force: true });
      }
      if (this.opts.registriesFile) this.registries = await loadRegistriesConfig(this.opts.registriesFile);
      await this.reload();
    })();
    return this.initialized;
  }

  /** Re-reads images.json when another process (the CLI, the agent) changed it. */
  private async reload(): Promise<void> {
    let st;
    try {
      st = await stat(this.recordsPath);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') { this.records = []; this.recordsStamp = ''; return; }
      throw e;
    }
    const stamp = `${st.mtimeMs}:${st.size}:${st.ino}`;
    if (stamp === this.recordsStamp) return;
    try {
      const doc = JSON.parse(await readFile(this.recordsPath, 'utf8')) as RecordsFile;
      this.records = Array.isArray(doc.images) ? doc.images : [];
      this.imports = doc.imports ?? {};
      this.recordsStamp = stamp;
    } catch (e) {
      throw new Error(`image store ${this.recordsPath}: ${(e as Error).message}`);
    }
  }

  /**
   * Runs `fn` with the records up to date and exclusively: one at a time in this process, and
   * under DIR/images.lock against other processes (a lock whose holder died is taken over).
   */
  private async locked<T>(fn: () => Promise<T>): Promise<T> {
    const body = async () => {
      const release = await acquireFileLock(join(this.dir, 'images.lock'));
      try {
        this.recordsStamp = '';
        await this.reload();
        return await fn();
      } finally {
        await release();
      }
    };
    const run = this.lockChain.then(body, body);
    this.lockChain = run.catch(() => undefined);
    return run;
  }

  private async saveRecords(): Promise<void> {
    const tmp = this.blobs.tempPath('images.json');
    await writeFile(tmp, JSON.stringify({ version: 1, images: this.records, imports: this.imports } satisfies RecordsFile, null, 1));
    await rename(tmp, this.recordsPath);
    const st = await stat(this.recordsPath);
    this.recordsStamp = `${st.mtimeMs}:${st.size}:${st.ino}`;
  }

  private pin(keys: string[]): () => void {
    for (const k of keys) this.pinned.set(k, (this.pinned.get(k) ?? 0) + 1);
    return () => {
      for (const k of keys) {
        const n = (this.pinned.get(k) ?? 1) - 1;
        if (n <= 0) this.pinned.delete(k); else this.pinned.set(k, n);
      }
    };
  }

  // ---- lookup -------------------------------------------------------------------------------

  /** Finds an image by reference (name:tag, name@digest), ID ("sha256:…") or ID prefix (≥ 12 hex). */
  async get(ref: string): Promise<ImageRecord | undefined> {
    await this.init();
    await this.reload();
    const r = this.find(ref);
    return r ? { ...r, repoTags: [...r.repoTags], repoDigests: [...r.repoDigests], layers: [...r.layers] } : undefined;
  }

  private find(ref: string): ImageRecord | undefined {
    const byId = this.records.find((r) => r.id === ref || (/^[a-f0-9]{12,64}$/.test(ref) && digestHex(r.id).startsWith(ref)));
    if (byId) return byId;
    let parsed: ImageReference;
    try {
      parsed = parseReference(ref);
    } catch {
      return undefined;
    }
    if (parsed.digest) {
      const want = `${repositoryName(parsed)}@${parsed.digest}`;
      return this.records.find((r) => r.repoDigests.includes(want) || (r.manifestDigest === parsed.digest && r.repoDigests.some((d) => d.startsWith(repositoryName(parsed) + '@'))));
    }
    const name = formatReference(parsed);
    return this.records.find((r) => r.repoTags.includes(name));
  }

  async has(ref: string): Promise<boolean> {
    return (await this.get(ref)) !== undefined;
  }

  async list(): Promise<ImageRecord[]> {
    await this.init();
    await this.reload();
    return this.records.map((r) => ({ ...r, repoTags: [...r.repoTags], repoDigests: [...r.repoDigests], layers: [...r.layers] }));
  }

  /** Records that the image was used now (for least-recently-used image GC). */
  async markUsed(ref: string): Promise<void> {
    await this.init();
    await this.locked(async () => {
      const r = this.find(ref);
      if (!r) return;
      r.lastUsed = this.now();
      await this.saveRecords();
    });
  }

  /** The container settings of an image (Entrypoint, Cmd, Env, WorkingDir, User, ports, labels). */
  async config(image: ImageRecord | string): Promise<ImageRuntimeConfig> {
    const rec = await this.require(image);
    const cfg = await this.blobs.readJson<ImageConfig>(rec.configDigest);
    const c = cfg.config ?? {};
    return {
      entrypoint: c.Entrypoint ?? [],
      cmd: c.Cmd ?? [],
      env: c.Env ?? [],
      workingDir: c.WorkingDir ?? '',
      user: c.User ?? '',
      exposedPorts: Object.keys(c.ExposedPorts ?? {}),
      labels: c.Labels ?? {},
      volumes: Object.keys(c.Volumes ?? {}),
      ...(c.StopSignal ? { stopSignal: c.StopSignal } : {}),
    };
  }

  /** The raw image config document. */
  async imageConfig(image: ImageRecord | string): Promise<ImageConfig> {
    return this.blobs.readJson<ImageConfig>((await this.require(image)).configDigest);
  }

  /** Layer dirs for overlayfs `lowerdir=`, top layer first. Re-unpacks any that went missing. */
  async lowerDirs(image: ImageRecord | string): Promise<string[]> {
    const rec = await this.require(image);
    const dirs: string[] = [];
    for (const l of rec.layers) {
      await this.ensureLayer(l.digest, l.diffID);
      dirs.push(this.layerDir(l.diffID));
    }
    return dirs.reverse();
  }

  layerDir(diffID: string): string {
    return join(this.layersDir, digestHex(assertDigest(diffID, 'layer diffID')));
  }

  private async require(image: ImageRecord | string): Promise<ImageRecord> {
    await this.init();
    await this.reload();
    const rec = typeof image === 'string' ? this.find(image) : this.find(image.id);
    if (!rec) throw new Error(`image "${typeof image === 'string' ? image : image.id}" not found in the image store`);
    return rec;
  }

  // ---- layers --------------------------------------------------------------------------------

  /**
   * Unpacks layer blob `digest` into its dir unless done; checks the diffID. Returns its unpacked
   * size. Concurrent callers share one unpack; `signal` stops this caller (and the unpack when it
   * started it: another caller still wanting the layer then unpacks it again).
   */
  private async ensureLayer(digest: string, diffID: string, signal?: AbortSignal): Promise<number> {
    const dir = this.layerDir(diffID);
    for (;;) {
      if (await stat(dir).then((s) => s.isDirectory(), () => false)) {
        return this.records.flatMap((r) => r.layers).find((l) => l.diffID === diffID)?.unpackedSize ?? 0;
      }
      const running = this.unpacking.get(diffID);
      if (!running) break;
      try {
        return await (signal ? untilAborted(running, signal) : running);
      } catch (e) {
        if (signal?.aborted || !isCancellation(e)) throw e;
      }
    }
    const p = (async () => {
      const tmp = join(this.layersDir, `.tmp-${digestHex(diffID).slice(0, 16)}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
      await mkdir(tmp, { mode: 0o755 });
      try {
        const res = await unpackLayer(this.blobs.path(digest), tmp, signal);
        if (res.diffID !== diffID) {
          throw new ImagePullError('DigestMismatch', `failed to unpack: layer ${digest}: diffID mismatch: the image config says ${diffID}, the content is ${res.diffID}`);
        }
        await rename(tmp, dir).catch(async (e: NodeJS.ErrnoException) => {
          if (e.code !== 'ENOTEMPTY' && e.code !== 'EEXIST') throw e;
          await rm(tmp, { recursive: true, force: true }); // another process finished first
        });
        return res.contentSize;
      } catch (e) {
        await rm(tmp, { recursive: true, force: true });
        throw e;
      }
    })().finally(() => this.unpacking.delete(diffID));
    this.unpacking.set(diffID, p);
    return p;
  }

  // ---- installing an image -----------------------------------------------------------------

  /**
   * Given a platform manifest already stored, fetches its config and layers through `fetch`,
   * unpacks the layers, and records the image under `names`.
   */
  private async install(args: {
    image: string;
    manifestDigest: string;
    manifest: ImageManifest;
    fetch: (d: Descriptor) => Promise<void>;
    repoTag?: string;
    repoDigest?: string;
    onProgress?: (p: PullProgress) => void;
    signal?: AbortSignal;
  }): Promise<ImageRecord> {
    const { manifest, image } = args;
    const cfgDesc = manifest.config;
    if (!cfgDesc || !isDigest(cfgDesc.digest)) throw new ImagePullError('Unsupported', `manifest ${args.manifestDigest} has no valid config descriptor`);
    for (const l of manifest.layers) {
      if (!LAYER_TYPES.has(l.mediaType)) throw new ImagePullError('Unsupported', `manifest ${args.manifestDigest}: unsupported layer media type "${l.mediaType}"`);
      assertDigest(l.digest, `layer of ${image}`);
    }
    const unpin = this.pin([args.manifestDigest, cfgDesc.digest, ...manifest.layers.map((l) => l.digest)]);
    try {
      await args.fetch(cfgDesc);
      const config = await this.blobs.readJson<ImageConfig>(cfgDesc.digest);
      const diffIDs = config.rootfs?.diff_ids ?? [];
      if (diffIDs.length !== manifest.layers.length) {
        throw new ImagePullError('Unsupported', `image ${image}: config lists ${diffIDs.length} layers (rootfs.diff_ids), the manifest ${manifest.layers.length}`);
      }
      const unpinDiffs = this.pin(diffIDs);
      try {
        const layers: LayerRecord[] = new Array(manifest.layers.length);
        let next = 0;
        let broken = false;
        const worker = async () => {
          while (!broken && next < manifest.layers.length) {
            const i = next++;
            const desc = manifest.layers[i]!;
            const diffID = assertDigest(diffIDs[i], `diff_ids[${i}] of ${image}`);
            let unpackedSize = 0;
            if (!(await stat(this.layerDir(diffID)).then(() => true, () => false))) {
              await args.fetch(desc);
              args.onProgress?.({ phase: 'unpacking', image, digest: desc.digest });
            }
            if (await this.blobs.has(desc.digest)) unpackedSize = await this.ensureLayer(desc.digest, diffID, args.signal);
            else unpackedSize = this.records.flatMap((r) => r.layers).find((l) => l.diffID === diffID)?.unpackedSize ?? 0;
            layers[i] = { digest: desc.digest, diffID, mediaType: desc.mediaType, size: desc.size, unpackedSize };
          }
        };
        const guarded = () => worker().catch((e: unknown) => { broken = true; throw e; });
        // Every worker settles before a failure is reported, so nothing of this pull runs on after it.
        const settled = await Promise.allSettled(Array.from({ length: Math.min(this.concurrency, manifest.layers.length) }, guarded));
        const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
        if (failed) throw failed.reason;
        const rec: ImageRecord = {
          id: cfgDesc.digest,
          repoTags: args.repoTag ? [args.repoTag] : [],
          repoDigests: args.repoDigest ? [args.repoDigest] : [],
          manifestDigest: args.manifestDigest,
          configDigest: cfgDesc.digest,
          layers,
          size: cfgDesc.size + layers.reduce((a, l) => a + l.size, 0),
          ...(config.created ? { created: config.created } : {}),
          lastUsed: this.now(),
        };
        return await this.locked(async () => {
          if (args.repoTag) for (const r of this.records) if (r.id !== rec.id) r.repoTags = r.repoTags.filter((t) => t !== args.repoTag);
          const existing = this.records.find((r) => r.id === rec.id);
          if (existing) {
            existing.repoTags = [...new Set([...existing.repoTags, ...rec.repoTags])];
            existing.repoDigests = [...new Set([...existing.repoDigests, ...rec.repoDigests])];
            existing.manifestDigest = rec.manifestDigest;
            existing.layers = rec.layers;
            existing.size = rec.size;
            existing.lastUsed = rec.lastUsed;
          } else {
            this.records.push(rec);
          }
          await this.saveRecords();
          return { ...(existing ?? rec) };
        });
      } finally {
        unpinDiffs();
      }
    } finally {
      unpin();
    }
  }

  // ---- pull ----------------------------------------------------------------------------------

  /**
   * Pulls an image from its registry (or a mirror): resolves the reference, picks this platform
   * from an index, downloads what is missing (verified), unpacks the layers and records the image.
   * Errors are ImagePullError (or InvalidImageNameError) worded like the kubelet's ErrImagePull.
   */
  async pull(image: string, opts: PullOptions = {}): Promise<ImageRecord> {
    await this.init();
    const name = formatReference(parseReference(image)); // InvalidImageNameError
    // Pulls of one image with the same credentials are shared; each caller's signal only lets it go.
    const key = `${name}\n${sha256(Buffer.from(JSON.stringify([opts.dockerConfigs ?? [], opts.credentials ?? []])))}`;
    const { signal, onProgress, ...rest } = opts;
    return this.pulls.join(key, (shared, progress) => this.pullOnce(image, { ...rest, signal: shared, onProgress: progress }), {
      cancelled: () => pullFailed(name, cancelled()), ...(signal ? { signal } : {}), ...(onProgress ? { onProgress } : {}),
    });
  }

  /** How many callers wait for a pull of `image` now (with any credentials). */
  pullWaiters(image: string): number {
    const name = formatReference(parseReference(image));
    return this.pulls.keys().filter((k) => k.startsWith(`${name}\n`)).reduce((n, k) => n + this.pulls.callers(k), 0);
  }

  private async pullOnce(image: string, opts: PullOptions): Promise<ImageRecord> {
    const ref = parseReference(image);
    const name = formatReference(ref);
    const repo = repositoryName(ref);
    const keyring = new DockerKeyring();
    for (const c of opts.dockerConfigs ?? []) keyring.add(c, 'image pull secret');
    const pullCreds = [...keyring.lookup(repo), ...(opts.credentials ?? [])];
    let endpoints;
    try {
      endpoints = endpointsFor(this.registries, ref.domain, this.allowRemote, this.opts.nodeRanges);
    } catch (e) {
      throw e instanceof ImagePullError ? pullFailed(name, e) : e;
    }
    const errors: ImagePullError[] = [];
    for (const ep of endpoints) {
      const creds = ep.isDefault ? [...pullCreds, ...(ep.config.auth ? [ep.config.auth] : [])] : ep.config.auth ? [ep.config.auth] : [];
      if (opts.signal?.aborted) throw pullFailed(name, cancelled());
      const client = new RegistryClient(ep, rewritePath(ep, ref.path), creds, name, opts.signal);
      opts.onProgress?.({ phase: 'resolving', image: name, endpoint: ep.apiRoot });
      let top;
      try {
        top = await this.resolve(client, ref);
      } catch (e) {
        if (opts.signal?.aborted) throw pullFailed(name, cancelled());
        if (!(e instanceof ImagePullError)) throw e;
        log.debug('resolve failed', { image: name, endpoint: ep.apiRoot, err: e.message });
        errors.push(new ImagePullError(e.reason, `failed to resolve reference "${name}": ${e.message}`));
        continue;
      }
      try {
        return await this.pullFrom(client, ref, name, top, opts);
      } catch (e) {
        if (e instanceof ImagePullError) throw pullFailed(name, e);
        if (opts.signal?.aborted) throw pullFailed(name, cancelled());
        throw e;
      }
    }
    // The most telling failure: a definite answer (not found, unauthorized) beats "unreachable".
    const best = errors.find((e) => e.reason !== 'Unreachable') ?? errors[errors.length - 1]!;
    throw pullFailed(name, best);
  }

  /**
   * Resolves the reference to its top manifest: HEAD first (as containerd does), so a manifest we
   * already hold is not downloaded again; then GET by digest (verified). Registries that answer
   * HEAD badly, and failures (for the server's explanation), fall back to a GET by reference.
   */
  private async resolve(client: RegistryClient, ref: ImageReference): Promise<{ digest: string; mediaType?: string; body: Buffer }> {
    const object = referenceObject(ref);
    let head: { digest?: string; mediaType?: string } | undefined;
    try {
      head = await client.headManifest(object);
    } catch (e) {
      if (e instanceof ImagePullError && e.reason === 'Unreachable') throw e;
    }
    const digest = head?.digest ?? (isDigest(object) ? object : undefined);
    if (digest && (await this.blobs.has(digest))) {
      return { digest, body: await this.blobs.read(digest), ...(head?.mediaType ? { mediaType: head.mediaType } : {}) };
    }
    return client.getManifest(head?.digest ?? object);
  }

  private async pullFrom(client: RegistryClient, ref: ImageReference, name: string, top: { digest: string; mediaType?: string; body: Buffer }, opts: PullOptions): Promise<ImageRecord> {
    const unpin = this.pin([top.digest]);
    try {
      await this.blobs.putBuffer(top.body, top.digest, `manifest of ${name}`);
      let doc = JSON.parse(top.body.toString('utf8')) as ImageManifest & ImageIndex;
      let mediaType = top.mediaType ?? doc.mediaType;
      let manifestDigest = top.digest;
      if (isIndex(doc.mediaType ?? mediaType, doc)) {
        const desc = selectPlatform(doc);
        if (!desc) {
          const p = hostPlatform();
          throw new ImagePullError('Unsupported', `no match for platform ${p.os}/${p.architecture} in manifest ${top.digest}: not found`);
        }
        const child = await client.getManifest(desc.digest);
        await this.blobs.putBuffer(child.body, desc.digest, `manifest ${desc.digest} of ${name}`);
        doc = JSON.parse(child.body.toString('utf8')) as ImageManifest & ImageIndex;
        mediaType = desc.mediaType;
        manifestDigest = desc.digest;
      }
      if (!isManifest(doc.mediaType ?? mediaType, doc)) {
        throw new ImagePullError('Unsupported', `unsupported manifest media type "${doc.mediaType ?? mediaType ?? 'unknown'}" (schema ${String((doc as { schemaVersion?: number }).schemaVersion)})`);
      }
      const total = doc.layers.reduce((a, l) => a + l.size, 0);
      opts.onProgress?.({ phase: 'resolved', image: name, digest: top.digest, layers: doc.layers.length, totalBytes: total });
      const rec = await this.install({
        image: name,
        manifestDigest,
        manifest: doc,
        fetch: async (d) => {
          let bytes = 0;
          if (opts.signal?.aborted) throw cancelled();
          await this.blobs.ensure(d.digest, () => client.openBlob(d.digest), {
            ...(opts.signal ? { signal: opts.signal } : {}),
            size: d.size, what: `${client.endpoint.apiRoot}/${client.repository}/blobs/${d.digest}`,
            onBytes: (n) => { bytes += n; opts.onProgress?.({ phase: 'downloading', image: name, digest: d.digest, bytes, total: d.size }); },
          });
        },
        ...(ref.tag && !ref.digest ? { repoTag: name } : {}), // a reference with a digest names the image by digest only (as containerd)
        repoDigest: `${repositoryName(ref)}@${top.digest}`,
        ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
      opts.onProgress?.({ phase: 'done', image: name, id: rec.id });
      log.info('pulled image', { image: name, id: rec.id, layers: rec.layers.length, size: rec.size });
      return rec;
    } finally {
      unpin();
    }
  }

  // ---- import --------------------------------------------------------------------------------

  /**
   * Imports a tarball: an OCI image layout (index.json; names from the
   * `io.containerd.image.name` or `org.opencontainers.image.ref.name` annotations) or a
   * `docker save` archive (manifest.json with RepoTags). Returns the images imported.
   */
  async importArchive(path: string, opts: { onProgress?: (msg: string) => void } = {}): Promise<ImageRecord[]> {
    await this.init();
    await this.reload();
    const abs = resolve(path);
    const st = await stat(abs).catch((e: Error) => { throw new Error(`importing ${path}: ${e.message}`); });
    // The same file imported before and its images still here with their names: nothing to do.
    const prev = this.imports[abs];
    if (prev && prev.size === st.size && Math.abs(prev.mtimeMs - st.mtimeMs) < 1) {
      const recs = prev.ids.map((id) => this.records.find((r) => r.id === id));
      const tags = new Set(recs.flatMap((r) => r?.repoTags ?? []));
      if (recs.every((r) => r !== undefined) && prev.repoTags.every((t) => tags.has(t))) return recs.map((r) => ({ ...r! }));
    }
    const imported = await this.importArchiveFile(path, opts);
    await this.locked(async () => {
      this.imports[abs] = { size: st.size, mtimeMs: st.mtimeMs, ids: imported.map((r) => r.id), repoTags: imported.flatMap((r) => r.repoTags) };
      await this.saveRecords();
    });
    return imported;
  }

  private async importArchiveFile(path: string, opts: { onProgress?: (msg: string) => void } = {}): Promise<ImageRecord[]> {
    const work = this.blobs.tempPath('import');
    await mkdir(work);
    try {
      await extractTar({ file: path, cwd: work, strict: true, preserveOwner: false }).catch((e: Error) => {
        throw new Error(`importing ${path}: not a readable tar archive: ${e.message}`);
      });
      const hasIndex = await stat(join(work, 'index.json')).then(() => true, () => false);
      const hasDockerManifest = await stat(join(work, 'manifest.json')).then(() => true, () => false);
      // One record per image (several names may point at one image), as the store now has it.
      const unique = (recs: ImageRecord[]) => [...new Set(recs.map((r) => r.id))].map((id) => ({ ...this.records.find((r) => r.id === id)! }));
      if (hasIndex) {
        const imported = await this.importOciLayout(work, path, opts);
        if (imported.length > 0 || !hasDockerManifest) return unique(imported);
      }
      if (hasDockerManifest) return unique(await this.importDockerArchive(work, path, opts));
      throw new Error(`importing ${path}: neither an OCI image layout (index.json) nor a docker-archive (manifest.json)`);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }

  private async importOciLayout(work: string, path: string, opts: { onProgress?: (msg: string) => void }): Promise<ImageRecord[]> {
    const readJson = async <T>(digest: string): Promise<T> => JSON.parse(await readFile(join(work, 'blobs', 'sha256', digestHex(digest)), 'utf8')) as T;
    const copyBlob = async (d: Descriptor) => {
      const file = join(work, 'blobs', 'sha256', digestHex(assertDigest(d.digest, `blob in ${path}`)));
      await this.blobs.ensure(d.digest, async () => createReadStream(file), { size: d.size, what: `${path}: blob ${d.digest}` });
    };
    const index = JSON.parse(await readFile(join(work, 'index.json'), 'utf8')) as ImageIndex;
    const out: ImageRecord[] = [];
    for (const top of index.manifests ?? []) {
      const ann = top.annotations ?? {};
      const rawName = ann['io.containerd.image.name'] ?? ann['org.opencontainers.image.ref.name'];
      let repoTag: string | undefined;
      let repo: string | undefined;
      if (rawName && !/^[\w][\w.-]{0,127}$/.test(rawName)) {
        const r = parseReference(rawName);
        repo = repositoryName(r);
        if (r.tag) repoTag = `${repo}:${r.tag}`;
      }
      await copyBlob(top);
      let desc = top;
      let doc = await readJson<ImageManifest & ImageIndex>(top.digest);
      if (isIndex(top.mediaType ?? doc.mediaType, doc)) {
        const chosen = selectPlatform(doc);
        if (!chosen) throw new Error(`importing ${path}: no manifest for ${hostPlatform().os}/${hostPlatform().architecture} in ${top.digest}`);
        await copyBlob(chosen);
        desc = chosen;
        doc = await readJson<ImageManifest & ImageIndex>(chosen.digest);
      }
      if (!isManifest(desc.mediaType ?? doc.mediaType, doc)) throw new Error(`importing ${path}: ${desc.digest} is not an image manifest`);
      opts.onProgress?.(`importing ${repoTag ?? desc.digest}`);
      out.push(await this.install({
        image: repoTag ?? desc.digest, manifestDigest: desc.digest, manifest: doc, fetch: copyBlob,
        ...(repoTag ? { repoTag } : {}),
        ...(repo ? { repoDigest: `${repo}@${top.digest}` } : {}),
      }));
    }
    return out;
  }

  private async importDockerArchive(work: string, path: string, opts: { onProgress?: (msg: string) => void }): Promise<ImageRecord[]> {
    type Entry = { Config: string; RepoTags?: string[] | null; Layers: string[] };
    const entries = JSON.parse(await readFile(join(work, 'manifest.json'), 'utf8')) as Entry[];
    if (!Array.isArray(entries)) throw new Error(`importing ${path}: manifest.json is not a list`);
    const inside = (p: string) => {
      const full = join(work, p);
      if (!full.startsWith(work + '/')) throw new Error(`importing ${path}: path ${JSON.stringify(p)} leaves the archive`);
      return full;
    };
    const fileDigest = async (file: string) => {
      const h = newHasher();
      for await (const c of createReadStream(file) as AsyncIterable<Buffer>) h.hash.update(c);
      return h.digest();
    };
    const out: ImageRecord[] = [];
    for (const e of entries) {
      const cfgFile = inside(e.Config);
      const cfgBuf = await readFile(cfgFile);
      const cfgDigest = await this.blobs.putBuffer(cfgBuf);
      const layers: Descriptor[] = [];
      for (const l of e.Layers) {
        const file = inside(l);
        const digest = await fileDigest(file);
        const compression = await detectCompression(file);
        layers.push({ mediaType: compression === 'gzip' ? MediaType.dockerLayerGzip : compression === 'zstd' ? MediaType.ociLayerZstd : MediaType.dockerLayer, digest, size: (await stat(file)).size });
        await this.blobs.putFile(file, digest);
      }
      const manifest: ImageManifest = {
        schemaVersion: 2, mediaType: MediaType.dockerManifest,
        config: { mediaType: MediaType.dockerConfig, digest: cfgDigest, size: cfgBuf.length }, layers,
      };
      const mBuf = Buffer.from(JSON.stringify(manifest));
      const manifestDigest = await this.blobs.putBuffer(mBuf);
      const tags = (e.RepoTags ?? []).map((t) => {
        try {
          return parseReference(t);
        } catch (err) {
          throw err instanceof InvalidImageNameError ? new Error(`importing ${path}: RepoTags: ${err.message}`) : err;
        }
      });
      const fetch = async (d: Descriptor) => { if (!(await this.blobs.has(d.digest))) throw new Error(`importing ${path}: blob ${d.digest} missing`); };
      opts.onProgress?.(`importing ${tags.map(formatReference).join(', ') || cfgDigest}`);
      let rec: ImageRecord | undefined;
      for (const t of tags.length > 0 ? tags : [undefined]) {
        rec = await this.install({
          image: t ? formatReference(t) : cfgDigest, manifestDigest, manifest, fetch,
          ...(t ? { repoTag: formatReference(t), repoDigest: `${repositoryName(t)}@${manifestDigest}` } : {}),
        });
      }
      out.push(rec!);
    }
    return out;
  }

  // ---- removal and garbage collection --------------------------------------------------------

  /**
   * Removes a name (name:tag or name@digest) from its image, or the whole image when `ref` is an
   * ID or its last name. Content is freed by garbageCollect(). Returns false if nothing matched.
   */
  async remove(ref: string): Promise<boolean> {
    await this.init();
    return this.locked(async () => {
      const rec = this.find(ref);
      if (!rec) return false;
      let whole = rec.id === ref || (/^[a-f0-9]{12,64}$/.test(ref) && digestHex(rec.id).startsWith(ref));
      if (!whole) {
        const p = parseReference(ref);
        const full = formatReference(p);
        const before = rec.repoTags.length + rec.repoDigests.length;
        rec.repoTags = rec.repoTags.filter((t) => t !== full);
        if (p.digest) rec.repoDigests = rec.repoDigests.filter((d) => d !== `${repositoryName(p)}@${p.digest}`);
        if (rec.repoTags.length === 0) whole = true; // digests alone do not keep an image, as with crictl rmi
        else if (rec.repoTags.length + rec.repoDigests.length === before) whole = true;
      }
      if (whole) this.records = this.records.filter((r) => r !== rec);
      await this.saveRecords();
      return true;
    });
  }

  /**
   * Removes content no image refers to (blobs, layer dirs), and — with `pruneImages` — images not
   * in `keep`, least recently used first, until `bytesToFree` is reached.
   */
  async garbageCollect(opts: GcOptions = {}): Promise<GcResult> {
    await this.init();
    return this.locked(async () => {
      const removedImages: string[] = [];
      let freedBytes = 0;
      if (opts.pruneImages ?? opts.keep !== undefined) {
        const keepIds = new Set((opts.keep ?? []).map((k) => this.find(k)?.id).filter((x): x is string => !!x));
        const cutoff = this.now() - (opts.minAgeMs ?? 0);
        const candidates = this.records.filter((r) => !keepIds.has(r.id) && r.lastUsed <= cutoff).sort((a, b) => a.lastUsed - b.lastUsed);
        for (const r of candidates) {
          if (opts.bytesToFree !== undefined && freedBytes >= opts.bytesToFree) break;
          const shared = new Set(this.records.filter((o) => o !== r).flatMap((o) => o.layers.map((l) => l.diffID)));
          freedBytes += r.layers.filter((l) => !shared.has(l.diffID)).reduce((a, l) => a + l.size + l.unpackedSize, 0);
          this.records = this.records.filter((o) => o !== r);
          removedImages.push(r.id);
        }
        await this.saveRecords();
        freedBytes = 0; // recounted below from what is really deleted
      }
      const liveBlobs = new Set<string>(this.pinned.keys());
      const liveLayers = new Set<string>(this.pinned.keys());
      for (const r of this.records) {
        liveBlobs.add(r.manifestDigest);
        liveBlobs.add(r.configDigest);
        for (const d of r.repoDigests) liveBlobs.add(d.slice(d.lastIndexOf('@') + 1));
        for (const l of r.layers) { liveBlobs.add(l.digest); liveLayers.add(l.diffID); }
      }
      let removedBlobs = 0;
      for (const d of await this.blobs.list()) {
        if (liveBlobs.has(d)) continue;
        freedBytes += await this.blobs.remove(d);
        removedBlobs++;
      }
      let removedLayers = 0;
      for (const n of await readdir(this.layersDir)) {
        if (!/^[a-f0-9]{64}$/.test(n)) continue;
        const diffID = `sha256:${n}`;
        if (liveLayers.has(diffID) || this.unpacking.has(diffID)) continue;
        freedBytes += await duBytes(join(this.layersDir, n));
        await rm(join(this.layersDir, n), { recursive: true, force: true });
        removedLayers++;
      }
      if (removedImages.length || removedBlobs || removedLayers) log.info('image gc', { images: removedImages.length, blobs: removedBlobs, layers: removedLayers, freedBytes });
      return { removedImages, removedBlobs, removedLayers, freedBytes };
    });
  }

  /** Disk usage of the store and of its file system (for the agent's image GC thresholds). */
  async diskUsage(): Promise<DiskUsage> {
    await this.init();
    let blobBytes = 0;
    for (const d of await this.blobs.list()) blobBytes += await this.blobs.size(d).catch(() => 0);
    const seen = new Set<string>();
    let layerBytes = 0;
    for (const r of this.records) for (const l of r.layers) if (!seen.has(l.diffID)) { seen.add(l.diffID); layerBytes += l.unpackedSize; }
    const fs = await statfs(this.dir);
    return { images: this.records.length, blobBytes, layerBytes, fsCapacityBytes: fs.blocks * fs.bsize, fsAvailableBytes: fs.bavail * fs.bsize };
  }
}

/** Bytes of regular files under a directory (not following symlinks). */
async function duBytes(dir: string): Promise<number> {
  let total = 0;
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) total += await duBytes(p);
    else if (e.isFile()) total += await stat(p).then((s) => s.size, () => 0);
  }
  return total;
}


/** An exclusive lock file holding the owner's pid; bounded wait; a dead owner's lock is taken over. */
async function acquireFileLock(path: string, timeoutMs = 30_000): Promise<() => Promise<void>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const fh = await open(path, 'wx');
      await fh.writeFile(String(process.pid));
      await fh.close();
      return async () => { await rm(path, { force: true }); };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const owner = Number((await readFile(path, 'utf8').catch(() => '')).trim());
    if (owner && owner !== process.pid && !pidAlive(`x-${owner}-x`)) {
      await rm(path, { force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`image store is locked by process ${owner || '?'} (${path}) for more than ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
