/**
 * What the kubernetes-types .d.ts files cannot say about a member's type, transcribed from the Go
 * types of k8s.io/api and k8s.io/apimachinery (1.30): which `number` members are int64 (the rest are
 * int32, as most Kubernetes integers are) or floating point, which strings are base64 bytes, which
 * struct members are values (not pointers: Kubernetes' schemas give those `default: {}`) and the
 * explicit `+default=` markers. Checked against the published OpenAPI formats by
 * type-rules.test.ts.
 */

/** definition → members whose Go type is int64 (or []int64): `format: int64`. */
export const int64Members: Readonly<Record<string, readonly string[]>> = {
  'io.k8s.api.admissionregistration.v1.ValidatingAdmissionPolicyStatus': ['observedGeneration'],
  'io.k8s.api.admissionregistration.v1alpha1.ValidatingAdmissionPolicyStatus': ['observedGeneration'],
  'io.k8s.api.admissionregistration.v1beta1.ValidatingAdmissionPolicyStatus': ['observedGeneration'],
  'io.k8s.api.apiserverinternal.v1alpha1.StorageVersionCondition': ['observedGeneration'],
  'io.k8s.api.apps.v1.ControllerRevision': ['revision'],
  'io.k8s.api.apps.v1.DaemonSetStatus': ['observedGeneration'],
  'io.k8s.api.apps.v1.DeploymentStatus': ['observedGeneration'],
  'io.k8s.api.apps.v1.ReplicaSetStatus': ['observedGeneration'],
  'io.k8s.api.apps.v1.StatefulSetStatus': ['observedGeneration'],
  'io.k8s.api.authentication.v1.TokenRequestSpec': ['expirationSeconds'],
  'io.k8s.api.autoscaling.v1.HorizontalPodAutoscalerStatus': ['observedGeneration'],
  'io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerStatus': ['observedGeneration'],
  'io.k8s.api.batch.v1.CronJobSpec': ['startingDeadlineSeconds'],
  'io.k8s.api.batch.v1.JobSpec': ['activeDeadlineSeconds'],
  'io.k8s.api.core.v1.ContainerImage': ['sizeBytes'],
  'io.k8s.api.core.v1.PodLogOptions': ['sinceSeconds', 'tailLines', 'limitBytes'],
  'io.k8s.api.core.v1.PodSecurityContext': ['runAsUser', 'runAsGroup', 'supplementalGroups', 'fsGroup'],
  'io.k8s.api.core.v1.PodSpec': ['terminationGracePeriodSeconds', 'activeDeadlineSeconds'],
  'io.k8s.api.core.v1.Probe': ['terminationGracePeriodSeconds'],
  'io.k8s.api.core.v1.ReplicationControllerStatus': ['observedGeneration'],
  'io.k8s.api.core.v1.SecurityContext': ['runAsUser', 'runAsGroup'],
  'io.k8s.api.core.v1.ServiceAccountTokenProjection': ['expirationSeconds'],
  'io.k8s.api.core.v1.SleepAction': ['seconds'],
  'io.k8s.api.core.v1.Toleration': ['tolerationSeconds'],
  'io.k8s.api.policy.v1.PodDisruptionBudgetStatus': ['observedGeneration'],
  'io.k8s.api.storage.v1.TokenRequest': ['expirationSeconds'],
  'io.k8s.apimachinery.pkg.apis.meta.v1.Condition': ['observedGeneration'],
  'io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions': ['gracePeriodSeconds'],
  'io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta': ['remainingItemCount'],
  'io.k8s.apimachinery.pkg.apis.meta.v1.ListOptions': ['timeoutSeconds', 'limit'],
  'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta': ['generation', 'deletionGracePeriodSeconds'],
  'io.k8s.api.resource.v1alpha2.NamedResourcesAttribute': ['int'],
  'io.k8s.api.resource.v1alpha2.NamedResourcesIntSlice': ['ints'],
  'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps': ['maxItems', 'maxLength', 'maxProperties', 'minItems', 'minLength', 'minProperties'],
};

/** definition → members whose Go type is float64: `type: number, format: double`. */
export const doubleMembers: Readonly<Record<string, readonly string[]>> = {
  'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps': ['maximum', 'minimum', 'multipleOf'],
};

/** definition → members whose Go type is []byte (or a map of them): `format: byte` (base64). */
export const byteMembers: Readonly<Record<string, readonly string[]>> = {
  'io.k8s.api.admissionregistration.v1.WebhookClientConfig': ['caBundle'],
  'io.k8s.api.admissionregistration.v1beta1.WebhookClientConfig': ['caBundle'],
  'io.k8s.api.certificates.v1.CertificateSigningRequestSpec': ['request'],
  'io.k8s.api.certificates.v1.CertificateSigningRequestStatus': ['certificate'],
  'io.k8s.api.core.v1.ConfigMap': ['binaryData'],
  'io.k8s.api.core.v1.RangeAllocation': ['data'],
  'io.k8s.api.core.v1.Secret': ['data'],
  'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.WebhookClientConfig': ['caBundle'],
};

