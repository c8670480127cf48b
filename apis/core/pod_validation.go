package core

import (
	"fmt"
	"math"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	unversionedvalidation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

var specPath = field.NewPath("spec")

// ValidatePod checks a new pod.
func ValidatePod(pod *corev1.Pod) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMeta(&pod.ObjectMeta, true, apimachineryvalidation.NameIsDNSSubdomain, metadataPath)
	allErrs = append(allErrs, ValidatePodSpec(&pod.Spec, specPath)...)
	// A gated pod waits for its gates to go before anything may bind it.
	if pod.Spec.NodeName != "" && len(pod.Spec.SchedulingGates) > 0 {
		allErrs = append(allErrs, field.Forbidden(specPath.Child("nodeName"), "cannot be set until all schedulingGates have been cleared"))
	}
	return allErrs
}

// ValidatePodTemplateSpec checks the pod template of a workload.
func ValidatePodTemplateSpec(t *corev1.PodTemplateSpec, fldPath *field.Path) field.ErrorList {
	allErrs := unversionedvalidation.ValidateLabels(t.Labels, fldPath.Child("metadata", "labels"))
	allErrs = append(allErrs, apimachineryvalidation.ValidateAnnotations(t.Annotations, fldPath.Child("metadata", "annotations"))...)
	return append(allErrs, ValidatePodSpec(&t.Spec, fldPath.Child("spec"))...)
}

var (
	restartPolicies = sets.New(corev1.RestartPolicyAlways, corev1.RestartPolicyOnFailure, corev1.RestartPolicyNever)
	dnsPolicies     = sets.New(corev1.DNSClusterFirst, corev1.DNSClusterFirstWithHostNet, corev1.DNSDefault, corev1.DNSNone)
	protocols       = sets.New(corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP)
	pullPolicies    = sets.New(corev1.PullAlways, corev1.PullIfNotPresent, corev1.PullNever)
	taintEffects    = sets.New(corev1.TaintEffectNoSchedule, corev1.TaintEffectPreferNoSchedule, corev1.TaintEffectNoExecute)
	// Per-container restart policies (upstream's ContainerRestartRules,
	// on by default since 1.35).
	containerRestartPolicies = sets.New(corev1.ContainerRestartPolicyAlways, corev1.ContainerRestartPolicyOnFailure, corev1.ContainerRestartPolicyNever)
	messagePolicies          = sets.New(corev1.TerminationMessageReadFile, corev1.TerminationMessageFallbackToLogsOnError)
)

