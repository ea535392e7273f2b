/**
 * core/v1 defaulting as pkg/apis/core/v1/defaults.go (and the field defaults the generated
 * defaulters apply): pods and pod templates, services, namespaces, secrets, nodes, volumes,
 * persistent volumes and claims, limit ranges, endpoints, replication controllers.
 * Resource quantities are rewritten in canonical form, as Kubernetes' serialization does.
 */
import type { KubeObject } from '../object.js';
import { Quantity, tryParseQuantity } from '../quantity.js';

type Obj = Record<string, unknown>;

function obj(v: unknown): Obj | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : undefined;
}
function arr(v: unknown): Obj[] {
  return Array.isArray(v) ? (v.filter((x) => obj(x)) as Obj[]) : [];
}
function ensure(o: Obj, k: string): Obj {
  const v = obj(o[k]);
  if (v) return v;
  const n: Obj = {};
  o[k] = n;
  return n;
}
function unset(v: unknown): boolean {
  return v === undefined || v === null || v === '';
}

/**
 * SetDefaults_ResourceList: every quantity rounded up to milli scale and written in canonical
 * form ('1000m' → '1', '0.1m' → '1m').
 */
export function canonicalizeResourceList(list: unknown): void {
  const l = obj(list);
  if (!l) return;
  for (const [k, v] of Object.entries(l)) {
    const q = tryParseQuantity(v);
    if (!q) continue;
    const m = 1_000_000n;
    const rem = q.nanos % m;
    const rounded = rem === 0n ? q : new Quantity(q.nanos - rem + (q.nanos > 0n ? m : 0n), q.format);
    l[k] = rounded.toString();
  }
}

/** Image tag as ParseImageName sees it: 'latest' when neither tag nor digest is given. */
export function imageTag(image: string): string {
  let ref = image;
  const at = ref.indexOf('@');
  const hasDigest = at >= 0;
  if (hasDigest) ref = ref.slice(0, at);
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  const tag = colon > slash ? ref.slice(colon + 1) : '';
  if (!tag && !hasDigest) return 'latest';
  return tag;
}

function defaultHTTPGet(h: Obj | undefined): void {
  if (!h) return;
  if (unset(h.path)) h.path = '/';
  if (unset(h.scheme)) h.scheme = 'HTTP';
}

function defaultHandler(h: Obj | undefined): void {
  if (!h) return;
  defaultHTTPGet(obj(h.httpGet));
  const grpc = obj(h.grpc);
  if (grpc && grpc.service === undefined) grpc.service = '';
}

function defaultProbe(p: Obj | undefined): void {
  if (!p) return;
  if (unset(p.timeoutSeconds) || p.timeoutSeconds === 0) p.timeoutSeconds = 1;
  if (unset(p.periodSeconds) || p.periodSeconds === 0) p.periodSeconds = 10;
  if (unset(p.successThreshold) || p.successThreshold === 0) p.successThreshold = 1;
  if (unset(p.failureThreshold) || p.failureThreshold === 0) p.failureThreshold = 3;
  defaultHandler(p);
}

function defaultEnv(env: unknown): void {
  for (const e of arr(env)) {
    const vf = obj(e.valueFrom);
    if (!vf) continue;
    const fr = obj(vf.fieldRef);
    if (fr && unset(fr.apiVersion)) fr.apiVersion = 'v1';
    const rr = obj(vf.resourceFieldRef);
    if (rr) {
      if (rr.divisor === undefined || rr.divisor === null) rr.divisor = '0';
      else { const q = tryParseQuantity(rr.divisor); if (q) rr.divisor = q.toString(); }
    }
  }
}

