// Package podstatus reads what controllers ask of a pod's status: is it
// ready, and has it been ready long enough to count as available.
package podstatus

import (
	"time"

	corev1 "k8s.io/api/core/v1"
)

// Ready: the pod's Ready condition is True.
func Ready(pod *corev1.Pod) bool {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// Available: ready for more than minReadySeconds by now, as upstream
// counts available replicas.
func Available(pod *corev1.Pod, minReadySeconds int32, now time.Time) bool {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
			return minReadySeconds == 0 || c.LastTransitionTime.Add(time.Duration(minReadySeconds)*time.Second).Before(now)
		}
	}
	return false
}
