import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryStore } from '../storage/memory/memory-store.js';
import { loadOrCreatePki, defaultServingNames } from '../pki/cluster-pki.js';
import { loadOrCreateNodeToken } from '../apiserver/auth/node-token.js';
import { BootstrapTokenError, bootstrapKey, decryptBootstrap, encryptBootstrap, reconcileBootstrapData, sharedPkiFiles } from './bootstrap-data.js';

function dir(t: TestContext): string {
  const d = mkdtempSync(join(tmpdir(), 'peapod-bootstrap-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

const opts = (dataDir: string, token?: string) => ({
  dataDir,
  token,
  createPki: async () => { await loadOrCreatePki(dataDir, defaultServingNames('host-' + dataDir.slice(-6), [])); },
  createToken: (ca: string) => loadOrCreateNodeToken(join(dataDir, 'node-token'), ca),
});

describe('bootstrap data', () => {
  it('encrypts with a key from the token: the right token opens it, a wrong one or a changed byte does not', () => {
    const payload = { files: { 'ca.key': '-----BEGIN PRIVATE KEY-----\nabc\n' }, token: 'K10' + 'a'.repeat(64) + '::node:01' };
    const sealed = encryptBootstrap(payload.token, payload);
    assert.ok(!sealed.includes('PRIVATE KEY') && !sealed.includes('abc'));
    assert.deepEqual(decryptBootstrap(payload.token, sealed), payload);
    assert.throws(() => decryptBootstrap(payload.token + '2', sealed), BootstrapTokenError);
    const env = JSON.parse(sealed);
    const data = Buffer.from(env.data, 'base64');
    data[0] ^= 1;
    assert.throws(() => decryptBootstrap(payload.token, JSON.stringify({ ...env, data: data.toString('base64') })), BootstrapTokenError);
    assert.notEqual(encryptBootstrap(payload.token, payload), sealed, 'fresh salt and IV every time');
  });

  it('the first server founds the cluster; a second with its token gets the same CA, SA key, admin and token', async (t) => {
    const store = new MemoryStore();
    t.after(() => store.close());
    const a = dir(t);
    const b = dir(t);
    const ra = await reconcileBootstrapData(store, opts(a));
    assert.equal(ra.source, 'founded');
    assert.equal(readFileSync(join(a, 'node-token'), 'utf8').trim(), ra.token);
    const stored = (await store.get(bootstrapKey)).kv!.value;
    assert.ok(!stored.includes('BEGIN'), 'nothing in the clear');

    // a second server without the token is refused
    await assert.rejects(reconcileBootstrapData(store, opts(dir(t))), /--token-file/);
    // with a token of the same CA but another secret: refused
    const wrong = ra.token.replace(/::node:.*/, '::node:' + 'f'.repeat(48));
    await assert.rejects(reconcileBootstrapData(store, opts(dir(t), wrong)), BootstrapTokenError);

    const rb = await reconcileBootstrapData(store, opts(b, ra.token));
    assert.equal(rb.source, 'store');
    assert.equal(rb.token, ra.token);
    for (const f of sharedPkiFiles) assert.equal(readFileSync(join(b, 'pki', f), 'utf8'), readFileSync(join(a, 'pki', f), 'utf8'), f);
    assert.equal(readFileSync(join(b, 'node-token'), 'utf8').trim(), ra.token);
    // B's PKI load now keeps the shared CA and issues B's own serving certificate from it
    const pa = await loadOrCreatePki(a, defaultServingNames('host-a', []));
    const pb = await loadOrCreatePki(b, defaultServingNames('host-b', []));
    assert.equal(pb.ca.certPem, pa.ca.certPem);
    assert.equal(pb.saPubPem, pa.saPubPem);
    assert.notEqual(pb.server.certPem, pa.server.certPem);
    // restarts (token from DIR/node-token) find their files current
    assert.equal((await reconcileBootstrapData(store, opts(a))).source, 'current');
    assert.equal((await reconcileBootstrapData(store, opts(b))).source, 'current');
  });

  it('two fresh servers racing on an empty store cannot found two clusters', async (t) => {
    const store = new MemoryStore();
    t.after(() => store.close());
    const results = await Promise.allSettled([reconcileBootstrapData(store, opts(dir(t))), reconcileBootstrapData(store, opts(dir(t)))]);
    assert.equal(results.filter((r) => r.status === 'fulfilled' && r.value.source === 'founded').length, 1);
    assert.equal((await store.list('/peapod/bootstrap/')).kvs.length, 1);
  });
});
