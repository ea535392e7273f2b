/**
 * One function per volume type: each prepares the volume's host directory (or file) for a pod and
 * returns the host path to bind into containers. Called on every sync, so configMap, secret,
 * downwardAPI and projected contents follow changes (written atomically); emptyDir and hostPath
 * set-up is idempotent.
 *
 *   emptyDir      DIR/agent/pods/UID/volumes/kubernetes.io~empty-dir/NAME (tmpfs with medium Memory, size = sizeLimit)
 *   hostPath      the host path itself, checked/created per `type`
 *   configMap     ...kubernetes.io~configmap/NAME
 *   secret        ...kubernetes.io~secret/NAME (tmpfs)
 *   downwardAPI   ...kubernetes.io~downward-api/NAME
 *   projected     ...kubernetes.io~projected/NAME (tmpfs): serviceAccountToken, configMap, secret, downwardAPI
 */
import { existsSync, mkdirSync, statSync, writeFileSync, chmodSync, chownSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Volume, DownwardAPIVolumeFile } from 'kubernetes-types/core/v1.js';
import { parseQuantity } from '../../api/quantity.js';
import { fileSystemMountedAt, mountTmpfs } from '../../runtime/oci/mounts.js';
import type { PodContext } from '../pod/pod-context.js';
import { fieldRefValue, resourceFieldValue, type NodeAllocatable } from '../pod/field-ref.js';
import { writeAtomic, type FileEntry } from './atomic-writer.js';
import { projectKeys } from './projection.js';
import { TokenManager } from './token-manager.js';

export class VolumeError extends Error {}

export const PLUGIN_DIRS: Record<string, string> = {
  emptyDir: 'kubernetes.io~empty-dir',
  configMap: 'kubernetes.io~configmap',
  secret: 'kubernetes.io~secret',
  downwardAPI: 'kubernetes.io~downward-api',
  projected: 'kubernetes.io~projected',
};

/** With a pod fsGroup, volume files belong to that group (root owner). */
function fsGroupOwner(ctx: PodContext): { uid: number; gid: number } | undefined {
  const g = ctx.pod.spec?.securityContext?.fsGroup;
  return g === undefined ? undefined : { uid: 0, gid: g };
}

/** With a pod fsGroup the group may read every projected file (mode | 0440 & owner bits), as the kubelet does. */
function withFsGroup(ctx: PodContext, files: Map<string, FileEntry>): Map<string, FileEntry> {
  if (ctx.pod.spec?.securityContext?.fsGroup === undefined) return files;
  const out = new Map<string, FileEntry>();
  for (const [k, f] of files) out.set(k, { data: f.data, mode: f.mode | 0o040 });
  return out;
}

const NODE_FALLBACK: NodeAllocatable = { cpuMillis: 1000, memoryBytes: 1 << 30, ephemeralBytes: 1 << 30 };

async function ensureTmpfs(dir: string, sizeBytes?: number): Promise<void> {
  mkdirSync(dir, { recursive: true });
  if (fileSystemMountedAt(dir)) return;
  await mountTmpfs(dir, `mode=0755${sizeBytes ? `,size=${sizeBytes}` : ''}`);
}

async function emptyDir(ctx: PodContext, v: Volume, dir: string): Promise<string> {
  const e = v.emptyDir!;
  if (e.medium === 'Memory') {
    const size = e.sizeLimit !== undefined ? Number(parseQuantity(String(e.sizeLimit)).value()) : undefined;
    await ensureTmpfs(dir, size);
  } else if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true });
    chmodSync(dir, 0o777);
  }
  const owner = fsGroupOwner(ctx);
  if (owner) {
    // fsGroup: the volume belongs to the group, and new files inherit it (setgid), as the kubelet's SetVolumeOwnership.
    chownSync(dir, owner.uid, owner.gid);
    chmodSync(dir, 0o2777);
  }
  return dir;
}

function hostPath(v: Volume): string {
  const hp = v.hostPath!;
  const p = hp.path;
  const type = hp.type ?? '';
  const st = existsSync(p) ? statSync(p) : undefined;
  const fail = (what: string) => { throw new VolumeError(`hostPath type check failed: ${p} is not ${what}`); };
  switch (type) {
    case '': break;
    case 'DirectoryOrCreate': if (!st) { mkdirSync(p, { recursive: true, mode: 0o755 }); } else if (!st.isDirectory()) fail('a directory'); break;
    case 'Directory': if (!st?.isDirectory()) fail('a directory'); break;
    case 'FileOrCreate': if (!st) { mkdirSync(dirname(p), { recursive: true }); writeFileSync(p, '', { mode: 0o644 }); } else if (!st.isFile()) fail('a file'); break;
    case 'File': if (!st?.isFile()) fail('a file'); break;
    case 'Socket': if (!st?.isSocket()) fail('a socket file'); break;
    case 'CharDevice': if (!st?.isCharacterDevice()) fail('a character device'); break;
    case 'BlockDevice': if (!st?.isBlockDevice()) fail('a block device'); break;
    default: throw new VolumeError(`hostPath: unknown type ${JSON.stringify(type)}`);
  }
  return p;
}

