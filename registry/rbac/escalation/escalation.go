// Package escalation keeps RBAC from being a way up: a user may create or
// change a role only with rules it holds itself (or the escalate verb on
// the role), and bind a role only when it holds the role's rules (or the
// bind verb on it), as upstream's RBAC registry checks.
package escalation

import (
	"context"
	"errors"

	rbacv1 "k8s.io/api/rbac/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"

	"github.com/kybernetes/kybernetes/registry/rbac/rules"
)

// Guard checks writes of roles and bindings. Authorizer answers the
// escalate and bind verbs; it is set once the server's authorizer exists.
type Guard struct {
	Resolver   *rules.Resolver
	Authorizer authorizer.Authorizer
}

// everything is what cluster-admin holds: needed to write an
// aggregation rule, which may pull in any rule.
var everything = []rbacv1.PolicyRule{
	{Verbs: []string{"*"}, APIGroups: []string{"*"}, Resources: []string{"*"}},
	{Verbs: []string{"*"}, NonResourceURLs: []string{"*"}},
}

// allowedVerb asks the authorizer whether the request's user may use verb
// on the RBAC resource and name.
func (g *Guard) allowedVerb(ctx context.Context, u user.Info, verb, resource, namespace, name string) bool {
	if g.Authorizer == nil {
		return false
	}
	decision, _, err := g.Authorizer.Authorize(ctx, authorizer.AttributesRecord{
		User: u, Verb: verb, APIGroup: rbacv1.GroupName, APIVersion: "*", Resource: resource,
		Namespace: namespace, Name: name, ResourceRequest: true,
	})
	return err == nil && decision == authorizer.DecisionAllow
}

// checkRules refuses rules the user may not grant in namespace.
func (g *Guard) checkRules(ctx context.Context, resource, namespace, name string, ruleList []rbacv1.PolicyRule) error {
	u, _ := genericapirequest.UserFrom(ctx)
	if rules.EscalationAllowed(u) || g.allowedVerb(ctx, u, "escalate", resource, namespace, name) {
		return nil
	}
	if u == nil {
		return apierrors.NewForbidden(rbacv1.Resource(resource), name, errors.New("no user on the request"))
	}
	if err := g.Resolver.ConfirmNoEscalation(ctx, u, namespace, ruleList); err != nil {
		return apierrors.NewForbidden(rbacv1.Resource(resource), name, err)
	}
	return nil
}

// checkBinding refuses a binding to a role whose rules the user lacks.
func (g *Guard) checkBinding(ctx context.Context, resource, namespace, name string, ref rbacv1.RoleRef) error {
	u, _ := genericapirequest.UserFrom(ctx)
	if rules.EscalationAllowed(u) {
		return nil
	}
	roleResource := "roles"
	if ref.Kind == "ClusterRole" {
		roleResource = "clusterroles"
	}
	if g.allowedVerb(ctx, u, "bind", roleResource, namespace, ref.Name) {
		return nil
	}
	if u == nil {
		return apierrors.NewForbidden(rbacv1.Resource(resource), name, errors.New("no user on the request"))
	}
	granted, err := g.Resolver.RoleRefRules(ctx, ref, namespace)
	if err != nil {
		return apierrors.NewForbidden(rbacv1.Resource(resource), name, err)
	}
	if err := g.Resolver.ConfirmNoEscalation(ctx, u, namespace, granted); err != nil {
		return apierrors.NewForbidden(rbacv1.Resource(resource), name, err)
	}
	return nil
}

// check returns the escalation check of one object, and of an update of
// it from old; an unchanged grant needs no check.
type check func(ctx context.Context, obj, old runtime.Object) error

// Guarded is a store whose creates and updates pass a check first.
type Guarded struct {
	*genericregistry.Store
	check check
}

