import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImageStore } from './image-store.js';
import { ImagePullError } from './errors.js';
import { buildImage, writeLayoutDir } from './build/oci-image.js';
import { skopeoPush, startTestRegistry, type TestRegistry } from './testing/test-registry.js';
import { startTokenServer, type TokenServer } from './testing/token-server.js';

let root: string;
let tokens: TokenServer;
let reg: TestRegistry;
const img = buildImage({ names: ['x/bearer:1'], layers: [[{ path: 'secret.txt', type: 'file', mode: 0o600, content: Buffer.from('s') }]], config: { Cmd: ['/x'] } });

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'peapod-bearer-'));
  tokens = await startTokenServer({ username: 'bob', password: 'hunter2' });
  reg = await startTestRegistry({ token: tokens });
  await writeLayoutDir(img, join(root, 'layout'));
  await skopeoPush(join(root, 'layout'), '1', `${reg.host}/team/bearer:1`, { creds: 'bob:hunter2' });
});
after(async () => {
  await reg?.stop();
  await tokens?.stop();
  await rm(root, { recursive: true, force: true });
});

test('Bearer token flow: the token endpoint is asked with the credentials and the pull scope', async () => {
  const store = new ImageStore({ dir: join(root, 'store') });
  const before = tokens.requests.length;
  const rec = await store.pull(`${reg.host}/team/bearer:1`, { dockerConfigs: [{ auths: { [reg.host]: { username: 'bob', password: 'hunter2' } } }] });
  assert.equal(rec.id, img.configDigest);
  const asked = tokens.requests.slice(before);
  assert.ok(asked.length >= 1);
  assert.ok(asked.every((r) => r === 'bob repository:team/bearer:pull'), asked.join('\n'));
});

test('Bearer token flow: no or wrong credentials say what failed', async () => {
  const store = new ImageStore({ dir: join(root, 'store2') });
  await assert.rejects(store.pull(`${reg.host}/team/bearer:1`), (e: unknown) => {
    assert.ok(e instanceof ImagePullError);
    assert.equal(e.reason, 'Unauthorized');
    assert.equal(e.message, `failed to pull and unpack image "${reg.host}/team/bearer:1": failed to resolve reference "${reg.host}/team/bearer:1": `
      + `failed to fetch anonymous token from ${tokens.realm}: unexpected status: 401 Unauthorized (UNAUTHORIZED: authentication required)`);
    return true;
  });
  await assert.rejects(store.pull(`${reg.host}/team/bearer:1`, { credentials: [{ username: 'bob', password: 'nope' }] }),
    /failed to fetch token from .*: unexpected status: 401 Unauthorized/);
});
