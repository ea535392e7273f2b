/**
 * The etcd v3 connection behind EtcdStore: the `etcd3` client (gRPC through @grpc/grpc-js) set up
 * for a store that must not repeat writes by itself.
 *
 * - Endpoints are URLs (`http://10.0.0.1:2379`, `https://etcd-0:2379`) or `host:port`. All must use
 *   the same scheme; https needs no flag (the CA defaults to the system roots) and takes `ca`,
 *   `cert`, `key` (PEM) for a private CA and client-certificate authentication.
 * - Several endpoints that are IP literals of one family become ONE gRPC channel over all of them
 *   (target `ipv4:a:p,b:p`): gRPC's pick-first policy connects to a reachable member and moves to
 *   another when it fails, as etcd's Go client balances over its endpoints. Host names are kept as
 *   one channel each and chosen by the etcd3 pool, which skips a member after 3 failures in a row
 *   (its circuit breaker) for 5 s.
 * - No automatic retry of calls (the etcd3 default retries every call 3 times, which could apply a
 *   create twice when an answer is lost): EtcdStore retries only reads. gRPC reconnects quickly
 *   (100 ms growing to 1 s) so that a restarted member is used again at once; keepalive pings
 *   find dead connections within ~15 s; messages of any size are accepted (large lists, replays).
 */
import { isIP } from 'node:net';
import { rootCertificates } from 'node:tls';
import { Etcd3, type IOptions } from 'etcd3';
import { noop } from 'cockatiel';

export interface EtcdConnectionOptions {
  /** Client URLs of the etcd members (at least one). */
  endpoints: string[];
  /** PEM CA bundle that signed the members' serving certificates (https). Default: system roots. */
  ca?: string;
  /** PEM client certificate and key (etcd --client-cert-auth). */
  cert?: string;
  key?: string;
  /** TLS server name to verify instead of the endpoint's host. */
  servername?: string;
  /** Time allowed to set up a connection, ms (default 5000). */
  dialTimeoutMs?: number;
}

interface ParsedEndpoint { tls: boolean; host: string; port: number; family: 0 | 4 | 6 }

export function parseEndpoint(ep: string): ParsedEndpoint {
  const raw = ep.trim();
  if (!raw) throw new Error('etcd endpoint: empty');
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`;
  let url: URL;
  try { url = new URL(withScheme); } catch { throw new Error(`etcd endpoint "${ep}": not a URL or host:port`); }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`etcd endpoint "${ep}": scheme must be http or https, not ${url.protocol.slice(0, -1)}`);
  if (url.pathname !== '/' && url.pathname !== '') throw new Error(`etcd endpoint "${ep}": no path allowed`);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!host) throw new Error(`etcd endpoint "${ep}": no host`);
  const port = url.port ? Number(url.port) : 2379;
  return { tls: url.protocol === 'https:', host, port, family: isIP(host) as 0 | 4 | 6 };
}

const hostPort = (e: ParsedEndpoint): string => (e.family === 6 ? `[${e.host}]:${e.port}` : `${e.host}:${e.port}`);

/** The etcd3 options for these endpoints (exported for tests). */
export function etcdClientOptions(opts: EtcdConnectionOptions): IOptions {
  if (!Array.isArray(opts.endpoints) || opts.endpoints.length === 0) throw new Error('etcd: at least one endpoint is required');
  const eps = opts.endpoints.map(parseEndpoint);
  const tls = eps[0]!.tls;
  if (eps.some((e) => e.tls !== tls)) throw new Error('etcd endpoints: mix of http and https');
  if (!tls && (opts.ca || opts.cert || opts.key)) throw new Error('etcd: CA/certificate/key given but the endpoints are http');
  if (!!opts.cert !== !!opts.key) throw new Error('etcd: a client certificate needs its key (and a key its certificate)');

  const family = eps[0]!.family;
  const oneChannel = eps.length === 1 || (family !== 0 && eps.every((e) => e.family === family));
  const hosts = eps.length === 1
    ? hostPort(eps[0]!)
    : oneChannel ? `ipv${family}:${eps.map(hostPort).join(',')}` : eps.map(hostPort);

  const grpcOptions: Record<string, string | number> = {
    'grpc.max_receive_message_length': -1,
    'grpc.max_send_message_length': -1,
    'grpc.initial_reconnect_backoff_ms': 100,
    'grpc.max_reconnect_backoff_ms': 1000,
    'grpc.keepalive_time_ms': 10_000,
    'grpc.keepalive_timeout_ms': 5_000,
  };
  if (opts.servername) grpcOptions['grpc.ssl_target_name_override'] = opts.servername;
  if (oneChannel && eps.length > 1 && !opts.servername && tls) {
    // The TLS name checked is the first member's address; every member's certificate must carry it
    // (or pass servername).
    grpcOptions['grpc.default_authority'] = hostPort(eps[0]!);
  }

  const out: IOptions = {
    hosts,
    grpcOptions,
    dialTimeout: opts.dialTimeoutMs ?? 5000,
    faultHandling: oneChannel ? { global: noop, host: () => noop } : { global: noop },
  };
  if (tls) {
    out.credentials = {
      rootCertificate: Buffer.from(opts.ca ?? rootCertificates.join('\n')),
      ...(opts.cert ? { certChain: Buffer.from(opts.cert), privateKey: Buffer.from(opts.key!) } : {}),
    };
  }
  return out;
}

export function createEtcdClient(opts: EtcdConnectionOptions): Etcd3 {
  return new Etcd3(etcdClientOptions(opts));
}
