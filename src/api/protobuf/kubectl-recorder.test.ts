import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { captureCommands, seedObjects, writeInputs } from './capture-fixtures.js';
import { decodeProtobufBody } from './decode.js';
import { kubectlDir, startKubectlRecorder } from './kubectl-recorder.js';
import { normalize } from './test-fixtures.js';

const dir = kubectlDir();
const have = (v: string) => !!dir && existsSync(join(dir, `kubectl.${v}`));
const skip = !have('1.31') || !have('1.32') || !have('1.33') ? 'kubectl 1.31–1.33 not installed' : false;

describe('live kubectl against the recorder', { skip }, () => {
  let inputs = '';
  before(() => {
    inputs = mkdtempSync(join(tmpdir(), 'recorder-test-'));
    writeInputs(inputs);
  });
  after(() => { if (inputs) rmSync(inputs, { recursive: true, force: true }); });

  async function run(version: string, name: string) {
    const rec = await startKubectlRecorder({ objects: seedObjects(), decodeProtobuf: decodeProtobufBody });
    try {
      const r = await rec.kubectl(version, captureCommands[name].map((a) => a.replaceAll('{dir}', inputs)));
      return { ...r, writes: rec.writes() };
    } finally {
      await rec.close();
    }
  }

  test('kubectl 1.32 create namespace: one protobuf POST, answered from the decoded object', async () => {
    const r = await run('1.32', 'create-namespace');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'namespace/ns1 created');
    assert.equal(r.writes.length, 1);
    const [q] = r.writes;
    assert.equal(q.method, 'POST');
    assert.equal(q.path.split('?')[0], '/api/v1/namespaces');
    assert.equal(q.contentType, 'application/vnd.kubernetes.protobuf');
    assert.deepEqual(decodeProtobufBody(q.body), { kind: 'Namespace', apiVersion: 'v1', metadata: { name: 'ns1', creationTimestamp: null }, spec: {}, status: {} });
  });

  for (const name of ['create-configmap', 'create-secret-generic', 'create-deployment', 'create-cronjob', 'create-token', 'debug-node']) {
    test(`${name}: kubectl 1.32 and 1.33 protobuf decodes to what kubectl 1.31 sends as JSON`, async () => {
      const json = await run('1.31', name);
      assert.equal(json.code, 0, json.stderr);
      const jq = json.writes.at(-1)!;
      assert.equal(jq.contentType, 'application/json');
      for (const v of ['1.32', '1.33']) {
        const pb = await run(v, name);
        assert.equal(pb.code, 0, `${v}: ${pb.stderr}`);
        const q = pb.writes.at(-1)!;
        assert.equal(q.contentType, 'application/vnd.kubernetes.protobuf', v);
        assert.equal(q.path.split('?')[0], jq.path.split('?')[0]);
        assert.deepEqual(normalize(decodeProtobufBody(q.body)), normalize(JSON.parse(jq.body.toString('utf8'))), v);
      }
    });
  }

  test('label, scale and drain send JSON patches and eviction as JSON, also from kubectl 1.33', async () => {
    for (const [name, type] of [['label', 'application/merge-patch+json'], ['scale', 'application/merge-patch+json'], ['cordon', 'application/strategic-merge-patch+json']]) {
      const r = await run('1.33', name);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(r.writes.map((q) => q.contentType), [type], name);
    }
    const d = await run('1.33', 'drain');
    assert.equal(d.code, 0, d.stderr);
    const ev = d.writes.find((q) => q.path.includes('/eviction'));
    assert.ok(ev, 'drain evicts');
    assert.equal(ev.contentType, 'application/json');
    assert.equal(JSON.parse(ev.body.toString('utf8')).kind, 'Eviction');
  });
});
