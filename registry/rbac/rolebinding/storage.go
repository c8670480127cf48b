// Package rolebinding serves rbac.authorization.k8s.io/v1 rolebindings; the escalation
// package guards what a create or update may grant.
package rolebinding

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

// NewStore returns the storage of rolebindings. A PUT may create one, as
// upstream allows (`kubectl auth reconcile` relies on it).
func NewStore(optsGetter generic.RESTOptionsGetter) (*genericregistry.Store, error) {
	s := strategy.New[*rbacv1.RoleBinding](scheme.Scheme, true)
	s.ValidateObject = rbac.ValidateRoleBinding
	s.ValidateObjectUpdate = rbac.ValidateRoleBindingUpdate
	s.CreateOnUpdate = true
	return s.Store(optsGetter, strategy.Resource{
		Plural:   rbacv1.Resource("rolebindings"),
		Singular: rbacv1.Resource("rolebinding"),
		New:      func() runtime.Object { return &rbacv1.RoleBinding{} },
		NewList:  func() runtime.Object { return &rbacv1.RoleBindingList{} },
		Table:    table,
	})
}

// table has upstream's columns: the role, and with -o wide the subjects
// by kind.
var table = tables.New([]metav1.TableColumnDefinition{
	tables.Name,
	{Name: "Role", Type: "string", Description: rbacv1.RoleBinding{}.SwaggerDoc()["roleRef"]},
	tables.Age,
	{Name: "Users", Type: "string", Priority: 1, Description: "Users in the roleBinding"},
	{Name: "Groups", Type: "string", Priority: 1, Description: "Groups in the roleBinding"},
	{Name: "ServiceAccounts", Type: "string", Priority: 1, Description: "ServiceAccounts in the roleBinding"},
}, func(b *rbacv1.RoleBinding) []interface{} {
	users, groups, serviceAccounts := rbac.SubjectsByKind(b.Subjects)
	return []interface{}{b.Name, b.RoleRef.Kind + "/" + b.RoleRef.Name, tables.Since(b.CreationTimestamp),
		strings.Join(users, ", "), strings.Join(groups, ", "), strings.Join(serviceAccounts, ", ")}
})