export function defaultContainer(c: Obj): void {
  if (unset(c.imagePullPolicy)) {
    c.imagePullPolicy = imageTag(typeof c.image === 'string' ? c.image : '') === 'latest' ? 'Always' : 'IfNotPresent';
  }
  if (unset(c.terminationMessagePath)) c.terminationMessagePath = '/dev/termination-log';
  if (unset(c.terminationMessagePolicy)) c.terminationMessagePolicy = 'File';
  for (const p of arr(c.ports)) if (unset(p.protocol)) p.protocol = 'TCP';
  defaultEnv(c.env);
  if (c.resources === undefined || c.resources === null) c.resources = {};
  const res = obj(c.resources)!;
  canonicalizeResourceList(res.limits);
  canonicalizeResourceList(res.requests);
  defaultProbe(obj(c.livenessProbe));
  defaultProbe(obj(c.readinessProbe));
  defaultProbe(obj(c.startupProbe));
  const lc = obj(c.lifecycle);
  if (lc) {
    defaultHandler(obj(lc.postStart));
    defaultHandler(obj(lc.preStop));
  }
}

function defaultDownwardAPIItems(items: unknown): void {
  for (const it of arr(items)) {
    const fr = obj(it.fieldRef);
    if (fr && unset(fr.apiVersion)) fr.apiVersion = 'v1';
    const rr = obj(it.resourceFieldRef);
    if (rr) {
      if (rr.divisor === undefined || rr.divisor === null) rr.divisor = '0';
      else { const q = tryParseQuantity(rr.divisor); if (q) rr.divisor = q.toString(); }
    }
  }
}

const volumeSourceKeys = [
  'hostPath', 'emptyDir', 'gitRepo', 'gcePersistentDisk', 'awsElasticBlockStore', 'secret', 'nfs', 'iscsi', 'glusterfs',
  'persistentVolumeClaim', 'rbd', 'flexVolume', 'cinder', 'cephfs', 'flocker', 'downwardAPI', 'fc', 'azureFile', 'configMap',
  'vsphereVolume', 'quobyte', 'azureDisk', 'photonPersistentDisk', 'projected', 'portworxVolume', 'scaleIO', 'storageos',
  'csi', 'ephemeral', 'image',
];

export function defaultVolume(v: Obj): void {
  if (!volumeSourceKeys.some((k) => v[k] !== undefined && v[k] !== null)) v.emptyDir = {};
  const img = obj(v.image);
  if (img && unset(img.pullPolicy)) img.pullPolicy = imageTag(typeof img.reference === 'string' ? img.reference : '') === 'latest' ? 'Always' : 'IfNotPresent';
  const ed = obj(v.emptyDir);
  if (ed && ed.sizeLimit !== undefined && ed.sizeLimit !== null) { const q = tryParseQuantity(ed.sizeLimit); if (q) ed.sizeLimit = q.toString(); }
  const hp = obj(v.hostPath);
  if (hp && hp.type === undefined) hp.type = '';
  for (const k of ['secret', 'configMap', 'downwardAPI', 'projected']) {
    const s = obj(v[k]);
    if (s && (s.defaultMode === undefined || s.defaultMode === null)) s.defaultMode = 420;
  }
  defaultDownwardAPIItems(obj(v.downwardAPI)?.items);
  for (const src of arr(obj(v.projected)?.sources)) {
    const sat = obj(src.serviceAccountToken);
    if (sat && (sat.expirationSeconds === undefined || sat.expirationSeconds === null)) sat.expirationSeconds = 3600;
    defaultDownwardAPIItems(obj(src.downwardAPI)?.items);
  }
  const iscsi = obj(v.iscsi);
  if (iscsi && unset(iscsi.iscsiInterface)) iscsi.iscsiInterface = 'default';
  const rbd = obj(v.rbd);
  if (rbd) {
    if (unset(rbd.pool)) rbd.pool = 'rbd';
    if (unset(rbd.user)) rbd.user = 'admin';
    if (unset(rbd.keyring)) rbd.keyring = '/etc/ceph/keyring';
  }
  const ad = obj(v.azureDisk);
  if (ad) {
    if (unset(ad.cachingMode)) ad.cachingMode = 'ReadWrite';
    if (unset(ad.kind)) ad.kind = 'Shared';
    if (unset(ad.fsType)) ad.fsType = 'ext4';
    if (ad.readOnly === undefined) ad.readOnly = false;
  }
  const eph = obj(obj(v.ephemeral)?.volumeClaimTemplate);
  if (eph) defaultPVCSpec(ensure(eph, 'spec'));
}

