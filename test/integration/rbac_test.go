package integration

import (
	"context"
	"slices"
	"strings"
	"testing"

	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// as is a client of the shared server impersonating user (with groups);
// impersonating system:serviceaccount:<ns>:<name> adds the service
// account groups, as for a real service account token.
func as(t *testing.T, user string, groups ...string) kubernetes.Interface {
	t.Helper()
	cfg := rest.CopyConfig(shared.Config)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: user, Groups: groups}
	return kubernetes.NewForConfigOrDie(cfg)
}

// waitUntilAllowed waits until the authorizer, whose informers see new
// bindings a moment after they are written, lets client do verb on
// resource in ns.
func waitUntilAllowed(t *testing.T, client kubernetes.Interface, verb, group, resource, ns string) {
	t.Helper()
	waitFor(t, verb+" "+resource+" allowed", func(ctx context.Context) bool {
		review, err := client.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, &authorizationv1.SelfSubjectAccessReview{
			Spec: authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &authorizationv1.ResourceAttributes{
				Verb: verb, Group: group, Resource: resource, Namespace: ns,
			}},
		}, metav1.CreateOptions{})
		return err == nil && review.Status.Allowed
	})
}

// TestRBACRoleBindingMatrix: a service account bound to edit in one
// namespace may do what edit allows there, and is refused with upstream's
// 403 messages elsewhere and for what edit does not allow.
func TestRBACRoleBindingMatrix(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	_, err := shared.Client.RbacV1().RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "ci"},
		RoleRef:    rbacv1.RoleRef{Kind: "ClusterRole", Name: "edit"},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: "ci", Namespace: ns}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Defaulted as upstream: the roleRef's group.
	b, err := shared.Client.RbacV1().RoleBindings(ns).Get(ctx, "ci", metav1.GetOptions{})
	if err != nil || b.RoleRef.APIGroup != rbacv1.GroupName {
		t.Fatalf("binding %+v, %v", b, err)
	}
	ci := as(t, "system:serviceaccount:"+ns+":ci")
	// edit is aggregated by the controller from system:aggregate-to-edit.
	waitUntilAllowed(t, ci, "create", "", "configmaps", ns)

	if _, err := ci.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{}); err != nil {
		t.Errorf("list pods in %s: %v", ns, err)
	}
	if _, err := ci.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "c"}}, metav1.CreateOptions{}); err != nil {
		t.Errorf("create a configmap in %s: %v", ns, err)
	}
	refusals := []struct {
		what string
		do   func() error
		want string
	}{
		{"secrets in kube-system", func() error {
			_, err := ci.CoreV1().Secrets("kube-system").List(ctx, metav1.ListOptions{})
			return err
		}, `secrets is forbidden: User "system:serviceaccount:` + ns + `:ci" cannot list resource "secrets" in API group "" in the namespace "kube-system"`},
		{"a role binding", func() error {
			_, err := ci.RbacV1().RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "up"},
				RoleRef: rbacv1.RoleRef{Kind: "ClusterRole", Name: "admin"}}, metav1.CreateOptions{})
			return err
		}, `rolebindings.rbac.authorization.k8s.io is forbidden: User "system:serviceaccount:` + ns + `:ci" cannot create resource "rolebindings" in API group "rbac.authorization.k8s.io" in the namespace "` + ns + `"`},
		{"nodes", func() error {
			_, err := ci.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
			return err
		}, `nodes is forbidden: User "system:serviceaccount:` + ns + `:ci" cannot list resource "nodes" in API group "" at the cluster scope`},
		{"deleting its namespace", func() error {
			return ci.CoreV1().Namespaces().Delete(ctx, ns, metav1.DeleteOptions{})
		}, `namespaces "` + ns + `" is forbidden: User "system:serviceaccount:` + ns + `:ci" cannot delete resource "namespaces" in API group "" in the namespace "` + ns + `"`},
	}
	for _, r := range refusals {
		err := r.do()
		if !apierrors.IsForbidden(err) || err.Error() != r.want {
			t.Errorf("%s: got %v\nwant 403 %s", r.what, err, r.want)
		}
	}
	// Every authenticated user may discover the API and review itself.
	if _, err := ci.Discovery().ServerGroups(); err != nil {
		t.Errorf("discovery: %v", err)
	}
}

