package registry

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/apiserver/pkg/authorization/authorizerfactory"
	"k8s.io/apiserver/pkg/authorization/union"
	"k8s.io/client-go/informers"

	"github.com/kybernetes/kybernetes/registry/authorization/node"
	rbacauthorizer "github.com/kybernetes/kybernetes/registry/rbac/authorizer"
	"github.com/kybernetes/kybernetes/registry/rbac/rules"
)

// The --authorization-mode values kybernetes knows, upstream's names.
const (
	ModeAlwaysAllow = "AlwaysAllow"
	ModeAlwaysDeny  = "AlwaysDeny"
	ModeNode        = "Node"
	ModeRBAC        = "RBAC"
)

var authorizationModes = []string{ModeAlwaysAllow, ModeAlwaysDeny, ModeNode, ModeRBAC}

func validateAuthorizationModes(modes []string) []error {
	var errs []error
	if len(modes) == 0 {
		errs = append(errs, fmt.Errorf("--authorization-mode: at least one authorization mode must be passed"))
	}
	seen := map[string]bool{}
	for _, m := range modes {
		if !slices.Contains(authorizationModes, m) {
			errs = append(errs, fmt.Errorf("--authorization-mode: authorization mode %q is not a valid mode (one of %v)", m, authorizationModes))
		}
		if seen[m] {
			errs = append(errs, fmt.Errorf("--authorization-mode: %q has mode specified more than once", m))
		}
		seen[m] = true
	}
	return errs
}

// authorization is the server's authorizer chain and what reads the RBAC
// policy; the registry's escalation checks and reviews use both.
type authorization struct {
	authorizer authorizer.Authorizer
	rules      authorizer.RuleResolver
}

// newAuthorization chains system:masters (always allowed, as upstream)
// and the --authorization-mode authorizers in order, over informers of the
// shared factory (started with the server).
func newAuthorization(modes []string, factory informers.SharedInformerFactory) (*authorization, error) {
	// Named as kube-apiserver names them: reasons read "node: ...".
	chain := []union.NamedAuthorizer{{AuthorizerName: "kubernetes.io/system-privileged-group", Authorizer: authorizerfactory.NewPrivilegedGroups(user.SystemPrivilegedGroup)}}
	var ruleResolvers []authorizer.RuleResolver
	for _, mode := range modes {
		var a authorizer.Authorizer
		switch mode {
		case ModeAlwaysAllow:
			allow := authorizerfactory.NewAlwaysAllowAuthorizer()
			a = allow
			ruleResolvers = append(ruleResolvers, allow)
		case ModeAlwaysDeny:
			deny := authorizerfactory.NewAlwaysDenyAuthorizer()
			a = deny
			ruleResolvers = append(ruleResolvers, deny)
		case ModeNode:
			core := factory.Core().V1()
			nodes, err := node.New(core.Pods(), core.PersistentVolumeClaims())
			if err != nil {
				return nil, err
			}
			a = authorizer.AuthorizerFunc(nodes.Authorize)
		case ModeRBAC:
			r := factory.Rbac().V1()
			rbac := &rbacauthorizer.RBAC{Resolver: &rules.Resolver{Source: rules.Listers{
				Roles: r.Roles().Lister(), RoleBindings: r.RoleBindings().Lister(),
				ClusterRoles: r.ClusterRoles().Lister(), ClusterRoleBindings: r.ClusterRoleBindings().Lister(),
			}}}
			a = authorizer.AuthorizerFunc(rbac.Authorize)
			ruleResolvers = append(ruleResolvers, rbac)
		default:
			return nil, fmt.Errorf("unknown authorization mode %q", mode)
		}
		chain = append(chain, union.NamedAuthorizer{AuthorizerName: strings.ToLower(mode), Authorizer: a})
	}
	authz, err := union.New(chain...)
	if err != nil {
		return nil, err
	}
	return &authorization{authorizer: authz, rules: union.NewRuleResolvers(ruleResolvers...)}, nil
}
