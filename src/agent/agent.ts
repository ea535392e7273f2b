/**
 * The node agent (the kubelet's job). Start-up, in order:
 *
 *   1. runtime start (traffic guard), images: DIR/agent/images/*.tar (+ the example images)
 *   2. Node registered (retried in the background while the API is unreachable), status loop, Lease
 *   3. static pods from the manifest dir (they run without the API) → mirror pods
 *   4. pods bound to this node (watch with fieldSelector spec.nodeName=NODE) → one PodWorker each
 *   5. once both sources are known: sandboxes of pods that no longer exist are removed
 *   6. container exits (runtime notifications) and a 10 s resync trigger the workers
 *   7. image garbage collection every 5 minutes (above 85 % disk use)
 *
 * stop() ends the agent's loops but leaves every container running (as the kubelet does): a new
 * agent on the same data dir re-adopts them.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Pod, Service } from 'kubernetes-types/core/v1.js';
import type { KubeClient } from '../client/types.js';
import type { KubeObject } from '../api/object.js';
import { Informer, objectKey } from '../client/informer.js';
import { podTrace, podTraceOn } from './pod/start-trace.js';
import { Resources } from '../client/resources.js';
import { isConflict, isNotFound } from '../client/errors.js';
import type { Runtime } from '../runtime/runtime.js';
import type { ImageStore } from '../images/image-store.js';
import type { Clock, Timer } from '../util/clock.js';
import { realClock } from '../util/clock.js';
import { logger } from '../util/log.js';
import { AgentPaths } from './paths.js';
import { EventRecorder } from './events/event-recorder.js';
import { NodeRegistration } from './node/node-registration.js';
import { NodeLease } from './node/node-lease.js';
import { Backoff } from './pod/backoff.js';
import { ProbeManager } from './probes/probe-manager.js';
import { ObjectCache } from './volumes/object-cache.js';
import { TokenManager } from './volumes/token-manager.js';
import { StatusManager } from './status/status-manager.js';
import { PodWorker, type PodWorkerHost } from './pod/pod-worker.js';
import type { AgentServices } from './pod/pod-context.js';
import { StaticPodSource, MIRROR_ANNOTATION } from './static/static-pod-source.js';
import { MirrorPods, isMirrorPod } from './static/mirror-pods.js';
import { importNodeImages } from './images/image-import.js';
import { ImageGc } from './images/image-gc.js';
import { removePodFiles } from './pod/hooks/volumes-hook.js';

const log = logger('agent');

function safeList(dir: string): string[] {
  try { return readdirSync(dir); } catch { return []; }
}

export interface AgentOptions {
  /** API client with this node's credential; undefined = standalone (static pods only). */
  client?: KubeClient;
  nodeName: string;
  /** The peapod data dir; the agent keeps its files in DIR/agent. */
  dataDir: string;
  runtime: Runtime & { start?(): Promise<void> };
  images: ImageStore;
  /** InternalIP; default 127.0.0.1. */
  nodeIp?: string;
  /** Default 110. */
  maxPods?: number;
  podCidr?: string;
  /** Cluster DNS server for ClusterFirst pods; default 10.96.0.10. */
  clusterDns?: string;
  /** Default cluster.local. */
  clusterDomain?: string;
  /** The streaming server's port (daemonEndpoints.kubeletEndpoint.Port); default 10250. */
  kubeletPort?: number;
  /** Default DIR/agent/manifests. */
  podManifestPath?: string;
  /** Also import the example images (busybox, registry); default false. */
  exampleImages?: boolean;
  /** kubeletVersion in the node status; default the API server's gitVersion. */
  kubeletVersion?: string;
  clock?: Clock;
  /** Resync of every pod; default 10 s. */
  resyncMs?: number;
  /** How long start() waits for the first API sync before returning (pods follow when it comes); default 30 s. */
  apiWaitMs?: number;
}

export class Agent implements PodWorkerHost {
  readonly svc: AgentServices;
  readonly status: StatusManager;
  readonly workers = new Map<string, PodWorker>();
  readonly paths: AgentPaths;
  readonly node?: NodeRegistration;
  readonly lease?: NodeLease;
  private informer?: Informer<KubeObject>;
  private services?: Informer<KubeObject>;
  private staticSource: StaticPodSource;
  private mirrors?: MirrorPods;
  private stopExits?: () => void;
  private imageGc: ImageGc;
  private resyncTimer?: Timer;
  private registerTimer?: Timer;
  private stopped = false;
  private readonly clock: Clock;

