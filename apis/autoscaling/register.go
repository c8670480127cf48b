// Package autoscaling registers autoscaling/v1 and autoscaling/v2.
// autoscaling/v2 HorizontalPodAutoscalers are the hub (and the stored
// version); autoscaling/v1 ones are converted by hand, keeping what v1 cannot
// say in annotations so that a v2 object read and written back through v1
// loses nothing. autoscaling/v1 Scale, the body of every scale
// subresource, is its own hub.
package autoscaling

import (
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	apiconversion "k8s.io/apimachinery/pkg/conversion"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var internal = schema.GroupVersion{Group: autoscalingv1.GroupName, Version: runtime.APIVersionInternal}

// Install registers both versions, v2 preferred.
func Install(scheme *runtime.Scheme) error {
	for _, add := range []func(*runtime.Scheme) error{autoscalingv2.AddToScheme, autoscalingv1.AddToScheme} {
		if err := add(scheme); err != nil {
			return err
		}
	}
	scheme.AddKnownTypes(internal, &autoscalingv1.Scale{},
		&autoscalingv2.HorizontalPodAutoscaler{}, &autoscalingv2.HorizontalPodAutoscalerList{})
	for _, add := range []func(*runtime.Scheme) error{
		conversion(FromV1), conversion(ToV1),
		conversion(func(in *autoscalingv1.HorizontalPodAutoscalerList, out *autoscalingv2.HorizontalPodAutoscalerList) {
			out.ListMeta, out.Items = in.ListMeta, make([]autoscalingv2.HorizontalPodAutoscaler, len(in.Items))
			for i := range in.Items {
				FromV1(&in.Items[i], &out.Items[i])
			}
		}),
		conversion(func(in *autoscalingv2.HorizontalPodAutoscalerList, out *autoscalingv1.HorizontalPodAutoscalerList) {
			out.ListMeta, out.Items = in.ListMeta, make([]autoscalingv1.HorizontalPodAutoscaler, len(in.Items))
			for i := range in.Items {
				ToV1(&in.Items[i], &out.Items[i])
			}
		}),
	} {
		if err := add(scheme); err != nil {
			return err
		}
	}
	scheme.AddTypeDefaultingFunc(&autoscalingv2.HorizontalPodAutoscaler{}, func(obj interface{}) {
		SetDefaultsHorizontalPodAutoscaler(obj.(*autoscalingv2.HorizontalPodAutoscaler))
	})
	scheme.AddTypeDefaultingFunc(&autoscalingv1.HorizontalPodAutoscaler{}, func(obj interface{}) {
		if hpa := obj.(*autoscalingv1.HorizontalPodAutoscaler); hpa.Spec.MinReplicas == nil {
			one := int32(1)
			hpa.Spec.MinReplicas = &one
		}
	})
	return scheme.SetVersionPriority(autoscalingv2.SchemeGroupVersion, autoscalingv1.SchemeGroupVersion)
}

// conversion registers convert as the scheme's conversion from *A to *B.
func conversion[A, B any](convert func(*A, *B)) func(*runtime.Scheme) error {
	return func(scheme *runtime.Scheme) error {
		return scheme.AddConversionFunc((*A)(nil), (*B)(nil), func(a, b interface{}, _ apiconversion.Scope) error {
			convert(a.(*A), b.(*B))
			return nil
		})
	}
}