// TestRBACEscalation: an admin of one namespace may grant what it holds,
// not more, unless it may bind or escalate; aggregation rules need
// everything.
func TestRBACEscalation(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	_, err := shared.Client.RbacV1().RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "alice-admin"},
		RoleRef:    rbacv1.RoleRef{Kind: "ClusterRole", Name: "admin"},
		Subjects:   []rbacv1.Subject{{Kind: "User", Name: "alice"}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	alice := as(t, "alice")
	waitUntilAllowed(t, alice, "create", rbacv1.GroupName, "roles", ns)

	held := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "pod-reader"},
		Rules: []rbacv1.PolicyRule{{Verbs: []string{"get", "list"}, APIGroups: []string{""}, Resources: []string{"pods"}}}}
	if _, err := alice.RbacV1().Roles(ns).Create(ctx, held, metav1.CreateOptions{}); err != nil {
		t.Fatalf("a role with rules alice holds: %v", err)
	}
	notHeld := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "node-reader"},
		Rules: []rbacv1.PolicyRule{{Verbs: []string{"get", "list"}, APIGroups: []string{""}, Resources: []string{"nodes"}}}}
	_, err = alice.RbacV1().Roles(ns).Create(ctx, notHeld, metav1.CreateOptions{})
	want := `roles.rbac.authorization.k8s.io "node-reader" is forbidden: user "alice" (groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:
{APIGroups:[""], Resources:["nodes"], Verbs:["get" "list"]}`
	if !apierrors.IsForbidden(err) || err.Error() != want {
		t.Errorf("a role with rules alice lacks: got %v\nwant %s", err, want)
	}
	if _, err := shared.Client.RbacV1().Roles(ns).Get(ctx, "node-reader", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("the refused role was stored: %v", err)
	}
	// Binding what she holds: allowed; binding cluster-admin: refused.
	_, err = alice.RbacV1().RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "bob-reads"},
		RoleRef: rbacv1.RoleRef{Kind: "Role", Name: "pod-reader"}, Subjects: []rbacv1.Subject{{Kind: "User", Name: "bob"}}}, metav1.CreateOptions{})
	if err != nil {
		t.Errorf("binding a held role: %v", err)
	}
	adminBinding := &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "bob-admin"},
		RoleRef: rbacv1.RoleRef{Kind: "ClusterRole", Name: "cluster-admin"}, Subjects: []rbacv1.Subject{{Kind: "User", Name: "bob"}}}
	_, err = alice.RbacV1().RoleBindings(ns).Create(ctx, adminBinding, metav1.CreateOptions{})
	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "is attempting to grant RBAC permissions not currently held") {
		t.Errorf("binding cluster-admin: want 403, got %v", err)
	}
	// With the bind verb on cluster-admin she may.
	_, err = shared.Client.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: ns + "-binder"},
		Rules: []rbacv1.PolicyRule{{Verbs: []string{"bind"}, APIGroups: []string{rbacv1.GroupName}, Resources: []string{"clusterroles"}, ResourceNames: []string{"cluster-admin"}}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer shared.Client.RbacV1().ClusterRoles().Delete(ctx, ns+"-binder", metav1.DeleteOptions{})
	_, err = shared.Client.RbacV1().RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "alice-binder"},
		RoleRef: rbacv1.RoleRef{Kind: "ClusterRole", Name: ns + "-binder"}, Subjects: []rbacv1.Subject{{Kind: "User", Name: "alice"}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "alice may bind cluster-admin", func(ctx context.Context) bool {
		_, err := alice.RbacV1().RoleBindings(ns).Create(ctx, adminBinding, metav1.CreateOptions{})
		return err == nil
	})
	// An aggregation rule may gather anything: only for who holds everything.
	_, err = alice.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: ns + "-gather"},
		AggregationRule: &rbacv1.AggregationRule{ClusterRoleSelectors: []metav1.LabelSelector{{MatchLabels: map[string]string{"x": "y"}}}}}, metav1.CreateOptions{})
	if !apierrors.IsForbidden(err) {
		t.Errorf("an aggregated role by alice: want 403, got %v", err)
	}
}

// TestRBACValidation: upstream's field paths for bad roles and bindings.
func TestRBACValidation(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	_, err := shared.Client.RbacV1().Roles(ns).Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "bad"},
		Rules: []rbacv1.PolicyRule{{Resources: []string{"pods"}}, {Verbs: []string{"get"}, NonResourceURLs: []string{"/healthz"}}}}, metav1.CreateOptions{})
	for _, want := range []string{"rules[0].verbs: Required value", "rules[0].apiGroups: Required value", "rules[1].nonResourceURLs: Invalid value: [\"/healthz\"]: namespaced rules cannot apply to non-resource URLs"} {
		if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), want) {
			t.Errorf("bad role: want %q in 422, got %v", want, err)
		}
	}
	_, err = shared.Client.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: ns + "-bad"},
		RoleRef:  rbacv1.RoleRef{Kind: "Role", Name: "x"},
		Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: "sa"}, {Kind: "Robot", Name: "r"}}}, metav1.CreateOptions{})
	for _, want := range []string{`roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole"`, "subjects[0].namespace: Required value",
		`subjects[1].kind: Unsupported value: "Robot"`} {
		if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), want) {
			t.Errorf("bad binding: want %q in 422, got %v", want, err)
		}
	}
	rb, err := shared.Client.RbacV1().RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "fixed"},
		RoleRef: rbacv1.RoleRef{Kind: "ClusterRole", Name: "view"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rb.RoleRef.Name = "edit"
	if _, err := shared.Client.RbacV1().RoleBindings(ns).Update(ctx, rb, metav1.UpdateOptions{}); !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "cannot change roleRef") {
		t.Errorf("changing roleRef: want 422, got %v", err)
	}
}

