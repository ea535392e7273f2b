import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatRfc3339Nano, parseCriLine, parseCriLog, parseTimestamp, readCriLog, readCriLogToBuffer } from './cri-log.js';

const sample = [
  '2026-11-23T08:32:40.260966214+00:00 stdout F line1',
  '2026-11-23T08:32:40.260966214+00:00 stdout P partial',
  '2026-11-23T08:32:40.261168093+00:00 stderr F err1',
  '2026-11-23T08:32:43.261748016+00:00 stdout F  rest',
  'garbage line',
  '2026-11-23T08:32:44.000000000+00:00 stdout F ',
  '2026-11-23T09:32:45.5+01:00 stderr P tail-without-newline',
].join('\n') + '\n';

function tempLog(content: string): { dir: string; path: string } {
  const dir = mkdtempSync(join(tmpdir(), 'peapod-crilog-'));
  const path = join(dir, '0.log');
  writeFileSync(path, content);
  return { dir, path };
}

test('parseCriLine reads time, stream, tag and message; rejects malformed lines', () => {
  const l = parseCriLine(Buffer.from('2026-11-23T08:32:40.260966214+00:00 stderr P a b  c'))!;
  assert.equal(l.stream, 'stderr');
  assert.equal(l.partial, true);
  assert.equal(l.message.toString(), 'a b  c');
  assert.equal(l.ms, Date.UTC(2026, 10, 23, 8, 32, 40, 260));
  assert.equal(l.nanos, 966214);
  assert.equal(parseCriLine(Buffer.from('2026-11-23T08:32:40Z stdin F x')), undefined);
  assert.equal(parseCriLine(Buffer.from('nonsense')), undefined);
  assert.equal(parseCriLine(Buffer.from('2026-11-23T08:32:40Z stdout X x')), undefined);
  assert.equal(parseCriLine(Buffer.from('2026-11-23T08:32:40Z stdout F'))!.message.length, 0);
});

test('timestamps: offsets honoured, printed as Go RFC3339Nano in UTC', () => {
  assert.deepEqual(parseTimestamp('2026-11-23T09:32:45.5+01:00'), { ms: Date.UTC(2026, 10, 23, 8, 32, 45, 500), nanos: 0 });
  assert.equal(formatRfc3339Nano(Date.UTC(2026, 10, 23, 8, 32, 45, 500), 0), '2026-11-23T08:32:45.5Z');
  assert.equal(formatRfc3339Nano(Date.UTC(2026, 10, 23, 8, 32, 40, 260), 966214), '2026-11-23T08:32:40.260966214Z');
  assert.equal(formatRfc3339Nano(Date.UTC(2026, 10, 23, 8, 32, 40, 0), 0), '2026-11-23T08:32:40Z');
});

test('parseCriLog joins partial lines per stream and keeps a trailing partial', () => {
  const lines = parseCriLog(Buffer.from(sample));
  assert.deepEqual(lines.map((l) => [l.stream, l.content.toString()]), [
    ['stdout', 'line1\n'],
    ['stderr', 'err1\n'],
    ['stdout', 'partial rest\n'],
    ['stdout', '\n'],
    ['stderr', 'tail-without-newline'],
  ]);
});

test('readCriLog: tailLines, sinceTime, timestamps, limitBytes', async (t) => {
  const { dir, path } = tempLog(sample);
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  assert.equal((await readCriLogToBuffer(path)).toString(), 'line1\nerr1\npartial rest\n\ntail-without-newline');
  assert.equal((await readCriLogToBuffer(path, { tailLines: 2 })).toString(), '\ntail-without-newline');
  assert.equal((await readCriLogToBuffer(path, { tailLines: 0 })).toString(), '');
  assert.equal((await readCriLogToBuffer(path, { sinceMs: Date.UTC(2026, 10, 23, 8, 32, 41) })).toString(), '\ntail-without-newline');
  assert.equal((await readCriLogToBuffer(path, { timestamps: true, tailLines: 3 })).toString(),
    '2026-11-23T08:32:40.260966214Z partial rest\n2026-11-23T08:32:44Z \n2026-11-23T08:32:45.5Z tail-without-newline');
  assert.equal((await readCriLogToBuffer(path, { limitBytes: 8 })).toString(), 'line1\ner');
  assert.equal((await readCriLogToBuffer(path, { streams: ['stderr'] })).toString(), 'err1\ntail-without-newline');
  assert.equal((await readCriLogToBuffer(join(dir, 'missing.log'))).toString(), '');
});

test('readCriLog follow: new lines, a partial completed later, rotation, stop when the container stops', async (t) => {
  const { dir, path } = tempLog('2026-11-23T08:00:00.000000000+00:00 stdout F before\n');
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  let running = true;
  t.after(() => { running = false; });
  const got: string[] = [];
  let notify: (() => void) | undefined;
  const waitFor = (s: string) => new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${JSON.stringify(s)}; got ${JSON.stringify(got.join(''))}`)), 5000);
    const check = () => { if (got.join('').includes(s)) { clearTimeout(timer); notify = undefined; resolve(); } };
    notify = check;
    check();
  });
  const done = readCriLog(path, { follow: true, tailLines: 1, pollMs: 20, isRunning: async () => running }, async (b) => { got.push(b.toString()); notify?.(); });
  await waitFor('before\n');
  appendFileSync(path, '2026-11-23T08:00:01.000000000+00:00 stdout P half');
  appendFileSync(path, '-way\n2026-11-23T08:00:01.100000000+00:00 stdout F  done\n');
  await waitFor('half-way done\n');
  // rotation: the file is renamed away with one last line, and a new one appears
  appendFileSync(path, '2026-11-23T08:00:02.000000000+00:00 stdout F last-in-old\n');
  renameSync(path, `${path}.20261123-080002`);
  writeFileSync(path, '2026-11-23T08:00:03.000000000+00:00 stderr F first-in-new\n');
  await waitFor('first-in-new\n');
  running = false;
  await done;
  assert.equal(got.join(''), 'before\nhalf-way done\nlast-in-old\nfirst-in-new\n');
});

test('readCriLog follow ends when aborted', async (t) => {
  const { dir, path } = tempLog('');
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const ac = new AbortController();
  const done = readCriLog(path, { follow: true, signal: ac.signal, pollMs: 10_000 }, async () => undefined);
  setImmediate(() => ac.abort());
  await done;
});
