import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../object.js';
import { createErrors, updateErrors, type Mutate } from './testutil.js';

const labelRe = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const dns1035 = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";

const ns = (): KubeObject => ({ metadata: { name: 'team-a' } });
const cm = (): KubeObject => ({ metadata: { name: 'cfg', namespace: 'default' }, data: { 'app.conf': 'x' } });
const secret = (): KubeObject => ({ metadata: { name: 's', namespace: 'default' }, data: { k: 'dmFs' } });
const sa = (): KubeObject => ({ metadata: { name: 'builder', namespace: 'default' } });
const svc = (): KubeObject => ({ metadata: { name: 'web', namespace: 'default' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } });
const ep = (): KubeObject => ({ metadata: { name: 'web', namespace: 'default' }, subsets: [{ addresses: [{ ip: '10.1.0.5' }], ports: [{ port: 80 }] }] });
const node = (): KubeObject => ({ metadata: { name: 'node-1' }, spec: {}, status: { capacity: { cpu: '4', memory: '8Gi', pods: '110' } } });
const pvc = (): KubeObject => ({ metadata: { name: 'data', namespace: 'default' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } });
const pv = (): KubeObject => ({ metadata: { name: 'pv1' }, spec: { accessModes: ['ReadWriteOnce'], capacity: { storage: '1Gi' }, hostPath: { path: '/data' } } });
const lr = (): KubeObject => ({ metadata: { name: 'lr', namespace: 'default' }, spec: { limits: [{ type: 'Container', max: { cpu: '2' }, min: { cpu: '100m' } }] } });
const rq = (): KubeObject => ({ metadata: { name: 'q', namespace: 'default' }, spec: { hard: { pods: '10', 'requests.cpu': '4' } } });
const ev = (): KubeObject => ({ metadata: { name: 'e1', namespace: 'default' }, involvedObject: { kind: 'Pod', name: 'p', namespace: 'default' }, reason: 'Started', message: 'ok' });
const lease = (): KubeObject => ({ metadata: { name: 'node-1', namespace: 'kube-node-lease' }, spec: { holderIdentity: 'node-1', leaseDurationSeconds: 40 } });
const slice = (): KubeObject => ({ metadata: { name: 'web-abc', namespace: 'default' }, addressType: 'IPv4', endpoints: [{ addresses: ['10.1.0.5'] }], ports: [{ port: 80 }] });
const pdb = (): KubeObject => ({ metadata: { name: 'web', namespace: 'default' }, spec: { minAvailable: 1, selector: { matchLabels: { app: 'web' } } } });
const pc = (): KubeObject => ({ metadata: { name: 'high' }, value: 1000 });
const evNew = (): KubeObject => ({ metadata: { name: 'e2', namespace: 'default' }, eventTime: '2024-01-01T00:00:00.000000Z', type: 'Normal', reason: 'Started', action: 'Start', reportingController: 'example.com/ctl', reportingInstance: 'ctl-1', regarding: { kind: 'Pod', name: 'p', namespace: 'default' } });

