// Package clusterrole serves rbac.authorization.k8s.io/v1 clusterroles; the escalation
// package guards what a create or update may grant.
package clusterrole

import (
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"

	"github.com/kybernetes/kybernetes/apis/rbac"
	"github.com/kybernetes/kybernetes/apis/scheme"
	"github.com/kybernetes/kybernetes/registry/strategy"
	"github.com/kybernetes/kybernetes/registry/tables"
)

// NewStore returns the storage of clusterroles. A PUT may create one, as
// upstream allows (`kubectl auth reconcile` relies on it).
func NewStore(optsGetter generic.RESTOptionsGetter) (*genericregistry.Store, error) {
	s := strategy.New[*rbacv1.ClusterRole](scheme.Scheme, false)
	s.ValidateObject = rbac.ValidateClusterRole
	s.ValidateObjectUpdate = rbac.ValidateClusterRoleUpdate
	s.CreateOnUpdate = true
	return s.Store(optsGetter, strategy.Resource{
		Plural:   rbacv1.Resource("clusterroles"),
		Singular: rbacv1.Resource("clusterrole"),
		New:      func() runtime.Object { return &rbacv1.ClusterRole{} },
		NewList:  func() runtime.Object { return &rbacv1.ClusterRoleList{} },
		Table:    table,
	})
}

// table has upstream's columns: the name and when it was created.
var table = tables.New([]metav1.TableColumnDefinition{
	tables.Name,
	{Name: "Created At", Type: "date", Description: metav1.ObjectMeta{}.SwaggerDoc()["creationTimestamp"]},
}, func(r *rbacv1.ClusterRole) []interface{} {
	return []interface{}{r.Name, r.CreationTimestamp.UTC().Format(time.RFC3339)}
})
