/**
 * Events expire (kube-apiserver --event-ttl, default 1 h): Kubernetes stores them with an etcd
 * lease renewed on every write. Here a sweep, every tenth of the TTL, deletes events whose last
 * write (the newest of creationTimestamp, lastTimestamp, eventTime and series.lastObservedTime)
 * is older than the TTL.
 */
import type { KubeObject } from '../api/object.js';
import type { Timer } from '../util/clock.js';
import { logger } from '../util/log.js';
import type { RestContext, Served } from './context.js';

const log = logger('event-ttl');

type Obj = Record<string, unknown>;

function lastWrite(o: KubeObject): number {
  const times = [o.metadata.creationTimestamp, o.lastTimestamp, o.eventTime, (o.series as Obj | undefined)?.lastObservedTime];
  let t = 0;
  for (const v of times) {
    const ms = typeof v === 'string' ? Date.parse(v) : NaN;
    if (!Number.isNaN(ms) && ms > t) t = ms;
  }
  return t;
}

export class EventTtl {
  private timer?: Timer;
  private closed = false;

  constructor(private readonly ctx: RestContext, private readonly events: Served, private readonly ttlMs = 3600_000) {}

  start(): void {
    const tick = () => {
      if (this.closed) return;
      this.sweep().catch((err) => log.warn('event sweep failed', { err: err as Error })).finally(() => {
        if (!this.closed) this.timer = this.ctx.clock.setTimeout(tick, Math.max(1000, this.ttlMs / 10));
      });
    };
    this.timer = this.ctx.clock.setTimeout(tick, Math.max(1000, this.ttlMs / 10));
  }

  /** Delete expired events; returns how many. */
  async sweep(): Promise<number> {
    const cutoff = this.ctx.clock.now() - this.ttlMs;
    const prefix = this.events.registry.prefix();
    let startKey = prefix;
    let revision = 0;
    let deleted = 0;
    for (;;) {
      const page = await this.ctx.store.list(prefix, { startKey, limit: 500, revision: revision || undefined });
      revision = page.revision;
      for (const kv of page.kvs) {
        const o = JSON.parse(kv.value) as KubeObject;
        if (lastWrite(o) >= cutoff) continue;
        try {
          await this.ctx.store.delete(kv.key, kv.modRevision);
          deleted++;
        } catch { /* written since: no longer expired, or already gone */ }
      }
      if (!page.more || page.kvs.length === 0) break;
      startKey = page.kvs[page.kvs.length - 1].key + '\u0000';
    }
    return deleted;
  }

  close(): void {
    this.closed = true;
    this.timer?.cancel();
  }
}