/** SetDefaults_PodSpec and the defaults of everything inside a pod spec. */
export function defaultPodSpec(spec: Obj): void {
  // v1 ⇄ internal conversion: the deprecated serviceAccount mirrors serviceAccountName
  if (unset(spec.serviceAccountName) && !unset(spec.serviceAccount)) spec.serviceAccountName = spec.serviceAccount;
  if (!unset(spec.serviceAccountName)) spec.serviceAccount = spec.serviceAccountName;
  if (unset(spec.dnsPolicy)) spec.dnsPolicy = 'ClusterFirst';
  if (unset(spec.restartPolicy)) spec.restartPolicy = 'Always';
  if (spec.hostNetwork === true) {
    for (const c of [...arr(spec.containers), ...arr(spec.initContainers)]) {
      for (const p of arr(c.ports)) if (unset(p.hostPort) || p.hostPort === 0) p.hostPort = p.containerPort;
    }
  }
  if (spec.securityContext === undefined || spec.securityContext === null) spec.securityContext = {};
  if (spec.terminationGracePeriodSeconds === undefined || spec.terminationGracePeriodSeconds === null) spec.terminationGracePeriodSeconds = 30;
  if (unset(spec.schedulerName)) spec.schedulerName = 'default-scheduler';
  for (const v of arr(spec.volumes)) defaultVolume(v);
  for (const c of arr(spec.initContainers)) defaultContainer(c);
  for (const c of arr(spec.containers)) defaultContainer(c);
  for (const c of arr(spec.ephemeralContainers)) defaultContainer(c);
  canonicalizeResourceList(spec.overhead);
  const pr = obj(spec.resources);
  if (pr) { canonicalizeResourceList(pr.limits); canonicalizeResourceList(pr.requests); }
}

export function defaultPodTemplateSpec(t: unknown): void {
  const tpl = obj(t);
  if (!tpl) return;
  defaultPodSpec(ensure(tpl, 'spec'));
}

const systemPriorities: Record<string, number> = { 'system-node-critical': 2000001000, 'system-cluster-critical': 2000000000 };

/** SetDefaults_Pod (+ the Priority admission plugin's answer when there is no PriorityClass to look up). */
export function defaultPod(pod: KubeObject): void {
  const spec = ensure(pod as Obj, 'spec');
  // copy limits into requests where a request is unset (containers and init containers)
  for (const c of [...arr(spec.containers), ...arr(spec.initContainers)]) {
    const res = obj(c.resources);
    const limits = obj(res?.limits);
    if (!res || !limits) continue;
    const requests = ensure(res, 'requests');
    for (const [k, v] of Object.entries(limits)) if (!(k in requests)) requests[k] = v;
  }
  if (spec.enableServiceLinks === undefined || spec.enableServiceLinks === null) spec.enableServiceLinks = true;
  defaultPodSpec(spec);
  const pcn = typeof spec.priorityClassName === 'string' ? spec.priorityClassName : '';
  if (spec.priority === undefined || spec.priority === null) {
    if (!pcn) spec.priority = 0;
    else if (pcn in systemPriorities) spec.priority = systemPriorities[pcn];
  }
  if ((spec.preemptionPolicy === undefined || spec.preemptionPolicy === null) && (!pcn || pcn in systemPriorities)) {
    spec.preemptionPolicy = 'PreemptLowerPriority';
  }
}

export function defaultPodTemplate(pt: KubeObject): void {
  defaultPodTemplateSpec(ensure(pt as Obj, 'template'));
}

