/** apps/v1 Deployment, ReplicaSet, StatefulSet, DaemonSet, ControllerRevision and core/v1 ReplicationController. */
import { formatLabelSelector, formatLabels, type LabelSelectorSpec } from '../selectors.js';
import { defineResource } from './define.js';
import { age, ageColumn, arr, col, containerCells, containersColumn, get, imagesColumn, nameColumn, num, str } from './print-util.js';

const selectorColumn = col('Selector', 'Label selector for pods.', 1);
const workloadStrategy = { tracksGeneration: true, statusOnCreate: () => undefined };

export const deployments = defineResource({
  group: 'apps', version: 'v1', kind: 'Deployment', plural: 'deployments', namespaced: true, shortNames: ['deploy'], categories: ['all'],
  subresources: { status: true, scale: { specReplicasPath: 'spec.replicas', statusReplicasPath: 'status.replicas', labelSelectorPath: 'spec.selector' } },
  columns: [nameColumn, col('Ready', 'Number of the pod with ready state'), col('Up-to-date', 'Total number of non-terminated pods targeted by this deployment that have the desired template spec.'),
    col('Available', 'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.'), ageColumn, containersColumn, imagesColumn, selectorColumn],
  row: (o, now) => {
    const [names, images] = containerCells(get(o, 'spec', 'template', 'spec'));
    return [o.metadata.name ?? '', `${num(get(o, 'status', 'readyReplicas'))}/${num(get(o, 'spec', 'replicas'))}`, num(get(o, 'status', 'updatedReplicas')),
      num(get(o, 'status', 'availableReplicas')), age(o, now), names, images, formatLabelSelector(get(o, 'spec', 'selector') as LabelSelectorSpec)];
  },
  strategy: workloadStrategy,
});

const rsColumns = [nameColumn, col('Desired', 'Replicas is the number of desired replicas.', 0, 'integer'), col('Current', 'Replicas is the most recently observed number of replicas.', 0, 'integer'),
  col('Ready', 'The number of ready replicas for this replica set.', 0, 'integer'), ageColumn, containersColumn, imagesColumn, selectorColumn];

export const replicasets = defineResource({
  group: 'apps', version: 'v1', kind: 'ReplicaSet', plural: 'replicasets', namespaced: true, shortNames: ['rs'], categories: ['all'],
  subresources: { status: true, scale: { specReplicasPath: 'spec.replicas', statusReplicasPath: 'status.replicas', labelSelectorPath: 'spec.selector' } },
  columns: rsColumns,
  row: (o, now) => {
    const [names, images] = containerCells(get(o, 'spec', 'template', 'spec'));
    return [o.metadata.name ?? '', num(get(o, 'spec', 'replicas')), num(get(o, 'status', 'replicas')), num(get(o, 'status', 'readyReplicas')), age(o, now),
      names, images, formatLabelSelector(get(o, 'spec', 'selector') as LabelSelectorSpec)];
  },
  fieldSelectors: { 'status.replicas': (o) => String(num(get(o, 'status', 'replicas'))) },
  strategy: workloadStrategy,
});

export const replicationcontrollers = defineResource({
  group: '', version: 'v1', kind: 'ReplicationController', plural: 'replicationcontrollers', namespaced: true, shortNames: ['rc'], categories: ['all'],
  subresources: { status: true, scale: { specReplicasPath: 'spec.replicas', statusReplicasPath: 'status.replicas', labelSelectorPath: 'spec.selector' } },
  columns: rsColumns,
  row: (o, now) => {
    const [names, images] = containerCells(get(o, 'spec', 'template', 'spec'));
    return [o.metadata.name ?? '', num(get(o, 'spec', 'replicas')), num(get(o, 'status', 'replicas')), num(get(o, 'status', 'readyReplicas')), age(o, now),
      names, images, formatLabels(get(o, 'spec', 'selector') as Record<string, string>)];
  },
  fieldSelectors: { 'status.replicas': (o) => String(num(get(o, 'status', 'replicas'))) },
  strategy: workloadStrategy,
});

export const statefulsets = defineResource({
  group: 'apps', version: 'v1', kind: 'StatefulSet', plural: 'statefulsets', namespaced: true, shortNames: ['sts'], categories: ['all'],
  subresources: { status: true, scale: { specReplicasPath: 'spec.replicas', statusReplicasPath: 'status.replicas', labelSelectorPath: 'spec.selector' } },
  columns: [nameColumn, col('Ready', 'Number of the pod with ready state'), ageColumn, containersColumn, imagesColumn],
  row: (o, now) => {
    const [names, images] = containerCells(get(o, 'spec', 'template', 'spec'));
    return [o.metadata.name ?? '', `${num(get(o, 'status', 'readyReplicas'))}/${num(get(o, 'spec', 'replicas'))}`, age(o, now), names, images];
  },
  strategy: workloadStrategy,
});

export const daemonsets = defineResource({
  group: 'apps', version: 'v1', kind: 'DaemonSet', plural: 'daemonsets', namespaced: true, shortNames: ['ds'], categories: ['all'],
  subresources: { status: true },
  columns: [nameColumn, col('Desired', 'The total number of nodes that should be running the daemon pod.', 0, 'integer'),
    col('Current', 'The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod.', 0, 'integer'),
    col('Ready', 'numberReady is the number of nodes that should be running the daemon pod and have one or more of the daemon pod running with a Ready Condition.', 0, 'integer'),
    col('Up-to-date', 'The total number of nodes that are running updated daemon pod', 0, 'integer'),
    col('Available', 'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available (ready for at least spec.minReadySeconds)', 0, 'integer'),
    col('Node Selector', 'NodeSelector is a selector which must be true for the pod to fit on a node.'), ageColumn, containersColumn, imagesColumn, selectorColumn],
  row: (o, now) => {
    const [names, images] = containerCells(get(o, 'spec', 'template', 'spec'));
    const s = (k: string) => num(get(o, 'status', k));
    return [o.metadata.name ?? '', s('desiredNumberScheduled'), s('currentNumberScheduled'), s('numberReady'), s('updatedNumberScheduled'), s('numberAvailable'),
      formatLabels(get(o, 'spec', 'template', 'spec', 'nodeSelector') as Record<string, string>), age(o, now), names, images,
      formatLabelSelector(get(o, 'spec', 'selector') as LabelSelectorSpec)];
  },
  strategy: workloadStrategy,
});

export const controllerrevisions = defineResource({
  group: 'apps', version: 'v1', kind: 'ControllerRevision', plural: 'controllerrevisions', namespaced: true,
  columns: [nameColumn, col('Controller', 'Controller of the object'), col('Revision', 'Revision indicates the revision of the state represented by Data.', 0, 'integer'), ageColumn],
  row: (o, now) => {
    const ref = arr(o.metadata.ownerReferences).find((r) => r.controller === true);
    let controller = '<none>';
    if (ref) {
      const av = str(ref.apiVersion);
      const group = av.includes('/') ? av.slice(0, av.indexOf('/')) : '';
      controller = `${(group ? `${str(ref.kind)}.${group}` : str(ref.kind)).toLowerCase()}/${str(ref.name)}`;
    }
    return [o.metadata.name ?? '', controller, num(o.revision), age(o, now)];
  },
});
