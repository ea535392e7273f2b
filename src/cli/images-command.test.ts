import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, humanSize } from './images-command.js';
import { buildImage, layoutTar, writeLayoutDir } from '../images/build/oci-image.js';
import { startTestRegistry, skopeoPush } from '../images/testing/test-registry.js';

function capture() {
  const o = { out: '', err: '' };
  return { o, io: { out: (s: string) => { o.out += s; }, err: (s: string) => { o.err += s; } } };
}

test('humanSize is decimal like crictl', () => {
  assert.equal(humanSize(999), '999B');
  assert.equal(humanSize(2_110_000), '2.11MB');
  assert.equal(humanSize(1_000_000_000), '1GB');
});

test('peapod images import / ls / pull / rm', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'peapod-images-cli-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const img = buildImage({
    names: ['docker.io/library/tiny:1', 'example.test/tiny:2'],
    layers: [[{ path: 'hello', type: 'file', mode: 0o644, content: Buffer.from('hi') }]],
    config: { Cmd: ['/hello'] },
  });
  const tar = join(root, 'tiny.tar');
  await writeFile(tar, layoutTar(img));
  const dataDir = join(root, 'data');

  let c = capture();
  assert.equal(await run(['import', tar, '--data-dir', dataDir], c.io), 0);
  assert.equal(c.o.out, `imported docker.io/library/tiny:1, example.test/tiny:2 (${img.configDigest.slice(0, 19)})\n`);

  c = capture();
  assert.equal(await run(['ls', `--data-dir=${dataDir}`], c.io), 0);
  const lines = c.o.out.trimEnd().split('\n');
  assert.match(lines[0]!, /^REPOSITORY\s+TAG\s+IMAGE ID\s+SIZE$/);
  assert.equal(lines.length, 3);
  assert.match(lines[1]!, new RegExp(`^docker.io/library/tiny\\s+1\\s+${img.configDigest.slice(7, 20)}\\s+\\d+B$`));
  assert.match(lines[2]!, /^example.test\/tiny\s+2\s+/);

  const reg = await startTestRegistry();
  t.after(() => reg.stop());
  await writeLayoutDir(img, join(root, 'layout'));
  await skopeoPush(join(root, 'layout'), '1', `${reg.host}/cli/tiny:1`);
  c = capture();
  assert.equal(await run(['pull', `${reg.host}/cli/tiny:1`, '--data-dir', dataDir], c.io), 0);
  assert.equal(c.o.out, `Image is up to date for ${img.configDigest}\n`);
  c = capture();
  assert.equal(await run(['pull', `${reg.host}/cli/tiny:nope`, '--data-dir', dataDir], c.io), 1);
  assert.match(c.o.err, /failed to pull and unpack image ".*\/cli\/tiny:nope": .*not found/);

  c = capture();
  assert.equal(await run(['rm', 'tiny:1', 'example.test/tiny:2', `${reg.host}/cli/tiny:1`, 'nothere', '--data-dir', dataDir], c.io), 1);
  assert.match(c.o.out, /Deleted: tiny:1\nDeleted: example.test\/tiny:2\nDeleted: /);
  assert.match(c.o.err, /no such image: nothere/);
  c = capture();
  await run(['ls', '--data-dir', dataDir], c.io);
  assert.equal(c.o.out.trimEnd().split('\n').length, 1);
  assert.deepEqual(await readdir(join(dataDir, 'agent/images/layers')), []);

  c = capture();
  assert.equal(await run(['frob', '--data-dir', dataDir], c.io), 2);
  assert.match(c.o.err, /unknown subcommand "frob"/);
});