export function defaultReplicationController(rc: KubeObject): void {
  const spec = ensure(rc as Obj, 'spec');
  const tpl = obj(spec.template);
  const tplLabels = obj(obj(tpl?.metadata)?.labels) as Record<string, string> | undefined;
  if (tplLabels && Object.keys(tplLabels).length) {
    if (!obj(spec.selector) || Object.keys(obj(spec.selector)!).length === 0) spec.selector = { ...tplLabels };
    if (!rc.metadata.labels || Object.keys(rc.metadata.labels).length === 0) rc.metadata.labels = { ...tplLabels };
  }
  if (spec.replicas === undefined || spec.replicas === null) spec.replicas = 1;
  if (tpl) defaultPodTemplateSpec(tpl);
}

export function defaultService(svc: KubeObject): void {
  const spec = ensure(svc as Obj, 'spec');
  if (unset(spec.sessionAffinity)) spec.sessionAffinity = 'None';
  if (spec.sessionAffinity === 'None') delete spec.sessionAffinityConfig;
  if (spec.sessionAffinity === 'ClientIP') {
    const t = obj(obj(spec.sessionAffinityConfig)?.clientIP)?.timeoutSeconds;
    if (t === undefined || t === null) spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: 10800 } };
  }
  if (unset(spec.type)) spec.type = 'ClusterIP';
  for (const p of arr(spec.ports)) {
    if (unset(p.protocol)) p.protocol = 'TCP';
    if (p.targetPort === undefined || p.targetPort === null || p.targetPort === 0 || p.targetPort === '') p.targetPort = p.port;
  }
  const type = spec.type;
  // keep clusterIP and clusterIPs in step (the service strategy's normalization)
  if (type !== 'ExternalName') {
    const ips = Array.isArray(spec.clusterIPs) ? spec.clusterIPs : [];
    if (!unset(spec.clusterIP) && ips.length === 0) spec.clusterIPs = [spec.clusterIP];
    else if (unset(spec.clusterIP) && ips.length > 0) spec.clusterIP = ips[0];
  }
  const externallyAccessible = type === 'NodePort' || type === 'LoadBalancer' || (type === 'ClusterIP' && Array.isArray(spec.externalIPs) && spec.externalIPs.length > 0);
  if (externallyAccessible && unset(spec.externalTrafficPolicy)) spec.externalTrafficPolicy = 'Cluster';
  if ((type === 'NodePort' || type === 'LoadBalancer' || type === 'ClusterIP') && unset(spec.internalTrafficPolicy)) spec.internalTrafficPolicy = 'Cluster';
  if (type !== 'ExternalName') {
    // the IP-family fields are filled by the service registry on allocation; single-stack IPv4 here
    // headless services without a selector get every cluster family (RequireDualStack), as the service registry does
    const headlessNoSelector = spec.clusterIP === 'None' && Object.keys(obj(spec.selector) ?? {}).length === 0;
    if (unset(spec.ipFamilyPolicy)) spec.ipFamilyPolicy = headlessNoSelector ? 'RequireDualStack' : 'SingleStack';
    if (!Array.isArray(spec.ipFamilies) || spec.ipFamilies.length === 0) spec.ipFamilies = ['IPv4'];
  }
  if (type === 'LoadBalancer') {
    if (spec.allocateLoadBalancerNodePorts === undefined || spec.allocateLoadBalancerNodePorts === null) spec.allocateLoadBalancerNodePorts = true;
    for (const ing of arr(obj(obj((svc as Obj).status)?.loadBalancer)?.ingress)) {
      if (typeof ing.ip === 'string' && ing.ip && (ing.ipMode === undefined || ing.ipMode === null)) ing.ipMode = 'VIP';
    }
  }
}

export function defaultEndpoints(ep: KubeObject): void {
  for (const s of arr((ep as Obj).subsets)) for (const p of arr(s.ports)) if (unset(p.protocol)) p.protocol = 'TCP';
}

/**
 * Namespace: the `kubernetes.io/metadata.name` label (SetDefaults_Namespace), spec.finalizers
 * ['kubernetes'] (the strategy's PrepareForCreate) and status.phase Active.
 */
