/**
 * The REST core driven by the real kubectl (1.27, the default, and 1.33) against a real
 * `peapod server`: output compared with what Kubernetes prints.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kubectlBinary, startServer, type TestServer } from './harness.js';

let server: TestServer;
before(async () => { server = await startServer(); });
after(async () => { await server?.stop(); });

const versions = ['1.27', undefined, '1.33'].filter((v) => kubectlBinary(v) !== undefined);

async function k(args: string[], opts: { version?: string; env?: Record<string, string>; input?: string } = {}): Promise<string> {
  const r = await server.kubectl(args, opts);
  assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed (${r.code}):\n${r.stderr}`);
  return r.stdout;
}

/** Columns of a `kubectl get` table split on runs of 2+ spaces. */
function rows(out: string): string[][] {
  return out.trim().split('\n').map((l) => l.trim().split(/\s{2,}/));
}

for (const version of versions) {
  const v = version ?? 'default';
  const ns = `e2e-${v.replace('.', '-')}`;
  describe(`kubectl ${v}`, () => {
    test('namespaces, create, get (-o wide, name, yaml, json, jsonpath, custom-columns), label selectors', async () => {
      assert.equal((await k(['create', 'namespace', ns], { version })).trim(), `namespace/${ns} created`);
      const nsOut = rows(await k(['get', 'ns', ns], { version }));
      assert.deepEqual(nsOut[0], ['NAME', 'STATUS', 'AGE']);
      assert.equal(nsOut[1][1], 'Active');
      assert.equal((await k(['-n', ns, 'create', 'deployment', 'web', '--image=nginx:1.25', '--replicas=2'], { version })).trim(), 'deployment.apps/web created');
      const wide = rows(await k(['-n', ns, 'get', 'deploy', '-o', 'wide'], { version }));
      assert.deepEqual(wide[0], ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE', 'CONTAINERS', 'IMAGES', 'SELECTOR']);
      // (READY, UP-TO-DATE and AVAILABLE move as the deployment controller works)
      assert.deepEqual([wide[1][0], wide[1][5], wide[1][6], wide[1][7]], ['web', 'nginx', 'nginx:1.25', 'app=web']);
      assert.match(wide[1][1], /^\d\/2$/);
      assert.match(`${wide[1][2]} ${wide[1][3]}`, /^\d \d$/);
      assert.match(wide[1][4], /^\d+s$/);
      assert.equal((await k(['-n', ns, 'run', 'p1', '--image=busybox', '--labels=tier=a'], { version })).trim(), 'pod/p1 created');
      assert.equal((await k(['-n', ns, 'run', 'p2', '--image=busybox', '--labels=tier=b'], { version })).trim(), 'pod/p2 created');
      const pods = rows(await k(['-n', ns, 'get', 'pods'], { version }));
      assert.deepEqual(pods[0], ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
      assert.deepEqual(pods[1].slice(0, 4), ['p1', '0/1', 'Pending', '0']);
      const podsWide = rows(await k(['-n', ns, 'get', 'pods', '-o', 'wide', '-l', 'tier=b'], { version }));
      assert.deepEqual(podsWide[0], ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES']);
      assert.equal(podsWide.length, 2);
      assert.deepEqual([podsWide[1][0], ...podsWide[1].slice(5)], ['p2', '<none>', '<none>', '<none>', '<none>']);
      assert.equal((await k(['-n', ns, 'get', 'pods', '-o', 'name', '--field-selector', 'metadata.name=p1'], { version })).trim(), 'pod/p1');
      assert.equal((await k(['-n', ns, 'get', 'pods', '-l', 'tier in (a,b),tier!=a', '-o', 'name'], { version })).trim(), 'pod/p2');
      const y = await k(['-n', ns, 'get', 'pod', 'p1', '-o', 'yaml'], { version });
      assert.match(y, /^apiVersion: v1\nkind: Pod\nmetadata:\n/);
      assert.match(y, /\n {2}phase: Pending\n/);
      // (controllers may add pods of their own, e.g. for the deployment: select ours by label)
      const j = JSON.parse(await k(['-n', ns, 'get', 'pods', '-l', 'tier', '-o', 'json'], { version }));
      assert.equal(j.kind, 'List');
      assert.equal(j.items.length, 2);
      assert.equal((await k(['-n', ns, 'get', 'pod', 'p1', '-o', 'jsonpath={.metadata.labels.tier} {.status.phase}'], { version })), 'a Pending');
      const cc = rows(await k(['-n', ns, 'get', 'pods', '-l', 'tier', '-o', 'custom-columns=N:.metadata.name,T:.metadata.labels.tier'], { version }));
      assert.deepEqual(cc, [['N', 'T'], ['p1', 'a'], ['p2', 'b']]);
      const none = await server.kubectl(['-n', ns, 'get', 'pods', '--field-selector', 'spec.nope=x'], { version });
      assert.notEqual(none.code, 0);
      assert.match(none.stderr, /field label not supported: spec.nope/);
      const nf = await server.kubectl(['-n', ns, 'get', 'pod', 'ghost'], { version });
      assert.equal(nf.stderr.trim(), 'Error from server (NotFound): pods "ghost" not found');
    });

    test('apply (create, configure, unchanged, server dry run), edit, patch, label, annotate, replace, scale', async () => {
      const dir = server.dataDir;
      const file = join(dir, `cm-${v}.yaml`);
      writeFileSync(file, `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: conf\n  namespace: ${ns}\ndata:\n  a: "1"\n`);
      assert.equal((await k(['apply', '-f', file], { version })).trim(), 'configmap/conf created');
      assert.equal((await k(['apply', '-f', file], { version })).trim(), 'configmap/conf unchanged');
      writeFileSync(file, `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: conf\n  namespace: ${ns}\ndata:\n  a: "2"\n  b: "3"\n`);
      assert.equal((await k(['apply', '-f', file, '--dry-run=server'], { version })).trim(), 'configmap/conf configured (server dry run)');
      assert.equal(await k(['-n', ns, 'get', 'cm', 'conf', '-o', 'jsonpath={.data.a}'], { version }), '1');
      assert.equal((await k(['apply', '-f', file], { version })).trim(), 'configmap/conf configured');
      assert.equal(await k(['-n', ns, 'get', 'cm', 'conf', '-o', 'jsonpath={.data.a}{.data.b}'], { version }), '23');
      const editor = join(dir, 'editor.sh');
      writeFileSync(editor, `#!/bin/sh\nsed -i 's/^  b: "3"$/  b: "4"/' "$1"\n`, { mode: 0o755 });
      assert.equal((await k(['-n', ns, 'edit', 'cm', 'conf'], { version, env: { KUBE_EDITOR: editor } })).trim(), 'configmap/conf edited');
      assert.equal(await k(['-n', ns, 'get', 'cm', 'conf', '-o', 'jsonpath={.data.b}'], { version }), '4');
      assert.equal((await k(['-n', ns, 'patch', 'cm', 'conf', '--type=json', '-p', '[{"op":"replace","path":"/data/b","value":"5"}]'], { version })).trim(), 'configmap/conf patched');
      assert.equal((await k(['-n', ns, 'patch', 'cm', 'conf', '--type=merge', '-p', '{"data":{"c":"6"}}'], { version })).trim(), 'configmap/conf patched');
      assert.equal((await k(['-n', ns, 'patch', 'deploy', 'web', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"nginx","image":"nginx:1.26"}]}}}}'], { version })).trim(), 'deployment.apps/web patched');
      assert.equal(await k(['-n', ns, 'get', 'deploy', 'web', '-o', 'jsonpath={.spec.template.spec.containers[0].image} {.metadata.generation}'], { version }), 'nginx:1.26 2');
      assert.equal((await k(['-n', ns, 'label', 'cm', 'conf', 'x=y'], { version })).trim(), 'configmap/conf labeled');
      // kubectl 1.27 itself prints `annotate` (its own message, not the server's)
      assert.match((await k(['-n', ns, 'annotate', 'cm', 'conf', 'note=hi'], { version })).trim(), /^configmap\/conf annotated?$/);
      const shown = rows(await k(['-n', ns, 'get', 'cm', 'conf', '--show-labels'], { version }));
      assert.deepEqual(shown[0], ['NAME', 'DATA', 'AGE', 'LABELS']);
      assert.deepEqual([shown[1][0], shown[1][1], shown[1][3]], ['conf', '3', 'x=y']);
      const cur = await k(['-n', ns, 'get', 'cm', 'conf', '-o', 'yaml'], { version });
      assert.equal((await k(['replace', '-f', '-'], { version, input: cur.replace(/\n {2}c: "6"\n/, '\n  c: "7"\n') })).trim(), 'configmap/conf replaced');
      assert.equal(await k(['-n', ns, 'get', 'cm', 'conf', '-o', 'jsonpath={.data.c}'], { version }), '7');
      assert.equal((await k(['-n', ns, 'scale', 'deploy', 'web', '--replicas=4'], { version })).trim(), 'deployment.apps/web scaled');
      assert.equal(await k(['-n', ns, 'get', 'deploy', 'web', '-o', 'jsonpath={.spec.replicas}'], { version }), '4');
      const ssa = join(dir, `ssa-${v}.yaml`);
      writeFileSync(ssa, `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\n  namespace: ${ns}\ndata:\n  a: "1"\n`);
      assert.equal((await k(['apply', '--server-side', '-f', ssa], { version })).trim(), 'configmap/ssa serverside-applied');
      writeFileSync(ssa, `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\n  namespace: ${ns}\ndata:\n  a: "2"\n`);
      const clash = await server.kubectl(['apply', '--server-side', '--field-manager=other', '-f', ssa], { version });
      assert.notEqual(clash.code, 0);
      assert.match(clash.stderr, /conflict/i);
      assert.equal((await k(['apply', '--server-side', '--force-conflicts', '--field-manager=other', '-f', ssa], { version })).trim(), 'configmap/ssa serverside-applied');
      assert.equal(await k(['-n', ns, 'get', 'cm', 'ssa', '-o', 'jsonpath={.data.a}'], { version }), '2');
      const stale = cur.replace(/resourceVersion: "\d+"/, 'resourceVersion: "1"');
      const conflict = await server.kubectl(['replace', '-f', '-'], { version, input: stale });
      assert.match(conflict.stderr, /Operation cannot be fulfilled on configmaps "conf": the object has been modified; please apply your changes to the latest version and try again/);
    });

    test('get -w streams changes; delete and wait --for=delete', async () => {
      const bin = kubectlBinary(version)!;
      const watcher = spawn(bin, ['-n', ns, 'get', 'configmaps', '-w', '--field-selector', 'metadata.name=watched'], { env: { ...process.env, KUBECONFIG: server.kubeconfig, HOME: server.dataDir } });
      let out = '';
      watcher.stdout.on('data', (c: Buffer) => { out += c.toString(); });
      const seen = (re: RegExp) => new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => { watcher.stdout.off('data', check); reject(new Error(`watch output did not match ${re}: ${JSON.stringify(out)}`)); }, 15_000);
        const check = () => { if (re.test(out)) { clearTimeout(t); watcher.stdout.off('data', check); resolve(); } };
        watcher.stdout.on('data', check);
        check();
      });
      try {
        await k(['-n', ns, 'create', 'configmap', 'watched', '--from-literal=k=v'], { version });
        await seen(/NAME\s+DATA\s+AGE\nwatched\s+1\s+\d+s\n/);
        await k(['-n', ns, 'patch', 'cm', 'watched', '--type=merge', '-p', '{"data":{"k2":"v2"}}'], { version });
        await seen(/watched\s+2\s+\d+s\n/);
      } finally {
        watcher.kill();
      }
      assert.equal((await k(['-n', ns, 'delete', 'pod', 'p1'], { version })).trim(), 'pod "p1" deleted');
      await k(['-n', ns, 'wait', '--for=delete', 'pod/p1', '--timeout=10s'], { version });
      assert.equal((await k(['-n', ns, 'delete', 'cm', '-l', 'x=y'], { version })).trim(), 'configmap "conf" deleted');
    });

    test('describe, create --dry-run=server, create token, events', async () => {
      const d = await k(['-n', ns, 'describe', 'deployment', 'web'], { version });
      assert.match(d, /^Name:\s+web\n/);
      assert.match(d, /Selector:\s+app=web\n/);
      const dp = await k(['-n', ns, 'describe', 'pod', 'p2'], { version });
      assert.match(dp, /Status:\s+Pending\n/);
      assert.equal((await k(['-n', ns, 'create', 'configmap', 'dry', '--from-literal=a=b', '--dry-run=server'], { version })).trim(), 'configmap/dry created (server dry run)');
      assert.notEqual((await server.kubectl(['-n', ns, 'get', 'cm', 'dry'], { version })).code, 0);
      await k(['-n', ns, 'create', 'serviceaccount', 'bot'], { version });
      const token = (await k(['-n', ns, 'create', 'token', 'bot'], { version })).trim();
      assert.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/);
      const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
      assert.equal(claims.sub, `system:serviceaccount:${ns}:bot`);
      const uid = await k(['-n', ns, 'get', 'pod', 'p2', '-o', 'jsonpath={.metadata.uid}'], { version });
      const event = { apiVersion: 'v1', kind: 'Event', metadata: { name: 'p2.1', namespace: ns }, involvedObject: { kind: 'Pod', name: 'p2', namespace: ns, uid }, reason: 'Tested', message: 'hello there', type: 'Normal', source: { component: 'e2e' }, firstTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), lastTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), count: 2 };
      await k(['create', '-f', '-'], { version, input: JSON.stringify(event) });
      const ev = rows(await k(['-n', ns, 'get', 'events', '--field-selector', 'involvedObject.kind=Pod,reason=Tested'], { version }));
      assert.deepEqual(ev[0], ['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE']);
      assert.deepEqual(ev[1].slice(1), ['Normal', 'Tested', 'pod/p2', 'hello there']);
      const evWide = rows(await k(['-n', ns, 'get', 'events', '-o', 'wide'], { version }));
      assert.deepEqual(evWide[0], ['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'SUBOBJECT', 'SOURCE', 'MESSAGE', 'FIRST SEEN', 'COUNT', 'NAME']);
      assert.match(await k(['-n', ns, 'describe', 'pod', 'p2'], { version }), /Normal\s+Tested\s+.+\s+e2e\s+hello there/);
    });

    test('server-side field validation: strict by default for create -f, warnings with --validate=warn', async () => {
      const cm = (name: string) => JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns }, data: { a: 'b' }, foo: 1 });
      const strict = await server.kubectl(['create', '-f', '-'], { version, input: cm('strict') });
      assert.notEqual(strict.code, 0);
      assert.equal(strict.stderr.trim(), 'Error from server (BadRequest): error when creating "STDIN": ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "foo"');
      const warn = await server.kubectl(['create', '--validate=warn', '-f', '-'], { version, input: cm('warned') });
      assert.equal(warn.code, 0, warn.stderr);
      assert.match(warn.stderr, /Warning: unknown field "foo"/);
      assert.equal(warn.stdout.trim(), 'configmap/warned created');
    });

    test('auth can-i and auth whoami', async () => {
      assert.equal((await k(['auth', 'can-i', 'create', 'pods', '-n', ns], { version })).trim(), 'yes');
      if (version !== '1.27') {
        const who = rows(await k(['auth', 'whoami'], { version }));
        assert.equal(who[0][0], 'ATTRIBUTE');
        assert.ok(who.some((r) => r[0] === 'Username'));
      }
    });

    test('api-resources and namespace deletion', async () => {
      const ar = rows(await k(['api-resources'], { version }));
      assert.deepEqual(ar[0], ['NAME', 'SHORTNAMES', 'APIVERSION', 'NAMESPACED', 'KIND']);
      assert.ok(ar.some((r) => r.join(' ') === 'pods po v1 true Pod'));
      assert.ok(ar.some((r) => r.join(' ') === 'deployments deploy apps/v1 true Deployment'));
      assert.ok(ar.some((r) => r.join(' ') === 'events ev events.k8s.io/v1 true Event'));
      const names = (await k(['api-resources', '--namespaced=false', '-o', 'name'], { version })).trim().split('\n');
      assert.ok(names.includes('namespaces'));
      assert.ok(names.includes('priorityclasses.scheduling.k8s.io'));
      const del = await k(['delete', 'namespace', ns, '--wait=true', '--timeout=30s'], { version });
      assert.equal(del.trim(), `namespace "${ns}" deleted`);
      const gone = await server.kubectl(['get', 'namespace', ns], { version });
      assert.equal(gone.stderr.trim(), `Error from server (NotFound): namespaces "${ns}" not found`);
    });
  });
}
