package core

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

// validPod is a defaulted pod that passes validation; each case breaks one
// thing and expects upstream's field path and error type.
func validPod() *corev1.Pod {
	pod := &corev1.Pod{ObjectMeta: meta("p"), Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}}
	SetDefaultsPod(pod)
	return pod
}

func TestPodValidationGaps(t *testing.T) {
	labelSelector := &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}
	cases := []struct {
		name   string
		mutate func(*corev1.Pod)
		want   []string
	}{
		{"valid", func(*corev1.Pod) {}, nil},
		{"node affinity without terms", func(p *corev1.Pod) {
			p.Spec.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{}}}
		}, []string{"spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms: FieldValueRequired"}},
		{"node affinity bad operator and value", func(p *corev1.Pod) {
			p.Spec.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{
				NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{
					{Key: "zone", Operator: "Near", Values: []string{"a"}},
					{Key: "disk", Operator: corev1.NodeSelectorOpIn, Values: []string{"not a label value!"}},
				}}}}}}
		}, []string{
			"spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].operator: FieldValueInvalid",
			"spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[1].values[0]: FieldValueInvalid",
		}},
		{"preferred weight", func(p *corev1.Pod) {
			p.Spec.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{PreferredDuringSchedulingIgnoredDuringExecution: []corev1.PreferredSchedulingTerm{{Weight: 101}}}}
		}, []string{"spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight: FieldValueInvalid"}},
		{"pod anti-affinity without topology key, bad selector", func(p *corev1.Pod) {
			p.Spec.Affinity = &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{{
				LabelSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "app", Operator: metav1.LabelSelectorOpIn}}},
			}}}}
		}, []string{
			"spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].labelSelector.matchExpressions[0].values: FieldValueRequired",
			"spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey: FieldValueRequired",
		}},
		{"topology spread", func(p *corev1.Pod) {
			p.Spec.TopologySpreadConstraints = []corev1.TopologySpreadConstraint{
				{MaxSkew: 0, TopologyKey: "zone", WhenUnsatisfiable: corev1.ScheduleAnyway, MinDomains: ptr.To[int32](2), LabelSelector: labelSelector},
				{MaxSkew: 1, TopologyKey: "", WhenUnsatisfiable: "Sometimes", MatchLabelKeys: []string{"app"}, LabelSelector: labelSelector},
			}
		}, []string{
			"spec.topologySpreadConstraints[0].maxSkew: FieldValueInvalid",
			"spec.topologySpreadConstraints[0].minDomains: FieldValueInvalid",
			"spec.topologySpreadConstraints[1].topologyKey: FieldValueRequired",
			"spec.topologySpreadConstraints[1].whenUnsatisfiable: FieldValueNotSupported",
			"spec.topologySpreadConstraints[1].matchLabelKeys[0]: FieldValueInvalid",
		}},
		{"topology spread duplicate", func(p *corev1.Pod) {
			c := corev1.TopologySpreadConstraint{MaxSkew: 1, TopologyKey: "zone", WhenUnsatisfiable: corev1.DoNotSchedule}
			p.Spec.TopologySpreadConstraints = []corev1.TopologySpreadConstraint{c, c}
		}, []string{"spec.topologySpreadConstraints[0].{topologyKey, whenUnsatisfiable}: FieldValueDuplicate"}},
		{"probe without handler, bad threshold", func(p *corev1.Pod) {
			p.Spec.Containers[0].LivenessProbe = &corev1.Probe{SuccessThreshold: 2, PeriodSeconds: -1}
		}, []string{
			"spec.containers[0].livenessProbe: FieldValueRequired",
			"spec.containers[0].livenessProbe.periodSeconds: FieldValueInvalid",
			"spec.containers[0].livenessProbe.successThreshold: FieldValueInvalid",
		}},
		{"probe with two handlers and a bad port", func(p *corev1.Pod) {
			p.Spec.Containers[0].ReadinessProbe = &corev1.Probe{SuccessThreshold: 1, ProbeHandler: corev1.ProbeHandler{
				Exec: &corev1.ExecAction{Command: []string{"true"}}, TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(70000)}}}
		}, []string{"spec.containers[0].readinessProbe.tcpSocket: FieldValueForbidden"}},
		{"probe on an init container", func(p *corev1.Pod) {
			p.Spec.InitContainers = []corev1.Container{{Name: "init", Image: "busybox", ImagePullPolicy: corev1.PullIfNotPresent,
				TerminationMessagePolicy: corev1.TerminationMessageReadFile,
				ReadinessProbe:           &corev1.Probe{ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"true"}}}}}}
		}, []string{"spec.initContainers[0].readinessProbe: FieldValueForbidden"}},
		{"postStart httpGet without port", func(p *corev1.Pod) {
			p.Spec.Containers[0].Lifecycle = &corev1.Lifecycle{PostStart: &corev1.LifecycleHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/", Scheme: corev1.URISchemeHTTP}}}
		}, []string{"spec.containers[0].lifecycle.postStart.httpGet.port: FieldValueInvalid"}},
		{"sysctl names", func(p *corev1.Pod) {
			p.Spec.SecurityContext.Sysctls = []corev1.Sysctl{{Name: "Kernel.SHM"}, {Name: "net.core.somaxconn"}, {Name: "net.core.somaxconn"}}
		}, []string{"spec.securityContext.sysctls[0].name: FieldValueInvalid", "spec.securityContext.sysctls[2].name: FieldValueDuplicate"}},
		{"net sysctl with host network", func(p *corev1.Pod) {
			p.Spec.HostNetwork = true
			p.Spec.SecurityContext.Sysctls = []corev1.Sysctl{{Name: "net.ipv4.ip_forward", Value: "1"}}
		}, []string{"spec.securityContext.sysctls[0].name: FieldValueInvalid"}},
		{"security contexts", func(p *corev1.Pod) {
			p.Spec.SecurityContext.RunAsUser = ptr.To[int64](-1)
			p.Spec.SecurityContext.SeccompProfile = &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeLocalhost}
			p.Spec.Containers[0].SecurityContext = &corev1.SecurityContext{Privileged: ptr.To(true), AllowPrivilegeEscalation: ptr.To(false),
				ProcMount: ptr.To(corev1.ProcMountType("Masked"))}
		}, []string{
			"spec.containers[0].securityContext.procMount: FieldValueNotSupported",
			"spec.containers[0].securityContext: FieldValueInvalid",
			"spec.securityContext.runAsUser: FieldValueInvalid",
			"spec.securityContext.seccompProfile.localhostProfile: FieldValueRequired",
		}},
		{"resource names", func(p *corev1.Pod) {
			p.Spec.Containers[0].Resources = corev1.ResourceRequirements{
				Limits:   corev1.ResourceList{"cpus": resource.MustParse("1"), "example.com/gpu": resource.MustParse("1")},
				Requests: corev1.ResourceList{"example.com/gpu": resource.MustParse("2")},
			}
		}, []string{
			"spec.containers[0].resources.limits[cpus]: FieldValueInvalid",
			"spec.containers[0].resources.requests[example.com/gpu]: FieldValueInvalid",
		}},
		{"extended resource without limit", func(p *corev1.Pod) {
			p.Spec.Containers[0].Resources.Requests = corev1.ResourceList{"example.com/foo": resource.MustParse("1")}
		}, []string{"spec.containers[0].resources.limits[example.com/foo]: FieldValueRequired"}},
		{"scheduling gates", func(p *corev1.Pod) {
			p.Spec.SchedulingGates = []corev1.PodSchedulingGate{{Name: "example.com/wait"}, {Name: "example.com/wait"}, {Name: "bad gate"}}
		}, []string{"spec.schedulingGates[1]: FieldValueDuplicate", "spec.schedulingGates[2]: FieldValueInvalid"}},
		{"gated pod with a node", func(p *corev1.Pod) {
			p.Spec.SchedulingGates = []corev1.PodSchedulingGate{{Name: "example.com/wait"}}
			p.Spec.NodeName = "n1"
		}, []string{"spec.nodeName: FieldValueForbidden"}},
	}
	for _, c := range cases {
		pod := validPod()
		c.mutate(pod)
		errs := ValidatePod(pod)
		// Within one container the order follows the checks; compare as sets.
		got := fieldsOf(errs)
		if !sameSet(got, c.want) {
			t.Errorf("%s:\n got %q\nwant %q", c.name, got, c.want)
		}
	}
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	count := map[string]int{}
	for _, s := range a {
		count[s]++
	}
	for _, s := range b {
		count[s]--
	}
	for _, n := range count {
		if n != 0 {
			return false
		}
	}
	return true
}

