import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AsyncQueue, JsonObjectSplitter, decodeWsMessage, errorChannelPayload, parseResize, settledResizes, statusFor } from './remotecommand.js';
import type { TerminalSize } from '../../runtime/runtime.js';

test('error channel: v4/v5 Status JSON as the kubelet writes it; older protocols only an error text', () => {
  assert.deepEqual(statusFor({ exitCode: 0 }), { metadata: {}, status: 'Success' });
  const fail = statusFor({ exitCode: 3 }, ['sh', '-c', 'exit 3']);
  assert.equal(fail.status, 'Failure');
  assert.equal(fail.reason, 'NonZeroExitCode');
  assert.deepEqual(fail.details, { causes: [{ reason: 'ExitCode', message: '3' }] });
  assert.equal(statusFor({ error: 'boom' }).reason, 'InternalError');
  assert.equal(errorChannelPayload('v5.channel.k8s.io', { exitCode: 0 }).toString(), '{"metadata":{},"status":"Success"}');
  assert.equal(errorChannelPayload('channel.k8s.io', { exitCode: 0 }).length, 0);
  assert.match(errorChannelPayload('v2.channel.k8s.io', { exitCode: 2 }).toString(), /^command terminated with non-zero exit code/);
});

test('WebSocket messages: binary channel byte, base64 text with a channel digit', () => {
  assert.deepEqual(decodeWsMessage(Buffer.from([0, 104, 105]), false), [0, Buffer.from('hi')]);
  assert.deepEqual(decodeWsMessage(Buffer.from('0' + Buffer.from('hi').toString('base64')), true), [0, Buffer.from('hi')]);
  assert.deepEqual(decodeWsMessage(Buffer.from([255, 0]), false), [255, Buffer.from([0])]);
  assert.equal(decodeWsMessage(Buffer.alloc(0), false), undefined);
});

test('resize messages: JSON objects, one per message or concatenated (SPDY)', () => {
  assert.deepEqual(parseResize('{"Width":80,"Height":24}'), { width: 80, height: 24 });
  assert.equal(parseResize('{"Width":0,"Height":24}'), undefined);
  assert.equal(parseResize('nope'), undefined);
  const sp = new JsonObjectSplitter();
  assert.deepEqual(sp.push('{"Width":80,"Height":24}{"Width":'), ['{"Width":80,"Height":24}']);
  assert.deepEqual(sp.push('81,"Height":"}"}\n{"Width":1,"Height":2}'), ['{"Width":81,"Height":"}"}', '{"Width":1,"Height":2}']);
});

test('settledResizes passes every size through and repeats the last of a burst once it is quiet', async () => {
  const q = new AsyncQueue<TerminalSize>();
  const seen: string[] = [];
  let notify: (() => void) | undefined;
  const done = (async () => { for await (const s of settledResizes(q, 20)) { seen.push(`${s.width}x${s.height}`); notify?.(); } })();
  const waitCount = (n: number) => new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`saw ${seen.join(',')}`)), 5000);
    notify = () => { if (seen.length >= n) { clearTimeout(t); resolve(); } };
    notify();
  });
  q.push({ width: 78, height: 23 });
  q.push({ width: 77, height: 22 });
  await waitCount(3);
  assert.deepEqual(seen, ['78x23', '77x22', '77x22']);
  q.end();
  await done;
  assert.deepEqual(seen, ['78x23', '77x22', '77x22']);
});
