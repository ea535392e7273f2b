import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ApiError } from '../errors.js';
import type { KubeObject, ObjectMeta } from '../object.js';
import { decodeProtobufBody } from './decode.js';
import { encodeProtobufObject } from './encode.js';
import { k8sSchema } from './schema.js';
import { bodyBytes, loadCapture, protobufRequests } from './test-fixtures.js';

/** Drops what decoding adds by Go's rules (null, empty structs) so values can be compared. */
function prune(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(prune);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const p = prune(x);
      if (p === null || p === undefined) continue;
      if (typeof p === 'object' && !Array.isArray(p) && Object.keys(p).length === 0) continue;
      out[k] = p;
    }
    return out;
  }
  return v;
}

describe('re-encoding what kubectl sent gives the same bytes (Go field order and presence rules)', () => {
  for (const version of ['1.32', '1.33']) {
    for (const [name, , q] of protobufRequests(loadCapture(version))) {
      test(`kubectl ${version} ${name}`, () => {
        const sent = bodyBytes(q);
        const decoded = decodeProtobufBody(sent);
        const again = encodeProtobufObject(decoded);
        if (version === '1.32' && decoded.kind === 'Pod') {
          // Our schema has PodStatus.observedGeneration (field 17, Kubernetes 1.33), which Go
          // always writes; kubectl 1.32 does not know it. Everything else must be identical.
          assert.deepEqual(decodeProtobufBody(again), decoded);
          assert.equal(again.length, sent.length + 3);
          return;
        }
        assert.equal(again.toString('hex'), sent.toString('hex'));
      });
    }
  }
});

const meta = (name: string, namespace?: string): ObjectMeta => ({
  name, ...(namespace ? { namespace } : {}), uid: 'u-1', resourceVersion: '42', generation: 3,
  creationTimestamp: '2025-05-06T07:08:09Z', deletionTimestamp: '2025-05-06T07:09:09Z', deletionGracePeriodSeconds: 30,
  labels: { app: 'web', 'z/last': '1', a: '' }, annotations: { note: 'ü ✓ "quoted"' }, finalizers: ['example.com/f'],
  ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'o-1', controller: true, blockOwnerDeletion: false }],
  managedFields: [{ manager: 'kubectl', operation: 'Apply', apiVersion: 'v1', time: '2025-05-06T07:08:09Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': { 'f:labels': { '.': {} } } } }],
});

const podSpec = {
  volumes: [
    { name: 'cfg', configMap: { name: 'cm', items: [{ key: 'k', path: 'p', mode: 0o600 }], defaultMode: 420 } },
    { name: 'tmp', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } },
    { name: 'proj', projected: { sources: [{ serviceAccountToken: { audience: 'api', expirationSeconds: 3600, path: 'token' } }] } },
    { name: 'pvc', persistentVolumeClaim: { claimName: 'data', readOnly: true } },
  ],
  initContainers: [{ name: 'init', image: 'busybox', command: ['sh', '-c', 'true'] }],
  containers: [{
    name: 'web', image: 'nginx:1.25', args: ['-g', 'daemon off;'], workingDir: '/w',
    ports: [{ name: 'http', containerPort: 80, protocol: 'TCP', hostPort: 8080 }],
    env: [{ name: 'A', value: '1' }, { name: 'B', valueFrom: { secretKeyRef: { name: 's', key: 'k', optional: true } } }, { name: 'C', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } }],
    envFrom: [{ prefix: 'X_', configMapRef: { name: 'cm' } }],
    resources: { limits: { cpu: '500m', memory: '128Mi' }, requests: { cpu: '250m', 'nvidia.com/gpu': '1' } },
    volumeMounts: [{ name: 'cfg', mountPath: '/etc/cfg', readOnly: true, subPath: 'x' }],
    livenessProbe: { httpGet: { path: '/healthz', port: 8080, httpHeaders: [{ name: 'H', value: 'v' }] }, initialDelaySeconds: 5, periodSeconds: 10, failureThreshold: 3, terminationGracePeriodSeconds: 7 },
    readinessProbe: { tcpSocket: { port: 'http' } },
    startupProbe: { exec: { command: ['cat', '/ready'] } },
    lifecycle: { preStop: { sleep: { seconds: 5 } }, postStart: { exec: { command: ['true'] } } },
    imagePullPolicy: 'IfNotPresent',
    securityContext: { runAsUser: 0, runAsNonRoot: false, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { add: ['NET_ADMIN'], drop: ['ALL'] } },
    stdin: true, tty: true, restartPolicy: 'Always',
  }],
  restartPolicy: 'Always', terminationGracePeriodSeconds: 0, activeDeadlineSeconds: 100, dnsPolicy: 'ClusterFirst',
  nodeSelector: { 'kubernetes.io/os': 'linux' }, serviceAccountName: 'sa', automountServiceAccountToken: false,
  nodeName: 'node1', hostNetwork: true, shareProcessNamespace: true,
  securityContext: { fsGroup: 2000, supplementalGroups: [1, 2], sysctls: [{ name: 'net.ipv4.ip_forward', value: '1' }] },
  imagePullSecrets: [{ name: 'reg' }], hostname: 'h', subdomain: 's',
  affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'k', operator: 'In', values: ['a', 'b'] }] }] } },
    podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { app: 'web' } } } }] } },
  schedulerName: 'default-scheduler',
  tolerations: [{ key: 'k', operator: 'Equal', value: 'v', effect: 'NoExecute', tolerationSeconds: 60 }],
  hostAliases: [{ ip: '10.0.0.1', hostnames: ['a.local'] }], priorityClassName: 'high', priority: 1000,
  dnsConfig: { nameservers: ['1.1.1.1'], options: [{ name: 'ndots', value: '2' }] },
  readinessGates: [{ conditionType: 'example.com/ready' }], enableServiceLinks: false, preemptionPolicy: 'Never',
  overhead: { cpu: '10m' }, topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { a: 'b' } } }],
  os: { name: 'linux' }, hostUsers: false, schedulingGates: [{ name: 'g' }],
};

