/**
 * What the Services end-to-end tests share: a peapod server with its embedded agent whose service
 * proxy table is known, stopped after deleting what the test made (and the proxy table removed
 * after a crash), and a plain HTTP GET from the node.
 */
import { request } from 'node:http';
import type { AgentServer } from './agent-helpers.js';
import { runCommand } from '../../src/runtime/oci/run-command.js';

/** The node's service-proxy nftables table (`table ip NAME`). */
export const proxyTable = (s: AgentServer): string => `peapod_proxy_${s.bridge}`;

/** Runs each `kubectl ARGS` cleanup (failures ignored), stops the server and removes its proxy table if a crash left it. */
export async function stopServicesServer(s: AgentServer, deletes: string[][]): Promise<void> {
  for (const args of deletes) await s.server.kubectl(args);
  await s.stop();
  // the server removes its proxy table when it stops; after a crash it is ours to remove
  const table = proxyTable(s);
  await runCommand('nft', ['-f', '-'], { input: `table ip ${table}\ndelete table ip ${table}\n`, check: false });
}

/** GET http://host:port/ from the node: the trimmed body; rejects on an error or after 5 s. */
export function httpGetBody(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path: '/', agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve(body.trim()));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}
