/** What every REST handler works with: the served resources, their registries and watch caches. */
import type { ResourceDef } from '../api/resources/types.js';
import type { Store } from '../storage/store.js';
import type { Clock } from '../util/clock.js';
import type { ResourceRegistry } from './registry.js';
import type { ResourceRequest } from './request-info.js';
import type { UserInfo } from './user.js';
import type { WatchCache } from './watch-cache.js';

export interface Served {
  def: ResourceDef;
  registry: ResourceRegistry;
  cache: WatchCache;
}

export interface RestContext {
  store: Store;
  clock: Clock;
  /** Look up a served resource by group, version and plural. */
  lookup(group: string, version: string, plural: string): Served | undefined;
  /** The served resource of a kind (group + kind), for cross-resource work (eviction → PDBs). */
  byKind(group: string, kind: string): Served | undefined;
  all(): Served[];
  /** Interval between watch bookmarks (ms). */
  bookmarkIntervalMs: number;
}

export interface RestRequest {
  target: ResourceRequest;
  served: Served;
  query: URLSearchParams;
  user: UserInfo;
}
