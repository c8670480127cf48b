// Package metrics installs metrics.k8s.io, the resource metrics API (node
// and pod CPU and memory) that kubectl top and the horizontal pod
// autoscaler read, which the API server serves itself from the kubelets'
// resource metrics instead of through an aggregated metrics-server.
package metrics

import (
	"k8s.io/apimachinery/pkg/runtime"
	metricsv1beta1 "k8s.io/metrics/pkg/apis/metrics/v1beta1"

	"github.com/kybernetes/kybernetes/apis/hub"
)

// Install registers metrics.k8s.io/v1beta1 and its hub version.
func Install(scheme *runtime.Scheme) error {
	return hub.Register(scheme, metricsv1beta1.SchemeGroupVersion, metricsv1beta1.AddToScheme, &metricsv1beta1.NodeMetrics{})
}
