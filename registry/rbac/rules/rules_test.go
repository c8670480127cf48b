package rules

import (
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
)

func TestAllows(t *testing.T) {
	resource := func(verb, group, res, sub, name string) authorizer.AttributesRecord {
		return authorizer.AttributesRecord{Verb: verb, APIGroup: group, Resource: res, Subresource: sub, Name: name, ResourceRequest: true}
	}
	path := func(verb, p string) authorizer.AttributesRecord {
		return authorizer.AttributesRecord{Verb: verb, Path: p}
	}
	cases := []struct {
		name  string
		rule  rbacv1.PolicyRule
		attrs authorizer.AttributesRecord
		want  bool
	}{
		{"exact", rbacv1.PolicyRule{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"pods"}}, resource("get", "", "pods", "", "p"), true},
		{"other verb", rbacv1.PolicyRule{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"pods"}}, resource("delete", "", "pods", "", "p"), false},
		{"other group", rbacv1.PolicyRule{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"deployments"}}, resource("get", "apps", "deployments", "", ""), false},
		{"wildcards", rbacv1.PolicyRule{Verbs: []string{"*"}, APIGroups: []string{"*"}, Resources: []string{"*"}}, resource("patch", "apps", "deployments", "scale", ""), true},
		{"a resource is not its subresource", rbacv1.PolicyRule{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"pods"}}, resource("get", "", "pods", "log", "p"), false},
		{"subresource", rbacv1.PolicyRule{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"pods/log"}}, resource("get", "", "pods", "log", "p"), true},
		{"*/subresource", rbacv1.PolicyRule{Verbs: []string{"update"}, APIGroups: []string{"*"}, Resources: []string{"*/status"}}, resource("update", "apps", "deployments", "status", "d"), true},
		{"*/subresource, other subresource", rbacv1.PolicyRule{Verbs: []string{"update"}, APIGroups: []string{"*"}, Resources: []string{"*/status"}}, resource("update", "apps", "deployments", "scale", "d"), false},
		{"names", rbacv1.PolicyRule{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"configmaps"}, ResourceNames: []string{"a"}}, resource("get", "", "configmaps", "", "b"), false},
		{"names, list without a name", rbacv1.PolicyRule{Verbs: []string{"list"}, APIGroups: []string{""}, Resources: []string{"configmaps"}, ResourceNames: []string{"a"}}, resource("list", "", "configmaps", "", ""), false},
		{"url", rbacv1.PolicyRule{Verbs: []string{"get"}, NonResourceURLs: []string{"/healthz"}}, path("get", "/healthz"), true},
		{"url prefix", rbacv1.PolicyRule{Verbs: []string{"get"}, NonResourceURLs: []string{"/apis/*"}}, path("get", "/apis/apps/v1"), true},
		{"url, other path", rbacv1.PolicyRule{Verbs: []string{"get"}, NonResourceURLs: []string{"/healthz"}}, path("get", "/metrics"), false},
		{"resource rule, url request", rbacv1.PolicyRule{Verbs: []string{"get"}, APIGroups: []string{"*"}, Resources: []string{"*"}}, path("get", "/healthz"), false},
	}
	for _, c := range cases {
		if got := Allows(c.attrs, &c.rule); got != c.want {
			t.Errorf("%s: Allows = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestAppliesTo(t *testing.T) {
	sa := &user.DefaultInfo{Name: "system:serviceaccount:ns:ci", Groups: []string{"system:serviceaccounts", "system:serviceaccounts:ns"}}
	cases := []struct {
		subject   rbacv1.Subject
		namespace string
		want      bool
	}{
		{rbacv1.Subject{Kind: "ServiceAccount", Name: "ci", Namespace: "ns"}, "", true},
		{rbacv1.Subject{Kind: "ServiceAccount", Name: "ci"}, "ns", true}, // a RoleBinding's own namespace
		{rbacv1.Subject{Kind: "ServiceAccount", Name: "ci"}, "", false},  // no namespace: nobody
		{rbacv1.Subject{Kind: "ServiceAccount", Name: "ci"}, "other", false},
		{rbacv1.Subject{Kind: "Group", Name: "system:serviceaccounts:ns"}, "", true},
		{rbacv1.Subject{Kind: "User", Name: "system:serviceaccount:ns:ci"}, "", true},
		{rbacv1.Subject{Kind: "User", Name: "ci"}, "", false},
	}
	for _, c := range cases {
		if got := appliesTo(sa, []rbacv1.Subject{c.subject}, c.namespace); got != c.want {
			t.Errorf("%+v in %q: %v, want %v", c.subject, c.namespace, got, c.want)
		}
	}
}
