/**
 * pods/log, pods/exec, pods/attach and pods/portforward: the API server finds the pod, checks the
 * container as Kubernetes does (pkg/registry/core/pod/strategy.go: LogLocation, streamLocation,
 * PortForwardLocation), finds the node's agent (status.addresses InternalIP, status.daemonEndpoints
 * .kubeletEndpoint.Port) and proxies to the agent's streaming endpoint with the API server's client
 * certificate:
 *
 *   log                        → GET  https://NODE:PORT/containerLogs/NS/POD/CONTAINER?…   (text/plain, streamed)
 *   exec, attach, portforward  → the client's upgrade request is replayed to /exec/…, /attach/…,
 *                                /portForward/… and the two connections are spliced byte for byte,
 *                                so whatever the client negotiated (WebSocket v5/v4/…/base64, SPDY/3.1,
 *                                SPDY tunnelled in WebSocket) is spoken end to end with the agent.
 */
import { request as httpsRequest } from 'node:https';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import type { Duplex } from 'node:stream';
import { isIP } from 'node:net';
import { ApiError } from '../../api/errors.js';
import type { KubeObject } from '../../api/object.js';
import { nodes as nodeDef } from '../../api/resources/node.js';
import type { Store } from '../../storage/store.js';
import { realClock } from '../../util/clock.js';
import { logger } from '../../util/log.js';
import type { SubresourceHandler } from '../api-handler.js';
import { ResourceRegistry } from '../registry.js';
import { takeUpgrade } from './upgrade.js';

const log = logger('apiserver-proxy');

export interface PodStreamingOptions {
  store: Store;
  /** The API server's client identity towards agents (signed by the cluster CA). */
  clientCert: { certPem: string; keyPem: string };
  /** CA that signs the agents' serving certificates. */
  caPem: string;
  /** Connect timeout towards the agent (ms, default 10 s). */
  dialTimeoutMs?: number;
}

export interface PodStreamingHandlers {
  handlers: Record<string, SubresourceHandler>;
  /** Closes every proxied connection still open. */
  close(): void;
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === 'object' ? (v as Obj) : {});
const arr = (v: unknown): Obj[] => (Array.isArray(v) ? (v as Obj[]) : []);

/** Every container name in the order Kubernetes lists them (init, regular, ephemeral). */
function allContainerNames(pod: KubeObject): string[] {
  const spec = obj(pod.spec);
  return [...arr(spec.initContainers), ...arr(spec.containers), ...arr(spec.ephemeralContainers)].map((c) => String(c.name));
}

/** Picks and checks the container as validateContainer / streamLocation do. */
export function resolveContainer(pod: KubeObject, requested: string | null | undefined): string {
  const name = pod.metadata.name ?? '';
  const containers = arr(obj(pod.spec).containers);
  if (!requested) {
    if (containers.length === 1) return String(containers[0].name);
    if (containers.length === 0) throw ApiError.badRequest(`a container name must be specified for pod ${name}`);
    throw ApiError.badRequest(`a container name must be specified for pod ${name}, choose one of: [${allContainerNames(pod).join(' ')}]`);
  }
  if (!allContainerNames(pod).includes(requested)) throw ApiError.badRequest(`container ${requested} is not valid for pod ${name}`);
  return requested;
}

/** Where the node's agent listens, as Kubernetes' NodeConnectionInfo resolves it. */
export function nodeEndpoint(node: KubeObject): { host: string; port: number } {
  const status = obj(node.status);
  const addrs = arr(status.addresses);
  const pick = (t: string) => addrs.find((a) => a.type === t)?.address;
  const host = pick('InternalIP') ?? pick('ExternalIP') ?? pick('Hostname') ?? pick('InternalDNS') ?? pick('ExternalDNS');
  if (typeof host !== 'string' || !host) throw ApiError.badRequest(`node ${node.metadata.name} has no address`);
  const port = Number(obj(obj(status.daemonEndpoints).kubeletEndpoint).Port ?? 10250) || 10250;
  return { host, port };
}

function intParam(q: URLSearchParams, name: string, min: number, podName: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw ApiError.badRequest(`invalid value for ${name}: ${v}`);
  if (n < min) {
    throw ApiError.invalid('PodLogOptions', podName, [{ type: 'FieldValueInvalid', field: name, badValue: n, detail: min === 0 ? 'must be greater than or equal to 0' : 'must be greater than 0' }]);
  }
  return n;
}

