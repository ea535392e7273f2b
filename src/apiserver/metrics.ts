/**
 * Prometheus metrics for the API server (served at /metrics): request counts and latency by
 * verb, resource and code; in-flight watches; store operation latency (recorded by the store wrapper).
 */
import { Registry, Counter, Histogram, Gauge, collectDefaultMetrics } from 'prom-client';
import { parsePath, type RequestTarget } from './request-info.js';

export class ApiMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'apiserver_request_total',
    help: 'Counter of apiserver requests broken out for each verb, group, resource and HTTP response code.',
    labelNames: ['verb', 'group', 'resource', 'subresource', 'code'] as const,
    registers: [this.registry],
  });
  readonly latency = new Histogram({
    name: 'apiserver_request_duration_seconds',
    help: 'Response latency distribution in seconds for each verb, group and resource.',
    labelNames: ['verb', 'group', 'resource', 'subresource'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });
  readonly watches = new Gauge({
    name: 'apiserver_longrunning_requests',
    help: 'Number of open long-running requests (watches, logs, exec) by verb and resource.',
    labelNames: ['verb', 'group', 'resource'] as const,
    registers: [this.registry],
  });
  readonly storeLatency = new Histogram({
    name: 'peapod_store_operation_duration_seconds',
    help: 'Latency of store operations by operation.',
    labelNames: ['operation'] as const,
    buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }
}

export interface RequestLabels {
  verb: string;
  group: string;
  resource: string;
  subresource: string;
}

/**
 * Request classification for metrics labels, from method + path + query, with the REST core's
 * own path parser: /api/v1/namespaces/NS/pods/NAME/log → {verb: get, group: '', resource: pods, subresource: log}.
 */
export function requestLabels(method: string, url: URL, contentType = ''): RequestLabels {
  let target: RequestTarget;
  try { target = parsePath(url.pathname); } catch { target = { kind: 'unknown' }; }
  if (target.kind !== 'resource') {
    return { verb: method.toLowerCase(), group: '', resource: target.kind === 'unknown' ? '' : target.kind, subresource: '' };
  }
  const watch = target.watchPath || url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1';
  const named = target.name !== undefined;
  let verb: string;
  switch (method) {
    case 'GET': verb = watch ? 'watch' : named ? 'get' : 'list'; break;
    case 'POST': verb = 'create'; break;
    case 'PUT': verb = 'update'; break;
    case 'PATCH': verb = contentType.startsWith('application/apply-patch') ? 'apply' : 'patch'; break;
    case 'DELETE': verb = named ? 'delete' : 'deletecollection'; break;
    default: verb = method.toLowerCase();
  }
  return { verb, group: target.group, resource: target.resource, subresource: target.subresource ?? '' };
}

/** What observeRequest needs of a response: its status code and its 'close'. */
export interface ObservedResponse {
  statusCode: number;
  on(event: 'close', listener: () => void): unknown;
}

/**
 * Count one request (apiserver_request_total by verb, resource and code) and its latency when its
 * response closes; long-running ones (watch, log, exec, …) are in apiserver_longrunning_requests
 * while open. The HTTPS front and the in-process client both report through here.
 */
export function observeRequest(metrics: ApiMetrics, method: string, url: URL, contentType: string, res: ObservedResponse): void {
  const started = process.hrtime.bigint();
  const labels = requestLabels(method, url, contentType);
  const longRunning = labels.verb === 'watch' || ['log', 'exec', 'attach', 'portforward', 'proxy'].includes(labels.subresource);
  if (longRunning) metrics.watches.inc({ verb: labels.verb, group: labels.group, resource: labels.resource });
  res.on('close', () => {
    metrics.requests.inc({ ...labels, code: String(res.statusCode) });
    if (longRunning) metrics.watches.dec({ verb: labels.verb, group: labels.group, resource: labels.resource });
    else metrics.latency.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
  });
}