func (s *Guarded) Create(ctx context.Context, obj runtime.Object, createValidation rest.ValidateObjectFunc, options *metav1.CreateOptions) (runtime.Object, error) {
	return s.Store.Create(ctx, obj, s.guardCreate(createValidation), options)
}

func (s *Guarded) Update(ctx context.Context, name string, objInfo rest.UpdatedObjectInfo, createValidation rest.ValidateObjectFunc, updateValidation rest.ValidateObjectUpdateFunc, forceAllowCreate bool, options *metav1.UpdateOptions) (runtime.Object, bool, error) {
	guardedUpdate := func(ctx context.Context, obj, old runtime.Object) error {
		if err := s.check(ctx, obj, old); err != nil {
			return err
		}
		if updateValidation == nil {
			return nil
		}
		return updateValidation(ctx, obj, old)
	}
	return s.Store.Update(ctx, name, objInfo, s.guardCreate(createValidation), guardedUpdate, forceAllowCreate, options)
}

func (s *Guarded) guardCreate(createValidation rest.ValidateObjectFunc) rest.ValidateObjectFunc {
	return func(ctx context.Context, obj runtime.Object) error {
		if err := s.check(ctx, obj, nil); err != nil {
			return err
		}
		if createValidation == nil {
			return nil
		}
		return createValidation(ctx, obj)
	}
}

// Roles guards a roles store.
func (g *Guard) Roles(store *genericregistry.Store) *Guarded {
	return &Guarded{store, func(ctx context.Context, obj, old runtime.Object) error {
		role := obj.(*rbacv1.Role)
		if old != nil && apiequality.Semantic.DeepEqual(role.Rules, old.(*rbacv1.Role).Rules) {
			return nil
		}
		return g.checkRules(ctx, "roles", role.Namespace, role.Name, role.Rules)
	}}
}

// ClusterRoles guards a clusterroles store; an aggregation rule, which may
// gather any rule, needs everything.
func (g *Guard) ClusterRoles(store *genericregistry.Store) *Guarded {
	return &Guarded{store, func(ctx context.Context, obj, old runtime.Object) error {
		role := obj.(*rbacv1.ClusterRole)
		var oldRole *rbacv1.ClusterRole
		if old != nil {
			oldRole = old.(*rbacv1.ClusterRole)
		}
		if role.AggregationRule != nil && (oldRole == nil || !apiequality.Semantic.DeepEqual(role.AggregationRule, oldRole.AggregationRule)) {
			if err := g.checkRules(ctx, "clusterroles", "", role.Name, everything); err != nil {
				return apierrors.NewForbidden(rbacv1.Resource("clusterroles"), role.Name, errors.New("must have cluster-admin privileges to use the aggregationRule"))
			}
		}
		if oldRole != nil && apiequality.Semantic.DeepEqual(role.Rules, oldRole.Rules) {
			return nil
		}
		return g.checkRules(ctx, "clusterroles", "", role.Name, role.Rules)
	}}
}

// RoleBindings guards a rolebindings store.
func (g *Guard) RoleBindings(store *genericregistry.Store) *Guarded {
	return &Guarded{store, func(ctx context.Context, obj, old runtime.Object) error {
		b := obj.(*rbacv1.RoleBinding)
		if old != nil && b.RoleRef == old.(*rbacv1.RoleBinding).RoleRef {
			return nil
		}
		return g.checkBinding(ctx, "rolebindings", b.Namespace, b.Name, b.RoleRef)
	}}
}

// ClusterRoleBindings guards a clusterrolebindings store.
func (g *Guard) ClusterRoleBindings(store *genericregistry.Store) *Guarded {
	return &Guarded{store, func(ctx context.Context, obj, old runtime.Object) error {
		b := obj.(*rbacv1.ClusterRoleBinding)
		if old != nil && b.RoleRef == old.(*rbacv1.ClusterRoleBinding).RoleRef {
			return nil
		}
		return g.checkBinding(ctx, "clusterrolebindings", "", b.Name, b.RoleRef)
	}}
}
