/**
 * Mirror pods: for every static pod, a read-only copy in the API so that kubectl sees it —
 * same name and namespace, annotation kubernetes.io/config.mirror = the static pod's hash,
 * ownerReference to the Node, bound to this node. A mirror that is missing, stale (another hash) or
 * being deleted is replaced (deleted with gracePeriodSeconds 0, then created again); deleting the
 * mirror never stops the static pod. Mirrors of static pods that no longer exist are deleted.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { KubeClient } from '../../client/types.js';
import type { KubeObject } from '../../api/object.js';
import { Resources } from '../../client/resources.js';
import { isAlreadyExists, isConflict, isNotFound } from '../../client/errors.js';
import { logger } from '../../util/log.js';
import { HASH_ANNOTATION, MIRROR_ANNOTATION } from './static-pod-source.js';

const log = logger('agent-mirror');

export function isMirrorPod(pod: Pod): boolean {
  return pod.metadata?.annotations?.[MIRROR_ANNOTATION] !== undefined;
}

export function mirrorOf(staticPod: Pod, nodeName: string, nodeUid: string | undefined): Pod {
  const hash = staticPod.metadata!.annotations![HASH_ANNOTATION];
  const m = structuredClone(staticPod) as { -readonly [K in keyof Pod]: Pod[K] };
  m.metadata = {
    name: staticPod.metadata!.name, namespace: staticPod.metadata!.namespace,
    labels: staticPod.metadata!.labels,
    annotations: { ...staticPod.metadata!.annotations, [MIRROR_ANNOTATION]: hash },
    ...(nodeUid ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: nodeName, uid: nodeUid, controller: true }] } : {}),
  };
  delete m.status;
  return m;
}

export class MirrorPods {
  private running = false;
  private again = false;
  creates = 0;

  constructor(
    private readonly client: KubeClient,
    private readonly nodeName: string,
    private readonly nodeUid: () => string | undefined,
    private readonly staticPods: () => Map<string, Pod>,
    private readonly mirrors: () => Pod[],
  ) {}

  /** Reconciles (coalescing calls that arrive while one runs). */
  async sync(): Promise<void> {
    if (this.running) { this.again = true; return; }
    this.running = true;
    try {
      do {
        this.again = false;
        await this.reconcile();
      } while (this.again);
    } finally {
      this.running = false;
    }
  }

  private async reconcile(): Promise<void> {
    const statics = this.staticPods();
    const byKey = new Map<string, Pod>();
    for (const p of statics.values()) byKey.set(`${p.metadata!.namespace}/${p.metadata!.name}`, p);
    for (const m of this.mirrors()) {
      const key = `${m.metadata!.namespace}/${m.metadata!.name}`;
      const sp = byKey.get(key);
      const stale = !sp || m.metadata!.annotations?.[MIRROR_ANNOTATION] !== sp.metadata!.uid || !!m.metadata!.deletionTimestamp;
      if (stale) await this.remove(m);
    }
    const have = new Map(this.mirrors().filter((m) => !m.metadata!.deletionTimestamp).map((m) => [`${m.metadata!.namespace}/${m.metadata!.name}`, m]));
    for (const [key, sp] of byKey) {
      const m = have.get(key);
      if (m && m.metadata!.annotations?.[MIRROR_ANNOTATION] === sp.metadata!.uid) continue;
      try {
        await this.client.create(Resources.pods, sp.metadata!.namespace, mirrorOf(sp, this.nodeName, this.nodeUid()) as unknown as KubeObject);
        this.creates++;
        log.info('mirror pod created', { pod: key });
      } catch (e) {
        if (isAlreadyExists(e)) { this.again = false; continue; }
        log.warn('mirror pod create failed', { pod: key, err: e instanceof Error ? e.message : String(e) });
      }
    }
  }

  private async remove(m: Pod): Promise<void> {
    try {
      await this.client.delete(Resources.pods, m.metadata!.namespace, m.metadata!.name!, { gracePeriodSeconds: 0, preconditions: { uid: m.metadata!.uid } });
      log.info('stale mirror pod deleted', { pod: `${m.metadata!.namespace}/${m.metadata!.name}` });
    } catch (e) {
      if (!isNotFound(e) && !isConflict(e)) log.warn('mirror pod delete failed', { err: e instanceof Error ? e.message : String(e) });
    }
  }
}
