/**
 * The node's heartbeat Lease in kube-node-lease (name = node name, holder = node name, 40 s
 * duration), renewed every 10 s (a quarter of the duration, as the kubelet does), owned by the Node.
 */
import type { KubeObject } from '../../api/object.js';
import type { KubeClient } from '../../client/types.js';
import { Resources } from '../../client/resources.js';
import { isNotFound } from '../../client/errors.js';
import type { Clock, Timer } from '../../util/clock.js';
import { logger } from '../../util/log.js';

const log = logger('agent-lease');
export const LEASE_NAMESPACE = 'kube-node-lease';

function microTime(ms: number): string { return new Date(ms).toISOString().replace(/Z$/, '000Z'); }

export class NodeLease {
  private timer?: Timer;
  private stopped = false;
  renewals = 0;

  constructor(
    private readonly client: KubeClient,
    private readonly nodeName: string,
    private readonly clock: Clock,
    private readonly nodeUid: () => string | undefined,
    private readonly durationSeconds = 40,
  ) {}

  get intervalMs(): number { return this.durationSeconds * 250; }

  start(): void {
    this.stopped = false;
    void this.tick();
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
  }

  private async tick(): Promise<void> {
    try { await this.renew(); } catch (e) { log.warn('lease renewal failed', { err: e instanceof Error ? e.message : String(e) }); }
    if (!this.stopped) this.timer = this.clock.setTimeout(() => void this.tick(), this.intervalMs);
  }

  async renew(): Promise<void> {
    const now = microTime(this.clock.now());
    const uid = this.nodeUid();
    const owner = uid ? [{ apiVersion: 'v1', kind: 'Node', name: this.nodeName, uid }] : undefined;
    let lease: KubeObject | undefined;
    try {
      lease = await this.client.get(Resources.leases, LEASE_NAMESPACE, this.nodeName);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    if (!lease) {
      await this.client.create(Resources.leases, LEASE_NAMESPACE, {
        apiVersion: 'coordination.k8s.io/v1', kind: 'Lease',
        metadata: { name: this.nodeName, namespace: LEASE_NAMESPACE, ...(owner ? { ownerReferences: owner } : {}) },
        spec: { holderIdentity: this.nodeName, leaseDurationSeconds: this.durationSeconds, renewTime: now },
      });
    } else {
      const spec = (lease.spec ?? {}) as Record<string, unknown>;
      lease.spec = { ...spec, holderIdentity: this.nodeName, leaseDurationSeconds: this.durationSeconds, renewTime: now };
      if (owner && !lease.metadata.ownerReferences?.length) lease.metadata.ownerReferences = owner;
      await this.client.update(Resources.leases, LEASE_NAMESPACE, lease);
    }
    this.renewals++;
  }
}
