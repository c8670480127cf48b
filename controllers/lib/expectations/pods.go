package expectations

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/tools/cache"
)

// PodEventHandler is the pod informer handler of a controller that creates
// and deletes pods: each pod's creation, and the start of its deletion
// (the kubelet may take its time to finish it, as upstream counts it), are
// counted as observed for the owner ownerKey names ("" for none), and every
// pod seen is handed to enqueue (old and new ones on an update).
func PodEventHandler(e *Expectations, ownerKey func(*corev1.Pod) string, enqueue func(*corev1.Pod)) cache.ResourceEventHandler {
	return cache.ResourceEventHandlerFuncs{
		AddFunc: func(obj interface{}) {
			pod := obj.(*corev1.Pod)
			if key := ownerKey(pod); key != "" {
				e.ObservedAdd(key)
			}
			enqueue(pod)
		},
		UpdateFunc: func(old, obj interface{}) {
			oldPod, pod := old.(*corev1.Pod), obj.(*corev1.Pod)
			if oldPod.DeletionTimestamp == nil && pod.DeletionTimestamp != nil {
				if key := ownerKey(pod); key != "" {
					e.ObservedDelete(key, pod.UID)
				}
			}
			enqueue(oldPod)
			enqueue(pod)
		},
		DeleteFunc: func(obj interface{}) {
			if tombstone, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = tombstone.Obj
			}
			if pod, ok := obj.(*corev1.Pod); ok {
				if key := ownerKey(pod); key != "" {
					e.ObservedDelete(key, pod.UID)
				}
				enqueue(pod)
			}
		},
	}
}
