package pod

import (
	corev1 "k8s.io/api/core/v1"
)

// qosClass is the pod's quality-of-service class: Guaranteed when every
// container limits CPU and memory and requests exactly that, BestEffort
// when no container requests or limits either, Burstable otherwise.
func qosClass(pod *corev1.Pod) corev1.PodQOSClass {
	compute := []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory}
	anySet, guaranteed := false, true
	containers := append(append([]corev1.Container{}, pod.Spec.InitContainers...), pod.Spec.Containers...)
	for _, c := range containers {
		for _, name := range compute {
			request, hasRequest := c.Resources.Requests[name]
			limit, hasLimit := c.Resources.Limits[name]
			if (hasRequest && !request.IsZero()) || (hasLimit && !limit.IsZero()) {
				anySet = true
			}
			if !hasLimit || limit.IsZero() || (hasRequest && request.Cmp(limit) != 0) {
				guaranteed = false
			}
		}
	}
	switch {
	case !anySet:
		return corev1.PodQOSBestEffort
	case guaranteed:
		return corev1.PodQOSGuaranteed
	}
	return corev1.PodQOSBurstable
}