// ValidatePodSpec checks a pod spec, in a pod or in a template.
func ValidatePodSpec(spec *corev1.PodSpec, fldPath *field.Path) field.ErrorList {
	volumes, allErrs := validateVolumes(spec.Volumes, fldPath.Child("volumes"))
	names := sets.New[string]()
	allErrs = append(allErrs, validateContainers(spec.InitContainers, true, volumes, names, fldPath.Child("initContainers"))...)
	if len(spec.Containers) == 0 {
		allErrs = append(allErrs, field.Required(fldPath.Child("containers"), ""))
	}
	allErrs = append(allErrs, validateContainers(spec.Containers, false, volumes, names, fldPath.Child("containers"))...)

	if !restartPolicies.Has(spec.RestartPolicy) {
		allErrs = append(allErrs, field.NotSupported(fldPath.Child("restartPolicy"), spec.RestartPolicy, sets.List(restartPolicies)))
	}
	if !dnsPolicies.Has(spec.DNSPolicy) {
		allErrs = append(allErrs, field.NotSupported(fldPath.Child("dnsPolicy"), spec.DNSPolicy, sets.List(dnsPolicies)))
	}
	if spec.DNSPolicy == corev1.DNSNone && (spec.DNSConfig == nil || len(spec.DNSConfig.Nameservers) == 0) {
		allErrs = append(allErrs, field.Required(fldPath.Child("dnsConfig"), fmt.Sprintf("must provide `dnsConfig` when `dnsPolicy` is %s", corev1.DNSNone)))
	}
	if d := spec.ActiveDeadlineSeconds; d != nil && (*d < 1 || *d > math.MaxInt32) {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("activeDeadlineSeconds"), *d, validation.InclusiveRangeError(1, math.MaxInt32)))
	}
	if g := spec.TerminationGracePeriodSeconds; g != nil && *g < 0 {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("terminationGracePeriodSeconds"), *g, "must be greater than or equal to 0"))
	}
	allErrs = append(allErrs, unversionedvalidation.ValidateLabels(spec.NodeSelector, fldPath.Child("nodeSelector"))...)
	for _, check := range []struct {
		value string
		path  *field.Path
		fn    func(string) []string
	}{
		{spec.ServiceAccountName, fldPath.Child("serviceAccountName"), validation.IsDNS1123Subdomain},
		{spec.NodeName, fldPath.Child("nodeName"), validation.IsDNS1123Subdomain},
		{spec.Hostname, fldPath.Child("hostname"), validation.IsDNS1123Label},
		{spec.Subdomain, fldPath.Child("subdomain"), validation.IsDNS1123Label},
		{spec.PriorityClassName, fldPath.Child("priorityClassName"), validation.IsDNS1123Subdomain},
	} {
		if check.value == "" {
			continue
		}
		for _, msg := range check.fn(check.value) {
			allErrs = append(allErrs, field.Invalid(check.path, check.value, msg))
		}
	}
	for i, t := range spec.Tolerations {
		allErrs = append(allErrs, validateToleration(t, fldPath.Child("tolerations").Index(i))...)
	}
	allErrs = append(allErrs, validateAffinity(spec.Affinity, fldPath.Child("affinity"))...)
	allErrs = append(allErrs, validateTopologySpreadConstraints(spec.TopologySpreadConstraints, fldPath.Child("topologySpreadConstraints"))...)
	allErrs = append(allErrs, validatePodSecurityContext(spec.SecurityContext, spec, fldPath.Child("securityContext"))...)
	allErrs = append(allErrs, validateSchedulingGates(spec.SchedulingGates, fldPath.Child("schedulingGates"))...)
	return allErrs
}

// validateVolumes checks names and sources and returns the volume names.
func validateVolumes(volumes []corev1.Volume, fldPath *field.Path) (sets.Set[string], field.ErrorList) {
	var allErrs field.ErrorList
	names := sets.New[string]()
	for i, v := range volumes {
		idx := fldPath.Index(i)
		switch {
		case v.Name == "":
			allErrs = append(allErrs, field.Required(idx.Child("name"), ""))
		case names.Has(v.Name):
			allErrs = append(allErrs, field.Duplicate(idx.Child("name"), v.Name))
		default:
			for _, msg := range validation.IsDNS1123Label(v.Name) {
				allErrs = append(allErrs, field.Invalid(idx.Child("name"), v.Name, msg))
			}
		}
		names.Insert(v.Name)
		switch n := countVolumeSources(v.VolumeSource); {
		case n == 0:
			allErrs = append(allErrs, field.Required(idx, "must specify a volume type"))
		case n > 1:
			allErrs = append(allErrs, field.Forbidden(idx, "may not specify more than 1 volume type"))
		}
		if v.HostPath != nil && v.HostPath.Path == "" {
			allErrs = append(allErrs, field.Required(idx.Child("hostPath", "path"), ""))
		}
		if v.ConfigMap != nil && v.ConfigMap.Name == "" {
			allErrs = append(allErrs, field.Required(idx.Child("configMap", "name"), ""))
		}
		if v.Secret != nil && v.Secret.SecretName == "" {
			allErrs = append(allErrs, field.Required(idx.Child("secret", "secretName"), ""))
		}
		if v.PersistentVolumeClaim != nil && v.PersistentVolumeClaim.ClaimName == "" {
			allErrs = append(allErrs, field.Required(idx.Child("persistentVolumeClaim", "claimName"), ""))
		}
	}
	return names, allErrs
}

