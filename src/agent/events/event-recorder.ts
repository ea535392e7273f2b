/**
 * Events as the kubelet records them: core/v1 Events with involvedObject (the pod, with
 * `spec.containers{NAME}` as fieldPath when about a container), source {component: kubelet, host},
 * reportingComponent kubelet, reportingInstance = node name. Repeats of the same event (same object,
 * reason, message, type) are folded into one with count and lastTimestamp, as client-go's event
 * correlator does; writes are queued so callers never wait for the API.
 */
import { randomBytes } from 'node:crypto';
import type { KubeObject } from '../../api/object.js';
import type { KubeClient } from '../../client/types.js';
import { Resources } from '../../client/resources.js';
import { isNotFound } from '../../client/errors.js';
import type { Clock } from '../../util/clock.js';
import { logger } from '../../util/log.js';

const log = logger('agent-events');

export interface InvolvedObject {
  kind: string;
  namespace?: string;
  name: string;
  uid?: string;
  apiVersion?: string;
  resourceVersion?: string;
  fieldPath?: string;
}

export type EventType = 'Normal' | 'Warning';

interface Recorded { name: string; namespace: string; count: number; firstTimestamp: string }

function rfc3339(ms: number): string { return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z'); }

export class EventRecorder {
  private readonly seen = new Map<string, Recorded>();
  private chain: Promise<void> = Promise.resolve();
  /** Events written (for tests and metrics). */
  written = 0;

  constructor(private readonly client: KubeClient | undefined, private readonly nodeName: string, private readonly clock: Clock) {}

  /** Records an event about a pod (and optionally one of its containers). */
  pod(pod: { metadata?: { name?: string; namespace?: string; uid?: string; resourceVersion?: string } }, type: EventType, reason: string, message: string, container?: { name: string; init?: boolean }): void {
    this.record({
      kind: 'Pod', apiVersion: 'v1', namespace: pod.metadata?.namespace, name: pod.metadata?.name ?? '', uid: pod.metadata?.uid,
      resourceVersion: pod.metadata?.resourceVersion,
      ...(container ? { fieldPath: `spec.${container.init ? 'initContainers' : 'containers'}{${container.name}}` } : {}),
    }, type, reason, message);
  }

  record(obj: InvolvedObject, type: EventType, reason: string, message: string): void {
    log.debug('event', { object: `${obj.kind}/${obj.namespace ?? ''}/${obj.name}`, type, reason, message });
    if (!this.client) return;
    const client = this.client;
    const ns = obj.namespace ?? 'default';
    const key = [obj.kind, ns, obj.name, obj.uid, obj.fieldPath ?? '', type, reason, message].join('\x00');
    const now = this.clock.now();
    this.chain = this.chain.then(async () => {
      const prev = this.seen.get(key);
      try {
        if (prev) {
          prev.count++;
          await client.patch(Resources.events, prev.namespace, prev.name, 'merge', { count: prev.count, lastTimestamp: rfc3339(now) });
        } else {
          const name = `${obj.name}.${(BigInt(now) * 1_000_000n + BigInt(randomBytes(2).readUInt16BE())).toString(16)}`;
          const ev: KubeObject = {
            apiVersion: 'v1', kind: 'Event',
            metadata: { name, namespace: ns },
            involvedObject: obj,
            reason, message, type,
            source: { component: 'kubelet', host: this.nodeName },
            firstTimestamp: rfc3339(now), lastTimestamp: rfc3339(now), count: 1,
            eventTime: null,
            reportingComponent: 'kubelet', reportingInstance: this.nodeName,
          };
          await client.create(Resources.events, ns, ev);
          this.seen.set(key, { name, namespace: ns, count: 1, firstTimestamp: rfc3339(now) });
          if (this.seen.size > 4096) this.seen.delete(this.seen.keys().next().value!);
        }
        this.written++;
      } catch (e) {
        if (prev && isNotFound(e)) this.seen.delete(key);
        log.debug('event not written', { reason, err: e instanceof Error ? e.message : String(e) });
      }
    });
  }

  /** Resolves once every event recorded so far was written (or failed). */
  flush(): Promise<void> { return this.chain; }
}
