/**
 * Patch and list metadata of the built-in Kubernetes types (1.30), which the kubernetes-types
 * .d.ts files do not carry: the `patchStrategy`/`patchMergeKey` struct tags and the
 * `+listType`, `+listMapKey`, `+mapType` and `+structType` markers of k8s.io/api and
 * k8s.io/apimachinery, transcribed per definition and field. Members of inline-embedded structs
 * (e.g. RuleWithOperations in NamedRuleWithOperations) are listed under the embedding type, since
 * that is where they appear in JSON. scripts/gen-openapi.mjs turns them into the
 * x-kubernetes-patch-strategy, x-kubernetes-patch-merge-key, x-kubernetes-list-type,
 * x-kubernetes-list-map-keys and x-kubernetes-map-type extensions.
 */

export interface FieldExtensions {
  patchStrategy?: string;
  patchMergeKey?: string;
  listType?: 'atomic' | 'set' | 'map';
  listMapKeys?: string[];
  mapType?: 'atomic' | 'granular';
}

/** definition name → JSON field name → extensions. */
export const fieldExtensions: Readonly<Record<string, Readonly<Record<string, FieldExtensions>>>> = {
  'io.k8s.api.admissionregistration.v1.MatchResources': {
    resourceRules: { listType: 'atomic' },
    excludeResourceRules: { listType: 'atomic' },
  },
  'io.k8s.api.admissionregistration.v1.MutatingWebhook': {
    rules: { listType: 'atomic' },
    admissionReviewVersions: { listType: 'atomic' },
    matchConditions: { patchStrategy: 'merge', patchMergeKey: 'name', listType: 'map', listMapKeys: ['name'] },
  },
  'io.k8s.api.admissionregistration.v1.MutatingWebhookConfiguration': {
    webhooks: { patchStrategy: 'merge', patchMergeKey: 'name', listType: 'map', listMapKeys: ['name'] },
  },
  'io.k8s.api.admissionregistration.v1.NamedRuleWithOperations': {
    resourceNames: { listType: 'atomic' },
    operations: { listType: 'atomic' },
    apiGroups: { listType: 'atomic' },
    apiVersions: { listType: 'atomic' },
    resources: { listType: 'atomic' },
  },
  'io.k8s.api.admissionregistration.v1.Rule': {
    apiGroups: { listType: 'atomic' },
    apiVersions: { listType: 'atomic' },
    resources: { listType: 'atomic' },
  },
  'io.k8s.api.admissionregistration.v1.RuleWithOperations': {
    operations: { listType: 'atomic' },
    apiGroups: { listType: 'atomic' },
    apiVersions: { listType: 'atomic' },
    resources: { listType: 'atomic' },
  },
  'io.k8s.api.admissionregistration.v1.TypeChecking': {
    expressionWarnings: { listType: 'atomic' },
  },
  'io.k8s.api.admissionregistration.v1.ValidatingAdmissionPolicyBindingSpec': {
    validationActions: { listType: 'set' },
  },
  'io.k8s.api.admissionregistration.v1.ValidatingAdmissionPolicySpec': {
    validations: { listType: 'atomic' },
    auditAnnotations: { listType: 'atomic' },
    matchConditions: { patchStrategy: 'merge', patchMergeKey: 'name', listType: 'map', listMapKeys: ['name'] },
    variables: { patchStrategy: 'merge', patchMergeKey: 'name', listType: 'map', listMapKeys: ['name'] },
  },
  'io.k8s.api.admissionregistration.v1.ValidatingAdmissionPolicyStatus': {
    conditions: { listType: 'map', listMapKeys: ['type'] },
  },
  'io.k8s.api.admissionregistration.v1.ValidatingWebhook': {
    rules: { listType: 'atomic' },
    admissionReviewVersions: { listType: 'atomic' },
    matchConditions: { patchStrategy: 'merge', patchMergeKey: 'name', listType: 'map', listMapKeys: ['name'] },
  },
  'io.k8s.api.admissionregistration.v1.ValidatingWebhookConfiguration': {
    webhooks: { patchStrategy: 'merge', patchMergeKey: 'name', listType: 'map', listMapKeys: ['name'] },
  },
  'io.k8s.api.admissionregistration.v1alpha1.MatchResources': {
    resourceRules: { listType: 'atomic' },
    excludeResourceRules: { listType: 'atomic' },
  },
  'io.k8s.api.admissionregistration.v1alpha1.NamedRuleWithOperations': {
    resourceNames: { listType: 'atomic' },
  },
  'io.k8s.api.admissionregistration.v1alpha1.TypeChecking': {
    expressionWarnings: { listType: 'atomic' },
  },
  'io.k8s.api.admissionregistration.v1alpha1.ValidatingAdmissionPolicyBindingSpec': {
    validationActions: { listType: 'set' },
  },
  'io.k8s.api.admissionregistration.v1alpha1.ValidatingAdmissionPolicySpec': {
    validations: { listType: 'atomic' },
    auditAnnotations: { listType: 'atomic' },
    matchConditions: { patchStrategy: 'merge', patchMergeKey: 'name', listType: 'map', listMapKeys: ['name'] },
    variables: { patchStrategy: 'merge', patchMergeKey: 'name', listType: 'map', listMapKeys: ['name'] },
  },
  'io.k8s.api.admissionregistration.v1alpha1.ValidatingAdmissionPolicyStatus': {
    conditions: { listType: 'map', listMapKeys: ['type'] },
  },
  'io.k8s.api.admissionregistration.v1beta1.MatchResources': {
    resourceRules: { listType: 'atomic' },
    excludeResourceRules: { listType: 'atomic' },
  },
  'io.k8s.api.admissionregistration.v1beta1.MutatingWebhook': {
    rules: { listType: 'atomic' },
    admissionReviewVersions: { listType: 'atomic' },
    matchConditions: { patchStrategy: 'merge', patchMergeKey: 'name', listType: 'map', listMapKeys: ['name'] },
  },
  'io.k8s.api.admissionregistration.v1beta1.MutatingWebhookConfiguration': {
    webhooks: { patchStrategy: 'merge', patchMergeKey: 'name', listType: 'map', listMapKeys: ['name'] },
  },
  'io.k8s.api.admissionregistration.v1beta1.NamedRuleWithOperations': {
    resourceNames: { listType: 'atomic' },
  },
  'io.k8s.api.admissionregistration.v1beta1.TypeChecking': {
    expressionWarnings: { listType: 'atomic' },
  },
  'io.k8s.api.admissionregistration.v1beta1.ValidatingAdmissionPolicyBindingSpec': {
    validationActions: { listType: 'set' },
  },
  'io.k8s.api.admissionregistration.v1beta1.ValidatingAdmissionPolicySpec': {
    validations: { listType: 'atomic' },
    auditAnnotations: { listType: 'atomic' },
    matchConditions: { patchStrategy: 'merge', patchMergeKey: 'name', listType: 'map', listMapKeys: ['name'] },
    variables: { patchStrategy: 'merge', patchMergeKey: 'name', listType: 'map', listMapKeys: ['name'] },
  },
  'io.k8s.api.admissionregistration.v1beta1.ValidatingAdmissionPolicyStatus': {
    conditions: { listType: 'map', listMapKeys: ['type'] },
  },
  'io.k8s.api.admissionregistration.v1beta1.ValidatingWebhook': {
    rules: { listType: 'atomic' },
    sideEffects: { listType: 'atomic' },
    admissionReviewVersions: { listType: 'atomic' },
    matchConditions: { patchStrategy: 'merge', patchMergeKey: 'name', listType: 'map', listMapKeys: ['name'] },
  },
  'io.k8s.api.admissionregistration.v1beta1.ValidatingWebhookConfiguration': {
    webhooks: { patchStrategy: 'merge', patchMergeKey: 'name', listType: 'map', listMapKeys: ['name'] },
  },
  'io.k8s.api.apiserverinternal.v1alpha1.ServerStorageVersion': {
    decodableVersions: { listType: 'set' },
    servedVersions: { listType: 'set' },
  },
  'io.k8s.api.apiserverinternal.v1alpha1.StorageVersionStatus': {
    storageVersions: { listType: 'map', listMapKeys: ['apiServerID'] },
    conditions: { listType: 'map', listMapKeys: ['type'] },
  },
  'io.k8s.api.apps.v1.DaemonSetStatus': {
    conditions: { patchStrategy: 'merge', patchMergeKey: 'type', listType: 'map', listMapKeys: ['type'] },
  },
  'io.k8s.api.apps.v1.DeploymentSpec': {
    strategy: { patchStrategy: 'retainKeys' },
  },
  'io.k8s.api.apps.v1.DeploymentStatus': {
    conditions: { patchStrategy: 'merge', patchMergeKey: 'type', listType: 'map', listMapKeys: ['type'] },
  },
  'io.k8s.api.apps.v1.ReplicaSetStatus': {
    conditions: { patchStrategy: 'merge', patchMergeKey: 'type', listType: 'map', listMapKeys: ['type'] },
  },
  'io.k8s.api.apps.v1.StatefulSetSpec': {
    volumeClaimTemplates: { listType: 'atomic' },
  },
  'io.k8s.api.apps.v1.StatefulSetStatus': {
    conditions: { patchStrategy: 'merge', patchMergeKey: 'type', listType: 'map', listMapKeys: ['type'] },
  },
  'io.k8s.api.authentication.v1.TokenRequestSpec': {
    audiences: { listType: 'atomic' },
  },
  'io.k8s.api.authentication.v1.TokenReviewSpec': {
    audiences: { listType: 'atomic' },
  },
  'io.k8s.api.authentication.v1.TokenReviewStatus': {
    audiences: { listType: 'atomic' },
  },
  'io.k8s.api.authentication.v1.UserInfo': {
    groups: { listType: 'atomic' },
  },
  'io.k8s.api.authentication.v1beta1.TokenReviewSpec': {
    audiences: { listType: 'atomic' },
  },
  'io.k8s.api.authentication.v1beta1.TokenReviewStatus': {
    audiences: { listType: 'atomic' },
  },
  'io.k8s.api.authentication.v1beta1.UserInfo': {
    groups: { listType: 'atomic' },
  },
  'io.k8s.api.authorization.v1.NonResourceRule': {
    verbs: { listType: 'atomic' },
    nonResourceURLs: { listType: 'atomic' },
  },
  'io.k8s.api.authorization.v1.ResourceRule': {
    verbs: { listType: 'atomic' },
    apiGroups: { listType: 'atomic' },
    resources: { listType: 'atomic' },
    resourceNames: { listType: 'atomic' },
  },
  'io.k8s.api.authorization.v1.SubjectAccessReviewSpec': {
    groups: { listType: 'atomic' },
  },
  'io.k8s.api.authorization.v1.SubjectRulesReviewStatus': {
    resourceRules: { listType: 'atomic' },
    nonResourceRules: { listType: 'atomic' },
  },
  'io.k8s.api.autoscaling.v2.HPAScalingRules': {
    policies: { listType: 'atomic' },
  },
  'io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerSpec': {
    metrics: { listType: 'atomic' },
  },
  'io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerStatus': {
    currentMetrics: { listType: 'atomic' },
    conditions: { patchStrategy: 'merge', patchMergeKey: 'type', listType: 'map', listMapKeys: ['type'] },
  },
  'io.k8s.api.batch.v1.CronJobStatus': {
    active: { listType: 'atomic' },
  },
  'io.k8s.api.batch.v1.JobStatus': {
    conditions: { patchStrategy: 'merge', patchMergeKey: 'type', listType: 'atomic' },
  },
  'io.k8s.api.batch.v1.PodFailurePolicy': {
    rules: { listType: 'atomic' },
  },
  'io.k8s.api.batch.v1.PodFailurePolicyOnExitCodesRequirement': {
    values: { listType: 'set' },
  },
  'io.k8s.api.batch.v1.PodFailurePolicyRule': {
    onPodConditions: { listType: 'atomic' },
  },
  'io.k8s.api.batch.v1.SuccessPolicy': {
    rules: { listType: 'atomic' },
  },
  'io.k8s.api.batch.v1.UncountedTerminatedPods': {
    succeeded: { listType: 'set' },
    failed: { listType: 'set' },
  },
  'io.k8s.api.certificates.v1.CertificateSigningRequestSpec': {
    request: { listType: 'atomic' },
    usages: { listType: 'atomic' },
    groups: { listType: 'atomic' },
  },
  'io.k8s.api.certificates.v1.CertificateSigningRequestStatus': {
    conditions: { listType: 'map', listMapKeys: ['type'] },
    certificate: { listType: 'atomic' },
  },
  'io.k8s.api.core.v1.AvoidPods': {
    preferAvoidPods: { listType: 'atomic' },
  },
  'io.k8s.api.core.v1.Capabilities': {
    add: { listType: 'atomic' },
    drop: { listType: 'atomic' },
  },
  'io.k8s.api.core.v1.CephFSPersistentVolumeSource': {
    monitors: { listType: 'atomic' },
  },
  'io.k8s.api.core.v1.CephFSVolumeSource': {
    monitors: { listType: 'atomic' },
  },
  'io.k8s.api.core.v1.ComponentStatus': {
    conditions: { patchStrategy: 'merge', patchMergeKey: 'type', listType: 'map', listMapKeys: ['type'] },
  },
  'io.k8s.api.core.v1.ConfigMapProjection': {
    items: { listType: 'atomic' },
  },
  'io.k8s.api.core.v1.ConfigMapVolumeSource': {
    items: { listType: 'atomic' },
  },
  'io.k8s.api.core.v1.Container': {
    command: { listType: 'atomic' },
    args: { listType: 'atomic' },
    ports: { patchStrategy: 'merge', patchMergeKey: 'containerPort', listType: 'map', listMapKeys: ['containerPort', 'protocol'] },
    envFrom: { listType: 'atomic' },
    env: { patchStrategy: 'merge', patchMergeKey: 'name', listType: 'map', listMapKeys: ['name'] },
    resizePolicy: { listType: 'atomic' },
    volumeMounts: { patchStrategy: 'merge', patchMergeKey: 'mountPath', listType: 'map', listMapKeys: ['mountPath'] },
    volumeDevices: { patchStrategy: 'merge', patchMergeKey: 'devicePath', listType: 'map', listMapKeys: ['devicePath'] },
  },
  'io.k8s.api.core.v1.ContainerImage': {
    names: { listType: 'atomic' },
  },
  'io.k8s.api.core.v1.ContainerStatus': {
    volumeMounts: { patchStrategy: 'merge', patchMergeKey: 'mountPath', listType: 'map', listMapKeys: ['mountPath'] },
  },
  'io.k8s.api.core.v1.DownwardAPIProjection': {
    items: { listType: 'atomic' },
  },
  'io.k8s.api.core.v1.DownwardAPIVolumeSource': {
    items: { listType: 'atomic' },
  },
  'io.k8s.api.core.v1.EndpointSubset': {
    addresses: { listType: 'atomic' },
    notReadyAddresses: { listType: 'atomic' },
    ports: { listType: 'atomic' },
  },
  'io.k8s.api.core.v1.Endpoints': {
    subsets: { listType: 'atomic' },
  },
  'io.k8s.api.core.v1.EphemeralContainer': {
    command: { listType: 'atomic' },
    args: { listType: 'atomic' },
    ports: { patchStrategy: 'merge', patchMergeKey: 'containerPort', listType: 'map', listMapKeys: ['containerPort', 'protocol'] },
    envFrom: { listType: 'atomic' },
    env: { patchStrategy: 'merge', patchMergeKey: 'name', listType: 'map', listMapKeys: ['name'] },
    resizePolicy: { listType: 'atomic' },
    volumeMounts: { patchStrategy: 'merge', patchMergeKey: 'mountPath', listType: 'map', listMapKeys: ['mountPath'] },
    volumeDevices: { patchStrategy: 'merge', patchMergeKey: 'devicePath', listType: 'map', listMapKeys: ['devicePath'] },
  },
  'io.k8s.api.core.v1.EphemeralContainerCommon': {
    command: { listType: 'atomic' },
    args: { listType: 'atomic' },
    ports: { patchStrategy: 'merge', patchMergeKey: 'containerPort', listType: 'map', listMapKeys: ['containerPort', 'protocol'] },
    envFrom: { listType: 'atomic' },
    env: { patchStrategy: 'merge', patchMergeKey: 'name', listType: 'map', listMapKeys: ['name'] },
    resizePolicy: { listType: 'atomic' },
    volumeMounts: { patchStrategy: 'merge', patchMergeKey: 'mountPath', listType: 'map', listMapKeys: ['mountPath'] },
    volumeDevices: { patchStrategy: 'merge', patchMergeKey: 'devicePath', listType: 'map', listMapKeys: ['devicePath'] },
  },
  'io.k8s.api.core.v1.ExecAction': {
    command: { listType: 'atomic' },
  },
  'io.k8s.api.core.v1.FCVolumeSource': {
    targetWWNs: { listType: 'atomic' },
    wwids: { listType: 'atomic' },
  },
  'io.k8s.api.core.v1.HTTPGetAction': {
    httpHeaders: { listType: 'atomic' },
  },
  'io.k8s.api.core.v1.HostAlias': {
    hostnames: { listType: 'atomic' },
  },
  'io.k8s.api.core.v1.ISCSIPersistentVolumeSource': {
    portals: { listType: 'atomic' },
  },
  'io.k8s.api.core.v1.ISCSIVolumeSource': {
    portals: { listType: 'atomic' },
  },
  'io.k8s.api.core.v1.LimitRangeSpec': {
    limits: { listType: 'atomic' },
  },
  'io.k8s.api.core.v1.LoadBalancerIngress': {
    ports: { listType: 'atomic' },
  },
  'io.k8s.api.core.v1.LoadBalancerStatus': {
    ingress: { listType: 'atomic' },
  },
  'io.k8s.api.core.v1.NamespaceSpec': {
    finalizers: { listType: 'atomic' },
  },
  'io.k8s.api.core.v1.NamespaceStatus': {
    conditions: { patchStrategy: 'merge', patchMergeKey: 'type', listType: 'map', listMapKeys: ['type'] },
  },
  'io.k8s.api.core.v1.NodeAffinity': {
    preferredDuringSchedulingIgnoredDuringExecution: { listType: 'atomic' },
  },
  'io.k8s.api.core.v1.NodeSelector': {
    nodeSelectorTerms: { listType: 'atomic' },
  },
  'io.k8s.api.core.v1.NodeSelectorRequirement': {
    values: { listType: 'atomic' },
  },
  'io.k8s.api.core.v1.NodeSelectorTerm': {
    matchExpressions: { listType: 'atomic' },
    matchFields: { listType: 'atomic' },
  },
  'io.k8s.api.core.v1.NodeSpec': {
    podCIDRs: { patchStrategy: 'merge', listType: 'set' },
    taints: { listType: 'atomic' },
  },
  'io.k8s.api.core.v1.NodeStatus': {
    conditions: { patchStrategy: 'merge', patchMergeKey: 'type', listType: 'map', listMapKeys: ['type'] },
    addresses: { patchStrategy: 'merge', patchMergeKey: 'type', listType: 'map', listMapKeys: ['type'] },
    images: { listType: 'atomic' },
    volumesInUse: { listType: 'atomic' },
    volumesAttached: { listType: 'atomic' },
    runtimeHandlers: { listType: 'atomic' },
  },
  'io.k8s.api.core.v1.PersistentVolumeClaimSpec': {
    accessModes: { listType: 'atomic' },
  },
  'io.k8s.api.core.v1.PersistentVolumeClaimStatus': {
    accessModes: { listType: 'atomic' },
    conditions: { patchStrategy: 'merge', patchMergeKey: 'type', listType: 'map', listMapKeys: ['type'] },
    allocatedResourceStatuses: { mapType: 'granular' },
  },
  'io.k8s.api.core.v1.PersistentVolumeSpec': {
    accessModes: { listType: 'atomic' },
    mountOptions: { listType: 'atomic' },
  },
  'io.k8s.api.core.v1.PodAffinity': {
    requiredDuringSchedulingIgnoredDuringExecution: { listType: 'atomic' },
    preferredDuringSchedulingIgnoredDuringExecution: { listType: 'atomic' },
  },
  'io.k8s.api.core.v1.PodAffinityTerm': {
    namespaces: { listType: 'atomic' },
    matchLabelKeys: { listType: 'atomic' },
    mismatchLabelKeys: { listType: 'atomic' },
  },
  'io.k8s.api.core.v1.PodAntiAffinity': {
    requiredDuringSchedulingIgnoredDuringExecution: { listType: 'atomic' },
    preferredDuringSchedulingIgnoredDuringExecution: { listType: 'atomic' },
  },
  'io.k8s.api.core.v1.PodDNSConfig': {
    nameservers: { listType: 'atomic' },
    searches: { listType: 'atomic' },
    options: { listType: 'atomic' },
  },
  'io.k8s.api.core.v1.PodExecOptions': {
    command: { listType: 'atomic' },
  },
  'io.k8s.api.core.v1.PodPortForwardOptions': {
    ports: { listType: 'atomic' },
  },
  'io.k8s.api.core.v1.PodSecurityContext': {
    supplementalGroups: { listType: 'atomic' },
    sysctls: { listType: 'atomic' },
  },
  'io.k8s.api.core.v1.PodSpec': {
    volumes: { patchStrategy: 'merge,retainKeys', patchMergeKey: 'name', listType: 'map', listMapKeys: ['name'] },
    initContainers: { patchStrategy: 'merge', patchMergeKey: 'name', listType: 'map', listMapKeys: ['name'] },
    containers: { patchStrategy: 'merge', patchMergeKey: 'name', listType: 'map', listMapKeys: ['name'] },
    ephemeralContainers: { patchStrategy: 'merge', patchMergeKey: 'name', listType: 'map', listMapKeys: ['name'] },
    nodeSelector: { mapType: 'atomic' },
    imagePullSecrets: { patchStrategy: 'merge', patchMergeKey: 'name', listType: 'map', listMapKeys: ['name'] },
    tolerations: { listType: 'atomic' },
    hostAliases: { patchStrategy: 'merge', patchMergeKey: 'ip', listType: 'map', listMapKeys: ['ip'] },
    readinessGates: { listType: 'atomic' },
    topologySpreadConstraints: { patchStrategy: 'merge', patchMergeKey: 'topologyKey', listType: 'map', listMapKeys: ['topologyKey', 'whenUnsatisfiable'] },
    schedulingGates: { patchStrategy: 'merge', patchMergeKey: 'name', listType: 'map', listMapKeys: ['name'] },
    resourceClaims: { patchStrategy: 'merge,retainKeys', patchMergeKey: 'name', listType: 'map', listMapKeys: ['name'] },
  },
  'io.k8s.api.core.v1.PodStatus': {
    conditions: { patchStrategy: 'merge', patchMergeKey: 'type', listType: 'map', listMapKeys: ['type'] },
    hostIPs: { patchStrategy: 'merge', patchMergeKey: 'ip', listType: 'atomic' },
    podIPs: { patchStrategy: 'merge', patchMergeKey: 'ip', listType: 'map', listMapKeys: ['ip'] },
    initContainerStatuses: { listType: 'atomic' },
    containerStatuses: { listType: 'atomic' },
    ephemeralContainerStatuses: { listType: 'atomic' },
    resourceClaimStatuses: { patchStrategy: 'merge,retainKeys', patchMergeKey: 'name', listType: 'map', listMapKeys: ['name'] },
  },
  'io.k8s.api.core.v1.ProjectedVolumeSource': {
    sources: { listType: 'atomic' },
  },
  'io.k8s.api.core.v1.RBDPersistentVolumeSource': {
    monitors: { listType: 'atomic' },
  },
  'io.k8s.api.core.v1.RBDVolumeSource': {
    monitors: { listType: 'atomic' },
  },
  'io.k8s.api.core.v1.ReplicationControllerSpec': {
    selector: { mapType: 'atomic' },
  },
  'io.k8s.api.core.v1.ReplicationControllerStatus': {
    conditions: { patchStrategy: 'merge', patchMergeKey: 'type', listType: 'map', listMapKeys: ['type'] },
  },
  'io.k8s.api.core.v1.ResourceQuotaSpec': {
    scopes: { listType: 'atomic' },
  },
  'io.k8s.api.core.v1.ResourceRequirements': {
    claims: { listType: 'map', listMapKeys: ['name'] },
  },
  'io.k8s.api.core.v1.ScopeSelector': {
    matchExpressions: { listType: 'atomic' },
  },
  'io.k8s.api.core.v1.ScopedResourceSelectorRequirement': {
    values: { listType: 'atomic' },
  },
  'io.k8s.api.core.v1.SecretProjection': {
    items: { listType: 'atomic' },
  },
  'io.k8s.api.core.v1.SecretVolumeSource': {
    items: { listType: 'atomic' },
  },
  'io.k8s.api.core.v1.ServiceAccount': {
    secrets: { patchStrategy: 'merge', patchMergeKey: 'name', listType: 'map', listMapKeys: ['name'] },
    imagePullSecrets: { listType: 'atomic' },
  },
  'io.k8s.api.core.v1.ServiceSpec': {
    ports: { patchStrategy: 'merge', patchMergeKey: 'port', listType: 'map', listMapKeys: ['port', 'protocol'] },
    selector: { mapType: 'atomic' },
    clusterIPs: { listType: 'atomic' },
    externalIPs: { listType: 'atomic' },
    loadBalancerSourceRanges: { listType: 'atomic' },
    ipFamilies: { listType: 'atomic' },
  },
  'io.k8s.api.core.v1.ServiceStatus': {
    conditions: { patchStrategy: 'merge', patchMergeKey: 'type', listType: 'map', listMapKeys: ['type'] },
  },
  'io.k8s.api.core.v1.TopologySelectorLabelRequirement': {
    values: { listType: 'atomic' },
  },
  'io.k8s.api.core.v1.TopologySelectorTerm': {
    matchLabelExpressions: { listType: 'atomic' },
  },
  'io.k8s.api.core.v1.TopologySpreadConstraint': {
    matchLabelKeys: { listType: 'atomic' },
  },
  'io.k8s.api.discovery.v1.Endpoint': {
    addresses: { listType: 'set' },
  },
  'io.k8s.api.discovery.v1.EndpointHints': {
    forZones: { listType: 'atomic' },
  },
  'io.k8s.api.discovery.v1.EndpointSlice': {
    endpoints: { listType: 'atomic' },
    ports: { listType: 'atomic' },
  },
  'io.k8s.api.flowcontrol.v1.FlowSchemaSpec': {
    rules: { listType: 'atomic' },
  },
  'io.k8s.api.flowcontrol.v1.FlowSchemaStatus': {
    conditions: { patchStrategy: 'merge', patchMergeKey: 'type', listType: 'map', listMapKeys: ['type'] },
  },
  'io.k8s.api.flowcontrol.v1.NonResourcePolicyRule': {
    verbs: { listType: 'set' },
    nonResourceURLs: { listType: 'set' },
  },
  'io.k8s.api.flowcontrol.v1.PolicyRulesWithSubjects': {
    subjects: { listType: 'atomic' },
    resourceRules: { listType: 'atomic' },
    nonResourceRules: { listType: 'atomic' },
  },
  'io.k8s.api.flowcontrol.v1.PriorityLevelConfigurationStatus': {
    conditions: { patchStrategy: 'merge', patchMergeKey: 'type', listType: 'map', listMapKeys: ['type'] },
  },
  'io.k8s.api.flowcontrol.v1.ResourcePolicyRule': {
    verbs: { listType: 'set' },
    apiGroups: { listType: 'set' },
    resources: { listType: 'set' },
    namespaces: { listType: 'set' },
  },
  'io.k8s.api.flowcontrol.v1beta3.FlowSchemaSpec': {
    rules: { listType: 'atomic' },
  },
  'io.k8s.api.flowcontrol.v1beta3.FlowSchemaStatus': {
    conditions: { patchStrategy: 'merge', patchMergeKey: 'type', listType: 'map', listMapKeys: ['type'] },
  },
  'io.k8s.api.flowcontrol.v1beta3.NonResourcePolicyRule': {
    verbs: { listType: 'set' },
    nonResourceURLs: { listType: 'set' },
  },
  'io.k8s.api.flowcontrol.v1beta3.PolicyRulesWithSubjects': {
    subjects: { listType: 'atomic' },
    resourceRules: { listType: 'atomic' },
    nonResourceRules: { listType: 'atomic' },
  },
  'io.k8s.api.flowcontrol.v1beta3.PriorityLevelConfigurationStatus': {
    conditions: { patchStrategy: 'merge', patchMergeKey: 'type', listType: 'map', listMapKeys: ['type'] },
  },
  'io.k8s.api.flowcontrol.v1beta3.ResourcePolicyRule': {
    verbs: { listType: 'set' },
    apiGroups: { listType: 'set' },
    resources: { listType: 'set' },
    namespaces: { listType: 'set' },
  },
  'io.k8s.api.networking.v1.HTTPIngressRuleValue': {
    paths: { listType: 'atomic' },
  },
  'io.k8s.api.networking.v1.IPBlock': {
    except: { listType: 'atomic' },
  },
  'io.k8s.api.networking.v1.IngressLoadBalancerIngress': {
    ports: { listType: 'atomic' },
  },
  'io.k8s.api.networking.v1.IngressLoadBalancerStatus': {
    ingress: { listType: 'atomic' },
  },
  'io.k8s.api.networking.v1.IngressSpec': {
    tls: { listType: 'atomic' },
    rules: { listType: 'atomic' },
  },
  'io.k8s.api.networking.v1.IngressTLS': {
    hosts: { listType: 'atomic' },
  },
  'io.k8s.api.networking.v1.NetworkPolicyEgressRule': {
    ports: { listType: 'atomic' },
    to: { listType: 'atomic' },
  },
  'io.k8s.api.networking.v1.NetworkPolicyIngressRule': {
    ports: { listType: 'atomic' },
    from: { listType: 'atomic' },
  },
  'io.k8s.api.networking.v1.NetworkPolicySpec': {
    ingress: { listType: 'atomic' },
    egress: { listType: 'atomic' },
    policyTypes: { listType: 'atomic' },
  },
  'io.k8s.api.networking.v1alpha1.ServiceCIDRSpec': {
    cidrs: { listType: 'atomic' },
  },
  'io.k8s.api.networking.v1alpha1.ServiceCIDRStatus': {
    conditions: { patchStrategy: 'merge', patchMergeKey: 'type', listType: 'map', listMapKeys: ['type'] },
  },
  'io.k8s.api.node.v1.Scheduling': {
    nodeSelector: { mapType: 'atomic' },
    tolerations: { listType: 'atomic' },
  },
  'io.k8s.api.policy.v1.PodDisruptionBudgetSpec': {
    selector: { patchStrategy: 'replace' },
  },
  'io.k8s.api.policy.v1.PodDisruptionBudgetStatus': {
    conditions: { patchStrategy: 'merge', patchMergeKey: 'type', listType: 'map', listMapKeys: ['type'] },
  },
  'io.k8s.api.rbac.v1.AggregationRule': {
    clusterRoleSelectors: { listType: 'atomic' },
  },
  'io.k8s.api.rbac.v1.ClusterRole': {
    rules: { listType: 'atomic' },
  },
  'io.k8s.api.rbac.v1.ClusterRoleBinding': {
    subjects: { listType: 'atomic' },
  },
  'io.k8s.api.rbac.v1.PolicyRule': {
    verbs: { listType: 'atomic' },
    apiGroups: { listType: 'atomic' },
    resources: { listType: 'atomic' },
    resourceNames: { listType: 'atomic' },
    nonResourceURLs: { listType: 'atomic' },
  },
  'io.k8s.api.rbac.v1.Role': {
    rules: { listType: 'atomic' },
  },
  'io.k8s.api.rbac.v1.RoleBinding': {
    subjects: { listType: 'atomic' },
  },
  'io.k8s.api.resource.v1alpha2.AllocationResult': {
    resourceHandles: { listType: 'atomic' },
  },
  'io.k8s.api.resource.v1alpha2.DriverRequests': {
    requests: { listType: 'atomic' },
  },
  'io.k8s.api.resource.v1alpha2.PodSchedulingContextSpec': {
    potentialNodes: { listType: 'atomic' },
  },
  'io.k8s.api.resource.v1alpha2.PodSchedulingContextStatus': {
    resourceClaims: { listType: 'map', listMapKeys: ['name'] },
  },
  'io.k8s.api.resource.v1alpha2.ResourceClaimParameters': {
    driverRequests: { listType: 'atomic' },
  },
  'io.k8s.api.resource.v1alpha2.ResourceClaimSchedulingStatus': {
    unsuitableNodes: { listType: 'atomic' },
  },
  'io.k8s.api.resource.v1alpha2.ResourceClaimStatus': {
    reservedFor: { patchStrategy: 'merge', patchMergeKey: 'uid', listType: 'map', listMapKeys: ['uid'] },
  },
  'io.k8s.api.resource.v1alpha2.ResourceClassParameters': {
    vendorParameters: { listType: 'atomic' },
    filters: { listType: 'atomic' },
  },
  'io.k8s.api.resource.v1alpha2.StructuredResourceHandle': {
    results: { listType: 'atomic' },
  },
  'io.k8s.api.storage.v1.CSIDriverSpec': {
    volumeLifecycleModes: { listType: 'set' },
    tokenRequests: { listType: 'atomic' },
  },
  'io.k8s.api.storage.v1.CSINodeDriver': {
    topologyKeys: { listType: 'atomic' },
  },
  'io.k8s.api.storage.v1.CSINodeSpec': {
    drivers: { patchStrategy: 'merge', patchMergeKey: 'name', listType: 'map', listMapKeys: ['name'] },
  },
  'io.k8s.api.storage.v1.StorageClass': {
    mountOptions: { listType: 'atomic' },
    allowedTopologies: { listType: 'atomic' },
  },
  'io.k8s.api.storagemigration.v1alpha1.StorageVersionMigrationList': {
    items: { patchStrategy: 'merge', patchMergeKey: 'type', listType: 'map', listMapKeys: ['type'] },
  },
  'io.k8s.api.storagemigration.v1alpha1.StorageVersionMigrationStatus': {
    conditions: { patchStrategy: 'merge', patchMergeKey: 'type', listType: 'map', listMapKeys: ['type'] },
  },
  'io.k8s.apimachinery.pkg.apis.meta.v1.APIGroup': {
    versions: { listType: 'atomic' },
    serverAddressByClientCIDRs: { listType: 'atomic' },
  },
  'io.k8s.apimachinery.pkg.apis.meta.v1.APIGroupList': {
    groups: { listType: 'atomic' },
  },
  'io.k8s.apimachinery.pkg.apis.meta.v1.APIResource': {
    shortNames: { listType: 'atomic' },
    categories: { listType: 'atomic' },
  },
  'io.k8s.apimachinery.pkg.apis.meta.v1.APIResourceList': {
    resources: { listType: 'atomic' },
  },
  'io.k8s.apimachinery.pkg.apis.meta.v1.APIVersions': {
    versions: { listType: 'atomic' },
    serverAddressByClientCIDRs: { listType: 'atomic' },
  },
  'io.k8s.apimachinery.pkg.apis.meta.v1.ApplyOptions': {
    dryRun: { listType: 'atomic' },
  },
  'io.k8s.apimachinery.pkg.apis.meta.v1.CreateOptions': {
    dryRun: { listType: 'atomic' },
  },
  'io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions': {
    dryRun: { listType: 'atomic' },
  },
  'io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector': {
    matchExpressions: { listType: 'atomic' },
  },
  'io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelectorRequirement': {
    values: { listType: 'atomic' },
  },
  'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta': {
    ownerReferences: { patchStrategy: 'merge', patchMergeKey: 'uid', listType: 'map', listMapKeys: ['uid'] },
    finalizers: { patchStrategy: 'merge', listType: 'set' },
    managedFields: { listType: 'atomic' },
  },
  'io.k8s.apimachinery.pkg.apis.meta.v1.PatchOptions': {
    dryRun: { listType: 'atomic' },
  },
  'io.k8s.apimachinery.pkg.apis.meta.v1.RootPaths': {
    paths: { listType: 'atomic' },
  },
  'io.k8s.apimachinery.pkg.apis.meta.v1.Status': {
    details: { listType: 'atomic' },
  },
  'io.k8s.apimachinery.pkg.apis.meta.v1.StatusDetails': {
    causes: { listType: 'atomic' },
  },
  'io.k8s.apimachinery.pkg.apis.meta.v1.Table': {
    columnDefinitions: { listType: 'atomic' },
    rows: { listType: 'atomic' },
  },
  'io.k8s.apimachinery.pkg.apis.meta.v1.TableRow': {
    conditions: { listType: 'atomic' },
  },
  'io.k8s.apimachinery.pkg.apis.meta.v1.UpdateOptions': {
    dryRun: { listType: 'atomic' },
  },
};