  private constructor(readonly opts: AgentOptions) {
    this.clock = opts.clock ?? realClock;
    this.paths = new AgentPaths(opts.dataDir);
    const events = new EventRecorder(opts.client, opts.nodeName, this.clock);
    let hostResolvConf = '';
    try { hostResolvConf = readFileSync('/etc/resolv.conf', 'utf8'); } catch { hostResolvConf = ''; }
    this.svc = {
      nodeName: opts.nodeName,
      nodeIp: opts.nodeIp ?? '127.0.0.1',
      clusterDns: opts.clusterDns ?? '10.96.0.10',
      clusterDomain: opts.clusterDomain ?? 'cluster.local',
      client: opts.client,
      runtime: opts.runtime,
      images: opts.images,
      clock: this.clock,
      events,
      backoff: new Backoff(this.clock),
      probes: new ProbeManager(opts.runtime, this.clock, events, (uid) => this.workers.get(uid)?.trigger()),
      paths: this.paths,
      objects: new ObjectCache(opts.client, this.clock),
      tokens: new TokenManager(opts.client, this.clock),
      hostResolvConf,
      services: () => (this.services?.list() ?? []) as unknown as Service[],
    };
    this.status = new StatusManager(opts.client);
    if (opts.client) {
      const client = opts.client;
      this.node = new NodeRegistration({
        client, clock: this.clock, dataDir: opts.dataDir,
        config: {
          nodeName: opts.nodeName, nodeIp: this.svc.nodeIp, maxPods: opts.maxPods ?? 110, podCidr: opts.podCidr,
          kubeletPort: opts.kubeletPort ?? 10250, kubeletVersion: opts.kubeletVersion ?? 'v1.30.0', containerRuntimeVersion: 'peapod://0.1.0',
        },
        images: async () => (await opts.images.list()).map((i) => ({ names: [...i.repoDigests, ...i.repoTags], sizeBytes: i.size })),
      });
      this.lease = new NodeLease(client, opts.nodeName, this.clock, () => this.node?.uid);
    }
    this.imageGc = new ImageGc(opts.images, opts.runtime, this.clock);
    this.staticSource = new StaticPodSource(opts.podManifestPath ?? this.paths.manifestsDir, opts.nodeName, this.clock, {
      onChange: (pods) => this.onStaticPods(pods),
    });
  }

  static async start(opts: AgentOptions): Promise<Agent> {
    const a = new Agent(opts);
    await a.run();
    return a;
  }

  private async run(): Promise<void> {
    const { opts } = this;
    await opts.runtime.start?.();
    await importNodeImages(opts.images, this.paths.imagesDir, { examples: opts.exampleImages });

    if (opts.client && !opts.kubeletVersion && 'request' in opts.client) {
      try {
        const v = await (opts.client as unknown as { request<T>(m: string, p: string): Promise<T> }).request<{ gitVersion?: string }>('GET', '/version');
        if (v.gitVersion) this.node?.setKubeletVersion(v.gitVersion);
      } catch { /* keep the default */ }
    }
    if (this.node) await this.registerNode();

    this.staticSource.start();
    if (opts.client) {
      this.mirrors = new MirrorPods(opts.client, opts.nodeName, () => this.node?.uid, () => this.staticSource.pods,
        () => (this.informer?.list() ?? []).map((o) => o as unknown as Pod).filter(isMirrorPod));
      this.informer = new Informer(opts.client, Resources.pods, { fieldSelector: `spec.nodeName=${opts.nodeName}`, clock: this.clock });
      this.informer.addEventHandler({
        onAdd: (p) => this.onApiPod(p as unknown as Pod),
        onUpdate: (_o, p) => this.onApiPod(p as unknown as Pod),
        onDelete: (p) => this.onApiPodDeleted(p as unknown as Pod),
      });
      this.services = new Informer(opts.client, Resources.services, { clock: this.clock });
      // Static pods run meanwhile; an API that is not reachable yet only delays API pods.
      const synced = Promise.all([this.informer.start(), this.services.start()]).then(async () => {
        if (this.stopped) return;
        void this.mirrors?.sync();
        await this.removeOrphans();
      });
      let waitTimer: Timer | undefined;
      await Promise.race([synced, new Promise<void>((r) => { waitTimer = this.clock.setTimeout(r, opts.apiWaitMs ?? 30_000); })]);
      waitTimer?.cancel();
      synced.catch((e) => log.warn('start-up after the API sync failed', { err: e instanceof Error ? e.message : String(e) }));
    } else {
      await this.removeOrphans();
    }
    if (opts.runtime.watchExits) {
      this.stopExits = opts.runtime.watchExits((id) => void this.onExit(id));
    }
    this.resync();
    this.imageGc.start();
    log.info('agent started', { node: opts.nodeName, pods: this.workers.size });
  }

  private async registerNode(): Promise<void> {
    try {
      await this.node!.register();
      this.node!.start();
      this.lease!.start();
    } catch (e) {
      log.warn('node registration failed; retrying', { err: e instanceof Error ? e.message : String(e) });
      if (!this.stopped) this.registerTimer = this.clock.setTimeout(() => void this.registerNode(), 5_000);
    }
  }

  private resync(): void {
    if (this.stopped) return;
    this.resyncTimer = this.clock.setTimeout(() => {
      for (const w of this.workers.values()) w.trigger();
      void this.mirrors?.sync();
      this.resync();
    }, this.opts.resyncMs ?? 10_000);
  }

  // ─── sources ───