// countVolumeSources counts the non-nil sources of a volume.
func countVolumeSources(src corev1.VolumeSource) int {
	n := 0
	for _, set := range []bool{
		src.HostPath != nil, src.EmptyDir != nil, src.GCEPersistentDisk != nil, src.AWSElasticBlockStore != nil,
		src.GitRepo != nil, src.Secret != nil, src.NFS != nil, src.ISCSI != nil, src.Glusterfs != nil,
		src.PersistentVolumeClaim != nil, src.RBD != nil, src.FlexVolume != nil, src.Cinder != nil,
		src.CephFS != nil, src.Flocker != nil, src.DownwardAPI != nil, src.FC != nil, src.AzureFile != nil,
		src.ConfigMap != nil, src.VsphereVolume != nil, src.Quobyte != nil, src.AzureDisk != nil,
		src.PhotonPersistentDisk != nil, src.Projected != nil, src.PortworxVolume != nil, src.ScaleIO != nil,
		src.StorageOS != nil, src.CSI != nil, src.Ephemeral != nil, src.Image != nil,
	} {
		if set {
			n++
		}
	}
	return n
}

func validateContainers(containers []corev1.Container, isInit bool, volumes, names sets.Set[string], fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	for i := range containers {
		c := &containers[i]
		idx := fldPath.Index(i)
		switch {
		case c.Name == "":
			allErrs = append(allErrs, field.Required(idx.Child("name"), ""))
		case names.Has(c.Name):
			allErrs = append(allErrs, field.Duplicate(idx.Child("name"), c.Name))
		default:
			for _, msg := range validation.IsDNS1123Label(c.Name) {
				allErrs = append(allErrs, field.Invalid(idx.Child("name"), c.Name, msg))
			}
		}
		names.Insert(c.Name)
		if c.Image == "" {
			allErrs = append(allErrs, field.Required(idx.Child("image"), ""))
		}
		if !pullPolicies.Has(c.ImagePullPolicy) {
			allErrs = append(allErrs, field.NotSupported(idx.Child("imagePullPolicy"), c.ImagePullPolicy, sets.List(pullPolicies)))
		}
		if !messagePolicies.Has(c.TerminationMessagePolicy) {
			allErrs = append(allErrs, field.NotSupported(idx.Child("terminationMessagePolicy"), c.TerminationMessagePolicy, sets.List(messagePolicies)))
		}
		allErrs = append(allErrs, validatePorts(c.Ports, idx.Child("ports"))...)
		allErrs = append(allErrs, validateEnv(c.Env, idx.Child("env"))...)
		for j, m := range c.VolumeMounts {
			mount := idx.Child("volumeMounts").Index(j)
			if m.Name == "" {
				allErrs = append(allErrs, field.Required(mount.Child("name"), ""))
			} else if !volumes.Has(m.Name) {
				allErrs = append(allErrs, field.NotFound(mount.Child("name"), m.Name))
			}
			if m.MountPath == "" {
				allErrs = append(allErrs, field.Required(mount.Child("mountPath"), ""))
			}
		}
		allErrs = append(allErrs, validateResources(&c.Resources, idx.Child("resources"))...)
		allErrs = append(allErrs, validateProbes(c, isInit, idx)...)
		allErrs = append(allErrs, validateLifecycle(c.Lifecycle, idx.Child("lifecycle"))...)
		allErrs = append(allErrs, validateSecurityContext(c.SecurityContext, idx.Child("securityContext"))...)
		if p := c.RestartPolicy; p != nil && !containerRestartPolicies.Has(*p) {
			allErrs = append(allErrs, field.NotSupported(idx.Child("restartPolicy"), *p, sets.List(containerRestartPolicies)))
		}
	}
	return allErrs
}

