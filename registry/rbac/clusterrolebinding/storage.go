// Package clusterrolebinding serves rbac.authorization.k8s.io/v1 clusterrolebindings; the escalation
// package guards what a create or update may grant.
package clusterrolebinding

import (
	"strings"

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

// NewStore returns the storage of clusterrolebindings. A PUT may create one, as
// upstream allows (`kubectl auth reconcile` relies on it).
func NewStore(optsGetter generic.RESTOptionsGetter) (*genericregistry.Store, error) {
	s := strategy.New[*rbacv1.ClusterRoleBinding](scheme.Scheme, false)
	s.ValidateObject = rbac.ValidateClusterRoleBinding
	s.ValidateObjectUpdate = rbac.ValidateClusterRoleBindingUpdate
	s.CreateOnUpdate = true
	return s.Store(optsGetter, strategy.Resource{
		Plural:   rbacv1.Resource("clusterrolebindings"),
		Singular: rbacv1.Resource("clusterrolebinding"),
		New:      func() runtime.Object { return &rbacv1.ClusterRoleBinding{} },
		NewList:  func() runtime.Object { return &rbacv1.ClusterRoleBindingList{} },
		Table:    table,
	})
}

// table has upstream's columns: the role, and with -o wide the subjects
// by kind.
var table = tables.New([]metav1.TableColumnDefinition{
	tables.Name,
	{Name: "Role", Type: "string", Description: rbacv1.ClusterRoleBinding{}.SwaggerDoc()["roleRef"]},
	tables.Age,
	{Name: "Users", Type: "string", Priority: 1, Description: "Users in the clusterRoleBinding"},
	{Name: "Groups", Type: "string", Priority: 1, Description: "Groups in the clusterRoleBinding"},
	{Name: "ServiceAccounts", Type: "string", Priority: 1, Description: "ServiceAccounts in the clusterRoleBinding"},
}, func(b *rbacv1.ClusterRoleBinding) []interface{} {
	users, groups, serviceAccounts := rbac.SubjectsByKind(b.Subjects)
	return []interface{}{b.Name, b.RoleRef.Kind + "/" + b.RoleRef.Name, tables.Since(b.CreationTimestamp),
		strings.Join(users, ", "), strings.Join(groups, ", "), strings.Join(serviceAccounts, ", ")}
})
