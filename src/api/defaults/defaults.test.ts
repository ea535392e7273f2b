import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../object.js';
import { admitPodServiceAccount, applyDefaults, prepareJobForCreate } from './index.js';
import { imageTag } from './core.js';

test('defaults: image tags decide imagePullPolicy', () => {
  const cases: [string, string][] = [['nginx', 'latest'], ['nginx:latest', 'latest'], ['nginx:1.25', '1.25'], ['localhost:5000/app', 'latest'], ['localhost:5000/app:v1', 'v1'], ['app@sha256:abc', ''], ['app:v1@sha256:abc', 'v1']];
  for (const [image, tag] of cases) assert.equal(imageTag(image), tag, image);
});

test('defaults: Pod', () => {
  const pod: KubeObject = {
    metadata: { name: 'p', namespace: 'default' },
    spec: {
      containers: [
        { name: 'a', image: 'nginx', ports: [{ containerPort: 80 }], resources: { limits: { cpu: '1000m', memory: '1024Mi' } },
          livenessProbe: { httpGet: { port: 80 } } },
        { name: 'b', image: 'nginx:1.25', env: [{ name: 'N', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }] },
      ],
      volumes: [{ name: 'v' }, { name: 's', secret: { secretName: 's' } }, { name: 'c', configMap: { name: 'c' } }],
    },
  };
  applyDefaults('Pod', pod);
  const s = pod.spec as any; // eslint-disable-line @typescript-eslint/no-explicit-any
  assert.equal(s.restartPolicy, 'Always');
  assert.equal(s.dnsPolicy, 'ClusterFirst');
  assert.equal(s.terminationGracePeriodSeconds, 30);
  assert.equal(s.schedulerName, 'default-scheduler');
  assert.deepEqual(s.securityContext, {});
  assert.equal(s.enableServiceLinks, true);
  assert.equal(s.priority, 0);
  assert.equal(s.preemptionPolicy, 'PreemptLowerPriority');
  const [a, b] = s.containers;
  assert.equal(a.imagePullPolicy, 'Always');
  assert.equal(b.imagePullPolicy, 'IfNotPresent');
  assert.equal(a.terminationMessagePath, '/dev/termination-log');
  assert.equal(a.terminationMessagePolicy, 'File');
  assert.equal(a.ports[0].protocol, 'TCP');
  assert.deepEqual(a.resources, { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '1', memory: '1Gi' } });
  assert.deepEqual(b.resources, {});
  assert.deepEqual(a.livenessProbe, { httpGet: { port: 80, path: '/', scheme: 'HTTP' }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 });
  assert.equal(b.env[0].valueFrom.fieldRef.apiVersion, 'v1');
  assert.deepEqual(s.volumes, [{ name: 'v', emptyDir: {} }, { name: 's', secret: { secretName: 's', defaultMode: 420 } }, { name: 'c', configMap: { name: 'c', defaultMode: 420 } }]);
});

test('defaults: system priority classes', () => {
  const pod: KubeObject = { metadata: { name: 'p' }, spec: { priorityClassName: 'system-node-critical', containers: [] } };
  applyDefaults('Pod', pod);
  assert.equal((pod.spec as any).priority, 2000001000); // eslint-disable-line @typescript-eslint/no-explicit-any
});

