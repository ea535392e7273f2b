/**
 * `peapod server --store etcd` over TLS: etcd serves https with a private CA and requires client
 * certificates; the server connects with --etcd-cafile/--etcd-certfile/--etcd-keyfile.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type TestServer } from './harness.js';
import { startTestEtcd, type TestEtcd } from '../../src/storage/etcd/test-etcd.js';
import { createCA, issueCert } from '../../src/pki/certs.js';

let etcd: TestEtcd | undefined;
let server: TestServer | undefined;
const certDir = mkdtempSync(join(tmpdir(), 'peapod-etcd-tls-'));
after(async () => {
  await server?.stop();
  await etcd?.stop();
  rmSync(certDir, { recursive: true, force: true });
});

test('peapod server on an https etcd with client-certificate authentication', { timeout: 120_000 }, async () => {
  const ca = await createCA('etcd-ca');
  const serving = await issueCert(ca, { commonName: 'etcd', ips: ['127.0.0.1'], usage: 'server+client' });
  const client = await issueCert(ca, { commonName: 'peapod-apiserver', usage: 'client' });
  etcd = await startTestEtcd({ tls: { ...serving, clientCa: ca.certPem } });
  const files = { ca: join(certDir, 'ca.crt'), cert: join(certDir, 'client.crt'), key: join(certDir, 'client.key') };
  writeFileSync(files.ca, ca.certPem);
  writeFileSync(files.cert, client.certPem);
  writeFileSync(files.key, client.keyPem, { mode: 0o600 });
  server = await startServer({
    args: ['--store', 'etcd', '--etcd-endpoints', etcd.endpoint, '--etcd-cafile', files.ca, '--etcd-certfile', files.cert, '--etcd-keyfile', files.key],
  });
  let r = await server.kubectl(['create', 'configmap', 'over-tls', '--from-literal=k=v']);
  assert.equal(r.code, 0, r.stderr);
  r = await server.kubectl(['get', 'configmap', 'over-tls', '-o', 'jsonpath={.data.k}']);
  assert.equal(r.stdout, 'v');
});
