/**
 * The control plane of one `peapod server`: PKI, store, API (REST core behind the HTTPS front),
 * admin kubeconfig and node join token; later the scheduler, controllers and the embedded agent.
 *
 *   DIR/pki/…             certificates and keys (cluster-pki.ts)
 *   DIR/db/state.db       the SQLite store (default)
 *   DIR/kubeconfig.yaml   admin kubeconfig, written once the API answers
 *   DIR/node-token        join token for agents
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { loadOrCreatePki, defaultServingNames } from '../pki/cluster-pki.js';
import { TokenIssuer } from '../apiserver/auth/tokens.js';
import { Authenticator } from '../apiserver/auth/authenticator.js';
import { loadOrCreateNodeToken } from '../apiserver/auth/node-token.js';
import { startHttpsServer } from '../apiserver/server.js';
import { createApiHandler, type ApiHandler } from '../apiserver/api-handler.js';
import { writeKubeconfig } from '../apiserver/kubeconfig.js';
import { ApiMetrics } from '../apiserver/metrics.js';
import { openStore, type StoreKind } from './open-store.js';
import { instrumentStore } from '../storage/instrumented-store.js';
import type { Store } from '../storage/store.js';
import type { Clock } from '../util/clock.js';
import { realClock } from '../util/clock.js';
import { logger } from '../util/log.js';
import { HttpClient } from '../client/http-client.js';
import { InProcessClient } from '../client/in-process-client.js';
import type { UserInfo } from '../apiserver/user.js';
import { startControllerManager } from '../controllers/manager.js';
import { NodeRoutes } from '../network/routes.js';
import { startScheduler } from '../scheduler/scheduler.js';
import { issueCert } from '../pki/certs.js';
import { Agent } from '../agent/agent.js';
import { createNodeRuntime } from '../agent/node-runtime.js';
import { createPodStreamingHandlers } from '../apiserver/proxy/pod-streams.js';
import { startNodeStreaming } from '../agent/streaming/node-streaming.js';
import { startLogRotation, type LogRotator } from '../agent/streaming/log-rotation.js';
import type { StreamingServer } from '../agent/streaming/server.js';
import { startNodeServices, type NodeServices } from '../network/node-services.js';
import { ensureKubeDns } from '../network/node-services-kube-dns.js';
import { firstHost, parseCidr } from '../network/cni/ipv4.js';
import { reconcileBootstrapData } from './bootstrap-data.js';
import { runWhileLeader, type LeaderGate } from './leader-election-runner.js';
import { ShutdownStack } from './shutdown-stack.js';

const log = logger('control-plane');

export interface ControlPlaneOptions {
  dataDir: string;
  /** 0 = a free port. */
  port: number;
  bind: string;
  nodeIp: string;
  nodeName?: string;
  store: StoreKind;
  etcdEndpoints?: string[];
  /** --store etcd over https: CA, client certificate and key files; key prefix (default ""). */
  etcdCaFile?: string;
  etcdCertFile?: string;
  etcdKeyFile?: string;
  etcdPrefix?: string;
  /** --token-file: join another server's cluster (its DIR/node-token); the PKI comes from the store. */
  tokenFile?: string;
  /** Run controllers and the scheduler only while holding the kube-system/peapod-controllers Lease (default: with --store etcd). */
  leaderElect?: boolean;
  /** Run the embedded node agent. */
  agent: boolean;
  /** Embedded agent: pod subnet (default 10.88.0.0/16), bridge (default peapod0), max pods (default 110). */
  podCidr?: string;
  bridge?: string;
  maxPods?: number;
  /** Node IPAM: the cluster CIDR Nodes get their spec.podCIDR from (default 10.42.0.0/16, a /24 each).
   *  The embedded agent keeps --pod-cidr (registered as its Node's podCIDR, so it is never given another);
   *  when given explicitly, the embedded node's pods may reach it and the node routes the other nodes' subnets. */
  clusterCidr?: string;
  /** Embedded agent: the streaming server's port for daemonEndpoints (default 10250). */
  kubeletPort?: number;
  /** Node lifecycle grace period (--node-monitor-grace-period), default 40 s. */
  nodeMonitorGracePeriodMs?: number;
  clock?: Clock;
  /** Aborted (e.g. by SIGTERM) during start-up: start-up stops after the step under way and releases what it made. */
  signal?: AbortSignal;
}

