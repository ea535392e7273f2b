/** Sample values for the store's tests and benchmarks. */

/** A Kubernetes-like JSON value of about 1.5 KB (also used by the benchmarks). */
export function podValue(ns: string, name: string, generation = 1): string {
  return JSON.stringify({
    apiVersion: 'v1', kind: 'Pod',
    metadata: {
      name, namespace: ns, uid: `uid-${ns}-${name}`, generation,
      labels: { app: name.replace(/-\d+$/, ''), tier: 'web', 'pod-template-hash': '5d8f7c9b6' },
      annotations: { note: 'é ✓ 𝄞' },
      creationTimestamp: '2026-01-01T00:00:00Z',
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-5d8f7c9b6', uid: 'rs-uid', controller: true, blockOwnerDeletion: true }],
    },
    spec: {
      containers: [{
        name: 'web', image: 'registry.local/web:1.25', ports: [{ containerPort: 8080, protocol: 'TCP' }],
        env: [{ name: 'GEN', value: String(generation) }],
        resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '500m', memory: '128Mi' } },
        volumeMounts: [{ name: 'kube-api-access', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true }],
        terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File', imagePullPolicy: 'IfNotPresent',
      }],
      volumes: [{ name: 'kube-api-access', projected: { sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: 3607 } }] } }],
      restartPolicy: 'Always', terminationGracePeriodSeconds: 30, dnsPolicy: 'ClusterFirst', serviceAccountName: 'default',
      nodeName: 'node-1', schedulerName: 'default-scheduler', priority: 0,
    },
    status: {
      phase: 'Running', podIP: '10.88.0.2', hostIP: '192.168.1.10', startTime: '2026-01-01T00:00:01Z', qosClass: 'Burstable',
      conditions: ['Initialized', 'Ready', 'PodScheduled'].map((type) => ({ type, status: 'True', lastTransitionTime: '2026-01-01T00:00:02Z' })),
    },
  });
}