function downwardFiles(ctx: PodContext, items: DownwardAPIVolumeFile[] | undefined, defaultMode: number, out: Map<string, FileEntry>): void {
  const rt = { podIP: ctx.state.readySandbox?.ip, hostIP: ctx.svc.nodeIp, nodeName: ctx.svc.nodeName };
  for (const it of items ?? []) {
    let value: string;
    if (it.fieldRef) value = fieldRefValue(ctx.pod, it.fieldRef, rt);
    else if (it.resourceFieldRef) value = resourceFieldValue(ctx.pod, undefined, it.resourceFieldRef, NODE_FALLBACK);
    else continue;
    out.set(it.path, { data: Buffer.from(value), mode: it.mode ?? defaultMode });
  }
}

async function configMapFiles(ctx: PodContext, name: string, items: Parameters<typeof projectKeys>[3], mode: number, optional: boolean, out: Map<string, FileEntry>): Promise<void> {
  const data = await ctx.svc.objects.configMap(ctx.pod.metadata!.namespace!, name);
  if (!data) {
    if (optional) return;
    throw new VolumeError(`configmap "${name}" not found`);
  }
  projectKeys('configmap', name, data, items, mode, optional, out);
}

async function secretFiles(ctx: PodContext, name: string, items: Parameters<typeof projectKeys>[3], mode: number, optional: boolean, out: Map<string, FileEntry>): Promise<void> {
  const s = await ctx.svc.objects.secret(ctx.pod.metadata!.namespace!, name);
  if (!s) {
    if (optional) return;
    throw new VolumeError(`secret "${name}" not found`);
  }
  projectKeys('secret', name, s.data, items, mode, optional, out);
}

/** Prepares one volume; returns its host path. */
export async function setUpVolume(ctx: PodContext, v: Volume): Promise<string> {
  const uid = ctx.uid;
  const dirFor = (plugin: string) => ctx.svc.paths.volumeDir(uid, PLUGIN_DIRS[plugin], v.name);
  if (v.emptyDir) return emptyDir(ctx, v, dirFor('emptyDir'));
  if (v.hostPath) return hostPath(v);
  if (v.configMap) {
    const files = new Map<string, FileEntry>();
    await configMapFiles(ctx, v.configMap.name ?? '', v.configMap.items, v.configMap.defaultMode ?? 0o644, v.configMap.optional === true, files);
    const dir = dirFor('configMap');
    writeAtomic(dir, withFsGroup(ctx, files), fsGroupOwner(ctx));
    return dir;
  }
  if (v.secret) {
    const files = new Map<string, FileEntry>();
    await secretFiles(ctx, v.secret.secretName ?? '', v.secret.items, v.secret.defaultMode ?? 0o644, v.secret.optional === true, files);
    const dir = dirFor('secret');
    await ensureTmpfs(dir);
    writeAtomic(dir, withFsGroup(ctx, files), fsGroupOwner(ctx));
    return dir;
  }
  if (v.downwardAPI) {
    const files = new Map<string, FileEntry>();
    downwardFiles(ctx, v.downwardAPI.items, v.downwardAPI.defaultMode ?? 0o644, files);
    const dir = dirFor('downwardAPI');
    writeAtomic(dir, withFsGroup(ctx, files), fsGroupOwner(ctx));
    return dir;
  }
  if (v.projected) {
    const mode = v.projected.defaultMode ?? 0o644;
    const files = new Map<string, FileEntry>();
    for (const src of v.projected.sources ?? []) {
      if (src.configMap) await configMapFiles(ctx, src.configMap.name ?? '', src.configMap.items, mode, src.configMap.optional === true, files);
      else if (src.secret) await secretFiles(ctx, src.secret.name ?? '', src.secret.items, mode, src.secret.optional === true, files);
      else if (src.downwardAPI) downwardFiles(ctx, src.downwardAPI.items, mode, files);
      else if (src.serviceAccountToken) {
        const t = src.serviceAccountToken;
        const p = {
          namespace: ctx.pod.metadata!.namespace!, serviceAccount: ctx.pod.spec?.serviceAccountName || 'default',
          podName: ctx.pod.metadata!.name!, podUid: uid, audience: t.audience, expirationSeconds: t.expirationSeconds ?? 3600,
        };
        const { token } = await ctx.svc.tokens.get(p);
        const renew = ctx.svc.tokens.renewAt(TokenManager.key(p));
        if (renew) ctx.wakeAt(renew);
        files.set(t.path, { data: Buffer.from(token), mode });
      }
    }
    const dir = dirFor('projected');
    await ensureTmpfs(dir);
    writeAtomic(dir, withFsGroup(ctx, files), fsGroupOwner(ctx));
    return dir;
  }
  const kind = Object.keys(v).find((k) => k !== 'name') ?? 'unknown';
  throw new VolumeError(`volume type ${kind} is not supported by this node`);
}
