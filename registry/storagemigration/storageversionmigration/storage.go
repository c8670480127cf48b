// Package storageversionmigration serves storagemigration.k8s.io/v1
// storageversionmigrations. kybernetes has no migrator of its own (a
// stock kube-controller-manager's storage version migrator works them).
package storageversionmigration

import (
	storagemigrationv1 "k8s.io/api/storagemigration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"

	"github.com/kybernetes/kybernetes/apis/scheme"
	"github.com/kybernetes/kybernetes/apis/storagemigration"
	"github.com/kybernetes/kybernetes/registry/strategy"
	"github.com/kybernetes/kybernetes/registry/tables"
)

// REST is the storageversionmigrations resource.
type REST struct{ *genericregistry.Store }

// NewREST returns the storage (cluster-scoped) and its status subresource.
func NewREST(optsGetter generic.RESTOptionsGetter) (*REST, *strategy.StatusREST, error) {
	s := strategy.New[*storagemigrationv1.StorageVersionMigration](scheme.Scheme, false)
	s.ValidateObject = storagemigration.ValidateStorageVersionMigration
	s.ValidateObjectUpdate = storagemigration.ValidateStorageVersionMigrationUpdate
	status := s.SplitStatus("storagemigration.k8s.io/v1", false)
	status.ValidateObjectUpdate = storagemigration.ValidateStorageVersionMigrationStatusUpdate
	status.SetStatusMetadata(strategy.StatusKeepsNoMetadata)
	store, err := s.Store(optsGetter, strategy.Resource{
		Plural:   storagemigrationv1.Resource("storageversionmigrations"),
		Singular: storagemigrationv1.Resource("storageversionmigration"),
		New:      func() runtime.Object { return &storagemigrationv1.StorageVersionMigration{} },
		NewList:  func() runtime.Object { return &storagemigrationv1.StorageVersionMigrationList{} },
		Table: tables.New([]metav1.TableColumnDefinition{
			{Name: "Name", Type: "string", Description: metav1.ObjectMeta{}.SwaggerDoc()["name"]},
			{Name: "Resource", Type: "string", Description: "GroupResource to migrate"},
			{Name: "Status", Type: "string", Description: "Status of the migration"},
		}, func(m *storagemigrationv1.StorageVersionMigration) []interface{} {
			state := "Unknown"
			for _, c := range m.Status.Conditions {
				if c.Status == metav1.ConditionTrue && (c.Type == storagemigration.Running || c.Type == storagemigration.Succeeded || c.Type == storagemigration.Failed) {
					state = c.Type
				}
			}
			return []interface{}{m.Name, m.Spec.Resource.String(), state}
		}),
	})
	if err != nil {
		return nil, nil, err
	}
	return &REST{store}, strategy.NewStatusREST(store, status), nil
}