/** definition → members that are non-pointer structs in Go: Kubernetes' schemas give them `default: {}`. */
export const valueStructMembers: Readonly<Record<string, readonly string[]>> = {
  'io.k8s.api.admissionregistration.v1.MutatingWebhook': ['clientConfig'],
  'io.k8s.api.admissionregistration.v1.MutatingWebhookConfiguration': ['metadata'],
  'io.k8s.api.admissionregistration.v1.MutatingWebhookConfigurationList': ['metadata'],
  'io.k8s.api.admissionregistration.v1.ValidatingAdmissionPolicy': ['metadata', 'spec', 'status'],
  'io.k8s.api.admissionregistration.v1.ValidatingAdmissionPolicyBinding': ['metadata', 'spec'],
  'io.k8s.api.admissionregistration.v1.ValidatingAdmissionPolicyBindingList': ['metadata'],
  'io.k8s.api.admissionregistration.v1.ValidatingAdmissionPolicyList': ['metadata'],
  'io.k8s.api.admissionregistration.v1.ValidatingWebhook': ['clientConfig'],
  'io.k8s.api.admissionregistration.v1.ValidatingWebhookConfiguration': ['metadata'],
  'io.k8s.api.admissionregistration.v1.ValidatingWebhookConfigurationList': ['metadata'],
  'io.k8s.api.admissionregistration.v1alpha1.ValidatingAdmissionPolicy': ['metadata', 'spec', 'status'],
  'io.k8s.api.admissionregistration.v1alpha1.ValidatingAdmissionPolicyBinding': ['metadata', 'spec'],
  'io.k8s.api.admissionregistration.v1alpha1.ValidatingAdmissionPolicyBindingList': ['metadata'],
  'io.k8s.api.admissionregistration.v1alpha1.ValidatingAdmissionPolicyList': ['metadata'],
  'io.k8s.api.admissionregistration.v1beta1.MutatingWebhook': ['clientConfig'],
  'io.k8s.api.admissionregistration.v1beta1.MutatingWebhookConfiguration': ['metadata'],
  'io.k8s.api.admissionregistration.v1beta1.MutatingWebhookConfigurationList': ['metadata'],
  'io.k8s.api.admissionregistration.v1beta1.ValidatingAdmissionPolicy': ['metadata', 'spec', 'status'],
  'io.k8s.api.admissionregistration.v1beta1.ValidatingAdmissionPolicyBinding': ['metadata', 'spec'],
  'io.k8s.api.admissionregistration.v1beta1.ValidatingAdmissionPolicyBindingList': ['metadata'],
  'io.k8s.api.admissionregistration.v1beta1.ValidatingAdmissionPolicyList': ['metadata'],
  'io.k8s.api.admissionregistration.v1beta1.ValidatingWebhook': ['clientConfig'],
  'io.k8s.api.admissionregistration.v1beta1.ValidatingWebhookConfiguration': ['metadata'],
  'io.k8s.api.admissionregistration.v1beta1.ValidatingWebhookConfigurationList': ['metadata'],
  'io.k8s.api.apiserverinternal.v1alpha1.StorageVersion': ['metadata', 'status'],
  'io.k8s.api.apiserverinternal.v1alpha1.StorageVersionList': ['metadata'],
  'io.k8s.api.apps.v1.ControllerRevision': ['metadata'],
  'io.k8s.api.apps.v1.ControllerRevisionList': ['metadata'],
  'io.k8s.api.apps.v1.DaemonSet': ['metadata', 'spec', 'status'],
  'io.k8s.api.apps.v1.DaemonSetList': ['metadata'],
  'io.k8s.api.apps.v1.DaemonSetSpec': ['template', 'updateStrategy'],
  'io.k8s.api.apps.v1.Deployment': ['metadata', 'spec', 'status'],
  'io.k8s.api.apps.v1.DeploymentList': ['metadata'],
  'io.k8s.api.apps.v1.DeploymentSpec': ['template', 'strategy'],
  'io.k8s.api.apps.v1.ReplicaSet': ['metadata', 'spec', 'status'],
  'io.k8s.api.apps.v1.ReplicaSetList': ['metadata'],
  'io.k8s.api.apps.v1.ReplicaSetSpec': ['template'],
  'io.k8s.api.apps.v1.StatefulSet': ['metadata', 'spec', 'status'],
  'io.k8s.api.apps.v1.StatefulSetList': ['metadata'],
  'io.k8s.api.apps.v1.StatefulSetSpec': ['template', 'updateStrategy'],
  'io.k8s.api.authentication.v1.SelfSubjectReview': ['metadata', 'status'],
  'io.k8s.api.authentication.v1.SelfSubjectReviewStatus': ['userInfo'],
  'io.k8s.api.authentication.v1.TokenRequest': ['metadata', 'spec', 'status'],
  'io.k8s.api.authentication.v1.TokenReview': ['metadata', 'spec', 'status'],
  'io.k8s.api.authentication.v1.TokenReviewStatus': ['user'],
  'io.k8s.api.authentication.v1alpha1.SelfSubjectReview': ['metadata', 'status'],
  'io.k8s.api.authentication.v1beta1.SelfSubjectReview': ['metadata', 'status'],
  'io.k8s.api.authentication.v1beta1.TokenReview': ['metadata', 'spec', 'status'],
  'io.k8s.api.authentication.v1beta1.TokenReviewStatus': ['user'],
  'io.k8s.api.authorization.v1.LocalSubjectAccessReview': ['metadata', 'spec', 'status'],
  'io.k8s.api.authorization.v1.SelfSubjectAccessReview': ['metadata', 'spec', 'status'],
  'io.k8s.api.authorization.v1.SelfSubjectRulesReview': ['metadata', 'spec', 'status'],
  'io.k8s.api.authorization.v1.SubjectAccessReview': ['metadata', 'spec', 'status'],
  'io.k8s.api.autoscaling.v1.HorizontalPodAutoscaler': ['metadata', 'spec', 'status'],
  'io.k8s.api.autoscaling.v1.HorizontalPodAutoscalerList': ['metadata'],
  'io.k8s.api.autoscaling.v1.HorizontalPodAutoscalerSpec': ['scaleTargetRef'],
  'io.k8s.api.autoscaling.v1.ObjectMetricSource': ['target'],
  'io.k8s.api.autoscaling.v1.ObjectMetricStatus': ['target'],
  'io.k8s.api.autoscaling.v1.Scale': ['metadata', 'spec', 'status'],
  'io.k8s.api.autoscaling.v2.ContainerResourceMetricSource': ['target'],
  'io.k8s.api.autoscaling.v2.ContainerResourceMetricStatus': ['current'],
  'io.k8s.api.autoscaling.v2.ExternalMetricSource': ['metric', 'target'],
  'io.k8s.api.autoscaling.v2.ExternalMetricStatus': ['metric', 'current'],
  'io.k8s.api.autoscaling.v2.HorizontalPodAutoscaler': ['metadata', 'spec', 'status'],
  'io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerList': ['metadata'],
  'io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerSpec': ['scaleTargetRef'],
  'io.k8s.api.autoscaling.v2.ObjectMetricSource': ['describedObject', 'target', 'metric'],
  'io.k8s.api.autoscaling.v2.ObjectMetricStatus': ['metric', 'current', 'describedObject'],
  'io.k8s.api.autoscaling.v2.PodsMetricSource': ['metric', 'target'],
  'io.k8s.api.autoscaling.v2.PodsMetricStatus': ['metric', 'current'],
  'io.k8s.api.autoscaling.v2.ResourceMetricSource': ['target'],
  'io.k8s.api.autoscaling.v2.ResourceMetricStatus': ['current'],
  'io.k8s.api.batch.v1.CronJob': ['metadata', 'spec', 'status'],
  'io.k8s.api.batch.v1.CronJobList': ['metadata'],
  'io.k8s.api.batch.v1.CronJobSpec': ['jobTemplate'],
  'io.k8s.api.batch.v1.Job': ['metadata', 'spec', 'status'],
  'io.k8s.api.batch.v1.JobList': ['metadata'],
  'io.k8s.api.batch.v1.JobSpec': ['template'],
  'io.k8s.api.batch.v1.JobTemplateSpec': ['metadata', 'spec'],
  'io.k8s.api.certificates.v1.CertificateSigningRequest': ['metadata', 'spec', 'status'],
  'io.k8s.api.certificates.v1.CertificateSigningRequestList': ['metadata'],
  'io.k8s.api.certificates.v1alpha1.ClusterTrustBundle': ['metadata', 'spec'],
  'io.k8s.api.certificates.v1alpha1.ClusterTrustBundleList': ['metadata'],
  'io.k8s.api.coordination.v1.Lease': ['metadata', 'spec'],
  'io.k8s.api.coordination.v1.LeaseList': ['metadata'],
  'io.k8s.api.core.v1.Binding': ['metadata', 'target'],
  'io.k8s.api.core.v1.ComponentStatus': ['metadata'],
  'io.k8s.api.core.v1.ComponentStatusList': ['metadata'],
  'io.k8s.api.core.v1.ConfigMap': ['metadata'],
  'io.k8s.api.core.v1.ConfigMapList': ['metadata'],
  'io.k8s.api.core.v1.Container': ['resources'],
  'io.k8s.api.core.v1.ContainerStatus': ['state', 'lastState'],
  'io.k8s.api.core.v1.Endpoints': ['metadata'],
  'io.k8s.api.core.v1.EndpointsList': ['metadata'],
  'io.k8s.api.core.v1.EphemeralContainer': ['resources'],
  'io.k8s.api.core.v1.EphemeralContainerCommon': ['resources'],
  'io.k8s.api.core.v1.Event': ['metadata', 'involvedObject', 'source'],
  'io.k8s.api.core.v1.EventList': ['metadata'],
  'io.k8s.api.core.v1.LimitRange': ['metadata', 'spec'],
  'io.k8s.api.core.v1.LimitRangeList': ['metadata'],
  'io.k8s.api.core.v1.Namespace': ['metadata', 'spec', 'status'],
  'io.k8s.api.core.v1.NamespaceList': ['metadata'],
  'io.k8s.api.core.v1.Node': ['metadata', 'spec', 'status'],
  'io.k8s.api.core.v1.NodeDaemonEndpoints': ['kubeletEndpoint'],
  'io.k8s.api.core.v1.NodeList': ['metadata'],
  'io.k8s.api.core.v1.NodeStatus': ['daemonEndpoints', 'nodeInfo'],
  'io.k8s.api.core.v1.PersistentVolume': ['metadata', 'spec', 'status'],
  'io.k8s.api.core.v1.PersistentVolumeClaim': ['metadata', 'spec', 'status'],
  'io.k8s.api.core.v1.PersistentVolumeClaimList': ['metadata'],
  'io.k8s.api.core.v1.PersistentVolumeClaimSpec': ['resources'],
  'io.k8s.api.core.v1.PersistentVolumeClaimTemplate': ['metadata', 'spec'],
  'io.k8s.api.core.v1.PersistentVolumeList': ['metadata'],
  'io.k8s.api.core.v1.Pod': ['metadata', 'spec', 'status'],
  'io.k8s.api.core.v1.PodList': ['metadata'],
  'io.k8s.api.core.v1.PodResourceClaim': ['source'],
  'io.k8s.api.core.v1.PodStatusResult': ['metadata', 'status'],
  'io.k8s.api.core.v1.PodTemplate': ['metadata', 'template'],
  'io.k8s.api.core.v1.PodTemplateList': ['metadata'],
  'io.k8s.api.core.v1.PodTemplateSpec': ['metadata', 'spec'],
  'io.k8s.api.core.v1.PreferAvoidPodsEntry': ['podSignature'],
  'io.k8s.api.core.v1.PreferredSchedulingTerm': ['preference'],
  'io.k8s.api.core.v1.RangeAllocation': ['metadata'],
  'io.k8s.api.core.v1.ReplicationController': ['metadata', 'spec', 'status'],
  'io.k8s.api.core.v1.ReplicationControllerList': ['metadata'],
  'io.k8s.api.core.v1.ResourceQuota': ['metadata', 'spec', 'status'],
  'io.k8s.api.core.v1.ResourceQuotaList': ['metadata'],
  'io.k8s.api.core.v1.Secret': ['metadata'],
  'io.k8s.api.core.v1.SecretList': ['metadata'],
  'io.k8s.api.core.v1.SerializedReference': ['reference'],
  'io.k8s.api.core.v1.Service': ['metadata', 'spec', 'status'],
  'io.k8s.api.core.v1.ServiceAccount': ['metadata'],
  'io.k8s.api.core.v1.ServiceAccountList': ['metadata'],
  'io.k8s.api.core.v1.ServiceList': ['metadata'],
  'io.k8s.api.core.v1.ServiceStatus': ['loadBalancer'],
  'io.k8s.api.core.v1.WeightedPodAffinityTerm': ['podAffinityTerm'],
  'io.k8s.api.discovery.v1.Endpoint': ['conditions'],
  'io.k8s.api.discovery.v1.EndpointSlice': ['metadata'],
  'io.k8s.api.discovery.v1.EndpointSliceList': ['metadata'],
  'io.k8s.api.events.v1.Event': ['metadata', 'regarding', 'deprecatedSource'],
  'io.k8s.api.events.v1.EventList': ['metadata'],
  'io.k8s.api.flowcontrol.v1.FlowSchema': ['metadata', 'spec', 'status'],
  'io.k8s.api.flowcontrol.v1.FlowSchemaList': ['metadata'],
  'io.k8s.api.flowcontrol.v1.FlowSchemaSpec': ['priorityLevelConfiguration'],
  'io.k8s.api.flowcontrol.v1.LimitedPriorityLevelConfiguration': ['limitResponse'],
  'io.k8s.api.flowcontrol.v1.PriorityLevelConfiguration': ['metadata', 'spec', 'status'],
  'io.k8s.api.flowcontrol.v1.PriorityLevelConfigurationList': ['metadata'],
  'io.k8s.api.flowcontrol.v1beta3.FlowSchema': ['metadata', 'spec', 'status'],
  'io.k8s.api.flowcontrol.v1beta3.FlowSchemaList': ['metadata'],
  'io.k8s.api.flowcontrol.v1beta3.FlowSchemaSpec': ['priorityLevelConfiguration'],
  'io.k8s.api.flowcontrol.v1beta3.LimitedPriorityLevelConfiguration': ['limitResponse'],
  'io.k8s.api.flowcontrol.v1beta3.PriorityLevelConfiguration': ['metadata', 'spec', 'status'],
  'io.k8s.api.flowcontrol.v1beta3.PriorityLevelConfigurationList': ['metadata'],
  'io.k8s.api.networking.v1.HTTPIngressPath': ['backend'],
  'io.k8s.api.networking.v1.Ingress': ['metadata', 'spec', 'status'],
  'io.k8s.api.networking.v1.IngressClass': ['metadata', 'spec'],
  'io.k8s.api.networking.v1.IngressClassList': ['metadata'],
  'io.k8s.api.networking.v1.IngressList': ['metadata'],
  'io.k8s.api.networking.v1.IngressServiceBackend': ['port'],
  'io.k8s.api.networking.v1.IngressStatus': ['loadBalancer'],
  'io.k8s.api.networking.v1.NetworkPolicy': ['metadata', 'spec'],
  'io.k8s.api.networking.v1.NetworkPolicyList': ['metadata'],
  'io.k8s.api.networking.v1.NetworkPolicySpec': ['podSelector'],
  'io.k8s.api.networking.v1alpha1.IPAddress': ['metadata', 'spec'],
  'io.k8s.api.networking.v1alpha1.IPAddressList': ['metadata'],
  'io.k8s.api.networking.v1alpha1.ServiceCIDR': ['metadata', 'spec', 'status'],
  'io.k8s.api.networking.v1alpha1.ServiceCIDRList': ['metadata'],
  'io.k8s.api.node.v1.RuntimeClass': ['metadata'],
  'io.k8s.api.node.v1.RuntimeClassList': ['metadata'],
  'io.k8s.api.policy.v1.Eviction': ['metadata'],
  'io.k8s.api.policy.v1.PodDisruptionBudget': ['metadata', 'spec', 'status'],
  'io.k8s.api.policy.v1.PodDisruptionBudgetList': ['metadata'],
  'io.k8s.api.rbac.v1.ClusterRole': ['metadata'],
  'io.k8s.api.rbac.v1.ClusterRoleBinding': ['metadata', 'roleRef'],
  'io.k8s.api.rbac.v1.ClusterRoleBindingList': ['metadata'],
  'io.k8s.api.rbac.v1.ClusterRoleList': ['metadata'],
  'io.k8s.api.rbac.v1.Role': ['metadata'],
  'io.k8s.api.rbac.v1.RoleBinding': ['metadata', 'roleRef'],
  'io.k8s.api.rbac.v1.RoleBindingList': ['metadata'],
  'io.k8s.api.rbac.v1.RoleList': ['metadata'],
  'io.k8s.api.resource.v1alpha2.PodSchedulingContext': ['metadata', 'spec', 'status'],
  'io.k8s.api.resource.v1alpha2.PodSchedulingContextList': ['metadata'],
  'io.k8s.api.resource.v1alpha2.ResourceClaim': ['metadata', 'spec', 'status'],
  'io.k8s.api.resource.v1alpha2.ResourceClaimList': ['metadata'],
  'io.k8s.api.resource.v1alpha2.ResourceClaimParameters': ['metadata'],
  'io.k8s.api.resource.v1alpha2.ResourceClaimParametersList': ['metadata'],
  'io.k8s.api.resource.v1alpha2.ResourceClaimTemplate': ['metadata', 'spec'],
  'io.k8s.api.resource.v1alpha2.ResourceClaimTemplateList': ['metadata'],
  'io.k8s.api.resource.v1alpha2.ResourceClaimTemplateSpec': ['metadata', 'spec'],
  'io.k8s.api.resource.v1alpha2.ResourceClass': ['metadata'],
  'io.k8s.api.resource.v1alpha2.ResourceClassList': ['metadata'],
  'io.k8s.api.resource.v1alpha2.ResourceClassParameters': ['metadata'],
  'io.k8s.api.resource.v1alpha2.ResourceClassParametersList': ['metadata'],
  'io.k8s.api.resource.v1alpha2.ResourceSlice': ['metadata'],
  'io.k8s.api.resource.v1alpha2.ResourceSliceList': ['metadata'],
  'io.k8s.api.scheduling.v1.PriorityClass': ['metadata'],
  'io.k8s.api.scheduling.v1.PriorityClassList': ['metadata'],
  'io.k8s.api.storage.v1.CSIDriver': ['metadata', 'spec'],
  'io.k8s.api.storage.v1.CSIDriverList': ['metadata'],
  'io.k8s.api.storage.v1.CSINode': ['metadata', 'spec'],
  'io.k8s.api.storage.v1.CSINodeList': ['metadata'],
  'io.k8s.api.storage.v1.CSIStorageCapacity': ['metadata'],
  'io.k8s.api.storage.v1.CSIStorageCapacityList': ['metadata'],
  'io.k8s.api.storage.v1.StorageClass': ['metadata'],
  'io.k8s.api.storage.v1.StorageClassList': ['metadata'],
  'io.k8s.api.storage.v1.VolumeAttachment': ['metadata', 'spec', 'status'],
  'io.k8s.api.storage.v1.VolumeAttachmentList': ['metadata'],
  'io.k8s.api.storage.v1.VolumeAttachmentSpec': ['source'],
  'io.k8s.api.storage.v1alpha1.CSIStorageCapacity': ['metadata'],
  'io.k8s.api.storage.v1alpha1.CSIStorageCapacityList': ['metadata'],
  'io.k8s.api.storage.v1alpha1.VolumeAttachment': ['metadata', 'spec', 'status'],
  'io.k8s.api.storage.v1alpha1.VolumeAttachmentList': ['metadata'],
  'io.k8s.api.storage.v1alpha1.VolumeAttachmentSpec': ['source'],
  'io.k8s.api.storage.v1alpha1.VolumeAttributesClass': ['metadata'],
  'io.k8s.api.storage.v1alpha1.VolumeAttributesClassList': ['metadata'],
  'io.k8s.api.storagemigration.v1alpha1.StorageVersionMigration': ['metadata', 'spec', 'status'],
  'io.k8s.api.storagemigration.v1alpha1.StorageVersionMigrationList': ['metadata'],
  'io.k8s.api.storagemigration.v1alpha1.StorageVersionMigrationSpec': ['resource'],
  'io.k8s.apimachinery.pkg.apis.meta.v1.APIGroup': ['preferredVersion'],
  'io.k8s.apimachinery.pkg.apis.meta.v1.List': ['metadata'],
  'io.k8s.apimachinery.pkg.apis.meta.v1.PartialObjectMetadata': ['metadata'],
  'io.k8s.apimachinery.pkg.apis.meta.v1.PartialObjectMetadataList': ['metadata'],
  'io.k8s.apimachinery.pkg.apis.meta.v1.Status': ['metadata'],
  'io.k8s.apimachinery.pkg.apis.meta.v1.Table': ['metadata'],
};

