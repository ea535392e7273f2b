/**
 * DaemonSet controller (Kubernetes pkg/controller/daemon): one pod per eligible node. A node is
 * eligible when the pod template's nodeSelector and required node affinity match it and every
 * NoSchedule/NoExecute taint is tolerated — by the template's tolerations plus the ones Kubernetes
 * adds to every daemon pod (not-ready and unreachable NoExecute; disk-, memory-, pid-pressure and
 * unschedulable NoSchedule; network-unavailable for hostNetwork pods). A pod whose node gains an
 * untolerated NoExecute taint is deleted.
 *
 * Pods are created unbound with a required node affinity to their node (matchFields
 * metadata.name), so the scheduler binds them; they carry `controller-revision-hash` (the
 * template's ControllerRevision hash) and `pod-template-generation`. Failed pods are deleted (and
 * made again), a node's repeated failures only after a backoff (1 s doubling to 15 min); extra
 * pods on a node are deleted.
 *
 * RollingUpdate replaces pods of older revisions: with maxSurge 0, at most maxUnavailable nodes
 * are without an available pod; with maxSurge, a new pod starts beside the old one (on at most
 * maxSurge nodes at once) and the old one goes when the new one is available. OnDelete only uses
 * the new template for pods that were deleted.
 * Status: desiredNumberScheduled, currentNumberScheduled, numberMisscheduled, numberReady,
 * numberAvailable, numberUnavailable, updatedNumberScheduled, observedGeneration, collisionCount.
 */
import type { KubeObject } from '../api/object.js';
import type { DaemonSetSpec, DaemonSetStatus } from 'kubernetes-types/apps/v1.js';
import type { Affinity, Node, NodeSelectorTerm, PodSpec, Taint, Toleration } from 'kubernetes-types/core/v1.js';
import type { KubeClient } from '../client/types.js';
import { Resources } from '../client/resources.js';
import type { SharedInformers } from '../client/shared-informers.js';
import { objectKey, splitKey } from '../client/informer.js';
import { WorkQueue } from '../client/work-queue.js';
import { isNotFound } from '../client/errors.js';
import { selectorFromSpec, type LabelSelectorSpec } from '../api/selectors.js';
import type { Clock } from '../util/clock.js';
import { realClock } from '../util/clock.js';
import { runController, type Reconciler, type RunningController } from './runner.js';
import { ControllerExpectations } from './expectations.js';
import { claimObjects, controllerOf, recheckOwner } from './owner-routing.js';
import { createEventRecorder, type EventRecorder } from './events.js';
import { podFromTemplate, isPodAvailable, isPodReady, podPhase, type PodTemplateSpec } from './pod-template.js';
import { podsByController } from './replicaset.js';
import { CONTROLLER_REVISION_HASH_LABEL, REVISION_HASH_LABEL, ensureUpdateRevision, truncateHistory } from './controller-revision.js';
import { OwnWrites } from './own-writes.js';
import { untilAvailable } from './statefulset.js';
import { anyTermMatches, firstUntolerated } from '../scheduler/plugins/helpers.js';

export const POD_TEMPLATE_GENERATION_LABEL = 'pod-template-generation';
const REVISION_OWNER_INDEX = 'ds-revision-controller-uid';
const FAILED_BACKOFF_BASE_MS = 1000;
const FAILED_BACKOFF_MAX_MS = 15 * 60 * 1000;

export interface DaemonSetControllerOptions {
  client: KubeClient;
  informers: SharedInformers;
  clock?: Clock;
  recorder?: EventRecorder;
  workers?: number;
}

export interface DaemonSetController extends RunningController { recorder: EventRecorder; expectations: ControllerExpectations }

type Pod = KubeObject;

/** The tolerations Kubernetes adds to every daemon pod (util.AddOrUpdateDaemonPodTolerations). */
export function daemonPodTolerations(spec: PodSpec): Toleration[] {
  const add: Toleration[] = [
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
  ];
  if (spec.hostNetwork) add.push({ key: 'node.kubernetes.io/network-unavailable', operator: 'Exists', effect: 'NoSchedule' });
  const out = [...(spec.tolerations ?? [])];
  for (const t of add) {
    const i = out.findIndex((x) => x.key === t.key && x.effect === t.effect);
    if (i >= 0) out[i] = t; else out.push(t);
  }
  return out;
}

