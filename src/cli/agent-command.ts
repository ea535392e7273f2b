/**
 * `peapod agent`: a node agent on its own. Joins the cluster with the node join token (the CA the
 * token names is checked), keeps its credential in DIR/agent/credentials/, registers the node and
 * runs the pods bound to it until SIGINT/SIGTERM (containers keep running after it stops).
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { defaultDataDir } from './paths.js';
import { Agent } from '../agent/agent.js';
import { createNodeRuntime } from '../agent/node-runtime.js';
import { joinCluster } from '../agent/join.js';
import { AgentPaths } from '../agent/paths.js';
import { HttpClient } from '../client/http-client.js';
import { startNodeServices } from '../network/node-services.js';
import { startStreamingServer, type StreamingServer } from '../agent/streaming/server.js';
import { startLogRotation } from '../agent/streaming/log-rotation.js';
import type { NodeCredential } from '../agent/join.js';
import type { Runtime } from '../runtime/runtime.js';

/** Port 10250 (the kubelet's) unless taken or --kubelet-port says otherwise; TLS from the join's serving certificate. */
async function startAgentStreaming(runtime: Runtime, nodeName: string, cred: NodeCredential, port: number | undefined): Promise<StreamingServer> {
  if (!cred.servingCertificate || !cred.servingKey) throw new Error('no serving certificate for the node\'s streaming endpoint');
  const base = { runtime, nodeName, tls: { cert: cred.servingCertificate, key: cred.servingKey, ca: cred.ca } };
  if (port !== undefined) return startStreamingServer({ ...base, port });
  try {
    return await startStreamingServer({ ...base, port: 10250 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
    return startStreamingServer({ ...base, port: 0 });
  }
}
import { NodeRoutes } from '../network/routes.js';
import { awaitNodePodCidr } from '../agent/node/pod-cidr.js';
import { setLogLevel, logger } from '../util/log.js';
import { reportStartFailure } from './start-failure.js';

const log = logger('agent-command');

export const agentUsage = `usage: peapod agent --server URL --token-file FILE [options]

  --server URL            the API server (https://HOST:PORT)
  --token-file FILE       the node join token (the server's DIR/node-token)
  --node-name NAME        this node's name (default: the host name)
  --data-dir DIR          data folder (default ${defaultDataDir()})
  --node-ip IP            this node's InternalIP (default 127.0.0.1)
  --max-pods N            pods this node accepts (default 110)
  --pod-cidr CIDR         pod subnet of this node (default: the spec.podCIDR the server's node
                          IPAM controller gives the Node, waited for at start)
  --cluster-cidr CIDR     the server's --cluster-cidr: pods may send to it (pods on other nodes,
                          routed via each Ready node's InternalIP); default 10.42.0.0/16 when the
                          pod subnet comes from the server, none with --pod-cidr
  --bridge NAME           CNI bridge (default peapod0)
  --pod-manifest-path DIR static pod manifests (default DIR/agent/manifests)
  --cluster-dns IP        nameserver of ClusterFirst pods (default 10.96.0.10)
  --kubelet-port PORT     the streaming server's port reported in the node status (default 10250)
  --example-images        also import the example images (busybox, registry)
  -v, --verbose           debug logs
`;

export async function run(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      server: { type: 'string' },
      'token-file': { type: 'string' },
      'node-name': { type: 'string' },
      'data-dir': { type: 'string' },
      'node-ip': { type: 'string' },
      'max-pods': { type: 'string' },
      'pod-cidr': { type: 'string' },
      'cluster-cidr': { type: 'string' },
      bridge: { type: 'string' },
      'pod-manifest-path': { type: 'string' },
      'cluster-dns': { type: 'string' },
      'kubelet-port': { type: 'string' },
      'example-images': { type: 'boolean' },
      verbose: { type: 'boolean', short: 'v' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) { process.stdout.write(agentUsage); return 0; }
  if (values.verbose) setLogLevel('debug');
  if (!values.server) throw new Error('--server is required');
  if (!values['token-file']) throw new Error('--token-file is required');
  const nodeName = (values['node-name'] ?? hostname()).toLowerCase();
  if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(nodeName)) throw new Error(`--node-name: "${nodeName}" is not a lowercase RFC 1123 subdomain`);
  const num = (name: string, v: string | undefined) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name}: must be a positive integer, not "${v}"`);
    return n;
  };
  const dataDir = values['data-dir'] ?? defaultDataDir();
  const paths = new AgentPaths(dataDir);
  const token = readFileSync(values['token-file'], 'utf8').trim();
  const nodeIp = values['node-ip'] ?? '127.0.0.1';
  const cred = await joinCluster({ server: values.server, token, nodeName, credentialsDir: paths.credentialsDir, addresses: [...new Set(['127.0.0.1', nodeIp])] });
  const maxPods = num('max-pods', values['max-pods']);
  // What start-up made, released in reverse order when a later step fails or at shutdown.
  const made: Array<() => Promise<void> | void> = [];
  const release = async () => {
    for (const undo of made.reverse()) await Promise.resolve().then(undo).catch((err: unknown) => log.warn('release failed', { err: String(err) }));
  };
  try {
    const client = new HttpClient({ server: values.server, caPem: cred.ca, clientCertPem: cred.certificate, clientKeyPem: cred.key, servername: 'localhost', userAgent: `peapod-agent/${nodeName}` });
    made.push(() => client.close());
    // The pod subnet: --pod-cidr, else the one the server allocates to this Node (node-ipam.ts).
    const podCidr = values['pod-cidr'] ?? await awaitNodePodCidr({
      client, dataDir,
      config: { nodeName, nodeIp, maxPods: maxPods ?? 110, kubeletPort: 10250, kubeletVersion: 'v1.30.0', containerRuntimeVersion: 'peapod://0.1.0' },
    });
    const clusterCidr = values['cluster-cidr'] ?? (values['pod-cidr'] ? undefined : '10.42.0.0/16');
    log.info('pod subnet', { podCidr, clusterCidr, from: values['pod-cidr'] ? '--pod-cidr' : 'the Node (node IPAM)' });
    const node = createNodeRuntime({ dataDir, podCidr, clusterCidr, bridge: values.bridge });
    const nodeServices = await startNodeServices({ client, nodeName, podCidr, bridge: values.bridge });
    made.push(() => nodeServices.stop());
    // routes to the other nodes' pod subnets via their InternalIPs, in this host's network namespace
    const routes = new NodeRoutes({ client, nodeName, nodeIp, podCidr, clusterCidr });
    made.push(() => routes.stop());
    await routes.start();
    // the node's streaming endpoint (logs, exec, attach, port-forward) that the API's pods/* subresources proxy to
    const streaming = await startAgentStreaming(node.runtime, nodeName, cred, num('kubelet-port', values['kubelet-port']));
    made.push(() => streaming.close());
    const logRotation = startLogRotation(node.runtime); // 10 MiB × 5 files per container, as the kubelet
    made.push(() => logRotation.stop());
    const agent = await Agent.start({
      client, nodeName, dataDir, runtime: node.runtime, images: node.images,
      nodeIp, maxPods, podCidr,
      podManifestPath: values['pod-manifest-path'], clusterDns: values['cluster-dns'], kubeletPort: streaming.port,
      exampleImages: values['example-images'] === true,
    });
    made.push(() => agent.stop());
  } catch (err) {
    await release();
    return reportStartFailure('agent', err, log);
  }
  log.info('peapod agent ready', { node: nodeName, server: values.server });
  await new Promise<void>((resolve) => {
    const stop = (sig: string) => { log.info('shutting down', { signal: sig }); resolve(); };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  await release();
  return 0;
}