const cases: [string, string, () => KubeObject, Mutate, string[]][] = [
  ['Namespace', 'valid', ns, () => {}, []],
  ['Namespace', 'dots not allowed', ns, (n) => { n.metadata.name = 'team.a'; }, ['metadata.name: Invalid value: "team.a": must not contain dots']],
  ['Namespace', 'uppercase', ns, (n) => { n.metadata.name = 'Team'; }, [`metadata.name: Invalid value: "Team": ${labelRe}`]],
  ['Namespace', 'finalizer', ns, (n) => { n.spec = { finalizers: ['foo'] }; }, ['spec.finalizers: Invalid value: "foo": name is neither a standard finalizer name nor is it fully qualified']],
  ['ConfigMap', 'valid', cm, () => {}, []],
  ['ConfigMap', 'bad key', cm, (c) => { c.data = { 'a b': 'x' }; }, ["data[a b]: Invalid value: \"a b\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"]],
  ['ConfigMap', 'duplicate key in binaryData', cm, (c) => { c.binaryData = { 'app.conf': 'eA==' }; }, ['data[app.conf]: Invalid value: "app.conf": duplicate of key present in binaryData']],
  ['ConfigMap', 'too big', cm, (c) => { c.data = { big: 'x'.repeat(1024 * 1024 + 1) }; }, [': Too long: may not be more than 1048576 bytes']],
  ['Secret', 'valid', secret, () => {}, []],
  ['Secret', 'tls needs keys', secret, (s) => { s.type = 'kubernetes.io/tls'; }, ['data[tls.crt]: Required value', 'data[tls.key]: Required value']],
  ['Secret', 'dockerconfigjson must be JSON', secret, (s) => { s.type = 'kubernetes.io/dockerconfigjson'; s.data = { '.dockerconfigjson': Buffer.from('[1]').toString('base64') }; }, ['data[.dockerconfigjson]: Invalid value: "<secret contents redacted>": json: cannot unmarshal array into Go value of type map[string]interface {}']],
  ['Secret', 'service account token needs annotation', secret, (s) => { s.type = 'kubernetes.io/service-account-token'; }, ['metadata.annotations[kubernetes.io/service-account.name]: Required value']],
  ['ServiceAccount', 'valid', sa, () => {}, []],
  ['Service', 'valid', svc, () => {}, []],
  ['Service', 'name must be DNS-1035', svc, (s) => { s.metadata.name = '1web'; }, [`metadata.name: Invalid value: "1web": ${dns1035}`]],
  ['Service', 'no ports', svc, (s) => { s.spec.ports = []; }, ['spec.ports: Required value']],
  ['Service', 'port names required with several ports', svc, (s) => { s.spec.ports = [{ port: 80 }, { port: 443 }]; }, ['spec.ports[0].name: Required value', 'spec.ports[1].name: Required value']],
  ['Service', 'bad type', svc, (s) => { s.spec.type = 'Magic'; }, ['spec.type: Unsupported value: "Magic": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"']],
  ['Service', 'nodePort on ClusterIP', svc, (s) => { s.spec.ports[0].nodePort = 30080; }, ["spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"]],
  ['Service', 'duplicate port', svc, (s) => { s.spec.ports = [{ name: 'a', port: 80 }, { name: 'b', port: 80 }]; }, ['spec.ports[1]: Duplicate value: core.ServicePort{Name:"", Protocol:"TCP", AppProtocol:(*string)(nil), Port:80, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}']],
  ['Service', 'bad clusterIP', svc, (s) => { s.spec.clusterIP = '10.0.0'; }, ['spec.clusterIPs[0]: Invalid value: "10.0.0": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)']],
  ['Service', 'ExternalName', svc, (s) => { s.spec = { type: 'ExternalName', externalName: 'db.example.com' }; }, []],
  ['Service', 'ExternalName missing name', svc, (s) => { s.spec = { type: 'ExternalName' }; }, ['spec.externalName: Required value']],
  ['Service', 'bad targetPort', svc, (s) => { s.spec.ports[0].targetPort = 70000; }, ['spec.ports[0].targetPort: Invalid value: 70000: must be between 1 and 65535, inclusive']],
  ['Endpoints', 'valid', ep, () => {}, []],
  ['Endpoints', 'loopback', ep, (e) => { e.subsets[0].addresses[0].ip = '127.0.0.1'; }, ['subsets[0].addresses[0].ip: Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)']],
  ['Endpoints', 'no addresses', ep, (e) => { e.subsets[0].addresses = []; }, ['subsets[0]: Required value: must specify `addresses` or `notReadyAddresses`']],
  ['Node', 'valid', node, () => {}, []],
  ['Node', 'taints', node, (n) => { n.spec.taints = [{ key: 'k', effect: 'Sometimes' }, { key: 'a', effect: 'NoSchedule' }, { key: 'a', effect: 'NoSchedule' }]; }, ['metadata.taints[0].effect: Unsupported value: "Sometimes": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"', 'metadata.taints[2]: Duplicate value: {"key":"a","effect":"NoSchedule"}: taints must be unique by key and effect pair']],
  ['Node', 'namespace not allowed', node, (n) => { n.metadata.namespace = 'default'; }, ['metadata.namespace: Forbidden: not allowed on this type']],
  ['PersistentVolumeClaim', 'valid', pvc, () => {}, []],
  ['PersistentVolumeClaim', 'no access modes, zero storage', pvc, (p) => { p.spec.accessModes = []; p.spec.resources.requests.storage = '0'; }, ['spec.accessModes: Required value: at least 1 access mode is required', 'spec.resources[storage]: Invalid value: "0": must be greater than zero']],
  ['PersistentVolumeClaim', 'bad access mode', pvc, (p) => { p.spec.accessModes = ['ReadWriteSometimes']; }, ['spec.accessModes: Unsupported value: "ReadWriteSometimes": supported values: "ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"']],
  ['PersistentVolume', 'valid', pv, () => {}, []],
  ['PersistentVolume', 'no source', pv, (p) => { delete p.spec.hostPath; }, ['spec: Required value: must specify a volume type']],
  ['LimitRange', 'valid', lr, () => {}, []],
  ['LimitRange', 'min above max', lr, (l) => { l.spec.limits[0].min.cpu = '3'; }, ['spec.limits[0].min[cpu]: Invalid value: "3": min value 3 is greater than max value 2', 'spec.limits[0].defaultRequest[cpu]: Invalid value: "2": min value 3 is greater than default request value 2', 'spec.limits[0].default[cpu]: Invalid value: "3": min value 3 is greater than default value 2']],
  ['ResourceQuota', 'valid', rq, () => {}, []],
  ['ResourceQuota', 'pods must be integer; unknown resource', rq, (q) => { q.spec.hard = { pods: '1500m', foo: '1' }; }, ['spec.hard[pods]: Invalid value: "1500m": must be an integer', 'spec.hard[foo]: Invalid value: "foo": must be a standard resource for quota']],
  ['Event', 'valid', ev, () => {}, []],
  ['Event', 'namespace mismatch', ev, (e) => { e.involvedObject.namespace = 'other'; }, ['involvedObject.namespace: Invalid value: "other": does not match event.namespace']],
  ['Event.events.k8s.io', 'valid', evNew, () => {}, []],
  ['Event.events.k8s.io', 'strict rules', evNew, (e) => { e.type = 'Bad'; delete e.action; e.deprecatedCount = 3; }, ['action: Required value', 'type: Invalid value: "": has invalid value: Bad', 'count: Invalid value: "": needs to be unset']],
  ['Lease.coordination.k8s.io', 'valid', lease, () => {}, []],
  ['Lease.coordination.k8s.io', 'duration', lease, (l) => { l.spec.leaseDurationSeconds = 0; }, ['spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0']],
  ['EndpointSlice.discovery.k8s.io', 'valid', slice, () => {}, []],
  ['EndpointSlice.discovery.k8s.io', 'bad address and type', slice, (s) => { s.endpoints[0].addresses = ['fd00::1']; }, ['endpoints[0].addresses[0]: Invalid value: "fd00::1": must be a valid IPv4 address']],
  ['EndpointSlice.discovery.k8s.io', 'address type', slice, (s) => { s.addressType = 'IPv5'; }, ['addressType: Unsupported value: "IPv5": supported values: "FQDN", "IPv4", "IPv6"']],
  ['PodDisruptionBudget.policy', 'valid', pdb, () => {}, []],
  ['PodDisruptionBudget.policy', 'both set', pdb, (p) => { p.spec.maxUnavailable = '10%'; }, ['spec: Invalid value: {"minAvailable":1,"selector":{"matchLabels":{"app":"web"}},"maxUnavailable":"10%"}: minAvailable and maxUnavailable cannot be both set']],
  ['PriorityClass.scheduling.k8s.io', 'valid', pc, () => {}, []],
  ['PriorityClass.scheduling.k8s.io', 'too high', pc, (p) => { p.value = 2000000000; }, ['value: Forbidden: maximum allowed value of a user defined priority is 1000000000']],
  ['PriorityClass.scheduling.k8s.io', 'system prefix', pc, (p) => { p.metadata.name = 'system-foo'; }, ["metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: system-foo is not a known system priority class"]],
];

