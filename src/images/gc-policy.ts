/**
 * The kubelet's image garbage-collection thresholds: when the image file system is used above
 * `highThresholdPercent` (default 85), free enough to come down to `lowThresholdPercent` (default 80).
 * Feed the answer to `ImageStore.garbageCollect({ pruneImages: true, keep: inUse, bytesToFree })`.
 */
import type { DiskUsage } from './image-store.js';

export interface ImageGcThresholds { highThresholdPercent?: number; lowThresholdPercent?: number }

/** Bytes to free now (0 when usage is at or below the high threshold). */
export function imageBytesToFree(usage: Pick<DiskUsage, 'fsCapacityBytes' | 'fsAvailableBytes'>, t: ImageGcThresholds = {}): number {
  const high = t.highThresholdPercent ?? 85;
  const low = t.lowThresholdPercent ?? 80;
  if (!(low <= high) || low < 0 || high > 100) throw new Error(`image GC thresholds: need 0 <= low (${low}) <= high (${high}) <= 100`);
  const capacity = usage.fsCapacityBytes;
  if (capacity <= 0) return 0;
  const used = capacity - usage.fsAvailableBytes;
  if ((used * 100) / capacity <= high) return 0;
  return Math.max(0, Math.ceil(used - (capacity * low) / 100));
}
