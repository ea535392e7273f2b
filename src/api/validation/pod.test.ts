import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../object.js';
import { createErrors, updateErrors, type Mutate } from './testutil.js';

const pod = (): KubeObject => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'default' },
  spec: { containers: [{ name: 'app', image: 'nginx:1.25' }] },
});

const subdomainRe = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const labelRe = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

const createCases: [string, Mutate, string[]][] = [
  ['valid pod', () => {}, []],
  ['uppercase name', (p) => { p.metadata.name = 'Web'; }, [`metadata.name: Invalid value: "Web": ${subdomainRe}`]],
  ['missing name', (p) => { delete p.metadata.name; }, ['metadata.name: Required value: name or generateName is required']],
  ['generateName with trailing dash is fine', (p) => { p.metadata.generateName = 'web-'; }, []],
  ['missing namespace', (p) => { delete p.metadata.namespace; }, ['metadata.namespace: Required value']],
  ['bad label value', (p) => { p.metadata.labels = { app: 'a b' }; }, ["metadata.labels: Invalid value: \"a b\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"]],
  ['no containers', (p) => { p.spec.containers = []; }, ['spec.containers: Required value']],
  ['restartPolicy', (p) => { p.spec.restartPolicy = 'Sometimes'; }, ['spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "Never", "OnFailure"']],
  ['dnsPolicy', (p) => { p.spec.dnsPolicy = 'Foo'; }, ['spec.dnsPolicy: Unsupported value: "Foo": supported values: "ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"']],
  ['container name', (p) => { p.spec.containers[0].name = 'App_1'; }, [`spec.containers[0].name: Invalid value: "App_1": ${labelRe}`]],
  ['container without name and image', (p) => { p.spec.containers[0] = {}; }, ['spec.containers[0].name: Required value', 'spec.containers[0].image: Required value']],
  ['duplicate container', (p) => { p.spec.containers.push({ ...p.spec.containers[0] }); }, ['spec.containers[1].name: Duplicate value: "app"']],
  ['imagePullPolicy', (p) => { p.spec.containers[0].imagePullPolicy = 'Sometimes'; }, ['spec.containers[0].imagePullPolicy: Unsupported value: "Sometimes": supported values: "Always", "IfNotPresent", "Never"']],
  ['port 0 and protocol', (p) => { p.spec.containers[0].ports = [{ containerPort: 0, protocol: 'ICMP' }]; }, ['spec.containers[0].ports[0].containerPort: Required value', 'spec.containers[0].ports[0].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"']],
  ['port too big and bad name', (p) => { p.spec.containers[0].ports = [{ name: 'HTTP', containerPort: 70000, protocol: 'TCP' }]; }, ['spec.containers[0].ports[0].name: Invalid value: "HTTP": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)', 'spec.containers[0].ports[0].name: Invalid value: "HTTP": must contain at least one letter (a-z)', 'spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive']],
  ['host port conflict', (p) => { p.spec.containers[0].ports = [{ containerPort: 80, hostPort: 8080, protocol: 'TCP' }]; p.spec.containers.push({ name: 'b', image: 'x', ports: [{ containerPort: 81, hostPort: 8080, protocol: 'TCP' }] }); }, ['spec.containers[1].ports[0].hostPort: Duplicate value: "TCP//8080"']],
  ['requests above limits', (p) => { p.spec.containers[0].resources = { requests: { cpu: '2', memory: '1Gi' }, limits: { cpu: '1', memory: '512Mi' } }; }, ['spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1', 'spec.containers[0].resources.requests: Invalid value: "1Gi": must be less than or equal to memory limit of 512Mi']],
  ['negative and unknown resource', (p) => { p.spec.containers[0].resources = { requests: { cpu: '-1', foo: '1' } }; }, ['spec.containers[0].resources.requests[cpu]: Invalid value: "-1": must be greater than or equal to 0', 'spec.containers[0].resources.requests[foo]: Invalid value: "foo": must be a standard resource type or fully qualified', 'spec.containers[0].resources.requests[foo]: Invalid value: "foo": must be a standard resource for containers']],
  ['extended resource must be integer', (p) => { p.spec.containers[0].resources = { limits: { 'example.com/gpu': '500m' } }; }, ['spec.containers[0].resources.limits[example.com/gpu]: Invalid value: "500m": must be an integer', 'spec.containers[0].resources.requests[example.com/gpu]: Invalid value: "500m": must be an integer']],
  ['env name and valueFrom', (p) => { p.spec.containers[0].env = [{ name: '' }, { name: 'A', value: 'x', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }, { name: 'B', valueFrom: {} }]; }, ['spec.containers[0].env[0].name: Required value', 'spec.containers[0].env[0].name: Invalid value: "": environment variable name must be non-empty', 'spec.containers[0].env[1].valueFrom: Invalid value: "": may not be specified when `value` is not empty', 'spec.containers[0].env[2].valueFrom: Invalid value: "": must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`']],
  ['env fieldRef unsupported', (p) => { p.spec.containers[0].env = [{ name: 'X', valueFrom: { fieldRef: { fieldPath: 'spec.foo' } } }, { name: 'Y', valueFrom: { fieldRef: { fieldPath: 'metadata.labels' } } }]; }, ['spec.containers[0].env[0].valueFrom.fieldRef.fieldPath: Invalid value: "spec.foo": error converting fieldPath: field label not supported: spec.foo', 'spec.containers[0].env[1].valueFrom.fieldRef.fieldPath: Unsupported value: "metadata.labels": supported values: "metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName", "spec.serviceAccountName", "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs"']],
  ['volume mount not found', (p) => { p.spec.containers[0].volumeMounts = [{ name: 'data', mountPath: '/data' }]; }, ['spec.containers[0].volumeMounts[0].name: Not found: "data"']],
  ['volume without a source gets emptyDir; duplicate volume', (p) => { p.spec.volumes = [{ name: 'v', emptyDir: {} }, { name: 'v', emptyDir: {} }]; }, ['spec.volumes[1].name: Duplicate value: "v"']],
  ['two volume sources', (p) => { p.spec.volumes = [{ name: 'v', emptyDir: {}, hostPath: { path: '/x', type: '' } }]; }, ['spec.volumes[0].hostPath: Forbidden: may not specify more than 1 volume type']],
  ['secret volume needs a name', (p) => { p.spec.volumes = [{ name: 's', secret: { defaultMode: 420 } }]; }, ['spec.volumes[0].secret.secretName: Required value']],
  ['probe without handler, bad successThreshold', (p) => { p.spec.containers[0].livenessProbe = { successThreshold: 2 }; }, ['spec.containers[0].livenessProbe: Required value: must specify a handler type', 'spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1']],
  ['httpGet port name', (p) => { p.spec.containers[0].readinessProbe = { httpGet: { port: 'web_port' } }; }, ['spec.containers[0].readinessProbe.httpGet.port: Invalid value: "web_port": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)']],
  ['init container probes forbidden', (p) => { p.spec.initContainers = [{ name: 'init', image: 'busybox', livenessProbe: { exec: { command: ['true'] } } }]; }, ['spec.initContainers[0].livenessProbe: Forbidden: may not be set for init containers without restartPolicy=Always']],
  ['init container name clash', (p) => { p.spec.initContainers = [{ name: 'app', image: 'busybox' }]; }, ['spec.initContainers[0].name: Duplicate value: "app"']],
  ['restartPolicy on regular container', (p) => { p.spec.containers[0].restartPolicy = 'Always'; }, ['spec.containers[0].restartPolicy: Forbidden: may not be set for non-init containers']],
  ['ephemeral containers on create', (p) => { p.spec.ephemeralContainers = [{ name: 'debug', image: 'busybox' }]; }, ['spec.ephemeralContainers: Forbidden: cannot be set on create']],
  ['toleration operator', (p) => { p.spec.tolerations = [{ operator: 'Equal', value: 'x' }, { key: 'k', operator: 'Foo' }]; }, ['spec.tolerations[0].operator: Invalid value: "Equal": operator must be Exists when `key` is empty, which means "match all values and all keys"', 'spec.tolerations[1].operator: Unsupported value: "Foo": supported values: "Equal", "Exists"']],
  ['activeDeadlineSeconds 0', (p) => { p.spec.activeDeadlineSeconds = 0; }, ['spec.activeDeadlineSeconds: Invalid value: 0: must be between 1 and 2147483647, inclusive']],
  ['nodeName', (p) => { p.spec.nodeName = 'Node_1'; }, [`spec.nodeName: Invalid value: "Node_1": ${subdomainRe}`]],
  ['runAsUser out of range', (p) => { p.spec.securityContext = { runAsUser: -1 }; }, ['spec.securityContext.runAsUser: Invalid value: -1: must be between 0 and 4294967295, inclusive']],
  ['privilege escalation', (p) => { p.spec.containers[0].securityContext = { allowPrivilegeEscalation: false, privileged: true }; }, ['spec.containers[0].securityContext: Invalid value: {"allowPrivilegeEscalation":false,"privileged":true}: cannot set `allowPrivilegeEscalation` to false and `privileged` to true']],
  ['node affinity empty terms', (p) => { p.spec.affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] } } }; }, ['spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms: Required value: must have at least one node selector term']],
  ['dnsPolicy None needs config', (p) => { p.spec.dnsPolicy = 'None'; }, ['spec.dnsConfig: Required value: must provide `dnsConfig` when `dnsPolicy` is None']],
  ['hostNetwork hostPort must match', (p) => { p.spec.hostNetwork = true; p.spec.containers[0].ports = [{ containerPort: 80, hostPort: 81, protocol: 'TCP' }]; }, ['spec.containers[0].ports[0].hostPort: Invalid value: 81: must match `containerPort` when `hostNetwork` is true']],
  ['projected token without service account', (p) => { p.spec.volumes = [{ name: 't', projected: { defaultMode: 420, sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: 3600 } }] } }]; }, ['spec.volumes[0].projected.sources[0].serviceAccountToken: Forbidden: must not be specified when serviceAccountName is not set']],
];

