/**
 * Taint-based eviction (Kubernetes' tainteviction controller): a pod on a node with NoExecute taints
 * is deleted at once when it does not tolerate one of them, or after the smallest tolerationSeconds
 * of the tolerations it uses (never, when one of them has no tolerationSeconds). Removing the taint
 * in time cancels the eviction. Before deleting, the pod gets the DisruptionTarget condition
 * (reason DeletionByTaintManager) and a TaintManagerEviction event.
 */
import type { Node, Pod, Taint, Toleration } from 'kubernetes-types/core/v1.js';
import { randomBytes } from 'node:crypto';
import type { KubeObject } from '../api/object.js';
import type { KubeClient } from '../client/types.js';
import { Resources } from '../client/resources.js';
import type { SharedInformers } from '../client/shared-informers.js';
import { isNotFound } from '../client/errors.js';
import type { Clock, Timer } from '../util/clock.js';
import { logger } from '../util/log.js';
import { podNodeName } from './node-lifecycle.js';

const log = logger('taint-eviction');

function tolerates(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  if ((t.operator || 'Equal') === 'Exists') return true;
  return (t.value ?? '') === (taint.value ?? '');
}

/** ms until eviction: 0 = now, -1 = never; undefined = not affected (no NoExecute taints). */
export function evictionDelayMs(pod: Pod, taints: Taint[]): number | undefined {
  const noExec = taints.filter((t) => t.effect === 'NoExecute');
  if (noExec.length === 0) return undefined;
  const tols = pod.spec?.tolerations ?? [];
  const used: Toleration[] = [];
  for (const taint of noExec) {
    const matching = tols.filter((t) => tolerates(t, taint));
    if (matching.length === 0) return 0;
    used.push(...matching);
  }
  let min = Infinity;
  for (const t of used) {
    if (t.tolerationSeconds === undefined || t.tolerationSeconds === null) continue;
    if (t.tolerationSeconds <= 0) return 0;
    min = Math.min(min, t.tolerationSeconds);
  }
  return min === Infinity ? -1 : min * 1000;
}

function rfc3339(ms: number): string { return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z'); }

export interface TaintEviction { stop(): Promise<void>; scheduled(): string[] }

export function startTaintEviction(opts: { client: KubeClient; informers: SharedInformers; clock: Clock }): TaintEviction {
  const { client, clock } = opts;
  const nodes = opts.informers.for<KubeObject>(Resources.nodes);
  const pods = opts.informers.for<KubeObject>(Resources.pods);
  pods.addIndexer('nodeName', podNodeName);
  const timers = new Map<string, { uid: string; at: number; timer: Timer }>();
  const writes = new Set<Promise<void>>();
  let stopped = false;

  const cancel = (key: string, pod?: Pod) => {
    const t = timers.get(key);
    if (!t) return;
    t.timer.cancel();
    timers.delete(key);
    if (pod) void event(pod, 'Normal', 'TaintManagerEviction', `Cancelling deletion of Pod ${key}`);
  };

  const event = async (pod: Pod, type: string, reason: string, message: string) => {
    const ns = pod.metadata?.namespace ?? 'default';
    const now = rfc3339(clock.now());
    try {
      await client.create(Resources.events, ns, {
        apiVersion: 'v1', kind: 'Event', metadata: { name: `${pod.metadata?.name}.${randomBytes(8).toString('hex')}`, namespace: ns },
        involvedObject: { apiVersion: 'v1', kind: 'Pod', namespace: ns, name: pod.metadata?.name, uid: pod.metadata?.uid },
        reason, message, type, source: { component: 'taint-eviction-controller' }, reportingComponent: 'taint-eviction-controller',
        firstTimestamp: now, lastTimestamp: now, count: 1,
      } as KubeObject);
    } catch { /* events are best effort */ }
  };

  const evict = async (key: string, uid: string) => {
    timers.delete(key);
    const pod = pods.get(key) as Pod | undefined;
    if (!pod || pod.metadata?.uid !== uid || pod.metadata?.deletionTimestamp) return;
    const ns = pod.metadata?.namespace ?? 'default';
    const name = pod.metadata?.name ?? '';
    await event(pod, 'Normal', 'TaintManagerEviction', `Marking for deletion Pod ${key}`);
    try {
      const conds = (pod.status?.conditions ?? []).filter((c) => c.type !== 'DisruptionTarget');
      conds.push({ type: 'DisruptionTarget', status: 'True', reason: 'DeletionByTaintManager', message: 'Taint manager: deleting due to NoExecute taint', lastTransitionTime: rfc3339(clock.now()) });
      await client.patch(Resources.pods, ns, name, 'merge', { status: { conditions: conds } }, { subresource: 'status' }).catch(() => undefined);
      await client.delete(Resources.pods, ns, name, { preconditions: { uid } });
      log.info('evicted pod from tainted node', { pod: key, node: pod.spec?.nodeName });
    } catch (e) {
      if (!isNotFound(e)) {
        log.warn('eviction failed; retrying', { pod: key, err: String(e) });
        schedule(key, uid, 1000);
      }
    }
  };

  const schedule = (key: string, uid: string, delay: number) => {
    if (stopped) return;
    const at = clock.now() + delay;
    const cur = timers.get(key);
    if (cur && cur.uid === uid && cur.at <= at) return;
    cur?.timer.cancel();
    const timer = clock.setTimeout(() => {
      const p = evict(key, uid);
      writes.add(p);
      void p.finally(() => writes.delete(p));
    }, delay);
    timers.set(key, { uid, at, timer });
  };

  const processPod = (pod: Pod) => {
    const key = `${pod.metadata?.namespace}/${pod.metadata?.name}`;
    const nodeName = pod.spec?.nodeName;
    if (!nodeName || pod.metadata?.deletionTimestamp) { cancel(key); return; }
    const node = nodes.get(nodeName) as Node | undefined;
    const delay = node ? evictionDelayMs(pod, node.spec?.taints ?? []) : undefined;
    if (delay === undefined || delay < 0) { cancel(key, timers.has(key) ? pod : undefined); return; }
    schedule(key, pod.metadata?.uid ?? '', delay);
  };

  const processNode = (node: Node) => {
    for (const p of pods.byIndex('nodeName', node.metadata?.name ?? '')) processPod(p as Pod);
  };

  nodes.addEventHandler({
    onAdd: (n) => processNode(n as Node),
    onUpdate: (o, n) => { if (JSON.stringify((o as Node).spec?.taints) !== JSON.stringify((n as Node).spec?.taints)) processNode(n as Node); },
  });
  pods.addEventHandler({
    onAdd: (p) => processPod(p as Pod),
    onUpdate: (_o, p) => processPod(p as Pod),
    onDelete: (p) => cancel(`${p.metadata.namespace}/${p.metadata.name}`),
  });

  return {
    scheduled: () => [...timers.keys()],
    async stop() {
      stopped = true;
      for (const t of timers.values()) t.timer.cancel();
      timers.clear();
      await Promise.allSettled([...writes]);
    },
  };
}
