/**
 * Starts a node's streaming endpoint with a serving certificate issued from the cluster CA (for an
 * agent that runs where the CA key is, i.e. the embedded agent of `peapod server`).
 *
 * Port: `port` when given (a clash is an error, as for the kubelet); otherwise 10250, and when that
 * is taken (another peapod server on this machine, tests running side by side) a free port, which
 * the caller then reports as the node's daemonEndpoints.kubeletEndpoint.Port.
 */
import { hostname } from 'node:os';
import { issueCert, type CertKeyPair } from '../../pki/certs.js';
import type { Runtime } from '../../runtime/runtime.js';
import { logger } from '../../util/log.js';
import { startStreamingServer, type StreamingServer } from './server.js';

const log = logger('streaming');

export interface NodeStreamingOptions {
  runtime: Runtime;
  nodeName: string;
  /** The node's InternalIP (a SAN of the serving certificate); default 127.0.0.1. */
  nodeIp?: string;
  /** Cluster CA (certificate and key). */
  ca: CertKeyPair;
  /** Explicit port; default 10250 with a free-port fallback. */
  port?: number;
  /** Default 0.0.0.0. */
  bind?: string;
}

export async function startNodeStreaming(opts: NodeStreamingOptions): Promise<StreamingServer> {
  const ips = [...new Set(['127.0.0.1', opts.nodeIp ?? '127.0.0.1'])];
  const serving = await issueCert(opts.ca, {
    commonName: `system:node:${opts.nodeName}`, organizations: ['system:nodes'],
    dnsNames: [...new Set([opts.nodeName, hostname().toLowerCase(), 'localhost'])], ips, usage: 'server', days: 365,
  });
  const base = { runtime: opts.runtime, nodeName: opts.nodeName, tls: { cert: serving.certPem, key: serving.keyPem, ca: opts.ca.certPem }, bind: opts.bind ?? '0.0.0.0' };
  if (opts.port !== undefined) return startStreamingServer({ ...base, port: opts.port });
  try {
    return await startStreamingServer({ ...base, port: 10250 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
    const s = await startStreamingServer({ ...base, port: 0 });
    log.warn('port 10250 is in use; the streaming server listens on a free port instead', { port: s.port });
    return s;
  }
}
