package e2e

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRBACWithKubectl: the issue's own steps with stock kubectl — a
// service account bound to edit, `auth can-i` for it, its 403 outside its
// namespace, and the RBAC columns.
func TestRBACWithKubectl(t *testing.T) {
	ns := namespace(t, "e2e-rbac")
	sa := "system:serviceaccount:" + ns + ":ci"
	mustContain(t, k(t, "-n", ns, "create", "serviceaccount", "ci"), "serviceaccount/ci created")
	mustContain(t, k(t, "-n", ns, "create", "rolebinding", "ci", "--clusterrole=edit", "--serviceaccount="+ns+":ci"),
		"rolebinding.rbac.authorization.k8s.io/ci created")

	// The authorizer sees the binding a moment after it is written.
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, _, err := kubectl(t, "", nil, "-n", ns, "auth", "can-i", "create", "deployments.apps", "--as="+sa)
		if err == nil && strings.TrimSpace(out) == "yes" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("auth can-i create deployments for %s: %q, %v", sa, out, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if out, _, err := kubectl(t, "", nil, "-n", ns, "auth", "can-i", "create", "rolebindings", "--as="+sa); err == nil || strings.TrimSpace(out) != "no" {
		t.Errorf("auth can-i create rolebindings: %q, %v; want no", out, err)
	}
	k(t, "-n", ns, "--as="+sa, "get", "pods")

	errOut := kFails(t, "", "--as="+sa, "get", "secrets", "-n", "kube-system")
	mustContain(t, errOut, `Error from server (Forbidden): secrets is forbidden: User "`+sa+`" cannot list resource "secrets" in API group "" in the namespace "kube-system"`)

	list := k(t, "-n", ns, "auth", "can-i", "--list", "--as="+sa)
	rows := fields(list)
	if strings.Join(rows[0], " ") != "Resources Non-Resource URLs Resource Names Verbs" {
		t.Fatalf("auth can-i --list header: %v", rows[0])
	}
	mustContain(t, list, "configmaps", "deployments.apps", "selfsubjectaccessreviews.authorization.k8s.io", "/version")

	rows = fields(k(t, "-n", ns, "get", "rolebindings", "-o", "wide"))
	if strings.Join(rows[0], " ") != "NAME ROLE AGE USERS GROUPS SERVICEACCOUNTS" {
		t.Fatalf("get rolebindings -o wide header: %v", rows[0])
	}
	if rows[1][0] != "ci" || rows[1][1] != "ClusterRole/edit" || rows[1][len(rows[1])-1] != ns+"/ci" {
		t.Errorf("rolebinding row: %v", rows[1])
	}
	rows = fields(k(t, "get", "clusterroles", "cluster-admin", "view"))
	if strings.Join(rows[0], " ") != "NAME CREATED AT" || len(rows) != 3 {
		t.Errorf("get clusterroles: %v", rows)
	}
	mustContain(t, k(t, "get", "clusterrolebinding", "cluster-admin", "-o", "wide"), "ClusterRole/cluster-admin", "system:masters")
	mustContain(t, k(t, "auth", "can-i", "*", "*"), "yes")

	// kubectl create token: the service account's own credentials.
	token := strings.TrimSpace(k(t, "-n", ns, "create", "token", "ci"))
	server := k(t, "config", "view", "--raw", "--minify", "-o", "jsonpath={.clusters[0].cluster.server}")
	ca := filepath.Join(t.TempDir(), "ca.crt")
	caData := k(t, "config", "view", "--raw", "--minify", "-o", "jsonpath={.clusters[0].cluster.certificate-authority-data}")
	pem, err := base64.StdEncoding.DecodeString(caData)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(ca, pem, 0o600); err != nil {
		t.Fatal(err)
	}
	asToken := []string{"--kubeconfig", os.DevNull, "--server", server, "--certificate-authority", ca, "--token", token}
	mustContain(t, k(t, append(asToken, "auth", "whoami")...), sa)
	k(t, append(asToken, "-n", ns, "get", "pods")...)
	errOut = kFails(t, "", append(asToken, "-n", "kube-system", "get", "secrets")...)
	mustContain(t, errOut, `secrets is forbidden: User "`+sa+`" cannot list resource "secrets"`)
	errOut = kFails(t, "", "--kubeconfig", os.DevNull, "--server", server, "--certificate-authority", ca, "--token", token+"x", "get", "pods")
	mustContain(t, errOut, "error: You must be logged in to the server (Unauthorized)")
}

// TestPodSecurityWithKubectl: the step — once a namespace is
// labelled restricted, stock kubectl is told about the pods that break it
// and a privileged pod is refused with upstream's message.
func TestPodSecurityWithKubectl(t *testing.T) {
	ns := namespace(t, "e2e-podsecurity")
	privileged := `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"%s"},"spec":{"containers":[{"name":"c","image":"busybox","securityContext":{"privileged":true}}]}}`
	kIn(t, fmt.Sprintf(privileged, "before"), "-n", ns, "create", "-f", "-")

	_, warnings, err := kubectl(t, "", nil, "label", "ns", ns, "pod-security.kubernetes.io/enforce=restricted")
	if err != nil {
		t.Fatalf("kubectl label ns: %v\n%s", err, warnings)
	}
	mustContain(t, warnings, `Warning: existing pods in namespace "`+ns+`" violate the new PodSecurity enforce level "restricted:latest"`,
		"Warning: before: ")

	// Admission sees the label a moment after it is written.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		_, errOut, err := kubectl(t, fmt.Sprintf(privileged, "probe"), nil, "-n", ns, "create", "-f", "-", "--dry-run=server")
		if err != nil && strings.Contains(errOut, "violates PodSecurity") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a dry run of a privileged pod is still admitted: %v %s", err, errOut)
		}
	}
	errOut := kFails(t, fmt.Sprintf(privileged, "priv"), "-n", ns, "create", "-f", "-")
	mustContain(t, errOut, `Error from server (Forbidden): error when creating "STDIN": pods "priv" is forbidden: violates PodSecurity "restricted:latest": privileged (container "c" must not set securityContext.privileged=true)`)
	mustContain(t, kFails(t, "", "label", "ns", ns, "--overwrite", "pod-security.kubernetes.io/enforce=strict"),
		`metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: "strict"`)
}