/** Explicit `+default=` markers: definition → member → default. */
export const explicitDefaults: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {
  'io.k8s.api.core.v1.ConfigMapEnvSource': { name: '' },
  'io.k8s.api.core.v1.ConfigMapKeySelector': { name: '' },
  'io.k8s.api.core.v1.ConfigMapProjection': { name: '' },
  'io.k8s.api.core.v1.ConfigMapVolumeSource': { name: '' },
  'io.k8s.api.core.v1.ContainerPort': { protocol: 'TCP' },
  'io.k8s.api.core.v1.GRPCAction': { service: '' },
  'io.k8s.api.core.v1.LocalObjectReference': { name: '' },
  'io.k8s.api.core.v1.SecretEnvSource': { name: '' },
  'io.k8s.api.core.v1.SecretKeySelector': { name: '' },
  'io.k8s.api.core.v1.SecretProjection': { name: '' },
  'io.k8s.api.core.v1.ServicePort': { protocol: 'TCP' },
};

/**
 * Members that Kubernetes has but kubernetes-types 1.30 lost (their Go comments contain `*\/`, which
 * ended the JSDoc comment early and swallowed the member declarations). Descriptions are ours.
 */
export interface ExtraMember { type: 'string' | 'array'; items?: 'string'; description: string; required?: boolean; listType?: 'atomic' }
const ruleResources: ExtraMember = {
  type: 'array', items: 'string', listType: 'atomic',
  description: 'Resources is a list of resources this rule applies to. \'*\' means all resources; \'pods/*\' all subresources of pods; \'*\/scale\' the scale subresource of every resource; \'pods\' only pods, not their subresources. If a wildcard is present, validation ensures the rules do not overlap. Required.',
};
const ruleScope: ExtraMember = {
  type: 'string',
  description: 'scope specifies the scope of this rule: "Cluster" (cluster-scoped resources only), "Namespaced" (namespaced resources only) or "*" (no restriction, the default). Subresources match the scope of their resource.',
};
export const extraMembers: Readonly<Record<string, Readonly<Record<string, ExtraMember>>>> = {
  'io.k8s.api.admissionregistration.v1.RuleWithOperations': { resources: ruleResources, scope: ruleScope },
  'io.k8s.api.admissionregistration.v1.NamedRuleWithOperations': { resources: ruleResources, scope: ruleScope },
  'io.k8s.api.admissionregistration.v1alpha1.NamedRuleWithOperations': { resources: ruleResources, scope: ruleScope },
  'io.k8s.api.admissionregistration.v1beta1.NamedRuleWithOperations': { resources: ruleResources, scope: ruleScope },
  'io.k8s.api.authorization.v1.ResourceRule': {
    verbs: { type: 'array', items: 'string', listType: 'atomic', required: true, description: 'Verb is a list of kubernetes resource API verbs, like: get, list, watch, create, update, delete, proxy.  "*" means all.' },
    resources: { type: 'array', items: 'string', listType: 'atomic', description: 'Resources is a list of resources this rule applies to.  "*" means all in the specified apiGroups; "*\/foo" means the subresource \'foo\' of every resource in the specified apiGroups.' },
  },
};

