// Package rules resolves what RBAC grants a user: the bindings whose
// subjects name the user, the roles they refer to, and whether a rule of
// theirs covers a request. The authorizer, the review APIs and the
// escalation checks of the RBAC registry all read grants through it.
package rules

import (
	"context"
	"fmt"
	"slices"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/apiserver/pkg/authentication/serviceaccount"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
)

// Source reads the RBAC objects: from informers for the authorizer, from
// storage for the registry's checks.
type Source interface {
	GetRole(ctx context.Context, namespace, name string) (*rbacv1.Role, error)
	ListRoleBindings(ctx context.Context, namespace string) ([]*rbacv1.RoleBinding, error)
	GetClusterRole(ctx context.Context, name string) (*rbacv1.ClusterRole, error)
	ListClusterRoleBindings(ctx context.Context) ([]*rbacv1.ClusterRoleBinding, error)
}

// Resolver finds the rules that apply to a user.
type Resolver struct{ Source Source }

// Visitor sees each rule that applies, with what granted it, or an error
// met on the way; it returns false to stop.
type Visitor func(grantedBy fmt.Stringer, rule *rbacv1.PolicyRule, err error) bool

// Visit walks the rules that apply to u in namespace: those of the
// ClusterRoleBindings everywhere, and, when namespace is set, those of the
// namespace's RoleBindings.
func (r *Resolver) Visit(ctx context.Context, u user.Info, namespace string, visit Visitor) {
	clusterBindings, err := r.Source.ListClusterRoleBindings(ctx)
	if err != nil {
		if !visit(nil, nil, err) {
			return
		}
	}
	for _, b := range clusterBindings {
		if !appliesTo(u, b.Subjects, "") {
			continue
		}
		rules, err := r.RoleRefRules(ctx, b.RoleRef, "")
		if err != nil && !visit(nil, nil, err) {
			return
		}
		source := grant{"ClusterRoleBinding", b.Name, "", b.RoleRef}
		for i := range rules {
			if !visit(source, &rules[i], nil) {
				return
			}
		}
	}
	if namespace == "" {
		return
	}
	bindings, err := r.Source.ListRoleBindings(ctx, namespace)
	if err != nil {
		if !visit(nil, nil, err) {
			return
		}
	}
	for _, b := range bindings {
		if !appliesTo(u, b.Subjects, namespace) {
			continue
		}
		rules, err := r.RoleRefRules(ctx, b.RoleRef, namespace)
		if err != nil && !visit(nil, nil, err) {
			return
		}
		source := grant{"RoleBinding", b.Name, namespace, b.RoleRef}
		for i := range rules {
			if !visit(source, &rules[i], nil) {
				return
			}
		}
	}
}

// RulesFor lists the rules that apply to u in namespace, with the errors
// met (the list may then be incomplete).
func (r *Resolver) RulesFor(ctx context.Context, u user.Info, namespace string) ([]rbacv1.PolicyRule, error) {
	var rules []rbacv1.PolicyRule
	var errs []error
	r.Visit(ctx, u, namespace, func(_ fmt.Stringer, rule *rbacv1.PolicyRule, err error) bool {
		if rule != nil {
			rules = append(rules, *rule)
		}
		if err != nil {
			errs = append(errs, err)
		}
		return true
	})
	return rules, utilerrors.NewAggregate(errs)
}

// RoleRefRules are the rules of the role a binding in namespace refers
// to ("" for a ClusterRoleBinding).
func (r *Resolver) RoleRefRules(ctx context.Context, ref rbacv1.RoleRef, namespace string) ([]rbacv1.PolicyRule, error) {
	switch ref.Kind {
	case "Role":
		role, err := r.Source.GetRole(ctx, namespace, ref.Name)
		if err != nil {
			return nil, err
		}
		return role.Rules, nil
	case "ClusterRole":
		role, err := r.Source.GetClusterRole(ctx, ref.Name)
		if err != nil {
			return nil, err
		}
		return role.Rules, nil
	}
	return nil, fmt.Errorf("unsupported role reference kind: %q", ref.Kind)
}

// grant names what granted a rule, as upstream's authorizer reasons do.
type grant struct {
	kind, name, namespace string
	ref                   rbacv1.RoleRef
}

func (g grant) String() string {
	binding := fmt.Sprintf("%s %q", g.kind, g.name)
	if g.namespace != "" {
		binding = fmt.Sprintf("%s %q", g.kind, g.namespace+"/"+g.name)
	}
	return fmt.Sprintf("%s of %s %q", binding, g.ref.Kind, g.ref.Name)
}

// appliesTo says whether one of subjects names u; a ServiceAccount
// subject without a namespace means one in bindingNamespace.
func appliesTo(u user.Info, subjects []rbacv1.Subject, bindingNamespace string) bool {
	for _, s := range subjects {
		switch s.Kind {
		case rbacv1.UserKind:
			if u.GetName() == s.Name {
				return true
			}
		case rbacv1.GroupKind:
			if slices.Contains(u.GetGroups(), s.Name) {
				return true
			}
		case rbacv1.ServiceAccountKind:
			namespace := s.Namespace
			if namespace == "" {
				namespace = bindingNamespace
			}
			if namespace != "" && u.GetName() == serviceaccount.MakeUsername(namespace, s.Name) {
				return true
			}
		}
	}
	return false
}

// Allows says whether rule covers the request a.
func Allows(a authorizer.Attributes, rule *rbacv1.PolicyRule) bool {
	if !matches(rule.Verbs, a.GetVerb()) {
		return false
	}
	if !a.IsResourceRequest() {
		return nonResourceURLMatches(rule.NonResourceURLs, a.GetPath())
	}
	resource := a.GetResource()
	if a.GetSubresource() != "" {
		resource += "/" + a.GetSubresource()
	}
	return matches(rule.APIGroups, a.GetAPIGroup()) &&
		resourceMatches(rule.Resources, resource, a.GetSubresource()) &&
		(len(rule.ResourceNames) == 0 || slices.Contains(rule.ResourceNames, a.GetName()))
}

// matches: a value listed, or the wildcard.
func matches(values []string, requested string) bool {
	for _, v := range values {
		if v == "*" || v == requested {
			return true
		}
	}
	return false
}

// resourceMatches also lets "*/<subresource>" cover that subresource of
// every resource.
func resourceMatches(resources []string, combined, subresource string) bool {
	for _, r := range resources {
		if r == "*" || r == combined || subresource != "" && r == "*/"+subresource {
			return true
		}
	}
	return false
}

// nonResourceURLMatches: an exact path, or a prefix ending in "*".
func nonResourceURLMatches(urls []string, requested string) bool {
	for _, u := range urls {
		if u == "*" || u == requested || strings.HasSuffix(u, "*") && strings.HasPrefix(requested, strings.TrimSuffix(u, "*")) {
			return true
		}
	}
	return false
}
