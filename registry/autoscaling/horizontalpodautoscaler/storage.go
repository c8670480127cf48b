// Package horizontalpodautoscaler serves autoscaling horizontalpodautoscalers
// in v2 and v1 from one store of v2 objects.
package horizontalpodautoscaler

import (
	"fmt"
	"strings"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"

	"github.com/kybernetes/kybernetes/apis/autoscaling"
	"github.com/kybernetes/kybernetes/apis/scheme"
	"github.com/kybernetes/kybernetes/registry/strategy"
	"github.com/kybernetes/kybernetes/registry/tables"
)

// REST is the horizontalpodautoscalers resource.
type REST struct{ *genericregistry.Store }

// ShortNames makes `kubectl get hpa` work.
func (*REST) ShortNames() []string { return []string{"hpa"} }

// Categories puts autoscalers in `kubectl get all`.
func (*REST) Categories() []string { return []string{"all"} }

// NewREST returns the storage and its status subresource.
func NewREST(optsGetter generic.RESTOptionsGetter) (*REST, *strategy.StatusREST, error) {
	s := strategy.New[*autoscalingv2.HorizontalPodAutoscaler](scheme.Scheme, true)
	s.ValidateObject = autoscaling.ValidateHorizontalPodAutoscaler
	s.ValidateObjectUpdate = autoscaling.ValidateHorizontalPodAutoscalerUpdate
	status := s.SplitStatus("autoscaling/v2", false)
	status.ValidateObjectUpdate = autoscaling.ValidateHorizontalPodAutoscalerStatusUpdate
	store, err := s.Store(optsGetter, strategy.Resource{
		Plural:   autoscalingv2.Resource("horizontalpodautoscalers"),
		Singular: autoscalingv2.Resource("horizontalpodautoscaler"),
		New:      func() runtime.Object { return &autoscalingv2.HorizontalPodAutoscaler{} },
		NewList:  func() runtime.Object { return &autoscalingv2.HorizontalPodAutoscalerList{} },
		Table:    table,
	})
	if err != nil {
		return nil, nil, err
	}
	return &REST{store}, strategy.NewStatusREST(store, status), nil
}

var table = tables.New([]metav1.TableColumnDefinition{
	tables.Name,
	{Name: "Reference", Type: "string", Description: autoscalingv2.HorizontalPodAutoscalerSpec{}.SwaggerDoc()["scaleTargetRef"]},
	{Name: "Targets", Type: "string", Description: autoscalingv2.HorizontalPodAutoscalerSpec{}.SwaggerDoc()["metrics"]},
	{Name: "MinPods", Type: "string", Description: autoscalingv2.HorizontalPodAutoscalerSpec{}.SwaggerDoc()["minReplicas"]},
	{Name: "MaxPods", Type: "string", Description: autoscalingv2.HorizontalPodAutoscalerSpec{}.SwaggerDoc()["maxReplicas"]},
	{Name: "Replicas", Type: "string", Description: autoscalingv2.HorizontalPodAutoscalerStatus{}.SwaggerDoc()["currentReplicas"]},
	tables.Age,
}, func(hpa *autoscalingv2.HorizontalPodAutoscaler) []interface{} {
	ref := hpa.Spec.ScaleTargetRef.Kind + "/" + hpa.Spec.ScaleTargetRef.Name
	min := "<unset>"
	if hpa.Spec.MinReplicas != nil {
		min = fmt.Sprint(*hpa.Spec.MinReplicas)
	}
	return []interface{}{hpa.Name, ref, targets(hpa), min, int64(hpa.Spec.MaxReplicas), int64(hpa.Status.CurrentReplicas),
		tables.Since(hpa.CreationTimestamp)}
})

// targets prints "current/target" per metric, as kubectl does for
// resource metrics ("cpu: 50%/80%", "<unknown>" before the first reading).
func targets(hpa *autoscalingv2.HorizontalPodAutoscaler) string {
	if len(hpa.Spec.Metrics) == 0 {
		return "<none>"
	}
	var out []string
	for _, m := range hpa.Spec.Metrics {
		switch {
		case m.Type == autoscalingv2.ResourceMetricSourceType && m.Resource != nil:
			current := "<unknown>"
			for _, c := range hpa.Status.CurrentMetrics {
				if c.Resource != nil && c.Resource.Name == m.Resource.Name && c.Resource.Current.AverageUtilization != nil {
					current = fmt.Sprintf("%d%%", *c.Resource.Current.AverageUtilization)
				}
			}
			target := "<auto>"
			if u := m.Resource.Target.AverageUtilization; u != nil {
				target = fmt.Sprintf("%d%%", *u)
			} else if v := m.Resource.Target.AverageValue; v != nil {
				target = v.String()
			}
			out = append(out, fmt.Sprintf("%s: %s/%s", m.Resource.Name, current, target))
		default:
			out = append(out, fmt.Sprintf("%s: <unknown>", strings.ToLower(string(m.Type))))
		}
	}
	return strings.Join(out, ", ")
}