export interface ControlPlane {
  url: string;
  port: number;
  kubeconfigPath: string;
  nodeTokenPath: string;
  store: Store;
  close(): Promise<void>;
}

/**
 * Leader election timing: a 12 s lease renewed every 2 s (deadline 8 s). A crashed leader's last
 * renewal is at most one retry period before it died, so another server leads within 12 s of the
 * crash — inside the 15 s the issue asks for (client-go's 15/10/2 defaults would give up to ~15.6 s).
 */
const LEADER_TIMING = { leaseDurationMs: 12_000, renewDeadlineMs: 8_000, retryPeriodMs: 2_000 };

/** Who the controllers and their leader election act as (kube-controller-manager's user, with the admin's rights). */
const CONTROLLER_USER: UserInfo = { username: 'system:kube-controller-manager', groups: ['system:masters', 'system:authenticated'] };
/** Who the scheduler acts as (kube-scheduler's user, with the admin's rights). */
const SCHEDULER_USER: UserInfo = { username: 'system:kube-scheduler', groups: ['system:masters', 'system:authenticated'] };

/** Starts everything; when a step fails, what the earlier steps made is released before the error is thrown. */
export async function startControlPlane(opts: ControlPlaneOptions): Promise<ControlPlane> {
  const made = new ShutdownStack(opts.signal);
  try {
    return await buildControlPlane(opts, made);
  } catch (err) {
    await made.close();
    throw err;
  }
}

