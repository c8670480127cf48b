// Package autoscaling registers autoscaling/v1, whose Scale kind is the body
// of every scale subresource (replicationcontrollers/scale,
// deployments/scale, ...).
package autoscaling

import (
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Install registers autoscaling/v1 with Scale as its own hub type.
// HorizontalPodAutoscalers are not served yet; when they are, autoscaling/v2
// becomes their hub version.
func Install(scheme *runtime.Scheme) error {
	if err := autoscalingv1.AddToScheme(scheme); err != nil {
		return err
	}
	internal := schema.GroupVersion{Group: autoscalingv1.GroupName, Version: runtime.APIVersionInternal}
	scheme.AddKnownTypes(internal, &autoscalingv1.Scale{})
	return scheme.SetVersionPriority(autoscalingv1.SchemeGroupVersion)
}