test('Pod create: terminationGracePeriodSeconds, dnsPolicy and restartPolicy are required after defaulting', () => {
  assert.deepEqual(createErrors('Pod', pod, () => {}, (p) => { delete p.spec.terminationGracePeriodSeconds; p.spec.dnsPolicy = ''; p.spec.restartPolicy = ''; }), [
    'spec.terminationGracePeriodSeconds: Required value', 'spec.restartPolicy: Required value', 'spec.dnsPolicy: Required value',
  ]);
});

for (const [name, mutate, want] of createCases) {
  test(`Pod create: ${name}`, () => assert.deepEqual(createErrors('Pod', pod, mutate), want));
}

const updatable = 'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

test('Pod update: image may change', () => {
  assert.deepEqual(updateErrors('Pod', pod, (p) => { p.spec.containers[0].image = 'nginx:1.26'; }), []);
});
test('Pod update: labels may change', () => {
  assert.deepEqual(updateErrors('Pod', pod, (p) => { p.metadata.labels = { a: 'b' }; }), []);
});
test('Pod update: other spec fields are forbidden, with the diff', () => {
  const errs = updateErrors('Pod', pod, (p) => { p.spec.restartPolicy = 'Never'; });
  assert.equal(errs.length, 1);
  assert.ok(errs[0].startsWith(`spec: Forbidden: ${updatable}\n`), errs[0]);
  assert.match(errs[0], /\n  core\.PodSpec\{\n/);
  assert.match(errs[0], /\n- \tRestartPolicy: +"Always",\n\+ \tRestartPolicy: +"Never",\n/);
  assert.match(errs[0], /\n  \t\.\.\. \/\/ \d+ identical fields\n  \}\n$/);
});
test('Pod update: adding a container', () => {
  assert.deepEqual(updateErrors('Pod', pod, (p) => { p.spec.containers.push({ name: 'b', image: 'x' }); }), ['spec.containers: Forbidden: pod updates may not add or remove containers']);
});
test('Pod update: empty image', () => {
  const errs = updateErrors('Pod', pod, (p) => { p.spec.containers[0].image = ''; });
  assert.deepEqual(errs, ['spec.containers[0].image: Required value']);
});
test('Pod update: activeDeadlineSeconds may only shrink', () => {
  const base = () => { const p = pod(); (p.spec as any).activeDeadlineSeconds = 30; return p; }; // eslint-disable-line @typescript-eslint/no-explicit-any
  assert.deepEqual(updateErrors('Pod', base, (p) => { p.spec.activeDeadlineSeconds = 10; }), []);
  assert.deepEqual(updateErrors('Pod', base, (p) => { p.spec.activeDeadlineSeconds = 60; }), ['spec.activeDeadlineSeconds: Invalid value: 60: must be less than or equal to previous value']);
  assert.deepEqual(updateErrors('Pod', base, (p) => { delete p.spec.activeDeadlineSeconds; }), ['spec.activeDeadlineSeconds: Invalid value: null: must not update from a positive integer to nil value']);
});
test('Pod update: tolerations may only be added', () => {
  const base = () => { const p = pod(); (p.spec as any).tolerations = [{ key: 'a', operator: 'Exists' }]; return p; }; // eslint-disable-line @typescript-eslint/no-explicit-any
  assert.deepEqual(updateErrors('Pod', base, (p) => { p.spec.tolerations.push({ key: 'b', operator: 'Exists' }); }), []);
  assert.deepEqual(updateErrors('Pod', base, (p) => { p.spec.tolerations = []; }), ['spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds']);
});
test('Pod update: metadata immutability and resourceVersion', () => {
  assert.deepEqual(updateErrors('Pod', pod, (p) => { p.metadata.uid = 'other'; p.metadata.namespace = 'x'; }), [
    'metadata.namespace: Invalid value: "x": field is immutable',
    'metadata.uid: Invalid value: "other": field is immutable',
  ]);
  assert.deepEqual(updateErrors('Pod', pod, (p) => { delete p.metadata.resourceVersion; }), ['metadata.resourceVersion: Invalid value: "": must be specified for an update']);
  assert.deepEqual(updateErrors('Pod', pod, (p) => { p.metadata.creationTimestamp = '2025-01-01T00:00:00Z'; }), ['metadata.creationTimestamp: Invalid value: "2025-01-01T00:00:00Z": field is immutable']);
});
test('Pod update: mirror pod annotation', () => {
  assert.deepEqual(updateErrors('Pod', pod, (p) => { p.metadata.annotations = { 'kubernetes.io/config.mirror': 'x' }; }), [
    'metadata.annotations[kubernetes.io/config.mirror]: Invalid value: "x": must set spec.nodeName if mirror pod annotation is set',
    'metadata.annotations[kubernetes.io/config.mirror]: Forbidden: may not add mirror pod annotation',
  ]);
});
test('Pod update: no new finalizers while deleting', () => {
  const base = () => { const p = pod(); p.metadata.deletionTimestamp = '2024-02-01T00:00:00Z'; return p; };
  assert.deepEqual(updateErrors('Pod', base, (p) => { p.metadata.finalizers = ['example.com/f']; }), ['metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"example.com/f"}']);
});
test('Pod status update: nodeName and terminated containers', () => {
  const base = () => { const p = pod(); (p.spec as any).restartPolicy = 'Never'; p.status = { containerStatuses: [{ name: 'app', state: { terminated: { exitCode: 0 } } }] }; return p; }; // eslint-disable-line @typescript-eslint/no-explicit-any
  assert.deepEqual(updateErrors('Pod', base, (p) => { p.status.containerStatuses[0].state = { running: {} }; }, true), ['status.containerStatuses[0].state: Forbidden: may not be transitioned to non-terminated state']);
  assert.deepEqual(updateErrors('Pod', base, (p) => { p.spec.nodeName = 'n1'; }, true), ['status.nodeName: Forbidden: may not be changed directly']);
  assert.deepEqual(updateErrors('Pod', base, (p) => { p.status.podIP = '10.0.0.1'; p.status.podIPs = [{ ip: '10.0.0.1' }]; }, true), []);
});

