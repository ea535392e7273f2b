/** core/v1 Pod: printPod's columns and STATUS text, field selectors, graceful deletion, status reset on create. */
import type { KubeObject } from '../object.js';
import { parseQuantity, tryParseQuantity, type Quantity } from '../quantity.js';
import { defineResource } from './define.js';
import { admitDefaultTolerationSeconds } from '../defaults/default-toleration-seconds.js';
import { age, ageColumn, arr, col, get, humanDuration, nameColumn, num, str } from './print-util.js';
import type { TableCell } from './types.js';

type Obj = Record<string, unknown>;

function isRestartableInit(c: Obj | undefined): boolean {
  return !!c && c.restartPolicy === 'Always';
}

function hasPodReadyCondition(conds: Obj[]): boolean {
  return conds.some((c) => c.type === 'Ready' && c.status === 'True');
}

function isTerminalPhase(p: string): boolean { return p === 'Succeeded' || p === 'Failed'; }

function timeOf(v: unknown): number {
  const t = typeof v === 'string' ? Date.parse(v) : NaN;
  return Number.isNaN(t) ? 0 : t;
}

/** The cells of printPod (with wide columns), and the row conditions. */
export function podRow(pod: KubeObject, now: number): { cells: TableCell[]; conditions?: Obj[] } {
  const spec = (pod.spec ?? {}) as Obj;
  const status = (pod.status ?? {}) as Obj;
  const containers = arr(spec.containers);
  const initContainers = arr(spec.initContainers);
  const conds = arr(status.conditions);
  let restarts = 0;
  let restartableInitRestarts = 0;
  let totalContainers = containers.length;
  let readyContainers = 0;
  let lastRestart = 0;
  let lastRestartableInitRestart = 0;
  const phase = str(status.phase);
  let reason = phase;
  if (str(status.reason) !== '') reason = str(status.reason);
  for (const c of conds) if (c.type === 'PodScheduled' && c.reason === 'SchedulingGated') reason = 'SchedulingGated';
  let conditions: Obj[] | undefined;
  if (phase === 'Succeeded') conditions = [{ type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' }];
  else if (phase === 'Failed') conditions = [{ type: 'Completed', status: 'True', reason: 'Failed', message: 'The pod failed.' }];

  const initByName = new Map<string, Obj>();
  for (const c of initContainers) {
    initByName.set(str(c.name), c);
    if (isRestartableInit(c)) totalContainers++;
  }
  let initializing = false;
  const initStatuses = arr(status.initContainerStatuses);
  for (let i = 0; i < initStatuses.length; i++) {
    const cs = initStatuses[i];
    restarts += num(cs.restartCount);
    const lastTerm = get(cs, 'lastState', 'terminated') as Obj | undefined;
    if (lastTerm) lastRestart = Math.max(lastRestart, timeOf(lastTerm.finishedAt));
    const restartable = isRestartableInit(initByName.get(str(cs.name)));
    if (restartable) {
      restartableInitRestarts += num(cs.restartCount);
      if (lastTerm) lastRestartableInitRestart = Math.max(lastRestartableInitRestart, timeOf(lastTerm.finishedAt));
    }
    const term = get(cs, 'state', 'terminated') as Obj | undefined;
    const waiting = get(cs, 'state', 'waiting') as Obj | undefined;
    if (term && num(term.exitCode) === 0) continue;
    if (restartable && cs.started === true) {
      if (cs.ready === true) readyContainers++;
      continue;
    }
    if (term) {
      if (str(term.reason) === '') {
        reason = num(term.signal) !== 0 ? `Init:Signal:${num(term.signal)}` : `Init:ExitCode:${num(term.exitCode)}`;
      } else reason = `Init:${str(term.reason)}`;
      initializing = true;
    } else if (waiting && str(waiting.reason) !== '' && waiting.reason !== 'PodInitializing') {
      reason = `Init:${str(waiting.reason)}`;
      initializing = true;
    } else {
      reason = `Init:${i}/${initContainers.length}`;
      initializing = true;
    }
    break;
  }
  const initializedTrue = conds.some((c) => c.type === 'Initialized' && c.status === 'True');
  if (!initializing || initializedTrue) {
    restarts = restartableInitRestarts;
    lastRestart = lastRestartableInitRestart;
    let hasRunning = false;
    const statuses = arr(status.containerStatuses);
    for (let i = statuses.length - 1; i >= 0; i--) {
      const cs = statuses[i];
      restarts += num(cs.restartCount);
      const lastTerm = get(cs, 'lastState', 'terminated') as Obj | undefined;
      if (lastTerm) lastRestart = Math.max(lastRestart, timeOf(lastTerm.finishedAt));
      const waiting = get(cs, 'state', 'waiting') as Obj | undefined;
      const term = get(cs, 'state', 'terminated') as Obj | undefined;
      const running = get(cs, 'state', 'running') as Obj | undefined;
      if (waiting && str(waiting.reason) !== '') reason = str(waiting.reason);
      else if (term && str(term.reason) !== '') reason = str(term.reason);
      else if (term) reason = num(term.signal) !== 0 ? `Signal:${num(term.signal)}` : `ExitCode:${num(term.exitCode)}`;
      else if (cs.ready === true && running) { hasRunning = true; readyContainers++; }
    }
    if (reason === 'Completed' && hasRunning) reason = hasPodReadyCondition(conds) ? 'Running' : 'NotReady';
  }
  const deleting = !!pod.metadata.deletionTimestamp;
  if (deleting && status.reason === 'NodeLost') reason = 'Unknown';
  else if (deleting && !isTerminalPhase(phase)) reason = 'Terminating';

  let restartsStr = String(restarts);
  if (restarts !== 0 && lastRestart !== 0) restartsStr = `${restarts} (${humanDuration(now - lastRestart)} ago)`;

  const podIPs = arr(status.podIPs);
  const podIP = (podIPs.length > 0 ? str(podIPs[0].ip) : '') || '<none>';
  const nodeName = str(spec.nodeName) || '<none>';
  const nominated = str(status.nominatedNodeName) || '<none>';
  let gates = '<none>';
  const readinessGates = arr(spec.readinessGates);
  if (readinessGates.length > 0) {
    let trueCount = 0;
    for (const g of readinessGates) {
      const c = conds.find((x) => x.type === g.conditionType);
      if (c && c.status === 'True') trueCount++;
    }
    gates = `${trueCount}/${readinessGates.length}`;
  }
  return {
    cells: [pod.metadata.name ?? '', `${readyContainers}/${totalContainers}`, reason, restartsStr, age(pod, now), podIP, nodeName, nominated, gates],
    conditions,
  };
}

/** qos.ComputePodQOS: from the (defaulted) containers' cpu and memory requests and limits. */
export function podQOS(spec: Obj): string {
  const supported = new Set(['cpu', 'memory']);
  const requests = new Map<string, Quantity>();
  const limits = new Map<string, Quantity>();
  const zero = parseQuantity('0');
  let guaranteed = true;
  const add = (m: Map<string, Quantity>, name: string, q: Quantity) => {
    const prev = m.get(name);
    m.set(name, prev ? parseQuantity(String(Number(prev.milliValue() + q.milliValue())) + 'm') : q);
  };
  for (const c of [...arr(spec.containers), ...arr(spec.initContainers)]) {
    const req = (get(c, 'resources', 'requests') ?? {}) as Obj;
    const lim = (get(c, 'resources', 'limits') ?? {}) as Obj;
    for (const [name, v] of Object.entries(req)) {
      const q = supported.has(name) ? tryParseQuantity(v) : undefined;
      if (q && q.cmp(zero) > 0) add(requests, name, q);
    }
    const found = new Set<string>();
    for (const [name, v] of Object.entries(lim)) {
      const q = supported.has(name) ? tryParseQuantity(v) : undefined;
      if (q && q.cmp(zero) > 0) { found.add(name); add(limits, name, q); }
    }
    if (!found.has('memory') || !found.has('cpu')) guaranteed = false;
  }
  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  if (guaranteed) {
    for (const [name, r] of requests) {
      const l = limits.get(name);
      if (!l || l.cmp(r) !== 0) { guaranteed = false; break; }
    }
  }
  return guaranteed && requests.size === limits.size ? 'Guaranteed' : 'Burstable';
}

export const pods = defineResource({
  group: '', version: 'v1', kind: 'Pod', plural: 'pods', namespaced: true,
  shortNames: ['po'], categories: ['all'],
  subresources: {
    status: true,
    others: [
      { name: 'binding', verbs: ['create'], kind: 'Binding' },
      { name: 'eviction', verbs: ['create'], kind: 'Eviction', group: 'policy', version: 'v1' },
      { name: 'ephemeralcontainers', verbs: ['get', 'patch', 'update'], kind: 'Pod' },
      { name: 'log', verbs: ['get'], kind: 'Pod' },
      { name: 'exec', verbs: ['create', 'get'], kind: 'PodExecOptions' },
      { name: 'attach', verbs: ['create', 'get'], kind: 'PodAttachOptions' },
      { name: 'portforward', verbs: ['create', 'get'], kind: 'PodPortForwardOptions' },
    ],
  },
  columns: [
    nameColumn,
    col('Ready', 'The aggregate readiness state of this pod for accepting traffic.'),
    col('Status', 'The aggregate status of the containers in this pod.'),
    col('Restarts', 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.'),
    ageColumn,
    col('IP', 'podIP is the IP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.', 1),
    col('Node', 'NodeName indicates in which node this pod is scheduled. If empty, this pod is a candidate for scheduling by the scheduler defined in schedulerName. Once this field is set, the kubelet for this node becomes responsible for the lifecycle of this pod.', 1),
    col('Nominated Node', 'nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be scheduled right away as preemption victims receive their graceful termination periods.', 1),
    col('Readiness Gates', 'If specified, all readiness gates will be evaluated for pod readiness.', 1),
  ],
  row: (obj, now) => podRow(obj, now).cells,
  rowConditions: (obj) => podRow(obj, 0).conditions,
  fieldSelectors: {
    'spec.nodeName': (o) => str(get(o, 'spec', 'nodeName')),
    'spec.restartPolicy': (o) => str(get(o, 'spec', 'restartPolicy')),
    'spec.schedulerName': (o) => str(get(o, 'spec', 'schedulerName')),
    'spec.serviceAccountName': (o) => str(get(o, 'spec', 'serviceAccountName')),
    'spec.hostNetwork': (o) => String(get(o, 'spec', 'hostNetwork') === true),
    'status.phase': (o) => str(get(o, 'status', 'phase')),
    'status.podIP': (o) => str(get(o, 'status', 'podIP')),
    'status.nominatedNodeName': (o) => str(get(o, 'status', 'nominatedNodeName')),
  },
  strategy: {
    statusOnCreate: (obj) => ({ phase: 'Pending', qosClass: podQOS((obj.spec ?? {}) as Obj) }),
    // admission on create: DefaultTolerationSeconds
    prepareForCreate: admitDefaultTolerationSeconds,
    // pods carry no metadata.generation before Kubernetes 1.33 (PodObservedGenerationTracking)
    returnDeletedObject: true,
    tracksGeneration: false,
    gracefulDelete: (obj) => {
      const spec = (obj.spec ?? {}) as Obj;
      const phase = str(get(obj, 'status', 'phase'));
      const bound = str(spec.nodeName) !== '';
      const dflt = typeof spec.terminationGracePeriodSeconds === 'number' ? spec.terminationGracePeriodSeconds : 30;
      return { graceful: bound && !isTerminalPhase(phase), defaultGraceSeconds: dflt };
    },
  },
});
