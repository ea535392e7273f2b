/** Admin kubeconfig written by the server at start: `DIR/kubeconfig.yaml`. */
import { writeFileSync, renameSync } from 'node:fs';
import { stringify } from 'yaml';

export interface KubeconfigInput {
  server: string;
  caPem: string;
  clientCertPem: string;
  clientKeyPem: string;
  name?: string;
}

export function kubeconfigYaml(k: KubeconfigInput): string {
  const name = k.name ?? 'peapod';
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster: { server: k.server, 'certificate-authority-data': b64(k.caPem) } }],
    users: [{ name: `${name}-admin`, user: { 'client-certificate-data': b64(k.clientCertPem), 'client-key-data': b64(k.clientKeyPem) } }],
    contexts: [{ name, context: { cluster: name, user: `${name}-admin` } }],
    'current-context': name,
    preferences: {},
  });
}

export function writeKubeconfig(path: string, k: KubeconfigInput): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, kubeconfigYaml(k), { mode: 0o600 });
  renameSync(tmp, path);
}
