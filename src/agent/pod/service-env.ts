/**
 * Docker-link style environment variables for services, as the kubelet injects them
 * (getServiceEnvVarMap / envvars.FromServices): every service with a cluster IP in the pod's
 * namespace when enableServiceLinks (default true), and always the `kubernetes` service of the
 * default namespace. For a service "my-svc" at 10.96.0.5 with port 80/TCP named "http":
 *
 *   MY_SVC_SERVICE_HOST=10.96.0.5  MY_SVC_SERVICE_PORT=80  MY_SVC_SERVICE_PORT_HTTP=80
 *   MY_SVC_PORT=tcp://10.96.0.5:80  MY_SVC_PORT_80_TCP=tcp://10.96.0.5:80
 *   MY_SVC_PORT_80_TCP_PROTO=tcp  MY_SVC_PORT_80_TCP_PORT=80  MY_SVC_PORT_80_TCP_ADDR=10.96.0.5
 */
import type { Pod, Service } from 'kubernetes-types/core/v1.js';

const envName = (s: string) => s.toUpperCase().replace(/-/g, '_');

export function serviceEnv(pod: Pod, services: Service[]): Array<{ name: string; value: string }> {
  const ns = pod.metadata?.namespace ?? 'default';
  const links = pod.spec?.enableServiceLinks !== false;
  const chosen = new Map<string, Service>();
  for (const s of services) {
    const ip = s.spec?.clusterIP;
    if (!ip || ip === 'None') continue;
    const sns = s.metadata?.namespace;
    const name = s.metadata?.name ?? '';
    if (sns === ns && links) chosen.set(name, s);
    else if (sns === 'default' && name === 'kubernetes' && !chosen.has(name)) chosen.set(name, s);
  }
  const out: Array<{ name: string; value: string }> = [];
  for (const s of [...chosen.values()].sort((a, b) => (a.metadata!.name! < b.metadata!.name! ? -1 : 1))) {
    const n = envName(s.metadata!.name!);
    const ip = s.spec!.clusterIP!;
    const ports = s.spec?.ports ?? [];
    out.push({ name: `${n}_SERVICE_HOST`, value: ip });
    if (!ports.length) continue;
    out.push({ name: `${n}_SERVICE_PORT`, value: String(ports[0].port) });
    for (const p of ports) if (p.name) out.push({ name: `${n}_SERVICE_PORT_${envName(p.name)}`, value: String(p.port) });
    const proto0 = (ports[0].protocol ?? 'TCP').toLowerCase();
    out.push({ name: `${n}_PORT`, value: `${proto0}://${ip}:${ports[0].port}` });
    for (const p of ports) {
      const proto = (p.protocol ?? 'TCP');
      const prefix = `${n}_PORT_${p.port}_${proto.toUpperCase()}`;
      out.push({ name: prefix, value: `${proto.toLowerCase()}://${ip}:${p.port}` });
      out.push({ name: `${prefix}_PROTO`, value: proto.toLowerCase() });
      out.push({ name: `${prefix}_PORT`, value: String(p.port) });
      out.push({ name: `${prefix}_ADDR`, value: ip });
    }
  }
  return out;
}
