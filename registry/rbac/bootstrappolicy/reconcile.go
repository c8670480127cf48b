package bootstrappolicy

import (
	"context"
	"fmt"

	"k8s.io/client-go/kubernetes"
	"k8s.io/component-helpers/auth/rbac/reconciliation"
)

// Reconcile writes the policy through client: missing roles and bindings
// are created, and those still marked for autoupdate get back the rules
// and subjects the policy gives them (an operator's additions stay).
func Reconcile(ctx context.Context, client kubernetes.Interface) error {
	rbac := client.RbacV1()
	for _, role := range ClusterRoles() {
		opts := reconciliation.ReconcileRoleOptions{
			Role:    reconciliation.ClusterRoleRuleOwner{ClusterRole: &role},
			Client:  reconciliation.ClusterRoleModifier{Client: rbac.ClusterRoles()},
			Confirm: true,
		}
		if _, err := opts.Run(); err != nil {
			return fmt.Errorf("clusterrole %s: %w", role.Name, err)
		}
	}
	for _, binding := range ClusterRoleBindings() {
		opts := reconciliation.ReconcileRoleBindingOptions{
			RoleBinding: reconciliation.ClusterRoleBindingAdapter{ClusterRoleBinding: &binding},
			Client:      reconciliation.ClusterRoleBindingClientAdapter{Client: rbac.ClusterRoleBindings()},
			Confirm:     true,
		}
		if _, err := opts.Run(); err != nil {
			return fmt.Errorf("clusterrolebinding %s: %w", binding.Name, err)
		}
	}
	for _, role := range NamespaceRoles() {
		opts := reconciliation.ReconcileRoleOptions{
			Role:    reconciliation.RoleRuleOwner{Role: &role},
			Client:  reconciliation.RoleModifier{Client: rbac, NamespaceClient: client.CoreV1().Namespaces()},
			Confirm: true,
		}
		if _, err := opts.Run(); err != nil {
			return fmt.Errorf("role %s/%s: %w", role.Namespace, role.Name, err)
		}
	}
	for _, binding := range NamespaceRoleBindings() {
		opts := reconciliation.ReconcileRoleBindingOptions{
			RoleBinding: reconciliation.RoleBindingAdapter{RoleBinding: &binding},
			Client:      reconciliation.RoleBindingClientAdapter{Client: rbac, NamespaceClient: client.CoreV1().Namespaces()},
			Confirm:     true,
		}
		if _, err := opts.Run(); err != nil {
			return fmt.Errorf("rolebinding %s/%s: %w", binding.Namespace, binding.Name, err)
		}
	}
	return nil
}