  private onApiPod(p: Pod): void {
    if (this.stopped) return;
    if (isMirrorPod(p)) {
      void this.mirrors?.sync();
      this.workers.get(p.metadata!.annotations![MIRROR_ANNOTATION])?.trigger(); // its status goes to the new mirror
      return;
    }
    const uid = p.metadata!.uid!;
    const w = this.workers.get(uid);
    if (w) w.update(p);
    else if (w === undefined) this.addWorker(p);
  }

  private onApiPodDeleted(p: Pod): void {
    if (isMirrorPod(p)) { void this.mirrors?.sync(); return; }
    this.workers.get(p.metadata!.uid!)?.remove();
  }

  private onStaticPods(pods: Map<string, Pod>): void {
    if (this.stopped) return;
    for (const [uid, p] of pods) if (!this.workers.has(uid)) this.addWorker(p);
    for (const w of this.workers.values()) {
      const ann = w.pod.metadata?.annotations ?? {};
      if (ann['kubernetes.io/config.source'] === 'file' && ann[MIRROR_ANNOTATION] === undefined && !pods.has(w.uid)) w.remove();
    }
    void this.mirrors?.sync();
  }

  private addWorker(p: Pod): PodWorker {
    const w = new PodWorker(p, this);
    if (podTraceOn) podTrace(w.ctx.podDesc, 'worker-added');
    this.workers.set(w.uid, w);
    w.trigger();
    return w;
  }

  private async onExit(containerId: string): Promise<void> {
    try {
      const st = await this.svc.runtime.containerStatus(containerId);
      this.workers.get(st.labels['io.kubernetes.pod.uid'])?.trigger();
    } catch { /* removed already */ }
  }

  /**
   * Sandboxes of pods neither source knows (deleted while the agent was down) are stopped and
   * removed; so are pod dirs (volumes) and log dirs left by a cleanup that an agent crash cut short.
   */
  private async removeOrphans(): Promise<void> {
    const known = (uid: string) => this.workers.has(uid);
    const sandboxUids = new Set((await this.svc.runtime.listPodSandboxes()).map((s) => s.config.uid));
    for (const uid of safeList(this.paths.podsDir)) {
      if (known(uid) || sandboxUids.has(uid)) continue;
      log.info('removing the files of a pod that no longer exists', { uid });
      await removePodFiles(this.paths.podDir(uid));
    }
    for (const d of safeList(this.paths.logsDir)) {
      const uid = d.slice(d.lastIndexOf('_') + 1);
      if (!known(uid) && !sandboxUids.has(uid)) rmSync(join(this.paths.logsDir, d), { recursive: true, force: true });
    }
    const sandboxes = await this.svc.runtime.listPodSandboxes();
    for (const sb of sandboxes) {
      if (this.workers.has(sb.config.uid)) continue;
      log.info('removing the sandbox of a pod that no longer exists', { pod: `${sb.config.namespace}/${sb.config.name}`, uid: sb.config.uid });
      const ghost: Pod = {
        apiVersion: 'v1', kind: 'Pod',
        metadata: { name: sb.config.name, namespace: sb.config.namespace, uid: sb.config.uid },
        spec: { containers: [], terminationGracePeriodSeconds: 2 },
      };
      const w = this.addWorker(ghost);
      w.remove();
    }
  }

  // ─── PodWorkerHost ───

  apiPod(uid: string): Pod | undefined {
    const w = this.workers.get(uid);
    if (!w || !this.informer) return undefined;
    const p = w.pod;
    const cur = this.informer.get(objectKey(p as unknown as KubeObject)) as unknown as Pod | undefined;
    if (!cur) return undefined;
    if (p.metadata?.annotations?.['kubernetes.io/config.source'] === 'file') {
      return cur.metadata?.annotations?.[MIRROR_ANNOTATION] === uid && !cur.metadata?.deletionTimestamp ? cur : undefined;
    }
    return cur.metadata?.uid === uid ? cur : undefined;
  }

  async confirmDeletion(pod: Pod): Promise<void> {
    if (!this.opts.client || pod.metadata?.annotations?.['kubernetes.io/config.source'] === 'file') return;
    try {
      await this.opts.client.delete(Resources.pods, pod.metadata!.namespace, pod.metadata!.name!, { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata!.uid } });
    } catch (e) {
      if (!isNotFound(e) && !isConflict(e)) throw e;
    }
  }

  finished(uid: string): void {
    this.workers.delete(uid);
  }

  /** Waits until no worker has a sync running or pending (tests). */
  async idle(): Promise<void> {
    for (const w of [...this.workers.values()]) await w.idle();
  }

  /** Stops the agent's loops; containers keep running. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.resyncTimer?.cancel();
    this.registerTimer?.cancel();
    this.stopExits?.();
    this.informer?.stop();
    this.services?.stop();
    this.staticSource.stop();
    this.imageGc.stop();
    this.node?.stop();
    this.lease?.stop();
    this.svc.probes.stopAll();
    for (const w of this.workers.values()) w.stopTimers();
    const deadline = new Promise((r) => setTimeout(r, 15_000).unref());
    await Promise.race([Promise.all([...this.workers.values()].map((w) => w.idle())), deadline]);
    for (const w of this.workers.values()) w.stopTimers();
    await this.svc.events.flush();
  }
}
