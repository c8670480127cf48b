// Package statefulset serves apps/v1 statefulsets with their status and
// scale subresources.
package statefulset

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/utils/ptr"

	"github.com/kybernetes/kybernetes/apis/apps"
	"github.com/kybernetes/kybernetes/apis/scheme"
	"github.com/kybernetes/kybernetes/registry/strategy"
	"github.com/kybernetes/kybernetes/registry/tables"
)

// REST is the statefulsets resource.
type REST struct{ *genericregistry.Store }

// ShortNames makes `kubectl get sts` work.
func (*REST) ShortNames() []string { return []string{"sts"} }

// Categories puts stateful sets in `kubectl get all`.
func (*REST) Categories() []string { return []string{"all"} }

// Storage is the resource and its subresources.
type Storage struct {
	StatefulSet *REST
	Status      *strategy.StatusREST
	Scale       *strategy.ScaleREST[*appsv1.StatefulSet]
}

// NewStorage returns the statefulsets storage.
func NewStorage(optsGetter generic.RESTOptionsGetter) (*Storage, error) {
	s := strategy.New[*appsv1.StatefulSet](scheme.Scheme, true)
	s.ValidateObject = apps.ValidateStatefulSet
	s.ValidateObjectUpdate = apps.ValidateStatefulSetUpdate
	status := s.SplitStatus("apps/v1", true)
	status.SetStatusMetadata(strategy.StatusKeepsMetadataButLabels)
	status.ValidateObjectUpdate = func(ss, old *appsv1.StatefulSet) field.ErrorList {
		return apps.ValidateWorkloadStatus(map[string]int32{
			"replicas": ss.Status.Replicas, "readyReplicas": ss.Status.ReadyReplicas, "currentReplicas": ss.Status.CurrentReplicas,
			"updatedReplicas": ss.Status.UpdatedReplicas, "availableReplicas": ss.Status.AvailableReplicas,
		})
	}
	store, err := s.Store(optsGetter, strategy.Resource{
		Plural:   appsv1.Resource("statefulsets"),
		Singular: appsv1.Resource("statefulset"),
		New:      func() runtime.Object { return &appsv1.StatefulSet{} },
		NewList:  func() runtime.Object { return &appsv1.StatefulSetList{} },
		Table:    table,
	})
	if err != nil {
		return nil, err
	}
	return &Storage{
		StatefulSet: &REST{store},
		Status:      strategy.NewStatusREST(store, status),
		Scale: strategy.NewScaleREST(store, strategy.Replicas[*appsv1.StatefulSet]{
			Get: func(ss *appsv1.StatefulSet) (int32, int32, string) {
				return ptr.Deref(ss.Spec.Replicas, 1), ss.Status.Replicas, tables.Selector(ss.Spec.Selector)
			},
			Set: func(ss *appsv1.StatefulSet, n int32) { ss.Spec.Replicas = &n },
		}),
	}, nil
}

var table = tables.New([]metav1.TableColumnDefinition{
	tables.Name,
	{Name: "Ready", Type: "string", Description: "Number of the pod with ready state"},
	tables.Age,
	{Name: "Containers", Type: "string", Priority: 1, Description: "Names of each container in the template."},
	{Name: "Images", Type: "string", Priority: 1, Description: "Images referenced by each container in the template."},
}, func(ss *appsv1.StatefulSet) []interface{} {
	names, images := tables.Containers(&ss.Spec.Template.Spec)
	return []interface{}{ss.Name, fmt.Sprintf("%d/%d", ss.Status.ReadyReplicas, ptr.Deref(ss.Spec.Replicas, 1)), tables.Since(ss.CreationTimestamp), names, images}
})