/** Structs marked `+structType=atomic`: their schema carries x-kubernetes-map-type: atomic. */
export const atomicStructs: ReadonlySet<string> = new Set([
  'io.k8s.api.admissionregistration.v1.MatchResources',
  'io.k8s.api.admissionregistration.v1.NamedRuleWithOperations',
  'io.k8s.api.admissionregistration.v1.ParamKind',
  'io.k8s.api.admissionregistration.v1.ParamRef',
  'io.k8s.api.admissionregistration.v1.Variable',
  'io.k8s.api.admissionregistration.v1alpha1.MatchResources',
  'io.k8s.api.admissionregistration.v1alpha1.NamedRuleWithOperations',
  'io.k8s.api.admissionregistration.v1alpha1.ParamKind',
  'io.k8s.api.admissionregistration.v1alpha1.ParamRef',
  'io.k8s.api.admissionregistration.v1beta1.MatchResources',
  'io.k8s.api.admissionregistration.v1beta1.NamedRuleWithOperations',
  'io.k8s.api.admissionregistration.v1beta1.ParamKind',
  'io.k8s.api.admissionregistration.v1beta1.ParamRef',
  'io.k8s.api.admissionregistration.v1beta1.Variable',
  'io.k8s.api.autoscaling.v1.CrossVersionObjectReference',
  'io.k8s.api.core.v1.ConfigMapKeySelector',
  'io.k8s.api.core.v1.EndpointAddress',
  'io.k8s.api.core.v1.EndpointPort',
  'io.k8s.api.core.v1.LocalObjectReference',
  'io.k8s.api.core.v1.NodeSelector',
  'io.k8s.api.core.v1.NodeSelectorTerm',
  'io.k8s.api.core.v1.ObjectFieldSelector',
  'io.k8s.api.core.v1.ObjectReference',
  'io.k8s.api.core.v1.ResourceFieldSelector',
  'io.k8s.api.core.v1.ScopeSelector',
  'io.k8s.api.core.v1.SecretKeySelector',
  'io.k8s.api.core.v1.SecretReference',
  'io.k8s.api.core.v1.TopologySelectorTerm',
  'io.k8s.api.core.v1.TypedLocalObjectReference',
  'io.k8s.api.discovery.v1.EndpointPort',
  'io.k8s.api.rbac.v1.RoleRef',
  'io.k8s.api.rbac.v1.Subject',
  'io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector',
  'io.k8s.apimachinery.pkg.apis.meta.v1.OwnerReference',
]);