func validatePorts(ports []corev1.ContainerPort, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	names := sets.New[string]()
	for i, p := range ports {
		idx := fldPath.Index(i)
		if p.Name != "" {
			for _, msg := range validation.IsValidPortName(p.Name) {
				allErrs = append(allErrs, field.Invalid(idx.Child("name"), p.Name, msg))
			}
			if names.Has(p.Name) {
				allErrs = append(allErrs, field.Duplicate(idx.Child("name"), p.Name))
			}
			names.Insert(p.Name)
		}
		if p.ContainerPort == 0 {
			allErrs = append(allErrs, field.Required(idx.Child("containerPort"), ""))
		} else {
			for _, msg := range validation.IsValidPortNum(int(p.ContainerPort)) {
				allErrs = append(allErrs, field.Invalid(idx.Child("containerPort"), p.ContainerPort, msg))
			}
		}
		if p.HostPort != 0 {
			for _, msg := range validation.IsValidPortNum(int(p.HostPort)) {
				allErrs = append(allErrs, field.Invalid(idx.Child("hostPort"), p.HostPort, msg))
			}
		}
		if !protocols.Has(p.Protocol) {
			allErrs = append(allErrs, field.NotSupported(idx.Child("protocol"), p.Protocol, sets.List(protocols)))
		}
	}
	return allErrs
}

func validateEnv(env []corev1.EnvVar, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	for i, e := range env {
		idx := fldPath.Index(i)
		if e.Name == "" {
			allErrs = append(allErrs, field.Required(idx.Child("name"), ""))
		} else {
			for _, msg := range validation.IsRelaxedEnvVarName(e.Name) {
				allErrs = append(allErrs, field.Invalid(idx.Child("name"), e.Name, msg))
			}
		}
		if src := e.ValueFrom; src != nil {
			n := 0
			for _, set := range []bool{src.FieldRef != nil, src.ResourceFieldRef != nil, src.ConfigMapKeyRef != nil, src.SecretKeyRef != nil, src.FileKeyRef != nil} {
				if set {
					n++
				}
			}
			if n != 1 {
				allErrs = append(allErrs, field.Invalid(idx.Child("valueFrom"), "", "may not have more than one field specified at a time"))
			}
			if e.Value != "" {
				allErrs = append(allErrs, field.Invalid(idx.Child("valueFrom"), "", "may not be specified when `value` is not empty"))
			}
		}
	}
	return allErrs
}

// validateResources checks resource names and quantities: requests no
// more than limits, and equal to them for resources that cannot be
// overcommitted (hugepages, extended resources), which need a limit.
func validateResources(r *corev1.ResourceRequirements, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	for name, q := range r.Limits {
		path := fldPath.Child("limits").Key(string(name))
		allErrs = append(allErrs, validateContainerResourceName(name, path)...)
		if q.Sign() < 0 {
			allErrs = append(allErrs, field.Invalid(path, q.String(), "must be greater than or equal to 0"))
		}
	}
	for name, q := range r.Requests {
		path := fldPath.Child("requests").Key(string(name))
		allErrs = append(allErrs, validateContainerResourceName(name, path)...)
		if q.Sign() < 0 {
			allErrs = append(allErrs, field.Invalid(path, q.String(), "must be greater than or equal to 0"))
		}
		limit, ok := r.Limits[name]
		switch {
		case ok && q.Cmp(limit) != 0 && !overcommitAllowed(name):
			allErrs = append(allErrs, field.Invalid(path, q.String(), fmt.Sprintf("must be equal to %s limit of %s", name, limit.String())))
		case ok && q.Cmp(limit) > 0:
			allErrs = append(allErrs, field.Invalid(path, q.String(), fmt.Sprintf("must be less than or equal to %s limit of %s", name, limit.String())))
		case !ok && !overcommitAllowed(name):
			allErrs = append(allErrs, field.Required(fldPath.Child("limits").Key(string(name)), "Limit must be set for non overcommitable resources"))
		}
	}
	return allErrs
}

