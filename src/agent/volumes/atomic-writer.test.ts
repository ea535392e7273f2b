import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readlinkSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeAtomic } from './atomic-writer.js';

test('atomic writer: ..data switch, symlinks per top-level name, modes, old version removed, no-op when current', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'peapod-aw-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const v1 = new Map([['a', { data: Buffer.from('1'), mode: 0o644 }], ['sub/b', { data: Buffer.from('2'), mode: 0o400 }]]);
  assert.equal(writeAtomic(dir, v1), true);
  assert.equal(readFileSync(join(dir, 'a'), 'utf8'), '1');
  assert.equal(readFileSync(join(dir, 'sub/b'), 'utf8'), '2');
  assert.equal(readlinkSync(join(dir, 'a')), '..data/a');
  assert.equal(statSync(join(dir, 'sub/b')).mode & 0o777, 0o400);
  const first = readlinkSync(join(dir, '..data'));
  assert.equal(writeAtomic(dir, v1), false, 'unchanged content is not rewritten');
  const v2 = new Map([['a', { data: Buffer.from('changed'), mode: 0o644 }]]);
  assert.equal(writeAtomic(dir, v2), true);
  assert.equal(readFileSync(join(dir, 'a'), 'utf8'), 'changed');
  assert.notEqual(readlinkSync(join(dir, '..data')), first);
  assert.deepEqual(readdirSync(dir).filter((e) => !e.startsWith('..')), ['a'], 'sub is gone');
  assert.equal(readdirSync(dir).filter((e) => e.startsWith('..2')).length, 1, 'only the current version dir remains');
});
