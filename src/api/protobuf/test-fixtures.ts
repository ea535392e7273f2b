/** Reading the captured kubectl requests in fixtures/ (for tests). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CapturedCommand, CapturedRequest } from './capture-fixtures.js';
import { fixturesDir } from './capture-fixtures.js';

export function loadCapture(version: string): Record<string, CapturedCommand> {
  return JSON.parse(readFileSync(join(fixturesDir, `kubectl-${version}.json`), 'utf8')) as Record<string, CapturedCommand>;
}

export function loadExpected(name: string): unknown {
  return JSON.parse(readFileSync(join(fixturesDir, 'expected', name), 'utf8'));
}

export function isProtobufRequest(q: CapturedRequest): boolean {
  return q.bodyEncoding === 'base64' && (q.contentType ?? '').startsWith('application/vnd.kubernetes.protobuf');
}

export function bodyBytes(q: CapturedRequest): Buffer {
  return Buffer.from(q.body ?? '', q.bodyEncoding === 'base64' ? 'base64' : 'utf8');
}

/** Every protobuf request in a capture: [command, index, request]. */
export function protobufRequests(capture: Record<string, CapturedCommand>): Array<[string, number, CapturedRequest]> {
  const out: Array<[string, number, CapturedRequest]> = [];
  for (const [name, c] of Object.entries(capture)) c.requests.forEach((q, i) => { if (isProtobufRequest(q)) out.push([name, i, q]); });
  return out;
}

/**
 * JSON with the differences that do not matter to the server taken out: null values (Go decodes
 * null and absent alike), names kubectl makes up at random (`node-debugger-node1-x5z2z`,
 * `debugger-wwz7h`) and the clock time kubectl writes into condition `lastUpdateTime`s.
 */
export function normalize(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v, (key, val: unknown) => {
    if (val === null) return undefined;
    if (key === 'lastUpdateTime' && typeof val === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(val)) return '<time>';
    if (key === 'name' && typeof val === 'string' && /^(node-)?debugger-(.*-)?[a-z0-9]{5}$/.test(val)) return 'debugger-<random>';
    return val;
  }));
}