/** Required node affinity pinned to one node (util.ReplaceDaemonSetPodNodeNameNodeAffinity). */
export function pinToNode(affinity: Affinity | undefined, node: string): Affinity {
  const field = { key: 'metadata.name', operator: 'In', values: [node] };
  const a: Affinity = structuredClone(affinity ?? {});
  const na = a.nodeAffinity ?? {};
  const req = na.requiredDuringSchedulingIgnoredDuringExecution;
  if (!req || !req.nodeSelectorTerms?.length) {
    na.requiredDuringSchedulingIgnoredDuringExecution = { nodeSelectorTerms: [{ matchFields: [field] }] };
  } else {
    req.nodeSelectorTerms = req.nodeSelectorTerms.map((t) => ({ ...t, matchFields: [field] }));
  }
  a.nodeAffinity = na;
  return a;
}

/** The node a daemon pod is for: spec.nodeName, else its matchFields metadata.name affinity. */
export function targetNode(pod: Pod): string | undefined {
  const spec = (pod.spec ?? {}) as PodSpec;
  if (spec.nodeName) return spec.nodeName;
  for (const t of spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? []) {
    for (const f of t.matchFields ?? []) if (f.key === 'metadata.name' && f.operator === 'In' && f.values?.length === 1) return f.values[0];
  }
  return undefined;
}

/** nodeShouldRunDaemonPod: whether a new pod belongs on the node, and whether a running one may stay. */
export function nodeShouldRunDaemonPod(node: KubeObject, spec: DaemonSetSpec): { shouldRun: boolean; shouldContinueRunning: boolean } {
  const ps = (spec.template.spec ?? {}) as PodSpec;
  const name = String(node.metadata.name);
  const labels = node.metadata.labels ?? {};
  const no = { shouldRun: false, shouldContinueRunning: false };
  if (ps.nodeName && ps.nodeName !== name) return no;
  for (const [k, v] of Object.entries(ps.nodeSelector ?? {})) if (labels[k] !== v) return no;
  const terms: NodeSelectorTerm[] | undefined = ps.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (terms && terms.length && !anyTermMatches(terms, labels, name)) return no;
  const taints = ((node.spec ?? {}) as Node['spec'])?.taints ?? [];
  const tolerations = daemonPodTolerations(ps);
  if (firstUntolerated(taints as Taint[], tolerations, ['NoExecute'])) return no;
  if (firstUntolerated(taints as Taint[], tolerations, ['NoSchedule'])) return { shouldRun: false, shouldContinueRunning: true };
  return { shouldRun: true, shouldContinueRunning: true };
}

function scaled(v: number | string | undefined, total: number, dflt: number, roundUp: boolean): number {
  if (v === undefined || v === null) return dflt;
  if (typeof v === 'number') return v;
  const m = /^(\d+)%$/.exec(v);
  if (!m) return Number(v) || 0;
  const x = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(x) : Math.floor(x);
}

