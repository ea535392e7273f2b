import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImageStore } from './image-store.js';
import { ImagePullError } from './errors.js';
import { parseRegistriesYaml } from './registries-config.js';
import { buildImage, writeLayoutDir } from './build/oci-image.js';
import { startTestRegistry, type TestRegistry } from './testing/test-registry.js';

let root: string;
let reg: TestRegistry;
let ca: string;
const img = buildImage({ names: ['x/tls:1'], layers: [[{ path: 'tls.txt', type: 'file', mode: 0o644, content: Buffer.from('tls') }]], config: {} });

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'peapod-tls-'));
  ca = join(root, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(root, 'key.pem'), '-out', ca, '-days', '1',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  reg = await startTestRegistry({ tls: { certPath: ca, keyPath: join(root, 'key.pem') } });
  await writeLayoutDir(img, join(root, 'layout'));
  execFileSync('skopeo', ['--insecure-policy', 'copy', '--quiet', '--dest-tls-verify=false', `oci:${join(root, 'layout')}:1`, `docker://${reg.host}/tls/img:1`]);
});
after(async () => {
  await reg?.stop();
  await rm(root, { recursive: true, force: true });
});

// A TLS section makes the loopback registry's own endpoint https.
const mirrorYaml = (tls: string) => `configs:\n  "${reg.host}":\n    tls: ${tls}\n`;

test('https registry: unknown CA fails clearly; ca_file and insecure_skip_verify work', async () => {
  const plain = new ImageStore({ dir: join(root, 's0'), registries: parseRegistriesYaml(mirrorYaml('{}')) });
  await assert.rejects(plain.pull(`${reg.host}/tls/img:1`), (e: unknown) => {
    assert.ok(e instanceof ImagePullError);
    assert.equal(e.reason, 'Unreachable');
    assert.match(e.message, new RegExp(`^failed to pull and unpack image "${reg.host}/tls/img:1": failed to resolve reference .*: Head "https://${reg.host}/v2/tls/img/manifests/1": tls: failed to verify certificate: self[- ]signed certificate$`, 'i'));
    return true;
  });
  const withCa = new ImageStore({ dir: join(root, 's1'), registries: parseRegistriesYaml(mirrorYaml(`{ ca_file: "${ca}" }`)) });
  assert.equal((await withCa.pull(`${reg.host}/tls/img:1`)).id, img.configDigest);
  const insecure = new ImageStore({ dir: join(root, 's2'), registries: parseRegistriesYaml(mirrorYaml('{ insecure_skip_verify: true }')) });
  assert.equal((await insecure.pull(`${reg.host}/tls/img:1`)).id, img.configDigest);
});