// validateContainerResourceName: cpu, memory, ephemeral-storage,
// hugepages-<size>, or an extended resource (example.com/gpu).
func validateContainerResourceName(name corev1.ResourceName, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	for _, msg := range validation.IsQualifiedName(string(name)) {
		allErrs = append(allErrs, field.Invalid(fldPath, name, msg))
	}
	if len(allErrs) > 0 {
		return allErrs
	}
	switch {
	case !strings.Contains(string(name), "/"):
		if !standardContainerResources.Has(name) && !strings.HasPrefix(string(name), corev1.ResourceHugePagesPrefix) {
			return field.ErrorList{field.Invalid(fldPath, name, "must be a standard resource for containers")}
		}
	case !nativeResource(name):
		if strings.HasPrefix(string(name), corev1.DefaultResourceRequestsPrefix) || len(validation.IsQualifiedName(corev1.DefaultResourceRequestsPrefix+string(name))) > 0 {
			return field.ErrorList{field.Invalid(fldPath, name, "doesn't follow extended resource name standard")}
		}
	}
	return nil
}

var standardContainerResources = sets.New(corev1.ResourceCPU, corev1.ResourceMemory, corev1.ResourceEphemeralStorage)

// nativeResource: unprefixed, or in the kubernetes.io domain.
func nativeResource(name corev1.ResourceName) bool {
	return !strings.Contains(string(name), "/") || strings.Contains(string(name), corev1.ResourceDefaultNamespacePrefix)
}

// IsExtendedResourceName: a resource outside the kubernetes.io domain, such
// as example.com/gpu, that quotas count as requests.<name>.
func IsExtendedResourceName(name corev1.ResourceName) bool {
	if nativeResource(name) || strings.HasPrefix(string(name), corev1.DefaultResourceRequestsPrefix) {
		return false
	}
	return len(validation.IsQualifiedName(corev1.DefaultResourceRequestsPrefix+string(name))) == 0
}

// overcommitAllowed: native resources other than hugepages may be
// requested below their limit.
func overcommitAllowed(name corev1.ResourceName) bool {
	return nativeResource(name) && !strings.HasPrefix(string(name), corev1.ResourceHugePagesPrefix)
}

func validateToleration(t corev1.Toleration, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if t.Key != "" {
		allErrs = append(allErrs, unversionedvalidation.ValidateLabelName(t.Key, fldPath.Child("key"))...)
	}
	switch t.Operator {
	case corev1.TolerationOpEqual, "":
	case corev1.TolerationOpExists:
		if t.Value != "" {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("operator"), t.Value, "value must be empty when `operator` is 'Exists'"))
		}
	default:
		allErrs = append(allErrs, field.NotSupported(fldPath.Child("operator"), t.Operator, []corev1.TolerationOperator{corev1.TolerationOpEqual, corev1.TolerationOpExists}))
	}
	if t.Key == "" && t.Operator != corev1.TolerationOpExists {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("operator"), t.Operator, "operator must be Exists when `key` is empty, which means \"match all values and all keys\""))
	}
	if t.Effect != "" && !taintEffects.Has(t.Effect) {
		allErrs = append(allErrs, field.NotSupported(fldPath.Child("effect"), t.Effect, sets.List(taintEffects)))
	}
	if t.TolerationSeconds != nil && t.Effect != corev1.TaintEffectNoExecute {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("effect"), t.Effect, "effect must be 'NoExecute' when `tolerationSeconds` is set"))
	}
	return allErrs
}

// podUpdateMessage names what a pod update may change, in upstream's words.
const podUpdateMessage = "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)"

