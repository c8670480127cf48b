package daemonset

import (
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	schedulinghelpers "k8s.io/component-helpers/scheduling/corev1"
	"k8s.io/component-helpers/scheduling/corev1/nodeaffinity"
	"k8s.io/klog/v2"
)

var controllerKind = appsv1.SchemeGroupVersion.WithKind("DaemonSet")

// daemonTolerations are added to every daemon pod that does not already
// tolerate the key and effect: daemons keep running on nodes in trouble and
// on cordoned nodes, as upstream's do.
func daemonTolerations(hostNetwork bool) []corev1.Toleration {
	t := []corev1.Toleration{
		{Key: corev1.TaintNodeNotReady, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute},
		{Key: corev1.TaintNodeUnreachable, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute},
		{Key: corev1.TaintNodeDiskPressure, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule},
		{Key: corev1.TaintNodeMemoryPressure, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule},
		{Key: corev1.TaintNodePIDPressure, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule},
		{Key: corev1.TaintNodeUnschedulable, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule},
	}
	if hostNetwork {
		t = append(t, corev1.Toleration{Key: corev1.TaintNodeNetworkUnavailable, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule})
	}
	return t
}

// podSpecFor is the template's pod spec with the daemon tolerations added.
func podSpecFor(ds *appsv1.DaemonSet) corev1.PodSpec {
	spec := *ds.Spec.Template.Spec.DeepCopy()
	for _, add := range daemonTolerations(spec.HostNetwork) {
		present := false
		for _, have := range spec.Tolerations {
			present = present || (have.Key == add.Key && have.Effect == add.Effect && have.Operator == add.Operator)
		}
		if !present {
			spec.Tolerations = append(spec.Tolerations, add)
		}
	}
	return spec
}

// placement says whether a daemon pod should be started on node, and
// whether one already there may keep running, as upstream decides: the
// node must match the nodeSelector and required node affinity, and every
// NoSchedule or NoExecute taint must be tolerated to start; only an
// untolerated NoExecute taint (or a mismatch) stops a running pod.
func placement(ds *appsv1.DaemonSet, node *corev1.Node) (shouldRun, shouldContinueRunning bool) {
	spec := podSpecFor(ds)
	pod := &corev1.Pod{Spec: spec}
	if matches, err := nodeaffinity.GetRequiredNodeAffinity(pod).Match(node); err != nil || !matches {
		return false, false
	}
	if spec.NodeName != "" && spec.NodeName != node.Name {
		return false, false
	}
	logger := klog.Background()
	_, untolerated := schedulinghelpers.FindMatchingUntoleratedTaint(logger, node.Spec.Taints, spec.Tolerations, func(t *corev1.Taint) bool {
		return t.Effect == corev1.TaintEffectNoSchedule || t.Effect == corev1.TaintEffectNoExecute
	}, false)
	if !untolerated {
		return true, true
	}
	_, evicting := schedulinghelpers.FindMatchingUntoleratedTaint(logger, node.Spec.Taints, spec.Tolerations, func(t *corev1.Taint) bool {
		return t.Effect == corev1.TaintEffectNoExecute
	}, false)
	return false, !evicting
}

// newPod is the daemon pod for node: the template with the daemon
// tolerations, the revision hash label, and a required node affinity for
// exactly that node, which the scheduler honours (upstream stopped setting
// spec.nodeName directly so that daemon pods go through scheduling).
func newPod(ds *appsv1.DaemonSet, nodeName, hash string) *corev1.Pod {
	t := ds.Spec.Template.DeepCopy()
	labels := map[string]string{}
	for k, v := range t.Labels {
		labels[k] = v
	}
	labels[appsv1.DefaultDaemonSetUniqueLabelKey] = hash
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			GenerateName:    ds.Name + "-",
			Namespace:       ds.Namespace,
			Labels:          labels,
			Annotations:     t.Annotations,
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(ds, controllerKind)},
		},
		Spec: podSpecFor(ds),
	}
	pinToNode(&pod.Spec, nodeName)
	return pod
}

// pinToNode makes every required node selector term select node by name.
func pinToNode(spec *corev1.PodSpec, nodeName string) {
	byName := []corev1.NodeSelectorRequirement{{Key: metav1.ObjectNameField, Operator: corev1.NodeSelectorOpIn, Values: []string{nodeName}}}
	if spec.Affinity == nil {
		spec.Affinity = &corev1.Affinity{}
	}
	if spec.Affinity.NodeAffinity == nil {
		spec.Affinity.NodeAffinity = &corev1.NodeAffinity{}
	}
	required := spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution
	if required == nil || len(required.NodeSelectorTerms) == 0 {
		spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution = &corev1.NodeSelector{
			NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchFields: byName}}}
		return
	}
	for i := range required.NodeSelectorTerms {
		required.NodeSelectorTerms[i].MatchFields = byName
	}
}

// targetNode is the node a daemon pod is for: where it is bound, or the
// node its affinity names while it waits for the scheduler.
func targetNode(pod *corev1.Pod) string {
	if pod.Spec.NodeName != "" {
		return pod.Spec.NodeName
	}
	if a := pod.Spec.Affinity; a != nil && a.NodeAffinity != nil && a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution != nil {
		for _, term := range a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms {
			for _, f := range term.MatchFields {
				if f.Key == metav1.ObjectNameField && f.Operator == corev1.NodeSelectorOpIn && len(f.Values) == 1 {
					return f.Values[0]
				}
			}
		}
	}
	return ""
}