/** Headers of the client's upgrade request that must reach the agent. */
const FORWARDED = new Set(['upgrade', 'connection', 'sec-websocket-key', 'sec-websocket-version', 'sec-websocket-protocol', 'x-stream-protocol-version', 'user-agent', 'content-length']);

export function createPodStreamingHandlers(opts: PodStreamingOptions): PodStreamingHandlers {
  const nodeRegistry = new ResourceRegistry(nodeDef, opts.store, realClock);
  const open = new Set<Duplex>();
  const dialTimeoutMs = opts.dialTimeoutMs ?? 10_000;

  const tlsOptions = (host: string) => ({
    host,
    cert: opts.clientCert.certPem,
    key: opts.clientCert.keyPem,
    ca: opts.caPem,
    ...(isIP(host) ? {} : { servername: host }),
  });

  const locate = async (pod: KubeObject): Promise<{ host: string; port: number }> => {
    const nodeName = String(obj(pod.spec).nodeName ?? '');
    const node = await nodeRegistry.get(undefined, nodeName).catch((e: unknown) => {
      if (e instanceof ApiError && e.code === 404) throw ApiError.internal(`nodes "${nodeName}" not found`);
      throw e;
    });
    return nodeEndpoint(node);
  };

  const agentError = (code: number, body: string, podName: string): ApiError => {
    const text = body.trim() || `the agent answered ${code}`;
    if (code === 400) return ApiError.badRequest(text);
    if (code === 404) return new ApiError(404, 'NotFound', text, { name: podName, kind: 'pods' });
    if (code === 401 || code === 403) return ApiError.forbidden(text);
    return ApiError.internal(text);
  };

  const logHandler: SubresourceHandler = async (req, res, r) => {
    if (req.method !== 'GET') throw ApiError.methodNotAllowed(req.method ?? '', 'pods/log');
    const ns = r.target.namespace ?? 'default';
    const pod = await r.served.registry.get(ns, r.target.name ?? '');
    const podName = pod.metadata.name ?? '';
    const q = r.query;
    const container = resolveContainer(pod, q.get('container'));
    intParam(q, 'tailLines', 0, podName);
    intParam(q, 'limitBytes', 1, podName);
    intParam(q, 'sinceSeconds', 1, podName);
    if (q.get('sinceSeconds') && q.get('sinceTime')) throw ApiError.badRequest('at most one of sinceTime or sinceSeconds may be specified');
    if (!obj(pod.spec).nodeName) {
      // Kubernetes answers an empty log for a pod not yet on a node.
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end();
      return;
    }
    const status = [...arr(obj(pod.status).containerStatuses), ...arr(obj(pod.status).initContainerStatuses), ...arr(obj(pod.status).ephemeralContainerStatuses)].find((s) => s.name === container);
    const waiting = obj(obj(status?.state).waiting);
    if (status && waiting.reason && !obj(status.lastState).terminated && !obj(obj(status.state).running).startedAt) {
      throw ApiError.badRequest(`container "${container}" in pod "${podName}" is waiting to start: ${String(waiting.reason)}`);
    }
    const { host, port } = await locate(pod);
    const params = new URLSearchParams();
    for (const k of ['follow', 'previous', 'timestamps']) if (['true', '1'].includes(q.get(k) ?? '')) params.set(k, 'true');
    for (const k of ['tailLines', 'limitBytes', 'sinceSeconds', 'sinceTime']) { const v = q.get(k); if (v) params.set(k, v); }
    const path = `/containerLogs/${encodeURIComponent(ns)}/${encodeURIComponent(podName)}/${encodeURIComponent(container)}${params.size ? `?${params}` : ''}`;
    await new Promise<void>((resolve, reject) => {
      const up = httpsRequest({ ...tlsOptions(host), port, path, method: 'GET', agent: false, timeout: dialTimeoutMs }, (ar) => {
        up.setTimeout(0);
        if (ar.statusCode !== 200) {
          const chunks: Buffer[] = [];
          ar.on('data', (c: Buffer) => { if (chunks.length < 64) chunks.push(c); });
          ar.on('end', () => reject(agentError(ar.statusCode ?? 500, Buffer.concat(chunks).toString('utf8'), podName)));
          ar.on('error', reject);
          return;
        }
        res.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache' });
        res.flushHeaders();
        ar.pipe(res);
        ar.on('end', () => resolve());
        ar.on('error', () => { res.destroy(); resolve(); });
        res.on('close', () => { ar.destroy(); up.destroy(); resolve(); });
      });
      up.on('timeout', () => up.destroy(new Error(`timed out connecting to the agent at ${host}:${port}`)));
      up.on('error', (e) => { if (!res.headersSent) reject(ApiError.internal(`error dialing the node agent at ${host}:${port}: ${e.message}`)); else { res.destroy(); resolve(); } });
      up.end();
    });
  };

  /** Validates, then replays the upgrade request to the agent and splices the connections. */
  const upgradeHandler = (kind: 'exec' | 'attach' | 'portforward'): SubresourceHandler => async (req, res, r) => {
    if (req.method !== 'GET' && req.method !== 'POST') throw ApiError.methodNotAllowed(req.method ?? '', `pods/${kind}`);
    const ns = r.target.namespace ?? 'default';
    const pod = await r.served.registry.get(ns, r.target.name ?? '');
    const podName = pod.metadata.name ?? '';
    const q = r.query;
    const params = new URLSearchParams();
    let path: string;
    if (kind === 'portforward') {
      if (!obj(pod.spec).nodeName) throw ApiError.badRequest(`pod ${podName} does not have a host assigned`);
      for (const p of q.getAll('ports')) params.append('ports', p);
      path = `/portForward/${encodeURIComponent(ns)}/${encodeURIComponent(podName)}`;
    } else {
      const container = resolveContainer(pod, q.get('container'));
      if (!obj(pod.spec).nodeName) throw ApiError.badRequest(`pod ${podName} does not have a host assigned`);
      const on = (k: string) => ['true', '1'].includes((q.get(k) ?? '').toLowerCase());
      if (kind === 'exec') {
        const command = q.getAll('command');
        if (!command.length) throw ApiError.invalid('PodExecOptions', '', [{ type: 'FieldValueRequired', field: 'command' }]);
        for (const c of command) params.append('command', c);
      }
      if (on('stdin')) params.set('input', '1');
      if (on('stdout')) params.set('output', '1');
      if (on('stderr')) params.set('error', '1');
      if (on('tty')) params.set('tty', '1');
      if (!on('stdin') && !on('stdout') && !on('stderr')) throw ApiError.badRequest('you must specify at least 1 of stdin, stdout, stderr');
      path = `/${kind}/${encodeURIComponent(ns)}/${encodeURIComponent(podName)}/${encodeURIComponent(container)}`;
    }
    const up = takeUpgrade(req);
    if (!up) throw ApiError.badRequest('Upgrade request required');
    const { host, port } = await locate(pod);

    let agent: TLSSocket;
    try {
      agent = await new Promise<TLSSocket>((resolve, reject) => {
        const s = tlsConnect({ ...tlsOptions(host), port }, () => { s.off('error', reject); s.setTimeout(0); resolve(s); });
        s.setTimeout(dialTimeoutMs, () => s.destroy(new Error('timed out')));
        s.once('error', reject);
      });
    } catch (e) {
      up.socket.destroy();
      throw ApiError.internal(`error dialing the node agent at ${host}:${port}: ${(e as Error).message}`);
    }
    // From here on the client's connection belongs to the tunnel; errors close it.
    const lines = [`${req.method} ${path}${params.size ? `?${params}` : ''} HTTP/1.1`, `Host: ${host.includes(':') ? `[${host}]` : host}:${port}`];
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      if (FORWARDED.has(req.rawHeaders[i].toLowerCase())) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
    }
    agent.write(lines.join('\r\n') + '\r\n\r\n');
    if (up.head.length) agent.write(up.head);
    splice(up.socket, agent, open);
  };

  return {
    handlers: {
      'pods/log': logHandler,
      'pods/exec': upgradeHandler('exec'),
      'pods/attach': upgradeHandler('attach'),
      'pods/portforward': upgradeHandler('portforward'),
    },
    close() {
      for (const s of open) s.destroy();
      open.clear();
    },
  };
}

/** Copies bytes both ways, keeping half-closes; both sockets are destroyed when either fails or both ended. */
function splice(client: Duplex, agent: Duplex, open: Set<Duplex>): void {
  open.add(client);
  open.add(agent);
  let ended = 0;
  const done = () => {
    open.delete(client);
    open.delete(agent);
    client.destroy();
    agent.destroy();
  };
  const onEnd = () => { if (++ended === 2) done(); };
  client.pipe(agent);
  agent.pipe(client);
  client.on('end', onEnd);
  agent.on('end', onEnd);
  client.on('error', done);
  agent.on('error', (e) => { log.debug('agent connection failed', { err: e.message }); done(); });
  client.on('close', done);
  agent.on('close', done);
}
