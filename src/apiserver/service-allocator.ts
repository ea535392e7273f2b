/**
 * ClusterIP and NodePort allocation for Services, as Kubernetes' service registry does it on
 * create and update: a free IP from the service CIDR (dynamic picks above the static band that
 * explicit requests may use), node ports from 30000-32767, 422 errors in Kubernetes' words for
 * taken or out-of-range requests. The allocated set is read from the stored Services; addresses
 * handed out but not yet stored are held in memory for a while, so concurrent creates differ.
 */
import { randomInt } from 'node:crypto';
import { ApiError, type FieldError } from '../api/errors.js';
import type { KubeObject } from '../api/object.js';
import type { Store } from '../storage/store.js';
import type { Clock } from '../util/clock.js';
import type { Served } from './context.js';

type Obj = Record<string, unknown>;

export interface ServiceAllocatorOptions {
  /** Default 10.96.0.0/12 (Kubernetes' default). */
  serviceCIDR?: string;
  /** Default [30000, 32767]. */
  nodePortRange?: [number, number];
}

function ipToInt(ip: string): number | undefined {
  const p = ip.split('.');
  if (p.length !== 4) return undefined;
  let n = 0;
  for (const x of p) {
    if (!/^\d{1,3}$/.test(x) || Number(x) > 255) return undefined;
    n = n * 256 + Number(x);
  }
  return n;
}

function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

const goStrings = (v: string[]) => `[]string{${v.map((s) => JSON.stringify(s)).join(', ')}}`;

export class ServiceAllocator {
  private readonly base: number;
  private readonly size: number;
  private readonly cidr: string;
  private readonly ports: [number, number];
  private readonly held = new Map<string, number>();

  constructor(private readonly store: Store, private readonly services: Served, private readonly clock: Clock, opts: ServiceAllocatorOptions = {}) {
    this.cidr = opts.serviceCIDR ?? '10.96.0.0/12';
    const [ip, bits] = this.cidr.split('/');
    const b = Number(bits);
    const n = ipToInt(ip);
    if (n === undefined || !(b >= 8 && b <= 30)) throw new Error(`invalid service CIDR ${this.cidr}`);
    this.size = 2 ** (32 - b);
    this.base = n - (n % this.size);
    this.ports = opts.nodePortRange ?? [30000, 32767];
  }

  /** The first address of the range, for the `kubernetes` Service. */
  get firstIP(): string { return intToIp(this.base + 1); }

  private hold(key: string): void { this.held.set(key, this.clock.now() + 60_000); }

  private async used(except?: string): Promise<{ ips: Set<string>; ports: Set<string> }> {
    const ips = new Set<string>();
    const ports = new Set<string>();
    const list = await this.store.list(this.services.registry.prefix());
    for (const kv of list.kvs) {
      const o = JSON.parse(kv.value) as KubeObject;
      const spec = (o.spec ?? {}) as Obj;
      const own = kv.key === except;
      for (const ip of (spec.clusterIPs as string[] | undefined) ?? []) { this.held.delete(`ip:${ip}`); if (!own) ips.add(ip); }
      for (const p of (spec.ports as Obj[] | undefined) ?? []) {
        if (typeof p.nodePort === 'number' && p.nodePort > 0) { this.held.delete(`port:${p.nodePort}`); if (!own) ports.add(String(p.nodePort)); }
      }
    }
    // handed out but not stored yet (a create in flight): still taken, for a while
    const now = this.clock.now();
    for (const [k, until] of this.held) {
      if (until < now) { this.held.delete(k); continue; }
      if (k.startsWith('ip:')) ips.add(k.slice(3)); else ports.add(k.slice(5));
    }
    return { ips, ports };
  }