// TestClusterRoleAggregation: a role labelled aggregate-to-view adds its
// rules to view, and through view's own label to edit and admin.
func TestClusterRoleAggregation(t *testing.T) {
	ctx := context.Background()
	rule := rbacv1.PolicyRule{Verbs: []string{"get", "list", "watch"}, APIGroups: []string{"stable.example.com"}, Resources: []string{"crontabs"}}
	_, err := shared.Client.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: "crontab-viewer", Labels: map[string]string{"rbac.authorization.k8s.io/aggregate-to-view": "true"}},
		Rules:      []rbacv1.PolicyRule{rule},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	has := func(name string) func(ctx context.Context) bool {
		return func(ctx context.Context) bool {
			role, err := shared.Client.RbacV1().ClusterRoles().Get(ctx, name, metav1.GetOptions{})
			return err == nil && slices.ContainsFunc(role.Rules, func(r rbacv1.PolicyRule) bool {
				return slices.Equal(r.Resources, rule.Resources) && slices.Equal(r.APIGroups, rule.APIGroups)
			})
		}
	}
	for _, role := range []string{"view", "edit", "admin"} {
		waitFor(t, "crontab rule in "+role, has(role))
	}
	if err := shared.Client.RbacV1().ClusterRoles().Delete(ctx, "crontab-viewer", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "crontab rule gone from view", func(ctx context.Context) bool { return !has("view")(ctx) })
}

