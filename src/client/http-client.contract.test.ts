/** HttpClient: the KubeClient contract over HTTPS, against the HTTPS front with a client certificate. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApiHandler } from '../apiserver/api-handler.js';
import { Authenticator } from '../apiserver/auth/authenticator.js';
import { loadOrCreateNodeToken } from '../apiserver/auth/node-token.js';
import { TokenIssuer } from '../apiserver/auth/tokens.js';
import { startHttpsServer } from '../apiserver/server.js';
import { defaultServingNames, loadOrCreatePki } from '../pki/cluster-pki.js';
import { MemoryStore } from '../storage/memory/memory-store.js';
import { HttpClient } from './http-client.js';
import { kubeClientFixtureDeps, runKubeClientContract } from './kube-client.contract.js';

runKubeClientContract('https', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'peapod-client-contract-'));
  const store = new MemoryStore();
  const handler = createApiHandler({ store, ...kubeClientFixtureDeps });
  let client: HttpClient | undefined;
  let server: Awaited<ReturnType<typeof startHttpsServer>> | undefined;
  const close = async () => {
    client?.close();
    await server?.close();
    await handler.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const pki = await loadOrCreatePki(dir, defaultServingNames('localhost', []));
    const tokens = new TokenIssuer(pki.saKeyPem, pki.saPubPem);
    const nodeToken = loadOrCreateNodeToken(join(dir, 'node-token'), pki.ca.certPem);
    server = await startHttpsServer({ pki, authenticator: new Authenticator({ tokens, nodeToken }), handler, ready: handler.ready, port: 0 });
    await handler.ready;
    client = new HttpClient({ server: server.url, caPem: pki.ca.certPem, clientCertPem: pki.admin.certPem, clientKeyPem: pki.admin.keyPem, servername: 'localhost', userAgent: 'contract-test/1.0' });
    return { client, store, close };
  } catch (e) {
    await close();
    throw e;
  }
});
