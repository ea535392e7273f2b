/**
 * The service proxy (kube-proxy's job, nftables mode): watches Services and EndpointSlices and keeps
 * one nftables table in step with them.
 *
 *   informers ──► dirty service keys ──(batchMs)──► diff against the programmed model
 *                                                     │ only the changed service ports
 *                                                     ▼
 *                                          one `nft -f -` transaction
 *
 * The base table (maps, hooks, reject chains) is installed by `start()` before anything is
 * programmed, so an address in the service CIDR is rejected locally from the first moment; `stop()`
 * removes the table. A failed transaction leaves the model untouched and triggers a full resync
 * (the table is rebuilt in one transaction), so the kernel and the model cannot drift apart.
 */
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { KubeClient } from '../../client/types.js';
import type { KubeObject } from '../../api/object.js';
import { SharedInformers } from '../../client/shared-informers.js';
import type { Informer } from '../../client/informer.js';
import { Resources } from '../../client/resources.js';
import { runCommand } from '../../runtime/oci/run-command.js';
import { logger } from '../../util/log.js';
import { deleteTableRules, installBaseRules, removeServiceRules, serviceRules, type ProxyConfig, type ProxyServicePort } from './nft-rules.js';
import { samePort, servicePorts, SERVICE_NAME_LABEL, type LocalOverride } from './service-model.js';

const log = logger('service-proxy');

export interface ServiceProxyOptions {
  /** Informers to read from (started here if they are not yet). One of `informers` / `client` is required. */
  informers?: SharedInformers;
  client?: KubeClient;
  /** nftables table (family ip); default `peapod_proxy`. Tests use their own. */
  table?: string;
  /** Service ClusterIP range; default 10.96.0.0/12. */
  serviceCidr?: string;
  /** Pod range; default 10.88.0.0/16. */
  podCidr?: string;
  /** Pod bridge: ClusterIP DNAT in prerouting only for traffic from it (default: from anywhere). */
  podInterface?: string;
  /** Changes that arrive within this many ms are programmed together; default 10. */
  batchMs?: number;
  /** This node's name: endpoints with this EndpointSlice `nodeName` are the ones `Local` traffic policies use. */
  nodeName?: string;
  /** Node-local endpoints that replace a service's slices, by `namespace/name` (e.g. kube-system/kube-dns). */
  localOverrides?: Record<string, LocalOverride>;
  /** Runs one nft script; default `nft -f -`. */
  nft?: (script: string) => Promise<void>;
  /** Called after every programmed batch (metrics, benchmarks). */
  onSync?: (info: SyncInfo) => void;
}

export interface SyncInfo {
  /** Services (namespace/name) whose rules changed. */
  services: string[];
  /** Service ports added, changed or removed. */
  ports: number;
  /** nft commands in the transaction. */
  commands: number;
  /** Time spent in nft, ms. */
  nftMs: number;
  full: boolean;
}

async function runNft(script: string): Promise<void> {
  await runCommand('nft', ['-f', '-'], { input: script, timeoutMs: 60_000 });
}

