package integration

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/kybernetes/kybernetes/registry"
	"github.com/kybernetes/kybernetes/test/integration/framework"
)

// With --use-service-account-credentials (on in kybernetes server) each
// controller is its kube-system service account: the audit log names the
// replica set controller's account as the creator of a ReplicaSet's pod,
// and that account may do its job but not read Secrets.
func TestControllersRunAsTheirServiceAccounts(t *testing.T) {
	dir := t.TempDir()
	policy := filepath.Join(dir, "policy.yaml")
	logPath := filepath.Join(dir, "audit.log")
	if err := os.WriteFile(policy, []byte(`apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: Metadata
  verbs: [create]
  resources: [{group: "", resources: [pods]}]
- level: None
`), 0o600); err != nil {
		t.Fatal(err)
	}
	server := framework.Start(t, framework.Setup{Customize: func(o *registry.Options) {
		o.Audit.PolicyFile = policy
		o.Audit.LogOptions.Path = logPath
	}})
	ctx := context.Background()
	labels := map[string]string{"app": "audited"}
	if _, err := server.Client.AppsV1().ReplicaSets("default").Create(ctx, &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: "audited"},
		Spec: appsv1.ReplicaSetSpec{Replicas: ptr.To[int32](1), Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "example.test/app"}}}}}},
		metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	var creator string
	waitFor(t, "the audit event of the replica set's pod", func(context.Context) bool {
		f, err := os.Open(logPath)
		if err != nil {
			return false
		}
		defer f.Close()
		lines := bufio.NewScanner(f)
		lines.Buffer(nil, 1<<20)
		for lines.Scan() {
			var e auditEvent
			if err := json.Unmarshal(lines.Bytes(), &e); err != nil {
				t.Fatalf("an audit line that is not JSON: %v\n%s", err, lines.Text())
			}
			if e.Stage == "ResponseComplete" && e.ObjectRef != nil && e.ObjectRef.Namespace == "default" &&
				e.ResponseStatus != nil && e.ResponseStatus.Code == 201 {
				creator = e.User.Username
				return true
			}
		}
		return false
	})
	if want := "system:serviceaccount:kube-system:replicaset-controller"; creator != want {
		t.Errorf("the pod was created by %q, want %q", creator, want)
	}
	if _, err := server.Client.CoreV1().ServiceAccounts("kube-system").Get(ctx, "replicaset-controller", metav1.GetOptions{}); err != nil {
		t.Errorf("the controller's account: %v", err)
	}

	for _, c := range []struct {
		verb, group, resource string
		allowed               bool
	}{
		{"create", "", "pods", true},
		{"update", "apps", "replicasets/status", true},
		{"list", "", "secrets", false},
		{"delete", "", "nodes", false},
	} {
		resource, subresource, _ := strings.Cut(c.resource, "/")
		review, err := server.Client.AuthorizationV1().SubjectAccessReviews().Create(ctx, &authorizationv1.SubjectAccessReview{
			Spec: authorizationv1.SubjectAccessReviewSpec{User: "system:serviceaccount:kube-system:replicaset-controller",
				Groups:             []string{"system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"},
				ResourceAttributes: &authorizationv1.ResourceAttributes{Verb: c.verb, Group: c.group, Resource: resource, Subresource: subresource}}},
			metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if review.Status.Allowed != c.allowed {
			t.Errorf("replicaset-controller %s %s: allowed %v, want %v (%s)", c.verb, c.resource, review.Status.Allowed, c.allowed, review.Status.Reason)
		}
	}
}
