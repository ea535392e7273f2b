/** One informer per resource, shared by every controller in a process (the cache is built once). */
import type { KubeObject } from '../api/object.js';
import { Informer, type InformerOptions } from './informer.js';
import type { KubeClient, ResourceRef } from './types.js';
import type { Clock } from '../util/clock.js';

export class SharedInformers {
  private readonly informers = new Map<string, Informer>();

  constructor(private readonly client: KubeClient, private readonly clock?: Clock, private readonly opts: { transform?: InformerOptions['transform'] } = {}) {}

  for<T extends KubeObject = KubeObject>(ref: ResourceRef): Informer<T> {
    const id = `${ref.group}/${ref.resource}`;
    let inf = this.informers.get(id);
    if (!inf) {
      inf = new Informer(this.client, ref, { clock: this.clock, transform: this.opts.transform });
      this.informers.set(id, inf);
    }
    return inf as unknown as Informer<T>;
  }

  /** Start every informer created so far and wait until all have synced. */
  async start(): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.start()));
  }

  stop(): void {
    for (const i of this.informers.values()) i.stop();
  }
}