/**
 * Defaults of scalar members: Kubernetes gives a member its zero value as `default` when its Go type is a
 * plain value without `omitempty`. For almost every member that is the same as "required"; these two
 * tables list the exceptions.
 */
/** Optional members that still get their zero value as default. */
export const zeroDefaultOptional: Readonly<Record<string, readonly string[]>> = {
  'io.k8s.api.apps.v1.StatefulSetOrdinals': ['start'],
  'io.k8s.api.apps.v1.StatefulSetStatus': ['availableReplicas'],
  'io.k8s.api.core.v1.HostAlias': ['ip'],
  'io.k8s.api.core.v1.PodIP': ['ip'],
  'io.k8s.api.core.v1.HostIP': ['ip'],
  'io.k8s.api.core.v1.NodeRuntimeHandler': ['name'],
  'io.k8s.api.core.v1.Event': ['reportingComponent', 'reportingInstance'],
  'io.k8s.api.flowcontrol.v1.FlowSchemaSpec': ['matchingPrecedence'],
  'io.k8s.api.flowcontrol.v1.QueuingConfiguration': ['queues', 'handSize', 'queueLengthLimit'],
  'io.k8s.api.flowcontrol.v1beta3.FlowSchemaSpec': ['matchingPrecedence'],
  'io.k8s.api.flowcontrol.v1beta3.LimitedPriorityLevelConfiguration': ['nominalConcurrencyShares'],
  'io.k8s.api.flowcontrol.v1beta3.QueuingConfiguration': ['queues', 'handSize', 'queueLengthLimit'],
};

