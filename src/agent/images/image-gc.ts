/**
 * The kubelet's image garbage collection, every 5 minutes: when the image file system is above the
 * high threshold (85 %), unused images are removed, least recently used first and only those unused
 * for at least 2 minutes (minimum age), until usage is down to the low threshold (80 %). Images of
 * any container the runtime still has are kept.
 */
import type { ImageStore } from '../../images/image-store.js';
import { imageBytesToFree, type ImageGcThresholds } from '../../images/gc-policy.js';
import type { Runtime } from '../../runtime/runtime.js';
import type { Clock, Timer } from '../../util/clock.js';
import { logger } from '../../util/log.js';

const log = logger('agent-image-gc');

export class ImageGc {
  private timer?: Timer;
  private stopped = false;
  runs = 0;

  constructor(private readonly images: ImageStore, private readonly runtime: Runtime, private readonly clock: Clock,
    private readonly thresholds: ImageGcThresholds = {}, private readonly intervalMs = 5 * 60_000, private readonly minAgeMs = 2 * 60_000) {}

  start(): void {
    this.stopped = false;
    this.timer = this.clock.setTimeout(() => void this.tick(), this.intervalMs);
  }

  stop(): void { this.stopped = true; this.timer?.cancel(); }

  private async tick(): Promise<void> {
    try { await this.collect(); } catch (e) { log.warn('image garbage collection failed', { err: e instanceof Error ? e.message : String(e) }); }
    if (!this.stopped) this.timer = this.clock.setTimeout(() => void this.tick(), this.intervalMs);
  }

  /** One pass; returns the images removed. */
  async collect(): Promise<string[]> {
    this.runs++;
    const bytesToFree = imageBytesToFree(await this.images.diskUsage(), this.thresholds);
    if (bytesToFree <= 0) return [];
    const keep = new Set<string>();
    for (const c of await this.runtime.listContainers()) {
      if (c.annotations['peapod.io/image-id']) keep.add(c.annotations['peapod.io/image-id']);
      if (c.imageRef) keep.add(c.imageRef);
    }
    const r = await this.images.garbageCollect({ keep: [...keep], pruneImages: true, bytesToFree, minAgeMs: this.minAgeMs });
    log.info('image garbage collection', { bytesToFree, freed: r.freedBytes, removed: r.removedImages.join(',') });
    return r.removedImages;
  }
}