for (const [gk, name, base, mutate, want] of cases) {
  test(`${gk} create: ${name}`, () => assert.deepEqual(createErrors(gk, base, mutate), want));
}

test('ConfigMap and Secret update: immutable', () => {
  const imm = () => { const c = cm(); c.immutable = true; return c; };
  assert.deepEqual(updateErrors('ConfigMap', imm, (c) => { c.data = { 'app.conf': 'y' }; }), ['data: Forbidden: field is immutable when `immutable` is set']);
  const s = () => { const x = secret(); x.immutable = true; return x; };
  assert.deepEqual(updateErrors('Secret', s, (x) => { x.immutable = false; }), ['immutable: Forbidden: field is immutable when `immutable` is set']);
  assert.deepEqual(updateErrors('Secret', secret, (x) => { x.type = 'kubernetes.io/basic-auth'; x.data = { username: 'YQ==' }; }), ['type: Invalid value: "kubernetes.io/basic-auth": field is immutable']);
});

test('Service update: clusterIP may not change', () => {
  const withIP = () => { const s = svc(); (s.spec as any).clusterIP = '10.96.0.10'; return s; }; // eslint-disable-line @typescript-eslint/no-explicit-any
  assert.deepEqual(updateErrors('Service', withIP, (s) => { s.spec.clusterIP = '10.96.0.11'; s.spec.clusterIPs = ['10.96.0.11']; }), ['spec.clusterIPs[0]: Invalid value: []string{"10.96.0.11"}: may not change once set']);
  assert.deepEqual(updateErrors('Service', withIP, (s) => { s.spec.ports[0].port = 8080; }), []);
});

