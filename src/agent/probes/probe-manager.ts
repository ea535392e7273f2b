/**
 * Startup, liveness and readiness probes: one worker per running container and probe, on the
 * agent's Clock, with every timing field (initialDelaySeconds, periodSeconds, timeoutSeconds,
 * successThreshold, failureThreshold). As in the kubelet: readiness starts at failure, liveness at
 * success; while a startup probe has not succeeded the other two do not run; each failed run is an
 * Unhealthy event; a changed result tells the pod worker to sync (readiness → Ready condition,
 * liveness/startup failure → restart).
 */
import type { Container, Pod, Probe } from 'kubernetes-types/core/v1.js';
import type { Runtime } from '../../runtime/runtime.js';
import type { Clock, Timer } from '../../util/clock.js';
import type { EventRecorder } from '../events/event-recorder.js';
import { runExec, runGrpc, runHttpGet, runTcp, type HandlerResult } from './handlers.js';

export type ProbeKind = 'startup' | 'liveness' | 'readiness';
const TITLE: Record<ProbeKind, string> = { startup: 'Startup', liveness: 'Liveness', readiness: 'Readiness' };

interface Worker {
  kind: ProbeKind;
  podUid: string;
  containerId: string;
  timer?: Timer;
  stopped: boolean;
  result: boolean;
  successes: number;
  failures: number;
  running: boolean;
  threshold: number;
}

export class ProbeManager {
  private readonly workers = new Map<string, Worker>();
  runs = 0;

  constructor(
    private readonly runtime: Runtime,
    private readonly clock: Clock,
    private readonly events: EventRecorder,
    private readonly onChange: (podUid: string) => void,
  ) {}

  private key(containerId: string, kind: ProbeKind): string { return `${containerId}/${kind}`; }

  /** undefined = no readiness probe (ready once running). */
  ready(containerId: string, c: Container): boolean {
    if (!c.readinessProbe) return this.started(containerId, c);
    return this.started(containerId, c) && this.workers.get(this.key(containerId, 'readiness'))?.result === true;
  }

  started(containerId: string, c: Container): boolean {
    if (!c.startupProbe) return true;
    return this.workers.get(this.key(containerId, 'startup'))?.result === true;
  }

  /** The probe that says the container must be restarted, if any. */
  mustRestart(containerId: string): ProbeKind | undefined {
    for (const kind of ['startup', 'liveness'] as const) {
      const w = this.workers.get(this.key(containerId, kind));
      if (w && !w.stopped && w.failures >= w.threshold) return kind;
    }
    return undefined;
  }

  /** Makes sure the probes of a running container run (and only for its current instance). */
  ensure(pod: Pod, c: Container, containerId: string, startedAt: number, podIP: () => string | undefined): void {
    const uid = pod.metadata!.uid!;
    for (const kind of ['startup', 'liveness', 'readiness'] as const) {
      const probe = c[`${kind}Probe`];
      const key = this.key(containerId, kind);
      if (!probe || this.workers.has(key)) continue;
      const w: Worker = { kind, podUid: uid, containerId, stopped: false, result: kind === 'liveness', successes: 0, failures: 0, running: false, threshold: probe.failureThreshold ?? 3 };
      this.workers.set(key, w);
      const initial = Math.max(0, startedAt + (probe.initialDelaySeconds ?? 0) * 1000 - this.clock.now());
      w.timer = this.clock.setTimeout(() => void this.tick(w, pod, c, probe, podIP), initial);
    }
  }

  private async tick(w: Worker, pod: Pod, c: Container, probe: Probe, podIP: () => string | undefined): Promise<void> {
    if (w.stopped) return;
    const period = (probe.periodSeconds ?? 10) * 1000;
    const startupDone = w.kind === 'startup' || this.started(w.containerId, c);
    if (startupDone && !(w.kind === 'startup' && w.result)) {
      w.running = true;
      let r: HandlerResult;
      try {
        r = await this.runProbe(probe, c, w.containerId, podIP() ?? '127.0.0.1');
      } catch (e) {
        r = { ok: false, output: e instanceof Error ? e.message : String(e) };
      }
      w.running = false;
      this.runs++;
      if (w.stopped) return;
      const before = w.result;
      if (r.ok) {
        w.failures = 0;
        w.successes++;
        if (w.successes >= (w.kind === 'readiness' ? (probe.successThreshold ?? 1) : 1)) w.result = true;
      } else {
        w.successes = 0;
        w.failures++;
        this.events.pod(pod, 'Warning', 'Unhealthy', `${TITLE[w.kind]} probe failed: ${r.output.trim()}`, { name: c.name });
        if (w.failures >= w.threshold) w.result = false;
      }
      const mustRestart = w.kind !== 'readiness' && w.failures >= w.threshold;
      if (before !== w.result || mustRestart) this.onChange(w.podUid);
      if (mustRestart) return; // the container is restarted; a new instance gets new workers
    }
    if (!w.stopped) w.timer = this.clock.setTimeout(() => void this.tick(w, pod, c, probe, podIP), period);
  }

  private runProbe(p: Probe, c: Container, containerId: string, podIP: string): Promise<HandlerResult> {
    const timeout = p.timeoutSeconds ?? 1;
    if (p.exec) return runExec(this.runtime, containerId, p.exec, timeout);
    if (p.httpGet) return runHttpGet(p.httpGet, c, podIP, timeout);
    if (p.tcpSocket) return runTcp(p.tcpSocket, c, podIP, timeout);
    if (p.grpc) return runGrpc(p.grpc, podIP, timeout);
    return Promise.resolve({ ok: false, output: 'probe has no handler' });
  }

  /** Stops the workers of containers not in `keep` (ids) for this pod. */
  retain(podUid: string, keep: Set<string>): void {
    for (const [key, w] of this.workers) {
      if (w.podUid === podUid && !keep.has(w.containerId)) { w.stopped = true; w.timer?.cancel(); this.workers.delete(key); }
    }
  }

  removePod(podUid: string): void { this.retain(podUid, new Set()); }

  stopAll(): void {
    for (const w of this.workers.values()) { w.stopped = true; w.timer?.cancel(); }
    this.workers.clear();
  }
}
