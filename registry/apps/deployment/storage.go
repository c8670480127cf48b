// Package deployment serves apps/v1 deployments with their status and scale
// subresources.
package deployment

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

// REST is the deployments resource.
type REST struct{ *genericregistry.Store }

// ShortNames makes `kubectl get deploy` work.
func (*REST) ShortNames() []string { return []string{"deploy"} }

// Categories puts deployments in `kubectl get all`.
func (*REST) Categories() []string { return []string{"all"} }

// Storage is the resource and its subresources.
type Storage struct {
	Deployment *REST
	Status     *strategy.StatusREST
	Scale      *strategy.ScaleREST[*appsv1.Deployment]
}

// NewStorage returns the deployments storage.
func NewStorage(optsGetter generic.RESTOptionsGetter) (*Storage, error) {
	s := strategy.New[*appsv1.Deployment](scheme.Scheme, true)
	s.ValidateObject = apps.ValidateDeployment
	s.ValidateObjectUpdate = apps.ValidateDeploymentUpdate
	status := s.SplitStatus("apps/v1", true)
	status.SetStatusMetadata(strategy.StatusKeepsMetadataButLabels)
	status.ValidateObjectUpdate = func(d, old *appsv1.Deployment) field.ErrorList {
		return apps.ValidateWorkloadStatus(map[string]int32{
			"replicas": d.Status.Replicas, "updatedReplicas": d.Status.UpdatedReplicas, "readyReplicas": d.Status.ReadyReplicas,
			"availableReplicas": d.Status.AvailableReplicas, "unavailableReplicas": d.Status.UnavailableReplicas,
		})
	}
	store, err := s.Store(optsGetter, strategy.Resource{
		Plural:   appsv1.Resource("deployments"),
		Singular: appsv1.Resource("deployment"),
		New:      func() runtime.Object { return &appsv1.Deployment{} },
		NewList:  func() runtime.Object { return &appsv1.DeploymentList{} },
		Table:    table,
	})
	if err != nil {
		return nil, err
	}
	return &Storage{
		Deployment: &REST{store},
		Status:     strategy.NewStatusREST(store, status),
		Scale: strategy.NewScaleREST(store, strategy.Replicas[*appsv1.Deployment]{
			Get: func(d *appsv1.Deployment) (int32, int32, string) {
				return ptr.Deref(d.Spec.Replicas, 1), d.Status.Replicas, tables.Selector(d.Spec.Selector)
			},
			Set: func(d *appsv1.Deployment, n int32) { d.Spec.Replicas = &n },
		}),
	}, nil
}

var table = tables.New([]metav1.TableColumnDefinition{
	tables.Name,
	{Name: "Ready", Type: "string", Description: "Number of the pod with ready state"},
	{Name: "Up-to-date", Type: "string", Description: appsv1.DeploymentStatus{}.SwaggerDoc()["updatedReplicas"]},
	{Name: "Available", Type: "string", Description: appsv1.DeploymentStatus{}.SwaggerDoc()["availableReplicas"]},
	tables.Age,
	{Name: "Containers", Type: "string", Priority: 1, Description: "Names of each container in the template."},
	{Name: "Images", Type: "string", Priority: 1, Description: "Images referenced by each container in the template."},
	{Name: "Selector", Type: "string", Priority: 1, Description: appsv1.DeploymentSpec{}.SwaggerDoc()["selector"]},
}, func(d *appsv1.Deployment) []interface{} {
	names, images := tables.Containers(&d.Spec.Template.Spec)
	return []interface{}{d.Name, fmt.Sprintf("%d/%d", d.Status.ReadyReplicas, ptr.Deref(d.Spec.Replicas, 0)),
		int64(d.Status.UpdatedReplicas), int64(d.Status.AvailableReplicas), tables.Since(d.CreationTimestamp),
		names, images, tables.Selector(d.Spec.Selector)}
})
