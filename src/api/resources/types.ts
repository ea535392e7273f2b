/**
 * A served resource: everything the API server needs to know about one kind — discovery names,
 * scope, verbs, subresources, table columns (as Kubernetes' printers print them), field selectors
 * and the write strategy. One small file per kind in this folder; all are listed in ./index.ts.
 */
import type { KubeObject } from '../object.js';

export type Verb = 'create' | 'delete' | 'deletecollection' | 'get' | 'list' | 'patch' | 'update' | 'watch';

export const allVerbs: Verb[] = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

/** One column of `kubectl get` (metav1.TableColumnDefinition). */
export interface TableColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  /** `name` for the NAME column, `date`, ... (as Kubernetes sets it). */
  format?: string;
  description: string;
  /** 0 = always shown; 1 = only with `-o wide`. */
  priority: 0 | 1;
}

export type TableCell = string | number | boolean | null;

/** The scale subresource: where replicas live in the main object. */
export interface ScaleSubresource {
  /** JSON path in dotted form, e.g. `spec.replicas`. */
  specReplicasPath: string;
  statusReplicasPath: string;
  /** Path of the label selector, e.g. `spec.selector` (a LabelSelector or a map selector). */
  labelSelectorPath?: string;
}

export interface Subresources {
  /** `/status` (get, update, patch). */
  status?: boolean;
  /** `/scale` (autoscaling/v1 Scale). */
  scale?: ScaleSubresource;
  /** Other subresources by name (`binding`, `eviction`, `ephemeralcontainers`, `log`, `exec`, `token`, ...) with their verbs and kind. */
  others?: { name: string; verbs: Verb[]; kind: string; group?: string; version?: string }[];
}

/** Field selector support: field path → value extractor (metadata.name/namespace are always supported). */
export type FieldGetter = (obj: KubeObject) => string | undefined;

export interface Strategy {
  /**
   * Where Kubernetes resets status on create (PrepareForCreate): return the status to store
   * (undefined = drop status). Absent = keep what the client sent.
   */
  statusOnCreate?: (obj: KubeObject) => unknown;
  /** Pods: a delete sets deletionTimestamp and waits when the pod is bound (graceful deletion). */
  gracefulDelete?: (obj: KubeObject) => { graceful: boolean; defaultGraceSeconds: number };
  /** Whether metadata.generation is tracked (1 on create, bumped on changes outside metadata and status). Default false, as for most Kubernetes kinds. */
  tracksGeneration?: boolean;
  /** Extra preparation on create (after defaulting and the status reset: PrepareForCreate). */
  prepareForCreate?: (obj: KubeObject) => void;
  /** Preparation after defaulting and system fields (uid), before validation on create (Job: generated selector). */
  prepareAfterDefaults?: (obj: KubeObject) => void;
  /** Extra preparation on update of the main resource. */
  prepareForUpdate?: (obj: KubeObject, old: KubeObject) => void;
  /** Whether PUT without resourceVersion is allowed (AllowUnconditionalUpdate). Default true. */
  allowUnconditionalUpdate?: boolean;
  /** Whether PUT to a missing object creates it (AllowCreateOnUpdate). Default false. */
  allowCreateOnUpdate?: boolean;
  /** Something besides metadata.finalizers that keeps a deleting object (Namespace: spec.finalizers). */
  blocksDeletion?: (obj: KubeObject) => boolean;
  /** Answer a delete with the deleted object (pods, services, namespaces) instead of a Status. */
  returnDeletedObject?: boolean;
}

/** Another resource's storage shared by this one (events.k8s.io Event is stored as core Event). */
export interface SharedStorage {
  /** The storage resource (plural) and its group, e.g. `events`, ''. */
  resource: string;
  group: string;
  /** Convert from the stored form to this resource's form. */
  fromStorage(obj: KubeObject): KubeObject;
  /** Convert this resource's form to the stored form. */
  toStorage(obj: KubeObject): KubeObject;
}

export interface ResourceDef {
  group: string;
  version: string;
  kind: string;
  listKind: string;
  /** The resource name in URLs: `pods`. */
  plural: string;
  /** `pod` */
  singular: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  verbs: Verb[];
  subresources?: Subresources;
  /** Table columns after NAME is given first as Kubernetes does (include NAME here). */
  columns: TableColumn[];
  /** The cells of one row, in column order. `now` is the clock's time in ms (for AGE). */
  row(obj: KubeObject, now: number): TableCell[];
  /** Row conditions (pods: `Completed` for finished pods), as metav1.TableRow.conditions. */
  rowConditions?(obj: KubeObject): Record<string, unknown>[] | undefined;
  /** Field selectors besides metadata.name and metadata.namespace. */
  fieldSelectors?: Record<string, FieldGetter>;
  strategy?: Strategy;
  /** When set, objects are stored under another resource's keys (converted on the way). */
  storage?: SharedStorage;
}