test('Pod status update: pod and host IPs', () => {
  const base = () => { const p = pod(); p.status = {}; return p; };
  assert.deepEqual(updateErrors('Pod', base, (p) => { p.status.podIPs = [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }]; }, true), ['status.podIPs: Invalid value: [{"ip":"10.0.0.1"},{"ip":"10.0.0.2"}]: may specify no more than one IP for each IP family']);
  assert.deepEqual(updateErrors('Pod', base, (p) => { p.status.hostIP = '10.0.0.9'; p.status.hostIPs = [{ ip: '10.0.0.1' }]; }, true), ['status.hostIPs[0].ip: Invalid value: "10.0.0.1": must be equal to `hostIP`']);
  assert.deepEqual(updateErrors('Pod', base, (p) => { p.status.podIPs = [{ ip: 'x' }]; }, true), ['status.podIPs[0]: Invalid value: "x": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)']);
});

test('Pod create: windows options on a linux pod', () => {
  assert.deepEqual(createErrors('Pod', pod, (p) => { p.spec.os = { name: 'linux' }; p.spec.containers[0].securityContext = { windowsOptions: { runAsUserName: 'x' } }; }), ['spec.containers[0].securityContext.windowsOptions: Forbidden: windows options cannot be set for a linux pod']);
});

test('Pod create: projected and downward API volumes', () => {
  assert.deepEqual(createErrors('Pod', pod, (p) => {
    p.spec.serviceAccountName = 'sa';
    p.spec.volumes = [
      { name: 'proj', projected: { sources: [{ configMap: { name: 'a', items: [{ key: 'k', path: 'x' }] }, secret: { name: 's', items: [{ key: 'k', path: 'x' }] } }, { serviceAccountToken: { path: '../t', expirationSeconds: 60 } }] } },
      { name: 'dapi', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'spec.nodeName' } }, { path: '..x' }] } },
    ];
  }), [
    'spec.volumes[0].projected: Invalid value: "a": conflicting duplicate paths',
    'spec.volumes[0].projected.sources[0]: Forbidden: may not specify more than 1 volume type per source',
    'spec.volumes[0].projected.sources[1].serviceAccountToken.expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes',
    'spec.volumes[0].projected.path: Invalid value: "../t": must not contain \'..\'',
    'spec.volumes[1].downwardAPI.fieldRef.fieldPath: Unsupported value: "spec.nodeName": supported values: "metadata.annotations", "metadata.labels", "metadata.name", "metadata.namespace", "metadata.uid"',
    'spec.volumes[1].downwardAPI.path: Invalid value: "..x": must not start with \'..\'',
    'spec.volumes[1].downwardAPI: Required value: one of fieldRef and resourceFieldRef is required',
  ]);
});

