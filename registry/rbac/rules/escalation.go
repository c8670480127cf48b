package rules

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/component-helpers/auth/rbac/validation"

	"github.com/kybernetes/kybernetes/apis/rbac"
)

// EscalationAllowed: members of system:masters may grant anything, as
// upstream lets them.
func EscalationAllowed(u user.Info) bool {
	return u != nil && slices.Contains(u.GetGroups(), user.SystemPrivilegedGroup)
}

// ConfirmNoEscalation refuses to let u grant, in namespace, rules it does
// not hold itself, with upstream's message listing what is missing.
func (r *Resolver) ConfirmNoEscalation(ctx context.Context, u user.Info, namespace string, rules []rbacv1.PolicyRule) error {
	held, resolveErr := r.RulesFor(ctx, u, namespace)
	covered, missing := validation.Covers(held, rules)
	if covered {
		return nil
	}
	descriptions := map[string]bool{}
	for _, m := range compact(missing) {
		descriptions[rbac.CompactRule(m)] = true
	}
	lines := make([]string, 0, len(descriptions))
	for d := range descriptions {
		lines = append(lines, d)
	}
	sort.Strings(lines)
	msg := fmt.Sprintf("user %q (groups=%q) is attempting to grant RBAC permissions not currently held:\n%s", u.GetName(), u.GetGroups(), strings.Join(lines, "\n"))
	if resolveErr != nil {
		msg += fmt.Sprintf("; resolution errors: %v", resolveErr)
	}
	return fmt.Errorf("%s", msg)
}

// compact merges the one-verb rules Covers breaks permissions into back
// into one rule per group, resource and names.
func compact(rules []rbacv1.PolicyRule) []rbacv1.PolicyRule {
	var out []rbacv1.PolicyRule
	index := map[string]int{}
	for _, rule := range rules {
		key := fmt.Sprint(rule.APIGroups, rule.Resources, rule.ResourceNames, rule.NonResourceURLs)
		if i, ok := index[key]; ok {
			for _, v := range rule.Verbs {
				if !slices.Contains(out[i].Verbs, v) {
					out[i].Verbs = append(out[i].Verbs, v)
				}
			}
			continue
		}
		index[key] = len(out)
		out = append(out, *rule.DeepCopy())
	}
	return out
}