func TestPodUpdateTolerationSecondsAndGates(t *testing.T) {
	old := validPod()
	old.ResourceVersion = "1"
	old.Spec.Tolerations = []corev1.Toleration{{Key: "k", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr.To[int64](300)}}
	old.Spec.SchedulingGates = []corev1.PodSchedulingGate{{Name: "example.com/a"}, {Name: "example.com/b"}}

	pod := old.DeepCopy()
	pod.Spec.Tolerations[0].TolerationSeconds = ptr.To[int64](10)
	pod.Spec.SchedulingGates = pod.Spec.SchedulingGates[1:]
	pod.Spec.NodeSelector = map[string]string{"disk": "ssd"}
	expect(t, "tolerationSeconds changed, a gate removed, a node selector added while gated", ValidatePodUpdate(pod, old))

	pod = old.DeepCopy()
	pod.Spec.Tolerations[0].Effect = corev1.TaintEffectNoSchedule
	pod.Spec.Tolerations[0].TolerationSeconds = nil
	pod.Spec.SchedulingGates = append(pod.Spec.SchedulingGates, corev1.PodSchedulingGate{Name: "example.com/c"})
	expect(t, "toleration effect changed, a gate added", ValidatePodUpdate(pod, old),
		"spec.tolerations: FieldValueForbidden", "spec.schedulingGates[2].name: FieldValueForbidden")
}
