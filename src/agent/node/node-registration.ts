/**
 * Registers the Node and keeps its status current: checks every 10 s and writes (through
 * nodes/status) when anything but the heartbeat changed, and at least every 5 minutes — the
 * kubelet's nodeStatusUpdateFrequency / nodeStatusReportFrequency. A Node deleted while the agent
 * runs is registered again.
 */
import type { KubeObject } from '../../api/object.js';
import type { KubeClient } from '../../client/types.js';
import { Resources } from '../../client/resources.js';
import { isAlreadyExists, isNotFound } from '../../client/errors.js';
import type { Clock, Timer } from '../../util/clock.js';
import { logger } from '../../util/log.js';
import { hostFacts, type HostFacts } from './host-facts.js';
import { initialNode, nodeStatus, statusFingerprint, type NodeConfig, type NodeImage } from './node-object.js';

const log = logger('agent-node');

export interface NodeRegistrationOptions {
  client: KubeClient;
  clock: Clock;
  config: NodeConfig;
  dataDir: string;
  images: () => Promise<NodeImage[]>;
  /** Default 10 s. */
  checkIntervalMs?: number;
  /** Default 5 min. */
  reportIntervalMs?: number;
}

export class NodeRegistration {
  private timer?: Timer;
  private stopped = false;
  private lastReport = 0;
  private lastFingerprint = '';
  node?: KubeObject;
  reports = 0;

  constructor(private readonly opts: NodeRegistrationOptions) {}

  get uid(): string | undefined { return this.node?.metadata.uid; }

  /** The version reported as nodeInfo.kubeletVersion (the agent takes the API server's). */
  setKubeletVersion(v: string): void { this.opts.config.kubeletVersion = v; }

  private facts(): HostFacts { return hostFacts(this.opts.dataDir); }

  /** Creates the Node if missing (or adopts the existing one) and posts a first status. */
  async register(): Promise<void> {
    const { client, config } = this.opts;
    const facts = this.facts();
    try {
      this.node = await client.create(Resources.nodes, undefined, initialNode(config, facts));
      log.info('node registered', { node: config.nodeName });
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
      this.node = await client.get(Resources.nodes, undefined, config.nodeName);
      const want = initialNode(config, facts);
      const labels = { ...(this.node.metadata.labels ?? {}), ...want.metadata.labels };
      if (JSON.stringify(labels) !== JSON.stringify(this.node.metadata.labels ?? {})) {
        this.node = await client.patch(Resources.nodes, undefined, config.nodeName, 'merge', { metadata: { labels } });
      }
    }
    await this.report(true);
  }

  start(): void {
    this.stopped = false;
    this.timer = this.opts.clock.setTimeout(() => void this.tick(), this.opts.checkIntervalMs ?? 10_000);
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
  }

  private async tick(): Promise<void> {
    try { await this.report(false); } catch (e) { log.warn('node status update failed', { err: e instanceof Error ? e.message : String(e) }); }
    if (!this.stopped) this.timer = this.opts.clock.setTimeout(() => void this.tick(), this.opts.checkIntervalMs ?? 10_000);
  }

  /** Posts the status when it changed, when forced, or when the report interval passed. */
  async report(force: boolean): Promise<boolean> {
    const { client, clock, config } = this.opts;
    const now = clock.now();
    const status = nodeStatus(config, this.facts(), await this.opts.images(), now, this.node?.status as Record<string, unknown> | undefined);
    const fp = statusFingerprint(status);
    if (!force && fp === this.lastFingerprint && now - this.lastReport < (this.opts.reportIntervalMs ?? 300_000)) return false;
    try {
      this.node = await client.patch(Resources.nodes, undefined, config.nodeName, 'merge', { status }, { subresource: 'status' });
    } catch (e) {
      if (!isNotFound(e)) throw e;
      log.warn('node object is gone; registering again', { node: config.nodeName });
      this.node = undefined;
      await this.register();
      return true;
    }
    this.lastFingerprint = fp;
    this.lastReport = now;
    this.reports++;
    return true;
  }
}