// TestAccessReviews: the review APIs answer for others and for oneself,
// and refuse malformed questions with 422.
func TestAccessReviews(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	_, err := shared.Client.RbacV1().RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "carol-view"},
		RoleRef:    rbacv1.RoleRef{Kind: "ClusterRole", Name: "view"},
		Subjects:   []rbacv1.Subject{{Kind: "User", Name: "carol"}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ask := func(verb, resource string) *authorizationv1.SubjectAccessReview {
		review, err := shared.Client.AuthorizationV1().SubjectAccessReviews().Create(ctx, &authorizationv1.SubjectAccessReview{
			Spec: authorizationv1.SubjectAccessReviewSpec{User: "carol", ResourceAttributes: &authorizationv1.ResourceAttributes{
				Verb: verb, Resource: resource, Namespace: ns}},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return review
	}
	waitFor(t, "carol may list pods", func(context.Context) bool { return ask("list", "pods").Status.Allowed })
	if r := ask("list", "pods"); !strings.Contains(r.Status.Reason, `RoleBinding "`+ns+`/carol-view" of ClusterRole "view"`) {
		t.Errorf("reason %q names no binding", r.Status.Reason)
	}
	if ask("delete", "pods").Status.Allowed || ask("get", "secrets").Status.Allowed {
		t.Error("view lets carol delete pods or read secrets")
	}
	local, err := shared.Client.AuthorizationV1().LocalSubjectAccessReviews(ns).Create(ctx, &authorizationv1.LocalSubjectAccessReview{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns},
		Spec: authorizationv1.SubjectAccessReviewSpec{User: "carol", ResourceAttributes: &authorizationv1.ResourceAttributes{
			Verb: "watch", Resource: "configmaps", Namespace: ns}},
	}, metav1.CreateOptions{})
	if err != nil || !local.Status.Allowed {
		t.Errorf("local review: %+v, %v", local, err)
	}
	// Malformed: no user, both kinds of attributes.
	_, err = shared.Client.AuthorizationV1().SubjectAccessReviews().Create(ctx, &authorizationv1.SubjectAccessReview{
		Spec: authorizationv1.SubjectAccessReviewSpec{ResourceAttributes: &authorizationv1.ResourceAttributes{Verb: "get"},
			NonResourceAttributes: &authorizationv1.NonResourceAttributes{Verb: "get", Path: "/"}},
	}, metav1.CreateOptions{})
	for _, want := range []string{"exactly one of nonResourceAttributes or resourceAttributes must be specified", "spec.user: Invalid value"} {
		if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), want) {
			t.Errorf("malformed review: want %q in 422, got %v", want, err)
		}
	}
	// Carol's own rules in the namespace include view's.
	carol := as(t, "carol")
	rules, err := carol.AuthorizationV1().SelfSubjectRulesReviews().Create(ctx, &authorizationv1.SelfSubjectRulesReview{
		Spec: authorizationv1.SelfSubjectRulesReviewSpec{Namespace: ns}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(rules.Status.ResourceRules, func(r authorizationv1.ResourceRule) bool {
		return slices.Contains(r.Resources, "pods") && slices.Contains(r.Verbs, "list")
	}) || !slices.ContainsFunc(rules.Status.NonResourceRules, func(r authorizationv1.NonResourceRule) bool {
		return slices.Contains(r.NonResourceURLs, "/version")
	}) {
		t.Errorf("carol's rules lack view's pods or discovery's /version: %+v", rules.Status)
	}
}

// TestBootstrapPolicy: the default roles and bindings exist, marked for
// reconciliation, and the component users hold their roles.
func TestBootstrapPolicy(t *testing.T) {
	ctx := context.Background()
	binding, err := shared.Client.RbacV1().ClusterRoleBindings().Get(ctx, "cluster-admin", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(binding.Subjects) != 1 || binding.Subjects[0].Name != "system:masters" || binding.Annotations[rbacv1.AutoUpdateAnnotationKey] != "true" {
		t.Errorf("cluster-admin binding: %+v", binding)
	}
	for _, name := range []string{"system:kube-scheduler", "system:kube-controller-manager", "system:node", "system:node-proxier", "system:auth-delegator", "system:public-info-viewer"} {
		if _, err := shared.Client.RbacV1().ClusterRoles().Get(ctx, name, metav1.GetOptions{}); err != nil {
			t.Errorf("cluster role %s: %v", name, err)
		}
	}
	if _, err := shared.Client.RbacV1().Roles("kube-system").Get(ctx, "extension-apiserver-authentication-reader", metav1.GetOptions{}); err != nil {
		t.Errorf("kube-system role: %v", err)
	}
	scheduler := as(t, "system:kube-scheduler")
	if _, err := scheduler.CoreV1().Pods("").List(ctx, metav1.ListOptions{}); err != nil {
		t.Errorf("the scheduler lists pods: %v", err)
	}
	if _, err := scheduler.CoreV1().Secrets("").List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("the scheduler lists secrets: want 403, got %v", err)
	}
}

// TestNodeAuthorizer: a kubelet reads a Secret only while a pod bound to
// its node uses it; never another node's, never a list of all.
func TestNodeAuthorizer(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	for _, name := range []string{"used", "unused"} {
		if _, err := shared.Client.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	_, err := shared.Client.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "p"},
		Spec: corev1.PodSpec{NodeName: "authz-node-a", Containers: []corev1.Container{{Name: "c", Image: "busybox",
			EnvFrom: []corev1.EnvFromSource{{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "used"}}}}}}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	nodeA := as(t, "system:node:authz-node-a", "system:nodes")
	nodeB := as(t, "system:node:authz-node-b", "system:nodes")
	waitFor(t, "node a reads the secret its pod uses", func(ctx context.Context) bool {
		_, err := nodeA.CoreV1().Secrets(ns).Get(ctx, "used", metav1.GetOptions{})
		return err == nil
	})
	_, err = nodeA.CoreV1().Secrets(ns).Get(ctx, "unused", metav1.GetOptions{})
	want := `secrets "unused" is forbidden: User "system:node:authz-node-a" cannot get resource "secrets" in API group "" in the namespace "` + ns + `": node: no relationship found between node 'authz-node-a' and this object`
	if !apierrors.IsForbidden(err) || err.Error() != want {
		t.Errorf("node a, unused secret: got %v\nwant %s", err, want)
	}
	if _, err := nodeB.CoreV1().Secrets(ns).Get(ctx, "used", metav1.GetOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("node b, node a's secret: want 403, got %v", err)
	}
	if _, err := nodeA.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("node a lists secrets: want 403, got %v", err)
	}
	// What system:node allows without a graph: its pods, nodes, events.
	if _, err := nodeA.CoreV1().Pods("").List(ctx, metav1.ListOptions{FieldSelector: "spec.nodeName=authz-node-a"}); err != nil {
		t.Errorf("node a lists pods: %v", err)
	}
	if err := shared.Client.CoreV1().Pods(ns).Delete(ctx, "p", *metav1.NewDeleteOptions(0)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "node a refused the secret once the pod is gone", func(ctx context.Context) bool {
		_, err := nodeA.CoreV1().Secrets(ns).Get(ctx, "used", metav1.GetOptions{})
		return apierrors.IsForbidden(err)
	})
}
