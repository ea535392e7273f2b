/**
 * ControllerExpectations (Kubernetes pkg/controller/controller_utils.go): after a controller asks
 * for N creations or deletions for a key, it does not act on that key again until its informers
 * have observed them (or 5 minutes have passed), so it never creates duplicates while its own
 * writes are still arriving in the cache. Deletions are tracked by pod key (UIDTrackingControllerExpectations)
 * so a pod seen going away twice (deletionTimestamp, then DELETED) is counted once.
 */
import type { Clock } from '../util/clock.js';
import { realClock } from '../util/clock.js';

export const EXPECTATIONS_TIMEOUT_MS = 5 * 60 * 1000;

interface Expectation { add: number; del: number; at: number; deleteKeys: Set<string> }

export class ControllerExpectations {
  private readonly items = new Map<string, Expectation>();
  constructor(private readonly clock: Clock = realClock) {}

  /** True when the key has no outstanding expectations (none recorded, all observed, or expired). */
  satisfied(key: string): boolean {
    const e = this.items.get(key);
    if (!e) return true;
    if (e.add <= 0 && e.del <= 0) return true;
    return this.clock.now() - e.at > EXPECTATIONS_TIMEOUT_MS;
  }

  expectCreations(key: string, n: number): void {
    this.items.set(key, { add: n, del: 0, at: this.clock.now(), deleteKeys: new Set() });
  }

  /** Expect the deletion of these objects (by `namespace/name` key). */
  expectDeletions(key: string, objectKeys: string[]): void {
    this.items.set(key, { add: 0, del: objectKeys.length, at: this.clock.now(), deleteKeys: new Set(objectKeys) });
  }

  creationObserved(key: string): void {
    const e = this.items.get(key);
    if (e) e.add--;
  }

  /** A deletion of `objectKey` was observed (or will never happen); counted once per object. */
  deletionObserved(key: string, objectKey: string): void {
    const e = this.items.get(key);
    if (!e || !e.deleteKeys.delete(objectKey)) return;
    e.del--;
  }

  delete(key: string): void { this.items.delete(key); }

  /** For tests and logs: what is still expected. */
  pending(key: string): { add: number; del: number } | undefined {
    const e = this.items.get(key);
    return e ? { add: e.add, del: e.del } : undefined;
  }
}
