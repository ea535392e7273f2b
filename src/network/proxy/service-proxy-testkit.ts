/**
 * What the service-proxy traffic tests share: selectorless Services with EndpointSlices the test
 * controls (no controllers run there), a bounded wait until the proxy has programmed a Service, and
 * an HTTP GET that reports the body or why it failed.
 */
import { request } from 'node:http';
import type { KubeObject } from '../../api/object.js';
import type { KubeClient } from '../../client/types.js';
import { Resources } from '../../client/resources.js';
import type { ServiceProxy } from './service-proxy.js';

/** One endpoint of a test EndpointSlice; conditions left out are left out of the slice too. */
export interface TestEndpoint { ip: string; node?: string; ready?: boolean; serving?: boolean; terminating?: boolean }

/** A selectorless Service (port 80 named http) and, when given, its EndpointSlice. */
export async function createTestService(client: KubeClient, name: string, spec: Record<string, unknown>, endpoints?: TestEndpoint[]): Promise<KubeObject> {
  const svc = await client.create(Resources.services, 'default', { apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { ports: [{ name: 'http', port: 80, protocol: 'TCP' }], ...spec } });
  if (endpoints) await setTestEndpoints(client, name, endpoints);
  return svc;
}

/** Creates or replaces the Service's test EndpointSlice (target port 8080). */
export async function setTestEndpoints(client: KubeClient, name: string, endpoints: TestEndpoint[]): Promise<void> {
  const slice = {
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
    metadata: { name: `${name}-test`, labels: { 'kubernetes.io/service-name': name } },
    addressType: 'IPv4', ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    endpoints: endpoints.map((e) => ({
      addresses: [e.ip],
      ...(e.node === undefined ? {} : { nodeName: e.node }),
      conditions: { ready: e.ready ?? true, ...(e.serving === undefined ? {} : { serving: e.serving }), ...(e.terminating === undefined ? {} : { terminating: e.terminating }) },
    })),
  };
  const cur = await client.get(Resources.endpointslices, 'default', slice.metadata.name).catch(() => undefined);
  if (cur) await client.update(Resources.endpointslices, 'default', { ...slice, metadata: { ...slice.metadata, resourceVersion: cur.metadata.resourceVersion } });
  else await client.create(Resources.endpointslices, 'default', slice);
}

export type ProgrammedPort = ReturnType<ServiceProxy['programmedPorts']>[number];

/** Waits (bounded) until every programmed port of `name` satisfies `ok`; `expected` names it in the error. */
export async function waitProgrammed(proxy: ServiceProxy, name: string, ok: (p: ProgrammedPort) => boolean, expected = 'as expected'): Promise<void> {
  const until = Date.now() + 10_000;
  for (;;) {
    await proxy.synced();
    const ports = proxy.programmedPorts().filter((p) => p.id.startsWith(`default/${name}:`));
    if (ports.length && ports.every(ok)) return;
    if (Date.now() > until) throw new Error(`service ${name} not programmed ${expected}: ${JSON.stringify(ports)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** GET http://host:port/path: the trimmed body, or the error code (TIMEOUT after `timeoutMs`). */
export function httpGet(host: string, port: number, path = '/', timeoutMs = 5000): Promise<{ body?: string; code?: string; ms: number }> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const req = request({ host, port, path, agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ body: body.trim(), ms: Date.now() - t0 }));
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ code: e.code ?? e.message, ms: Date.now() - t0 }));
    req.end();
  });
}