async function buildControlPlane(opts: ControlPlaneOptions, made: ShutdownStack): Promise<ControlPlane> {
  const clock = opts.clock ?? realClock;
  mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
  const extraIps = opts.nodeIp && opts.nodeIp !== '127.0.0.1' ? [opts.nodeIp] : [];
  if (opts.bind !== '127.0.0.1' && opts.bind !== '0.0.0.0' && opts.bind !== '::') extraIps.push(opts.bind);
  const servingNames = defaultServingNames(hostname(), extraIps);
  const nodeTokenPath = join(opts.dataDir, 'node-token');
  const store = await openStore(opts.store, {
    dataDir: opts.dataDir, etcdEndpoints: opts.etcdEndpoints, etcdCaFile: opts.etcdCaFile, etcdCertFile: opts.etcdCertFile, etcdKeyFile: opts.etcdKeyFile, etcdPrefix: opts.etcdPrefix,
  });
  made.push('store', () => store.close());
  if (opts.tokenFile && opts.store !== 'etcd') throw new Error('--token-file joins servers that share a store: it needs --store etcd');
  if (opts.store === 'etcd') {
    // Servers on one etcd share the CA, SA key, admin cert and join token through the store (bootstrap-data.ts).
    await reconcileBootstrapData(store, {
      dataDir: opts.dataDir,
      token: opts.tokenFile ? readFileSync(opts.tokenFile, 'utf8') : undefined,
      createPki: async () => { await loadOrCreatePki(opts.dataDir, servingNames); },
      createToken: (caPem) => loadOrCreateNodeToken(nodeTokenPath, caPem),
    });
  }
  const pki = await loadOrCreatePki(opts.dataDir, servingNames);
  const nodeToken = loadOrCreateNodeToken(nodeTokenPath, pki.ca.certPem);
  const tokens = new TokenIssuer(pki.saKeyPem, pki.saPubPem, undefined, clock);

  const metrics = new ApiMetrics();
  const apiStore = instrumentStore(store, (operation, seconds) => metrics.storeLatency.observe({ operation }, seconds));
  // pods/log, exec, attach, portforward: proxied to the node agents with this client identity.
  const agentClient = await issueCert(pki.ca, { commonName: 'peapod-apiserver-kubelet-client', organizations: ['system:masters'], usage: 'client', days: 365 });
  const podStreams = createPodStreamingHandlers({ store, clientCert: agentClient, caPem: pki.ca.certPem });
  made.push('pod streams', () => podStreams.close());
  // Pods reach the API at the pod bridge's gateway, published as the `default/kubernetes` Service
  // (ClusterIP 10.96.0.1:443, which the service proxy forwards there): the handler is built once the
  // HTTPS server has bound its port (--port 0: the kernel's choice), so that it can advertise it.
  const podGateway = opts.agent ? firstHost(parseCidr(opts.podCidr ?? '10.88.0.0/16')) : undefined;
  let handler!: ApiHandler;
  const https = await startHttpsServer({
    pki,
    authenticator: new Authenticator({ tokens, nodeToken }),
    // compaction as kube-apiserver does for etcd: every 5 minutes, keeping recent history for watches
    handler: (apiPort) => (handler = createApiHandler({
      store: apiStore, clock, tokenIssuer: tokens, subresources: podStreams.handlers, compaction: {},
      advertise: podGateway ? { address: podGateway, port: apiPort } : undefined,
    })),
    metrics,
    bind: opts.bind,
    port: opts.port,
  });
  made.push('API handler', () => handler.close());
  made.push('HTTPS server', () => https.close());
  await handler.ready;

  const kubeconfigPath = join(opts.dataDir, 'kubeconfig.yaml');
  // the address the API listens on (--bind ADDR: that address; 0.0.0.0 and :: answer on 127.0.0.1)
  const url = https.url;
  writeKubeconfig(kubeconfigPath, { server: url, caPem: pki.ca.certPem, clientCertPem: pki.admin.certPem, clientKeyPem: pki.admin.keyPem });
  log.info('API server listening', { url: https.url, bind: opts.bind, store: opts.store });

  // The embedded node's services and the kube-dns setup use the API like any client (loopback HTTPS, admin credential).
  const client = new HttpClient({ server: url, caPem: pki.ca.certPem, clientCertPem: pki.admin.certPem, clientKeyPem: pki.admin.keyPem, servername: 'localhost', userAgent: 'peapod-controller-manager' });
  made.push('controller client', () => client.close());
  // Controllers, the scheduler and the leader election call the REST core in-process: the same
  // admission, validation, managedFields and watch cache without TLS, sockets or HTTP parsing, and
  // counted in /metrics like HTTPS requests. With several servers on one etcd the Lease is in that
  // shared store, so electing through the local REST core is the same compare-and-swap as over HTTPS.
  // One client per component, each with its own bound on requests in flight (as kube-controller-manager
  // and kube-scheduler are separate clients with their own QPS): a Job's burst of pod creations waits
  // in the controllers' queue, not ahead of the scheduler's bindings or the leader's lease renewals.
  const controllerClient = new InProcessClient({ handler, user: CONTROLLER_USER, userAgent: 'peapod-controller-manager', metrics });
  made.push('in-process controller client', () => controllerClient.close());
  const schedulerClient = new InProcessClient({ handler, user: SCHEDULER_USER, userAgent: 'peapod-scheduler', metrics });
  made.push('in-process scheduler client', () => schedulerClient.close());
  const electionClient = new InProcessClient({ handler, user: CONTROLLER_USER, userAgent: 'peapod-leader-election', metrics });
  made.push('in-process leader election client', () => electionClient.close());
  // Controllers and the scheduler run on one server at a time: with several servers on one etcd,
  // only on the holder of the kube-system/peapod-controllers Lease (leader-election.ts).
  const startLeaderWork = async () => {
    const controllers = await startControllerManager({ client: controllerClient, clock, caPem: pki.ca.certPem, nodeMonitorGracePeriodMs: opts.nodeMonitorGracePeriodMs, clusterCidr: opts.clusterCidr });
    // the scheduler reads the controllers' shared informers (one cache of pods in the process)
    // and writes (bindings, pod status, events) through its own client
    const scheduler = await startScheduler({ client: schedulerClient, clock, informers: controllers.informers });
    return { controllers, async stop() { await scheduler.stop(); await controllers.stop(); } };
  };
  const leaderElect = opts.leaderElect ?? opts.store === 'etcd';
  const unelected = leaderElect ? undefined : await startLeaderWork();
  if (unelected) made.push('controllers and scheduler', () => unelected.stop());
  const leaderGate: LeaderGate | undefined = leaderElect ? runWhileLeader({ client: electionClient, clock, identity: `${hostname()}_${https.port}_${randomUUID()}`, ...LEADER_TIMING }, startLeaderWork) : undefined;
  if (leaderGate) made.push('leader election', () => leaderGate.stop());

  // The embedded agent: a node named after the host, with its own system:node:NAME credential.
  let agent: Agent | undefined;
  let nodeClient: HttpClient | undefined;
  let streaming: StreamingServer | undefined;
  let logRotation: LogRotator | undefined;
  let routes: NodeRoutes | undefined;
  // Service proxy + cluster DNS of the embedded node (before its pods start), and kube-dns pointing at it.
  let nodeServices: NodeServices | undefined;
  if (opts.agent) nodeServices = await startNodeServices({ client, informers: unelected?.controllers.informers, nodeName: (opts.nodeName ?? hostname()).toLowerCase(), podCidr: opts.podCidr, bridge: opts.bridge });
  made.push('node services', () => nodeServices?.stop());
  // the bridge exists now (node services listen on it): serve the API there for pods
  if (podGateway && podGateway !== opts.bind && opts.bind !== '0.0.0.0') await https.addListener(podGateway);
  await ensureKubeDns(client, nodeServices ? { dnsIp: nodeServices.dnsAddress.ip, dnsPort: nodeServices.dnsAddress.port } : { dnsIp: firstHost(parseCidr(opts.podCidr ?? '10.88.0.0/16')) });
  if (opts.agent) {
    const nodeName = (opts.nodeName ?? hostname()).toLowerCase();
    const cred = await issueCert(pki.ca, { commonName: `system:node:${nodeName}`, organizations: ['system:nodes'], usage: 'client', days: 365 });
    nodeClient = new HttpClient({ server: url, caPem: pki.ca.certPem, clientCertPem: cred.certPem, clientKeyPem: cred.keyPem, servername: 'localhost', userAgent: `peapod-agent/${nodeName}` });
    made.push('node client', () => nodeClient?.close());
    const node = createNodeRuntime({ dataDir: opts.dataDir, podCidr: opts.podCidr, bridge: opts.bridge, clusterCidr: opts.clusterCidr });
    // With --cluster-cidr the embedded node also takes part in multi-host pod networking: its pods may
    // reach the cluster CIDR and it routes the other nodes' pod subnets (network/routes.ts).
    if (opts.clusterCidr) {
      routes = new NodeRoutes({ client: nodeClient, nodeName, nodeIp: opts.nodeIp ?? '127.0.0.1', podCidr: opts.podCidr ?? '10.88.0.0/16', clusterCidr: opts.clusterCidr });
      made.push('node routes', () => routes?.stop());
      await routes.start();
    }
    // The node's streaming endpoint (logs, exec, attach, port-forward) that pods/* proxy to.
    streaming = await startNodeStreaming({ runtime: node.runtime, nodeName, nodeIp: opts.nodeIp, ca: pki.ca, port: opts.kubeletPort });
    made.push('node streaming', () => streaming?.close());
    logRotation = startLogRotation(node.runtime); // 10 MiB × 5 files per container, as the kubelet
    made.push('log rotation', () => logRotation?.stop());
    agent = await Agent.start({
      client: nodeClient, nodeName, dataDir: opts.dataDir, runtime: node.runtime, images: node.images,
      nodeIp: opts.nodeIp, podCidr: opts.podCidr ?? '10.88.0.0/16', maxPods: opts.maxPods, kubeletPort: streaming.port, exampleImages: true, clock,
    });
    made.push('agent', () => agent?.stop());
  }

  return {
    url,
    port: https.port,
    kubeconfigPath,
    nodeTokenPath,
    store,
    // in reverse order of start-up: the agent first, the store last
    close: () => made.close(),
  };
}