test('Namespace status update: phase must follow deletion', () => {
  assert.deepEqual(updateErrors('Namespace', ns, (n) => { n.status.phase = 'Terminating'; }, true), ["status.Phase: Invalid value: \"Terminating\": may only be 'Active' if `deletionTimestamp` is empty"]);
});

test('PVC update: spec is immutable except storage requests', () => {
  const errs = updateErrors('PersistentVolumeClaim', pvc, (p) => { p.spec.accessModes = ['ReadWriteMany']; });
  assert.equal(errs.length, 1);
  assert.ok(errs[0].startsWith('spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims\n'));
});

test('Node update: podCIDRs and providerID are set once', () => {
  const withCIDR = () => { const n = node(); (n.spec as any).podCIDRs = ['10.244.0.0/24']; (n.spec as any).providerID = 'p://1'; return n; }; // eslint-disable-line @typescript-eslint/no-explicit-any
  assert.deepEqual(updateErrors('Node', withCIDR, (n) => { n.spec.podCIDRs = ['10.244.1.0/24']; n.spec.providerID = 'p://2'; }), ['spec.podCIDRs[0]: Forbidden: may not change once set', 'spec.providerID: Forbidden: must not be changed once set']);
  assert.deepEqual(updateErrors('Node', node, (n) => { n.spec.unschedulable = true; }), []);
});

test('PriorityClass update: value is immutable', () => {
  assert.deepEqual(updateErrors('PriorityClass.scheduling.k8s.io', pc, (p) => { p.value = 5; }), ['value: Forbidden: may not be changed in an update.']);
});

test('PodTemplate: template validated with template paths', () => {
  const pt = (): KubeObject => ({ metadata: { name: 't', namespace: 'default' }, template: { metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'c', image: 'x' }] } } });
  assert.deepEqual(createErrors('PodTemplate', pt, () => {}), []);
  assert.deepEqual(createErrors('PodTemplate', pt, (p) => { p.template.spec.containers = []; p.template.spec.ephemeralContainers = [{ name: 'e', image: 'x' }]; }), [
    'template.spec.containers: Required value',
    'template.spec.ephemeralContainers: Forbidden: ephemeral containers not allowed in pod template',
  ]);
});

test('ControllerRevision: data is mandatory and immutable', () => {
  const cr = (): KubeObject => ({ metadata: { name: 'r', namespace: 'default' }, revision: 1, data: { a: 1 } });
  assert.deepEqual(createErrors('ControllerRevision.apps', cr, (c) => { delete c.data; c.revision = -1; }), ['data: Required value: data is mandatory', 'revision: Invalid value: -1: must be greater than or equal to 0']);
  assert.deepEqual(updateErrors('ControllerRevision.apps', cr, (c) => { c.data = { a: 2 }; }), ['data: Invalid value: {"a":2}: field is immutable']);
});

test('events.k8s.io Event update: note and regarding are immutable', () => {
  assert.deepEqual(updateErrors('Event.events.k8s.io', evNew, (e) => { e.note = 'changed'; e.series = { count: 1, lastObservedTime: '2024-01-01T00:00:01.000000Z' }; }), [
    'series.count: Invalid value: "": should be at least 2',
    'message: Invalid value: "changed": field is immutable',
  ]);
});
