import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import protobuf from 'protobufjs';
import { ApiError } from '../errors.js';
import { decodeProtobufBody, decodeProtobufMessage } from './decode.js';
import { encodeProtobufObject } from './encode.js';
import { sampleObjects } from './sample-objects.js';
import { bodyBytes, loadCapture, loadExpected, normalize, protobufRequests } from './test-fixtures.js';

const magic = Buffer.from('k8s\0', 'binary');

/** Hand-built wire bytes, independent of our encoder. */
function envelope(apiVersion: string, kind: string, raw: Uint8Array, contentEncoding = ''): Buffer {
  const w = protobuf.Writer.create();
  w.uint32(0x0a).fork().uint32(0x0a).string(apiVersion).uint32(0x12).string(kind).ldelim();
  w.uint32(0x12).bytes(raw);
  w.uint32(0x1a).string(contentEncoding);
  w.uint32(0x22).string('');
  return Buffer.concat([magic, w.finish()]);
}

function apiError(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ApiError, `expected an ApiError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected an error');
}

describe('golden: kubectl protobuf bodies decode to the JSON kubectl 1.31 sends for the same command', () => {
  const json131 = loadCapture('1.31');
  for (const version of ['1.32', '1.33']) {
    const capture = loadCapture(version);
    const requests = protobufRequests(capture);
    test(`kubectl ${version}: the capture has protobuf bodies`, () => {
      assert.ok(requests.length >= 30, `only ${requests.length} protobuf requests captured`);
    });
    for (const [name, i, q] of requests) {
      test(`kubectl ${version} ${name}`, () => {
        const decoded = decodeProtobufBody(bodyBytes(q));
        let expected: unknown;
        if (version === '1.33' && name === 'autoscale') {
          // 1.33 creates autoscaling/v2 where 1.31 created v1: compared with the v2 form, checked by hand.
          expected = loadExpected('autoscale-1.33.json');
        } else {
          const jq = json131[name]?.requests[i];
          assert.ok(jq?.body, `kubectl 1.31 sent no body for ${name}`);
          assert.equal(jq.method, q.method);
          assert.equal(jq.path.split('?')[0], q.path.split('?')[0]);
          expected = JSON.parse(jq.body);
        }
        assert.deepEqual(normalize(decoded), normalize(expected));
      });
    }
  }
});

describe('JSON rules', () => {
  test('Secret: bytes are base64, an empty value stays, apiVersion/kind come from the envelope', () => {
    const cm = encodeProtobufObject({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { a: Buffer.from([0, 255]).toString('base64'), empty: '' }, type: 'Opaque' });
    const d = decodeProtobufBody(cm);
    assert.equal(d.apiVersion, 'v1');
    assert.equal(d.kind, 'Secret');
    assert.deepEqual(d.data, { a: 'AP8=', empty: '' });
    assert.equal(d.type, 'Opaque');
    assert.equal('immutable' in d, false, 'nil pointer left out');
  });

  test('pointer zero values are kept, non-pointer omitempty zero values are left out, required zeros stay', () => {
    const d = decodeProtobufBody(encodeProtobufObject({
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' },
      spec: {
        replicas: 0, paused: false, selector: { matchLabels: { a: 'b' } },
        template: { metadata: {}, spec: { automountServiceAccountToken: false, hostNetwork: false, containers: [{ name: '', image: 'x', ports: [{ containerPort: 0 }], stdin: false }] } },
      },
    }));
    const spec = d.spec as Record<string, any>;
    assert.equal(spec.replicas, 0);
    assert.equal('paused' in spec, false);
    assert.equal(spec.template.spec.automountServiceAccountToken, false);
    assert.equal('hostNetwork' in spec.template.spec, false);
    assert.equal(spec.template.spec.containers[0].name, '', 'Container.name has no omitempty');
    assert.equal(spec.template.spec.containers[0].ports[0].containerPort, 0);
    assert.equal('stdin' in spec.template.spec.containers[0], false);
    assert.deepEqual(spec.strategy, {}, 'non-pointer structs are always written');
    assert.deepEqual(d.status, {});
  });

  test('embedded structs are inlined (Volume source, probe handler, ephemeral container)', () => {
    const pod = {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' },
      spec: {
        volumes: [{ name: 'v', configMap: { name: 'cm', defaultMode: 420, optional: false } }],
        containers: [{ name: 'c', image: 'i', livenessProbe: { httpGet: { path: '/', port: 'http', scheme: 'HTTP' }, periodSeconds: 3 } }],
        ephemeralContainers: [{ name: 'dbg', image: 'busybox', targetContainerName: 'c' }],
      },
    };
    const spec = decodeProtobufBody(encodeProtobufObject(pod)).spec as Record<string, any>;
    assert.deepEqual(spec.volumes, [{ name: 'v', configMap: { name: 'cm', defaultMode: 420, optional: false } }]);
    assert.deepEqual(spec.containers[0].livenessProbe, { httpGet: { path: '/', port: 'http', scheme: 'HTTP' }, periodSeconds: 3 });
    assert.deepEqual(spec.ephemeralContainers[0], { name: 'dbg', image: 'busybox', resources: {}, targetContainerName: 'c' });
  });

  test('IntOrString: type 0 → number, type 1 → string', () => {
    // ServicePort {port=3, targetPort=4 IntOrString{type,intVal,strVal}}, hand-encoded.
    const port = (io: Uint8Array) => {
      const w = protobuf.Writer.create();
      w.uint32(0x18).int32(80);
      w.uint32(0x22).bytes(io);
      return w.finish();
    };
    const ios = (type: number, i: number, s: string) => protobuf.Writer.create().uint32(0x08).int64(type).uint32(0x10).int32(i).uint32(0x1a).string(s).finish();
    assert.deepEqual(decodeProtobufMessage('k8s.io.api.core.v1.ServicePort', Buffer.from(port(ios(0, 8080, '')))), { port: 80, targetPort: 8080 });
    assert.deepEqual(decodeProtobufMessage('k8s.io.api.core.v1.ServicePort', Buffer.from(port(ios(1, 0, 'http')))), { port: 80, targetPort: 'http' });
  });

  test('Time, MicroTime, Duration, Quantity', () => {
    const time = (s: number, n: number) => protobuf.Writer.create().uint32(0x08).int64(s).uint32(0x10).int32(n).finish();
    assert.equal(decodeProtobufMessage('k8s.io.apimachinery.pkg.apis.meta.v1.Time', Buffer.from(time(1700000000, 123456789))), '2023-11-14T22:13:20Z');
    assert.equal(decodeProtobufMessage('k8s.io.apimachinery.pkg.apis.meta.v1.MicroTime', Buffer.from(time(1700000000, 123456789))), '2023-11-14T22:13:20.123456Z');
    assert.equal(decodeProtobufMessage('k8s.io.apimachinery.pkg.apis.meta.v1.Time', Buffer.alloc(0)), null);
    const dur = (ns: number) => Buffer.from(protobuf.Writer.create().uint32(0x08).int64(ns).finish());
    const D = 'k8s.io.apimachinery.pkg.apis.meta.v1.Duration';
    assert.equal(decodeProtobufMessage(D, dur(3600e9)), '1h0m0s');
    assert.equal(decodeProtobufMessage(D, dur(90e9)), '1m30s');
    assert.equal(decodeProtobufMessage(D, dur(1.5e9)), '1.5s');
    assert.equal(decodeProtobufMessage(D, dur(2e6)), '2ms');
    assert.equal(decodeProtobufMessage(D, dur(1500)), '1.5µs');
    assert.equal(decodeProtobufMessage(D, dur(-5)), '-5ns');
    assert.equal(decodeProtobufMessage(D, dur(0)), '0s');
    const q = Buffer.from(protobuf.Writer.create().uint32(0x0a).string('500m').finish());
    assert.equal(decodeProtobufMessage('k8s.io.apimachinery.pkg.api.resource.Quantity', q), '500m');
  });

  test('timestamps in objects: Time in metadata, MicroTime in events.k8s.io Events, negative int64', () => {
    const ev = decodeProtobufBody(encodeProtobufObject({
      apiVersion: 'events.k8s.io/v1', kind: 'Event',
      metadata: { name: 'e', namespace: 'default', creationTimestamp: '2024-02-29T23:59:59Z', deletionGracePeriodSeconds: -1 },
      eventTime: '2024-03-01T00:00:00.000042Z', reason: 'R', action: 'A', type: 'Normal',
      regarding: { kind: 'Pod', name: 'p' }, deprecatedCount: 0,
    }));
    assert.equal(ev.metadata.creationTimestamp, '2024-02-29T23:59:59Z');
    assert.equal(ev.metadata.deletionGracePeriodSeconds, -1);
    assert.equal(ev.eventTime, '2024-03-01T00:00:00.000042Z');
    assert.equal('deprecatedCount' in ev, false);
  });

  test('RawExtension and FieldsV1 hold JSON; a named slice (ExtraValue) is an array', () => {
    const cr = decodeProtobufBody(encodeProtobufObject({
      apiVersion: 'apps/v1', kind: 'ControllerRevision',
      metadata: { name: 'r', managedFields: [{ manager: 'kubectl', operation: 'Update', apiVersion: 'apps/v1', time: '2024-01-01T00:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { '.': {} } } }] },
      data: { spec: { template: { x: [1, 'two', null] } } }, revision: 3,
    }));
    assert.deepEqual(cr.data, { spec: { template: { x: [1, 'two', null] } } });
    assert.deepEqual(cr.metadata.managedFields?.[0].fieldsV1, { 'f:spec': { '.': {} } });
    assert.equal(cr.revision, 3);
    const ssr = decodeProtobufBody(encodeProtobufObject({
      apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview', metadata: {},
      status: { userInfo: { username: 'u', groups: ['g'], extra: { scopes: ['a', 'b'] } } },
    }));
    assert.deepEqual((ssr.status as any).userInfo.extra, { scopes: ['a', 'b'] });
  });

  test('a RawExtension holding a nested protobuf object is decoded too', () => {
    const inner = encodeProtobufObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, data: { k: 'v' } });
    const raw = protobuf.Writer.create().uint32(0x0a).bytes(inner).finish(); // RawExtension{raw}
    const cr = protobuf.Writer.create().uint32(0x0a).bytes(protobuf.Writer.create().uint32(0x0a).string('r').finish()).uint32(0x12).bytes(raw).uint32(0x18).int64(1).finish();
    const d = decodeProtobufBody(envelope('apps/v1', 'ControllerRevision', cr));
    assert.deepEqual(d.data, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', creationTimestamp: null }, data: { k: 'v' } });
  });

  test('unknown fields (from newer kubectl versions) are skipped', () => {
    const w = protobuf.Writer.create();
    w.uint32(0x0a).bytes(protobuf.Writer.create().uint32(0x0a).string('n').finish());
    w.uint32((999 << 3) | 2).string('future'); // unknown length-delimited
    w.uint32((998 << 3) | 0).uint64(12345); // unknown varint
    w.uint32((997 << 3) | 5).fixed32(7); // unknown fixed32
    w.uint32((996 << 3) | 1).fixed64(7); // unknown fixed64
    const d = decodeProtobufBody(envelope('v1', 'Namespace', w.finish()));
    assert.deepEqual(d, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'n' } });
  });

  test('packed repeated numbers are accepted', () => {
    // PodSecurityContext.supplementalGroups: repeated int64 = 4
    const w = protobuf.Writer.create();
    w.uint32(0x22).fork().int64(1).int64(2).int64(300).ldelim();
    assert.deepEqual(decodeProtobufMessage('k8s.io.api.core.v1.PodSecurityContext', Buffer.from(w.finish())), { supplementalGroups: [1, 2, 300] });
  });

  test('DeleteOptions decodes in any group version', () => {
    const body = protobuf.Writer.create().uint32(0x08).int64(0).uint32(0x22).string('Foreground').finish();
    for (const gv of ['v1', 'apps/v1', 'meta.k8s.io/v1']) {
      assert.deepEqual(decodeProtobufBody(envelope(gv, 'DeleteOptions', body)), { apiVersion: gv, kind: 'DeleteOptions', metadata: {}, gracePeriodSeconds: 0, propagationPolicy: 'Foreground' });
    }
  });
});

describe('errors', () => {
  test('a kind the schema does not have is a 415 naming the kind', () => {
    const e = apiError(() => decodeProtobufBody(envelope('example.com/v1', 'Widget', Buffer.alloc(0))));
    assert.equal(e.code, 415);
    assert.match(e.message, /Widget/);
    const e2 = apiError(() => decodeProtobufBody(envelope('v1', 'PodSpec', Buffer.alloc(0))));
    assert.equal(e2.code, 415, 'nested types are not kinds');
  });

  test('no k8s\\0 prefix, truncation, bad wire types and a missing kind are 400s with a clear message', () => {
    const good = encodeProtobufObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, data: { a: 'b' } });
    const cases: Array<[string, Buffer, RegExp]> = [
      ['empty', Buffer.alloc(0), /prefix/],
      ['json', Buffer.from('{"kind":"Pod"}'), /prefix/],
      ['truncated', good.subarray(0, good.length - 7), /past the end|truncated/],
      ['no kind', envelope('v1', '', Buffer.alloc(0)), /no kind/],
      ['wrong wire type', envelope('v1', 'ConfigMap', Buffer.from([0x08, 0x01])), /wire type/],
      ['overlong varint', envelope('v1', 'ConfigMap', Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])), /varint/],
      ['group wire type', envelope('v1', 'ConfigMap', Buffer.from([0x0b])), /wire type/],
      ['field 0', envelope('v1', 'ConfigMap', Buffer.from([0x00, 0x00])), /field number 0/],
      ['bad RawExtension', envelope('apps/v1', 'ControllerRevision', Buffer.from([0x12, 0x03, 0x0a, 0x01, 0x7b])), /JSON/],
    ];
    for (const [what, buf, re] of cases) {
      const e = apiError(() => decodeProtobufBody(buf));
      assert.equal(e.code, 400, what);
      assert.equal(e.reason, 'BadRequest', what);
      assert.match(e.message, re, `${what}: ${e.message}`);
    }
  });

  test('a 400 says where in the object the bytes went wrong', () => {
    const W = () => protobuf.Writer.create();
    const badContainer = W().uint32(0x08).int32(7).finish(); // Container.name (string) as a varint
    const goodContainer = W().uint32(0x0a).string('ok').finish();
    const podSpec = W().uint32(0x12).bytes(goodContainer).uint32(0x12).bytes(badContainer).finish();
    const template = W().uint32(0x12).bytes(podSpec).finish();
    const spec = W().uint32(0x1a).bytes(template).finish();
    const e = apiError(() => decodeProtobufBody(envelope('apps/v1', 'Deployment', W().uint32(0x12).bytes(spec).finish())));
    assert.equal(e.code, 400);
    assert.match(e.message, /Container\.name: wire type 0 where string needs 2 \(at spec\.template\.spec\.containers\[1\]\.name\)$/);
  });

  test('deep nesting is refused, not a stack overflow', () => {
    // Objects can nest inside RawExtensions (ControllerRevision.data holding another envelope).
    let inner: Buffer = encodeProtobufObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } });
    for (let i = 0; i < 8; i++) {
      const raw = protobuf.Writer.create().uint32(0x0a).bytes(inner).finish();
      inner = envelope('apps/v1', 'ControllerRevision', protobuf.Writer.create().uint32(0x12).bytes(raw).finish());
    }
    const e = apiError(() => decodeProtobufBody(inner));
    assert.equal(e.code, 400);
    assert.match(e.message, /nested/);
  });

  test('contentEncoding other than none is a 415', () => {
    const e = apiError(() => decodeProtobufBody(envelope('v1', 'ConfigMap', Buffer.alloc(0), 'gzip')));
    assert.equal(e.code, 415);
  });
});

describe('fuzz: garbage never crashes or hangs the decoder', () => {
  /** xorshift32: a fixed seed makes failures reproducible. */
  function rng(seed: number): () => number {
    let x = seed >>> 0 || 1;
    return () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x / 4294967296; };
  }
  function check(buf: Buffer): void {
    try {
      const o = decodeProtobufBody(buf);
      assert.equal(typeof o.kind, 'string');
      JSON.stringify(o);
    } catch (e) {
      if (!(e instanceof ApiError) || (e.code !== 400 && e.code !== 415)) {
        throw new Error(`input ${buf.toString('base64')} threw ${e instanceof Error ? e.stack : String(e)}`);
      }
    }
  }
  const seeds = [
    ...protobufRequests(loadCapture('1.32')).map(([, , q]) => bodyBytes(q)),
    ...sampleObjects.map((o) => encodeProtobufObject(o)),
  ];

  test('random buffers with and without the prefix', { timeout: 60_000 }, () => {
    const r = rng(0x5eed);
    for (let i = 0; i < 5000; i++) {
      const n = Math.floor(r() * 200);
      const b = Buffer.alloc(n);
      for (let j = 0; j < n; j++) b[j] = Math.floor(r() * 256);
      check(b);
      check(Buffer.concat([magic, b]));
    }
  });

  test('mutated kubectl bodies: flipped bytes, cut, spliced', { timeout: 60_000 }, () => {
    const r = rng(0xbeef);
    for (let i = 0; i < 8000; i++) {
      const src = seeds[i % seeds.length];
      const b = Buffer.from(src);
      const kind = i % 3;
      if (kind === 0) {
        const flips = 1 + Math.floor(r() * 4);
        for (let k = 0; k < flips; k++) b[4 + Math.floor(r() * (b.length - 4))] = Math.floor(r() * 256);
        check(b);
      } else if (kind === 1) {
        check(b.subarray(0, 4 + Math.floor(r() * (b.length - 4))));
      } else {
        const other = seeds[Math.floor(r() * seeds.length)];
        const at = 4 + Math.floor(r() * (b.length - 4));
        check(Buffer.concat([b.subarray(0, at), other.subarray(4 + Math.floor(r() * (other.length - 4)))]));
      }
    }
  });
});
