/**
 * The seed's OpenShift registry example through a Service, end to end with real containers: the
 * registry pod (examples/registry-pod.yaml) behind the docker-registry Service
 * (examples/registry-service.yaml); from another pod (skopeo, built from Debian's package) an image
 * is pushed through the Service's full DNS name and pulled back through its short name, and the
 * other way round, checking the manifest digest and a file in a layer; then the node itself pulls
 * the pushed image from the Service's ClusterIP and runs it. Run as root.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pod, Service } from 'kubernetes-types/core/v1.js';
import { Resources } from '../../src/client/resources.js';
import { repoRoot } from '../../src/cli/paths.js';
import { ImageStore, imageStoreDir } from '../../src/images/index.js';
import { buildImage, writeLayoutDir, type BuiltImage } from '../../src/images/build/oci-image.js';
import { busyboxLayer } from '../../src/images/build/example-images.js';
import { ensureSkopeoImage, SKOPEO_IMAGE } from '../../src/images/build/skopeo-image.js';
import { sha256 } from '../../src/images/digest.js';
import { containerLog, startAgentServer, waitFor, type AgentServer } from './agent-helpers.js';
import { kubectlOk } from './harness.js';

const isRoot = process.getuid?.() === 0;
let s: AgentServer | undefined;
let payloadDir = '';
let payload: BuiltImage;
const marker = `pushed through the docker-registry service ${randomUUID()}`;

before(async () => {
  if (!isRoot) return;
  // The image to push: busybox plus a layer with a file only this run knows; its CMD prints it.
  payloadDir = mkdtempSync(join(tmpdir(), 'peapod-e2e-payload-'));
  payload = buildImage({
    names: ['example.test/e2e/payload:v1'],
    layers: [await busyboxLayer(), [{ path: 'hello.txt', type: 'file', mode: 0o644, content: Buffer.from(`${marker}\n`) }]],
    config: { Env: ['PATH=/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['cat', '/hello.txt'] },
  });
  await writeLayoutDir(payload, payloadDir);
  const skopeoTar = await ensureSkopeoImage();
  s = await startAgentServer();
  // The client image goes into the node's store beside the example images (the store locks against the agent).
  await new ImageStore({ dir: imageStoreDir(s.server.dataDir) }).importArchive(skopeoTar);
});

after(async () => {
  if (s) {
    for (const p of ['registry-client', 'from-registry']) await s.server.kubectl(['delete', 'pod', p, '--ignore-not-found', '--grace-period=1', '--wait=false']);
    await s.server.kubectl(['delete', 'pods', '-l', 'docker-registry=default', '--grace-period=1', '--wait=false']);
    await s.stop(); // removes every sandbox and container, the bridge, the proxy table and the data dir with the node's image store
  }
  if (payloadDir) rmSync(payloadDir, { recursive: true, force: true });
});

const ready = (p: Pod | undefined) => p?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');

async function getPod(name: string): Promise<Pod> {
  return (await s!.client.get(Resources.pods, 'default', name)) as unknown as Pod;
}

/** `kubectl exec registry-client -- sh -c SCRIPT`; fails the test unless it exits 0. */
async function inClient(script: string, timeoutMs = 60_000): Promise<string> {
  const r = await s!.server.kubectl(['exec', 'registry-client', '--', 'sh', '-c', script], { timeoutMs });
  assert.equal(r.code, 0, `in registry-client: ${script}\nexit ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

const layerHex = (img: BuiltImage, i: number) => {
  const manifest = JSON.parse(img.files.get(`blobs/sha256/${img.manifestDigest.slice(7)}`)!.toString()) as { layers: Array<{ digest: string }> };
  return manifest.layers[i]!.digest.slice(7);
};

test('the registry example behind its Service: another pod pushes and pulls through the DNS names, the node pulls through the ClusterIP', { skip: !isRoot, timeout: 600_000 }, async () => {
  const srv = s!.server;
  const examples = join(repoRoot(), 'examples');
  const created = await kubectlOk(srv, ['create', '-f', join(examples, 'registry-pod.yaml')]);
  const registryPod = /^pod\/(docker-registry-1-\S+) created$/m.exec(created)?.[1];
  assert.ok(registryPod, `registry pod name in ${JSON.stringify(created)}`);
  assert.equal((await kubectlOk(srv, ['apply', '-f', join(examples, 'registry-service.yaml')])).trim(), 'service/docker-registry created');
  await s!.client.create(Resources.pods, 'default', {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'registry-client' },
    spec: {
      terminationGracePeriodSeconds: 1,
      containers: [{ name: 'skopeo', image: SKOPEO_IMAGE, imagePullPolicy: 'Never', command: ['sleep', '3600'], volumeMounts: [{ name: 'payload', mountPath: '/payload', readOnly: true }] }],
      volumes: [{ name: 'payload', hostPath: { path: payloadDir, type: 'Directory' } }],
    },
  });
  await waitFor(async () => ready(await getPod(registryPod)), 'the registry pod Ready', 120_000);
  await waitFor(async () => (await getPod('registry-client')).status?.phase === 'Running', 'the client pod Running', 120_000);
  const svc = await s!.client.get(Resources.services, 'default', 'docker-registry') as unknown as Service;
  const clusterIP = svc.spec!.clusterIP!;
  assert.match(clusterIP, /^10\.(9[6-9]|1[01][0-9])\./);

  // The registry's API root through the Service's name (the first answer may wait for endpoints and the proxy).
  const full = 'docker-registry.default.svc.cluster.local:5000';
  const short = 'docker-registry:5000';
  await waitFor(async () => (await srv.kubectl(['exec', 'registry-client', '--', 'busybox', 'timeout', '5', 'wget', '-qO-', `http://${short}/v2/`], { timeoutMs: 20_000 })).code === 0,
    `http://${short}/v2/ from the client pod`, 60_000, 250);

  // Push through one name, read back through the other: manifest digest, and the file in the top layer.
  const top = layerHex(payload, 1);
  for (const [tag, pushVia, pullVia] of [['v1', full, short], ['v2', short, full]] as const) {
    await inClient(`skopeo copy --quiet --preserve-digests --dest-tls-verify=false oci:/payload:v1 docker://${pushVia}/e2e/payload:${tag}`);
    const digest = (await inClient(`skopeo inspect --tls-verify=false --format '{{.Digest}}' docker://${pullVia}/e2e/payload:${tag}`)).trim();
    assert.equal(digest, payload.manifestDigest, `${tag}: the registry's digest`);
    const raw = await inClient(`skopeo inspect --tls-verify=false --raw docker://${pullVia}/e2e/payload:${tag}`);
    assert.equal(sha256(Buffer.from(raw)), payload.manifestDigest, `${tag}: the manifest bytes`);
    const dir = `/tmp/pulled-${tag}`;
    await inClient(`rm -rf ${dir} && skopeo copy --quiet --src-tls-verify=false docker://${pullVia}/e2e/payload:${tag} oci:${dir}:${tag}`);
    const index = JSON.parse(await inClient(`cat ${dir}/index.json`)) as { manifests: Array<{ digest: string }> };
    assert.deepEqual(index.manifests.map((m) => m.digest), [payload.manifestDigest]);
    assert.equal((await inClient(`sha256sum ${dir}/blobs/sha256/${top}`)).split(/\s/)[0], top, `${tag}: the pulled layer blob`);
    assert.equal(await inClient(`tar -xzOf ${dir}/blobs/sha256/${top} hello.txt`), `${marker}\n`);
  }
  assert.deepEqual((await kubectlOk(srv, ['exec', registryPod, '--', 'ls', '/registry/docker/registry/v2/repositories/e2e/payload/_manifests/tags'])).split(/\s+/).filter(Boolean), ['v1', 'v2']);

  // The node pulls the pushed image from the Service's ClusterIP (plain http: the service range is the node's own) and runs it.
  const image = `${clusterIP}:5000/e2e/payload:v1`;
  await s!.client.create(Resources.pods, 'default', {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'from-registry' },
    spec: { restartPolicy: 'Never', terminationGracePeriodSeconds: 1, containers: [{ name: 'payload', image, imagePullPolicy: 'Always' }] },
  });
  const done = await waitFor(async () => {
    const p = await getPod('from-registry');
    const waiting = p.status?.containerStatuses?.[0]?.state?.waiting?.reason;
    return p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed' || waiting === 'ErrImagePull' || waiting === 'ImagePullBackOff' ? p : undefined;
  }, `the pod of ${image} to finish`, 120_000);
  assert.equal(done.status!.phase, 'Succeeded', JSON.stringify(done.status));
  assert.equal(containerLog(s!.paths, 'default', 'from-registry', 'payload'), `${marker}\n`);
  const pulled = await new ImageStore({ dir: imageStoreDir(srv.dataDir) }).get(image);
  assert.equal(pulled?.manifestDigest, payload.manifestDigest, 'the node holds the pushed manifest');
  assert.ok(pulled!.repoDigests.includes(`${clusterIP}:5000/e2e/payload@${payload.manifestDigest}`), JSON.stringify(pulled!.repoDigests));

  // Everything goes again (the node's store goes with the server's data dir in `after`).
  await kubectlOk(srv, ['delete', 'pod', 'from-registry', 'registry-client', registryPod, '--grace-period=1'], { timeoutMs: 60_000 });
  await kubectlOk(srv, ['delete', 'service', 'docker-registry']);
  const left = await s!.client.list(Resources.pods, 'default');
  assert.deepEqual(left.items.map((p) => (p as unknown as Pod).metadata!.name), []);
});
