/**
 * ConfigMaps and Secrets the pods on this node use, read through the API with a short TTL (the
 * kubelet's TTL-based cache manager): a pod's sync sees content at most `ttlMs` old, so updates
 * reach running pods on the next resync without one GET per volume per sync.
 */
import type { KubeObject } from '../../api/object.js';
import type { KubeClient, ResourceRef } from '../../client/types.js';
import { Resources } from '../../client/resources.js';
import { isNotFound } from '../../client/errors.js';
import type { Clock } from '../../util/clock.js';

interface Entry { at: number; obj: KubeObject | null }

export class ObjectCache {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly client: KubeClient | undefined, private readonly clock: Clock, private readonly ttlMs = 5_000) {}

  private async get(ref: ResourceRef, namespace: string, name: string): Promise<KubeObject | null> {
    const key = `${ref.resource}/${namespace}/${name}`;
    const e = this.entries.get(key);
    const now = this.clock.now();
    if (e && now - e.at < this.ttlMs) return e.obj;
    if (!this.client) throw new Error(`${ref.resource === 'secrets' ? 'secret' : 'configmap'} "${name}": the agent has no API connection (static pod)`);
    let obj: KubeObject | null;
    try {
      obj = await this.client.get(ref, namespace, name);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      obj = null;
    }
    this.entries.set(key, { at: now, obj });
    return obj;
  }

  /** The ConfigMap's data (binaryData decoded), or null when it does not exist. */
  async configMap(namespace: string, name: string): Promise<Map<string, Buffer> | null> {
    const cm = await this.get(Resources.configmaps, namespace, name);
    if (!cm) return null;
    const out = new Map<string, Buffer>();
    for (const [k, v] of Object.entries((cm.data ?? {}) as Record<string, string>)) out.set(k, Buffer.from(v, 'utf8'));
    for (const [k, v] of Object.entries((cm.binaryData ?? {}) as Record<string, string>)) out.set(k, Buffer.from(v, 'base64'));
    return out;
  }

  /** The Secret's data (decoded), or null when it does not exist. */
  async secret(namespace: string, name: string): Promise<{ type: string; data: Map<string, Buffer> } | null> {
    const s = await this.get(Resources.secrets, namespace, name);
    if (!s) return null;
    const out = new Map<string, Buffer>();
    for (const [k, v] of Object.entries((s.data ?? {}) as Record<string, string>)) out.set(k, Buffer.from(v, 'base64'));
    for (const [k, v] of Object.entries((s.stringData ?? {}) as Record<string, string>)) out.set(k, Buffer.from(v, 'utf8'));
    return { type: String(s.type ?? 'Opaque'), data: out };
  }

  invalidate(): void { this.entries.clear(); }
}
