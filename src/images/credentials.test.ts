import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DockerKeyring, parseDockerConfig } from './credentials.js';
import { parseRegistriesYaml, endpointsFor, rewritePath, isLoopbackHost } from './registries-config.js';
import { parseChallenges } from './registry-client.js';
import { ImagePullError } from './errors.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

test('docker config: auths map, auth base64, username/password, legacy .dockercfg', () => {
  const m = parseDockerConfig(JSON.stringify({ auths: { 'a.example': { auth: b64('u:p:with:colons') }, 'b.example': { username: 'x', password: 'y' }, 'c.example': { registrytoken: 'tok' } } }));
  assert.deepEqual(m.get('a.example'), { username: 'u', password: 'p:with:colons' });
  assert.deepEqual(m.get('b.example'), { username: 'x', password: 'y' });
  assert.deepEqual(m.get('c.example'), { registryToken: 'tok' });
  assert.deepEqual(parseDockerConfig({ 'legacy.example': { auth: b64('l:m'), email: 'e@x' } }).get('legacy.example'), { username: 'l', password: 'm' });
  assert.throws(() => parseDockerConfig('{nope'), (e: unknown) => e instanceof ImagePullError && /invalid JSON/.test(e.message));
  assert.throws(() => parseDockerConfig({ auths: { h: { auth: b64('nocolon') } } }), /not base64 of "user:password"/);
});

test('keyring matches hosts like the kubelet', () => {
  const k = new DockerKeyring()
    .add({ auths: { 'https://index.docker.io/v1/': { username: 'hub', password: '1' } } })
    .add({ auths: { 'quay.io': { username: 'quay', password: '2' }, 'quay.io/org': { username: 'quay-org', password: '3' } } })
    .add({ auths: { '*.example.com': { username: 'wild', password: '4' }, 'reg.local:5000': { username: 'port', password: '5' } } })
    .add({ auths: { 'http://127.0.0.1:5000/v2/': { username: 'lo', password: '6' } } });
  const users = (image: string) => k.lookup(image).map((c) => c.username);
  assert.deepEqual(users('docker.io/library/busybox'), ['hub']);
  assert.deepEqual(users('quay.io/org/app'), ['quay-org', 'quay']);
  assert.deepEqual(users('quay.io/other/app'), ['quay']);
  assert.deepEqual(users('reg.example.com/x'), ['wild']);
  assert.deepEqual(users('a.b.example.com/x'), []); // a glob part matches one label only
  assert.deepEqual(users('reg.local:5000/x'), ['port']);
  assert.deepEqual(users('reg.local/x'), []); // ports must match
  assert.deepEqual(users('127.0.0.1:5000/x/y'), ['lo']);
  assert.deepEqual(users('ghcr.io/x'), []);
});

test('registries.yaml: mirrors, rewrites, configs, validation, endpoint order', () => {
  const cfg = parseRegistriesYaml(`
mirrors:
  docker.io:
    endpoint: ["http://127.0.0.1:5000", "127.0.0.2:6000/prefix"]
    rewrite:
      "^library/(.*)": "mirrored/$1"
  "*":
    endpoint: ["http://localhost:7000"]
configs:
  "127.0.0.1:5000":
    auth: { username: u, password: p }
    tls: { insecure_skip_verify: true }
  "localhost:7000":
    auth: { auth: ${b64('a:b')} }
`);
  const eps = endpointsFor(cfg, 'docker.io', false);
  assert.deepEqual(eps.map((e) => e.apiRoot), ['http://127.0.0.1:5000/v2', 'https://127.0.0.2:6000/prefix/v2']);
  assert.deepEqual(eps[0]!.config, { auth: { username: 'u', password: 'p' }, tls: { insecureSkipVerify: true } });
  assert.equal(rewritePath(eps[0]!, 'library/busybox'), 'mirrored/busybox');
  assert.equal(rewritePath(eps[0]!, 'user/app'), 'user/app');
  const all = endpointsFor(cfg, 'docker.io', true);
  assert.equal(all.at(-1)!.apiRoot, 'https://registry-1.docker.io/v2');
  assert.equal(all.at(-1)!.isDefault, true);
  const other = endpointsFor(cfg, 'quay.io', false);
  assert.deepEqual(other.map((e) => [e.apiRoot, e.config.auth?.username]), [['http://localhost:7000/v2', 'a']]);
  const lo = endpointsFor(parseRegistriesYaml(''), 'localhost:5000', false);
  assert.deepEqual(lo.map((e) => e.apiRoot), ['http://localhost:5000/v2']);
  const loTls = endpointsFor(parseRegistriesYaml('configs:\n  "localhost:5000":\n    tls: { insecure_skip_verify: true }\n'), 'localhost:5000', false);
  assert.deepEqual(loTls.map((e) => [e.apiRoot, e.config.tls]), [['https://localhost:5000/v2', { insecureSkipVerify: true }]]);
  assert.throws(() => endpointsFor(parseRegistriesYaml(''), 'ghcr.io', false), (e: unknown) => e instanceof ImagePullError && e.reason === 'Disabled');
  assert.throws(() => parseRegistriesYaml('mirrors:\n  x:\n    endpoint: "http://a"\n'), /mirrors.x.endpoint: must be a list/);
  assert.throws(() => parseRegistriesYaml('configs:\n  x:\n    tls: { insecure_skip_verify: "yes" }\n'), /insecure_skip_verify: must be true or false/);
  assert.throws(() => parseRegistriesYaml('mirrors:\n  x:\n    endpoint: ["ftp://a"]\n'), /unsupported scheme ftp:/);
  assert.ok(isLoopbackHost('127.0.0.1:5000') && isLoopbackHost('[::1]:5000') && isLoopbackHost('localhost') && !isLoopbackHost('10.0.0.1:5000'));
});

test('WWW-Authenticate challenges', () => {
  assert.deepEqual(parseChallenges('Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull"'), [
    { scheme: 'bearer', params: { realm: 'https://auth.example/token', service: 'registry.example', scope: 'repository:a/b:pull' } },
  ]);
  assert.deepEqual(parseChallenges('Basic realm="peapod-registry"'), [{ scheme: 'basic', params: { realm: 'peapod-registry' } }]);
  assert.deepEqual(parseChallenges(undefined), []);
});
