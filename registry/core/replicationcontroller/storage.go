// Package replicationcontroller serves core/v1 replicationcontrollers with
// their status and scale subresources.
package replicationcontroller

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/utils/ptr"

	"github.com/kybernetes/kybernetes/apis/core"
	"github.com/kybernetes/kybernetes/apis/scheme"
	"github.com/kybernetes/kybernetes/registry/strategy"
	"github.com/kybernetes/kybernetes/registry/tables"
)

// REST is the replicationcontrollers resource.
type REST struct{ *genericregistry.Store }

// ShortNames makes `kubectl get rc` work.
func (*REST) ShortNames() []string { return []string{"rc"} }

// Categories puts replication controllers in `kubectl get all`.
func (*REST) Categories() []string { return []string{"all"} }

// Storage is the resource and its subresources.
type Storage struct {
	Controller *REST
	Status     *strategy.StatusREST
	Scale      *strategy.ScaleREST[*corev1.ReplicationController]
}

// NewStorage returns the replicationcontrollers storage.
func NewStorage(optsGetter generic.RESTOptionsGetter) (*Storage, error) {
	s := strategy.New[*corev1.ReplicationController](scheme.Scheme, true)
	s.ValidateObject = core.ValidateReplicationController
	s.ValidateObjectUpdate = core.ValidateReplicationControllerUpdate
	s.Fields = core.ReplicationControllerFields
	status := s.SplitStatus("v1", true)
	status.ValidateObjectUpdate = core.ValidateReplicationControllerStatusUpdate
	store, err := s.Store(optsGetter, strategy.Resource{
		Plural:   corev1.Resource("replicationcontrollers"),
		Singular: corev1.Resource("replicationcontroller"),
		New:      func() runtime.Object { return &corev1.ReplicationController{} },
		NewList:  func() runtime.Object { return &corev1.ReplicationControllerList{} },
		Table:    table,
	})
	if err != nil {
		return nil, err
	}
	return &Storage{
		Controller: &REST{store},
		Status:     strategy.NewStatusREST(store, status),
		Scale: strategy.NewScaleREST(store, strategy.Replicas[*corev1.ReplicationController]{
			Get: func(rc *corev1.ReplicationController) (int32, int32, string) {
				return ptr.Deref(rc.Spec.Replicas, 1), rc.Status.Replicas, labels.SelectorFromSet(rc.Spec.Selector).String()
			},
			Set: func(rc *corev1.ReplicationController, n int32) { rc.Spec.Replicas = &n },
		}),
	}, nil
}

var table = tables.New([]metav1.TableColumnDefinition{
	tables.Name,
	{Name: "Desired", Type: "integer", Description: corev1.ReplicationControllerSpec{}.SwaggerDoc()["replicas"]},
	{Name: "Current", Type: "integer", Description: corev1.ReplicationControllerStatus{}.SwaggerDoc()["replicas"]},
	{Name: "Ready", Type: "integer", Description: corev1.ReplicationControllerStatus{}.SwaggerDoc()["readyReplicas"]},
	tables.Age,
	{Name: "Containers", Type: "string", Priority: 1, Description: "Names of each container in the template."},
	{Name: "Images", Type: "string", Priority: 1, Description: "Images referenced by each container in the template."},
	{Name: "Selector", Type: "string", Priority: 1, Description: corev1.ReplicationControllerSpec{}.SwaggerDoc()["selector"]},
}, func(rc *corev1.ReplicationController) []interface{} {
	var spec *corev1.PodSpec
	if rc.Spec.Template != nil {
		spec = &rc.Spec.Template.Spec
	}
	names, images := tables.Containers(spec)
	return []interface{}{rc.Name, int64(ptr.Deref(rc.Spec.Replicas, 0)), int64(rc.Status.Replicas), int64(rc.Status.ReadyReplicas),
		tables.Since(rc.CreationTimestamp), names, images, labels.FormatLabels(rc.Spec.Selector)}
})