test('ServiceAccount admission: default account, projected volume and mounts', () => {
  const pod: KubeObject = { metadata: { name: 'p' }, spec: { initContainers: [{ name: 'i', image: 'x' }], containers: [{ name: 'a', image: 'x' }, { name: 'b', image: 'x', volumeMounts: [{ name: 'own', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }] }] } };
  admitPodServiceAccount(pod, { tokenVolumeName: 'kube-api-access-abcde' });
  const s = pod.spec as any; // eslint-disable-line @typescript-eslint/no-explicit-any
  assert.equal(s.serviceAccountName, 'default');
  assert.equal(s.serviceAccount, 'default');
  const mount = { name: 'kube-api-access-abcde', readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' };
  assert.deepEqual(s.initContainers[0].volumeMounts, [mount]);
  assert.deepEqual(s.containers[0].volumeMounts, [mount]);
  assert.equal(s.containers[1].volumeMounts.length, 1);
  assert.deepEqual(s.volumes, [{ name: 'kube-api-access-abcde', projected: { defaultMode: 420, sources: [
    { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
    { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
    { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
  ] } }]);
});

test('ServiceAccount admission: generated name, and automount off', () => {
  const p1: KubeObject = { metadata: { name: 'p' }, spec: { containers: [{ name: 'a', image: 'x' }] } };
  admitPodServiceAccount(p1);
  assert.match((p1.spec as any).volumes[0].name, /^kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}$/); // eslint-disable-line @typescript-eslint/no-explicit-any
  const p2: KubeObject = { metadata: { name: 'p' }, spec: { serviceAccountName: 'builder', automountServiceAccountToken: false, containers: [{ name: 'a', image: 'x' }] } };
  admitPodServiceAccount(p2);
  assert.equal((p2.spec as any).serviceAccountName, 'builder'); // eslint-disable-line @typescript-eslint/no-explicit-any
  assert.equal((p2.spec as any).volumes, undefined); // eslint-disable-line @typescript-eslint/no-explicit-any
  const p3: KubeObject = { metadata: { name: 'p' }, spec: { containers: [{ name: 'a', image: 'x' }] } };
  admitPodServiceAccount(p3, { serviceAccount: { metadata: { name: 'default' }, automountServiceAccountToken: false, imagePullSecrets: [{ name: 'reg' }] } });
  assert.equal((p3.spec as any).volumes, undefined); // eslint-disable-line @typescript-eslint/no-explicit-any
  assert.deepEqual((p3.spec as any).imagePullSecrets, [{ name: 'reg' }]); // eslint-disable-line @typescript-eslint/no-explicit-any
});

test('defaults: Deployment, ReplicaSet, StatefulSet, DaemonSet', () => {
  const tpl = { metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'a', image: 'x' }] } };
  const d: KubeObject = { metadata: { name: 'd' }, spec: { selector: { matchLabels: { app: 'x' } }, template: structuredClone(tpl) } };
  applyDefaults('Deployment.apps', d);
  const ds = d.spec as any; // eslint-disable-line @typescript-eslint/no-explicit-any
  assert.equal(ds.replicas, 1);
  assert.deepEqual(ds.strategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } });
  assert.equal(ds.revisionHistoryLimit, 10);
  assert.equal(ds.progressDeadlineSeconds, 600);
  assert.equal(ds.template.spec.restartPolicy, 'Always');
  const r: KubeObject = { metadata: { name: 'r' }, spec: { template: structuredClone(tpl) } };
  applyDefaults('ReplicaSet.apps', r);
  assert.equal((r.spec as any).replicas, 1); // eslint-disable-line @typescript-eslint/no-explicit-any
  const ss: KubeObject = { metadata: { name: 's' }, spec: { template: structuredClone(tpl), volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }] } };
  applyDefaults('StatefulSet.apps', ss);
  const sss = ss.spec as any; // eslint-disable-line @typescript-eslint/no-explicit-any
  assert.equal(sss.podManagementPolicy, 'OrderedReady');
  assert.deepEqual(sss.updateStrategy, { type: 'RollingUpdate', rollingUpdate: { partition: 0 } });
  assert.deepEqual(sss.persistentVolumeClaimRetentionPolicy, { whenDeleted: 'Retain', whenScaled: 'Retain' });
  assert.equal(sss.revisionHistoryLimit, 10);
  assert.equal(sss.replicas, 1);
  assert.equal(sss.volumeClaimTemplates[0].spec.volumeMode, 'Filesystem');
  const dm: KubeObject = { metadata: { name: 'dm' }, spec: { template: structuredClone(tpl) } };
  applyDefaults('DaemonSet.apps', dm);
  assert.deepEqual((dm.spec as any).updateStrategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } }); // eslint-disable-line @typescript-eslint/no-explicit-any
  assert.equal((dm.spec as any).revisionHistoryLimit, 10); // eslint-disable-line @typescript-eslint/no-explicit-any
});

test('defaults: ReplicationController takes selector and labels from the template', () => {
  const rc: KubeObject = { metadata: { name: 'rc' }, spec: { template: { metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'a', image: 'x' }] } } } };
  applyDefaults('ReplicationController', rc);
  assert.deepEqual((rc.spec as any).selector, { app: 'x' }); // eslint-disable-line @typescript-eslint/no-explicit-any
  assert.deepEqual(rc.metadata.labels, { app: 'x' });
  assert.equal((rc.spec as any).replicas, 1); // eslint-disable-line @typescript-eslint/no-explicit-any
});

