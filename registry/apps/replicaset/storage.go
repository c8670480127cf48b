// Package replicaset serves apps/v1 replicasets with their status and scale
// subresources.
package replicaset

import (
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

// REST is the replicasets resource.
type REST struct{ *genericregistry.Store }

// ShortNames makes `kubectl get rs` work.
func (*REST) ShortNames() []string { return []string{"rs"} }

// Categories puts replica sets in `kubectl get all`.
func (*REST) Categories() []string { return []string{"all"} }

// Storage is the resource and its subresources.
type Storage struct {
	ReplicaSet *REST
	Status     *strategy.StatusREST
	Scale      *strategy.ScaleREST[*appsv1.ReplicaSet]
}

// NewStorage returns the replicasets storage.
func NewStorage(optsGetter generic.RESTOptionsGetter) (*Storage, error) {
	s := strategy.New[*appsv1.ReplicaSet](scheme.Scheme, true)
	s.ValidateObject = apps.ValidateReplicaSet
	s.ValidateObjectUpdate = apps.ValidateReplicaSetUpdate
	s.Fields = apps.ReplicaSetFields
	status := s.SplitStatus("apps/v1", true)
	status.SetStatusMetadata(strategy.StatusKeepsMetadataButLabels)
	status.ValidateObjectUpdate = func(rs, old *appsv1.ReplicaSet) field.ErrorList {
		return apps.ValidateWorkloadStatus(map[string]int32{
			"replicas": rs.Status.Replicas, "fullyLabeledReplicas": rs.Status.FullyLabeledReplicas,
			"readyReplicas": rs.Status.ReadyReplicas, "availableReplicas": rs.Status.AvailableReplicas,
		})
	}
	store, err := s.Store(optsGetter, strategy.Resource{
		Plural:   appsv1.Resource("replicasets"),
		Singular: appsv1.Resource("replicaset"),
		New:      func() runtime.Object { return &appsv1.ReplicaSet{} },
		NewList:  func() runtime.Object { return &appsv1.ReplicaSetList{} },
		Table:    table,
	})
	if err != nil {
		return nil, err
	}
	return &Storage{
		ReplicaSet: &REST{store},
		Status:     strategy.NewStatusREST(store, status),
		Scale: strategy.NewScaleREST(store, strategy.Replicas[*appsv1.ReplicaSet]{
			Get: func(rs *appsv1.ReplicaSet) (int32, int32, string) {
				return ptr.Deref(rs.Spec.Replicas, 1), rs.Status.Replicas, tables.Selector(rs.Spec.Selector)
			},
			Set: func(rs *appsv1.ReplicaSet, n int32) { rs.Spec.Replicas = &n },
		}),
	}, nil
}

var table = tables.New([]metav1.TableColumnDefinition{
	tables.Name,
	{Name: "Desired", Type: "integer", Description: appsv1.ReplicaSetSpec{}.SwaggerDoc()["replicas"]},
	{Name: "Current", Type: "integer", Description: appsv1.ReplicaSetStatus{}.SwaggerDoc()["replicas"]},
	{Name: "Ready", Type: "integer", Description: appsv1.ReplicaSetStatus{}.SwaggerDoc()["readyReplicas"]},
	tables.Age,
	{Name: "Containers", Type: "string", Priority: 1, Description: "Names of each container in the template."},
	{Name: "Images", Type: "string", Priority: 1, Description: "Images referenced by each container in the template."},
	{Name: "Selector", Type: "string", Priority: 1, Description: appsv1.ReplicaSetSpec{}.SwaggerDoc()["selector"]},
}, func(rs *appsv1.ReplicaSet) []interface{} {
	names, images := tables.Containers(&rs.Spec.Template.Spec)
	return []interface{}{rs.Name, int64(ptr.Deref(rs.Spec.Replicas, 0)), int64(rs.Status.Replicas), int64(rs.Status.ReadyReplicas),
		tables.Since(rs.CreationTimestamp), names, images, tables.Selector(rs.Spec.Selector)}
})