  /** Allocate what a Service needs (create: old undefined). Mutates `svc`; throws 422. */
  async allocate(svc: KubeObject, old?: KubeObject): Promise<void> {
    const spec = ((svc.spec ??= {}) as Obj);
    const type = (spec.type as string | undefined) ?? 'ClusterIP';
    const name = svc.metadata.name ?? '';
    const key = this.services.registry.key(svc.metadata.namespace, name);
    const errs: FieldError[] = [];
    const used = await this.used(old ? key : undefined);
    if (type === 'ExternalName') {
      delete spec.clusterIP; delete spec.clusterIPs; delete spec.ipFamilies; delete spec.ipFamilyPolicy;
    } else if (!old || !(old.spec as Obj | undefined)?.clusterIP || (old.spec as Obj).type === 'ExternalName') {
      const want = (spec.clusterIPs as string[] | undefined)?.[0] ?? (spec.clusterIP as string | undefined);
      if (want === 'None') {
        spec.clusterIP = 'None'; spec.clusterIPs = ['None'];
      } else if (want) {
        const n = ipToInt(want);
        if (n === undefined) {
          // an invalid IP is the validator's to report
        } else if (n <= this.base || n >= this.base + this.size - 1) {
          errs.push({ type: 'FieldValueInvalid', field: 'spec.clusterIPs', badValue: [want], badValueText: goStrings([want]), detail: `failed to allocate IP ${want}: the provided IP (${want}) is not in the valid range. The range of valid IPs is ${this.cidr}` });
        } else if (used.ips.has(want)) {
          errs.push({ type: 'FieldValueInvalid', field: 'spec.clusterIPs', badValue: [want], badValueText: goStrings([want]), detail: `failed to allocate IP ${want}: provided IP is already allocated` });
        } else {
          spec.clusterIP = want; spec.clusterIPs = [want]; this.hold(`ip:${want}`);
        }
      } else {
        // dynamic: above the static band (min(max(16, size/16), 256) addresses), like ServiceIPStaticSubrange
        const first = this.base + 1;
        const last = this.base + this.size - 2;
        const band = Math.min(Math.max(16, Math.floor(this.size / 16)), 256);
        const dynFirst = Math.min(first + band, last);
        let ip: string | undefined;
        for (let tries = 0; tries < 64 && !ip; tries++) {
          const c = intToIp(dynFirst + randomInt(last - dynFirst + 1));
          if (!used.ips.has(c)) ip = c;
        }
        for (let n = dynFirst; !ip && n <= last; n++) if (!used.ips.has(intToIp(n))) ip = intToIp(n);
        for (let n = first; !ip && n < dynFirst; n++) if (!used.ips.has(intToIp(n))) ip = intToIp(n);
        if (!ip) throw new ApiError(500, 'InternalError', 'Internal error occurred: failed to allocate a serviceIP: range is full');
        spec.clusterIP = ip; spec.clusterIPs = [ip]; this.hold(`ip:${ip}`);
      }
      if (spec.clusterIP !== undefined && spec.clusterIP !== 'None') {
        spec.ipFamilies = ['IPv4'];
        spec.ipFamilyPolicy ??= 'SingleStack';
      }
    }
    // node ports
    const needsNodePorts = type === 'NodePort' || (type === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts !== false);
    const ports = (spec.ports as Obj[] | undefined) ?? [];
    if (!needsNodePorts) {
      if (old && type === 'ClusterIP') {
        // dropTypeDependentFields: what only external types use goes when the type changes back
        const oldSpec = (old.spec ?? {}) as Obj;
        for (const p of ports) delete p.nodePort;
        if (oldSpec.type !== 'ClusterIP' && spec.externalTrafficPolicy === oldSpec.externalTrafficPolicy && !((spec.externalIPs as unknown[] | undefined)?.length)) delete spec.externalTrafficPolicy;
        if (spec.healthCheckNodePort === oldSpec.healthCheckNodePort) delete spec.healthCheckNodePort;
      }
    } else {
      const oldPorts = new Set(((((old?.spec as Obj | undefined)?.ports as Obj[] | undefined) ?? [])).map((p) => p.nodePort).filter((x) => typeof x === 'number'));
      // requested ports first, then the dynamic ones (so a dynamic pick never takes a requested port)
      ports.forEach((p, i) => {
        const np = typeof p.nodePort === 'number' ? p.nodePort : 0;
        if (np <= 0 || oldPorts.has(np)) return;
        if (np < this.ports[0] || np > this.ports[1]) {
          errs.push({ type: 'FieldValueInvalid', field: `spec.ports[${i}].nodePort`, badValue: np, detail: `provided port is not in the valid range. The range of valid ports is ${this.ports[0]}-${this.ports[1]}` });
        } else if (used.ports.has(String(np))) {
          errs.push({ type: 'FieldValueInvalid', field: `spec.ports[${i}].nodePort`, badValue: np, detail: 'provided port is already allocated' });
        } else { used.ports.add(String(np)); this.hold(`port:${np}`); }
      });
      ports.forEach((p) => {
        if (typeof p.nodePort === 'number' && p.nodePort > 0) return;
        const span = this.ports[1] - this.ports[0] + 1;
        let chosen = 0;
        for (let tries = 0; tries < 64 && !chosen; tries++) {
          const c = this.ports[0] + randomInt(span);
          if (!used.ports.has(String(c))) chosen = c;
        }
        for (let c = this.ports[0]; !chosen && c <= this.ports[1]; c++) if (!used.ports.has(String(c))) chosen = c;
        if (!chosen) throw new ApiError(500, 'InternalError', 'Internal error occurred: failed to allocate a nodePort: range is full');
        p.nodePort = chosen;
        used.ports.add(String(chosen));
        this.hold(`port:${chosen}`);
      });
    }
    if (old && type !== 'LoadBalancer' && (old.spec as Obj | undefined)?.type === 'LoadBalancer') {
      const oldSpec = old.spec as Obj;
      if (spec.allocateLoadBalancerNodePorts === oldSpec.allocateLoadBalancerNodePorts) delete spec.allocateLoadBalancerNodePorts;
      if (spec.loadBalancerClass === oldSpec.loadBalancerClass) delete spec.loadBalancerClass;
    }
    if (errs.length) throw ApiError.invalid('Service', name, errs);
  }
}
