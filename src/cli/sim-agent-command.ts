/**
 * `peapod sim-agent --nodes N --server URL --token-file F`: N simulated nodes (no containers) for
 * scale tests and benchmarks. Joins with the node token: POSTs /peapod/v1/node-credentials, checks
 * the returned CA against the token's CA hash, then talks to the API with the issued node
 * certificate over verified TLS. Runs until SIGINT/SIGTERM.
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { parseArgs } from 'node:util';
import { caHash, parseNodeToken } from '../apiserver/auth/node-token.js';
import { HttpClient } from '../client/http-client.js';
import { startSimAgent } from '../agent/sim/sim-agent.js';
import { setLogLevel, logger } from '../util/log.js';

const log = logger('sim-agent');

export const simAgentUsage = `usage: peapod sim-agent --server URL --token-file FILE [options]

  --server URL            API server (https://HOST:PORT)
  --token-file FILE       the server's node join token (DIR/node-token)
  --nodes N               number of simulated nodes (default 1)
  --name-prefix P         node names are P0, P1, … (default sim-node-)
  --first-index I         index of the first node (default 0)
  --cpu Q --memory Q --pods N   capacity of each node (default 32, 256Gi, 110)
  --zones Z               label nodes topology.kubernetes.io/zone=zone-(i mod Z)
  --no-pods               register nodes and leases only; do not move pods through their stages
  -v, --verbose           debug logs
`;

async function nodeCredentials(server: string, token: string, nodeName: string): Promise<{ certificate: string; key: string; ca: string }> {
  const url = new URL('/peapod/v1/node-credentials', server);
  const body = JSON.stringify({ nodeName });
  // The CA is not trusted yet: the answer's CA must match the hash carried in the token.
  const text = await new Promise<string>((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', rejectUnauthorized: false,
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const t = Buffer.concat(chunks).toString('utf8');
        if ((res.statusCode ?? 0) !== 200) reject(new Error(`node-credentials: HTTP ${res.statusCode}: ${t.slice(0, 200)}`));
        else resolve(t);
      });
    });
    req.on('error', reject);
    req.end(body);
  });
  const cred = JSON.parse(text) as { certificate: string; key: string; ca: string };
  const want = parseNodeToken(token)?.caHash;
  if (!want || caHash(cred.ca) !== want) throw new Error('node-credentials: the server CA does not match the token\'s CA hash');
  return cred;
}

export async function run(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      server: { type: 'string' }, 'token-file': { type: 'string' }, nodes: { type: 'string' },
      'name-prefix': { type: 'string' }, 'first-index': { type: 'string' },
      cpu: { type: 'string' }, memory: { type: 'string' }, pods: { type: 'string' }, zones: { type: 'string' },
      'no-pods': { type: 'boolean' }, verbose: { type: 'boolean', short: 'v' }, help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) { process.stdout.write(simAgentUsage); return 0; }
  if (values.verbose) setLogLevel('debug');
  if (!values.server || !values['token-file']) { process.stderr.write(simAgentUsage); return 2; }
  const count = Number(values.nodes ?? '1');
  if (!Number.isInteger(count) || count < 1 || count > 100_000) throw new Error(`--nodes: must be an integer 1..100000, not "${values.nodes}"`);
  const firstIndex = Number(values['first-index'] ?? '0');
  if (!Number.isInteger(firstIndex) || firstIndex < 0) throw new Error(`--first-index: must be a non-negative integer`);
  const zones = Number(values.zones ?? '0');
  const prefix = values['name-prefix'] ?? 'sim-node-';
  const token = readFileSync(values['token-file'], 'utf8').trim();
  const cred = await nodeCredentials(values.server, token, `${prefix}${firstIndex}`);
  const client = new HttpClient({ server: values.server, caPem: cred.ca, clientCertPem: cred.certificate, clientKeyPem: cred.key, servername: 'localhost', userAgent: 'peapod-sim-agent' });
  const agent = await startSimAgent({
    client, nodes: count, namePrefix: prefix, firstIndex, zones,
    capacity: { cpu: values.cpu ?? '32', memory: values.memory ?? '256Gi', pods: values.pods ?? '110', 'ephemeral-storage': '100Gi' },
    simulatePods: !values['no-pods'],
  });
  log.info('sim-agent running', { nodes: count, server: values.server });
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await agent.stop();
  client.close();
  return 0;
}
