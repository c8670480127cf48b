package bootstrappolicy

import (
	"testing"

	rbacapi "github.com/kybernetes/kybernetes/apis/rbac"
)

// TestPolicyIsValid: every role and binding of the policy passes the
// validation a client's would, and every binding names a role of the policy.
func TestPolicyIsValid(t *testing.T) {
	clusterRoles := map[string]bool{}
	for _, r := range ClusterRoles() {
		if errs := rbacapi.ValidateClusterRole(&r); len(errs) > 0 {
			t.Errorf("clusterrole %s: %v", r.Name, errs)
		}
		if clusterRoles[r.Name] {
			t.Errorf("clusterrole %s twice", r.Name)
		}
		clusterRoles[r.Name] = true
	}
	for _, b := range ClusterRoleBindings() {
		if errs := rbacapi.ValidateClusterRoleBinding(&b); len(errs) > 0 {
			t.Errorf("clusterrolebinding %s: %v", b.Name, errs)
		}
		if !clusterRoles[b.RoleRef.Name] {
			t.Errorf("clusterrolebinding %s binds missing %s", b.Name, b.RoleRef.Name)
		}
	}
	roles := map[string]bool{}
	for _, r := range NamespaceRoles() {
		if errs := rbacapi.ValidateRole(&r); len(errs) > 0 {
			t.Errorf("role %s/%s: %v", r.Namespace, r.Name, errs)
		}
		roles[r.Namespace+"/"+r.Name] = true
	}
	for _, b := range NamespaceRoleBindings() {
		if errs := rbacapi.ValidateRoleBinding(&b); len(errs) > 0 {
			t.Errorf("rolebinding %s/%s: %v", b.Namespace, b.Name, errs)
		}
		if !roles[b.Namespace+"/"+b.RoleRef.Name] {
			t.Errorf("rolebinding %s/%s binds missing %s", b.Namespace, b.Name, b.RoleRef.Name)
		}
	}
}
