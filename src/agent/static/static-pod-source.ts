/**
 * Static pods: one Pod manifest (YAML or JSON) per file in the manifest dir, run by this agent
 * without the API server. As the kubelet does: the pod is defaulted, named NAME-NODENAME, bound
 * to this node, namespace "default" unless given, and its UID is a hash of the manifest and the
 * node (so an edited file is a new pod that replaces the old one; a removed file stops its pod).
 * The dir is re-read on change notifications and every `pollMs`.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { applyDefaults } from '../../api/defaults/index.js';
import type { KubeObject } from '../../api/object.js';
import type { Clock, Timer } from '../../util/clock.js';
import { logger } from '../../util/log.js';

const log = logger('agent-static');

export const MIRROR_ANNOTATION = 'kubernetes.io/config.mirror';
export const HASH_ANNOTATION = 'kubernetes.io/config.hash';
export const SOURCE_ANNOTATION = 'kubernetes.io/config.source';
export const SEEN_ANNOTATION = 'kubernetes.io/config.seen';

export interface StaticPodHandler {
  /** The set of static pods now (by UID); called after every change. */
  onChange(pods: Map<string, Pod>): void;
}

export function staticPodFromManifest(text: string, file: string, nodeName: string, now: number): Pod {
  const doc = parseYaml(text) as KubeObject | null;
  if (!doc || typeof doc !== 'object') throw new Error('empty manifest');
  if (doc.kind !== 'Pod') throw new Error(`kind must be Pod, not ${JSON.stringify(doc.kind)}`);
  if (!doc.metadata?.name) throw new Error('metadata.name is required');
  const hash = createHash('md5').update(nodeName).update('\0').update(file).update('\0').update(text).digest('hex');
  const pod = structuredClone(doc);
  applyDefaults('Pod', pod);
  pod.apiVersion = 'v1';
  pod.metadata.name = `${doc.metadata.name}-${nodeName}`;
  pod.metadata.namespace = doc.metadata.namespace || 'default';
  pod.metadata.uid = hash;
  pod.metadata.annotations = {
    ...(doc.metadata.annotations ?? {}),
    [HASH_ANNOTATION]: hash,
    [SOURCE_ANNOTATION]: 'file',
    [SEEN_ANNOTATION]: new Date(now).toISOString().replace(/Z$/, '000000Z'),
  };
  (pod.spec as Record<string, unknown>).nodeName = nodeName;
  pod.status = { phase: 'Pending' };
  return pod as unknown as Pod;
}

export class StaticPodSource {
  private watcher?: FSWatcher;
  private timer?: Timer;
  private stopped = false;
  private files = new Map<string, { mtimeMs: number; size: number; pod?: Pod; error?: string }>();
  pods = new Map<string, Pod>();

  constructor(private readonly dir: string, private readonly nodeName: string, private readonly clock: Clock, private readonly handler: StaticPodHandler, private readonly pollMs = 5_000) {}

  start(): void {
    this.stopped = false;
    if (!existsSync(this.dir)) mkdirSync(this.dir, { recursive: true });
    try {
      this.watcher = watch(this.dir, () => this.scan());
      this.watcher.on('error', () => undefined);
    } catch { /* polling only */ }
    this.scan();
    this.tick();
  }

  stop(): void {
    this.stopped = true;
    this.watcher?.close();
    this.timer?.cancel();
  }

  private tick(): void {
    if (this.stopped) return;
    this.timer = this.clock.setTimeout(() => { this.scan(); this.tick(); }, this.pollMs);
  }

  /** Re-reads the manifest dir; calls the handler when the set of pods changed. */
  scan(): void {
    if (this.stopped) return;
    let names: string[] = [];
    try { names = readdirSync(this.dir).filter((n) => !n.startsWith('.')).sort(); } catch { names = []; }
    const seen = new Set<string>();
    let changed = false;
    for (const n of names) {
      const path = join(this.dir, n);
      let st;
      try { st = statSync(path); } catch { continue; }
      if (!st.isFile()) continue;
      seen.add(path);
      const prev = this.files.get(path);
      if (prev && prev.mtimeMs === st.mtimeMs && prev.size === st.size) continue;
      try {
        const pod = staticPodFromManifest(readFileSync(path, 'utf8'), path, this.nodeName, this.clock.now());
        if (prev?.pod?.metadata?.uid !== pod.metadata!.uid) changed = true;
        this.files.set(path, { mtimeMs: st.mtimeMs, size: st.size, pod: prev?.pod?.metadata?.uid === pod.metadata!.uid ? prev!.pod : pod });
      } catch (e) {
        const error = e instanceof Error ? e.message : String(e);
        if (prev?.error !== error) log.warn('static pod manifest rejected', { file: path, err: error });
        if (prev?.pod) changed = true;
        this.files.set(path, { mtimeMs: st.mtimeMs, size: st.size, error });
      }
    }
    for (const path of [...this.files.keys()]) {
      if (!seen.has(path)) { if (this.files.get(path)?.pod) changed = true; this.files.delete(path); }
    }
    if (!changed) return;
    const pods = new Map<string, Pod>();
    for (const f of this.files.values()) if (f.pod) pods.set(f.pod.metadata!.uid!, f.pod);
    this.pods = pods;
    this.handler.onChange(pods);
  }
}