const podStatus = {
  phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2025-05-06T07:08:10Z' }],
  hostIP: '10.0.0.2', podIP: '10.42.0.5', podIPs: [{ ip: '10.42.0.5' }], startTime: '2025-05-06T07:08:09Z', qosClass: 'Burstable',
  containerStatuses: [{ name: 'web', ready: true, restartCount: 2, image: 'nginx:1.25', imageID: 'sha256:x', containerID: 'oci://c', started: true,
    state: { running: { startedAt: '2025-05-06T07:08:11Z' } }, lastState: { terminated: { exitCode: 137, signal: 9, reason: 'OOMKilled', finishedAt: '2025-05-06T07:08:00Z' } } }],
};

/** One object of every kind the brief names, with values in every special type. */
const objects: KubeObject[] = [
  { apiVersion: 'v1', kind: 'Pod', metadata: meta('p', 'default'), spec: podSpec, status: podStatus },
  { apiVersion: 'v1', kind: 'Service', metadata: meta('svc', 'default'), spec: { type: 'NodePort', selector: { app: 'web' }, clusterIP: '10.43.0.10', clusterIPs: ['10.43.0.10'], ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack',
    ports: [{ name: 'http', port: 80, targetPort: 'http', nodePort: 30080, protocol: 'TCP', appProtocol: 'http' }, { name: 'x', port: 81, targetPort: 8081 }], sessionAffinity: 'ClientIP',
    sessionAffinityConfig: { clientIP: { timeoutSeconds: 10800 } }, externalTrafficPolicy: 'Local', internalTrafficPolicy: 'Cluster', allocateLoadBalancerNodePorts: false },
    status: { loadBalancer: { ingress: [{ ip: '1.2.3.4', ports: [{ port: 80, protocol: 'TCP' }] }] } } },
  { apiVersion: 'v1', kind: 'Secret', metadata: meta('s', 'default'), type: 'kubernetes.io/tls', immutable: true, data: { 'tls.crt': Buffer.from('crt').toString('base64'), 'tls.key': Buffer.from([0, 1, 255]).toString('base64') }, stringData: { x: 'y' } },
  { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('cm', 'default'), data: { a: 'b', 'multi.line': 'x\ny\n' }, binaryData: { bin: Buffer.from([254, 255]).toString('base64') }, immutable: false },
  { apiVersion: 'v1', kind: 'Namespace', metadata: meta('ns'), spec: { finalizers: ['kubernetes'] }, status: { phase: 'Terminating', conditions: [{ type: 'NamespaceDeletionContentFailure', status: 'False', lastTransitionTime: '2025-01-01T00:00:00Z', reason: 'r', message: 'm' }] } },
  { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta('sa', 'default'), secrets: [{ name: 'tok', namespace: 'default', kind: 'Secret' }], imagePullSecrets: [{ name: 'reg' }], automountServiceAccountToken: false },
  { apiVersion: 'v1', kind: 'ResourceQuota', metadata: meta('q', 'default'), spec: { hard: { cpu: '1', memory: '1Gi', pods: '10' }, scopes: ['BestEffort'], scopeSelector: { matchExpressions: [{ scopeName: 'PriorityClass', operator: 'In', values: ['high'] }] } }, status: { hard: { cpu: '1' }, used: { cpu: '100m' } } },
  { apiVersion: 'v1', kind: 'Node', metadata: meta('node1'), spec: { podCIDR: '10.42.0.0/24', podCIDRs: ['10.42.0.0/24'], unschedulable: true, taints: [{ key: 'k', value: 'v', effect: 'NoSchedule', timeAdded: '2025-01-01T00:00:00Z' }], providerID: 'x://1' },
    status: { capacity: { cpu: '2', memory: '4Gi', pods: '110' }, allocatable: { cpu: '1900m' }, conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: '2025-01-01T00:00:00Z', lastTransitionTime: '2025-01-01T00:00:00Z', reason: 'KubeletReady', message: 'ok' }],
      addresses: [{ type: 'InternalIP', address: '10.0.0.2' }], daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: { machineID: 'm', systemUUID: 's', bootID: 'b', kernelVersion: '6.1', osImage: 'Debian', containerRuntimeVersion: 'oci://1', kubeletVersion: 'v1.32.0', kubeProxyVersion: '', operatingSystem: 'linux', architecture: 'amd64' },
      images: [{ names: ['nginx:1.25'], sizeBytes: 70000000 }] } },
  { apiVersion: 'v1', kind: 'Event', metadata: meta('ev', 'default'), involvedObject: { kind: 'Pod', namespace: 'default', name: 'p', uid: 'u', apiVersion: 'v1', fieldPath: 'spec.containers{web}' },
    reason: 'Pulled', message: 'pulled', source: { component: 'kubelet', host: 'node1' }, firstTimestamp: '2025-01-01T00:00:00Z', lastTimestamp: '2025-01-01T00:01:00Z', count: 2, type: 'Normal',
    eventTime: '2025-01-01T00:00:00.123456Z', series: { count: 2, lastObservedTime: '2025-01-01T00:01:00.000001Z' }, reportingComponent: 'kubelet', reportingInstance: 'node1' },
  { apiVersion: 'v1', kind: 'Endpoints', metadata: meta('svc', 'default'), subsets: [{ addresses: [{ ip: '10.42.0.5', nodeName: 'node1', targetRef: { kind: 'Pod', name: 'p' } }], ports: [{ name: 'http', port: 80, protocol: 'TCP' }] }] },
  { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: meta('data', 'default'), spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, storageClassName: '', volumeMode: 'Filesystem' } },
  { apiVersion: 'apps/v1', kind: 'Deployment', metadata: meta('web', 'default'), spec: { replicas: 0, selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'Exists' }] }, template: { metadata: { labels: { app: 'web' } }, spec: podSpec },
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 0 } }, minReadySeconds: 5, revisionHistoryLimit: 10, paused: true, progressDeadlineSeconds: 600 },
    status: { observedGeneration: 3, replicas: 1, updatedReplicas: 1, readyReplicas: 1, availableReplicas: 1, conditions: [{ type: 'Progressing', status: 'True', lastUpdateTime: '2025-01-01T00:00:00Z', lastTransitionTime: '2025-01-01T00:00:00Z', reason: 'NewReplicaSetAvailable', message: 'm' }], collisionCount: 0 } },
  { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: meta('web-1', 'default'), spec: { replicas: 2, minReadySeconds: 1, selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: podSpec } }, status: { replicas: 2, fullyLabeledReplicas: 2, observedGeneration: 1 } },
  { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: meta('db', 'default'), spec: { replicas: 3, serviceName: 'db', podManagementPolicy: 'Parallel', selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: podSpec },
    volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }], updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0, maxUnavailable: 1 } },
    persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Delete' }, ordinals: { start: 0 } }, status: { replicas: 3, availableReplicas: 0, currentRevision: 'db-1', updateRevision: 'db-1' } },
  { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: meta('ds', 'kube-system'), spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: podSpec }, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } } },
    status: { currentNumberScheduled: 1, numberMisscheduled: 0, desiredNumberScheduled: 1, numberReady: 1 } },
  { apiVersion: 'batch/v1', kind: 'Job', metadata: meta('j', 'default'), spec: { parallelism: 2, completions: 4, activeDeadlineSeconds: 60, backoffLimit: 0, ttlSecondsAfterFinished: 0, completionMode: 'Indexed', suspend: false, manualSelector: false,
    podFailurePolicy: { rules: [{ action: 'FailJob', onExitCodes: { containerName: 'c', operator: 'In', values: [1, 2] } }] }, template: { spec: { ...podSpec, restartPolicy: 'Never' } } },
    status: { startTime: '2025-01-01T00:00:00Z', completionTime: '2025-01-01T00:01:00Z', succeeded: 4, completedIndexes: '0-3', uncountedTerminatedPods: { succeeded: ['x'] }, ready: 0 } },
  { apiVersion: 'batch/v1', kind: 'CronJob', metadata: meta('cj', 'default'), spec: { schedule: '*/5 * * * *', timeZone: 'Etc/UTC', startingDeadlineSeconds: 30, concurrencyPolicy: 'Forbid', suspend: true, successfulJobsHistoryLimit: 0, failedJobsHistoryLimit: 1,
    jobTemplate: { metadata: { labels: { a: 'b' } }, spec: { template: { spec: { ...podSpec, restartPolicy: 'OnFailure' } } } } }, status: { active: [{ kind: 'Job', name: 'j' }], lastScheduleTime: '2025-01-01T00:00:00Z' } },
  { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: meta('pdb', 'default'), spec: { minAvailable: '50%', selector: { matchLabels: { a: 'b' } }, unhealthyPodEvictionPolicy: 'AlwaysAllow' }, status: { observedGeneration: 1, disruptionsAllowed: 0, currentHealthy: 1, desiredHealthy: 1, expectedPods: 2, disruptedPods: { p: '2025-01-01T00:00:00Z' } } },
  { apiVersion: 'policy/v1', kind: 'Eviction', metadata: meta('p', 'default'), deleteOptions: { gracePeriodSeconds: 0, preconditions: { uid: 'u', resourceVersion: '1' }, propagationPolicy: 'Background', dryRun: ['All'] } },
  { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: meta('high'), value: -5, globalDefault: true, description: 'd', preemptionPolicy: 'Never' },
  { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', metadata: meta('sa', 'default'), spec: { audiences: ['api'], expirationSeconds: 3600, boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'p', uid: 'u' } }, status: { token: 'abc', expirationTimestamp: '2025-01-01T01:00:00Z' } },
  { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: meta('web', 'default'), spec: { replicas: 2 }, status: { replicas: 1, selector: 'app=web' } },
  { apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: meta('web', 'default'), spec: { scaleTargetRef: { kind: 'Deployment', name: 'web', apiVersion: 'apps/v1' }, minReplicas: 1, maxReplicas: 3, targetCPUUtilizationPercentage: 50 }, status: { currentReplicas: 1, desiredReplicas: 2, lastScaleTime: '2025-01-01T00:00:00Z' } },
  { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: meta('web', 'default'), spec: { scaleTargetRef: { kind: 'Deployment', name: 'web' }, maxReplicas: 3, metrics: [{ type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '100Mi' } } }],
    behavior: { scaleDown: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] } } }, status: { desiredReplicas: 0 } },
  { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: meta('node1', 'kube-node-lease'), spec: { holderIdentity: 'node1', leaseDurationSeconds: 40, renewTime: '2025-01-01T00:00:00.500000Z', acquireTime: '2025-01-01T00:00:00.000000Z', leaseTransitions: 0 } },
  { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: meta('svc-abc', 'default'), addressType: 'IPv4', endpoints: [{ addresses: ['10.42.0.5'], conditions: { ready: true, serving: true, terminating: false }, nodeName: 'node1', zone: 'z', targetRef: { kind: 'Pod', name: 'p' } }], ports: [{ name: 'http', port: 80, protocol: 'TCP', appProtocol: 'http' }] },
  { apiVersion: 'events.k8s.io/v1', kind: 'Event', metadata: meta('ev', 'default'), eventTime: '2025-01-01T00:00:00.000001Z', reportingController: 'peapod/kubelet', reportingInstance: 'node1', action: 'Pulling', reason: 'Pulling', regarding: { kind: 'Pod', name: 'p' }, note: 'n', type: 'Normal', series: { count: 3, lastObservedTime: '2025-01-01T00:00:01.000000Z' } },
  { apiVersion: 'v1', kind: 'DeleteOptions', metadata: {}, gracePeriodSeconds: 0, orphanDependents: false, dryRun: ['All'] },
];

