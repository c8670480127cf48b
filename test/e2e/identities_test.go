package e2e

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// kybernetes server runs each component as its own user, as a careful
// operator runs upstream's: the audit log shows the scheduler's and the
// controller manager's lease renewals made as system:kube-scheduler and
// system:kube-controller-manager, and a namespace's default service
// account created by the service account controller's own account.
func TestComponentsRunAsTheirOwnUsers(t *testing.T) {
	dir := t.TempDir()
	policy := filepath.Join(dir, "policy.yaml")
	logPath := filepath.Join(dir, "audit.log")
	if err := os.WriteFile(policy, []byte(`apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: Metadata
  verbs: [create, update]
  resources: [{group: coordination.k8s.io, resources: [leases]}, {group: "", resources: [serviceaccounts]}]
- level: None
`), 0o600); err != nil {
		t.Fatal(err)
	}
	server, err := startAPIServingIn(nil, "server", filepath.Join(dir, "data"), filepath.Join(dir, "server.log"),
		"--audit-policy-file", policy, "--audit-log-path", logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer server.stop()
	if out, err := exec.Command(kubectlBin, "--kubeconfig", server.kubeconfig, "create", "namespace", "audited").CombinedOutput(); err != nil {
		t.Fatalf("kubectl create namespace: %v\n%s", err, out)
	}

	want := map[string]string{
		"leases/kube-system/kube-scheduler":          "system:kube-scheduler",
		"leases/kube-system/kube-controller-manager": "system:kube-controller-manager",
		"serviceaccounts/audited/default":            "system:serviceaccount:kube-system:service-account-controller",
	}
	seen := map[string]string{}
	deadline := time.Now().Add(time.Minute)
	for len(seen) < len(want) && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
		f, err := os.Open(logPath)
		if err != nil {
			continue
		}
		lines := bufio.NewScanner(f)
		lines.Buffer(nil, 1<<20)
		for lines.Scan() {
			var e struct {
				Stage     string `json:"stage"`
				ObjectRef *struct {
					Resource, Namespace, Name string
				} `json:"objectRef"`
				User struct {
					Username string `json:"username"`
				} `json:"user"`
				ResponseStatus *struct {
					Code int `json:"code"`
				} `json:"responseStatus"`
			}
			if err := json.Unmarshal(lines.Bytes(), &e); err != nil {
				t.Fatalf("an audit line that is not JSON: %v\n%s", err, lines.Text())
			}
			if e.Stage != "ResponseComplete" || e.ObjectRef == nil || e.ResponseStatus == nil || e.ResponseStatus.Code >= 300 {
				continue
			}
			key := e.ObjectRef.Resource + "/" + e.ObjectRef.Namespace + "/" + e.ObjectRef.Name
			if _, ok := want[key]; ok {
				seen[key] = e.User.Username
			}
		}
		f.Close()
	}
	for key, user := range want {
		if seen[key] != user {
			t.Errorf("%s written by %q, want %q", key, seen[key], user)
		}
	}
}