// ValidatePodUpdate allows only the spec changes upstream allows on a
// running pod: images, a shorter activeDeadlineSeconds, added tolerations.
func ValidatePodUpdate(pod, old *corev1.Pod) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&pod.ObjectMeta, &old.ObjectMeta, metadataPath)
	allErrs = append(allErrs, ValidatePodSpec(&pod.Spec, specPath)...)

	if d, oldD := pod.Spec.ActiveDeadlineSeconds, old.Spec.ActiveDeadlineSeconds; oldD != nil && (d == nil || *d > *oldD) {
		allErrs = append(allErrs, field.Invalid(specPath.Child("activeDeadlineSeconds"), d, "must be less than or equal to previous value"))
	}
	for _, t := range old.Spec.Tolerations {
		found := false
		for _, nt := range pod.Spec.Tolerations {
			// tolerationSeconds of an existing toleration may change.
			t.TolerationSeconds = nt.TolerationSeconds
			found = found || apiequality.Semantic.DeepEqual(t, nt)
		}
		if !found {
			allErrs = append(allErrs, field.Forbidden(specPath.Child("tolerations"), "existing toleration can not be modified except its tolerationSeconds"))
			break
		}
	}

	// Everything else must stay as it was: copy the mutable fields onto the
	// old spec and compare.
	mutable := old.Spec.DeepCopy()
	if len(pod.Spec.Containers) == len(mutable.Containers) && len(pod.Spec.InitContainers) == len(mutable.InitContainers) {
		for i := range mutable.Containers {
			mutable.Containers[i].Image = pod.Spec.Containers[i].Image
		}
		for i := range mutable.InitContainers {
			mutable.InitContainers[i].Image = pod.Spec.InitContainers[i].Image
		}
	}
	mutable.ActiveDeadlineSeconds = pod.Spec.ActiveDeadlineSeconds
	mutable.Tolerations = pod.Spec.Tolerations
	allErrs = append(allErrs, validateOnlyRemovedGates(pod.Spec.SchedulingGates, old.Spec.SchedulingGates, specPath.Child("schedulingGates"))...)
	mutable.SchedulingGates = pod.Spec.SchedulingGates
	// A gated pod may still get node selector terms added (its scheduler
	// is not looking yet).
	if len(old.Spec.SchedulingGates) > 0 {
		mutable.NodeSelector = pod.Spec.NodeSelector
		mutable.Affinity = pod.Spec.Affinity
	}
	if g := old.Spec.TerminationGracePeriodSeconds; g != nil && *g < 0 {
		mutable.TerminationGracePeriodSeconds = pod.Spec.TerminationGracePeriodSeconds
	}
	if !apiequality.Semantic.DeepEqual(*mutable, pod.Spec) {
		allErrs = append(allErrs, field.Forbidden(specPath, podUpdateMessage))
	}
	return allErrs
}

// ValidatePodStatusUpdate checks a write to pods/status.
func ValidatePodStatusUpdate(pod, old *corev1.Pod) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&pod.ObjectMeta, &old.ObjectMeta, metadataPath)
	status := field.NewPath("status")
	if old.Status.Phase == corev1.PodSucceeded || old.Status.Phase == corev1.PodFailed {
		if pod.Status.Phase != old.Status.Phase {
			allErrs = append(allErrs, field.Forbidden(status.Child("phase"), fmt.Sprintf("cannot transition from terminal phase %q to %q", old.Status.Phase, pod.Status.Phase)))
		}
	}
	if pod.Status.NominatedNodeName != "" {
		for _, msg := range validation.IsDNS1123Subdomain(pod.Status.NominatedNodeName) {
			allErrs = append(allErrs, field.Invalid(status.Child("nominatedNodeName"), pod.Status.NominatedNodeName, msg))
		}
	}
	return allErrs
}

// ValidateBinding checks a pod binding: it must name a node.
func ValidateBinding(b *corev1.Binding) field.ErrorList {
	var allErrs field.ErrorList
	target := field.NewPath("target")
	if b.Target.Kind != "" && b.Target.Kind != "Node" {
		allErrs = append(allErrs, field.NotSupported(target.Child("kind"), b.Target.Kind, []string{"Node", "<empty>"}))
	}
	if b.Target.Name == "" {
		allErrs = append(allErrs, field.Required(target.Child("name"), ""))
	}
	return allErrs
}

// ValidateResources checks a resource list as a container's requests and
// limits are checked, for the kinds that carry one (a RuntimeClass's
// overhead).
func ValidateResources(r *corev1.ResourceRequirements, fldPath *field.Path) field.ErrorList {
	return validateResources(r, fldPath)
}

// ValidateToleration checks one toleration as a pod's are checked.
func ValidateToleration(t corev1.Toleration, fldPath *field.Path) field.ErrorList {
	return validateToleration(t, fldPath)
}