test('Pod create: sysctls', () => {
  assert.deepEqual(createErrors('Pod', pod, (p) => { p.spec.hostNetwork = true; p.spec.securityContext = { sysctls: [{ name: 'net.core.somaxconn', value: '1' }, { name: 'Bad..', value: '1' }, { name: 'kernel.shm_rmid_forced', value: '1' }, { name: 'kernel.shm_rmid_forced', value: '1' }] }; }), [
    "spec.securityContext.sysctls[0].name: Invalid value: \"net.core.somaxconn\": may not be specified when 'hostNetwork' is true",
    'spec.securityContext.sysctls[1].name: Invalid value: "Bad..": must have at most 253 characters and match regex ^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[\\./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?$',
    'spec.securityContext.sysctls[3].name: Duplicate value: "kernel.shm_rmid_forced"',
  ]);
});

test('Pod create: pod-specific annotations', () => {
  assert.deepEqual(createErrors('Pod', pod, (p) => { p.metadata.annotations = { 'kubernetes.io/config.mirror': 'abc', 'controller.kubernetes.io/pod-deletion-cost': 'x' }; }), [
    'metadata.annotations[kubernetes.io/config.mirror]: Invalid value: "abc": must set spec.nodeName if mirror pod annotation is set',
    'metadata.annotations[controller.kubernetes.io/pod-deletion-cost]: Invalid value: "x": must be a 32bit integer',
  ]);
});

test('Pod create: hugepages need cpu or memory and whole pages', () => {
  assert.deepEqual(createErrors('Pod', pod, (p) => { p.spec.containers[0].resources = { limits: { 'hugepages-2Mi': '3Mi' } }; }), [
    'spec.containers[0].resources.limits[hugepages-2Mi]: Invalid value: "3Mi": 3Mi is not positive integer multiple of hugepages-2Mi',
    'spec.containers[0].resources.requests[hugepages-2Mi]: Invalid value: "3Mi": 3Mi is not positive integer multiple of hugepages-2Mi',
    'spec.containers[0].resources: Forbidden: HugePages require cpu or memory',
  ]);
});
