/**
 * Services and cluster DNS end to end: a real `peapod server` with its embedded agent (real
 * containers, a bridge and subnet of its own), driven with the real kubectl. A Deployment of two
 * busybox httpd pods (each serving its own hostname), `kubectl expose`, and a client pod that
 * reaches the service by its short, namespaced and full names through kube-dns (10.96.0.10 → the
 * node's DNS server) and the service proxy; nslookup of a ClusterIP and of a headless service;
 * kubectl's service/endpoints/endpointslice tables; a NodePort on 127.0.0.1. Run as root.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod, Service } from 'kubernetes-types/core/v1.js';
import { Resources } from '../../src/client/resources.js';
import { startAgentServer, waitFor, type AgentServer } from './agent-helpers.js';
import { httpGetBody, stopServicesServer } from './service-helpers.js';

const isRoot = process.getuid?.() === 0;
let s: AgentServer;
before(async () => {
  if (!isRoot) return;
  s = await startAgentServer();
});
after(async () => {
  if (!s) return;
  await stopServicesServer(s, [
    ['delete', 'deployment', 'web', '--ignore-not-found', '--wait=false'],
    ['delete', 'pod', 'client', '--ignore-not-found', '--grace-period=1', '--wait=false'],
  ]);
});

async function k(args: string[], timeoutMs = 60_000): Promise<string> {
  const r = await s.server.kubectl(args, { timeoutMs });
  assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

const rows = (out: string) => out.trim().split('\n').filter((l) => l.trim()).map((l) => l.trim().split(/\s{2,}/));

async function webPods(): Promise<Pod[]> {
  const l = await s.client.list(Resources.pods, 'default', { labelSelector: 'app=web' });
  return l.items as unknown as Pod[];
}

/** `kubectl exec POD -- ARGV` (the pod's own network, mounts and /etc/resolv.conf). */
async function podExec(pod: string, argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const r = await s.server.kubectl(['exec', pod, '--', ...argv], { timeoutMs: 20_000 });
  return { code: r.code, out: r.stdout.trim(), err: r.stderr };
}

/** `busybox timeout 5 wget -qO- URL` in the client pod. */
const wget = (url: string) => podExec('client', ['busybox', 'timeout', '5', 'wget', '-qO-', url]);