export function startDaemonSetController(opts: DaemonSetControllerOptions): DaemonSetController {
  const { client } = opts;
  const clock = opts.clock ?? realClock;
  const recorder = opts.recorder ?? createEventRecorder(client, 'daemonset-controller', clock);
  const sets = opts.informers.for(Resources.daemonsets);
  const nodes = opts.informers.for(Resources.nodes);
  const pods = podsByController(opts.informers);
  const revisions = opts.informers.for(Resources.controllerrevisions);
  revisions.addIndexer(REVISION_OWNER_INDEX, (r) => { const c = controllerOf(r); return c ? [c.uid] : []; });
  const queue = new WorkQueue({ clock });
  const expectations = new ControllerExpectations(clock);
  const own = new OwnWrites();
  /** `dsUid/node` → backoff for deleting failed pods (flowcontrol.Backoff: 1 s doubling to 15 min since the last deletion). */
  const failedBackoff = new Map<string, { backoff: number; lastUpdate: number }>();

  const ownerKey = (p: KubeObject) => {
    const r = controllerOf(p);
    if (!r || r.kind !== 'DaemonSet') return undefined;
    const key = `${p.metadata.namespace}/${r.name}`;
    return sets.get(key)?.metadata.uid === r.uid ? key : undefined;
  };
  const enqueueAll = () => { for (const s of sets.list()) queue.add(objectKey(s)); };
  sets.addEventHandler({ onAdd: (s) => queue.add(objectKey(s)), onUpdate: (_o, s) => queue.add(objectKey(s)), onDelete: (s) => { queue.add(objectKey(s)); expectations.delete(objectKey(s)); } });
  nodes.addEventHandler({
    onAdd: enqueueAll,
    onUpdate: (o, n) => {
      if (JSON.stringify([o.metadata.labels, (o.spec as Node['spec'])?.taints, (o.spec as Node['spec'])?.unschedulable]) !== JSON.stringify([n.metadata.labels, (n.spec as Node['spec'])?.taints, (n.spec as Node['spec'])?.unschedulable])) enqueueAll();
    },
    onDelete: enqueueAll,
  });
  pods.addEventHandler({
    onAdd: (p) => {
      const k = ownerKey(p);
      if (k) { expectations.creationObserved(k); queue.add(k); }
    },
    onUpdate: (o, p) => {
      const k = ownerKey(p);
      if (k) {
        if (p.metadata.deletionTimestamp) expectations.deletionObserved(k, objectKey(p));
        queue.add(k);
        const mrs = ((sets.get(k)?.spec as DaemonSetSpec | undefined)?.minReadySeconds) ?? 0;
        if (mrs > 0 && !isPodReady(o) && isPodReady(p)) queue.addAfter(k, mrs * 1000 + 1000);
      }
    },
    onDelete: (p) => { const k = ownerKey(p); if (k) { expectations.deletionObserved(k, objectKey(p)); queue.add(k); } },
  });
  revisions.addEventHandler({ onDelete: (r) => { const c = controllerOf(r); if (c?.kind === 'DaemonSet') queue.add(`${r.metadata.namespace}/${c.name}`); } });

  async function createPods(ds: KubeObject, key: string, nodeNames: string[], hash: string): Promise<void> {
    if (!nodeNames.length) return;
    const spec = ds.spec as DaemonSetSpec;
    expectations.expectCreations(key, nodeNames.length);
    const errors: unknown[] = [];
    await Promise.all(nodeNames.map(async (node) => {
      const pod = podFromTemplate(spec.template as PodTemplateSpec, ds, Resources.daemonsets);
      pod.metadata.labels = { ...(pod.metadata.labels ?? {}), [CONTROLLER_REVISION_HASH_LABEL]: hash, [POD_TEMPLATE_GENERATION_LABEL]: String(ds.metadata.generation ?? 1) };
      const ps = pod.spec as PodSpec;
      ps.tolerations = daemonPodTolerations(ps);
      ps.affinity = pinToNode(ps.affinity, node);
      try {
        const created = await client.create(Resources.pods, ds.metadata.namespace, pod);
        recorder.event(ds, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`);
      } catch (err) {
        expectations.creationObserved(key);
        recorder.event(ds, 'Warning', 'FailedCreate', `Error creating: ${err instanceof Error ? err.message : String(err)}`);
        errors.push(err);
      }
    }));
    if (errors.length) throw errors[0];
  }

  async function deletePods(ds: KubeObject, key: string, victims: Pod[]): Promise<void> {
    if (!victims.length) return;
    expectations.expectDeletions(key, victims.map(objectKey));
    const errors: unknown[] = [];
    await Promise.all(victims.map(async (p) => {
      try {
        await client.delete(Resources.pods, p.metadata.namespace, String(p.metadata.name));
        recorder.event(ds, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata.name}`);
      } catch (err) {
        expectations.deletionObserved(key, objectKey(p));
        if (isNotFound(err)) return;
        recorder.event(ds, 'Warning', 'FailedDelete', `Error deleting: ${err instanceof Error ? err.message : String(err)}`);
        errors.push(err);
      }
    }));
    if (errors.length) throw errors[0];
  }

  const reconciler: Reconciler = {
    name: 'daemonset',
    async reconcile(key) {
      const cachedDs = sets.get(key);
      if (!cachedDs) { expectations.delete(key); return; }
      const ds = own.latest(cachedDs);
      const { namespace } = splitKey(key);
      const spec = (ds.spec ?? {}) as DaemonSetSpec;
      const prev = (ds.status ?? {}) as DaemonSetStatus;
      const now = clock.now();
      let selector;
      try { selector = selectorFromSpec(spec.selector as LabelSelectorSpec); } catch { return; }
      const claimed = await claimObjects({
        client, owner: ds, ownerRef: Resources.daemonsets, dependentRef: Resources.pods, selector,
        candidates: pods.byIndex('namespace', String(namespace)), canAdopt: recheckOwner(client, Resources.daemonsets, ds),
      });
      const owned = revisions.byIndex(REVISION_OWNER_INDEX, String(ds.metadata.uid));
      const { update, revisions: history, collisionCount } = await ensureUpdateRevision(client, ds, Resources.daemonsets, owned, prev.collisionCount ?? 0);
      const hash = String(update.metadata.labels?.[REVISION_HASH_LABEL] ?? '');
      const isNew = (p: Pod) => p.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL] === hash;
      const minReady = spec.minReadySeconds ?? 0;
      const available = (p: Pod) => !p.metadata.deletionTimestamp && isPodAvailable(p, minReady, now);

      const byNode = new Map<string, Pod[]>();
      for (const p of claimed) {
        const n = targetNode(p);
        if (!n) continue;
        const list = byNode.get(n) ?? [];
        list.push(p);
        byNode.set(n, list);
      }
      for (const list of byNode.values()) list.sort((a, b) => String(a.metadata.creationTimestamp).localeCompare(String(b.metadata.creationTimestamp)) || String(a.metadata.name).localeCompare(String(b.metadata.name)));
      const allNodes = nodes.list();
      const eligibility = new Map(allNodes.map((n) => [String(n.metadata.name), nodeShouldRunDaemonPod(n, spec)]));
      const desired = [...eligibility.values()].filter((e) => e.shouldRun).length;
      const rolling = (spec.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
      let maxSurge = rolling ? scaled(spec.updateStrategy?.rollingUpdate?.maxSurge as number | string | undefined, desired, 0, true) : 0;
      let maxUnavailable = rolling ? scaled(spec.updateStrategy?.rollingUpdate?.maxUnavailable as number | string | undefined, desired, 1, false) : 0;
      if (rolling && maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
      if (maxSurge > 0) maxUnavailable = Math.max(0, maxUnavailable);
      let requeueAfterMs: number | undefined;

      if (expectations.satisfied(key) && !ds.metadata.deletionTimestamp) {
        // manage: one pod on every node that should run one, none elsewhere
        const toCreate: string[] = [];
        const toDelete: Pod[] = [];
        for (const n of allNodes) {
          const name = String(n.metadata.name);
          const { shouldRun, shouldContinueRunning } = eligibility.get(name)!;
          const here = byNode.get(name) ?? [];
          if (shouldRun && here.length === 0) { toCreate.push(name); continue; }
          if (!shouldContinueRunning) { toDelete.push(...here.filter((p) => !p.metadata.deletionTimestamp)); continue; }
          if (!shouldRun && here.length === 0) continue;
          const running: Pod[] = [];
          for (const p of here) {
            if (p.metadata.deletionTimestamp) continue;
            if (podPhase(p) === 'Failed') {
              // a node that keeps failing our pods (the kubelet rejecting them) is not fought in a hot loop
              const bk = `${ds.metadata.uid}/${name}`;
              const b = failedBackoff.get(bk);
              if (b && now - b.lastUpdate < b.backoff) { requeueAfterMs = Math.min(requeueAfterMs ?? Infinity, b.lastUpdate + b.backoff - now); continue; }
              failedBackoff.set(bk, { backoff: b ? Math.min(FAILED_BACKOFF_MAX_MS, b.backoff * 2) : FAILED_BACKOFF_BASE_MS, lastUpdate: now });
              recorder.event(ds, 'Warning', 'FailedDaemonPod', `Found failed daemon pod ${namespace}/${p.metadata.name} on node ${name}, will try to kill it`);
              toDelete.push(p);
              continue;
            }
            running.push(p);
          }
          if (maxSurge === 0) toDelete.push(...running.slice(1));
          else {
            // with surge, one old and one new pod may share a node
            const oldest = running.find((p) => !isNew(p));
            const newest = running.find(isNew);
            toDelete.push(...running.filter((p) => p !== oldest && p !== newest));
          }
        }
        await deletePods(ds, key, toDelete);
        await createPods(ds, key, toCreate, hash);

        // rolling update
        if (rolling && !toCreate.length && !toDelete.length) {
          const oldToDelete: Pod[] = [];
          const surgeNodes: string[] = [];
          if (maxSurge === 0) {
            let unavailable = 0;
            const candidates: Pod[] = [];
            for (const [node, list] of byNode) {
              if (!eligibility.get(node)?.shouldRun) continue;
              const live = list.filter((p) => podPhase(p) !== 'Failed');
              const nw = live.filter(isNew), old = live.filter((p) => !isNew(p));
              if (nw.length > 1 || old.length > 1) continue;
              const o = old[0], n = nw[0];
              if (!o) { if (!n || !available(n)) unavailable++; continue; }
              if (o.metadata.deletionTimestamp) { unavailable++; continue; }
              if (!available(o)) { oldToDelete.push(o); unavailable++; continue; }
              candidates.push(o);
            }
            for (const node of eligibility.keys()) if (eligibility.get(node)!.shouldRun && !byNode.has(node)) unavailable++;
            oldToDelete.push(...candidates.slice(0, Math.max(0, maxUnavailable - unavailable)));
          } else {
            let surging = 0;
            for (const [node, list] of byNode) {
              if (!eligibility.get(node)?.shouldRun) continue;
              const live = list.filter((p) => podPhase(p) !== 'Failed' && !p.metadata.deletionTimestamp);
              const o = live.find((p) => !isNew(p)), n = live.find(isNew);
              if (!o) continue;
              if (!n) {
                if (!available(o)) surgeNodes.push(node);
                else if (surging < maxSurge) { surgeNodes.push(node); surging++; }
                continue;
              }
              surging++;
              if (available(n)) oldToDelete.push(o);
            }
          }
          await deletePods(ds, key, oldToDelete);
          await createPods(ds, key, surgeNodes, hash);
        }
      }

      // status, per node
      let current = 0, mis = 0, ready = 0, avail = 0, updated = 0;
      for (const n of allNodes) {
        const name = String(n.metadata.name);
        const here = (byNode.get(name) ?? []).filter((p) => !p.metadata.deletionTimestamp);
        const { shouldRun } = eligibility.get(name)!;
        if (!here.length) continue;
        if (!shouldRun) { mis++; continue; }
        current++;
        const best = here.find(isNew) ?? here[0];
        if (isPodReady(best)) { ready++; if (available(best)) avail++; }
        if (here.some(isNew)) updated++;
      }
      const status: DaemonSetStatus = {
        currentNumberScheduled: current, numberMisscheduled: mis, desiredNumberScheduled: desired, numberReady: ready,
        observedGeneration: ds.metadata.generation, updatedNumberScheduled: updated, numberAvailable: avail,
        numberUnavailable: desired - avail,
      };
      if (collisionCount) status.collisionCount = collisionCount;
      if (prev.conditions) status.conditions = prev.conditions;
      for (const k of ['updatedNumberScheduled', 'numberAvailable', 'numberUnavailable'] as const) if (!status[k]) delete status[k];
      if (JSON.stringify(status) !== JSON.stringify(prev)) {
        try { own.remember(await client.update(Resources.daemonsets, namespace, { ...ds, status: status as unknown as Record<string, unknown> }, { subresource: 'status' })); } catch (err) { if (!isNotFound(err)) throw err; }
      }
      const live = new Set<string>([String(update.metadata.name)]);
      const hashes = new Set(claimed.map((p) => p.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL]));
      for (const r of history) if (hashes.has(r.metadata.labels?.[REVISION_HASH_LABEL])) live.add(String(r.metadata.name));
      await truncateHistory(client, history, live, spec.revisionHistoryLimit ?? 10);
      if (minReady > 0 && ready > avail) {
        const wait = untilAvailable(claimed, minReady, now);
        if (wait !== undefined) requeueAfterMs = Math.min(requeueAfterMs ?? Infinity, wait);
      }
      return requeueAfterMs !== undefined ? { requeueAfterMs } : undefined;
    },
  };
  const running = runController(reconciler, queue, opts.workers ?? 2);
  return { ...running, recorder, expectations };
}
