/**
 * EventRecorder: core/v1 Events as Kubernetes' client-go record package writes them
 * (`kubectl describe` and `kubectl get events` read these). An event repeated for the same object,
 * type, reason and message is not created again: its `count` goes up and `lastTimestamp` moves
 * (the EventCorrelator's deduplication), through a patch of the existing Event.
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

export type EventType = 'Normal' | 'Warning';

export interface EventRecorder {
  event(obj: KubeObject, type: EventType, reason: string, message: string): void;
  /** Resolves when every event recorded so far has been written (or failed). */
  flush(): Promise<void>;
}

interface Seen { name: string; namespace: string; count: number; firstTimestamp: string }

function rfc3339(ms: number): string { return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'); }

export function createEventRecorder(client: KubeClient, component: string, clock: Clock = realClock): EventRecorder {
  const seen = new Map<string, Seen>();
  const inflight = new Set<Promise<void>>();
  // events for one key are written in order (a patch must follow the create it patches)
  const chains = new Map<string, Promise<void>>();

  const write = async (obj: KubeObject, type: EventType, reason: string, message: string, key: string): Promise<void> => {
    const now = clock.now();
    const ts = rfc3339(now);
    const namespace = obj.metadata.namespace || 'default';
    const prev = seen.get(key);
    if (prev) {
      prev.count++;
      try {
        await client.patch(Resources.events, prev.namespace, prev.name, 'merge', { count: prev.count, lastTimestamp: ts, message });
        return;
      } catch (err) {
        if (!isNotFound(err)) throw err;
        seen.delete(key); // it expired or was deleted: create a new one
      }
    }
    const name = `${obj.metadata.name}.${(BigInt(now) * 1_000_000n + BigInt(Math.floor(Math.random() * 1_000_000))).toString(16)}`;
    const ev: KubeObject = {
      apiVersion: 'v1', kind: 'Event',
      metadata: { name, namespace },
      involvedObject: {
        apiVersion: obj.apiVersion, kind: obj.kind, name: obj.metadata.name, namespace: obj.metadata.namespace,
        uid: obj.metadata.uid, resourceVersion: obj.metadata.resourceVersion,
      },
      reason, message, type,
      source: { component },
      firstTimestamp: ts, lastTimestamp: ts, count: 1,
      reportingComponent: component, reportingInstance: '',
    };
    await client.create(Resources.events, namespace, ev);
    if (seen.size >= MAX_CACHE) seen.delete(seen.keys().next().value as string);
    seen.set(key, { name, namespace, count: 1, firstTimestamp: ts });
  };

  return {
    event(obj, type, reason, message) {
      const key = [obj.metadata.namespace, obj.apiVersion, obj.kind, obj.metadata.name, obj.metadata.uid, type, reason, message].join('\u0000');
      const before = chains.get(key) ?? Promise.resolve();
      const p: Promise<void> = before.then(() => write(obj, type, reason, message, key)).catch((err: unknown) => {
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