test('pods find and reach each other by name: Deployment + expose + kube-dns + the service proxy', { skip: !isRoot, timeout: 300_000 }, async () => {
  // kube-dns: made by the control plane at start, pointing at this node's DNS server
  const dns = await s.client.get(Resources.services, 'kube-system', 'kube-dns') as unknown as Service;
  assert.equal(dns.spec!.clusterIP, '10.96.0.10');
  assert.deepEqual(dns.spec!.ports!.map((p) => `${p.name}/${p.protocol}/${p.port}`), ['dns/UDP/53', 'dns-tcp/TCP/53']);
  const gateway = `${s.subnet.split('.').slice(0, 3).join('.')}.1`;
  assert.match(await k(['get', 'endpoints', 'kube-dns', '-n', 'kube-system']), new RegExp(`${gateway.replace(/\./g, '\\.')}:53`));

  assert.equal((await k(['create', 'deployment', 'web', '--image=busybox:1.36', '--replicas=2', '--',
    'sh', '-c', 'mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 8080 -h /www'])).trim(), 'deployment.apps/web created');
  await k(['run', 'client', '--image=busybox:1.36', '--restart=Never', '--', 'sleep', '3600']);
  const pods = await waitFor(async () => {
    const l = await webPods();
    return l.length === 2 && l.every((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') && p.status.podIP) ? l : undefined;
  }, 'two ready web pods', 120_000);
  const names = pods.map((p) => p.metadata!.name!).sort();
  await waitFor(async () => ((await s.client.get(Resources.pods, 'default', 'client')) as unknown as Pod).status?.phase === 'Running', 'client Running', 120_000);

  assert.equal((await k(['expose', 'deployment', 'web', '--port=80', '--target-port=8080'])).trim(), 'service/web exposed');
  const web = await s.client.get(Resources.services, 'default', 'web') as unknown as Service;
  const clusterIP = web.spec!.clusterIP!;
  assert.match(clusterIP, /^10\.(9[6-9]|1[01][0-9])\./);

  // the first answer may wait for the endpoints controller and the proxy (unprogrammed VIPs are refused locally)
  await waitFor(async () => (await wget('http://web')).code === 0, 'http://web from the client pod', 60_000, 250);
  for (const url of ['http://web', 'http://web.default', 'http://web.default.svc.cluster.local', `http://${clusterIP}`]) {
    const r = await wget(url);
    assert.equal(r.code, 0, `${url}: ${r.err}`);
    assert.ok(names.includes(r.out), `${url} answered ${JSON.stringify(r.out)}, not a web pod's hostname`);
  }
  // spread over both pods (random per connection: 2^-15 chance of a false failure)
  const seen = new Set<string>();
  for (let i = 0; i < 16 && seen.size < 2; i++) seen.add((await wget('http://web')).out);
  assert.deepEqual([...seen].sort(), names);

  // DNS: the ClusterIP, and a headless service's pod IPs
  const ns = (await podExec('client', ['nslookup', 'web.default.svc.cluster.local'])).out;
  assert.match(ns, new RegExp(`Address:?\\s+${clusterIP.replace(/\./g, '\\.')}`));
  const headless = await s.server.kubectl(['apply', '-f', '-'], { input: 'apiVersion: v1\nkind: Service\nmetadata:\n  name: web-headless\nspec:\n  clusterIP: None\n  selector:\n    app: web\n  ports:\n  - port: 8080\n' });
  assert.equal(headless.code, 0, headless.stderr);
  const podIPs = pods.map((p) => p.status!.podIP!).sort();
  const hl = await waitFor(async () => {
    const r = await podExec('client', ['nslookup', 'web-headless.default.svc.cluster.local']);
    const ips = [...r.out.matchAll(/Address:?\s+(\d+\.\d+\.\d+\.\d+)$/gm)].map((m) => m[1]).filter((ip) => ip !== '10.96.0.10').sort();
    return JSON.stringify(ips) === JSON.stringify(podIPs) ? ips : undefined;
  }, 'the headless service answering both pod IPs', 30_000, 250);
  assert.deepEqual(hl, podIPs);

  // kubectl's tables
  const tables = await k(['get', 'svc,endpoints,endpointslices', '-l', 'app=web']);
  const r = rows(tables);
  const svcHead = r.findIndex((x) => x[0] === 'NAME' && x[1] === 'TYPE');
  assert.deepEqual(r[svcHead], ['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE']);
  const svcRow = r.find((x) => x[0] === 'service/web')!;
  assert.deepEqual(svcRow.slice(1, 5), ['ClusterIP', clusterIP, '<none>', '80/TCP']);
  const epHead = r.findIndex((x) => x[0] === 'NAME' && x[1] === 'ENDPOINTS');
  assert.deepEqual(r[epHead], ['NAME', 'ENDPOINTS', 'AGE']);
  const epRow = r.find((x) => x[0] === 'endpoints/web')!;
  assert.deepEqual(epRow[1].split(',').sort(), podIPs.map((ip) => `${ip}:8080`));
  const slHead = r.findIndex((x) => x[0] === 'NAME' && x[1] === 'ADDRESSTYPE');
  assert.deepEqual(r[slHead], ['NAME', 'ADDRESSTYPE', 'PORTS', 'ENDPOINTS', 'AGE']);
  const slRow = r.find((x) => x[0].startsWith('endpointslice.discovery.k8s.io/web-'))!;
  assert.deepEqual(slRow.slice(1, 3), ['IPv4', '8080']);
  assert.deepEqual(slRow[3].split(',').sort(), podIPs);

  // NodePort on 127.0.0.1
  await k(['expose', 'deployment', 'web', '--name=web-np', '--type=NodePort', '--port=80', '--target-port=8080']);
  const np = (await s.client.get(Resources.services, 'default', 'web-np') as unknown as Service).spec!.ports![0].nodePort!;
  const body = await waitFor(async () => httpGetBody('127.0.0.1', np), `127.0.0.1:${np}`, 30_000, 250);
  assert.ok(names.includes(body), `NodePort answered ${JSON.stringify(body)}`);

  // everything goes again
  await k(['delete', 'service', 'web', 'web-np', 'web-headless']);
  await k(['delete', 'deployment', 'web']);
  await k(['delete', 'pod', 'client', '--grace-period=1']);
  await waitFor(async () => (await webPods()).length === 0, 'web pods gone', 60_000);
});
