/**
 * kubectl logs / exec / attach / cp / port-forward against a real peapod server, whose pods/*
 * subresources proxy to the agent's streaming endpoint over real containers (runc + conmon).
 * kubectl 1.27 speaks SPDY/3.1 for everything; 1.33 speaks WebSocket v5 for exec/attach/cp and SPDY
 * tunnelled in WebSocket for port-forward. Needs root (containers).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { get } from 'node:http';
import { Exec, KubeConfig, PortForward } from '@kubernetes/client-node';
import { WebSocket } from 'ws';
import { parse as parseYaml } from 'yaml';
import { PassThrough, Writable } from 'node:stream';
import { isRoot } from '../../src/runtime/oci/test-fixtures.js';
import { kubectlBinary } from './harness.js';
import { Resources } from '../../src/client/resources.js';
import { startStreamingFixture, watchOutput, pollUntil, type StreamingFixture } from './streaming-fixture.js';

const skip = !isRoot ? 'needs root' : !kubectlBinary('1.27') || !kubectlBinary('1.33') ? 'needs kubectl 1.27 and 1.33' : false;

describe('kubectl streaming (logs, exec, attach, cp, port-forward)', { skip }, () => {
  let f: StreamingFixture;
  let web: { sandboxId: string; ids: Record<string, string> };
  let local: string;

  before(async () => {
    f = await startStreamingFixture();
    local = mkdtempSync(join(tmpdir(), 'peapod-stream-local-'));
    web = await f.addPod('web', [
      { name: 'web', command: ['sh', '-c', 'echo hello from web; echo warn from web >&2; exec httpd -f -p 8080 -h /www'] },
      { name: 'sidecar', command: ['sh', '-c', 'echo first run; exit 1'] },
      { name: 'sh127', command: ['sh'], stdin: true, stdinOnce: true },
      { name: 'sh133', command: ['sh'], stdin: true, stdinOnce: true },
      { name: 'tty127', command: ['sh'], stdin: true, stdinOnce: true, tty: true },
      { name: 'tty133', command: ['sh'], stdin: true, stdinOnce: true, tty: true },
    ]);
    // The sidecar "restarts": attempt 0 exited, attempt 1 runs.
    await pollUntil(async () => (await f.rt.containerStatus(web.ids.sidecar)).state === 'exited', 'sidecar attempt 0 to exit');
    await f.runContainer(web.sandboxId, { name: 'sidecar', command: ['sh', '-c', 'echo second run; exec sleep 3600'] }, 1);
  });
  after(async () => {
    rmSync(local, { recursive: true, force: true });
    await f?.close();
  });

  test('API answers with Kubernetes messages for bad container choices', async () => {
    const r = await f.server.kubectl(['get', '--raw', '/api/v1/namespaces/default/pods/web/log']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /a container name must be specified for pod web, choose one of: \[web sidecar sh127 sh133 tty127 tty133\]/);
    const r2 = await f.server.kubectl(['logs', 'web', '-c', 'nope']);
    assert.match(r2.stderr, /container nope is not valid for pod web/);
    await f.client.create(Resources.pods, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'unbound' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
    const r3 = await f.server.kubectl(['exec', 'unbound', '--', 'true']);
    assert.match(r3.stderr, /pod unbound does not have a host assigned/);
  });

  for (const version of ['1.27', '1.33']) {
    describe(`kubectl ${version}`, () => {
      test('logs, logs --previous, --tail, --timestamps, --limit-bytes', async () => {
        const r = await f.server.kubectl(['logs', 'web', '-c', 'web'], { version });
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /hello from web\n/);
        assert.match(r.stdout, /warn from web\n/);
        const prev = await f.server.kubectl(['logs', 'web', '-c', 'sidecar', '--previous'], { version });
        assert.equal(prev.code, 0, prev.stderr);
        assert.equal(prev.stdout, 'first run\n');
        const cur = await f.server.kubectl(['logs', 'web', '-c', 'sidecar'], { version });
        assert.equal(cur.stdout, 'second run\n');
        const ts = await f.server.kubectl(['logs', 'web', '-c', 'sidecar', '--timestamps'], { version });
        assert.match(ts.stdout, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z second run\n$/);
        const lim = await f.server.kubectl(['logs', 'web', '-c', 'sidecar', '--limit-bytes=3'], { version });
        assert.equal(lim.stdout, 'sec');
        const noPrev = await f.server.kubectl(['logs', 'web', '-c', 'web', '--previous'], { version });
        assert.notEqual(noPrev.code, 0);
        assert.match(noPrev.stderr, /previous terminated container "web" in pod "web" not found/);
      });

      test('logs -f streams a line written after the call started', async () => {
        const child = f.spawnKubectl(['logs', '-f', 'web', '-c', 'web', '--tail=1'], version);
        const o = watchOutput(child);
        await o.waitFor(/\n/); // the last line so far: the stream is open
        const marker = `marker-${version}-${Date.now()}`;
        const w = await f.rt.execSync(web.ids.web, ['sh', '-c', `echo ${marker} > /proc/1/fd/1`], 10);
        assert.equal(w.exitCode, 0, w.stderr.toString());
        await o.waitFor(marker);
        child.kill('SIGTERM');
        await o.exited;
      });

      test('exec: exit code, stdout and stderr kept apart', async () => {
        const r = await f.server.kubectl(['exec', 'web', '-c', 'web', '--', 'sh', '-c', 'echo to-out; echo to-err >&2; exit 3'], { version });
        assert.equal(r.code, 3, r.stderr);
        assert.equal(r.stdout, 'to-out\n');
        assert.match(r.stderr, /to-err/);
        assert.doesNotMatch(r.stdout, /to-err/);
        const ok = await f.server.kubectl(['exec', 'web', '-c', 'web', '--', 'cat', '/www/index.html'], { version });
        assert.equal(ok.code, 0, ok.stderr);
        assert.equal(ok.stdout, 'hello from pod\n');
        const stdin = await f.server.kubectl(['exec', '-i', 'web', '-c', 'web', '--', 'sh', '-c', 'tr a-z A-Z'], { version, input: 'piped input\n' });
        assert.equal(stdin.code, 0, stdin.stderr);
        assert.equal(stdin.stdout, 'PIPED INPUT\n');
      });

      test('exec -it through a pseudo-terminal: terminal size reaches the container, exit code returns', async () => {
        const bin = kubectlBinary(version)!;
        const child = f.spawnKubectlRaw('script', ['-qec', `stty cols 123 rows 45; exec ${bin} exec -it web -c web -- sh`, '/dev/null']);
        const o = watchOutput(child);
        // The initial terminal size travels beside the typed line; poll (bounded) until it has arrived.
        child.stdin!.write('i=0; until [ "$(stty size)" = "45 123" ] || [ $i -ge 250 ]; do i=$((i+1)); usleep 20000; done; echo "size=$(stty size)"; tty; exit 7\n');
        const code = await o.exited;
        assert.match(o.stdout(), /size=45 123/, JSON.stringify(o.stdout()));
        assert.match(o.stdout(), /\/dev\/pts\/\d+/);
        assert.equal(code, 7, o.stdout() + o.stderr());
      });

      test('a client that vanishes mid-exec leaves no process behind', async () => {
        const bin = kubectlBinary(version)!;
        const tag = `vanish${version.replace('.', '')}`;
        const child = f.spawnKubectlRaw('script', ['-qec', `exec ${bin} exec -it web -c web -- sh -c 'echo ready-${tag}; exec cat'`, '/dev/null']);
        const o = watchOutput(child);
        await o.waitFor(`ready-${tag}`);
        const ps = async () => (await f.rt.execSync(web.ids.web, ['ps', '-o', 'pid,args'], 10)).stdout.toString();
        assert.match(await ps(), /cat/);
        child.kill('SIGKILL');
        await o.exited;
        await pollUntil(async () => !/\bcat\b/.test(await ps()), 'the exec\'d cat to be gone', 15_000);
        const plain = f.spawnKubectl(['exec', '-i', 'web', '-c', 'web', '--', 'sh', '-c', `echo ready2-${tag}; exec cat`], version);
        const o2 = watchOutput(plain);
        await o2.waitFor(`ready2-${tag}`);
        plain.kill('SIGKILL');
        await o2.exited;
        await pollUntil(async () => !/\bcat\b/.test(await ps()), 'the exec\'d cat (no terminal) to be gone', 15_000);
      });

      test('attach -i to a container\'s stdin', async () => {
        const name = `sh${version.replace('.', '')}`;
        const child = f.spawnKubectl(['attach', '-i', 'web', '-c', name], version);
        const o = watchOutput(child);
        child.stdin!.write('echo attached-$((40+2))\n');
        await o.waitFor('attached-42');
        child.stdin!.end('exit 0\n');
        const code = await o.exited;
        assert.equal(code, 0, o.stderr());
      });

      test('attach -it to a terminal container: its size follows ours', async () => {
        const bin = kubectlBinary(version)!;
        const name = `tty${version.replace('.', '')}`;
        const child = f.spawnKubectlRaw('script', ['-qec', `stty cols 77 rows 22; exec ${bin} attach -it web -c ${name}`, '/dev/null']);
        const o = watchOutput(child);
        child.stdin!.write('i=0; until [ "$(stty size)" = "22 77" ] || [ $i -ge 250 ]; do i=$((i+1)); usleep 20000; done; echo "attached size=$(stty size)"; exit\n');
        const code = await o.exited;
        assert.match(o.stdout(), /attached size=22 77/, JSON.stringify(o.stdout()));
        assert.equal(code, 0, o.stdout() + o.stderr());
      });

      test('debug -it --target: kubectl adds an ephemeral container and attaches to it', async () => {
        const bin = kubectlBinary(version)!;
        const before = new Set(((await f.client.get(Resources.pods, 'default', 'web')).spec as { ephemeralContainers?: Array<{ name: string }> }).ephemeralContainers?.map((c) => c.name) ?? []);
        const child = f.spawnKubectlRaw('script', ['-qec', `exec ${bin} debug -it web --image=busybox:1.36 --target=web`, '/dev/null']);
        const o = watchOutput(child);
        // Stand-in for the agent's ephemeral container support (not in the agent yet): run what kubectl added.
        const added = await pollUntil(async () => {
          const p = await f.client.get(Resources.pods, 'default', 'web');
          const ecs = (p.spec as { ephemeralContainers?: Array<{ name: string; stdin?: boolean; tty?: boolean; targetContainerName?: string }> }).ephemeralContainers ?? [];
          return ecs.find((c) => !before.has(c.name));
        }, 'kubectl debug to add an ephemeral container', 20_000);
        assert.equal(added.targetContainerName, 'web');
        assert.equal(added.tty, true);
        await f.runContainer(web.sandboxId, { name: added.name, command: ['sh'], stdin: true, stdinOnce: true, tty: true });
        const pod = await f.client.get(Resources.pods, 'default', 'web');
        const st = (pod.status ?? {}) as Record<string, unknown>;
        st.ephemeralContainerStatuses = [...((st.ephemeralContainerStatuses as unknown[]) ?? []), { name: added.name, image: 'busybox:1.36', imageID: '', ready: false, restartCount: 0, state: { running: { startedAt: new Date().toISOString() } } }];
        pod.status = st;
        await f.client.update(Resources.pods, 'default', pod, { subresource: 'status' });
        await o.waitFor(/If you don't see a command prompt|#/);
        child.stdin!.write('echo debug-$((6*7)); exit\n');
        const code = await o.exited;
        assert.match(o.stdout(), /debug-42/, JSON.stringify(o.stdout()));
        assert.equal(code, 0, o.stdout() + o.stderr());
      });

      test('cp to and from a container', async () => {
        const src = join(local, `in-${version}.txt`);
        const content = `copied by kubectl ${version}\n`.repeat(5000);
        writeFileSync(src, content);
        const up = await f.server.kubectl(['cp', src, `default/web:/tmp/cp-${version}.txt`, '-c', 'web'], { version });
        assert.equal(up.code, 0, up.stderr);
        const check = await f.rt.execSync(web.ids.web, ['md5sum', `/tmp/cp-${version}.txt`], 10);
        assert.equal(check.exitCode, 0);
        const back = join(local, `out-${version}.txt`);
        const down = await f.server.kubectl(['cp', `default/web:/tmp/cp-${version}.txt`, back, '-c', 'web'], { version });
        assert.equal(down.code, 0, down.stderr);
        assert.equal(readFileSync(back, 'utf8'), content);
      });

      test('port-forward to busybox httpd and a fetch through it', async () => {
        const child = f.spawnKubectl(['port-forward', 'pod/web', ':8080'], version);
        const o = watchOutput(child);
        await o.waitFor(/Forwarding from 127\.0\.0\.1:(\d+) -> 8080/);
        const port = Number(/Forwarding from 127\.0\.0\.1:(\d+) -> 8080/.exec(o.stdout())![1]);
        for (let i = 0; i < 3; i++) {
          const body = await new Promise<string>((resolve, reject) => {
            get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
              let s = '';
              res.on('data', (b: Buffer) => { s += b.toString(); });
              res.on('end', () => resolve(s));
              res.on('error', reject);
            }).on('error', reject);
          });
          assert.equal(body, 'hello from pod\n');
        }
        child.kill('SIGTERM');
        await o.exited;
      });
    });
  }

  test('@kubernetes/client-node Exec (negotiates v5.channel.k8s.io, the first it offers): output and the exit status', async () => {
    const kc = new KubeConfig();
    kc.loadFromFile(f.server.kubeconfig);
    const exec = new Exec(kc);
    let out = '';
    let err = '';
    const sink = (fn: (s: string) => void) => new Writable({ write(c: Buffer, _e, cb) { fn(c.toString()); cb(); } });
    const status = await new Promise<Record<string, unknown>>((resolve, reject) => {
      exec.exec('default', 'web', 'web', ['sh', '-c', 'echo cn-out; echo cn-err >&2; exit 5'], sink((s) => { out += s; }), sink((s) => { err += s; }), null, false,
        (st) => resolve(st as unknown as Record<string, unknown>)).catch(reject);
    });
    assert.equal(out, 'cn-out\n');
    assert.equal(err, 'cn-err\n');
    assert.equal(status.status, 'Failure');
    assert.equal(status.reason, 'NonZeroExitCode');
    assert.deepEqual((status.details as { causes: unknown[] }).causes, [{ reason: 'ExitCode', message: '5' }]);
  });
  test('@kubernetes/client-node PortForward (WebSocket v4 channels with the port prefix)', async () => {
    const kc = new KubeConfig();
    kc.loadFromFile(f.server.kubeconfig);
    let out = '';
    let err = '';
    const input = new PassThrough();
    const ws = await new PortForward(kc).portForward('default', 'web', [8080],
      new Writable({ write(c: Buffer, _e, cb) { out += c.toString(); cb(); } }),
      new Writable({ write(c: Buffer, _e, cb) { err += c.toString(); cb(); } }), input);
    input.write('GET / HTTP/1.0\r\n\r\n');
    await pollUntil(() => out.includes('hello from pod\n'), 'the HTTP answer through client-node port-forward', 15_000);
    assert.match(out, /^HTTP\/1\.[01] 200 OK/);
    assert.equal(err, '');
    (ws as { close(): void }).close();
  });

  /** A raw WebSocket exec against the API server with the admin certificate. */
  function rawExec(protocol: string, command: string): Promise<{ messages: Array<string | Buffer>; protocol: string }> {
    const cfg = parseYaml(readFileSync(f.server.kubeconfig, 'utf8')) as { clusters: Array<{ cluster: { server: string; 'certificate-authority-data': string } }>; users: Array<{ user: Record<string, string> }> };
    const b64 = (s: string) => Buffer.from(s, 'base64');
    const q = new URLSearchParams({ container: 'web', stdout: 'true', stderr: 'true' });
    for (const c of ['sh', '-c', command]) q.append('command', c);
    const url = `${cfg.clusters[0].cluster.server.replace('https', 'wss')}/api/v1/namespaces/default/pods/web/exec?${q}`;
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, [protocol], { ca: b64(cfg.clusters[0].cluster['certificate-authority-data']), cert: b64(cfg.users[0].user['client-certificate-data']), key: b64(cfg.users[0].user['client-key-data']) });
      const messages: Array<string | Buffer> = [];
      ws.on('message', (d: Buffer, binary: boolean) => messages.push(binary ? Buffer.from(d) : d.toString()));
      ws.on('close', () => resolve({ messages, protocol: ws.protocol }));
      ws.on('error', reject);
    });
  }

  test('older WebSocket protocols: base64.channel.k8s.io and channel.k8s.io (error text, no Status)', async () => {
    const b = await rawExec('base64.channel.k8s.io', 'echo b64-out; echo b64-err >&2; exit 2');
    assert.equal(b.protocol, 'base64.channel.k8s.io');
    const texts = b.messages.map(String);
    const chan = (n: number) => texts.filter((m) => m[0] === String(n)).map((m) => Buffer.from(m.slice(1), 'base64').toString()).join('');
    assert.equal(chan(1), 'b64-out\n');
    assert.equal(chan(2), 'b64-err\n');
    assert.match(chan(3), /^command terminated with non-zero exit code/);
    const v1 = await rawExec('channel.k8s.io', 'echo v1-out; exit 0');
    assert.equal(v1.protocol, 'channel.k8s.io');
    const bins = v1.messages.filter((m): m is Buffer => Buffer.isBuffer(m));
    assert.equal(Buffer.concat(bins.filter((m) => m[0] === 1).map((m) => m.subarray(1))).toString(), 'v1-out\n');
    assert.equal(bins.filter((m) => m[0] === 3 && m.length > 1).length, 0, 'success says nothing on the error channel before v4');
    const v4 = await rawExec('v4.channel.k8s.io', 'exit 6');
    const status = JSON.parse(Buffer.concat(v4.messages.filter((m): m is Buffer => Buffer.isBuffer(m) && m[0] === 3).map((m) => m.subarray(1))).toString());
    assert.deepEqual(status.details, { causes: [{ reason: 'ExitCode', message: '6' }] });
  });
});
