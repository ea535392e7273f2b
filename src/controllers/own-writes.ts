/**
 * Read-your-own-writes for controllers: after a controller writes an object (usually its status),
 * its informer cache holds the older copy until the watch event arrives, and a reconcile that ran
 * in between would compute from stale status and fail its write with a 409. `latest(cached)`
 * answers the newer of the cached copy and the one this controller last wrote (resourceVersions
 * are peapod's store revisions, so they order writes); once the cache has caught up the remembered
 * copy is dropped.
 */
import type { KubeObject } from '../api/object.js';

export class OwnWrites<T extends KubeObject = KubeObject> {
  private readonly written = new Map<string, T>();

  private static key(o: KubeObject): string { return `${o.metadata.namespace ?? ''}/${o.metadata.name}`; }

  remember(obj: T): T {
    this.written.set(OwnWrites.key(obj), obj);
    return obj;
  }

  latest(cached: T): T {
    const k = OwnWrites.key(cached);
    const mine = this.written.get(k);
    if (!mine) return cached;
    if (mine.metadata.uid !== cached.metadata.uid || Number(cached.metadata.resourceVersion) >= Number(mine.metadata.resourceVersion)) {
      this.written.delete(k);
      return cached;
    }
    return mine;
  }

  forget(obj: KubeObject): void { this.written.delete(OwnWrites.key(obj)); }
}