export class ServiceProxy {
  readonly config: ProxyConfig;
  private readonly informers: SharedInformers;
  private readonly ownInformers: boolean;
  private readonly services: Informer<KubeObject>;
  private readonly slices: Informer<KubeObject>;
  private readonly nft: (script: string) => Promise<void>;
  private readonly batchMs: number;
  /** service key → its programmed ports by id */
  private readonly programmed = new Map<string, Map<string, ProxyServicePort>>();
  private readonly dirty = new Set<string>();
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private needFull = false;
  private started = false;
  private stopped = false;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly opts: ServiceProxyOptions) {
    if (!opts.informers && !opts.client) throw new Error('ServiceProxy: informers or client is required');
    const table = opts.table ?? 'peapod_proxy';
    if (!/^[A-Za-z][A-Za-z0-9_]{0,30}$/.test(table)) throw new Error(`ServiceProxy: invalid table name ${JSON.stringify(table)}`);
    for (const [k, v] of [['serviceCidr', opts.serviceCidr], ['podCidr', opts.podCidr]] as const) {
      if (v !== undefined && !/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(v)) throw new Error(`ServiceProxy: ${k} must be an IPv4 CIDR, not ${JSON.stringify(v)}`);
    }
    if (opts.podInterface !== undefined && !/^[A-Za-z0-9_.-]{1,15}$/.test(opts.podInterface)) throw new Error(`ServiceProxy: invalid podInterface ${JSON.stringify(opts.podInterface)}`);
    this.config = { table, serviceCidr: opts.serviceCidr ?? '10.96.0.0/12', podCidr: opts.podCidr ?? '10.88.0.0/16', podInterface: opts.podInterface };
    this.ownInformers = !opts.informers;
    this.informers = opts.informers ?? new SharedInformers(opts.client!);
    this.services = this.informers.for(Resources.services);
    this.slices = this.informers.for(Resources.endpointslices);
    this.nft = opts.nft ?? runNft;
    this.batchMs = opts.batchMs ?? 10;
  }

  /** Installs the base table, then programs every service once the informers have synced. */
  async start(): Promise<void> {
    if (this.started) throw new Error('ServiceProxy: already started');
    this.started = true;
    await this.nft(installBaseRules(this.config));
    this.slices.addIndexer('service-proxy', (s) => {
      const svc = s.metadata.labels?.[SERVICE_NAME_LABEL];
      return svc ? [`${s.metadata.namespace}/${svc}`] : [];
    });
    const svcKey = (o: { metadata: { namespace?: string; name?: string } }) => `${o.metadata.namespace}/${o.metadata.name}`;
    const sliceKey = (o: KubeObject) => {
      const svc = o.metadata.labels?.[SERVICE_NAME_LABEL];
      return svc ? `${o.metadata.namespace}/${svc}` : undefined;
    };
    this.services.addEventHandler({
      onAdd: (o) => this.markDirty(svcKey(o)),
      onUpdate: (_, o) => this.markDirty(svcKey(o)),
      onDelete: (o) => this.markDirty(svcKey(o)),
    });
    const onSlice = (o: KubeObject) => { const k = sliceKey(o); if (k) this.markDirty(k); };
    this.slices.addEventHandler({ onAdd: onSlice, onUpdate: (a, b) => { onSlice(a); onSlice(b); }, onDelete: onSlice });
    await Promise.all([this.services.start(), this.slices.start()]);
    for (const s of this.services.list()) this.dirty.add(svcKey(s));
    await this.flush();
  }

  /** Resolves once every change seen so far is programmed. */
  async synced(): Promise<void> {
    while (!this.stopped && (this.timer || this.running || this.dirty.size)) {
      if (this.running) await this.running;
      else await new Promise<void>((r) => this.idleWaiters.push(r));
    }
  }

  /** The programmed service ports (a copy), for tests and status. */
  programmedPorts(): ProxyServicePort[] {
    return [...this.programmed.values()].flatMap((m) => [...m.values()]).map((p) => structuredClone(p));
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) { clearTimeout(this.timer); this.timer = undefined; }
    if (this.ownInformers) this.informers.stop();
    await this.running?.catch(() => undefined);
    if (this.started) await this.nft(deleteTableRules(this.config));
    this.programmed.clear();
    for (const w of this.idleWaiters.splice(0)) w();
  }

  private markDirty(key: string): void {
    if (this.stopped) return;
    this.dirty.add(key);
    if (!this.timer && this.services.hasSynced && this.slices.hasSynced) {
      this.timer = setTimeout(() => { this.timer = undefined; void this.flush(); }, this.batchMs);
    }
  }

  /** Programs the dirty services (one transaction); runs one batch at a time. */
  private async flush(): Promise<void> {
    if (this.running) { await this.running; if (this.dirty.size && !this.timer) return this.flush(); return; }
    if (this.stopped) return;
    this.running = this.programDirty().catch((err: unknown) => {
      // a bug, not nft: never let it escape a timer; rebuild everything on the next round
      log.error('programming services failed; rebuilding the table', { err: err instanceof Error ? err.stack : String(err) });
      this.needFull = true;
      for (const k of this.programmed.keys()) this.dirty.add(k);
      for (const o of this.services.list()) this.dirty.add(`${o.metadata.namespace}/${o.metadata.name}`);
    }).finally(() => { this.running = undefined; });
    await this.running;
    if (this.dirty.size && !this.timer && !this.stopped) {
      this.timer = setTimeout(() => { this.timer = undefined; void this.flush(); }, this.needFull ? 1000 : this.batchMs);
    }
    if (!this.dirty.size && !this.timer) for (const w of this.idleWaiters.splice(0)) w();
  }

  private desired(key: string): Map<string, ProxyServicePort> {
    const svc = this.services.get(key);
    const out = new Map<string, ProxyServicePort>();
    if (!svc) return out;
    const slices = this.slices.byIndex('service-proxy', key) as unknown as EndpointSlice[];
    for (const p of servicePorts(svc as unknown as Service, slices, this.opts.localOverrides?.[key], this.opts.nodeName)) out.set(p.id, p);
    return out;
  }

  private async programDirty(): Promise<void> {
    const keys = this.needFull ? [...new Set([...this.dirty, ...this.programmed.keys(), ...this.services.list().map((s) => `${s.metadata.namespace}/${s.metadata.name}`)])] : [...this.dirty];
    this.dirty.clear();
    const full = this.needFull;
    const next = new Map<string, Map<string, ProxyServicePort>>();
    const script: string[] = [];
    const changedServices: string[] = [];
    let ports = 0;
    if (full) script.push(installBaseRules(this.config));
    for (const key of keys) {
      const want = this.desired(key);
      const have = full ? new Map<string, ProxyServicePort>() : (this.programmed.get(key) ?? new Map<string, ProxyServicePort>());
      let changed = false;
      for (const [id, p] of have) if (!want.has(id)) { script.push(removeServiceRules(this.config, p)); ports++; changed = true; }
      for (const [id, p] of want) {
        const prev = have.get(id);
        if (samePort(prev, p)) continue;
        script.push(serviceRules(this.config, p, prev));
        ports++;
        changed = true;
      }
      next.set(key, want);
      if (changed) changedServices.push(key);
    }
    if (!script.length) return;
    const text = script.join('');
    const t0 = performance.now();
    try {
      await this.nft(text);
    } catch (err) {
      if (this.stopped) return;
      log.error('nft transaction failed; rebuilding the table', { services: changedServices.length, err: err instanceof Error ? err.message : String(err) });
      for (const k of keys) this.dirty.add(k);
      this.needFull = true;
      return;
    }
    const nftMs = performance.now() - t0;
    if (full) this.programmed.clear();
    this.needFull = false;
    for (const [k, m] of next) { if (m.size) this.programmed.set(k, m); else this.programmed.delete(k); }
    const commands = text.split('\n').filter((l) => l.length > 0 && !l.startsWith(' ')).length;
    log.debug('programmed', { services: changedServices.length, ports, commands, ms: Math.round(nftMs) });
    this.opts.onSync?.({ services: changedServices, ports, commands, nftMs, full });
  }
}

