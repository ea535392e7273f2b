/**
 * `peapod server`: the control plane (API server, store, scheduler, controllers) and, unless
 * `--no-agent`, an embedded node agent. Runs until SIGINT/SIGTERM. When it cannot start (bad flag,
 * store unreachable, port in use, agent failure, or a signal during start-up) it releases what it
 * made, prints one line `peapod server: cannot start: REASON` and exits with status 1.
 */
import { parseArgs } from 'node:util';
import { defaultDataDir } from './paths.js';
import { startControlPlane, type ControlPlane } from '../server/control-plane.js';
import { setLogLevel, logger } from '../util/log.js';
import { reportStartFailure } from './start-failure.js';

const log = logger('server');

export const serverUsage = `usage: peapod server [options]

  --data-dir DIR          data folder (default ${defaultDataDir()})
  --port PORT             HTTPS port (default 6443)
  --bind ADDR             address to listen on (default 127.0.0.1)
  --node-ip IP            this node's address (default 127.0.0.1)
  --store sqlite|etcd     object store (default sqlite, embedded)
  --etcd-endpoints URLS   comma-separated etcd client URLs (with --store etcd)
  --etcd-cafile FILE      CA of the etcd members' certificates (https endpoints)
  --etcd-certfile FILE    client certificate for etcd (with --etcd-keyfile)
  --etcd-keyfile FILE     its key
  --etcd-prefix PREFIX    prefix of every etcd key (default none: keys as /registry/...)
  --token-file FILE       join the cluster of the servers on this etcd (a copy of a server's
                          DATA-DIR/node-token); the CA and keys come from the store
  --no-agent              do not run the embedded node agent
  --node-monitor-grace-period D   time without node heartbeats before a node is Unknown (default 40s)
  --node-name NAME        the embedded agent's node name (default: the host name)
  --pod-cidr CIDR         the embedded agent's pod subnet (default 10.88.0.0/16)
  --cluster-cidr CIDR     pod subnets of the nodes: each Node without one gets a /24 of it as
                          spec.podCIDR (default 10.42.0.0/16; \`peapod agent\` without --pod-cidr
                          uses it; the embedded agent always uses --pod-cidr, and when this
                          flag is given its pods may reach the cluster CIDR and it routes the
                          other nodes' pod subnets)
  --bridge NAME           the embedded agent's CNI bridge (default peapod0)
  --max-pods N            pods the embedded agent accepts (default 110)
  -v, --verbose           debug logs
`;

export async function run(args: string[]): Promise<number> {
  // SIGINT/SIGTERM: during start-up, start-up stops after the step under way and releases what it
  // made; once running, the server shuts down. A second signal exits at once.
  const stop = new AbortController();
  let running = false;
  const onSignal = (sig: NodeJS.Signals) => {
    if (stop.signal.aborted) { process.stderr.write(`peapod server: ${sig} again: exiting now\n`); process.exit(1); }
    log.info(running ? 'shutting down' : 'stopping start-up', { signal: sig });
    stop.abort(new Error(`stopped by ${sig} during start-up`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let cp: ControlPlane | undefined;
  try {
    cp = await start(args, stop.signal);
  } catch (err) {
    // startControlPlane has released what it made; say why in one line (the stack at -v).
    return reportStartFailure('server', err, log);
  }
  if (!cp) return 0; // --help
  running = true;
  if (!stop.signal.aborted) {
    log.info('peapod server ready', { url: cp.url, kubeconfig: cp.kubeconfigPath });
    await new Promise<void>((resolve) => stop.signal.addEventListener('abort', () => resolve(), { once: true }));
  }
  await cp.close();
  return 0;
}

/** Parses the flags and starts the control plane; undefined for --help. */
async function start(args: string[], signal: AbortSignal): Promise<ControlPlane | undefined> {
  const { values } = parseArgs({
    args,
    options: {
      'data-dir': { type: 'string' },
      port: { type: 'string' },
      bind: { type: 'string' },
      'node-ip': { type: 'string' },
      'node-name': { type: 'string' },
      store: { type: 'string' },
      'etcd-endpoints': { type: 'string' },
      'etcd-cafile': { type: 'string' },
      'etcd-certfile': { type: 'string' },
      'etcd-keyfile': { type: 'string' },
      'etcd-prefix': { type: 'string' },
      'token-file': { type: 'string' },
      'no-agent': { type: 'boolean' },
      'node-monitor-grace-period': { type: 'string' },
      'pod-cidr': { type: 'string' },
      'cluster-cidr': { type: 'string' },
      bridge: { type: 'string' },
      'max-pods': { type: 'string' },
      verbose: { type: 'boolean', short: 'v' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) { process.stdout.write(serverUsage); return undefined; }
  if (values.verbose) setLogLevel('debug');
  const port = values.port === undefined ? 6443 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port: invalid port "${values.port}"`);
  const storeKind = values.store ?? 'sqlite';
  if (storeKind !== 'sqlite' && storeKind !== 'etcd') throw new Error(`--store: must be sqlite or etcd, not "${storeKind}"`);

  return startControlPlane({
    dataDir: values['data-dir'] ?? defaultDataDir(),
    port,
    bind: values.bind ?? '127.0.0.1',
    nodeIp: values['node-ip'] ?? '127.0.0.1',
    nodeName: values['node-name'],
    store: storeKind,
    etcdEndpoints: values['etcd-endpoints']?.split(',').filter(Boolean),
    etcdCaFile: values['etcd-cafile'],
    etcdCertFile: values['etcd-certfile'],
    etcdKeyFile: values['etcd-keyfile'],
    etcdPrefix: values['etcd-prefix'],
    tokenFile: values['token-file'],
    agent: !values['no-agent'],
    nodeMonitorGracePeriodMs: values['node-monitor-grace-period'] === undefined ? undefined : parseDuration('--node-monitor-grace-period', values['node-monitor-grace-period']),
    podCidr: values['pod-cidr'],
    clusterCidr: values['cluster-cidr'],
    bridge: values.bridge,
    maxPods: values['max-pods'] === undefined ? undefined : Number(values['max-pods']),
    signal,
  });
}

/** Go-style durations as the Kubernetes flags take them: 40s, 1m30s, 500ms, 2h. */
export function parseDuration(flag: string, v: string): number {
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  let rest = v.trim();
  if (!/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(rest)) throw new Error(`${flag}: invalid duration "${v}" (use e.g. 40s, 1m30s, 500ms)`);
  while (rest) {
    const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)/.exec(rest)!;
    total += Number(m[1]) * units[m[2]];
    rest = rest.slice(m[0].length);
  }
  return total;
}
