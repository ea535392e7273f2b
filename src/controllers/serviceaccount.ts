/**
 * ServiceAccount controller (Kubernetes' serviceaccounts-controller and root-ca-cert-publisher):
 * every active namespace has a `default` ServiceAccount and a `kube-root-ca.crt` ConfigMap holding
 * the cluster CA (projected service-account volumes read it). Deleted ones come back.
 */
import type { KubeObject } from '../api/object.js';
import type { KubeClient } from '../client/types.js';
import { Resources } from '../client/resources.js';
import type { SharedInformers } from '../client/shared-informers.js';
import { WorkQueue } from '../client/work-queue.js';
import { isAlreadyExists, isNotFound } from '../client/errors.js';
import { runController, type Reconciler, type RunningController } from './runner.js';

export const ROOT_CA_CONFIGMAP = 'kube-root-ca.crt';

export function startServiceAccountController(client: KubeClient, informers: SharedInformers, caPem: string): RunningController {
  const namespaces = informers.for(Resources.namespaces);
  const serviceAccounts = informers.for(Resources.serviceaccounts);
  const configMaps = informers.for(Resources.configmaps);
  const queue = new WorkQueue();
  const enqueueNs = (o: KubeObject) => queue.add(String(o.metadata.namespace ?? o.metadata.name));
  namespaces.addEventHandler({ onAdd: (ns) => queue.add(String(ns.metadata.name)), onUpdate: (_o, ns) => queue.add(String(ns.metadata.name)) });
  serviceAccounts.addEventHandler({ onDelete: enqueueNs });
  configMaps.addEventHandler({ onDelete: enqueueNs, onUpdate: (_o, cm) => { if (cm.metadata.name === ROOT_CA_CONFIGMAP) enqueueNs(cm); } });

  const reconciler: Reconciler = {
    name: 'serviceaccount',
    async reconcile(ns) {
      const namespace = namespaces.get(ns);
      const phase = (namespace?.status as { phase?: string } | undefined)?.phase;
      if (!namespace || namespace.metadata.deletionTimestamp || phase === 'Terminating') return;
      if (!serviceAccounts.get(`${ns}/default`)) {
        try {
          await client.create(Resources.serviceaccounts, ns, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: ns } });
        } catch (err) {
          if (!isAlreadyExists(err) && !isNotFound(err)) throw err;
        }
      }
      const cm = configMaps.get(`${ns}/${ROOT_CA_CONFIGMAP}`);
      const data = { 'ca.crt': caPem };
      if (!cm) {
        try {
          await client.create(Resources.configmaps, ns, {
            apiVersion: 'v1', kind: 'ConfigMap',
            metadata: { name: ROOT_CA_CONFIGMAP, namespace: ns, annotations: { 'kubernetes.io/description': 'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.' } },
            data,
          });
        } catch (err) {
          if (!isAlreadyExists(err) && !isNotFound(err)) throw err;
        }
      } else if ((cm.data as Record<string, string> | undefined)?.['ca.crt'] !== caPem) {
        await client.update(Resources.configmaps, ns, { ...cm, data });
      }
    },
  };
  return runController(reconciler, queue, 1);
}
