/**
 * Writes pod statuses through pods/status, only when something changed, one write at a time per
 * pod (the newest status wins; a failed write is retried on the next sync). Static pods' statuses
 * go to their mirror pods. Patches are JSON merge patches of the whole status, with null for
 * fields that went away (conditions and container statuses are replaced as lists, which is what
 * the kubelet's strategic patch amounts to for them).
 */
import type { Pod, PodStatus } from 'kubernetes-types/core/v1.js';
import type { KubeClient } from '../../client/types.js';
import { Resources } from '../../client/resources.js';
import { isNotFound } from '../../client/errors.js';
import { logger } from '../../util/log.js';

const log = logger('agent-status');

interface Slot { target: { namespace: string; name: string; uid?: string }; status: PodStatus; written?: string; writing?: Promise<void> }

export class StatusManager {
  private readonly slots = new Map<string, Slot>();
  writes = 0;

  constructor(private readonly client: KubeClient | undefined) {}

  /** The status last set for a pod (what the agent believes). */
  get(uid: string): PodStatus | undefined { return this.slots.get(uid)?.status; }

  /**
   * Sets the status of pod `uid`; `apiPod` is the object in the API to write it to (the pod, or the
   * mirror pod of a static pod) with its current status.
   */
  set(uid: string, apiPod: Pod | undefined, status: PodStatus): Promise<void> {
    let slot = this.slots.get(uid);
    const target = apiPod ? { namespace: apiPod.metadata!.namespace!, name: apiPod.metadata!.name!, uid: apiPod.metadata!.uid } : undefined;
    if (!slot) {
      if (!target) { this.slots.set(uid, { target: { namespace: '', name: '' }, status }); return Promise.resolve(); }
      slot = { target, status, written: JSON.stringify(apiPod!.status ?? {}) };
      this.slots.set(uid, slot);
    }
    slot.status = status;
    if (target) {
      if (slot.target.uid !== target.uid) slot.written = JSON.stringify(apiPod!.status ?? {});
      slot.target = target;
    }
    return this.flush(uid);
  }

  /** Writes the pending status of `uid` (if changed); resolves when written or failed. */
  async flush(uid: string): Promise<void> {
    const slot = this.slots.get(uid);
    if (!slot || !this.client || !slot.target.name) return;
    while (slot.writing) await slot.writing;
    const text = JSON.stringify(slot.status);
    if (text === slot.written) return;
    const before = slot.written ? JSON.parse(slot.written) as Record<string, unknown> : {};
    const patch: Record<string, unknown> = { ...slot.status };
    for (const k of Object.keys(before)) if (!(k in patch)) patch[k] = null;
    const client = this.client;
    slot.writing = (async () => {
      try {
        await client.patch(Resources.pods, slot.target.namespace, slot.target.name, 'merge', { metadata: { uid: slot.target.uid }, status: patch }, { subresource: 'status' });
        slot.written = text;
        this.writes++;
      } catch (e) {
        if (!isNotFound(e)) log.warn('pod status write failed', { pod: `${slot.target.namespace}/${slot.target.name}`, err: e instanceof Error ? e.message : String(e) });
      } finally {
        slot.writing = undefined;
      }
    })();
    await slot.writing;
  }

  forget(uid: string): void { this.slots.delete(uid); }
}
