/**
 * Streaming through the embedded agent of `peapod server`: pods scheduled and run by the agent,
 * the agent's own streaming endpoint (started by the control plane) behind pods/log, exec, attach
 * and portforward. kubectl 1.27 (SPDY) and 1.33 (WebSocket). Needs root.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { get } from 'node:http';
import { spawn } from 'node:child_process';
import { isRoot } from '../../src/runtime/oci/test-fixtures.js';
import { Resources } from '../../src/client/resources.js';
import { kubectlBinary } from './harness.js';
import { startAgentServer, waitFor, type AgentServer } from './agent-helpers.js';
import { watchOutput } from './streaming-fixture.js';

const skip = !isRoot ? 'needs root' : !kubectlBinary('1.27') || !kubectlBinary('1.33') ? 'needs kubectl 1.27 and 1.33' : false;

interface PodLike { status?: { phase?: string; containerStatuses?: Array<{ name: string; restartCount?: number; state?: { running?: unknown } }> } }

describe('streaming through the embedded agent', { skip }, () => {
  let s: AgentServer;
  let local: string;
  const children = new Set<ReturnType<typeof spawn>>();
  const kubectlSpawn = (args: string[], version?: string, cmd?: string) => {
    const child = spawn(cmd ?? kubectlBinary(version)!, args, { env: { ...process.env, KUBECONFIG: s.server.kubeconfig, HOME: s.server.dataDir }, stdio: ['pipe', 'pipe', 'pipe'] });
    children.add(child);
    child.on('exit', () => children.delete(child));
    return child;
  };

  before(async () => {
    local = mkdtempSync(join(tmpdir(), 'peapod-stream-agent-'));
    s = await startAgentServer();
    const r = await s.server.kubectl(['apply', '-f', '-'], { input: `
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  volumes: [{name: data, emptyDir: {}}]
  containers:
  - name: web
    image: busybox:1.36
    command: ['sh', '-c', 'mkdir -p /tmp/www && echo hello from agent pod > /tmp/www/index.html && echo web started && exec httpd -f -p 8080 -h /tmp/www']
  - name: flaky
    image: busybox:1.36
    volumeMounts: [{name: data, mountPath: /data}]
    command: ['sh', '-c', 'n=$(cat /data/n 2>/dev/null || echo 0); n=$((n+1)); echo $n > /data/n; echo attempt-$n; if [ $n -lt 2 ]; then exit 1; fi; exec sleep 3600']
` });
    assert.equal(r.code, 0, r.stderr);
    await waitFor(async () => {
      const p = await s.client.get(Resources.pods, 'default', 'web') as unknown as PodLike;
      const flaky = p.status?.containerStatuses?.find((c) => c.name === 'flaky');
      return p.status?.phase === 'Running' && flaky?.state?.running && (flaky.restartCount ?? 0) >= 1 ? p : undefined;
    }, 'web Running with flaky restarted once', 120_000);
  });
  after(async () => {
    for (const c of children) c.kill('SIGKILL');
    rmSync(local, { recursive: true, force: true });
    await s?.stop();
  });

  for (const version of ['1.27', '1.33']) {
    describe(`kubectl ${version}`, () => {
      test('logs, logs --previous, logs -f', async () => {
        const r = await s.server.kubectl(['logs', 'web', '-c', 'web'], { version });
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /^web started\n/);
        const prev = await s.server.kubectl(['logs', 'web', '-c', 'flaky', '--previous'], { version });
        assert.equal(prev.stdout, 'attempt-1\n', prev.stderr);
        const cur = await s.server.kubectl(['logs', 'web', '-c', 'flaky'], { version });
        assert.equal(cur.stdout, 'attempt-2\n', cur.stderr);
        const child = kubectlSpawn(['logs', '-f', 'web', '-c', 'web'], version);
        const o = watchOutput(child);
        await o.waitFor('web started\n');
        const marker = `follow-${version}`;
        const ex = await s.server.kubectl(['exec', 'web', '-c', 'web', '--', 'sh', '-c', `echo ${marker} > /proc/1/fd/1`], { version });
        assert.equal(ex.code, 0, ex.stderr);
        await o.waitFor(marker);
        child.kill('SIGTERM');
        await o.exited;
      });

      test('exec (exit code, streams apart), exec -it with a terminal, cp both ways', async () => {
        const r = await s.server.kubectl(['exec', 'web', '-c', 'web', '--', 'sh', '-c', 'echo out; echo err >&2; exit 4'], { version });
        assert.equal(r.code, 4);
        assert.equal(r.stdout, 'out\n');
        assert.match(r.stderr, /err/);
        const child = kubectlSpawn(['-qec', `stty cols 90 rows 30; exec ${kubectlBinary(version)} exec -it web -c web -- sh`, '/dev/null'], version, 'script');
        const o = watchOutput(child);
        child.stdin!.write('i=0; until [ "$(stty size)" = "30 90" ] || [ $i -ge 250 ]; do i=$((i+1)); usleep 20000; done; echo "size=$(stty size)"; exit 9\n');
        assert.equal(await o.exited, 9, o.stdout() + o.stderr());
        assert.match(o.stdout(), /size=30 90/);
        const src = join(local, `f-${version}`);
        writeFileSync(src, 'x'.repeat(100_000));
        const up = await s.server.kubectl(['cp', src, `default/web:/tmp/f-${version}`, '-c', 'web'], { version });
        assert.equal(up.code, 0, up.stderr);
        const down = await s.server.kubectl(['cp', `default/web:/tmp/f-${version}`, `${src}.back`, '-c', 'web'], { version });
        assert.equal(down.code, 0, down.stderr);
        assert.equal(readFileSync(`${src}.back`, 'utf8'), 'x'.repeat(100_000));
      });

      test('port-forward to the pod\'s httpd', async () => {
        const child = kubectlSpawn(['port-forward', 'pod/web', ':8080'], version);
        const o = watchOutput(child);
        await o.waitFor(/Forwarding from 127\.0\.0\.1:(\d+) -> 8080/);
        const port = Number(/Forwarding from 127\.0\.0\.1:(\d+) -> 8080/.exec(o.stdout())![1]);
        const body = await new Promise<string>((resolve, reject) => {
          get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
            let t = '';
            res.on('data', (b: Buffer) => { t += b.toString(); });
            res.on('end', () => resolve(t));
          }).on('error', reject);
        });
        assert.equal(body, 'hello from agent pod\n');
        child.kill('SIGTERM');
        await o.exited;
      });
    });
  }
});
