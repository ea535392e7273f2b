/**
 * EventRecorder: core/v1 Events as client-go's record package writes them (`kubectl describe` and
 * `kubectl get events` read these), through the same EventCorrelator steps:
 *  1. aggregation: when an object gets events that differ only in message (same source, type,
 *     reason) 10 times within 10 minutes, further ones are folded into one Event whose message is
 *     "(combined from similar events): <latest message>";
 *  2. deduplication: an event seen before (same object, type, reason, message — or the aggregate)
 *     is not created again: its `count` goes up and `lastTimestamp` moves, through a patch;
 *  3. spam filter: each source may write 25 events about an object, then one per 5 minutes
 *     (a token bucket per object); the rest are dropped.
 * Writes are asynchronous, as in client-go; `flush()` waits for those in flight (tests).
 */
import type { KubeObject } from '../api/object.js';
import type { KubeClient } from '../client/types.js';
import { Resources } from '../client/resources.js';
import { isNotFound } from '../client/errors.js';
import type { Clock } from '../util/clock.js';
import { realClock } from '../util/clock.js';
import { logger } from '../util/log.js';

const log = logger('events');
const MAX_CACHE = 4096;
const AGGREGATE_MAX_EVENTS = 10;
const AGGREGATE_INTERVAL_MS = 600_000;
const SPAM_BURST = 25;
const SPAM_QPS = 1 / 300;

export type EventType = 'Normal' | 'Warning';

export interface EventRecorder {
  event(obj: KubeObject, type: EventType, reason: string, message: string): void;
  /** Resolves when every event recorded so far has been written (or failed). */
  flush(): Promise<void>;
}

interface Seen { name: string; namespace: string; count: number; firstTimestamp: string }

function rfc3339(ms: number): string { return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'); }

/** A Map used as an LRU cache of bounded size. */
class Lru<V> {
  private readonly m = new Map<string, V>();
  get(k: string): V | undefined {
    const v = this.m.get(k);
    if (v !== undefined) { this.m.delete(k); this.m.set(k, v); }
    return v;
  }
  set(k: string, v: V): void {
    this.m.delete(k);
    this.m.set(k, v);
    if (this.m.size > MAX_CACHE) this.m.delete(this.m.keys().next().value as string);
  }
  delete(k: string): void { this.m.delete(k); }
}

export function createEventRecorder(client: KubeClient, component: string, clock: Clock = realClock): EventRecorder {
  const aggregates = new Lru<{ localKeys: Set<string>; last: number }>();
  const seen = new Lru<Seen>();
  const spam = new Lru<{ tokens: number; last: number }>();
  const inflight = new Set<Promise<void>>();
  // events for one key are written in order (a patch must follow the create it patches)
  const chains = new Map<string, Promise<void>>();
  let seq = 0;

  const allowed = (spamKey: string, now: number): boolean => {
    const b = spam.get(spamKey) ?? { tokens: SPAM_BURST, last: now };
    b.tokens = Math.min(SPAM_BURST, b.tokens + ((now - b.last) / 1000) * SPAM_QPS);
    b.last = now;
    const ok = b.tokens >= 1;
    if (ok) b.tokens -= 1;
    spam.set(spamKey, b);
    return ok;
  };

  const write = async (obj: KubeObject, type: EventType, reason: string, message: string, now: number, e: Seen, isNew: boolean): Promise<void> => {
    const ts = rfc3339(now);
    if (!isNew) {
      try {
        await client.patch(Resources.events, e.namespace, e.name, 'merge', { count: e.count, lastTimestamp: ts, message });
        return;
      } catch (err) {
        if (!isNotFound(err)) throw err;
        // it expired or was deleted: create it again
      }
    }
    const ev: KubeObject = {
      apiVersion: 'v1', kind: 'Event',
      metadata: { name: e.name, namespace: e.namespace },
      involvedObject: {
        apiVersion: obj.apiVersion, kind: obj.kind, name: obj.metadata.name, namespace: obj.metadata.namespace,
        uid: obj.metadata.uid, resourceVersion: obj.metadata.resourceVersion,
      },
      reason, message, type,
      source: { component },
      firstTimestamp: e.firstTimestamp, lastTimestamp: ts, count: e.count,
      reportingComponent: component, reportingInstance: '',
    };
    await client.create(Resources.events, e.namespace, ev);
  };

  return {
    event(obj, type, reason, message) {
      const now = clock.now();
      const objectKey = [component, obj.kind, obj.metadata.namespace, obj.metadata.name, obj.metadata.uid, obj.apiVersion].join('\u0000');
      // 1. aggregation by reason
      const aggKey = `${objectKey}\u0000${type}\u0000${reason}`;
      let rec = aggregates.get(aggKey);
      if (!rec || now - rec.last > AGGREGATE_INTERVAL_MS) rec = { localKeys: new Set(), last: now };
      rec.localKeys.add(message);
      rec.last = now;
      aggregates.set(aggKey, rec);
      let key = `${aggKey}\u0000${message}`;
      let msg = message;
      if (rec.localKeys.size >= AGGREGATE_MAX_EVENTS) {
        rec.localKeys.delete(rec.localKeys.values().next().value as string);
        key = aggKey;
        msg = `(combined from similar events): ${message}`;
      }
      // 2. deduplication: count occurrences under the key
      const name = `${obj.metadata.name}.${(BigInt(now) * 1_000_000n + BigInt(seq++ % 1_000_000)).toString(16)}`;
      const prev = seen.get(key);
      const entry: Seen = prev
        ? { ...prev, count: prev.count + 1 }
        : { name, namespace: obj.metadata.namespace || 'default', count: 1, firstTimestamp: rfc3339(now) };
      seen.set(key, entry);
      // 3. spam filter per source and object
      if (!allowed(objectKey, now)) return;
      const before = chains.get(key) ?? Promise.resolve();
      const p: Promise<void> = before.then(() => write(obj, type, reason, msg, now, entry, !prev)).catch((err: unknown) => {
        log.warn('event not written', { reason, object: `${obj.metadata.namespace}/${obj.metadata.name}`, err: err instanceof Error ? err.message : String(err) });
      }).finally(() => {
        inflight.delete(p);
        if (chains.get(key) === p) chains.delete(key);
      });
      chains.set(key, p);
      inflight.add(p);
    },
    async flush() {
      while (inflight.size) await Promise.all([...inflight]);
    },
  };
}