test('defaults and PrepareForCreate: Job', () => {
  const job: KubeObject = { metadata: { name: 'pi', namespace: 'default' }, spec: { template: { metadata: { labels: { app: 'pi' } }, spec: { restartPolicy: 'Never', containers: [{ name: 'a', image: 'perl' }] } } } };
  applyDefaults('Job.batch', job);
  prepareJobForCreate(job, 'u-1');
  const s = job.spec as any; // eslint-disable-line @typescript-eslint/no-explicit-any
  assert.equal(s.completions, 1);
  assert.equal(s.parallelism, 1);
  assert.equal(s.backoffLimit, 6);
  assert.equal(s.completionMode, 'NonIndexed');
  assert.equal(s.suspend, false);
  assert.equal(s.podReplacementPolicy, 'TerminatingOrFailed');
  assert.deepEqual(s.selector, { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u-1' } });
  const want = { app: 'pi', 'batch.kubernetes.io/controller-uid': 'u-1', 'batch.kubernetes.io/job-name': 'pi', 'controller-uid': 'u-1', 'job-name': 'pi' };
  assert.deepEqual(s.template.metadata.labels, want);
  assert.deepEqual(job.metadata.labels, want);
  assert.equal(job.metadata.generation, 1);
  const manual: KubeObject = { metadata: { name: 'm', labels: { own: 'yes' } }, spec: { manualSelector: true, selector: { matchLabels: { a: 'b' } }, parallelism: 3, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [] } } } };
  applyDefaults('Job.batch', manual);
  prepareJobForCreate(manual, 'u-2');
  assert.deepEqual((manual.spec as any).selector, { matchLabels: { a: 'b' } }); // eslint-disable-line @typescript-eslint/no-explicit-any
  assert.equal((manual.spec as any).completions, undefined); // eslint-disable-line @typescript-eslint/no-explicit-any
  assert.deepEqual(manual.metadata.labels, { own: 'yes' });
});

test('defaults: CronJob', () => {
  const cj: KubeObject = { metadata: { name: 'c' }, spec: { schedule: '*/5 * * * *', jobTemplate: { spec: { template: { spec: { containers: [{ name: 'a', image: 'x' }] } } } } } };
  applyDefaults('CronJob.batch', cj);
  const s = cj.spec as any; // eslint-disable-line @typescript-eslint/no-explicit-any
  assert.equal(s.concurrencyPolicy, 'Allow');
  assert.equal(s.suspend, false);
  assert.equal(s.successfulJobsHistoryLimit, 3);
  assert.equal(s.failedJobsHistoryLimit, 1);
  assert.equal(s.jobTemplate.spec.completions, undefined);
});

test('defaults: Service, Namespace, Secret, PVC, PV, Node, LimitRange', () => {
  const svc: KubeObject = { metadata: { name: 's' }, spec: { selector: { app: 'x' }, ports: [{ port: 80 }] } };
  applyDefaults('Service', svc);
  assert.deepEqual(svc.spec, { selector: { app: 'x' }, ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }], sessionAffinity: 'None', type: 'ClusterIP', internalTrafficPolicy: 'Cluster', ipFamilyPolicy: 'SingleStack', ipFamilies: ['IPv4'] });
  const np: KubeObject = { metadata: { name: 'n' }, spec: { type: 'LoadBalancer', ports: [{ port: 80, targetPort: 'http' }] } };
  applyDefaults('Service', np);
  assert.equal((np.spec as any).externalTrafficPolicy, 'Cluster'); // eslint-disable-line @typescript-eslint/no-explicit-any
  assert.equal((np.spec as any).allocateLoadBalancerNodePorts, true); // eslint-disable-line @typescript-eslint/no-explicit-any
  assert.equal((np.spec as any).ports[0].targetPort, 'http'); // eslint-disable-line @typescript-eslint/no-explicit-any
  const ns: KubeObject = { metadata: { name: 'n' } };
  applyDefaults('Namespace', ns);
  assert.deepEqual(ns.spec, { finalizers: ['kubernetes'] });
  assert.deepEqual(ns.metadata.labels, { 'kubernetes.io/metadata.name': 'n' });
  assert.deepEqual(ns.status, { phase: 'Active' });
  const sec: KubeObject = { metadata: { name: 's' }, stringData: { user: 'admin' } };
  applyDefaults('Secret', sec);
  assert.equal(sec.type, 'Opaque');
  assert.deepEqual(sec.data, { user: 'YWRtaW4=' });
  assert.equal(sec.stringData, undefined);
  const pvc: KubeObject = { metadata: { name: 'c' }, spec: { resources: { requests: { storage: '1024Mi' } } } };
  applyDefaults('PersistentVolumeClaim', pvc);
  assert.equal((pvc.spec as any).volumeMode, 'Filesystem'); // eslint-disable-line @typescript-eslint/no-explicit-any
  assert.equal((pvc.spec as any).resources.requests.storage, '1Gi'); // eslint-disable-line @typescript-eslint/no-explicit-any
  const pv: KubeObject = { metadata: { name: 'v' }, spec: { hostPath: { path: '/x' } } };
  applyDefaults('PersistentVolume', pv);
  assert.equal((pv.spec as any).persistentVolumeReclaimPolicy, 'Retain'); // eslint-disable-line @typescript-eslint/no-explicit-any
  assert.deepEqual(pv.status, { phase: 'Pending' });
  const node: KubeObject = { metadata: { name: 'n' }, status: { capacity: { cpu: '4', memory: '8Gi' } } };
  applyDefaults('Node', node);
  assert.deepEqual((node.status as any).allocatable, { cpu: '4', memory: '8Gi' }); // eslint-disable-line @typescript-eslint/no-explicit-any
  const lr: KubeObject = { metadata: { name: 'l' }, spec: { limits: [{ type: 'Container', max: { cpu: '2' }, min: { memory: '100Mi' } }] } };
  applyDefaults('LimitRange', lr);
  assert.deepEqual((lr.spec as any).limits[0].default, { cpu: '2' }); // eslint-disable-line @typescript-eslint/no-explicit-any
  assert.deepEqual((lr.spec as any).limits[0].defaultRequest, { cpu: '2', memory: '100Mi' }); // eslint-disable-line @typescript-eslint/no-explicit-any
});