/** Required members without a default (Go pointers, []byte, or omitempty). */
export const requiredWithoutDefault: Readonly<Record<string, readonly string[]>> = {
  'io.k8s.api.admissionregistration.v1.MutatingWebhook': ['sideEffects'],
  'io.k8s.api.admissionregistration.v1.ValidatingWebhook': ['sideEffects'],
  'io.k8s.api.apiserverinternal.v1alpha1.StorageVersionCondition': ['message'],
  'io.k8s.api.certificates.v1.CertificateSigningRequestSpec': ['request'],
  'io.k8s.api.networking.v1.HTTPIngressPath': ['pathType'],
  'io.k8s.api.networking.v1alpha1.ParentReference': ['name', 'resource'],
};

/**
 * Members whose Go type is marked `+enum`: definition → member → the type's constants, sorted, as
 * Kubernetes publishes them in `enum` (on the items for lists). Transcribed from k8s.io/api 1.30.
 */
export const enumMembers: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>> = {
  'io.k8s.api.admissionregistration.v1.MatchResources': {
    matchPolicy: ['Equivalent', 'Exact'],
  },
  'io.k8s.api.admissionregistration.v1.MutatingWebhook': {
    failurePolicy: ['Fail', 'Ignore'],
    matchPolicy: ['Equivalent', 'Exact'],
    sideEffects: ['None', 'NoneOnDryRun', 'Some', 'Unknown'],
    reinvocationPolicy: ['IfNeeded', 'Never'],
  },
  'io.k8s.api.admissionregistration.v1.NamedRuleWithOperations': {
    operations: ['*', 'CONNECT', 'CREATE', 'DELETE', 'UPDATE'],
    scope: ['*', 'Cluster', 'Namespaced'],
  },
  'io.k8s.api.admissionregistration.v1.RuleWithOperations': {
    operations: ['*', 'CONNECT', 'CREATE', 'DELETE', 'UPDATE'],
    scope: ['*', 'Cluster', 'Namespaced'],
  },
  'io.k8s.api.admissionregistration.v1.ValidatingAdmissionPolicyBindingSpec': {
    validationActions: ['Audit', 'Deny', 'Warn'],
  },
  'io.k8s.api.admissionregistration.v1.ValidatingAdmissionPolicySpec': {
    failurePolicy: ['Fail', 'Ignore'],
  },
  'io.k8s.api.admissionregistration.v1.ValidatingWebhook': {
    failurePolicy: ['Fail', 'Ignore'],
    matchPolicy: ['Equivalent', 'Exact'],
    sideEffects: ['None', 'NoneOnDryRun', 'Some', 'Unknown'],
  },
  'io.k8s.api.admissionregistration.v1alpha1.MatchResources': {
    matchPolicy: ['Equivalent', 'Exact'],
  },
  'io.k8s.api.admissionregistration.v1alpha1.ParamRef': {
    parameterNotFoundAction: ['Allow', 'Deny'],
  },
  'io.k8s.api.admissionregistration.v1alpha1.ValidatingAdmissionPolicyBindingSpec': {
    validationActions: ['Audit', 'Deny', 'Warn'],
  },
  'io.k8s.api.admissionregistration.v1alpha1.ValidatingAdmissionPolicySpec': {
    failurePolicy: ['Fail', 'Ignore'],
  },
  'io.k8s.api.admissionregistration.v1beta1.ValidatingAdmissionPolicyBindingSpec': {
    validationActions: ['Audit', 'Deny', 'Warn'],
  },
  'io.k8s.api.apps.v1.DaemonSetUpdateStrategy': {
    type: ['OnDelete', 'RollingUpdate'],
  },
  'io.k8s.api.apps.v1.DeploymentStrategy': {
    type: ['Recreate', 'RollingUpdate'],
  },
  'io.k8s.api.apps.v1.StatefulSetSpec': {
    podManagementPolicy: ['OrderedReady', 'Parallel'],
  },
  'io.k8s.api.apps.v1.StatefulSetUpdateStrategy': {
    type: ['OnDelete', 'RollingUpdate'],
  },
  'io.k8s.api.batch.v1.CronJobSpec': {
    concurrencyPolicy: ['Allow', 'Forbid', 'Replace'],
  },
  'io.k8s.api.batch.v1.JobSpec': {
    completionMode: ['Indexed', 'NonIndexed'],
    podReplacementPolicy: ['Failed', 'TerminatingOrFailed'],
  },
  'io.k8s.api.batch.v1.PodFailurePolicyOnExitCodesRequirement': {
    operator: ['In', 'NotIn'],
  },
  'io.k8s.api.batch.v1.PodFailurePolicyRule': {
    action: ['Count', 'FailIndex', 'FailJob', 'Ignore'],
  },
  'io.k8s.api.certificates.v1.CertificateSigningRequestSpec': {
    usages: ['any', 'cert sign', 'client auth', 'code signing', 'content commitment', 'crl sign', 'data encipherment', 'decipher only', 'digital signature', 'email protection', 'encipher only', 'ipsec end system', 'ipsec tunnel', 'ipsec user', 'key agreement', 'key encipherment', 'microsoft sgc', 'netscape sgc', 'ocsp signing', 's/mime', 'server auth', 'signing', 'timestamping'],
  },
  'io.k8s.api.core.v1.AppArmorProfile': {
    type: ['Localhost', 'RuntimeDefault', 'Unconfined'],
  },
  'io.k8s.api.core.v1.AzureDiskVolumeSource': {
    cachingMode: ['None', 'ReadOnly', 'ReadWrite'],
    kind: ['Dedicated', 'Managed', 'Shared'],
  },
  'io.k8s.api.core.v1.Container': {
    terminationMessagePolicy: ['FallbackToLogsOnError', 'File'],
    imagePullPolicy: ['Always', 'IfNotPresent', 'Never'],
  },
  'io.k8s.api.core.v1.ContainerPort': {
    protocol: ['SCTP', 'TCP', 'UDP'],
  },
  'io.k8s.api.core.v1.EndpointPort': {
    protocol: ['SCTP', 'TCP', 'UDP'],
  },
  'io.k8s.api.core.v1.EphemeralContainer': {
    terminationMessagePolicy: ['FallbackToLogsOnError', 'File'],
    imagePullPolicy: ['Always', 'IfNotPresent', 'Never'],
  },
  'io.k8s.api.core.v1.HTTPGetAction': {
    scheme: ['HTTP', 'HTTPS'],
  },
  'io.k8s.api.core.v1.HostPathVolumeSource': {
    type: ['', 'BlockDevice', 'CharDevice', 'Directory', 'DirectoryOrCreate', 'File', 'FileOrCreate', 'Socket'],
  },
  'io.k8s.api.core.v1.ModifyVolumeStatus': {
    status: ['InProgress', 'Infeasible', 'Pending'],
  },
  'io.k8s.api.core.v1.NamespaceStatus': {
    phase: ['Active', 'Terminating'],
  },
  'io.k8s.api.core.v1.NodeSelectorRequirement': {
    operator: ['DoesNotExist', 'Exists', 'Gt', 'In', 'Lt', 'NotIn'],
  },
  'io.k8s.api.core.v1.NodeStatus': {
    phase: ['Pending', 'Running', 'Terminated'],
  },
  'io.k8s.api.core.v1.PersistentVolumeClaimSpec': {
    accessModes: ['ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod'],
    volumeMode: ['Block', 'Filesystem'],
  },
  'io.k8s.api.core.v1.PersistentVolumeClaimStatus': {
    phase: ['Bound', 'Lost', 'Pending'],
    accessModes: ['ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod'],
  },
  'io.k8s.api.core.v1.PersistentVolumeSpec': {
    accessModes: ['ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod'],
    persistentVolumeReclaimPolicy: ['Delete', 'Recycle', 'Retain'],
    volumeMode: ['Block', 'Filesystem'],
  },
  'io.k8s.api.core.v1.PersistentVolumeStatus': {
    phase: ['Available', 'Bound', 'Failed', 'Pending', 'Released'],
  },
  'io.k8s.api.core.v1.PodSecurityContext': {
    fsGroupChangePolicy: ['Always', 'OnRootMismatch'],
  },
  'io.k8s.api.core.v1.PodSpec': {
    restartPolicy: ['Always', 'Never', 'OnFailure'],
    dnsPolicy: ['ClusterFirst', 'ClusterFirstWithHostNet', 'Default', 'None'],
    preemptionPolicy: ['Never', 'PreemptLowerPriority'],
  },
  'io.k8s.api.core.v1.PodStatus': {
    phase: ['Failed', 'Pending', 'Running', 'Succeeded', 'Unknown'],
    qosClass: ['BestEffort', 'Burstable', 'Guaranteed'],
  },
  'io.k8s.api.core.v1.PortStatus': {
    protocol: ['SCTP', 'TCP', 'UDP'],
  },
  'io.k8s.api.core.v1.ResourceQuotaSpec': {
    scopes: ['BestEffort', 'CrossNamespacePodAffinity', 'NotBestEffort', 'NotTerminating', 'PriorityClass', 'Terminating'],
  },
  'io.k8s.api.core.v1.ScopedResourceSelectorRequirement': {
    scopeName: ['BestEffort', 'CrossNamespacePodAffinity', 'NotBestEffort', 'NotTerminating', 'PriorityClass', 'Terminating'],
    operator: ['DoesNotExist', 'Exists', 'In', 'NotIn'],
  },
  'io.k8s.api.core.v1.SeccompProfile': {
    type: ['Localhost', 'RuntimeDefault', 'Unconfined'],
  },
  'io.k8s.api.core.v1.SecurityContext': {
    procMount: ['Default', 'Unmasked'],
  },
  'io.k8s.api.core.v1.ServicePort': {
    protocol: ['SCTP', 'TCP', 'UDP'],
  },
  'io.k8s.api.core.v1.ServiceSpec': {
    type: ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'],
    sessionAffinity: ['ClientIP', 'None'],
    externalTrafficPolicy: ['Cluster', 'Local'],
    ipFamilies: ['', 'IPv4', 'IPv6'],
    ipFamilyPolicy: ['PreferDualStack', 'RequireDualStack', 'SingleStack'],
    internalTrafficPolicy: ['Cluster', 'Local'],
  },
  'io.k8s.api.core.v1.Taint': {
    effect: ['NoExecute', 'NoSchedule', 'PreferNoSchedule'],
  },
  'io.k8s.api.core.v1.Toleration': {
    operator: ['Equal', 'Exists'],
    effect: ['NoExecute', 'NoSchedule', 'PreferNoSchedule'],
  },
  'io.k8s.api.core.v1.TopologySpreadConstraint': {
    whenUnsatisfiable: ['DoNotSchedule', 'ScheduleAnyway'],
    nodeAffinityPolicy: ['Honor', 'Ignore'],
    nodeTaintsPolicy: ['Honor', 'Ignore'],
  },
  'io.k8s.api.core.v1.VolumeMount': {
    mountPropagation: ['Bidirectional', 'HostToContainer', 'None'],
  },
  'io.k8s.api.discovery.v1.EndpointPort': {
    protocol: ['SCTP', 'TCP', 'UDP'],
  },
  'io.k8s.api.discovery.v1.EndpointSlice': {
    addressType: ['FQDN', 'IPv4', 'IPv6'],
  },
  'io.k8s.api.networking.v1.HTTPIngressPath': {
    pathType: ['Exact', 'ImplementationSpecific', 'Prefix'],
  },
  'io.k8s.api.networking.v1.IngressPortStatus': {
    protocol: ['SCTP', 'TCP', 'UDP'],
  },
  'io.k8s.api.networking.v1.NetworkPolicyPort': {
    protocol: ['SCTP', 'TCP', 'UDP'],
  },
  'io.k8s.api.networking.v1.NetworkPolicySpec': {
    policyTypes: ['Egress', 'Ingress'],
  },
  'io.k8s.api.policy.v1.PodDisruptionBudgetSpec': {
    unhealthyPodEvictionPolicy: ['AlwaysAllow', 'IfHealthyBudget'],
  },
  'io.k8s.api.storage.v1.StorageClass': {
    reclaimPolicy: ['Delete', 'Recycle', 'Retain'],
    volumeBindingMode: ['Immediate', 'WaitForFirstConsumer'],
  },
};