export function defaultNamespace(ns: KubeObject): void {
  const name = ns.metadata?.name;
  if (name) ns.metadata.labels = { ...(ns.metadata.labels ?? {}), 'kubernetes.io/metadata.name': name };
  const spec = ensure(ns as Obj, 'spec');
  if (!Array.isArray(spec.finalizers)) spec.finalizers = ['kubernetes'];
  const status = ensure(ns as Obj, 'status');
  if (unset(status.phase)) status.phase = 'Active';
}

/** Secret: type Opaque; stringData is write-only and merged into data (as v1 → internal conversion does). */
/** The Namespace strategy's PrepareForCreate: status Active and the `kubernetes` finalizer present. */
export function prepareNamespaceForCreate(ns: KubeObject): void {
  const spec = ensure(ns as Obj, 'spec');
  const fins = Array.isArray(spec.finalizers) ? (spec.finalizers as unknown[]) : [];
  if (!fins.includes('kubernetes')) spec.finalizers = [...fins, 'kubernetes'];
  (ns as Obj).status = { phase: 'Active' };
}

export function defaultSecret(s: KubeObject): void {
  const o = s as Obj;
  if (unset(o.type)) o.type = 'Opaque';
  const sd = obj(o.stringData);
  if (sd) {
    const data = ensure(o, 'data');
    for (const [k, v] of Object.entries(sd)) data[k] = Buffer.from(String(v), 'utf8').toString('base64');
    delete o.stringData;
  }
}

export function defaultNode(node: KubeObject): void {
  const status = obj((node as Obj).status);
  if (!status) return;
  canonicalizeResourceList(status.capacity);
  canonicalizeResourceList(status.allocatable);
  if ((status.allocatable === undefined || status.allocatable === null) && obj(status.capacity)) status.allocatable = { ...obj(status.capacity)! };
}

export function defaultPVCSpec(spec: Obj): void {
  if (unset(spec.volumeMode)) spec.volumeMode = 'Filesystem';
  const res = obj(spec.resources);
  if (res) { canonicalizeResourceList(res.requests); canonicalizeResourceList(res.limits); }
}

export function defaultPersistentVolumeClaim(pvc: KubeObject): void {
  defaultPVCSpec(ensure(pvc as Obj, 'spec'));
  const status = ensure(pvc as Obj, 'status');
  if (unset(status.phase)) status.phase = 'Pending';
}

export function defaultPersistentVolume(pv: KubeObject): void {
  const spec = ensure(pv as Obj, 'spec');
  if (unset(spec.persistentVolumeReclaimPolicy)) spec.persistentVolumeReclaimPolicy = 'Retain';
  if (unset(spec.volumeMode)) spec.volumeMode = 'Filesystem';
  canonicalizeResourceList(spec.capacity);
  const hp = obj(spec.hostPath);
  if (hp && hp.type === undefined) hp.type = '';
  const status = ensure(pv as Obj, 'status');
  if (unset(status.phase)) status.phase = 'Pending';
}

export function defaultLimitRange(lr: KubeObject): void {
  for (const item of arr(obj((lr as Obj).spec)?.limits)) {
    for (const k of ['max', 'min', 'default', 'defaultRequest', 'maxLimitRequestRatio']) canonicalizeResourceList(item[k]);
    if (item.type !== 'Container') continue;
    const def = ensure(item, 'default');
    const defReq = ensure(item, 'defaultRequest');
    for (const [k, v] of Object.entries(obj(item.max) ?? {})) if (!(k in def)) def[k] = v;
    for (const [k, v] of Object.entries(def)) if (!(k in defReq)) defReq[k] = v;
    for (const [k, v] of Object.entries(obj(item.min) ?? {})) if (!(k in defReq)) defReq[k] = v;
  }
}

export function defaultResourceQuota(rq: KubeObject): void {
  canonicalizeResourceList(obj((rq as Obj).spec)?.hard);
}