describe('round trip: decode(encode(object)) keeps every value', () => {
  for (const obj of objects) {
    test(`${obj.apiVersion} ${obj.kind}`, () => {
      const bytes = encodeProtobufObject(obj);
      assert.ok(bytes.subarray(0, 4).equals(Buffer.from('k8s\0', 'binary')));
      const back = decodeProtobufBody(bytes);
      assert.deepEqual(prune(back), prune(obj));
      assert.ok(encodeProtobufObject(back).equals(bytes), 'a second encoding is byte-identical');
    });
  }
});

describe('schema', () => {
  test('has every kind the API server must decode', () => {
    const kinds = ['v1 Pod', 'v1 Service', 'v1 Secret', 'v1 ConfigMap', 'v1 Namespace', 'v1 ServiceAccount', 'v1 ResourceQuota', 'v1 Node', 'v1 Event', 'v1 Endpoints', 'v1 ReplicationController', 'v1 LimitRange', 'v1 PersistentVolume', 'v1 PersistentVolumeClaim', 'v1 Binding', 'v1 PodList',
      'apps/v1 Deployment', 'apps/v1 ReplicaSet', 'apps/v1 StatefulSet', 'apps/v1 DaemonSet', 'apps/v1 ControllerRevision', 'batch/v1 Job', 'batch/v1 CronJob',
      'policy/v1 PodDisruptionBudget', 'policy/v1 Eviction', 'scheduling.k8s.io/v1 PriorityClass', 'authentication.k8s.io/v1 TokenRequest', 'authentication.k8s.io/v1 TokenReview', 'authentication.k8s.io/v1 SelfSubjectReview',
      'authorization.k8s.io/v1 SelfSubjectAccessReview', 'autoscaling/v1 Scale', 'autoscaling/v1 HorizontalPodAutoscaler', 'autoscaling/v2 HorizontalPodAutoscaler', 'coordination.k8s.io/v1 Lease',
      'discovery.k8s.io/v1 EndpointSlice', 'events.k8s.io/v1 Event', 'networking.k8s.io/v1 Ingress', 'networking.k8s.io/v1 NetworkPolicy', 'rbac.authorization.k8s.io/v1 Role', 'rbac.authorization.k8s.io/v1 ClusterRoleBinding', 'v1 DeleteOptions'];
    for (const k of kinds) {
      const [gv, kind] = k.split(' ');
      assert.ok(k8sSchema().kind(gv, kind), `no message for ${k}`);
    }
    assert.equal(k8sSchema().kind('v1', 'Container'), undefined);
    assert.equal(k8sSchema().kind('apps/v1beta1', 'Deployment'), undefined);
    assert.equal(k8sSchema().kind('apps.example.com/v1', 'Deployment'), undefined, 'a look-alike group');
    assert.equal(k8sSchema().kind('core/v1', 'Pod'), undefined, 'the core group has no name');
  });

  test('encoding a kind the schema does not have is a 406; wrong value types are errors', () => {
    assert.throws(() => encodeProtobufObject({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: {} }), (e: unknown) => e instanceof ApiError && e.code === 406 && /Widget/.test(e.message));
    assert.throws(() => encodeProtobufObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 5 as unknown as string } }), /ConfigMap\.metadata\.name.*not a string/);
    assert.throws(() => encodeProtobufObject({ apiVersion: 'v1', kind: 'Pod', metadata: {}, spec: { containers: {} } }), /containers.*not a list/);
  });
});
