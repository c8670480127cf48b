package integration

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kybernetes/kybernetes/registry"
	"github.com/kybernetes/kybernetes/test/integration/framework"
)

// auditEvent is what the test reads of an audit.k8s.io/v1 Event line.
type auditEvent struct {
	Level     string `json:"level"`
	Stage     string `json:"stage"`
	Verb      string `json:"verb"`
	ObjectRef *struct {
		Resource  string `json:"resource"`
		Namespace string `json:"namespace"`
		Name      string `json:"name"`
	} `json:"objectRef"`
	User struct {
		Username string `json:"username"`
	} `json:"user"`
	ResponseStatus *struct {
		Code int `json:"code"`
	} `json:"responseStatus"`
	RequestObject map[string]any `json:"requestObject"`
}

// --audit-policy-file and --audit-log-path as upstream: the policy picks
// what is written and at what level, one JSON event per line.
func TestAuditLog(t *testing.T) {
	dir := t.TempDir()
	policy := filepath.Join(dir, "policy.yaml")
	logPath := filepath.Join(dir, "audit.log")
	if err := os.WriteFile(policy, []byte(`apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: Request
  resources: [{group: "", resources: [configmaps]}]
- level: Metadata
  resources: [{group: "", resources: [secrets]}]
- level: None
`), 0o600); err != nil {
		t.Fatal(err)
	}
	server := framework.Start(t, framework.Setup{WithoutControllers: true, WithoutServiceAccounts: true, Customize: func(o *registry.Options) {
		o.Audit.PolicyFile = policy
		o.Audit.LogOptions.Path = logPath
	}})
	ctx := context.Background()
	if _, err := server.Client.CoreV1().ConfigMaps("default").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "audited"},
		Data: map[string]string{"k": "v"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := server.Client.CoreV1().Secrets("default").Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "hidden"},
		StringData: map[string]string{"password": "s3cret"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	var configMap, secret *auditEvent
	var configMapEvents int
	waitFor(t, "the audit events of both creates", func(context.Context) bool {
		f, err := os.Open(logPath)
		if err != nil {
			return false
		}
		defer f.Close()
		configMapEvents = 0
		lines := bufio.NewScanner(f)
		lines.Buffer(nil, 1<<20)
		for lines.Scan() {
			var e auditEvent
			if err := json.Unmarshal(lines.Bytes(), &e); err != nil {
				t.Fatalf("an audit line that is not JSON: %v\n%s", err, lines.Text())
			}
			if e.Verb != "create" || e.ObjectRef == nil || e.Stage != "ResponseComplete" {
				continue
			}
			switch {
			case e.ObjectRef.Resource == "configmaps" && e.ObjectRef.Name == "audited":
				configMap = &e
				configMapEvents++
			case e.ObjectRef.Resource == "secrets":
				secret = &e
			case e.ObjectRef.Resource != "configmaps" && e.ObjectRef.Resource != "secrets":
				t.Errorf("a %s event written, which the policy's last rule leaves out", e.ObjectRef.Resource)
			}
		}
		return configMap != nil && secret != nil
	})
	if configMapEvents != 1 {
		t.Errorf("%d ResponseComplete events for one create (each server of the chain writing its own?)", configMapEvents)
	}
	if configMap.Level != "Request" || configMap.User.Username != "kybernetes-admin" || configMap.ResponseStatus == nil || configMap.ResponseStatus.Code != 201 ||
		configMap.RequestObject["data"].(map[string]any)["k"] != "v" {
		t.Errorf("configmap event: %+v", configMap)
	}
	if secret.Level != "Metadata" || secret.RequestObject != nil || secret.ObjectRef.Name != "hidden" {
		t.Errorf("secret event (at Metadata, without its data): %+v", secret)
	}
}
