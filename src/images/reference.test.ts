import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeReference, parseReference, familiarName } from './reference.js';
import { InvalidImageNameError } from './errors.js';

const D = 'sha256:' + 'ab'.repeat(32);

test('normalizes names the way containerd does', () => {
  const cases: Array<[string, string]> = [
    ['busybox', 'docker.io/library/busybox:latest'],
    ['busybox:1.36', 'docker.io/library/busybox:1.36'],
    ['library/busybox', 'docker.io/library/busybox:latest'],
    ['user/app:v1', 'docker.io/user/app:v1'],
    ['docker.io/busybox', 'docker.io/library/busybox:latest'],
    ['index.docker.io/busybox', 'docker.io/library/busybox:latest'],
    ['localhost/a', 'localhost/a:latest'],
    ['localhost:5000/a', 'localhost:5000/a:latest'],
    ['127.0.0.1:5000/a/b:c', '127.0.0.1:5000/a/b:c'],
    [`myreg:5000/x/y@${D}`, `myreg:5000/x/y@${D}`],
    [`busybox@${D}`, `docker.io/library/busybox@${D}`],
    [`busybox:1.36@${D}`, `docker.io/library/busybox:1.36@${D}`],
    ['quay.io/a/b-c__d.e:1.0-rc_1', 'quay.io/a/b-c__d.e:1.0-rc_1'],
    ['Registry.Example/a', 'Registry.Example/a:latest'],
    ['[::1]:5000/a', '[::1]:5000/a:latest'],
  ];
  for (const [input, want] of cases) assert.equal(normalizeReference(input), want, input);
});

test('parts of a reference', () => {
  const r = parseReference('myreg:5000/x/y:t');
  assert.deepEqual(r, { domain: 'myreg:5000', path: 'x/y', tag: 't' });
  assert.equal(familiarName(parseReference('busybox')), 'busybox');
  assert.equal(familiarName(parseReference('user/app')), 'user/app');
  assert.equal(familiarName(parseReference('localhost:5000/a')), 'localhost:5000/a');
});

test('invalid references give clear errors', () => {
  const cases: Array<[string, RegExp]> = [
    ['', /empty/],
    ['Busybox', /must be lowercase/],
    ['busybox:', /invalid tag ""/],
    ['busybox:-x', /invalid tag/],
    ['busybox@sha256:abc', /invalid/],
    ['busybox@sha256:' + 'AB'.repeat(32), /64 lower-case hex/],
    ['a//b', /invalid repository path component ""/],
    ['a/-b', /invalid repository path component "-b"/],
    ['bad host:5000/a', /whitespace/],
    ['x/' + 'a'.repeat(260), /not be more than 255/],
  ];
  for (const [input, re] of cases) {
    assert.throws(() => parseReference(input), (e: unknown) => {
      assert.ok(e instanceof InvalidImageNameError, `${input}: ${String(e)}`);
      assert.match(e.message, re, input);
      assert.ok(e.message.startsWith(`couldn't parse image name "${input}"`));
      return true;
    });
  }
});
