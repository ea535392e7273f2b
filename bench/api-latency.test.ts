import { test } from 'node:test';
import assert from 'node:assert/strict';
import { latencyReport, parseMetrics, quantile } from './api-latency.js';

const exposition = (getCounts: number[], createCounts: number[], rss: number) => [
  '# HELP apiserver_request_duration_seconds Response latency',
  '# TYPE apiserver_request_duration_seconds histogram',
  ...['0.1', '1', '+Inf'].map((le, i) => `apiserver_request_duration_seconds_bucket{le="${le}",verb="get",group="",resource="pods",subresource=""} ${getCounts[i]}`),
  ...['0.1', '1', '+Inf'].map((le, i) => `apiserver_request_duration_seconds_bucket{le="${le}",verb="create",group="",resource="pods",subresource=""} ${createCounts[i]}`),
  'apiserver_request_duration_seconds_sum{verb="get",group="",resource="pods",subresource=""} 1',
  `process_resident_memory_bytes ${rss}`,
  `process_cpu_seconds_total ${rss / 2 ** 20 / 10}`,
].join('\n');

test('quantile interpolates inside the bucket and stops at the highest finite bound', () => {
  const h = new Map([[0.1, 50], [1, 100], [Infinity, 100]]);
  assert.equal(quantile(0.5, h), 0.1);
  assert.ok(Math.abs(quantile(0.99, h)! - (0.1 + 0.9 * (49 / 50))) < 1e-9);
  assert.equal(quantile(0.99, new Map([[0.1, 0], [1, 0], [Infinity, 10]])), 1);
  assert.equal(quantile(0.99, new Map([[0.1, 0], [Infinity, 0]])), undefined);
});

test('latencyReport takes the delta between two scrapes, per verb and overall', () => {
  const before = parseMetrics(exposition([10, 10, 10], [0, 0, 0], 100 * 2 ** 20));
  const after = parseMetrics(exposition([110, 110, 110], [0, 100, 100], 200 * 2 ** 20));
  assert.equal(after.rssBytes, 200 * 2 ** 20);
  assert.equal(after.cpuSeconds, 20);
  const r = latencyReport(before, after);
  assert.equal(r.requests, 200);
  assert.deepEqual(Object.keys(r.byVerb), ['create', 'get']);
  assert.equal(r.byVerb.get!.requests, 100);
  assert.ok(r.byVerb.get!.p99! <= 0.1);
  assert.ok(r.byVerb.create!.p99! > 0.9 && r.byVerb.create!.p99! <= 1);
  // half the requests were slow: the overall p99 is in the slow bucket
  assert.ok(r.p99! > 0.9);
});