test('defaults: resource quantities are rounded up to milli scale and canonical', () => {
  const pod: KubeObject = { metadata: { name: 'p' }, spec: { containers: [{ name: 'a', image: 'x', resources: { requests: { cpu: '0.1m', memory: '1.5Gi' }, limits: { cpu: '2000m' } } }] } };
  applyDefaults('Pod', pod);
  assert.deepEqual((pod.spec as any).containers[0].resources, { requests: { cpu: '1m', memory: '1536Mi' }, limits: { cpu: '2' } }); // eslint-disable-line @typescript-eslint/no-explicit-any
});

test('defaults: Service session affinity config follows the affinity', () => {
  const a: KubeObject = { metadata: { name: 's' }, spec: { sessionAffinity: 'None', sessionAffinityConfig: { clientIP: { timeoutSeconds: 5 } }, ports: [{ port: 80 }] } };
  applyDefaults('Service', a);
  assert.equal((a.spec as any).sessionAffinityConfig, undefined); // eslint-disable-line @typescript-eslint/no-explicit-any
  const b: KubeObject = { metadata: { name: 's' }, spec: { sessionAffinity: 'ClientIP', ports: [{ port: 80 }], externalIPs: ['192.0.2.1'] } };
  applyDefaults('Service', b);
  assert.deepEqual((b.spec as any).sessionAffinityConfig, { clientIP: { timeoutSeconds: 10800 } }); // eslint-disable-line @typescript-eslint/no-explicit-any
  assert.equal((b.spec as any).externalTrafficPolicy, 'Cluster'); // eslint-disable-line @typescript-eslint/no-explicit-any
});

test('Priority admission: classes, global default, refusals', async () => {
  const { admitPodPriority } = await import('./index.js');
  const classes = [{ name: 'high', value: 1000, preemptionPolicy: 'Never' }, { name: 'base', value: 10, globalDefault: true }];
  const opts = { lookup: (n: string) => classes.find((c) => c.name === n), list: () => classes };
  const a: KubeObject = { metadata: { name: 'a' }, spec: { priorityClassName: 'high', containers: [] } };
  assert.equal(admitPodPriority(a, opts), undefined);
  assert.equal((a.spec as any).priority, 1000); // eslint-disable-line @typescript-eslint/no-explicit-any
  assert.equal((a.spec as any).preemptionPolicy, 'Never'); // eslint-disable-line @typescript-eslint/no-explicit-any
  const b: KubeObject = { metadata: { name: 'b' }, spec: { containers: [] } };
  assert.equal(admitPodPriority(b, opts), undefined);
  assert.deepEqual([(b.spec as any).priorityClassName, (b.spec as any).priority], ['base', 10]); // eslint-disable-line @typescript-eslint/no-explicit-any
  assert.equal(admitPodPriority({ metadata: { name: 'c' }, spec: { priorityClassName: 'nope' } }, opts), 'no PriorityClass with name nope was found');
  assert.equal(admitPodPriority({ metadata: { name: 'd' }, spec: { priorityClassName: 'high' } }, { ...opts, requestedPriority: 5 }),
    'the integer value of priority (5) must not be provided in pod spec; priority admission controller computed 1000 from the given PriorityClass name');
});

test('Namespace PrepareForCreate appends the kubernetes finalizer', async () => {
  const { prepareNamespaceForCreate } = await import('./index.js');
  const ns: KubeObject = { metadata: { name: 'n' }, spec: { finalizers: ['example.com/x'] }, status: { phase: 'Terminating' } };
  prepareNamespaceForCreate(ns);
  assert.deepEqual(ns.spec, { finalizers: ['example.com/x', 'kubernetes'] });
  assert.deepEqual(ns.status, { phase: 'Active' });
});
