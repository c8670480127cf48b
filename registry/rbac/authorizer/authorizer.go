// Package authorizer is the RBAC authorizer: a request is allowed when a
// rule of a role bound to its user covers it. It also lists a user's
// rules for SelfSubjectRulesReview.
package authorizer

import (
	"context"
	"fmt"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"

	"github.com/kybernetes/kybernetes/registry/rbac/rules"
)

// RBAC authorizes through a rule resolver.
type RBAC struct{ Resolver *rules.Resolver }

var _ authorizer.RuleResolver = &RBAC{}

// Authorize allows what a bound rule covers and has no opinion otherwise;
// errors met while resolving only fill the reason, as upstream's do.
func (r *RBAC) Authorize(ctx context.Context, a authorizer.Attributes) (authorizer.Decision, string, error) {
	var allowedBy fmt.Stringer
	var errs []error
	r.Resolver.Visit(ctx, a.GetUser(), a.GetNamespace(), func(grantedBy fmt.Stringer, rule *rbacv1.PolicyRule, err error) bool {
		if err != nil {
			errs = append(errs, err)
		}
		if rule != nil && rules.Allows(a, rule) {
			allowedBy = grantedBy
			return false
		}
		return true
	})
	if allowedBy != nil {
		return authorizer.DecisionAllow, "RBAC: allowed by " + allowedBy.String(), nil
	}
	if len(errs) > 0 {
		return authorizer.DecisionNoOpinion, fmt.Sprintf("RBAC: %v", errs), nil
	}
	return authorizer.DecisionNoOpinion, "", nil
}

// RulesFor lists u's rules in namespace as the review API reports them.
func (r *RBAC) RulesFor(ctx context.Context, u user.Info, namespace string) ([]authorizer.ResourceRuleInfo, []authorizer.NonResourceRuleInfo, bool, error) {
	var resourceRules []authorizer.ResourceRuleInfo
	var nonResourceRules []authorizer.NonResourceRuleInfo
	policyRules, err := r.Resolver.RulesFor(ctx, u, namespace)
	for _, rule := range policyRules {
		if len(rule.Resources) > 0 {
			resourceRules = append(resourceRules, &authorizer.DefaultResourceRuleInfo{
				Verbs: rule.Verbs, APIGroups: rule.APIGroups, Resources: rule.Resources, ResourceNames: rule.ResourceNames,
			})
		}
		if len(rule.NonResourceURLs) > 0 {
			nonResourceRules = append(nonResourceRules, &authorizer.DefaultNonResourceRuleInfo{Verbs: rule.Verbs, NonResourceURLs: rule.NonResourceURLs})
		}
	}
	return resourceRules, nonResourceRules, false, err
}
