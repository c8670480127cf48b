package rules

import (
	"context"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/labels"
	rbaclisters "k8s.io/client-go/listers/rbac/v1"
)

// Listers reads the RBAC objects from informers' caches: what the
// authorizer consults on every request.
type Listers struct {
	Roles               rbaclisters.RoleLister
	RoleBindings        rbaclisters.RoleBindingLister
	ClusterRoles        rbaclisters.ClusterRoleLister
	ClusterRoleBindings rbaclisters.ClusterRoleBindingLister
}

func (l Listers) GetRole(_ context.Context, namespace, name string) (*rbacv1.Role, error) {
	return l.Roles.Roles(namespace).Get(name)
}

func (l Listers) ListRoleBindings(_ context.Context, namespace string) ([]*rbacv1.RoleBinding, error) {
	return l.RoleBindings.RoleBindings(namespace).List(labels.Everything())
}

func (l Listers) GetClusterRole(_ context.Context, name string) (*rbacv1.ClusterRole, error) {
	return l.ClusterRoles.Get(name)
}

func (l Listers) ListClusterRoleBindings(context.Context) ([]*rbacv1.ClusterRoleBinding, error) {
	return l.ClusterRoleBindings.List(labels.Everything())
}
