package nodelifecycle

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// managedKeys are the taints this controller owns (upstream's keys).
var managedKeys = map[string]bool{
	corev1.TaintNodeNotReady: true, corev1.TaintNodeUnreachable: true, corev1.TaintNodeMemoryPressure: true, corev1.TaintNodeDiskPressure: true,
	corev1.TaintNodePIDPressure: true, corev1.TaintNodeNetworkUnavailable: true, corev1.TaintNodeUnschedulable: true,
}

// desiredTaints are the taints a node's conditions and spec call for, as
// upstream sets them: NoSchedule for every condition that should keep new
// pods off (and for a cordoned node), NoExecute for a node that is not
// ready or unreachable, which evicts pods that do not tolerate it.
func desiredTaints(node *corev1.Node) []corev1.Taint {
	var taints []corev1.Taint
	add := func(key string, effect corev1.TaintEffect) {
		taints = append(taints, corev1.Taint{Key: key, Effect: effect})
	}
	switch readyStatus(node) {
	case corev1.ConditionFalse:
		add(corev1.TaintNodeNotReady, corev1.TaintEffectNoSchedule)
		add(corev1.TaintNodeNotReady, corev1.TaintEffectNoExecute)
	case corev1.ConditionUnknown:
		add(corev1.TaintNodeUnreachable, corev1.TaintEffectNoSchedule)
		add(corev1.TaintNodeUnreachable, corev1.TaintEffectNoExecute)
	}
	for _, c := range node.Status.Conditions {
		if c.Status != corev1.ConditionTrue {
			continue
		}
		switch c.Type {
		case corev1.NodeMemoryPressure:
			add(corev1.TaintNodeMemoryPressure, corev1.TaintEffectNoSchedule)
		case corev1.NodeDiskPressure:
			add(corev1.TaintNodeDiskPressure, corev1.TaintEffectNoSchedule)
		case corev1.NodePIDPressure:
			add(corev1.TaintNodePIDPressure, corev1.TaintEffectNoSchedule)
		case corev1.NodeNetworkUnavailable:
			add(corev1.TaintNodeNetworkUnavailable, corev1.TaintEffectNoSchedule)
		}
	}
	if node.Spec.Unschedulable {
		add(corev1.TaintNodeUnschedulable, corev1.TaintEffectNoSchedule)
	}
	return taints
}

// readyStatus is the node's Ready condition status, "" for a node that has
// none yet (its grace period decides when it becomes Unknown).
func readyStatus(node *corev1.Node) corev1.ConditionStatus {
	for _, c := range node.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status
		}
	}
	return ""
}

// reconcileTaints returns node's taints with the managed ones made equal to
// want, keeping taints others set and the time a kept NoExecute taint was
// added (eviction deadlines count from it); changed reports a difference.
func reconcileTaints(current, want []corev1.Taint, now metav1.Time) (taints []corev1.Taint, changed bool) {
	wanted := func(t corev1.Taint) bool {
		for _, w := range want {
			if w.Key == t.Key && w.Effect == t.Effect {
				return true
			}
		}
		return false
	}
	for _, t := range current {
		if managedKeys[t.Key] && !wanted(t) {
			changed = true
			continue
		}
		taints = append(taints, t)
	}
	for _, w := range want {
		present := false
		for _, t := range taints {
			present = present || (t.Key == w.Key && t.Effect == w.Effect)
		}
		if present {
			continue
		}
		if w.Effect == corev1.TaintEffectNoExecute {
			w.TimeAdded = &now
		}
		taints = append(taints, w)
		changed = true
	}
	return taints, changed
}
